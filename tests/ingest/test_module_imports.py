"""Every module of the import pipeline loads on its own, first, with nothing of the project loaded before it:
no module of ingest/ needs another to be half-loaded (an import loop)."""
import importlib
import pkgutil
import sys

import pytest

import campaign.ingest

MODULES = sorted(f"campaign.ingest.{m.name}" for m in pkgutil.iter_modules(campaign.ingest.__path__))


@pytest.mark.parametrize("name", MODULES)
def test_each_ingest_module_loads_first(name):
    saved = {k: v for k, v in sys.modules.items() if k == "campaign" or k.startswith("campaign.")}
    for k in saved:
        del sys.modules[k]
    try:
        importlib.import_module(name)
    finally:
        for k in [k for k in sys.modules if k == "campaign" or k.startswith("campaign.")]:
            del sys.modules[k]
        sys.modules.update(saved)
