"""Free-text addresses from 数字城管 / 12345 / app exports, normalised before matching them to known sites.

Reporters describe a place the way they see it: "人民路128号附近", "建设路与解放路交叉口东南方向约20米",
"幸福小区3号院", or nothing at all ("无位置描述"). ``normalise_address`` reduces such text to the place
itself; ``address_key`` is the form to compare (apply it to both the incoming text and the known sites).
Pure functions: no pandas, no Streamlit, nothing else from the project.
"""
from __future__ import annotations

import math
import re
import unicodedata

__all__ = ["normalise_address", "is_no_location", "address_key"]

# Text that means "no location given" (compared after NFKC, whitespace and punctuation are stripped, casefolded).
_NO_LOCATION = frozenset({
    "无", "空", "暂无", "不详", "未知", "不明", "待定", "未填", "未填写", "缺失",
    "无位置", "无位置描述", "无位置信息", "无地址", "无详细地址", "暂无地址", "暂无位置", "地址不详", "地址未知",
    "位置不详", "位置未知", "位置不明", "地址不明", "无描述", "见描述", "详见描述",
    "none", "null", "nan", "nat", "<na>", "n/a", "na", "nil", "unknown",
})
_NO_LOCATION_RE = re.compile(
    r"(?:暂?无|未知|不详|不明|未填写?)(?:详细)?(?:的)?(?:位置|地址|地点)?(?:描述|信息)?"
    r"|(?:详细)?(?:位置|地址|地点)(?:描述|信息)?(?:暂?无|不详|未知|不明|缺失|未填写?)")

# Leading labels such as "地址：" or "事发地点:" (NFKC has already turned "：" into ":").
_LABEL_RE = re.compile(r"^(?:详细|事发|问题|发生|所在|具体)?(?:地址|位置|地点)(?:描述|信息)?:")

_DIR = r"[东南西北]{1,2}"
_NUM = r"[0-9.零〇一二两三四五六七八九十百千几]+"
_UNIT = r"(?:米|m|公里|千米|km)"
_TAILS = [
    # 的正东方向15米 / 东南方向约20米 / 往北50米 / 向西30米 / 北侧50米左右
    re.compile(rf"的?(?:往|向|朝)?正?{_DIR}(?:方向|方|侧|边|面)?(?:约|大约|大概|大致)?{_NUM}{_UNIT}(?:左右|远)?$",
               re.IGNORECASE),
    # 交叉口东南方向 / 128号北侧 / 的西侧面
    re.compile(rf"的?正?{_DIR}(?:方向|侧面|侧)$"),
    # 附近 / 旁边 / 对面 / 门口 / 周边 / 一带 …, optionally in brackets: "人民路128号(附近)".
    # A named gate stays a gate: "人民公园东门口" → "人民公园东门" (while "实验小学门口" → "实验小学").
    re.compile(r"(?<=[东南西北正侧后前大小]门)口$"),
    re.compile(r"的?(?:附近|旁边|旁|对面|门口|周边|周围|一带|边上)$"),
    re.compile(r"\((?:附近|旁边|旁|对面|门口|周边|周围|一带)\)$"),
]
# A trailing 处 is a tail only after a place-like word (…米处, 路口处, 拐角处, 附近处); "办事处", "管理处",
# "垃圾堆放处" are names of places and keep it.
_CHU_RE = re.compile(r"(?<=[米口边侧角旁面近头下前后内外上里号段带围])处$")
_EDGE_PUNCT = "。．.，,；;、：:！!？?…~～·・'\"“”‘’"
_DASHES = re.compile(r"[‐‑‒–—―−﹣－]")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")
_HAS_CONTENT = re.compile(r"[0-9A-Za-z\u3400-\u9fff\uf900-\ufaff]")
# Separators dropped from matching keys only (brackets, quotes, commas, middle dots).
_KEY_DROP = re.compile(r"[()\[\]【】〔〕<>《》\"'“”‘’,，、·・]")


def _text(value: object) -> str | None:
    """The cell as text; None for a missing value (None, NaN, pandas NA)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return str(value)


def _is_blank(s: str) -> bool:
    core = s.strip(_EDGE_PUNCT + "-/\\*#_|()[]")
    return not _HAS_CONTENT.search(core) or core.casefold() in _NO_LOCATION or bool(_NO_LOCATION_RE.fullmatch(core))


def normalise_address(text: object) -> str | None:
    """The place an address text names, or None when it gives no location.

    NFKC (full-width digits/letters/brackets → ASCII), all whitespace removed, a leading "地址：" label
    dropped; tails such as 附近 / 旁边 / 对面 / 门口 / 周边 / 一带 / 东侧, direction-and-distance tails
    (的正东方向15米, 东南方向约20米, 往北50米, 向西30米处), trailing punctuation and a trailing 处 after
    such a tail are stripped, repeatedly; 号院 → 号.

    >>> normalise_address("人民路128号附近")
    '人民路128号'
    >>> normalise_address("  无位置描述 ") is None
    True
    """
    s = _text(text)
    if s is None:
        return None
    s = unicodedata.normalize("NFKC", s)
    s = _INVISIBLE.sub("", s)
    s = "".join(s.split())  # every kind of whitespace, including full-width and non-breaking spaces
    s = _DASHES.sub("-", s)
    if _is_blank(s):
        return None
    s = _LABEL_RE.sub("", s)
    s = s.replace("号院", "号")
    while True:
        before = s
        s = s.rstrip(_EDGE_PUNCT)
        s = _CHU_RE.sub("", s)
        for tail in _TAILS:
            s = tail.sub("", s)
        if s == before or not s:
            break
    s = s.lstrip(_EDGE_PUNCT)
    if not s or _is_blank(s):
        return None
    return s


def is_no_location(text: object) -> bool:
    """True when the text gives no usable location (empty, 无位置描述, 不详, "-", "/" …)."""
    return normalise_address(text) is None


def address_key(text: object) -> str | None:
    """The matching key: :func:`normalise_address`, casefolded, without brackets, quotes and commas.

    Compare keys, never raw text: "人民路（东段）128号附近" and "人民路东段128号" give the same key.
    """
    s = normalise_address(text)
    if s is None:
        return None
    s = _KEY_DROP.sub("", s).casefold()
    return s or None
