"""Helpers the tests share (conftest.py holds the fixtures only): paths, the
PostgreSQL admin URL, raw-folder copies, running the graph, and the small hand-built
warehouse data set (three districts in 2020, two in 2021: 江干区 330104 abolished in
the 2021 redistricting, 上城区 330102 kept its code for changed land; a ratio metric, a
sum metric and a `down` ratio metric)."""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from extractors.records import (
    District,
    IndicatorMetric,
    IngestIssue,
    Metric,
    PlanDocument,
    TargetRecord,
)

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "raw"
FIXTURES = ROOT / "tests" / "fixtures"

# What the Dagster definitions must hold (tests of definitions and of the webserver).
ASSETS = {"reference", "plan_targets", "plan_tables", "plan_registry", "district_stats",
          "fct_district_stat", "fct_attainment", "fct_progress", "fct_district_stat_restated",
          "attainment_report", "ingest_issues", "fct_attainment_as_of",
          # warehouse tables written by another asset, and the analysts' view
          "dim_district", "dim_metric", "dim_plan", "dim_indicator", "fct_target", "dim_year",
          "bridge_district_lineage", "ref_split_weight", "fct_attainment_restated",
          "fct_district_stat_restatement", "ref_restate_unchanged",
          "ref_plan_revision", "stat_vintage", "v_attainment"}
CHECKS = {"targets_quality", "district_stats_quality", "attainment_quality",
          "progress_quality", "restatement_quality", "stat_versions"}
GROUPS = {"reference", "plans", "stats", "quality", "warehouse", "warehouse_tables"}

PG_ADMIN_URL = os.environ.get(
    "PLANWH_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


@functools.cache
def extracted(path: Path) -> PlanDocument:
    """``extract_plan`` of a fixture document, once per test process: several test files
    compare the records of the same fixtures, and only read them."""
    from extractors.plans import extract_plan

    return extract_plan(path)


def pg_available() -> bool:
    import sqlalchemy as sa

    try:
        eng = sa.create_engine(PG_ADMIN_URL)
        with eng.connect() as c:
            c.execute(sa.text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


def copy_raw(dst: Path, plans=True, stats: bool = True) -> Path:
    """A copy of raw/ at ``dst``: reference always; ``plans`` True (all), False (none) or
    the documents to copy; ``stats`` True or False (an empty folder)."""
    shutil.copytree(RAW / "reference", dst / "reference")
    if stats:
        shutil.copytree(RAW / "stats", dst / "stats")
    else:
        (dst / "stats").mkdir()
    (dst / "plans").mkdir()
    docs = sorted((RAW / "plans").iterdir()) if plans is True else (plans or [])
    for doc in docs:
        shutil.copy(doc, dst / "plans" / doc.name)
    return dst


def materialise_graph(raw: Path, url: str, instance, plan_names, raise_on_error: bool = True):
    """Stats, one run per plan partition, then the refresh, as `planwh run` does but with
    each Dagster result kept: {"stats": …, "plan:<name>": …, "refresh": …}."""
    import dagster as dg

    from pipelines.assets.plans import plan_files
    from pipelines.graph import ALL_ASSETS
    from pipelines.jobs import plan_job, refresh_job, stats_job
    from pipelines.resources import default_resources

    resources = default_resources(str(raw), url)
    known = set(instance.get_dynamic_partitions(plan_files.name))
    if new := [n for n in plan_names if n not in known]:
        instance.add_dynamic_partitions(plan_files.name, new)
    runs = [("stats", stats_job.selection, None)]
    runs += [(f"plan:{n}", plan_job.selection, n) for n in plan_names]
    runs += [("refresh", refresh_job.selection, None)]
    return {label: dg.materialize(ALL_ASSETS, selection=sel, resources=resources,
                                  instance=instance, partition_key=key,
                                  raise_on_error=raise_on_error)
            for label, sel, key in runs}


def create_database(admin, name: str) -> None:
    import sqlalchemy as sa

    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))


def drop_database(admin, name: str) -> None:
    import sqlalchemy as sa

    with admin.connect() as c:
        c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))


# --------------------------------------------------------------------------- fixture data

DISTRICTS = [
    District("330100", "杭州市", "city", None, None, None),
    District("330102", "上城区", "district", "330100", None, date(2021, 4, 8), ("上城",)),
    District("330102", "上城区", "district", "330100", date(2021, 4, 9), None, ("上城",)),
    District("330104", "江干区", "district", "330100", None, date(2021, 4, 8)),
    District("330106", "西湖区", "district", "330100", None, None),
]

METRICS = {
    m.code: m
    for m in [
        Metric("coverage", "社区覆盖率", "%", "ratio", "covered", "communities", Decimal(100)),
        Metric("covered", "覆盖社区数", "个", "sum"),
        Metric("communities", "社区数", "个", "sum"),
        Metric("beds", "养老床位数", "张", "sum"),
        Metric("unemp", "城镇登记失业率", "%", "ratio", "unemployed", "labour", Decimal(100), "down"),
        Metric("unemployed", "失业人数", "人", "sum"),
        Metric("labour", "劳动力", "人", "sum"),
    ]
}

MAPPINGS = [
    IndicatorMetric("社区覆盖率", "coverage"),
    IndicatorMetric("养老床位", "beds"),
    IndicatorMetric(r"失业率$", "unemp"),
]

