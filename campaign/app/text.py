"""Text from files (names, cells, sheet names) shown through Streamlit's Markdown, which would otherwise read
`**`, `[link](…)`, `:red[…]`, `$…$` or `<img …>` in it as formatting or markup."""
from __future__ import annotations

import re

_MD = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&=\"'])")


def md(text: object) -> str:
    """``text`` as literal Markdown: every character Markdown, Streamlit's directives or HTML could read
    is backslash-escaped (CommonMark shows an escaped punctuation character as itself)."""
    return _MD.sub(r"\\\1", "" if text is None else str(text))
