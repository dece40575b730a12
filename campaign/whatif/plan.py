"""推演 plans an office can act on: the cheapest plan starting from the rates the user has set, each action with
its owner (责任单位), its place (street, site types) and a target date; the plan as an Excel workbook; saved
scenarios in words and saved only over an existing name when asked.

Starting point
    The user's settings (``site_type:农贸市场=0.9`` …) are applied to the round first: each unit's value is
    lifted as the projection lifts it, and the optimizer works from there, so its actions are what is needed
    *beyond* what the user has already set, and its projected total counts both.

Target dates
    Every action starts on the plan's start day (today on the page). Its effort in days, rounded up, is its
    length in working days (official calendar: weekends, 法定节假日 and 调休). When the office has set the next
    assessment's date (``next_assessment`` in data/office.yaml), an action that would end on or after it is
    due on the last working day before it instead, and is marked 工期不足 with the working days it lacks.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass, replace as dc_replace
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd

from campaign.model import scoring
from campaign.model.calendar import add_working_days, covered, is_workday, working_days_between
from campaign.store import write_transaction
from campaign.whatif import display
from campaign.whatif.effort import Effort
from campaign.whatif.model import Model, _field_groups, build_model, lift_alpha, project
from campaign.whatif.saved import _ensure_scenarios, save_scenario
from campaign.whatif.settings import KINDS, Setting, WhatIfError, format_scenario, parse_scenario, settings_from_json
from campaign.whatif.solver import Plan, optimize

DISTRICT = "区级"


class ScenarioExists(WhatIfError):
    """A scenario of that name is already saved; saving again needs ``replace=True``."""


# ---------------------------------------------------------------------------------------------- start
def start_model(model: Model, settings: list[Setting]) -> Model:
    """The round as if the settings already held: every unit's value lifted as ``project`` lifts it."""
    if not settings:
        return model
    alpha, _, _ = lift_alpha(model, settings)
    value = np.where(alpha > 0, model.value + alpha * model.gap, model.value)
    m = dc_replace(model, value=value, baseline=None, _masks={})
    m.fix_groups, m.unit_group = _field_groups(m.units, value, m.share, m.ppv, m.standards, m.site_counts)
    m.baseline = project(m, [])
    return m


@dataclass
class ActionPlan:
    plan: Plan                      # the optimizer's plan, from the start below
    start: list[Setting]            # the user's settings it starts from (fixes and rates)
    observed_total: float           # the round as assessed
    start_total: float              # with the user's settings (= plan.baseline_total)

    @property
    def settings(self) -> list[Setting]:
        """The user's settings and then the plan's actions: the scenario that reaches the target."""
        taken = {s.key for s in self.plan.settings}
        return [s for s in self.start if s.fix or s.key not in taken] + self.plan.settings

    @property
    def message(self) -> str:
        if not self.start:
            return self.plan.message
        return f"从您设定的达标率出发（推演总分 {self.start_total:.2f}）：{self.plan.message}"


def plan_from(model: Model, settings: list[Setting], target_total: float | None = None,
              target_rank: int | None = None, effort: Effort | None = None,
              max_actions: int | None = None) -> ActionPlan:
    """The cheapest plan that reaches the target, starting from the user's settings (none: from the round)."""
    start = start_model(model, settings)
    plan = optimize(start, target_total, target_rank, effort=effort, max_actions=max_actions)
    return ActionPlan(plan, list(settings), model.baseline.total, start.baseline.total)


def plan_for(con: duckdb.DuckDBPyConnection, round_id: int | None = None, scenario: str = "",
             target_total: float | None = None, target_rank: int | None = None, max_actions: int | None = None,
             effort_stamp: float = 0.0) -> ActionPlan:
    """A plan for the page (cacheable: connection first, plain parameters; ``effort_stamp`` only keys the cache
    so that an edited effort file gives a new plan)."""
    model = build_model(con, round_id)
    settings, _ = model.validate(parse_scenario(scenario))
    return plan_from(model, settings, target_total, target_rank, max_actions=max_actions or None)


# ---------------------------------------------------------------------------------------------- dates
def last_working_day_before(day: date) -> date:
    d = day - timedelta(days=1)
    while not is_workday(d):
        d -= timedelta(days=1)
    return d


