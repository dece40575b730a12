"""The assessment framework (测评体系) is data: load and validate ``data/framework.yaml``.

The file holds the city framework and, when the office adds it, the minors' framework (未成年人思想道德建设) in
the same shape, each out of 100, with the minors' share of the total and the line below which a city may not
apply; the methods of assessment and the kind of each (field, material, survey, opinion) are declared in the
file too (the classic three when it declares none)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from campaign.config import FRAMEWORK_FILE, read_yaml

METHODS = ("网上申报", "实地考察", "问卷调查")      # the methods a file that declares none has
METHOD_KINDS = {"field": "实地考察类（须列点位类型）", "material": "材料审核类", "survey": "问卷调查类（须写指标）",
                "opinion": "部门意见类"}
DEFAULT_METHODS = {"网上申报": "material", "实地考察": "field", "问卷调查": "survey"}
FRAMEWORKS = {"city": "城市测评体系", "minors": "未成年人思想道德建设测评体系"}
INDICATORS = ("知晓率", "支持率", "参与率", "满意度")
# negative-list sanctions: points deducted, or one of three that fail the city outright (treated as a veto)
SANCTIONS = ("扣分", "暂停提名资格", "暂停称号一年", "撤销称号")
NEGATIVE_COLUMNS = ["code", "name", "deduction", "veto", "sanction", "window_months", "department", "when_applying"]
TOLERANCE = 0.005


class FrameworkError(ValueError):
    """The framework file is wrong; the message says where, in Chinese."""


@dataclass(frozen=True)
class MinorsPart:
    """The minors' framework's place in the total: its share (0.2 = 20 %) and the line (85) below which a city
    may not apply."""
    name: str
    share: float
    gate: float


@dataclass
class Framework:
    name: str
    version: str
    method_shares: dict[str, float]
    year_weights: list[float]
    pass_rate: float
    bonus_cap: float
    site_types: list[str]
    categories: list[str]
    standards: pd.DataFrame
    bonus: pd.DataFrame
    negative: pd.DataFrame
    source: str = field(default="")
    methods: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_METHODS))  # method → kind
    minors: MinorsPart | None = None

    @property
    def max_base(self) -> float:
        return float(self.standards.loc[self.standards["framework"].eq("city"), "points"].sum())


STANDARD_COLUMNS = [
    "code", "section_code", "section", "item_code", "item", "content_code", "content",
    "name", "method", "points", "site_types", "categories", "indicator", "department", "sort_order",
    "framework", "methods", "method_kind",
]


def load_framework(path: Path | str = FRAMEWORK_FILE) -> Framework:
    path = Path(path)
    raw = read_yaml(path, "测评体系文件", FrameworkError)
    return parse_framework(raw, source=path.name)


def parse_framework(raw: dict, source: str = "framework.yaml") -> Framework:
    """Turn the parsed YAML into a Framework, raising FrameworkError naming every problem found."""
    if not isinstance(raw, dict):
        raise FrameworkError(f"{source}：文件内容应为键值结构（name、sections 等）")
    errors: list[str] = []
    site_types = [str(s) for s in raw.get("site_types") or []]
    categories = [str(c) for c in raw.get("categories") or []]
    methods = _methods(raw.get("methods"), errors)
    shares = _shares(raw.get("method_shares"), methods, "method_shares", errors)
    weights = [float(w) for w in raw.get("year_weights") or [0.15, 0.25, 0.60]]
    if abs(sum(weights) - 1) > 1e-6:
        errors.append(f"year_weights 三年权重之和应为 1，实际为 {sum(weights):g}")

    rows: list[dict] = []
    seen: dict[str, str] = {}

    def check_code(code: str, where: str) -> None:
        if not code:
            errors.append(f"{where}：缺少编码 code")
        elif code in seen:
            errors.append(f"{where}：编码 {code} 重复（已用于 {seen[code]}）")
        else:
            seen[code] = where

    _standards(raw.get("sections") or [], "city", "", methods, site_types, categories, rows, check_code, errors)
    minors = None
    mraw = raw.get("minors")
    if mraw is not None:
        minors, mshares = _minors(mraw, methods, errors)
        before = len(rows)
        _standards(mraw.get("sections") or [] if isinstance(mraw, dict) else [], "minors", "未成年人测评体系 ",
                   methods, site_types, categories, rows, check_code, errors)
        if len(rows) == before:
            errors.append("minors（未成年人测评体系）中没有任何测评标准（sections → items → contents → standards）")
        m_std = pd.DataFrame(rows[before:], columns=STANDARD_COLUMNS)
        _balance(m_std, mshares, "未成年人测评体系 ", errors)
        if len(m_std) and abs(float(m_std["points"].sum()) - 100) > TOLERANCE:
            errors.append(f"未成年人测评体系分值合计 {float(m_std['points'].sum()):.2f}，应为 100")
    if not rows:
        errors.append("测评体系中没有任何测评标准（sections → items → contents → standards）")
    standards = pd.DataFrame(rows, columns=STANDARD_COLUMNS)
    _balance(standards[standards["framework"].eq("city")], shares, "", errors)

    bonus = pd.DataFrame(
        [dict(code=str(b.get("code", "")), name=str(b.get("name", "")), points=float(b.get("points", 1)))
         for b in raw.get("bonus") or []], columns=["code", "name", "points"])
    neg_rows = []
    for n in raw.get("negative") or []:
        code = str(n.get("code", ""))
        check_code(code, f"负面清单“{n.get('name', '')}”")
        neg_rows.append(_negative(n, code, errors))
    for b in bonus.itertuples():
        check_code(b.code, f"加分项“{b.name}”")
    negative = pd.DataFrame(neg_rows, columns=NEGATIVE_COLUMNS)

    if errors:
        head = f"测评体系文件 {source} 有 {len(errors)} 处问题：\n"
        raise FrameworkError(head + "\n".join(f"  - {e}" for e in errors))
    return Framework(
        name=str(raw.get("name", "测评体系")), version=str(raw.get("version", "")),
        method_shares=shares, year_weights=weights, pass_rate=float(raw.get("pass_rate", 0.8)),
        bonus_cap=float(raw.get("bonus_cap", 6)), site_types=site_types, categories=categories,
        standards=standards, bonus=bonus, negative=negative, source=source, methods=methods, minors=minors,
    )


def _negative(n: dict, code: str, errors: list[str]) -> dict:
    """One negative-list item: its sanction (扣分 with points, or a sanction that fails the city: 暂停提名资格,
    暂停称号一年, 撤销称号), the months before a test in which an event counts (window_months, default 12), the
    unit that owns the risk (department) and the sanction when the event falls before applying (when_applying)."""
    where = f"负面清单 {code}"
    veto = bool(n.get("veto", False))
    ded = n.get("deduction", 0)
    try:
        ded = float(ded or 0)
    except (TypeError, ValueError):
        errors.append(f"{where}：扣分 deduction 应为数字，实际为“{ded}”")
        ded = 0.0
    sanction = n.get("sanction")
    if sanction is None:
        sanction = "暂停提名资格" if veto else "扣分"
    sanction = str(sanction)
    if sanction not in SANCTIONS:
        errors.append(f"{where}：处理方式 sanction“{sanction}”未知，应为：{'、'.join(SANCTIONS)}")
    if sanction == "扣分" and ded <= 0:
        errors.append(f"{where}：须给出扣分 deduction 或标明一票否决 veto: true（或写明 sanction）")
    if veto and sanction == "扣分":
        errors.append(f"{where}：veto: true 与 sanction: 扣分 矛盾")
    window = n.get("window_months", 12)
    if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= 60:
        errors.append(f"{where}：计入期限 window_months 应为 1 到 60 之间的整数（月），实际为“{window}”")
        window = 12
    applying = n.get("when_applying")
    if applying is not None and str(applying) not in SANCTIONS:
        errors.append(f"{where}：申报前发生时的处理 when_applying“{applying}”未知，应为：{'、'.join(SANCTIONS)}")
    return dict(code=code, name=str(n.get("name", "")), deduction=ded if sanction == "扣分" else 0.0,
                veto=sanction != "扣分", sanction=sanction, window_months=int(window),
                department=str(n.get("department") or ""), when_applying=str(applying) if applying else None)


def _methods(raw, errors: list[str]) -> dict[str, str]:
    """The file's ``methods``: {测评方式: kind}; the classic three when it declares none."""
    if raw is None:
        return dict(DEFAULT_METHODS)
    if not isinstance(raw, dict) or not raw:
        errors.append("methods 应写成“测评方式: 类型”的列表，如 实地考察: field")
        return dict(DEFAULT_METHODS)
    out = {}
    for name, kind in raw.items():
        if str(kind) not in METHOD_KINDS:
            errors.append(f"methods 中测评方式“{name}”的类型“{kind}”未知，应为："
                          + "、".join(f"{k}（{v}）" for k, v in METHOD_KINDS.items()))
        out[str(name)] = str(kind)
    return out


