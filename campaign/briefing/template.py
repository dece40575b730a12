"""The briefing's wording (data/briefing_template.yaml): loaded, checked, and filled with str.format_map.

The office edits the file; every ``{name}`` in it must be a placeholder the briefing computes. Filling never
evaluates anything: values are strings made in code, the template only says where they go.
"""
from __future__ import annotations

import difflib
import string
from dataclasses import dataclass
from pathlib import Path


from campaign.config import DATA_DIR, read_yaml

TEMPLATE_FILE = DATA_DIR / "briefing_template.yaml"

COMMON = ("district", "issuer", "week_number", "week_start", "week_end", "year", "issue_date")
OVERVIEW = ("inspections", "sites_visited", "found", "found_change_text", "found_change_word", "found_change",
            "found_change_pct", "per_100_sites", "deduction", "closed", "closed_change_text", "open",
            "open_change_text", "on_time_rate", "on_time_change_text", "median_days", "most_street",
            "most_street_found", "most_category", "most_category_found", "street_count")
SCORE = ("round_name", "round_date", "assessor", "total", "total_change_text", "rank", "ranked", "rank_change_text",
         "target_total", "target_gap_text", "target_rank", "weakest_section", "weakest_section_rate", "veto_text",
         "minors_text")
BOARDS = ("pass_rate", "below_pass", "assessed", "lost_total", "pareto_count", "top_boards", "top_board_names",
          "top1_code", "top1_name", "top1_lost", "top1_rate", "board_problems")
FLAGS = ("street_red", "street_yellow", "dept_red", "dept_yellow", "street_ranking_point", "dept_ranking_point",
         "street_first", "street_last", "flags", "street_lists_text", "dept_lists_text", "other_lists_text",
         "street_steady_text", "dept_steady_text", "talks_text")
OVERDUE = ("overdue", "overdue_change_text", "overdue_red", "overdue_yellow", "overdue_white", "overdue_max_days",
           "overdue_over_30", "overdue_departments", "overdue_top_department", "overdue_top_department_count",
           "overdue_listed")
REBOUNDS = ("rebounds", "rebounds_change_text", "rebound_rate", "rebound_sites", "rebound_top_site",
            "rebound_top_category", "rebound_top_count", "rebound_days")
PLACEHOLDERS: tuple[str, ...] = COMMON + OVERVIEW + SCORE + BOARDS + FLAGS + OVERDUE + REBOUNDS

PHRASES: dict[str, tuple[str, ...]] = {
    "count_more": ("n", "unit", "pct"), "count_less": ("n", "unit", "pct"), "count_same": ("unit",),
    "rate_up": ("n",), "rate_down": ("n",), "rate_same": (), "no_compare": (),
    "score_up": ("n",), "score_down": ("n",), "score_same": (), "score_first": (),
    "rank_up": ("n",), "rank_down": ("n",), "rank_same": (), "rank_first": (),
    "target_below": ("n", "target"), "target_reached": ("n", "target"),
}
SECTIONS: dict[str, str] = {"overview": "本周概况", "score": "模拟测评得分与排名", "shortboards": "短板指标",
                            "flags": "红黄榜", "overdue": "逾期未整改问题", "rebounds": "反弹问题",
                            "next_week": "下周工作重点"}
HEADER = ("issuer", "masthead", "issue_number", "title", "recipients", "closing")
FONTS = {"masthead": "方正小标宋简体", "title": "方正小标宋简体", "heading": "黑体", "body": "仿宋",
         "table": "仿宋", "latin": "Times New Roman"}


class TemplateError(ValueError):
    """The wording file is wrong; the message names the file, the place and the placeholder, in Chinese."""


@dataclass(frozen=True)
class SectionText:
    key: str
    heading: str
    paragraphs: tuple[str, ...]
    empty: tuple[str, ...]   # used instead of paragraphs when the section has nothing to report


@dataclass(frozen=True)
class Template:
    path: str
    header: dict[str, str]
    fonts: dict[str, str]
    phrases: dict[str, str]
    sections: dict[str, SectionText]


