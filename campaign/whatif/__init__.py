"""推演 (what-if): where the total and the rank land when achievement rates change, and the cheapest fixes
that reach a target.

The model is built once per round from the round's observations (``round_observations``) and survey rows.
Every projection changes only those inputs and goes through ``scoring.standard_rates`` / ``round_total``,
so a scenario without settings reproduces the round exactly.

Units and rates
    A *unit* is one observation row (a field site × standard, or a material or opinion standard) or one survey row
    (street × indicator). Each unit carries its share of framework points: an observation of standard s
    holds points_s × max / Σmax_s, a survey row holds Σ points of the standards of its indicator × w / Σw.
    The achievement rate of any set of units is Σ earned / Σ share, i.e. framework points weighted; for one
    standard it is the standard's rate, for an item or section it is the rate the other pages show.

Settings (a scenario is a list of them)
    ``KEY=RATE`` raises the units matching KEY to a joint rate of at least RATE by closing the same share
    α = (RATE − r) / (1 − r) of every unit's gap (r = the units' current rate; nothing is ever lowered).
    KEY is one term or several joined by "," (all must hold):

    ======================  =================================================================================
    ``B2.1.3``              a standard (survey standards: the rows of their indicator, shared by every
                            standard of that indicator, since the survey is scored per indicator)
    ``section:A``           a section (code or name): its standards' units
    ``item:A1``             an item (code or name): its standards' units
    ``category:占道经营``    field standards listing that problem category
    ``site_type:农贸市场``   field observations at sites of that type
    ``street:北关街道``      field observations in that street and the street's survey rows
    ``department:区商务局``  observations owned by that department (field, material and opinion)
    ``indicator:满意度``     survey rows of that indicator
    ======================  =================================================================================

    ``fix:KEY`` marks the open problems matching KEY (same terms, matched on the problem's own street,
    department, category, site type and standard; ``fix:all`` = every open problem) as fixed. For each
    field standard s and street t, fixing open problems at n distinct sites of the street, out of the N sites
    of s's site types there, raises the rate of s's observations in t by n / N (at most to 100 %): the
    round's sample stands for the street's sites. Problems without a standard count for every field standard
    listing their category and site type.

    When several settings touch a unit, the largest α applies; so raising any rate never lowers the total.

Optimizer
    Actions partition the units by their method's kind (the framework file names the methods and their kinds):
    field standard × street × department; material or opinion standard (网上申报 / 材料审核, 主管部门意见 …);
    survey indicator × street (every survey-kind method of an indicator, 问卷调查, 电话调查 …, takes the survey
    table's rate of that indicator, so they move together). An action carries its method's own name. Action a closes α_a ∈ [0, cap_a] of its gap, gains α_a × lost_a points and costs
    α_a × effort_a + fixed × y_a (y_a = 1 when the action is taken). HiGHS solves the mixed-integer program
    min Σ cost s.t. Σ gain ≥ required − baseline, optional per-department capacity and at most K actions.
    Effort defaults come from the ledger (data/whatif_effort.yaml explains how and lets the office override).
"""
from __future__ import annotations

# Every name the app, the command line, the benchmark and the tests use, importable from campaign.whatif itself.
# The modules: settings (keys and scenarios) → model (the round, projection) → effort, candidates (the actions and
# their effort) → solver (the cheapest plan) → saved, display, cli; plan (owners, places, dates, workbook) on top.
from campaign.whatif.candidates import actions
from campaign.whatif.cli import benchmark, result_json, run_cli
from campaign.whatif.display import (
    EDITOR_KEY, EDITOR_RATE, HELP, change_by, compare_table, editor_frame, effects_table, fix_options, help_text,
    key_options, label, plan_by_department, plan_table, section_table, settings_from_editor, share_query, waterfall,
)
from campaign.whatif.effort import EFFORT_FILE, Effort, effort_stamp, load_effort
from campaign.whatif.model import (
    Model, Projection, _field_groups, build_model, latest_round, lift_alpha, project, project_text,
)
from campaign.whatif.saved import _ensure_scenarios, delete_scenario, save_scenario, scenarios
from campaign.whatif.settings import (
    FIELD, FIX_ALL, KINDS, ONLINE, SURVEY, Setting, Terms, WhatIfError, format_scenario, key_text, parse_key,
    parse_rate, parse_scenario, parse_setting, scenario_json, settings_from_json,
)
from campaign.whatif.solver import (
    NEED_MARGIN, PLAN_COLUMNS, RANK_MARGIN, Plan, optimize, plan_for, required_total, solve,
)

__all__ = [
    "EDITOR_KEY", "EDITOR_RATE", "EFFORT_FILE", "FIELD", "FIX_ALL", "HELP", "KINDS", "NEED_MARGIN", "ONLINE",
    "PLAN_COLUMNS", "RANK_MARGIN", "SURVEY", "Effort", "Model", "Plan", "Projection", "Setting", "Terms",
    "WhatIfError", "_ensure_scenarios", "_field_groups", "actions", "benchmark", "build_model", "change_by",
    "compare_table", "delete_scenario", "editor_frame", "effects_table", "effort_stamp", "fix_options",
    "format_scenario", "help_text", "key_options", "key_text", "label", "latest_round", "lift_alpha", "load_effort",
    "optimize", "parse_key", "parse_rate", "parse_scenario", "parse_setting", "plan_by_department", "plan_for", "plan_table",
    "project", "project_text", "required_total", "result_json", "run_cli", "save_scenario", "scenario_json",
    "scenarios", "section_table", "settings_from_editor", "settings_from_json", "share_query", "solve", "waterfall",
]