def _shares(raw, methods: dict[str, str], where: str, errors: list[str]) -> dict[str, float]:
    out = {}
    for m, v in (raw or {}).items():
        if str(m) not in methods:
            errors.append(f"{where} 中的测评方式“{m}”未知，应为：{'、'.join(methods)}")
        try:
            out[str(m)] = float(v)
        except (TypeError, ValueError):
            errors.append(f"{where} 中“{m}”的分值“{v}”不是数字")
    return out


def _balance(standards: pd.DataFrame, shares: dict[str, float], label: str, errors: list[str]) -> None:
    if len(standards) and shares:
        sums = standards.groupby("method")["points"].sum()
        for m, share in shares.items():
            got = float(sums.get(m, 0.0))
            if abs(got - share) > TOLERANCE:
                errors.append(f"{label}分值不平衡：{m}类标准分值合计 {got:.2f}，应为 {share:g}")


def _minors(raw, methods: dict[str, str], errors: list[str]) -> tuple[MinorsPart | None, dict[str, float]]:
    """The ``minors`` block's head: name, share of the total (default 0.2), gate (default 85), method shares."""
    if not isinstance(raw, dict):
        errors.append("minors（未成年人测评体系）应写成 name / share / gate / sections 等几项")
        return None, {}
    share, gate = raw.get("share", 0.2), raw.get("gate", 85)
    try:
        share = float(share)
        if not 0 < share < 1:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(f"minors 的 share（占总成绩比重）应在 0 到 1 之间，如 0.2，实际为“{raw.get('share')}”")
        share = 0.2
    try:
        gate = float(gate)
        if not 0 <= gate <= 100:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(f"minors 的 gate（申报线）应在 0 到 100 之间，如 85，实际为“{raw.get('gate')}”")
        gate = 85.0
    shares = _shares(raw.get("method_shares"), methods, "minors 的 method_shares", errors)
    return MinorsPart(str(raw.get("name") or FRAMEWORKS["minors"]), share, gate), shares


