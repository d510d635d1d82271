"""P3: Chinese full-text search latency over 100,000 generated datasets (SQLite FTS5 by default).

    python -m benchmarks.p3_search                  # 100,000 datasets, 200 queries, SQLite
    python -m benchmarks.p3_search --datasets 20000 --database-url postgresql+psycopg://...
    python -m benchmarks.p3_search --work benchmarks/.work/p3 --reuse   # keep the built catalog

Datasets get realistic Chinese titles (area + subject + kind of information + period, e.g.
"浦东新区社区卫生服务中心名录（2023年，按季度）"), summaries, tags, field labels and one of ~90
providers; they are bulk-inserted straight into the tables (no audit trail, no HTTP) and indexed
with the application's analyzer. The 200 queries mix single words, multi-word queries, queries with
all six facets, filters and Latin/digit codes; each is timed end to end through
`search.service.search_datasets` (session, match, count, page of 20 summaries with highlights,
facets when asked). Target: p95 ≤ 20 ms.

`run(args) -> list[Measurement]` is what benchmarks/__main__.py can call (args: datasets, queries,
seed, database_url, work); `main()` runs it alone and prints the figures.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text

from benchmarks.report import Measurement
from publicdata import migrate
from publicdata.catalog.tables import Dataset
from publicdata.config import Settings
from publicdata.db import new_id
from publicdata.identity.permissions import Principal
from publicdata.identity.tables import Organization
from publicdata.platform import Platform
from publicdata.search import index, model
from publicdata.search.service import FACETS, search_datasets

TARGET_P95_MS = 20.0

DISTRICTS = {
    "310101": "黄浦区", "310104": "徐汇区", "310105": "长宁区", "310106": "静安区", "310107": "普陀区",
    "310109": "虹口区", "310110": "杨浦区", "310112": "闵行区", "310113": "宝山区", "310114": "嘉定区",
    "310115": "浦东新区", "310116": "金山区", "310117": "松江区", "310118": "青浦区", "310120": "奉贤区",
    "310151": "崇明区",
}  # fmt: skip

# domain → (city department, department short name, subjects)
DOMAINS: dict[str, tuple[str, str, list[str]]] = {
    "transport": ("交通委员会", "交通委", ["公交站点", "公交线路", "轨道交通客流", "公共停车场",
                  "出租汽车运营", "道路拥堵指数", "非机动车停放点", "公共充电桩", "货运车辆", "交通事故"]),
    "environment": ("生态环境局", "生态环境局", ["环境空气质量", "地表水水质", "区域环境噪声", "PM2.5浓度",
                    "排污许可", "生活垃圾分类", "河道水位", "重点排污单位"]),
    "health": ("卫生健康委员会", "卫生健康委", ["医疗机构", "社区卫生服务中心", "零售药店", "疫苗接种点",
               "门急诊服务量", "卫生监督抽检", "家庭医生签约", "传染病疫情"]),
    "education": ("教育委员会", "教委", ["中小学校", "幼儿园", "义务教育招生", "校外培训机构", "公共图书馆",
                  "高等学校", "职业技能培训"]),
    "livelihood": ("民政局", "民政局", ["养老机构", "社区为老服务中心", "标准化菜市场", "便民服务点",
                   "12345市民服务热线工单", "婚姻登记", "社区食堂", "殡葬服务"]),
    "urban": ("住房和城乡建设管理委员会", "住建委", ["建设工程施工许可", "商品房预售许可", "物业服务企业",
              "城市公园绿地", "道路路灯", "旧区改造", "保障性住房"]),
    "safety": ("应急管理局", "应急局", ["消防救援站", "应急避难场所", "安全生产许可", "食品安全抽检",
               "危险化学品企业", "地震监测"]),
    "social": ("统计局", "统计局", ["常住人口", "就业登记", "社会组织", "志愿服务", "居民收入", "人口普查"]),
    "institutions": ("机构编制委员会办公室", "编办", ["事业单位登记", "行政机关", "社会团体", "基金会",
                     "民办非企业单位"]),
    "credit": ("发展和改革委员会", "发展改革委", ["企业信用评价", "行政处罚", "行政许可", "失信被执行人",
               "守信激励", "信用承诺"]),
    "culture": ("文化和旅游局", "文化旅游局", ["博物馆", "公共文化场馆", "体育场馆", "A级旅游景区",
                "星级饭店", "演出场所", "文物保护单位"]),
    "economy": ("经济和信息化委员会", "经济信息化委", ["规模以上工业产值", "社会消费品零售", "外商投资企业",
                "企业登记", "进出口贸易", "高新技术企业", "产业园区"]),
}  # fmt: skip
KINDS = ["基本信息", "名录", "分布", "统计", "月度统计", "年度报告", "监测数据", "运行数据", "实时数据",
         "清单", "目录", "公示信息", "地址坐标", "服务信息"]  # fmt: skip
PERIODS = ["按月", "按季度", "按年", "按日", "按区", "按街镇", "实时"]
ATTRIBUTES = ["名称", "地址", "坐标", "联系电话", "类别", "等级", "数量", "面积", "开放时间", "负责人",
              "登记日期", "所属街镇", "经营状态", "核定人数", "监测值", "更新时间", "许可编号"]  # fmt: skip
FREQUENCIES = [("daily", "每日"), ("weekly", "每周"), ("monthly", "每月"), ("quarterly", "每季度"),
               ("yearly", "每年"), ("realtime", "实时"), ("irregular", "不定期")]  # fmt: skip
FORMATS = ["csv", "xlsx", "json", "xml", "api", "geojson", "pdf"]
CLASSES = ["unconditional"] * 7 + ["conditional"] * 2 + ["not_open"]


@dataclass
class Catalog:
    datasets: int
    providers: int
    generated_s: float
    indexed_s: float


def _providers(rng: random.Random) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    rows = []
    for i, (domain, (dept, short, _)) in enumerate(DOMAINS.items()):
        rows.append(
            {"id": new_id(), "code": f"BSH{i:02d}", "name": f"上海市{dept}", "short_name": f"市{short}",
             "name_en": "", "kind": "department", "description": "", "created_at": now,
             "area_code": "310000", "domain": domain}
        )  # fmt: skip
        for code, district in rng.sample(sorted(DISTRICTS.items()), 6):
            rows.append(
                {"id": new_id(), "code": f"B{code}{i:02d}", "name": f"{district}{dept}",
                 "short_name": f"{district[:2]}{short}", "name_en": "", "kind": "district",
                 "description": "", "created_at": now, "area_code": code, "domain": domain}
            )  # fmt: skip
    return rows


def _dataset(n: int, rng: random.Random, providers: list[dict[str, Any]]) -> dict[str, Any]:
    provider = rng.choice(providers)
    domain = provider["domain"]
    subject = rng.choice(DOMAINS[domain][2])
    area_code = provider["area_code"]
    area = "上海市" if area_code == "310000" else DISTRICTS[area_code]
    year = rng.randint(2015, 2025)
    kind = rng.choice(KINDS)
    name = f"{area}{subject}{kind}（{year}年{'起' if rng.random() < 0.3 else ''}，{rng.choice(PERIODS)}）"
    attrs = rng.sample(ATTRIBUTES, 4)
    frequency, frequency_zh = rng.choice(FREQUENCIES)
    summary = (
        f"{area}范围内{subject}的{'、'.join(attrs[:3])}和{attrs[3]}等{kind}，"
        f"由{provider['name']}汇总整理，{frequency_zh}更新，"
        f"可用于{rng.choice(['查询', '分析', '导航', '研究'])}。"
    )
    published = datetime(2018, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randint(0, 8 * 365 * 24 * 60))
    state = "published" if rng.random() < 0.9 else rng.choice(["draft", "withdrawn"])
    formats = sorted(rng.sample(FORMATS, rng.randint(1, 3)))
    tags = [subject[:4], kind[:2], area[:2]]
    return {
        "id": new_id(),
        "code": f"SH-B{n:06d}",
        "provider_id": provider["id"],
        "name": name,
        "name_en": "",
        "summary": summary,
        "domain": domain,
        "tags": tags,
        "formats": formats,
        "update_frequency": frequency,
        "area_code": area_code,
        "open_class": rng.choice(CLASSES),
        "state": state,
        "published_at": published if state != "draft" else None,
        "created_at": published - timedelta(days=3),
        "updated_at": published,
        "keywords_en": [],
        "conditions": [],
        "application_materials": [],
        "_labels": attrs,
        "_provider_names": [provider["name"], provider["short_name"]],
    }


def _analyze(row: dict[str, Any]) -> dict[str, Any]:
    title, body = index.texts_for(
        name=row["name"],
        summary=row["summary"],
        tags=row["tags"],
        labels=row["_labels"],
        provider_names=row["_provider_names"],
        code=row["code"],
        name_en="",
        keywords_en=[],
        domain=row["domain"],
        area_code=row["area_code"],
    )
    copies = {k: row[k] for k in ("state", "provider_id", "domain", "open_class", "update_frequency")}
    return {
        "dataset_id": row["id"],
        "title": title,
        "body": body,
        "analyzer": index.ANALYZER,
        "area_code": row["area_code"],
        "formats": index.formats_text(row["formats"]),
        "code": row["code"],
        "published_at": row["published_at"],
        "updated_at": row["updated_at"],
        **copies,
    }


def build(platform: Platform, count: int, seed: int) -> Catalog:
    """Bulk-generate `count` datasets with their search documents into an empty migrated database."""
    rng = random.Random(seed)
    started = time.perf_counter()
    providers = _providers(rng)
    model.add_words(index.taxonomy_words())
    for p in providers:
        model.add_words([p["name"], p["short_name"]])
    rows = [_dataset(n, rng, providers) for n in range(1, count + 1)]
    generated = time.perf_counter() - started
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool() as pool:
        documents = pool.map(_analyze, rows, chunksize=500)
    with platform.db.transaction() as session:
        session.execute(
            insert(Organization), [{k: v for k, v in p.items() if k != "domain"} for p in providers]
        )
        for start in range(0, count, 5000):
            batch = [
                {k: v for k, v in r.items() if not k.startswith("_")} for r in rows[start : start + 5000]
            ]
            session.execute(insert(Dataset), batch)
        for start in range(0, count, 5000):
            index.insert_documents(session, documents[start : start + 5000])
        index.ensure_fts(session)
    with platform.db.transaction() as session:
        if index.is_sqlite(session):
            session.execute(text(f"INSERT INTO {index.FTS_TABLE}({index.FTS_TABLE}) VALUES ('optimize')"))
            session.execute(text("ANALYZE"))
        else:
            session.execute(text("ANALYZE"))
    return Catalog(count, len(providers), generated, time.perf_counter() - started)


def queries(count: int, seed: int) -> list[tuple[str, dict[str, Any]]]:
    """(category, search_datasets keyword arguments): single words, multi-word, facets, codes."""
    rng = random.Random(seed + 1)
    subjects = [s for _, _, subjects in DOMAINS.values() for s in subjects]
    extra = ["浦东", "闵行", "养老", "公交", "学校", "信用", "医院", "停车", "水质", "景区", "许可", "充电桩"]
    words = subjects + [k for k in KINDS if len(k) <= 4] + extra
    districts = list(DISTRICTS.values())
    out: list[tuple[str, dict[str, Any]]] = []
    for i in range(count):
        kind = i % 10
        if kind < 4:
            out.append(("single word", {"q": rng.choice(words)}))
        elif kind < 7:
            q = f"{rng.choice(subjects)} {rng.choice(districts)[:2]}"
            if rng.random() < 0.4:
                q += f" {rng.choice(KINDS)}"
            out.append(("multi-word", {"q": q}))
        elif kind < 9:
            out.append(
                ("with facets", {"q": rng.choice(words), "facets": list(FACETS), "open_class": rng.choice(
                    [None, "unconditional"])})
            )  # fmt: skip
        else:
            q = rng.choice(["PM2.5", "12345", f"SH-B{rng.randint(1, 99999):06d}", "AQI", "2023"])
            out.append(("codes and Latin", {"q": q}))
    return out


def measure(platform: Platform, plan: list[tuple[str, dict[str, Any]]]) -> dict[str, list[float]]:
    anonymous = Principal()
    for _category, kwargs in plan[:10]:  # warm-up: segmenter, caches, prepared statements
        search_datasets(platform, actor=anonymous, **kwargs)
    times: dict[str, list[float]] = {}
    for category, kwargs in plan:
        started = time.perf_counter()
        search_datasets(platform, actor=anonymous, **kwargs)
        times.setdefault(category, []).append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(args: argparse.Namespace) -> list[Measurement]:
    work = Path(getattr(args, "work", None) or tempfile.mkdtemp(prefix="p3_search_"))
    work.mkdir(parents=True, exist_ok=True)
    count = getattr(args, "datasets", None) or 100_000
    url = getattr(args, "database_url", None) or f"sqlite:///{work / 'p3_search.sqlite3'}"
    database_file = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    # --reuse keeps a SQLite catalog built earlier in the same --work folder (same size and seed).
    marker = work / f"p3_built_{count}_{getattr(args, 'seed', 7)}"
    reuse = bool(getattr(args, "reuse", False)) and database_file is not None and marker.exists()
    if database_file is not None and not reuse:
        marker.unlink(missing_ok=True)
        database_file.unlink(missing_ok=True)
    migrate.upgrade(url)
    platform = Platform.from_settings(
        Settings(var_dir=work / "var", database_url=url, tick_interval_minutes=0, secret_key="p3-" + "x" * 32)
    )
    try:
        if reuse:
            print(f"P3: reusing the catalog built earlier in {database_file}")
        else:
            catalog = build(platform, count, getattr(args, "seed", 7))
            marker.touch()
            print(
                f"P3: {catalog.datasets:,} datasets, {catalog.providers} providers "
                f"(generated {catalog.generated_s:.1f} s, segmented + indexed {catalog.indexed_s:.1f} s)"
            )
        times = measure(platform, queries(getattr(args, "queries", None) or 200, getattr(args, "seed", 7)))
    finally:
        platform.close()
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite FTS5"
    everything = [t for values in times.values() for t in values]
    rows = [
        Measurement(
            bench="P3",
            system=f"publicdata search ({database})",
            unit="ms",
            runs=everything,
            extra={
                "queries": str(len(everything)),
                "median ms": f"{statistics.median(everything):.1f}",
                "p95 ms": f"{p95(everything):.1f}",
                "max ms": f"{max(everything):.1f}",
                "datasets": f"{count:,}",
            },
        )
    ]
    for category, values in times.items():
        rows.append(
            Measurement(
                bench="P3",
                system=f"  {category} ({len(values)})",
                unit="ms",
                runs=values,
                extra={"median ms": f"{statistics.median(values):.1f}", "p95 ms": f"{p95(values):.1f}"},
            )
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--datasets", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=None, help="default: a new SQLite file under --work")
    parser.add_argument("--work", default=None, help="working folder (default: a temporary folder)")
    parser.add_argument(
        "--reuse", action="store_true", help="reuse the SQLite catalog built by an earlier run in --work"
    )
    rows = run(parser.parse_args())
    print(f"{'':34} {'median':>8} {'p95':>8} {'max':>8}")
    for row in rows:
        print(
            f"{row.system:34} {statistics.median(row.runs):8.1f} {p95(row.runs):8.1f} {max(row.runs):8.1f} ms"
        )
    p = p95(rows[0].runs)
    print(f"target p95 ≤ {TARGET_P95_MS:.0f} ms: {'met' if p <= TARGET_P95_MS else 'NOT met'} ({p:.1f} ms)")


if __name__ == "__main__":
    main()