PLAN_ID = "0123456789abcdef"


def rec(row, name, year, comparator, value=None, high=None, unit=None, text="", scope="全市",
        binding=None, layout="A") -> TargetRecord:
    return TargetRecord(
        plan_id=PLAN_ID, source_file="plan.docx", source_page=None, source_table=1,
        source_row=row, section="1.测试", task_no=str(row), task_name="任务", indicator_name=name,
        year=year, scope=scope, target_text=text, comparator=comparator,
        target_value=None if value is None else Decimal(str(value)),
        target_value_high=None if high is None else Decimal(str(high)),
        target_unit=unit, binding=binding, layout=layout,
    )


def make_plan(sha: str = "a" * 64, title: str = "测试规划") -> PlanDocument:
    records = [
        rec(2, "社区覆盖率", 2020, ">=", 90, unit="%", text="不低于90%"),
        rec(2, "社区覆盖率", 2020, ">=", 95, unit="%", text="城市95%", scope="城市"),
        rec(2, "社区覆盖率", 2021, "between", 80, 95, unit="%", text="80%-95%"),
        rec(3, "养老床位数", 2020, ">=", 1000, unit="张", text="1000张"),
        rec(3, "养老床位数", 2021, "about", 1200, unit="张", text="1200张左右"),
        rec(4, "城镇登记失业率", 2020, "<=", 3.5, unit="%", text="3.5%", binding="约束性", layout="B"),
        rec(4, "城镇登记失业率", 2021, "milestone", text="试点启动", binding="约束性", layout="B"),
        rec(5, "智慧养老试点", 2020, "milestone", text="试点启动"),
    ]
    return PlanDocument(PLAN_ID, title, "杭州市民政局", 2016, 2020, "plan.docx", sha, "docx",
                        tables_found=1, records=records)


STATS = [
    # metric, district, year, value, file
    ("covered", "330102", 2020, 45), ("communities", "330102", 2020, 50),
    ("covered", "330104", 2020, 20), ("communities", "330104", 2020, 40),
    ("covered", "330106", 2020, 85), ("communities", "330106", 2020, 100),
    ("covered", "330102", 2021, 60), ("communities", "330102", 2021, 70),
    ("covered", "330106", 2021, 95), ("communities", "330106", 2021, 100),
    ("coverage", "330106", 2021, 96),  # the district's own figure wins over 95/100
    ("covered", "330104", 2021, 10), ("communities", "330104", 2021, 10),  # not valid in 2021
    ("beds", "330102", 2020, 400), ("beds", "330104", 2020, 300), ("beds", "330106", 2020, 350),
    ("beds", "330102", 2021, 700), ("beds", "330106", 2021, 600),
    ("beds", "330100", 2021, 1250),  # the city's own figure wins over the district sum
    ("unemployed", "330102", 2020, 3), ("labour", "330102", 2020, 100),
    ("unemployed", "330104", 2020, 5), ("labour", "330104", 2020, 100),
    ("unemployed", "330106", 2020, 2), ("labour", "330106", 2020, 50),
]


def stats_frame(rows=STATS) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"metric_code": m, "district_code": d, "year": y, "value": float(v),
             "unit": METRICS[m].unit, "source_file": f"stats_{y}.csv", "location": f"{m}/{d}"}
            for m, d, y, v in rows
        ]
    )


ISSUES = [
    IngestIssue("stats_2020.csv", "row 7", "error", "unknown district 火星区", "district"),
    IngestIssue("stats_2020.csv", "row 9", "warning", "negative value", "sum_metric"),
]


def empty_postgres(eng) -> None:
    """A fresh schema on first use in the session, then TRUNCATE (much faster)."""
    with eng.begin() as cx:
        have = set(sa.inspect(cx).get_table_names())
    if not set(tables()) <= have:
        with eng.begin() as cx:
            cx.execute(sa.text("DROP SCHEMA public CASCADE"))
            cx.execute(sa.text("CREATE SCHEMA public"))
        return
    with eng.begin() as cx:
        cx.execute(sa.text(f"TRUNCATE {', '.join(tables())}"))


def tables() -> tuple[str, ...]:
    from warehouse.schema import TABLES

    return tuple(TABLES)


def query_header(name: str) -> str:
    """The header comment of an analyst query file, without the comment markers."""
    from warehouse.queries import query_sql

    lines = []
    for line in query_sql(name).splitlines():
        if not line.startswith("--"):
            break
        lines.append(line[2:].strip())
    return "\n".join(lines).strip()


def fetch(engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as cx:
        return [tuple(r) for r in cx.execute(sa.text(sql), params)]


def snapshot(engine) -> dict[str, tuple[int, str]]:
    """Row count and a content hash of every table."""
    out = {}
    with engine.connect() as cx:
        for t in _metadata().sorted_tables:
            rows = sorted(repr(tuple(r)) for r in cx.execute(sa.select(*t.c)))
            out[t.name] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
    return out


def attainment(engine) -> dict[tuple, tuple]:
    rows = fetch(
        engine,
        "SELECT i.indicator_name, a.district_code, a.year, a.level, a.actual_value, a.attained, "
        "a.gap FROM fct_attainment a JOIN dim_indicator i USING (indicator_id)",
    )
    return {(r[0], r[1], r[2]): r[3:] for r in rows}


def _metadata():
    from warehouse.schema import metadata

    return metadata
