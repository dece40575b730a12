"""What one import found and did (ImportResult), and the rows it read (Frame): shared by the engine, which
fills them, and the builders of each kind of file (kinds.py), which read the frame and add to the result."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from campaign.ingest import values
from campaign.ingest.names import NameFlag


@dataclass
class SheetInfo:
    name: str
    header_rows: list[int]          # 1-based, as the spreadsheet shows them
    columns: dict[str, str]         # header in the file → 字段
    data_rows: int
    unmapped: list[str]


@dataclass
class ImportResult:
    file_name: str
    file_hash: str
    kind: str | None = None
    kind_label: str | None = None
    fmt: str | None = None
    encoding: str | None = None
    sheets: list[SheetInfo] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)
    rows_read: int = 0
    accepted: int = 0        # new rows written
    updated: int = 0         # existing rows changed (status, closing date …), old version kept
    unchanged: int = 0       # already in the store exactly so
    duplicates: int = 0      # rows repeating another row of the file exactly (dropped)
    quarantined: int = 0     # rows held back, with reasons
    skipped: int = 0         # blank, total (合计/小计) and note rows
    skipped_detail: dict[str, int] = field(default_factory=dict)
    quarantine: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["工作表", "行号", "列", "原值", "原因"]))
    quarantine_rows: dict[str, pd.DataFrame] = field(default_factory=dict)  # sheet → original rows held back
    name_flags: list[NameFlag] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    created: dict[str, list[str]] = field(default_factory=dict)
    import_id: int | None = None
    dry_run: bool = False
    refused: str | None = None
    previous_import: int | None = None
    seconds: float = 0.0
    # what the check step shows before anything is written
    profile: str | None = None           # the import profile used (built-in format or one the office saved)
    profile_builtin: bool = False
    columns: list[dict] = field(default_factory=list)   # every column of the main sheet: header, samples, field
    header_names: list[str] = field(default_factory=list)  # the main sheet's headers (what a profile is saved for)
    needs_mapping: bool = False           # required fields are missing: map the columns first
    unknown_values: dict[str, list[list]] = field(default_factory=dict)  # status/card/passed → [[written, rows]]
    older: int = 0                        # rows whose status is older than the store's: not applied
    no_street: int = 0                    # rows landed under 未明确属地
    unknown_closed_on: int = 0            # closed rows without a closing date (closed_on kept empty)
    resolved: list[dict] = field(default_factory=list)  # names resolved without asking: entity, name, canonical, how
    outside_calendar: dict = field(default_factory=dict)  # found dates before the campaign's first week / in future
    # 负面清单事件: every data row with the item it was matched to and its fate (新增 / 已有 / 隔离 …), shown before
    # anything is written
    row_fates: pd.DataFrame | None = None
    # a check (dry run) kept ready to be written as it is, while the store does not change (engine.commit_checked)
    prepared: object = field(default=None, repr=False, compare=False)

    @property
    def written(self) -> bool:
        return self.import_id is not None and not self.dry_run

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in (
            "file_name", "file_hash", "kind", "kind_label", "fmt", "encoding", "rows_read", "accepted", "updated",
            "unchanged", "duplicates", "quarantined", "skipped", "skipped_detail", "notes", "created", "import_id",
            "dry_run", "refused", "previous_import", "skipped_sheets", "profile", "profile_builtin", "columns",
            "header_names", "needs_mapping", "unknown_values", "older", "no_street", "unknown_closed_on", "resolved",
            "outside_calendar")}
        d["seconds"] = round(self.seconds, 3)
        d["sheets"] = [asdict(s) for s in self.sheets]
        d["name_flags"] = [dict(asdict(f), reason=f.reason) for f in self.name_flags]
        d["quarantine"] = self.quarantine.astype(object).where(self.quarantine.notna(), None).to_dict("records")
        if self.row_fates is not None:
            d["rows"] = self.row_fates.astype(object).where(self.row_fates.notna(), None).to_dict("records")
        return d


@dataclass
class Frame:
    """The rows of all sheets of the chosen kind, one raw (unparsed) object array per field."""

    cols: dict[str, np.ndarray]
    sheet: np.ndarray                      # sheet name per row
    row: np.ndarray                        # 1-based row number in its sheet
    headers: dict[tuple[str, str], str]    # (sheet, field) → header text as written
    originals: dict[str, tuple[list[str], list[list]]]  # sheet → (header names, all rows)
    titles: list[str]
    facts: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.row)

    def col(self, fld: str) -> np.ndarray | None:
        return self.cols.get(fld)

    def fact(self, fld: str) -> tuple[np.ndarray, np.ndarray]:
        """(codes, distinct cells) of a field, computed once."""
        if fld not in self.facts:
            self.facts[fld] = values.factorize(self.cols[fld])
        return self.facts[fld]

    def take(self, idx: np.ndarray) -> Frame:
        return Frame({k: v[idx] for k, v in self.cols.items()}, self.sheet[idx], self.row[idx], self.headers,
                     self.originals, self.titles, {k: (c[idx], u) for k, (c, u) in self.facts.items()})



def round_from_title(title: str) -> str | None:
    """"临江区2026年第二轮模拟测评实地考察得分" → "2026年第二轮模拟测评"."""
    t = re.sub(r"\s+", "", title)
    m = re.search(r"\d{4}年[^，,。；;（(]*?(测评|国测)", t) or \
        re.search(r"第[一二三四五六七八九十\d]+轮[^，,。；;（(]*?测评", t)
    return m.group(0) if m else None