def target_dates(efforts, start: date, assessment: date | None = None) -> pd.DataFrame:
    """Per effort (days): working days, target date, and a note when the assessment comes first."""
    due = last_working_day_before(assessment) if assessment else None
    room = working_days_between(start, due) if due and due > start else 0
    rows = []
    for e in efforts:
        n = max(1, math.ceil(float(e) - 1e-9))
        end = add_working_days(start, n)
        note = ""
        if due is not None and end > due:
            end = max(due, start)
            note = f"工期不足：需 {n} 个工作日，测评前只有 {room} 个"
        rows.append((n, end, note))
    return pd.DataFrame(rows, columns=["days", "due", "note"])


def calendar_note(start: date, assessment: date | None) -> str:
    """What the dates assume, in a sentence for the page and the workbook."""
    end = assessment or start
    parts = [f"各项自 {start:%Y-%m-%d} 同时开工，按工作量折算工作日（跳过周末和法定节假日）"]
    if assessment:
        parts.append(f"下次测评 {assessment:%Y-%m-%d}，完成时限不晚于其前一个工作日")
    else:
        parts.append("未设定下次测评日期（本办设置 next_assessment），完成时限只按工作量排")
    if not (covered(start) and covered(end)):
        parts.append(f"{max(start, end).year}年的法定节假日安排尚未收录，该年按周一至周五计")
    return "；".join(parts) + "。"


# ---------------------------------------------------------------------------------------------- the table
def _place(model: Model, a: pd.Series) -> tuple[str, str]:
    """The street and the site types an action works in (material, opinion and survey actions: the method's own
    name, 网上申报 / 主管部门意见 / 问卷调查 …)."""
    street = a["street"] if isinstance(a["street"], str) and a["street"] else DISTRICT
    kind = a.get("kind") or scoring.CLASSIC_KINDS.get(a["method"])
    if kind == scoring.FIELD and a["standard_code"]:
        types = model.standards.set_index("code")["site_types"].get(a["standard_code"])
        return street, "、".join(types if types is not None else [])
    return street, str(a["method"])


def action_table(model: Model, ap: ActionPlan, start: date, assessment: date | None = None) -> pd.DataFrame:
    """The plan's actions as the office assigns them: owner, place, what, from/to rate, points, effort, date."""
    plan = ap.plan
    a = plan.actions
    base = display.plan_table(model, plan)
    places = [_place(model, r) for _, r in a.iterrows()]
    dates = target_dates(a["effort"], start, assessment)
    return pd.DataFrame({
        "序号": range(1, len(a) + 1), "责任单位": base["责任单位"].fillna("（未定）"),
        "街道": [p[0] for p in places], "点位类型": [p[1] for p in places], "整改项": base["整改项"],
        "完成时限": dates["due"], "工作日": dates["days"],
        "当前达标率": base["当前达标率"], "目标达标率": base["目标达标率"], "增分": base["增分"],
        f"工作量（{plan.effort_unit}）": base[f"工作量（{plan.effort_unit}）"], "测评方式": base["测评方式"],
        "备注": dates["note"]})


# ---------------------------------------------------------------------------------------------- words
def _rate_words(rate: float) -> str:
    return f"{100 * rate:.1f}".rstrip("0").rstrip(".") + "%"


def _terms_words(model: Model | None, terms) -> str:
    names = {}
    if model is not None:
        s = model.standards
        names = {"standard": dict(zip(s["code"], s["name"])), "item": dict(zip(s["item_code"], s["item"])),
                 "section": dict(zip(s["section_code"], s["section"]))}
    out = []
    for kind, value in terms:
        nm = names.get(kind, {}).get(value)
        if kind == "standard":
            out.append(f"{value} {nm[:14]}{'…' if len(nm) > 14 else ''}" if nm else value)
        elif kind in ("section", "item"):
            out.append(str(nm) if nm else f"{KINDS[kind]}{value}")
        else:
            out.append(value)
    return " ".join(out)


def setting_words(setting: Setting, model: Model | None = None) -> str:
    """``site_type:农贸市场=0.9`` → 农贸市场 达标率 90%; ``fix:street:北关街道`` → 北关街道 未整改问题全部整改."""
    if setting.fix:
        return "全部未整改问题整改" if not setting.terms else f"{_terms_words(model, setting.terms)} 未整改问题全部整改"
    return f"{_terms_words(model, setting.terms)} 达标率 {_rate_words(setting.rate)}"


