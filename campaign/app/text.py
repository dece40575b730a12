"""Text from files (names, cells, sheet names) shown through Streamlit's Markdown, which would otherwise read
`**`, `[link](…)`, `:red[…]`, `$…$` or `<img …>` in it as formatting or markup."""
from __future__ import annotations

import re

_INLINE = re.compile(r"([\\`*_\[\]<>$:~&|])")           # emphasis, links, code, HTML, formulas, :red[…]
_LINE_START = re.compile(r"(?m)^(\s*)([#>+\-=]|\d+[.)])")  # headings, quotes, lists, rules


def md(text: object) -> str:
    """``text`` as literal Markdown: each character that Markdown, Streamlit's directives or HTML could read
    is backslash-escaped (CommonMark shows an escaped punctuation character as itself); plain words, dots
    and brackets stay as they are."""
    out = _INLINE.sub(r"\\\1", "" if text is None else str(text))
    return _LINE_START.sub(lambda m: m[1] + re.sub(r"([#>+\-=.)])", r"\\\1", m[2]), out)
