"""Looking inside a workbook before it is parsed, so that no file can crash or bloat the dashboard.

An .xlsx is a zip of XML parts. Before python-calamine reads one (it allocates a cell for every position of a
sheet's used range at once), each part is inflated here as a stream, with a cap, and each worksheet's XML is
scanned for the furthest row and column its row and cell references name. A file is
refused, in Chinese, when

- a part inflates to more than the office's upload limit × ``INFLATE_FACTOR`` (the whole file likewise), or a
  large part inflates more than ``MAX_RATIO`` times its compressed size (a zip bomb), whatever the zip's
  directory claims;
- a sheet's used range spans more than ``cell_limit()`` cells (one cell far away, such as XFD1048576, is
  enough). The range declared in a sheet's <dimension> is not trusted either way: python-calamine sizes the
  sheet from the cells themselves.

Old .xls and .ods files cannot be scanned this way; they are parsed in a child process with a memory ceiling
(``read_in_child``), so that a file that would exhaust memory only ends the child.
"""
from __future__ import annotations

import dataclasses
import html
import io
import json
import re
import subprocess
import sys
import zipfile
import zlib
from datetime import date, datetime, time, timedelta

INFLATE_FACTOR = 10        # a part may inflate to 10 × the upload limit (a 50 MB limit: 500 MB of XML)
MAX_RATIO = 100            # real sheets compress 5–30×; a part over 1 MB that inflates 100× more is a bomb
CELLS_PER_MB = 200_000     # a real export holds about 300,000 cells per MB of .xlsx
CHILD_MEMORY_MB = 1536     # the ceiling of the process that parses an .xls or .ods
CHUNK = 1 << 20

# every spelling XML allows (a namespace prefix, spaces around =, either quote); each pattern starts with a
# literal, which keeps the scan near 0.25 s per 100,000 rows
_ROW = re.compile(rb'row\b[^>]*?\br\s*=\s*["\'](\d{1,10})')
_FAR = re.compile(rb'r\s*=\s*["\']([A-Z]{2,4}\d{1,10}|[A-Z]\d{6,10})')  # a cell in column AA+ or row 100,000+
_OVERLAP = 96  # bytes kept from the end of one chunk, so a reference cut in two is still seen


def upload_limit_mb() -> float:
    from campaign.ops import max_upload_mb

    return max_upload_mb()


def cell_limit(limit_mb: float | None = None) -> int:
    """Cells a sheet's used range may span: 200,000 per MB of the upload limit (10 million at 50 MB)."""
    mb = upload_limit_mb() if limit_mb is None else limit_mb
    return int(max(1.0, mb) * CELLS_PER_MB)


def inflate_limit(limit_mb: float | None = None) -> int:
    mb = upload_limit_mb() if limit_mb is None else limit_mb
    return int(max(1.0, mb) * 1e6 * INFLATE_FACTOR)


def column_number(letters: bytes | str) -> int:
    """A=1, Z=26, AA=27, XFD=16384."""
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode("ascii"):
        n = n * 26 + ord(ch) - 64
    return n


class Refused(Exception):
    """The workbook is unsafe to parse; the message (Chinese) says what is wrong."""