def scenario_words(text: str, model: Model | None = None) -> str:
    """A saved scenario's settings in words, one after another (none: 无设定)."""
    try:
        settings = parse_scenario(text)
    except WhatIfError:
        return text
    return "；".join(setting_words(s, model) for s in settings) or "无设定"


def saved_table(saved: pd.DataFrame, model: Model | None = None) -> pd.DataFrame:
    """Saved scenarios for the page: name, settings in words, who saved them and when."""
    return pd.DataFrame({"方案": saved["name"], "设定": [scenario_words(t, model) for t in saved["text"]],
                         "保存人": saved["created_by"].fillna(""),
                         "保存时间": pd.to_datetime(saved["created_at"]).dt.strftime("%Y-%m-%d %H:%M")})


# ---------------------------------------------------------------------------------------------- saving
def save(con: duckdb.DuckDBPyConnection, name: str, settings: list[Setting] | str, by: str = "",
         replace: bool = False) -> None:
    """Save a scenario; an existing name is kept unless ``replace`` (then ``ScenarioExists`` says so)."""
    clean = (name or "").strip()
    if clean and not replace:
        with write_transaction(con) as cur:
            _ensure_scenarios(cur)
            found = cur.execute("SELECT settings FROM store.scenarios WHERE name = ?", [clean]).fetchone()
        if found:
            old = format_scenario(settings_from_json(found[0]))
            raise ScenarioExists(f"已有名为“{clean}”的方案（{scenario_words(old)}）")
    save_scenario(con, name, settings, by=by)


# ---------------------------------------------------------------------------------------------- Excel
def workbook(model: Model, ap: ActionPlan, table: pd.DataFrame, note: str, made: datetime | None = None) -> bytes:
    """The plan as an .xlsx: 整改方案 (one row per action), 按责任单位, 说明 (target, start, dates)."""
    plan = ap.plan
    unit = f"工作量（{plan.effort_unit}）"
    by_dept = table.groupby("责任单位", sort=False).agg(
        项数=("序号", "size"), 增分=("增分", "sum"), 工作量=(unit, "sum"), 最晚完成=("完成时限", "max"),
        工期不足=("备注", lambda s: int((s != "").sum()))).reset_index()
    by_dept = by_dept.rename(columns={"工作量": unit}).round({"增分": 3, unit: 1})
    target = (f"第 {int(plan.target_value)} 名（需 {plan.required_total:.2f} 分）" if plan.target_kind == "rank"
              else f"{plan.target_value:.2f} 分")
    about = pd.DataFrame({"项目": ["测评轮次", "目标", "方案起点", "测评得分", "起点推演总分", "方案推演总分",
                                 "整改项数", f"总工作量（{plan.effort_unit}）", "完成时限", "结论", "生成时间"],
                          "内容": [model.round_name, target,
                                 scenario_words(format_scenario(ap.start), model) if ap.start
                                 else "按本轮测评实际达标率", f"{ap.observed_total:.2f}", f"{ap.start_total:.2f}",
                                 f"{plan.projected.total:.2f}" if plan.projected else "—", str(len(table)),
                                 f"{plan.total_effort:.1f}", note, ap.message,
                                 f"{(made or datetime.now()):%Y-%m-%d %H:%M}"]})
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter", date_format="yyyy-mm-dd", datetime_format="yyyy-mm-dd",
                        engine_kwargs={"options": {"strings_to_formulas": False}}) as xw:
        for sheet, df, widths in (("整改方案", table, [5, 18, 12, 14, 40, 11, 7, 10, 10, 8, 11, 9, 34]),
                                  ("按责任单位", by_dept, [18, 6, 8, 11, 11, 8]),
                                  ("说明", about, [14, 90])):
            df.to_excel(xw, sheet_name=sheet, index=False)
            ws = xw.sheets[sheet]
            ws.freeze_panes(1, 0)
            for i, w in enumerate(widths[:len(df.columns)]):
                ws.set_column(i, i, w)
    return buf.getvalue()


def compare_table(model: Model, named: dict[str, str]) -> pd.DataFrame:
    """Scenarios side by side (``display.compare_table``) with each one's settings in words."""
    t = display.compare_table(model, named)
    row = t.index[t["项目"].eq("设定")]
    for name, text in named.items():
        t.loc[row, name] = scenario_words(text, model) if text else "（无）"
    return t
