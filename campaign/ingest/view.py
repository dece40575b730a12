"""Tables the 数据导入 page shows, built from import results (no Streamlit here)."""
from __future__ import annotations

import pandas as pd

from campaign.ingest.engine import ImportResult
from campaign.ingest.mapping import KINDS
from campaign.ingest.names import ENTITY_LABELS

KEEP, NEW = "暂不处理", "确认是新名称"


def metrics(res: ImportResult) -> list[tuple[str, int, str]]:
    """(label, value, help) for the counts row."""
    return [
        ("新增", res.accepted, "库里原来没有的行"),
        ("更新", res.updated, "同一问题（同一编号或同一日期、点位、类别、描述）状态、完成日期等有变化，旧版本保留在历史中"),
        ("未变", res.unchanged, "库里已有、内容相同的行"),
        ("重复", res.duplicates, "与文件中另一行完全相同的行，只算一次"),
        ("隔离", res.quarantined, "有错误或缺必填项的行，整行未导入，见下方清单"),
        ("跳过", res.skipped, "空行、合计/小计行、说明行"),
    ]


def mapping_table(res: ImportResult) -> pd.DataFrame:
    rows = []
    for s in res.sheets:
        for header, label in s.columns.items():
            rows.append({"工作表": s.name, "表头行": "、".join(str(r) for r in s.header_rows), "文件中的表头": header,
                         "对应字段": label})
        for header in s.unmapped:
            rows.append({"工作表": s.name, "表头行": "、".join(str(r) for r in s.header_rows), "文件中的表头": header,
                         "对应字段": "（未使用）"})
    return pd.DataFrame(rows, columns=["工作表", "表头行", "文件中的表头", "对应字段"])


def flags_table(results: list[ImportResult]) -> pd.DataFrame:
    """One row per name to confirm, with the choices the office has."""
    seen, rows = set(), []
    for res in results:
        for f in res.name_flags:
            if (f.entity, f.name) in seen:
                continue
            seen.add((f.entity, f.name))
            rows.append({"类型": ENTITY_LABELS[f.entity], "文件中的写法": f.name, "行数": f.rows,
                         "可能是": f.suggestion, "处理": KEEP, "_entity": f.entity})
    return pd.DataFrame(rows, columns=["类型", "文件中的写法", "行数", "可能是", "处理", "_entity"])


def fix_choice(suggestion: str) -> str:
    return f"改为「{suggestion}」"


def decisions(edited: pd.DataFrame) -> list[tuple[str, str, str]]:
    """(entity, name, canonical) for the rows the office decided: a correction, or the name confirmed as new."""
    out = []
    for r in edited.to_dict("records"):
        if r["处理"] == NEW:
            out.append((r["_entity"], r["文件中的写法"], r["文件中的写法"]))
        elif r["处理"] == fix_choice(r["可能是"]):
            out.append((r["_entity"], r["文件中的写法"], r["可能是"]))
    return out


def log_table(log: pd.DataFrame) -> pd.DataFrame:
    if log.empty:
        return pd.DataFrame(columns=["编号", "时间", "导入人", "文件", "类型", "新增", "更新", "隔离", "状态"])
    return pd.DataFrame({
        "编号": log["import_id"].astype(int),
        "时间": pd.to_datetime(log["imported_at"]).dt.strftime("%Y-%m-%d %H:%M"),
        "导入人": log["imported_by"].fillna(""),
        "文件": log["file_name"],
        "类型": log["kind"].map(lambda k: KINDS[k].label if k in KINDS else k),
        "新增": log["accepted"].astype(int),
        "更新": log["updated"].astype(int),
        "隔离": log["quarantined"].astype(int),
        "状态": [f"已撤销（{pd.Timestamp(u):%m-%d %H:%M}）" if pd.notna(u) else "有效" for u in log["undone_at"]],
    })