def check_xlsx(data: bytes, file_name: str, limit_mb: float | None = None, keep: int = 0,
               defer: int | None = None) -> dict:
    """Inspect an .xlsx (a zip) before parsing. Returns what was measured ({"inflated": bytes, "sheets":
    {part: (rows, columns)}}, columns exact from AA on, else 26 as a bound); raises ``Refused`` with a Chinese
    message naming what is wrong.

    With ``keep``, a workbook that inflates to at most ``keep`` bytes in all also comes back inflated
    ({"parts": {part: bytes}, "names": {worksheet part: sheet name}}), for a reader that would otherwise
    inflate it again. With ``defer`` too, a kept worksheet of at least ``defer`` bytes is not scanned here:
    it comes back in {"deferred": {part: SheetLimit}}, and the reader must scan it (or each piece of it)
    with its SheetLimit before anything parses it. Everything is scanned here when the parts are not kept."""
    mb = upload_limit_mb() if limit_mb is None else limit_mb
    part_cap, cells_cap = inflate_limit(mb), cell_limit(mb)
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
        infos = z.infolist()
    except (zipfile.BadZipFile, RuntimeError, ValueError, OSError, EOFError):
        return {"inflated": 0, "sheets": {}}  # not a readable zip: the reader refuses it with its own message
    total, sheets = 0, {}
    parts: dict[str, bytes] | None = {} if keep > 0 else None
    deferred: dict[str, SheetLimit] = {}
    names = _sheet_names(z)

    def let_go() -> None:
        """The parts will not be kept: what was left to the reader is scanned now."""
        nonlocal parts
        for part, limit in deferred.items():
            sheets[part] = limit.scan(parts[part])
        deferred.clear()
        parts = None

    for info in infos:
        claimed = info.file_size
        if claimed > part_cap:
            raise Refused(_too_big(file_name, info.filename, claimed, mb))
        is_sheet = info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")
        keeping = parts is not None
        try:
            inflated, dims, content = _inflate(data, z, info, part_cap, scan=is_sheet and not keeping, keep=keeping)
        except _Overflow:
            raise Refused(_too_big(file_name, info.filename, part_cap + 1, mb)) from None
        except (zipfile.BadZipFile, zlib.error, RuntimeError, ValueError, OSError, EOFError, NotImplementedError):
            if parts is not None:  # a damaged part: calamine reports the damage itself, reading the file as it came
                let_go()
            continue
        if inflated > 1_000_000 and inflated > MAX_RATIO * max(1, info.compress_size):
            raise Refused(f"文件「{file_name}」不能导入：其中的部件 {info.filename} 压缩了 "
                          f"{inflated / max(1, info.compress_size):,.0f} 倍（{info.compress_size / 1e6:.2f} MB 解开后 "
                          f"{inflated / 1e6:,.0f} MB），远超正常表格（通常 5–30 倍），疑似“压缩炸弹”。"
                          "请从原系统重新导出，或用 Excel/WPS 打开后另存为 .xlsx 再导入。")
        total += inflated
        if total > part_cap:
            raise Refused(_too_big(file_name, "全部内容", total, mb))
        limit = SheetLimit(file_name, names.get(info.filename, _sheet_label(info.filename)), cells_cap)
        if keeping and is_sheet:
            if defer is not None and inflated >= defer and info.filename not in parts:
                deferred[info.filename] = limit
            else:
                dims = limit.scan(content)
        if parts is not None:
            if info.filename in parts:
                let_go()  # a part named twice: the reader reads the file as it came
            else:
                parts[info.filename] = content
                if total > keep:
                    let_go()  # too large to hold
        if dims is not None:
            sheets[info.filename] = dims
            limit.check(*dims)
    out = {"inflated": total, "sheets": sheets}
    if parts is not None:
        out["parts"], out["names"], out["deferred"] = parts, names, deferred
    return out


@dataclasses.dataclass(frozen=True)
class SheetLimit:
    """The cell limit of one worksheet, for XML held in memory and parsed later: ``scan`` the bytes a parser
    will read (a whole sheet, or a piece of one) before it reads them; ``check`` a range put together from
    pieces before it is filled in."""
    file_name: str
    label: str
    cells_cap: int

    def scan(self, xml: bytes) -> tuple[int, int]:
        sc = _Scan()
        view = memoryview(xml)
        for at in range(0, len(view), CHUNK):  # a chunk at a time: Python's lock is let go between chunks
            sc.feed(view[at:at + CHUNK].tobytes())
        dims = sc.dims()
        self.check(*dims)
        return dims

    def check(self, rows: int, cols: int) -> None:
        if rows * cols > self.cells_cap:
            span = f"{rows:,} 行 × {cols:,} 列（最远到 {_ref(rows, cols)}）" if cols > 26 else f"{rows:,} 行"
            raise Refused(f"文件「{self.file_name}」不能导入：工作表「{self.label}」的使用范围达 "
                          f"{span}，超过上限 {self.cells_cap:,} 个单元格。"
                          "通常是远处某个单元格误存了内容或格式：请在 Excel 中删除数据区以外的行和列"
                          "（或只复制数据区到新工作簿）后再导入。")


class _Overflow(Exception):
    pass


