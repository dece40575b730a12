"""What the 推演 page shows, as plain tables: keys in words, the editor's choices and rows, the change per
section and item, each setting's effect, the plan per action and per department, the waterfall, the share
link, scenarios side by side, and the page's help text."""
from __future__ import annotations

import numpy as np
import pandas as pd

from campaign.model import scoring
from campaign.whatif.model import Model, Projection, project_text
from campaign.whatif.settings import (FIX_ALL, KINDS, Setting, format_scenario, key_text, parse_key,
                                      parse_setting)
from campaign.whatif.solver import Plan

def label(model: Model, key: str, short: int = 14) -> str:
    """A setting's key in words: ``site_type:农贸市场`` → 点位类型：农贸市场."""
    if key.startswith("fix:"):
        body = key[4:]
        return "整改：全部未整改问题" if body in FIX_ALL or not body else f"整改：{label(model, body)}"
    if "names" not in model._masks:
        s = model.standards
        model._masks["names"] = {"standard": dict(zip(s["code"], s["name"])),
                                 "item": dict(zip(s["item_code"], s["item"])),
                                 "section": dict(zip(s["section_code"], s["section"]))}
    names = model._masks["names"]
    parts = []
    for kind, value in parse_key(key):
        if kind == "standard":
            nm = str(names["standard"].get(value, ""))
            parts.append(f"{value} {nm[:short]}{'…' if len(nm) > short else ''}".strip())
        elif kind in ("section", "item"):
            nm = names[kind].get(value)
            parts.append(f"{KINDS[kind]}：{value} {nm}" if nm else f"{KINDS[kind]}：{value}")
        else:
            parts.append(f"{KINDS[kind]}：{value}")
    return " × ".join(parts)


def key_options(model: Model, extra: list[str] = ()) -> dict[str, str]:
    """key → label for the page's setting editor, broad scopes first."""
    s, u = model.standards, model.units
    keys = [f"site_type:{t}" for t in sorted(set(u["site_type"].dropna()))]
    keys += [f"street:{t}" for t in model.streets]
    cats = dict.fromkeys(c for cs in s["categories"] for c in (cs if cs is not None else []))
    keys += [f"category:{c}" for c in cats]
    keys += [f"item:{c}" for c in dict.fromkeys(s["item_code"])]
    keys += [f"section:{c}" for c in dict.fromkeys(s["section_code"])]
    keys += [f"indicator:{i}" for i in dict.fromkeys(s["indicator"].dropna())]
    keys += [f"department:{d}" for d in sorted(set(u["department"].dropna()))]
    keys += list(s["code"])
    keys += [k for k in extra if k not in keys]
    return {k: label(model, k) for k in keys}


def fix_options(model: Model) -> dict[str, str]:
    op = model.open_problems.drop_duplicates("pid")
    out = {"fix:all": f"全部未整改问题（{int(op['problems'].sum())} 个）"}
    for kind in ("street", "department", "category", "site_type"):
        counts = op.groupby(kind, observed=True)["problems"].sum()
        for value, n in counts[counts > 0].sort_values(ascending=False).items():
            out[f"fix:{kind}:{value}"] = f"{KINDS[kind]}：{value}（{int(n)} 个）"
    return out


def change_by(model: Model, p: Projection, by: str = "item") -> pd.DataFrame:
    """Earned points per section or item, before and after, in framework order."""
    b = scoring.group_scores(model.baseline.rates, by)[[by, "points", "earned"]]
    a = scoring.group_scores(p.rates, by)[[by, "earned"]]
    out = b.merge(a, on=by, suffixes=("_before", "_after"))
    out["change"] = out["earned_after"] - out["earned_before"]
    return out


def section_table(model: Model, p: Projection) -> pd.DataFrame:
    """Per section, before and after; the minors' framework's sections say so (未成年人·…)."""
    t = change_by(model, p, "section")
    s = model.standards
    minors = set(s.loc[s["framework"].eq("minors"), "section"]) if "framework" in s else set()
    return pd.DataFrame({"板块": [f"未成年人·{x}" if x in minors else x for x in t["section"]], "分值": t["points"].round(2), "基准": t["earned_before"].round(2),
                         "推演": t["earned_after"].round(2), "变化": t["change"].round(2)})


