"""A scenario's settings and the words they are written in: ``KEY=RATE`` raises the units a key matches to a
rate, ``fix:KEY`` marks the open problems it matches as fixed (the package doc lists the keys). Parsing, the
scenario text and its JSON form, the classic assessment methods' names and the error every what-if module raises.

The what-if treats a standard by its method's kind (campaign.model.scoring.method_kinds), whatever the framework file
calls the method: field kinds are raised per site (standard × street × department), material and opinion kinds
per standard, survey kinds per indicator (× street)."""
from __future__ import annotations

import json
from dataclasses import dataclass

FIELD, ONLINE, SURVEY = "实地考察", "网上申报", "问卷调查"   # the classic three (a framework that declares none)

KINDS = {"standard": "测评标准", "section": "板块", "item": "测评项目", "site_type": "点位类型",
         "category": "问题类别", "street": "街道", "department": "责任单位", "indicator": "问卷指标"}
_ALIASES = {**{k: k for k in KINDS}, **{v: k for k, v in KINDS.items()},
            "标准": "standard", "项目": "item", "点位": "site_type", "类别": "category", "属地": "street",
            "街道（镇）": "street", "部门": "department", "dept": "department", "指标": "indicator"}
FIX_ALL = ("all", "全部", "*")


class WhatIfError(ValueError):
    """A wrong setting or effort file; the message says which, in Chinese."""


Terms = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Setting:
    key: str                 # normalised KEY text ("" = every open problem, for a fix)
    terms: Terms
    rate: float | None = None
    fix: bool = False

    @property
    def text(self) -> str:
        if self.fix:
            return f"fix:{self.key or 'all'}"
        return f"{self.key}={_fmt_rate(self.rate)}"


def _fmt_rate(rate: float) -> str:
    return f"{rate:.6f}".rstrip("0").rstrip(".") if rate not in (0, 1) else str(int(rate))


def _norm(text: str) -> str:
    return (text.replace("：", ":").replace("，", ",").replace("；", ";").replace("＝", "=")
            .replace("％", "%").strip())


def parse_key(text: str) -> Terms:
    """``"site_type:农贸市场,street:北关街道"`` → (("site_type", "农贸市场"), ("street", "北关街道"))."""
    terms = []
    for part in _norm(text).split(","):
        part = part.strip()
        if not part:
            continue
        kind, sep, value = part.partition(":")
        if sep and kind.strip() in _ALIASES:
            kind, value = _ALIASES[kind.strip()], value.strip()
        elif sep:
            raise WhatIfError(f"设定范围“{part}”的类型“{kind}”未知，应为：{'、'.join(KINDS)}"
                              f"（或{'、'.join(KINDS.values())}）")
        else:
            kind, value = "standard", part
        if not value:
            raise WhatIfError(f"设定范围“{part}”缺少名称")
        terms.append((kind, value))
    if not terms:
        raise WhatIfError(f"设定范围“{text}”为空")
    return tuple(terms)


def key_text(terms: Terms) -> str:
    return ",".join(v if k == "standard" else f"{k}:{v}" for k, v in terms)


def parse_rate(text: str, where: str) -> float:
    t = _norm(str(text)).rstrip("%")
    try:
        rate = float(t)
    except ValueError:
        raise WhatIfError(f"{where}：达标率“{text}”不是数字（写 0.9 或 90%）") from None
    if str(text).strip().endswith(("%", "％")) or rate > 1:
        rate /= 100
    if not 0 <= rate <= 1:
        raise WhatIfError(f"{where}：达标率“{text}”应在 0 到 1（0% 到 100%）之间")
    return rate


def parse_setting(text: str) -> Setting:
    t = _norm(text)
    if t.lower().startswith("fix:"):
        body = t[4:].strip()
        if body.lower() in FIX_ALL or not body:
            return Setting("", (), fix=True)
        terms = parse_key(body)
        return Setting(key_text(terms), terms, fix=True)
    key, sep, rate = t.rpartition("=")
    if not sep or not key.strip():
        raise WhatIfError(f"设定“{text}”应写成 范围=达标率（如 site_type:农贸市场=0.9）或 fix:范围")
    terms = parse_key(key)
    return Setting(key_text(terms), terms, parse_rate(rate, f"设定“{text}”"))


def parse_scenario(text: str | None) -> list[Setting]:
    """``"site_type:农贸市场=0.9;fix:street:北关街道"`` → settings (";" or new lines between them)."""
    parts = _norm(text or "").replace("\n", ";").split(";")
    return [parse_setting(p) for p in parts if p.strip()]


def format_scenario(settings: list[Setting]) -> str:
    return ";".join(s.text for s in settings)


def scenario_json(settings: list[Setting]) -> str:
    return json.dumps([{"fix": s.key or "all"} if s.fix else {"key": s.key, "rate": s.rate} for s in settings],
                      ensure_ascii=False)


def settings_from_json(text: str) -> list[Setting]:
    out = []
    for item in json.loads(text or "[]"):
        out.append(parse_setting(f"fix:{item['fix']}" if "fix" in item else f"{item['key']}={item['rate']}"))
    return out