def _chunks(data: bytes, z: zipfile.ZipFile, info: zipfile.ZipInfo):
    """The inflated bytes of one part, a chunk at a time. A deflated part is inflated from its compressed
    bytes to the end of its stream, as other readers do, whatever size the zip's directory claims for it."""
    if info.compress_type == zipfile.ZIP_DEFLATED:
        at = info.header_offset
        if data[at:at + 4] != b"PK\x03\x04":
            raise zipfile.BadZipFile
        start = at + 30 + int.from_bytes(data[at + 26:at + 28], "little") + int.from_bytes(data[at + 28:at + 30], "little")
        raw = memoryview(data)[start:start + max(info.compress_size, 0)] if info.compress_size else memoryview(data)[start:]
        d = zlib.decompressobj(-15)
        for i in range(0, len(raw), CHUNK):
            piece = d.decompress(raw[i:i + CHUNK], CHUNK)
            while True:
                if piece:
                    yield piece
                if not d.unconsumed_tail:
                    break
                piece = d.decompress(d.unconsumed_tail, CHUNK)
            if d.eof:
                return
        return
    with z.open(info) as fh:  # stored or another method: zipfile reads it whole (the cap still applies)
        while chunk := fh.read(CHUNK):
            yield chunk


class _Scan:
    """The furthest row and column a worksheet's XML names, read a chunk at a time."""

    def __init__(self) -> None:
        self.max_row = self.max_col = self.rows_seen = 0
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
        buf = self.tail + chunk
        rows = _ROW.findall(buf)
        if rows:
            self.max_row = max(self.max_row, max(map(int, rows)))
        self.rows_seen += chunk.count(b"<row") + chunk.count(b":row")  # at least every row written
        for ref in _FAR.findall(buf):
            letters = ref.rstrip(b"0123456789")
            self.max_col = max(self.max_col, column_number(letters))
            self.max_row = max(self.max_row, int(ref[len(letters):]))
        self.tail = buf[-_OVERLAP:]

    def dims(self) -> tuple[int, int]:
        # a row without a reference follows the one before it: never further than the furthest named row plus
        # every row written (counted loosely: rowBreaks and closing </x:row> tags are counted too)
        rows = self.max_row if self.rows_seen <= self.max_row else self.max_row + self.rows_seen
        # columns A–Z are not looked for one by one: a sheet without a cell in AA or further counts as 26 wide
        return rows, max(self.max_col, 26) if rows else self.max_col


def _inflate(data: bytes, z: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, scan: bool,
             keep: bool = False) -> tuple[int, tuple[int, int] | None, bytes | None]:
    """Inflate one part as a stream, at most ``cap`` bytes; for a worksheet also find the furthest row and
    column it names; with ``keep`` also return the inflated bytes."""
    kept: list[bytes] | None = [] if keep else None
    sc = _Scan() if scan else None
    n = 0
    for chunk in _chunks(data, z, info):
        n += len(chunk)
        if n > cap:
            raise _Overflow
        if kept is not None:
            kept.append(chunk)
        if sc is not None:
            sc.feed(chunk)
    content = None if kept is None else b"".join(kept)
    return n, None if sc is None else sc.dims(), content


def _ref(rows: int, cols: int) -> str:
    letters = ""
    c = cols
    while c:
        c, r = divmod(c - 1, 26)
        letters = chr(65 + r) + letters
    return f"{letters}{rows}"


