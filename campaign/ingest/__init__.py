"""Importing the office's own exports: patrol ledgers, assessment results, survey rates, peer totals.

One engine serves ``python -m campaign import`` and the 数据导入 page:
read (xlsx/xls/csv) → find the header → map headers through data/header_aliases.yaml → parse and check values
→ quarantine bad rows → upsert in one transaction, logged and undoable.
"""
from __future__ import annotations

import importlib

_EXPORTS = {"import_file": "engine", "ImportResult": "engine", "ImportRefused": "engine",
            "undo_import": "log", "UndoRefused": "log", "KINDS": "mapping"}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    """Heavy modules (pandas, pyarrow) load on first use, so ``python -m campaign --help`` stays quick."""
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"campaign.ingest.{_EXPORTS[name]}"), name)
    raise AttributeError(name)