def load_template(path: Path | str = TEMPLATE_FILE) -> Template:
    """Read and check the wording file; any mistake raises TemplateError naming where it is."""
    path = Path(path)
    raw = read_yaml(path, "通报模板文件", TemplateError)
    if not isinstance(raw, dict):
        raise TemplateError(f"通报模板 {path.name} 应当包含 issuer、title、phrases、sections 等项")
    name = path.name
    header = {}
    for key in HEADER:
        allowed = tuple(p for p in COMMON if p != "issuer") if key == "issuer" else COMMON
        header[key] = _text(raw.get(key), f"{name} 的 {key}", allowed)
    fonts = dict(FONTS)
    for key, value in (raw.get("fonts") or {}).items():
        if key not in FONTS:
            raise TemplateError(f"{name} 的 fonts：没有“{key}”这一项，可用：{'、'.join(FONTS)}")
        if not isinstance(value, str) or not value.strip():
            raise TemplateError(f"{name} 的 fonts.{key}：应写字体名称，如“仿宋”")
        fonts[key] = value.strip()
    phrases_raw = raw.get("phrases")
    if not isinstance(phrases_raw, dict):
        raise TemplateError(f"{name}：缺少 phrases（较上周增加、减少等说法）")
    phrases = {k: _text(phrases_raw.get(k), f"{name} 的 phrases.{k}", allowed)
               for k, allowed in PHRASES.items()}
    for k in phrases_raw:
        if k not in PHRASES:
            raise TemplateError(f"{name} 的 phrases：没有“{k}”这一项，可用：{'、'.join(PHRASES)}")
    sections_raw = raw.get("sections")
    if not isinstance(sections_raw, dict):
        raise TemplateError(f"{name}：缺少 sections（一、本周概况 至 七、下周工作重点）")
    sections = {}
    for key, label in SECTIONS.items():
        block = sections_raw.get(key)
        where = f"{name} 的 sections.{key}（{label}）"
        if not isinstance(block, dict):
            raise TemplateError(f"{where}：缺少这一节")
        heading = _text(block.get("heading"), f"{where} 的 heading", COMMON)
        paragraphs = _list(block.get("paragraphs"), f"{where} 的 paragraphs", required=True)
        empty = _list(block.get("empty"), f"{where} 的 empty", required=False)
        sections[key] = SectionText(key, heading, paragraphs, empty)
    for key in sections_raw:
        if key not in SECTIONS:
            raise TemplateError(f"{name} 的 sections：没有“{key}”这一节，可用：{'、'.join(SECTIONS)}")
    return Template(str(path), header, fonts, phrases, sections)


def _list(value, where: str, required: bool) -> tuple[str, ...]:
    if value is None and not required:
        return ()
    if not isinstance(value, list) or (required and not value):
        raise TemplateError(f"{where}：应写成段落列表（每段一行，以“- ”开头）")
    return tuple(_text(v, f"{where} 第 {i} 段", PLACEHOLDERS) for i, v in enumerate(value, start=1))


def _text(value, where: str, allowed: tuple[str, ...]) -> str:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise TemplateError(f"{where}：不能为空")
    if not isinstance(value, (str, int, float)):
        raise TemplateError(f"{where}：应为一段文字")
    text = str(value).strip()
    check(text, where, allowed)
    return text


def check(text: str, where: str, allowed: tuple[str, ...]) -> None:
    """Every {name} in ``text`` is one of ``allowed``, without format spec or conversion."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        raise TemplateError(f"{where}：花括号不成对（“{text}”）；要写花括号本身请写成 {{{{ 和 }}}}") from None
    for _, field, spec, conversion in fields:
        if field is None:
            continue
        if field not in allowed:
            near = difflib.get_close_matches(field, allowed, n=1)
            hint = f"，是不是 {{{near[0]}}}？" if near else f"；这里可用：{'、'.join('{' + a + '}' for a in allowed)}"
            raise TemplateError(f"{where}：未知的占位符 {{{field}}}{hint}")
        if spec or conversion:
            raise TemplateError(f"{where}：占位符 {{{field}}} 后不能带格式（“:”或“!”），数字的写法由程序统一处理")


def fill(text: str, values: dict[str, str]) -> str:
    """The text with its placeholders replaced (the template was checked on load, so every name is known)."""
    return text.format_map(values)