def _sheet_names(z: zipfile.ZipFile) -> dict[str, str]:
    """{part: the sheet's name as Excel shows it}, from xl/workbook.xml and its relationships (small parts,
    read only when they are small)."""
    try:
        book, rels = (z.getinfo(p) for p in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"))
        if book.file_size > 2_000_000 or rels.file_size > 2_000_000:
            return {}
        targets = dict(re.findall(rb'Id="([^"]+)"[^>]*?Target="([^"]+)"', z.read(rels))
                       + [(a, b) for b, a in re.findall(rb'Target="([^"]+)"[^>]*?Id="([^"]+)"', z.read(rels))])
        out = {}
        for name, rid in re.findall(rb'<(?:\w+:)?sheet\b[^>]*?name="([^"]*)"[^>]*?r:id="([^"]+)"', z.read(book)):
            target = targets.get(rid, b"").decode("utf-8", "replace").lstrip("/")
            part = target if target.startswith("xl/") else "xl/" + target
            out[part] = html.unescape(name.decode("utf-8", "replace"))
        return out
    except (KeyError, zipfile.BadZipFile, zlib.error, RuntimeError, ValueError, OSError, EOFError, NotImplementedError):
        return {}


def _sheet_label(part: str) -> str:
    return part.rsplit("/", 1)[-1].removesuffix(".xml")


def _too_big(file_name: str, part: str, size: int, mb: float) -> str:
    return (f"文件「{file_name}」不能导入：{part} 解压后超过 {inflate_limit(mb) / 1e6:,.0f} MB"
            f"（上传上限 {mb:g} MB 的 {INFLATE_FACTOR} 倍），疑似“压缩炸弹”或远超正常大小。"
            "请按月或按街道拆分后分别导入。")


# ---------------------------------------------------------------------------------------------------- child
_CHILD = r"""
import resource, sys
limit = int(sys.argv[1]) * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.path.insert(0, sys.argv[2])
from campaign.ingest.guard import _child_main
_child_main()
"""


def read_in_child(data: bytes, file_name: str, memory_mb: int = CHILD_MEMORY_MB, timeout: float = 300) -> list:
    """Parse an .xls/.ods in a child process limited to ``memory_mb``; returns [(sheet name, rows, merged
    ranges)] as the parent's reader would build them. A child that runs out of memory or dies is a refusal."""
    from campaign.config import ROOT

    try:
        # -I: the child reads no PYTHON* variables and no user site; it is given the project's folder itself
        out = subprocess.run([sys.executable, "-I", "-c", _CHILD, str(memory_mb), str(ROOT)], input=data,
                             capture_output=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        raise Refused(f"文件「{file_name}」读取超过 {timeout:.0f} 秒仍未完成，已停止。"
                      "请用 Excel/WPS 打开后另存为 .xlsx 再导入。") from None
    if out.returncode != 0 or not out.stdout:
        err = out.stderr.decode("utf-8", "replace")
        if "MemoryError" in err or out.returncode < 0 or "memory allocation" in err:
            raise Refused(f"文件「{file_name}」读取时所需内存超过 {memory_mb:,} MB 的上限，已停止（仪表盘不受影响）。"
                          "通常是工作表的使用范围远大于数据：请删除数据区以外的行和列，或另存为 .xlsx 后再导入。")
        raise Refused(f"文件「{file_name}」不是有效的 Excel 工作簿，无法读取。")
    reply = json.loads(out.stdout)
    if "refused" in reply:
        raise Refused(reply["refused"].replace("{file}", file_name))
    return [(s["name"], [[_decode(v) for v in r] for r in s["rows"]], [tuple(map(tuple, m)) for m in s["merged"]])
            for s in reply["sheets"]]


def _child_main() -> None:
    from campaign.ingest.read import ImportRefused, calamine_sheets

    data = sys.stdin.buffer.read()
    try:
        sheets = calamine_sheets(data, "{file}")  # a MemoryError ends this process: the parent says so
    except ImportRefused as e:
        _reply({"refused": str(e)})
        return
    _reply({"sheets": [{"name": name, "rows": [[_encode(v) for v in r] for r in rows],
                        "merged": [list(map(list, m)) for m in merged]} for name, rows, merged in sheets]})


def _reply(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False))
    sys.stdout.flush()


def _encode(v):
    """A cell as JSON: text, numbers, booleans and None as they are; dates and times tagged."""
    if isinstance(v, datetime):
        return {"dt": v.isoformat()}
    if isinstance(v, date):
        return {"d": v.isoformat()}
    if isinstance(v, time):
        return {"t": v.isoformat()}
    if isinstance(v, timedelta):
        return {"td": v.total_seconds()}
    if isinstance(v, float) and v != v:
        return {"nan": 1}
    return v


def _decode(v):
    if not isinstance(v, dict):
        return v
    if "dt" in v:
        return datetime.fromisoformat(v["dt"])
    if "d" in v:
        return date.fromisoformat(v["d"])
    if "t" in v:
        return time.fromisoformat(v["t"])
    if "td" in v:
        return timedelta(seconds=v["td"])
    return float("nan")