def effects_table(model: Model, p: Projection) -> pd.DataFrame:
    e = p.effects
    return pd.DataFrame({
        "设定": [f"整改：{int(r.problems)} 个问题、{int(r.sites)} 个点位" if r.fix else label(model, r.key)
               for r in e.itertuples()],
        "当前": ["—" if r.fix or pd.isna(r.before) else f"{100 * r.before:.1f}%" for r in e.itertuples()],
        "目标": ["—" if r.fix else f"{100 * r.target:.1f}%" for r in e.itertuples()],
        "单独增分": e["points"].round(2)})


def plan_table(model: Model, plan: Plan) -> pd.DataFrame:
    a = plan.actions
    return pd.DataFrame({
        "责任单位": a["department"], "街道": a["street"].fillna("区级"),
        "整改项": [label(model, key_text(tuple((k, v) for k, v in parse_key(key) if k in ("standard", "indicator"))),
                      short=16) for key in a["key"]],
        "测评方式": a["method"],
        "当前达标率": (100 * a["from_rate"]).round(1), "目标达标率": (100 * a["rate"]).round(1),
        "增分": a["points"].round(3), f"工作量（{plan.effort_unit}）": a["effort"].round(1)})


def plan_by_department(plan: Plan) -> pd.DataFrame:
    g = plan.actions.groupby("department", sort=False).agg(项数=("key", "size"), 增分=("points", "sum"),
                                                           工作量=("effort", "sum")).reset_index()
    return g.rename(columns={"department": "责任单位"}).round({"增分": 2, "工作量": 1})


EDITOR_KEY, EDITOR_RATE = "范围", "目标（%）"


def editor_frame(settings: list[Setting]) -> pd.DataFrame:
    rates = [s for s in settings if not s.fix]
    return pd.DataFrame({EDITOR_KEY: pd.Series([s.key for s in rates], dtype=object),
                         EDITOR_RATE: pd.Series([round(100 * s.rate, 2) for s in rates], dtype=float)})


def settings_from_editor(table: pd.DataFrame, fixes: list[str]) -> list[Setting]:
    """The editor's complete rows (half-filled new rows are left out), then the fixes."""
    out = []
    for key, rate in zip(table[EDITOR_KEY], table[EDITOR_RATE]):
        if isinstance(key, str) and key and pd.notna(rate):
            terms = parse_key(key)
            out.append(Setting(key_text(terms), terms, min(max(float(rate) / 100, 0.0), 1.0)))
    return out + [parse_setting(f) for f in fixes]


def waterfall(model: Model, p: Projection, by: str = "item") -> pd.DataFrame:
    """The change from the round's total to the projection: base, one step per item that moved, result."""
    ch = change_by(model, p, by)
    ch = ch[ch["change"].abs() > 1e-9]
    code = model.standards.drop_duplicates(by).set_index(by)[f"{by}_code"]
    names = [f"{code.get(n, '')} {n[:12]}{'…' if len(n) > 12 else ''}" for n in ch[by]]
    # with the minors' framework assessed, each framework's points count for its share of the total
    factor = ch[by].map(_weights(model, by)).astype(float).fillna(1.0)
    return pd.DataFrame({
        "label": ["基准总分"] + names + ["推演总分"],
        "measure": ["absolute"] + ["relative"] * len(ch) + ["total"],
        "value": [model.baseline.total] + (ch["change"] * factor).tolist() + [p.total],
    })


def _weights(model: Model, by: str) -> pd.Series:
    """What a point of each section or item is worth in the total: 1, or (1 − share) for the city's and share for
    the minors' when the round assessed the minors' framework."""
    s = model.standards
    if model.minors is None or model.minors[0] is None or "framework" not in s:
        return pd.Series(1.0, index=s[by].unique())
    share = float(model.minors[1])
    first = s.drop_duplicates(by)
    return pd.Series(np.where(first["framework"].eq("minors").to_numpy(bool), share, 1.0 - share),
                     index=first[by].to_numpy(), dtype=float)


