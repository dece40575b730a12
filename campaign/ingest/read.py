"""Reading an export into rows of cells: .xlsx/.xls/.ods through python-calamine, .csv in UTF-8/GBK/UTF-16.

The kind of file is decided by its bytes, not its name; what cannot be read is refused whole, in Chinese.
"""
from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field

import python_calamine as pc

from campaign.ingest import guard

EXCEL_EXT = (".xlsx", ".xlsm", ".xls", ".et", ".ods")


class ImportRefused(Exception):
    """The file as a whole cannot be imported; the message (Chinese) says why. The store is untouched."""


@dataclass
class Sheet:
    name: str
    rows: list[list]  # cells as read; merged ranges filled with their top-left value


@dataclass
class Workbook:
    file_name: str
    fmt: str          # xlsx / xls / ods / csv
    sheets: list[Sheet]
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)


def sniff(data: bytes) -> str:
    """'xlsx', 'ods', 'zip' (another zip), 'ole' (old Office), 'html', 'text' or 'binary'."""
    if data[:4] == b"PK\x03\x04":
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError):  # damaged, or a compression zipfile lacks
            return "binary"
        if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            return "xlsx"
        if "content.xml" in names and "mimetype" in names:
            return "ods"
        return "zip"
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return "ole"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) or b"<table" in head[:512]:
        return "html"
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return "text"
    if b"\x00" in data[:4096]:
        return "binary"
    return "text"


def read_bytes(data: bytes, file_name: str) -> Workbook:
    if not data or not data.strip():
        raise ImportRefused(f"文件「{file_name}」是空的，没有可导入的内容。")
    kind = sniff(data)
    ext = "." + file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if kind in ("xlsx", "ods", "ole"):
        return _read_workbook(data, file_name, {"ole": "xls"}.get(kind, kind))
    if kind == "html":
        raise ImportRefused(f"文件「{file_name}」实际是网页（HTML）格式，不是 Excel 工作簿。"
                            "请用 Excel 或 WPS 打开后“另存为” .xlsx 再导入。")
    if kind in ("zip", "binary"):
        what = "Excel 工作簿" if ext in EXCEL_EXT else "表格文件"
        raise ImportRefused(f"文件「{file_name}」不是有效的 {what}（无法识别的文件内容），请确认文件没有损坏、"
                            "是从系统导出的表格。")
    if ext in EXCEL_EXT:
        try:
            wb = _read_csv(data, file_name)
        except ImportRefused:
            raise ImportRefused(f"文件「{file_name}」不是有效的 Excel 工作簿（扩展名是 {ext}，内容却不是表格）。") from None
        wb.notes.append(f"文件扩展名为 {ext}，实际是文本表格，已按 CSV 读取。")
        return wb
    return _read_csv(data, file_name)


def _read_workbook(data: bytes, file_name: str, fmt: str) -> Workbook:
    """An .xlsx is inspected (guard.check_xlsx) and then parsed here, a large sheet on several cores from the
    parts the inspection inflated (campaign.ingest.parallel); an .xls or .ods, which cannot be inspected that
    way, is parsed in a child process with a memory ceiling."""
    from campaign.ingest import parallel

    try:
        if fmt != "xlsx":
            sheets = []
            for name, rows, merged in guard.read_in_child(data, file_name):
                if rows:
                    _fill_merged(rows, merged)
                sheets.append(Sheet(name, rows))
            return Workbook(file_name, fmt, sheets)
        seen = guard.check_xlsx(data, file_name, keep=parallel.KEEP_MAX_BYTES, defer=parallel.SPLIT_MIN_BYTES)
        read = calamine_sheets(data, file_name, seen.get("parts"), seen.get("names"), seen.get("deferred"))
    except guard.Refused as e:
        raise ImportRefused(str(e)) from None
    except MemoryError:
        raise ImportRefused(f"文件「{file_name}」太大，读取时内存不足，请按月或按街道拆分后分别导入。") from None
    sheets = []
    for name, rows, merged in read:
        if rows:
            _fill_merged(rows, merged)
        sheets.append(Sheet(name, rows))
    return Workbook(file_name, fmt, sheets)


