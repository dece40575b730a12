"""A deterministic, realistic demo district (临江区): 52 weeks of ledgers, assessment rounds, peers.

The structure follows real ledgers: weak streets and departments, chronic sites, categories that keep
coming back, streets that improve and two that slip, white/yellow/red cards, overdue items, rebounds.
Problems are generated week by week in NumPy and written to DuckDB through Arrow, so memory stays bounded
at any ``scale`` (scale 1 ≈ 20,000 problems; scale 500 ≈ 10 million).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from campaign.model import scoring
from campaign.model.framework import Framework, load_framework
from campaign.store import (bump_data_version, connect, create_schema, load_framework_into, set_meta,
                            sync_office_settings)

DISTRICT = "临江区"
START = date(2025, 11, 24)  # Monday of campaign week 1
WEEKS = 52
END = START + timedelta(days=7 * WEEKS - 1)  # 2026-11-22, a Sunday
BASE_PROBLEMS = 20_000
BASE_SITES = 600

# street, type, population (thousands), weakness (>1 = more problems), trend over the year (end / start)
STREETS = [
    ("滨江街道", "街道", 68, 0.85, 0.80), ("解放路街道", "街道", 72, 1.00, 0.85),
    ("人民路街道", "街道", 81, 0.90, 0.80), ("新华街道", "街道", 64, 1.10, 0.90),
    ("东湖街道", "街道", 59, 0.80, 0.75), ("西城街道", "街道", 77, 1.05, 1.30),
    ("南苑街道", "街道", 55, 1.20, 0.85), ("北关街道", "街道", 62, 1.45, 1.05),
    ("城东街道", "街道", 70, 0.95, 0.80), ("火车站街道", "街道", 48, 1.30, 1.25),
    ("青山镇", "镇", 41, 1.25, 0.85), ("柳林镇", "镇", 37, 1.15, 0.90),
    ("河口镇", "镇", 33, 1.35, 0.95), ("高新技术产业园区", "园区", 29, 0.75, 0.85),
]

DEPARTMENTS = [
    ("区委宣传部", "党委部门"), ("区文明办", "党委部门"), ("区城市管理局", "政府部门"),
    ("区住房和城乡建设局", "政府部门"), ("区交通运输局", "政府部门"), ("公安分局交警大队", "垂管单位"),
    ("区市场监督管理局", "政府部门"), ("区卫生健康委员会", "政府部门"), ("区教育局", "政府部门"),
    ("区文化和旅游局", "政府部门"), ("区民政局", "政府部门"), ("区商务局", "政府部门"),
    ("生态环境分局", "垂管单位"), ("区水务局", "政府部门"), ("区园林绿化中心", "事业单位"),
    ("区政务服务中心", "事业单位"), ("区人力资源和社会保障局", "政府部门"), ("团区委", "群团组织"),
    ("区妇联", "群团组织"), ("区总工会", "群团组织"), ("区残联", "群团组织"), ("区司法局", "政府部门"),
    ("区应急管理局", "政府部门"), ("区融媒体中心", "事业单位"), ("区城管执法大队", "事业单位"),
    ("区环卫中心", "事业单位"),
]
# mean days to close a yellow/red card problem, per department (the slow ones are the weak ones)
DEPT_CLOSE_DAYS = {
    "区城市管理局": 3.0, "区住房和城乡建设局": 6.5, "区交通运输局": 4.0, "公安分局交警大队": 2.5,
    "区市场监督管理局": 5.5, "区卫生健康委员会": 3.0, "区教育局": 3.5, "区商务局": 4.5,
    "区园林绿化中心": 3.5, "区政务服务中心": 2.0, "区应急管理局": 7.5, "区城管执法大队": 4.5,
    "区环卫中心": 2.5, "区文明办": 3.0, "区水务局": 5.0, "区文化和旅游局": 3.5,
}

# site type: (sites at scale 1, owner department, weekly inspection probability, problem factor, name suffix)
SITE_TYPES = {
    "农贸市场": (20, "区市场监督管理局", 0.95, 2.2, "农贸市场"),
    "背街小巷": (130, "区城市管理局", 0.45, 1.3, "巷"),
    "老旧小区": (80, "区住房和城乡建设局", 0.50, 1.4, "号院"),
    "居民小区": (70, "区住房和城乡建设局", 0.40, 0.8, "小区"),
    "公共厕所": (50, "区环卫中心", 0.55, 0.9, "公厕"),
    "主次干道": (40, "区城市管理局", 0.80, 1.1, ""),
    "商业大街": (20, "区商务局", 0.80, 1.3, "商业街"),
    "商场超市": (20, "区商务局", 0.55, 0.7, "超市"),
    "学校周边": (35, "区教育局", 0.50, 0.8, "学校周边"),
    "医院": (10, "区卫生健康委员会", 0.60, 0.9, "医院"),
    "交通场站": (8, "区交通运输局", 0.80, 1.3, "公交枢纽站"),
    "公园广场": (20, "区园林绿化中心", 0.60, 0.9, "公园"),
    "窗口单位": (30, "区政务服务中心", 0.40, 0.5, "便民服务中心"),
    "建筑工地": (25, "区住房和城乡建设局", 0.55, 1.2, "项目工地"),
    "城乡结合部": (22, "区城管执法大队", 0.55, 1.8, "村"),
    "公交站亭": (20, "区交通运输局", 0.45, 0.6, "公交站"),
}

CATEGORY_OWNER = {
    "环境卫生": "区环卫中心", "交通秩序": "公安分局交警大队", "占道经营": "区城管执法大队",
    "乱贴乱画": "区城管执法大队", "公益广告": "区文明办", "基础设施破损": "区住房和城乡建设局",
    "垃圾分类": "区城市管理局", "飞线充电": "区应急管理局", "流浪犬": "区城管执法大队",
    "绿化管护": "区园林绿化中心", "文明行为": "区文明办", "设施配套": None,
}
# how often each category shows up at each site type (relative); missing = 0.3
CATEGORY_MIX = {
    "农贸市场": {"环境卫生": 5, "占道经营": 4, "公益广告": 2, "设施配套": 2, "流浪犬": 1, "垃圾分类": 1},
    "背街小巷": {"环境卫生": 4, "乱贴乱画": 3, "飞线充电": 2, "基础设施破损": 2, "占道经营": 2, "流浪犬": 1},
    "老旧小区": {"飞线充电": 4, "环境卫生": 3, "乱贴乱画": 2, "垃圾分类": 2, "基础设施破损": 2, "绿化管护": 1},
    "居民小区": {"垃圾分类": 3, "飞线充电": 2, "环境卫生": 2, "公益广告": 2, "流浪犬": 1},
    "公共厕所": {"环境卫生": 5, "设施配套": 3, "基础设施破损": 2},
    "主次干道": {"交通秩序": 5, "公益广告": 2, "基础设施破损": 2, "环境卫生": 2, "乱贴乱画": 1},
    "商业大街": {"占道经营": 4, "交通秩序": 3, "公益广告": 2, "环境卫生": 2, "文明行为": 1},
    "商场超市": {"公益广告": 3, "设施配套": 2, "环境卫生": 2, "文明行为": 1},
    "学校周边": {"交通秩序": 4, "占道经营": 3, "公益广告": 2, "环境卫生": 1},
    "医院": {"交通秩序": 3, "环境卫生": 2, "公益广告": 2, "设施配套": 2, "文明行为": 1},
    "交通场站": {"交通秩序": 4, "环境卫生": 3, "公益广告": 2, "文明行为": 2},
    "公园广场": {"环境卫生": 3, "绿化管护": 3, "文明行为": 2, "公益广告": 2, "流浪犬": 1},
    "窗口单位": {"公益广告": 4, "设施配套": 3, "文明行为": 2},
    "建筑工地": {"公益广告": 4, "环境卫生": 3, "交通秩序": 1, "基础设施破损": 1},
    "城乡结合部": {"环境卫生": 5, "占道经营": 2, "流浪犬": 2, "乱贴乱画": 2, "垃圾分类": 2},
    "公交站亭": {"公益广告": 3, "乱贴乱画": 3, "基础设施破损": 2, "环境卫生": 1},
}
DESCRIPTIONS = {
    "环境卫生": ["路面有烟头、纸屑等垃圾未及时清扫", "垃圾桶满溢，周边有散落垃圾", "绿化带内白色垃圾较多",
             "墙角堆放建筑垃圾和杂物", "公厕地面湿滑、有异味", "果皮箱破损、污渍明显"],
    "交通秩序": ["机动车违停占用人行道", "非机动车乱停乱放", "行人闯红灯、横穿马路", "路口无文明劝导员",
             "共享单车堆积未及时清运"],
    "占道经营": ["流动摊贩占道经营", "店外经营、出店摆卖", "市场外围马路市场未取缔", "早餐摊点占用人行道"],
    "乱贴乱画": ["墙面、电线杆小广告未清理", "楼道内乱贴乱画", "公交站亭张贴违规广告"],
    "公益广告": ["公益广告数量不足", "核心价值观宣传牌破损褪色", "公益广告内容过期未更新", "围挡公益广告覆盖率不足30%"],
    "基础设施破损": ["人行道地砖缺损", "井盖破损、缺失", "路灯不亮", "护栏倾斜损坏", "路面坑洼不平"],
    "垃圾分类": ["垃圾分类投放点混投混放", "分类垃圾桶标识不清", "垃圾分类宣传栏缺失"],
    "飞线充电": ["楼道内飞线充电", "电动车在楼道内停放充电", "缆线乱拉乱接"],
    "流浪犬": ["有流浪犬出没", "遛狗未牵绳", "犬只粪便未清理"],
    "绿化管护": ["绿化带黄土裸露", "树木枯死未补植", "绿地内种菜毁绿"],
    "文明行为": ["公共场所吸烟", "随地吐痰", "大声喧哗、不文明排队", "乱扔垃圾"],
    "设施配套": ["无公平秤或投诉站", "未张贴文明公约", "无障碍设施缺失", "志愿服务站点无人值守"],
}
ROADS = [
    "人民路", "解放路", "建设路", "中山路", "和平路", "文化路", "胜利路", "新华路", "光明路", "长江路",
    "黄河路", "迎宾大道", "滨江路", "东湖路", "青年路", "团结路", "工农路", "幸福路", "朝阳路", "振兴路",
    "育才路", "学府路", "健康路", "金水路", "银河路", "花园路", "公园路", "府前街", "北关街", "南大街",
    "西大街", "东大街", "车站路", "柳林路", "青山路", "河口路", "兴业路", "创新路", "科技路", "翠湖路",
]
VILLAGES = ["王庄", "李家湾", "张庄", "刘集", "陈家岭", "赵庄", "孙家窑", "周家营", "吴村", "郑家坝", "冯楼", "马家店"]
SOURCES = ["创城办督查", "领导暗访", "市民热线", "媒体曝光", "第三方巡查"]
SOURCE_P = [0.58, 0.08, 0.18, 0.04, 0.12]
CARDS = ["白", "黄", "红"]
PEERS = ["江北区", "城南区", "青山区", "白沙区", "金水区", "龙湖区", "云溪区", "凤凰区", "桃源区", "新城区",
         "东港区", "西岭区"]

# round id, name, assessor, date, difficulty offset (logit), peer round index
ROUNDS = [
    (1, "2024年度测评", "省级", date(2024, 11, 15)),
    (2, "2025年度测评", "省级", date(2025, 11, 14)),
    (3, "2026年第一轮模拟测评", "第三方", date(2026, 1, 16)),
    (4, "2026年第二轮模拟测评", "第三方", date(2026, 3, 20)),
    (5, "2026年市级交叉测评", "市级", date(2026, 5, 22)),
    (6, "2026年第三轮模拟测评", "第三方", date(2026, 7, 17)),
    (7, "2026年省级模拟测评", "省级", date(2026, 9, 18)),
    (8, "2026年第四轮模拟测评", "第三方", date(2026, 11, 13)),
]
ROUND_LEVEL = [0.55, 0.85, 0.95, 1.15, 1.25, 1.45, 1.55, 1.75]  # logit of the typical pass rate
SAMPLED_SITES = 110  # 点位 visited per round


@dataclass
class DemoSummary:
    path: str
    scale: float
    seed: int
    sites: int
    inspections: int
    problems: int
    rounds: int
    seconds: float


def _site_names(rng: np.random.Generator, types: np.ndarray, type_names: list[str]) -> list[str]:
    used: set[str] = set()
    counters: dict[tuple[str, str], int] = {}
    names = []
    for t in types:
        tname = type_names[t]
        suffix = SITE_TYPES[tname][4]
        while True:
            road = ROADS[rng.integers(len(ROADS))]
            key = (tname, road)
            n = counters.get(key, 0) + 1
            counters[key] = n
            if tname == "背街小巷":
                name = f"{road}{n}巷"
            elif tname == "老旧小区":
                name = f"{road}{n * 3 + 1}号院"
            elif tname == "城乡结合部":
                name = f"{VILLAGES[rng.integers(len(VILLAGES))]}{'' if n == 1 else n}村"
            elif tname == "主次干道":
                name = road if n == 1 else f"{road}（{n}段）"
            elif tname == "居民小区":
                name = f"{road[:-1]}{['花园', '家园', '佳苑', '新村', '嘉园'][n % 5]}小区" if n <= 5 else f"{road}{n}号小区"
            elif tname == "学校周边":
                name = f"{road}{['小学', '中学', '幼儿园', '实验学校'][n % 4]}周边" if n <= 4 else f"{road}第{n}小学周边"
            elif tname == "窗口单位":
                name = f"{road}{['便民服务中心', '营业厅', '银行网点', '社区服务站'][n % 4]}" if n <= 4 else f"{road}{n}号服务网点"
            else:
                name = f"{road}{suffix}" if n == 1 else f"{road}{n}号{suffix}"
            if name not in used:
                used.add(name)
                names.append(name)
                break
    return names


def build_demo(path: Path | str, scale: float = 1.0, seed: int = 2026, fw: Framework | None = None,
               progress: Callable[[float, str], None] | None = None) -> DemoSummary:
    """Write a fresh demo store to ``path`` (replacing the file). Same seed and scale, same data."""
    import time

    t0 = time.perf_counter()
    progress = progress or (lambda f, msg: None)
    path = Path(path)
    fw = fw or load_framework()
    tmp = path.with_name(path.name + ".building")
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    con = connect(tmp)
    try:
        # bounded memory at any scale: DuckDB writes out what does not fit
        con.execute("SET memory_limit = '1GB'")
        create_schema(con)
        load_framework_into(con, fw)
        set_meta(con, "district", DISTRICT)
        set_meta(con, "demo", f"scale={scale} seed={seed}")
        sync_office_settings(con)  # office.yaml's unit_attribution, as the dashboard keeps it
        counts = _generate(con, fw, scale, seed, progress)
        bump_data_version(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    for p in (path, Path(str(path) + ".wal")):
        p.unlink(missing_ok=True)
    tmp.replace(path)
    progress(1.0, "完成")
    return DemoSummary(path=str(path), scale=scale, seed=seed, seconds=time.perf_counter() - t0, **counts)


def _generate(con, fw: Framework, scale: float, seed: int, progress) -> dict:
    rng = np.random.default_rng([seed, 0])
    type_names = list(SITE_TYPES)
    cat_names = list(DESCRIPTIONS)
    street_names = [s[0] for s in STREETS]
    dept_names = [d[0] for d in DEPARTMENTS]
    dept_idx = {d: i for i, d in enumerate(dept_names)}
    n_streets, n_types, n_cats = len(street_names), len(type_names), len(cat_names)

    # --- dimensions -------------------------------------------------------------------------------
    con.executemany("INSERT INTO store.streets VALUES (?, ?, ?, ?)",
                    [[s[0], s[1], s[2] * 1000, i + 1] for i, s in enumerate(STREETS)])
    con.executemany("INSERT INTO store.departments VALUES (?, ?, ?)",
                    [[d[0], d[1], i + 1] for i, d in enumerate(DEPARTMENTS)])
    site_counts = np.array([max(1, round(SITE_TYPES[t][0] * max(scale, 0.1))) for t in type_names])
    n_sites = int(site_counts.sum())
    site_type = np.repeat(np.arange(n_types), site_counts)
    pop = np.array([s[2] for s in STREETS], dtype=float)
    site_street = rng.choice(n_streets, size=n_sites, p=pop / pop.sum())
    site_dept = np.array([dept_idx[SITE_TYPES[type_names[t]][1]] for t in site_type])
    site_chronic = rng.lognormal(0.0, 0.45, n_sites)
    sites = pd.DataFrame({
        "site_id": np.arange(1, n_sites + 1, dtype=np.int32),
        "site": _site_names(rng, site_type, type_names) if n_sites <= 20_000 else
        [f"{ROADS[i % len(ROADS)]}{i // len(ROADS) + 1}号{SITE_TYPES[type_names[t]][4] or '路段'}"
         for i, t in enumerate(site_type)],
        "site_type": [type_names[t] for t in site_type],
        "street": [street_names[s] for s in site_street],
        "department": [dept_names[d] for d in site_dept],
    })
    sites = _with_coordinates(sites, seed)
    con.register("demo_sites", sites)
    con.execute("INSERT INTO store.sites BY NAME SELECT * FROM demo_sites")
    con.unregister("demo_sites")

    # standards a problem of (site type, category) breaks
    field = fw.standards[fw.standards["method"].eq("实地考察")].reset_index(drop=True)
    std_codes = field["code"].tolist()
    cand_flat: list[int] = []
    cand_off = np.zeros((n_types, n_cats), dtype=np.int64)
    cand_cnt = np.zeros((n_types, n_cats), dtype=np.int64)
    for ti, t in enumerate(type_names):
        for ci, c in enumerate(cat_names):
            both = [j for j, r in field.iterrows() if t in r.site_types and c in r.categories]
            pool = both or [j for j, r in field.iterrows() if c in r.categories] or \
                [j for j, r in field.iterrows() if t in r.site_types] or list(range(len(field)))
            cand_off[ti, ci], cand_cnt[ti, ci] = len(cand_flat), len(pool)
            cand_flat.extend(pool)
    cand_flat_a = np.array(cand_flat, dtype=np.int64)

    cat_mix = np.array([[CATEGORY_MIX[t].get(c, 0.3) for c in cat_names] for t in type_names], dtype=float)
    cat_owner = np.array([dept_idx[CATEGORY_OWNER[c]] if CATEGORY_OWNER[c] else -1 for c in cat_names])
    close_days = np.array([DEPT_CLOSE_DAYS.get(d, 3.5) for d in dept_names])
    street_weak = np.array([s[3] for s in STREETS])
    street_trend = np.array([s[4] for s in STREETS])
    type_p = np.array([SITE_TYPES[t][2] for t in type_names])[site_type]
    type_f = np.array([SITE_TYPES[t][3] for t in type_names])[site_type]
    desc_n = np.array([len(DESCRIPTIONS[c]) for c in cat_names])

    # small lookup tables joined in SQL
    con.register("d_cat", pa.table({"ci": np.arange(n_cats, dtype=np.int16), "category": cat_names}))
    con.register("d_dept", pa.table({"di": np.arange(len(dept_names), dtype=np.int16), "department": dept_names}))
    con.register("d_std", pa.table({"sj": np.arange(len(std_codes), dtype=np.int16), "standard_code": std_codes}))
    con.register("d_src", pa.table({"oi": np.arange(len(SOURCES), dtype=np.int8), "source": SOURCES}))
    desc_rows = [(ci, k, d) for ci, c in enumerate(cat_names) for k, d in enumerate(DESCRIPTIONS[c])]
    con.register("d_desc", pa.table({"ci": np.array([r[0] for r in desc_rows], dtype=np.int16),
                                     "k": np.array([r[1] for r in desc_rows], dtype=np.int8),
                                     "description": [r[2] for r in desc_rows]}))

    # expected problems per week = base × Σ p·f·c·w over sites, so scale 1 gives about BASE_PROBLEMS a year
    weight = float((type_p * type_f * site_chronic * street_weak[site_street]).sum())
    base_lambda = BASE_PROBLEMS * scale / (WEEKS * weight)
    end_ord = END.toordinal()
    start_ord = START.toordinal()
    assess_weeks = {(r[3].toordinal() - start_ord) // 7 for r in ROUNDS if r[3] >= START}

    next_insp, next_prob = 1, 1
    for w in range(WEEKS):
        wr = np.random.default_rng([seed, 1, w])
        frac = w / (WEEKS - 1)
        # inspections this week
        visit = wr.random(n_sites) < type_p
        vs = np.nonzero(visit)[0]
        n_v = len(vs)
        day = wr.choice(6, size=n_v, p=[0.2, 0.2, 0.2, 0.18, 0.17, 0.05])
        insp_ids = np.arange(next_insp, next_insp + n_v, dtype=np.int64)
        next_insp += n_v
        src_i = wr.choice(len(SOURCES), size=n_v, p=SOURCE_P).astype(np.int8)
        st = site_street[vs]
        trend = 1.0 + (street_trend[st] - 1.0) * frac
        season = 1.0 + 0.12 * np.sin(2 * np.pi * (frac + 0.15))  # summer peak
        dip = 0.8 if (w + 1) in assess_weeks or w in assess_weeks else 1.0  # 突击 before an assessment
        lam = base_lambda * type_f[vs] * site_chronic[vs] * street_weak[st] * trend * season * dip
        k = wr.poisson(lam)
        n = int(k.sum())
        found = start_ord + 7 * w + day
        insp = pa.table({
            "inspection_id": insp_ids, "d": (found - 719163).astype("int32"),
            "site_id": (vs + 1).astype(np.int32), "oi": src_i, "problems_found": k.astype(np.int32),
        })
        con.register("w_insp", insp)
        con.execute("""
            INSERT INTO store.inspections
            SELECT i.inspection_id, DATE '1970-01-01' + i.d, i.site_id, s.site, s.site_type, s.street,
                   o.source, i.problems_found, 0
            FROM w_insp i JOIN store.sites s USING (site_id) JOIN d_src o USING (oi) ORDER BY i.inspection_id""")
        con.unregister("w_insp")
        if n:
            p_site = np.repeat(vs, k)
            p_found = np.repeat(found, k)
            p_insp = np.repeat(insp_ids, k)
            p_src = np.repeat(src_i, k)
            t = site_type[p_site]
            # category: site-type mix, with 飞线充电 rising into summer and 乱贴乱画 falling all year
            mix = cat_mix[t].copy()
            mix[:, cat_names.index("飞线充电")] *= 0.6 + 1.2 * np.sin(np.pi * frac)
            mix[:, cat_names.index("乱贴乱画")] *= 1.4 - 0.8 * frac
            cum = np.cumsum(mix, axis=1)
            u = wr.random(n) * cum[:, -1]
            cat = (u[:, None] > cum).sum(axis=1)
            pick = cand_off[t, cat] + (wr.random(n) * cand_cnt[t, cat]).astype(np.int64)
            std = cand_flat_a[pick]
            owner = cat_owner[cat]
            dept = np.where((wr.random(n) < 0.45) & (owner >= 0), owner, site_dept[p_site])
            # card: leaders' unannounced visits and media find the bigger problems
            red_p = np.where(p_src == 1, 0.25, np.where(p_src == 3, 0.35, 0.07))
            r = wr.random(n)
            card = np.where(r < red_p, 2, np.where(r < red_p + 0.30, 1, 0)).astype(np.int8)
            deduction = np.choose(card, [np.where(wr.random(n) < 0.5, 0.2, 0.5),
                                         np.where(wr.random(n) < 0.6, 0.5, 1.0),
                                         np.where(wr.random(n) < 0.5, 1.0, 2.0)])
            deadline = p_found + np.choose(card, [1, 3, 7])
            slow = close_days[dept] * (1.0 + 0.5 * (street_weak[site_street[p_site]] - 1.0))
            days = np.where(card == 0, np.where(wr.random(n) < 0.75, 0, wr.integers(1, 4, n)),
                            np.round(wr.exponential(slow * np.where(card == 2, 1.6, 1.0))).astype(np.int64))
            # a few problems are never fixed: mostly yellow/red cards at slow departments (hard cases, not litter)
            never = wr.random(n) < np.choose(card, [0.0005, 0.008, 0.02]) * close_days[dept] / 3.0
            closed = p_found + days
            is_closed = (~never) & (closed <= end_ord)
            status = np.where(is_closed, np.where(closed <= end_ord - 7, 3, 2),
                              np.where(p_found >= end_ord - 2, 0, 1)).astype(np.int8)
            desc_k = (wr.random(n) * desc_n[cat]).astype(np.int8)
            prob = pa.table({
                "pid": np.arange(next_prob, next_prob + n, dtype=np.int64),
                "d": (p_found - 719163).astype(np.int32),
                "site_id": (p_site + 1).astype(np.int32),
                "di": dept.astype(np.int16), "ci": cat.astype(np.int16), "sj": std.astype(np.int16),
                "k": desc_k, "deduction": deduction.astype(float), "card": card,
                "dl": (deadline - 719163).astype(np.int32), "status": status,
                "cl": np.where(is_closed, closed - 719163, -1).astype(np.int32),
                "oi": p_src, "inspection_id": p_insp,
            })
            next_prob += n
            con.register("w_prob", prob)
            con.execute("""
                INSERT INTO store.problems (problem_id, found_on, site_id, site, site_type, street, department,
                    category, standard_code, description, deduction, card, deadline, status, closed_on, source,
                    inspection_id, import_id)
                SELECT 'DC' || lpad(p.pid::VARCHAR, 8, '0'), DATE '1970-01-01' + p.d, p.site_id, s.site,
                       s.site_type, s.street, dp.department, c.category, sd.standard_code, ds.description,
                       p.deduction, ['白', '黄', '红'][p.card + 1],
                       DATE '1970-01-01' + p.dl, ['待整改', '整改中', '已整改', '已销号'][p.status + 1],
                       CASE WHEN p.cl >= 0 THEN DATE '1970-01-01' + p.cl END, o.source, p.inspection_id, 0
                FROM w_prob p JOIN store.sites s USING (site_id) JOIN d_dept dp USING (di)
                JOIN d_cat c USING (ci) JOIN d_std sd USING (sj) JOIN d_desc ds USING (ci, k) JOIN d_src o USING (oi)
                ORDER BY p.pid""")
            con.unregister("w_prob")
        progress(0.05 + 0.85 * (w + 1) / WEEKS, f"生成第{w + 1}周督查台账")

    _assessments(con, fw, seed, sites, site_chronic, street_weak, street_names)
    for name in ("d_cat", "d_dept", "d_std", "d_src", "d_desc"):
        con.unregister(name)
    return dict(sites=n_sites, inspections=next_insp - 1, problems=next_prob - 1, rounds=len(ROUNDS))


def _with_coordinates(sites: pd.DataFrame, seed: int) -> pd.DataFrame:
    """经度/纬度 inside each street's made-up outline (data/demo_streets.geojson), from a random stream of their
    own, so the rest of the demo is the same with or without them; no outline file: no coordinates."""
    from campaign.config import DATA_DIR
    from campaign.model import geo

    out = sites.assign(lon=np.nan, lat=np.nan)
    try:
        outlines = geo.load_outlines(DATA_DIR / "demo_streets.geojson")
    except geo.GeoFileError:
        return out
    rng = np.random.default_rng([seed, 6])
    for street, idx in out.groupby("street", sort=True).groups.items():
        if street in outlines:
            lon, lat = geo.random_points(rng, outlines[street], len(idx))
            out.loc[idx, "lon"], out.loc[idx, "lat"] = np.round(lon, 6), np.round(lat, 6)
    return out


def _assessments(con, fw: Framework, seed: int, sites: pd.DataFrame, site_chronic: np.ndarray,
                 street_weak: np.ndarray, street_names: list[str]) -> None:
    rng = np.random.default_rng([seed, 2])
    std = fw.standards
    con.executemany("INSERT INTO store.assessment_rounds VALUES (?, ?, ?, ?, ?)",
                    [[r[0], r[1], r[2], r[3], r[3].year] for r in ROUNDS])
    # each standard has a difficulty; the chronic short boards are markets, alleys and the urban fringe
    hard_types = {"农贸市场": 0.9, "背街小巷": 0.7, "城乡结合部": 0.9, "老旧小区": 0.6, "建筑工地": 0.4}
    difficulty = rng.normal(0.0, 0.45, len(std))
    for j, r in enumerate(std.itertuples()):
        difficulty[j] += max((hard_types.get(t, 0.0) for t in r.site_types), default=0.0)
        if "飞线充电" in (r.categories or []) or "占道经营" in (r.categories or []):
            difficulty[j] += 0.5
    diff = dict(zip(std["code"], difficulty))
    street_idx = {s: i for i, s in enumerate(street_names)}
    field = std[std["method"].eq("实地考察")]
    online = std[std["method"].eq("网上申报")]
    dept_weak = {d: rng.normal(0, 0.35) for d in std["department"].unique()}
    site_street_weak = street_weak[sites["street"].map(street_idx).to_numpy()]
    rows = []
    for rid, (round_id, *_rest) in enumerate(ROUNDS):
        level = ROUND_LEVEL[rid]
        rr = np.random.default_rng([seed, 3, round_id])
        # stratified sample of sites: every type, more of the common ones
        share = sites["site_type"].value_counts(normalize=True)
        chosen = []
        for t, s in share.items():
            ids = sites.index[sites["site_type"].eq(t)].to_numpy()
            take = min(len(ids), max(2, round(SAMPLED_SITES * s)))
            chosen.extend(rr.choice(ids, size=take, replace=False))
        sample = sites.loc[sorted(chosen)]
        for r in field.itertuples():
            at = sample[sample["site_type"].isin(r.site_types)]
            if at.empty:
                continue
            idx = at.index.to_numpy()
            logit = level - diff[r.code] - 1.2 * np.log(site_chronic[idx]) - 1.5 * (site_street_weak[idx] - 1)
            p = 1 / (1 + np.exp(-logit))
            u = rr.random(len(idx))
            score = np.where(u < p, 1.0, np.where(u < p + (1 - p) * 0.35, 0.5, 0.0))
            for (sid, site, stype, street, dept), sc in zip(
                    at[["site_id", "site", "site_type", "street", "department"]].itertuples(index=False), score):
                rows.append((round_id, r.code, int(sid), site, stype, street, dept, float(sc), 1.0))
        for r in online.itertuples():
            logit = level + 0.3 - diff[r.code] * 0.6 - dept_weak[r.department]
            rate = float(np.clip(1 / (1 + np.exp(-logit)) + rr.normal(0, 0.04), 0.3, 1.0))
            rows.append((round_id, r.code, None, None, None, None, r.department,
                         round(r.points * rate, 2), float(r.points)))
    scores = pd.DataFrame(rows, columns=["round_id", "standard_code", "site_id", "site", "site_type", "street",
                                         "department", "score", "max_score"])
    scores["site_id"] = scores["site_id"].astype("Int32")
    con.register("demo_scores", scores)
    con.execute("INSERT INTO store.assessment_scores SELECT *, 0 FROM demo_scores")
    con.unregister("demo_scores")

    srows = []
    ind_off = {"知晓率": 0.15, "支持率": 0.35, "参与率": -0.35, "满意度": 0.0}
    for rid, (round_id, *_rest) in enumerate(ROUNDS):
        rr = np.random.default_rng([seed, 4, round_id])
        for si, (street, _t, popk, weak, _tr) in enumerate(STREETS):
            for ind, off in ind_off.items():
                logit = ROUND_LEVEL[rid] + off - 1.2 * (weak - 1) + rr.normal(0, 0.12)
                srows.append((round_id, street, ind, round(float(1 / (1 + np.exp(-logit))), 4),
                              int(30 + popk * 1.2 + rr.integers(0, 20))))
    survey = pd.DataFrame(srows, columns=["round_id", "street", "indicator", "rate", "respondents"])
    con.register("demo_survey", survey)
    con.execute("INSERT INTO store.survey_rates SELECT *, 0 FROM demo_survey")
    con.unregister("demo_survey")

    # bonus and negative list
    bonus_codes = fw.bonus["code"].tolist()
    awards = []
    for round_id, *_ in ROUNDS:
        n_awards = 1 if round_id == 1 else (2 if round_id <= 4 else 3)
        awards += [(round_id, c, None, None) for c in bonus_codes[:n_awards]]
    for round_id, code, _, _ in awards:
        con.execute("INSERT INTO store.bonus_awards SELECT ?, code, points, NULL FROM store.bonus_items "
                    "WHERE code = ?", [round_id, code])
    deductible = fw.negative[~fw.negative["veto"]]
    if len(deductible):
        site_accident = deductible[deductible["name"].str.contains("建筑施工")]
        n0 = (site_accident if len(site_accident) else deductible).iloc[0]
        con.execute("INSERT INTO store.negative_events VALUES (?, ?, ?, ?, false, ?)",
                    [5, n0.code, date(2026, 4, 8), float(min(n0.deduction, 1.0)), "4月8日建筑工地安全事故"])

    # peers sit around our own totals, so the ranking moves: from the middle of the pack towards the top
    totals = []
    is_minors = std["framework"].eq("minors")
    for round_id, *_ in ROUNDS:
        obs = scores[scores["round_id"].eq(round_id)]
        sv = survey[survey["round_id"].eq(round_id)]
        rates = scoring.standard_rates(std, obs, sv)
        minors = None
        if fw.minors is not None:
            minors = (scoring.minors_score(rates[is_minors]), fw.minors.share, fw.minors.gate)
        totals.append(scoring.round_total(rates[~is_minors], minors=minors).total)
    pr = np.random.default_rng([seed, 5])
    offsets = np.linspace(7.5, -6.0, len(PEERS)) + pr.normal(0, 0.4, len(PEERS))
    drift = pr.normal(-0.55, 0.15, len(PEERS))  # peers improve a little slower than we do
    prow = []
    for rid, (round_id, *_r) in enumerate(ROUNDS):
        for pi, peer in enumerate(PEERS):
            total = totals[rid] + 2.0 + offsets[pi] + drift[pi] * rid + pr.normal(0, 0.6)
            prow.append((round_id, peer, round(float(total), 2)))
    con.executemany("INSERT INTO store.peer_scores VALUES (?, ?, ?, 0)", prow)