def share_query(params: dict, settings: list[Setting]) -> str:
    """The query string of a link that opens this page with these settings (and the current filters)."""
    from urllib.parse import quote

    def enc(v: str) -> str:  # Chinese stays readable in the link; only URL syntax is escaped
        return "".join(c if ord(c) > 127 or c.isalnum() or c in "-_.~:;=," else quote(c) for c in str(v))

    q = {k: v for k, v in params.items() if k != "scenario"}
    if settings:
        q["scenario"] = format_scenario(settings)
    text = "&".join(f"{enc(k)}={enc(v)}" for k, v in q.items())
    return f"?{text}" if text else ""


def compare_table(model: Model, named: dict[str, str]) -> pd.DataFrame:
    """Scenarios side by side: total, change, rank and each section."""
    base = model.baseline
    cols = {"项目": ["推演总分", "比基准", "同组排名"] + list(dict.fromkeys(model.standards["section"])) + ["设定"]}
    for name, text in named.items():
        p = project_text(model, text)
        sec = change_by(model, p, "section").set_index("section")["earned_after"]
        cols[name] = [f"{p.total:.2f}", f"{p.total - base.total:+.2f}", f"第 {p.rank} 名" if p.rank else "—"] + \
            [f"{sec.get(s, 0.0):.2f}" for s in cols["项目"][3:-1]] + [text or "（无）"]
    return pd.DataFrame(cols)


_HELP = "\n".join([
    "**推演以所选测评轮次为基准**（左侧“测评轮次”），不做任何设定时与该轮成绩完全一致；算分与其他页面用同一套计分方法。",
    "",
    "- **设定达标率**：选一个范围并给出目标达标率，如“点位类型：农贸市场 90%”。该范围内每个测评观测的失分按同一比例补上，"
    "使范围整体达标率达到目标；已高于目标的不变，任何设定都不会降低得分。达标率按测评标准分值折算：单条标准即该标准达标率，"
    "测评项目、板块即其他页面显示的得分率。范围可以是测评标准、测评项目、板块、点位类型、问题类别（列出该类别的{field}标准）、"
    "街道（该街道的实地点位和问卷样本）、责任单位、问卷指标。{survey}类标准按指标计分，设定其中一条即设定它的指标"
    "（同指标的标准一起变化）。几个设定覆盖同一观测时取较高者。",
    "- **标记问题已整改**：把所选的未整改问题视为已整改。某街道某标准涉及的点位中，有 n 个点位的问题整改完成、"
    "该街道同类点位共 N 个，则该标准在该街道的达标率提高 n/N（最多到 100%）；本轮未抽到的街道和标准不影响得分。"
    "台账中没填测评标准的问题，计入列有其问题类别和点位类型的各条{field}标准。",
    "- **最省方案**：给出目标总分或目标名次（比该名次兄弟区县多 0.01 分），在“实地标准 × 街道 × 责任单位”、"
    "“{per_standard}标准”、“问卷指标 × 街道”这些整改项中求总工作量最小的组合。工作量按督查台账推算（以往整改用时、问题反复程度），"
    "办公室可在 `data/whatif_effort.yaml` 中调整；每项整改另计部署督办的固定工作量。",
    "- **分享与保存**：地址栏已带上当前设定（`?scenario=…`），复制链接即可分享；保存后可在下方并排比较各方案。",
])


def help_text(model: Model | None = None) -> str:
    """The page's help, naming the methods as the round's framework does (实地考察 or the office's own name;
    网上申报 / 材料审核 and 主管部门意见; 问卷调查 / 电话调查)."""
    std = model.standards if model is not None else None
    if std is None or std.empty:
        return _HELP.format(field="实地考察", per_standard="网上申报", survey="问卷")
    per = [n for n in (scoring.method_names(std, scoring.MATERIAL), scoring.method_names(std, scoring.OPINION)) if n]
    survey = scoring.method_names(std, scoring.SURVEY, "问卷调查")
    return _HELP.format(field=scoring.method_names(std, scoring.FIELD, "实地考察"),
                        per_standard="标准”、“".join(per) or "网上申报",
                        survey="问卷" if survey == "问卷调查" else survey)


HELP = help_text()