def calamine_sheets(data: bytes, file_name: str, parts: dict[str, bytes] | None = None,
                    names: dict[str, str] | None = None,
                    deferred: dict[str, guard.SheetLimit] | None = None) -> list[tuple[str, list[list], list]]:
    """[(sheet name, rows of cells, merged ranges)] of every worksheet, as python-calamine reads them;
    ImportRefused (Chinese) when the workbook is locked or cannot be read.

    Given the workbook's ``parts`` inflated and its worksheet ``names`` ({part: name}), a large sheet is read in
    pieces on several cores, and the whole workbook is opened only for a sheet read whole. A sheet the
    inspection ``deferred`` is scanned here, piece by piece as each is parsed; before anything is read whole,
    every deferred sheet is scanned whole (guard.Refused when one is too large)."""
    from campaign.ingest.parallel import outline, read_in_pieces

    part_of = {name: part for part, name in (names or {}).items()} if parts else {}
    deferred = dict(deferred or {})
    book = _open(outline(parts) if parts else data, file_name)
    whole = None if parts else book
    out = []
    try:
        for meta in book.sheets_metadata:
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            part = part_of.get(meta.name)
            got = read_in_pieces(parts, part, meta.name, deferred.get(part)) if part else None
            if got is not None:
                deferred.pop(part, None)
            else:
                for p, limit in list(deferred.items()):  # calamine may read any part: all are scanned first
                    limit.scan(parts[p])
                    del deferred[p]
                whole = whole or _open(data, file_name)
                sh = whole.get_sheet_by_name(meta.name)
                got = sh.to_python(skip_empty_area=False), sh.merged_cell_ranges or []
            out.append((meta.name, *got))
    except (MemoryError, ImportRefused, guard.Refused):
        raise
    except Exception as e:
        raise ImportRefused(f"文件「{file_name}」读取失败，可能已损坏（{type(e).__name__}）。") from None
    finally:
        book.close()
        if whole is not None and whole is not book:
            whole.close()
    return out


def _open(data: bytes, file_name: str) -> pc.CalamineWorkbook:
    try:
        return pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except pc.PasswordError:
        raise ImportRefused(f"文件「{file_name}」设有打开密码，请取消密码后再导入。") from None
    except Exception as e:  # calamine raises several error types for damaged or foreign files
        raise ImportRefused(f"文件「{file_name}」不是有效的 Excel 工作簿，无法读取（{type(e).__name__}）。") from None


def _fill_merged(rows: list[list], ranges: list) -> None:
    """Give every cell of a merged range the value of its top-left cell (merged 街道 down a block of rows,
    merged header cells), so that no row looks half-filled because of formatting."""
    n = len(rows)
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= n:
            continue
        src = rows[r0]
        if c0 >= len(src):
            continue
        v = src[c0]
        if v == "" or v is None:
            continue
        for r in range(r0, min(r1, n - 1) + 1):
            row = rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                if row[c] == "" or row[c] is None:
                    row[c] = v


def decode_text(data: bytes, file_name: str) -> tuple[str, str]:
    """(text, encoding): UTF-8 with or without BOM, UTF-16 with BOM, else GB18030 (a superset of GBK)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise ImportRefused(f"文件「{file_name}」标明是 UTF-16 编码，内容却无法按 UTF-16 读取，文件可能已损坏。"
                                "请重新导出或用 Excel 另存为 .xlsx 后导入。") from None
    if data[:3] == b"\xef\xbb\xbf":
        try:
            return data[3:].decode("utf-8"), "UTF-8（带 BOM）"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "GBK/GB18030"
    except UnicodeDecodeError:
        raise ImportRefused(f"文件「{file_name}」的文字编码无法识别（不是 UTF-8，也不是 GBK/GB18030），"
                            "请用 Excel 另存为 .xlsx 后导入。") from None


def _read_csv(data: bytes, file_name: str) -> Workbook:
    text, enc = decode_text(data, file_name)
    nul = text.count("\x00")
    if nul:  # NUL characters (a damaged export, or padding): never stored; said where they were
        line = text.count("\n", 0, text.index("\x00")) + 1
        text = text.replace("\x00", "")
    sample = text[:20000]
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    delim = max([",", "\t", ";", "|"], key=lambda d: sum(ln.count(d) for ln in lines))
    if not lines or sum(ln.count(delim) for ln in lines) == 0:
        raise ImportRefused(f"文件「{file_name}」不是表格：没有找到分隔的列（逗号或制表符）。")
    try:  # newline="": a lone \r (old Mac or damaged line ends) is a line end, not an error
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim))
    except csv.Error as e:
        raise ImportRefused(f"文件「{file_name}」不是可读的表格文本，无法按 CSV 读取（{e}）。"
                            "请用 Excel 打开后另存为 .xlsx 再导入。") from None
    width = max((len(r) for r in rows), default=0)
    for r in rows:
        if len(r) < width:
            r.extend([""] * (width - len(r)))
    wb = Workbook(file_name, "csv", [Sheet(file_name.rsplit("/", 1)[-1], rows)], encoding=enc)
    if nul:
        wb.notes.append(f"文件中有 {nul:,} 个空字符（NUL，第一个在第 {line:,} 行），已去除；如内容缺损，请重新导出。")
    return wb
