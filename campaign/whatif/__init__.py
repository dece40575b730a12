"""推演 (what-if): where the total and the rank land when achievement rates change, and the cheapest fixes
that reach a target. The code lives in the modules of this package; every name the app, the command line and
the tests use is importable from ``campaign.whatif`` itself."""
from campaign.whatif.model import (  # noqa: F401
    EDITOR_KEY, EDITOR_RATE, EFFORT_FILE, FIELD, FIX_ALL, HELP, KINDS, NEED_MARGIN, ONLINE, PLAN_COLUMNS,
    RANK_MARGIN, SURVEY, Effort, Model, Plan, Projection, Setting, Terms, WhatIfError, _ensure_scenarios,
    _field_groups, actions, benchmark, build_model, change_by, compare_table, delete_scenario, editor_frame,
    effects_table, effort_stamp, fix_options, format_scenario, key_options, key_text, label, latest_round,
    lift_alpha, load_effort, optimize, parse_key, parse_rate, parse_scenario, parse_setting, plan_by_department,
    plan_for, plan_table, project, project_text, required_total, result_json, run_cli, save_scenario,
    scenario_json, scenarios, section_table, settings_from_editor, settings_from_json, share_query, solve,
    waterfall,
)