def _standards(sections, framework: str, label: str, methods: dict[str, str], site_types: list[str],
               categories: list[str], rows: list[dict], check_code, errors: list[str]) -> None:
    """Read one framework's sections → items → contents → standards into ``rows``."""
    for s in sections:
        s_code, s_name = str(s.get("code", "")), str(s.get("name", ""))
        check_code(s_code, f"{label}板块“{s_name}”")
        for it in s.get("items") or []:
            i_code, i_name = str(it.get("code", "")), str(it.get("name", ""))
            check_code(i_code, f"{label}测评项目“{i_name}”")
            for ct in it.get("contents") or []:
                c_code, c_name = str(ct.get("code", "")), str(ct.get("name", ""))
                check_code(c_code, f"{label}测评内容“{c_name}”")
                for st in ct.get("standards") or []:
                    rows.append(_standard(st, framework, label, methods, site_types, categories, check_code, errors,
                                          (s_code, s_name, i_code, i_name, c_code, c_name), len(rows) + 1))


def _standard(st: dict, framework: str, label: str, methods: dict[str, str], site_types: list[str],
              categories: list[str], check_code, errors: list[str], tree: tuple, order: int) -> dict:
    code = str(st.get("code", ""))
    where = f"{label}测评标准 {code or '（无编码）'}"
    check_code(code, where)
    method = str(st.get("method", ""))
    if method not in methods:
        errors.append(f"{where}：测评方式“{method}”未知，应为：{'、'.join(methods)}")
    listed = st.get("methods")
    if listed is None:
        all_methods = [method]
    elif not isinstance(listed, list) or not listed:
        errors.append(f"{where}：methods 应为测评方式的列表，如 [网上申报, 问卷调查]")
        all_methods = [method]
    else:
        all_methods = [str(x) for x in listed]
        for x in all_methods:
            if x not in methods:
                errors.append(f"{where}：methods 中的测评方式“{x}”未知，应为：{'、'.join(methods)}")
        if method not in all_methods:
            all_methods.insert(0, method)
    kind = methods.get(method, "")
    try:
        points = float(st.get("points"))
        if points <= 0:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(f"{where}：分值 points 应为正数，实际为“{st.get('points')}”")
        points = 0.0
    sts = [str(x) for x in st.get("site_types") or []]
    cats = [str(x) for x in st.get("categories") or []]
    for x in sts:
        if x not in site_types:
            errors.append(f"{where}：点位类型“{x}”不在 site_types 列表中")
    for x in cats:
        if x not in categories:
            errors.append(f"{where}：问题类别“{x}”不在 categories 列表中")
    if kind == "field" and not sts:
        errors.append(f"{where}：{method}标准须列出点位类型 site_types")
    indicator = st.get("indicator")
    if kind == "survey" and indicator not in INDICATORS:
        errors.append(f"{where}：{method}标准的指标 indicator 应为：{'、'.join(INDICATORS)}")
    s_code, s_name, i_code, i_name, c_code, c_name = tree
    return dict(code=code, section_code=s_code, section=s_name, item_code=i_code, item=i_name, content_code=c_code,
                content=c_name, name=str(st.get("name", "")), method=method, points=points, site_types=sts,
                categories=cats, indicator=str(indicator) if indicator else None,
                department=str(st.get("department", "")), sort_order=order, framework=framework,
                methods=all_methods, method_kind=kind)
