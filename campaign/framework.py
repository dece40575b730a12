"""The assessment framework (测评体系) is data: load and validate ``data/framework.yaml``."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from campaign.config import FRAMEWORK_FILE, read_yaml

METHODS = ("网上申报", "实地考察", "问卷调查")
INDICATORS = ("知晓率", "支持率", "参与率", "满意度")
# negative-list sanctions: points deducted, or one of three that fail the city outright (treated as a veto)
SANCTIONS = ("扣分", "暂停提名资格", "暂停称号一年", "撤销称号")
NEGATIVE_COLUMNS = ["code", "name", "deduction", "veto", "sanction", "window_months", "department", "when_applying"]
TOLERANCE = 0.005


class FrameworkError(ValueError):
    """The framework file is wrong; the message says where, in Chinese."""


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

    @property
    def max_base(self) -> float:
        return float(self.standards["points"].sum())


STANDARD_COLUMNS = [
    "code", "section_code", "section", "item_code", "item", "content_code", "content",
    "name", "method", "points", "site_types", "categories", "indicator", "department", "sort_order",
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
    shares = {str(k): float(v) for k, v in (raw.get("method_shares") or {}).items()}
    for m in shares:
        if m not in METHODS:
            errors.append(f"method_shares 中的测评方式“{m}”未知，应为：{'、'.join(METHODS)}")
    weights = [float(w) for w in raw.get("year_weights") or [0.15, 0.25, 0.60]]
    if abs(sum(weights) - 1) > 1e-6:
        errors.append(f"year_weights 三年权重之和应为 1，实际为 {sum(weights):g}")

    rows: list[dict] = []
    seen: dict[str, str] = {}
    order = 0

    def check_code(code: str, where: str) -> None:
        if not code:
            errors.append(f"{where}：缺少编码 code")
        elif code in seen:
            errors.append(f"{where}：编码 {code} 重复（已用于 {seen[code]}）")
        else:
            seen[code] = where

    for s in raw.get("sections") or []:
        s_code, s_name = str(s.get("code", "")), str(s.get("name", ""))
        check_code(s_code, f"板块“{s_name}”")
        for it in s.get("items") or []:
            i_code, i_name = str(it.get("code", "")), str(it.get("name", ""))
            check_code(i_code, f"测评项目“{i_name}”")
            for ct in it.get("contents") or []:
                c_code, c_name = str(ct.get("code", "")), str(ct.get("name", ""))
                check_code(c_code, f"测评内容“{c_name}”")
                for st in ct.get("standards") or []:
                    code = str(st.get("code", ""))
                    where = f"测评标准 {code or '（无编码）'}"
                    check_code(code, where)
                    method = str(st.get("method", ""))
                    if method not in METHODS:
                        errors.append(f"{where}：测评方式“{method}”未知，应为：{'、'.join(METHODS)}")
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
                    if method == "实地考察" and not sts:
                        errors.append(f"{where}：实地考察标准须列出点位类型 site_types")
                    indicator = st.get("indicator")
                    if method == "问卷调查" and indicator not in INDICATORS:
                        errors.append(f"{where}：问卷调查标准的指标 indicator 应为：{'、'.join(INDICATORS)}")
                    order += 1
                    rows.append(dict(
                        code=code, section_code=s_code, section=s_name, item_code=i_code, item=i_name,
                        content_code=c_code, content=c_name, name=str(st.get("name", "")), method=method,
                        points=points, site_types=sts, categories=cats,
                        indicator=str(indicator) if indicator else None,
                        department=str(st.get("department", "")), sort_order=order,
                    ))
    if not rows:
        errors.append("测评体系中没有任何测评标准（sections → items → contents → standards）")
    standards = pd.DataFrame(rows, columns=STANDARD_COLUMNS)
    if rows and shares:
        sums = standards.groupby("method")["points"].sum()
        for m, share in shares.items():
            got = float(sums.get(m, 0.0))
            if abs(got - share) > TOLERANCE:
                errors.append(f"分值不平衡：{m}类标准分值合计 {got:.2f}，应为 {share:g}")

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
        standards=standards, bonus=bonus, negative=negative, source=source,
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
