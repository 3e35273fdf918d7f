"""build_attainment against a plain-Python reading of the rules, on random small worlds.

The attainment SQL is shaped for speed (bench/warehouse.py): it pairs statistics per
metric, completes the district grid only where a (metric, year) misses districts and
takes the city's sums from small GROUP BYs. This test states the rules of
docs/warehouse.md once more, as simply as possible, and requires the warehouse to
agree on hypothesis-generated districts (versions that end, start or change within a
year), statistics with holes and zero denominators, targets of every comparator, and
relative targets (every kind and reference) resolved from a base year with statistics.
Some worlds hold a revision of the plan (docs/time.md) from a random effective date,
restating some of its targets: every version is evaluated (fct_attainment) and
v_attainment shows the target in force on 31 December of each year. Every world has
a later vintage of its statistics (figures revised, withdrawn, added): fct_attainment
follows the latest, and the as-of build between the two loads the first.
Runs on DuckDB and on PostgreSQL.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.records import District, IndicatorMetric, Metric, PlanDocument, TargetRecord
from extractors.relative import relative_base_year
from extractors.targets import parse_target
from tests.helpers import PG_ADMIN_URL, create_database, drop_database, pg_available
from warehouse import load as wl
from warehouse.attainment import DEFAULT_TOLERANCE, build_attainment, build_attainment_as_of
from warehouse.schema import create_schema, make_engine
from warehouse.vintages import stat_version_problems

YEARS = (2018, 2019, 2020, 2021)
CITY = "330100"
CODES = ("330102", "330105", "330106", "330108", "330109")
METRICS = {
    m.code: m
    for m in [
        Metric("r1", "甲率", "%", "ratio", "n1", "d1", Decimal(100)),
        Metric("r2", "乙率", "%", "ratio", "n2", "d2", None, "down", Decimal("0.1")),
        Metric("s1", "丙数", "个", "sum"),
        Metric("n1", "甲分子", "个", "sum"),
        Metric("d1", "甲分母", "个", "sum"),
        Metric("n2", "乙分子", "个", "sum"),
        Metric("d2", "乙分母", "个", "sum"),
    ]
}
# indicator name -> metric; 丁率 shares r1 with 甲率, 戊数 evaluates a numerator as a sum
INDICATORS = {"甲率": "r1", "乙率": "r2", "丙数": "s1", "丁率": "r1", "戊数": "n1", "己项": None}
MAPPINGS = [IndicatorMetric(f"^{name}$", code) for name, code in INDICATORS.items() if code]
STAT_CODES = ("r1", "n1", "d1", "r2", "n2", "d2", "s1")
COMPARATORS = (">=", ">", "<=", "<", "=", "between", "about", "milestone")
PLAN_ID = "fedcba9876543210"
REVISION_ID = "0123456789fedcba"
PLAN_FILE, REVISION_FILE = "oracle.docx", "oracle_rev.docx"
BASE_YEAR = YEARS[0] - 1  # the plan runs 2018-2021
# relative targets: every kind, both references, a base year the wording names
RELATIVE_TEXTS = ("翻一番", "增长10%", "下降20%", "比上年增长5%", "提高5个百分点",
                  "比上年下降2个百分点", "年均增长10%", "比2019年增长10%", "增长0.5倍")


# --------------------------------------------------------------------------- worlds


@st.composite
def districts(draw) -> list[District]:
    out = [District(CITY, "杭州市", "city", None, None, None)]
    for code in draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=5, unique=True)):
        kind = draw(st.sampled_from(("always", "abolished", "created", "changed")))
        y = draw(st.sampled_from(YEARS))
        end, start = date(y, 4, 8), date(y, 4, 9)  # a change in force from 9 April of y
        if kind == "always":
            out.append(District(code, f"区{code}", "district", CITY, None, None))
        elif kind == "abolished":
            out.append(District(code, f"区{code}", "district", CITY, None, end))
        elif kind == "created":
            out.append(District(code, f"区{code}", "district", CITY, start, None))
        else:
            out.append(District(code, f"旧区{code}", "district", CITY, None, end))
            out.append(District(code, f"新区{code}", "county", CITY, start, None))
    return out


@st.composite
def statistics(draw, codes: list[str], years=YEARS) -> dict[tuple[str, str, int], float]:
    """Values by (metric, district, year); "dense" metrics have every cell (city sums)."""
    dense = draw(st.sets(st.sampled_from(STAT_CODES)))
    out = {}
    for metric in STAT_CODES:
        for code in codes:
            for year in years:
                if metric in dense or draw(st.booleans()):
                    out[(metric, code, year)] = float(draw(st.integers(0, 40)))
    return out


@st.composite
def targets(draw, plan_id: str = PLAN_ID, source_file: str = PLAN_FILE) -> list[TargetRecord]:
    out = []
    for row, name in enumerate(INDICATORS):
        for year in YEARS:
            if not draw(st.booleans()):
                continue
            if draw(st.integers(0, 3)) == 0:  # a relative target, as the plan reader gives it
                pt = parse_target(draw(st.sampled_from(RELATIVE_TEXTS)), name)[0]
                out.append(TargetRecord(
                    plan_id=plan_id, source_file=source_file, source_page=None,
                    source_table=0, source_row=row, section="测试", task_no=str(row),
                    task_name=None, indicator_name=name, year=year, scope="全市",
                    target_text=pt.text, comparator=pt.comparator, target_value=pt.value,
                    target_value_high=pt.value_high, target_unit=pt.unit,
                    relative_kind=pt.relative_kind, relative_value=pt.relative_value,
                    relative_reference=pt.relative_reference))
                continue
            comparator = draw(st.sampled_from(COMPARATORS))
            low, high = sorted(draw(st.lists(st.integers(0, 150), min_size=2, max_size=2)))
            value = None if comparator == "milestone" else Decimal(low)
            out.append(TargetRecord(
                plan_id=plan_id, source_file=source_file, source_page=None, source_table=0,
                source_row=row, section="测试", task_no=str(row), task_name=None,
                indicator_name=name, year=year,
                scope=draw(st.sampled_from(("全市", "全市", "全市", "城市"))),
                target_text=f"{comparator} {low}", comparator=comparator, target_value=value,
                target_value_high=Decimal(high) if comparator == "between" else None,
                target_unit="%"))
    return out


@st.composite
def revisions(draw):
    """None, or (effective date, the revision's targets, load it before the plan)."""
    if draw(st.booleans()):
        return None
    when = date(draw(st.sampled_from((YEARS[0] - 1, *YEARS))), draw(st.sampled_from((1, 7))), 1)
    return when, draw(targets(REVISION_ID, REVISION_FILE)), draw(st.booleans())


@st.composite
def vintages(draw, stats: dict, codes: list[str]) -> dict[tuple[str, str, int], float]:
    """A later vintage of the statistics: each figure kept, revised or withdrawn, and
    figures added."""
    out = {}
    for key, value in stats.items():
        fate = draw(st.sampled_from(("keep", "keep", "revise", "withdraw")))
        if fate == "keep":
            out[key] = value
        elif fate == "revise":
            out[key] = float(draw(st.integers(0, 40)))
    for key in draw(st.sets(st.tuples(st.sampled_from(STAT_CODES), st.sampled_from(codes),
                                      st.sampled_from((BASE_YEAR, *YEARS))), max_size=6)):
        out.setdefault(key, float(draw(st.integers(0, 40))))
    return out


@st.composite
def worlds(draw):
    ds = draw(districts())
    codes = sorted({d.code for d in ds})
    stats = draw(statistics(codes, (BASE_YEAR, *YEARS)))
    return ds, stats, draw(targets()), draw(revisions()), draw(vintages(stats, codes))


# --------------------------------------------------------------------------- the rules, once more


def _eps(target: float) -> float:
    return 1e-9 * max(1.0, abs(target))


def verdict(comparator, target, high, tolerance, actual):
    """(attained, gap): gap > 0 is better than the target."""
    if comparator == "milestone" or actual is None:
        return None, None
    e = _eps(target)
    if comparator in (">=", ">"):
        ok = actual >= target - e if comparator == ">=" else actual > target + e
        return ok, actual - target
    if comparator in ("<=", "<"):
        ok = actual <= target + e if comparator == "<=" else actual < target - e
        return ok, target - actual
    if comparator == "=":
        return abs(actual - target) <= e, -abs(actual - target)
    if comparator == "between":
        return (target - e <= actual <= high + e), min(actual - target, high - actual)
    slack = tolerance * abs(target)  # about
    return abs(actual - target) <= slack + e, slack - abs(actual - target)


def actuals_at(ds, stats, m: Metric, y: int) -> dict[str, tuple[str, float | None]]:
    """{place: (level, actual)} of metric ``m`` in year ``y`` by the attainment rules."""
    valid = [d for d in ds if d.valid_in_year(y)]
    cities = [d.code for d in valid if d.district_type == "city"]
    parts = [d.code for d in valid if d.district_type != "city"]
    scale = float(m.scale or 1)

    def stat(metric, place):
        return stats.get((metric, place, y))

    def ratio(place):
        num, den = stat(m.numerator, place), stat(m.denominator, place)
        return None if num is None or den is None or den == 0 else num / den * scale

    rows = {}
    if m.aggregation == "ratio":
        for p in parts:
            own = stat(m.code, p)
            rows[p] = ("district", own if own is not None else ratio(p))
        nums = [stat(m.numerator, p) for p in parts]
        dens = [stat(m.denominator, p) for p in parts]
        whole = (sum(nums) / sum(dens) * scale
                 if parts and None not in nums + dens and sum(dens) != 0 else None)
        for c in cities:
            own = stat(m.code, c)
            rows[c] = ("city", next((v for v in (own, ratio(c), whole) if v is not None), None))
    else:
        values = [stat(m.code, p) for p in parts]
        whole = sum(values) if parts and None not in values else None
        for c in cities:
            own = stat(m.code, c)
            rows[c] = ("city", own if own is not None else whole)
    return rows


def version(ds, code: str, y: int):
    """valid_from of the version of ``code`` in force on 31 December of ``y`` (or None)."""
    return next((d.valid_from or date(1900, 1, 1) for d in ds
                 if d.code == code and d.valid_in_year(y)), None)


def resolved(ds, stats, m: Metric, r: TargetRecord, place: str) -> tuple | None:
    """(comparator, level) a relative target asks of ``place``, or None (not evaluable:
    no base figure, a base that is not positive for a change by a factor, a district not
    in force or changed since the base year)."""
    kind, v = r.relative_kind, float(r.relative_value)
    b = relative_base_year(r.relative_reference, r.target_text, r.year, BASE_YEAR)
    if version(ds, place, b) is None or version(ds, place, b) != version(ds, place, r.year):
        return None
    base = actuals_at(ds, stats, m, b).get(place, (None, None))[1]
    if base is None or (base <= 0 and kind != "points"):
        return None
    level = {"multiple": base * v, "percent": base * (1 + v / 100), "points": base + v,
             "annual_rate": base * (1 + v / 100) ** (r.year - b)}[kind]
    down = m.direction == "down" or (v < 1 if kind == "multiple" else v < 0)
    return ("<=" if down else ">=", level)


def expected(ds, stats, records) -> dict[tuple, tuple]:
    out = {}
    for r in records:
        code = INDICATORS[r.indicator_name]
        if r.scope != "全市" or code is None:
            continue
        m, y = METRICS[code], r.year
        tolerance = float(m.tolerance) if m.tolerance is not None else DEFAULT_TOLERANCE
        target = None if r.target_value is None else float(r.target_value)
        high = None if r.target_value_high is None else float(r.target_value_high)
        for place, (level, actual) in actuals_at(ds, stats, m, y).items():
            if r.relative_kind is None:
                out[(r.indicator_name, place, y)] = (
                    level, actual, *verdict(r.comparator, target, high, tolerance, actual), None)
                continue
            asked = resolved(ds, stats, m, r, place)
            if asked is None:
                out[(r.indicator_name, place, y)] = (level, actual, None, None, None)
            else:
                out[(r.indicator_name, place, y)] = (
                    level, actual, *verdict(asked[0], asked[1], None, tolerance, actual),
                    asked[1])
    return out


# --------------------------------------------------------------------------- the warehouse


def in_force(revision, source_file: str, name: str, year: int, scope: str) -> bool:
    """The revision rule once more: a revision's target governs its year from its
    effective date (31 December of the year is on or after it); the plan's target,
    unless the revision states the same indicator, year and scope and governs it."""
    if revision is None:
        return True
    when, rev_records, _ = revision
    governs = when <= date(year, 12, 31)
    if source_file == REVISION_FILE:
        return governs
    return not (governs and any((r.indicator_name, r.year, r.scope) == (name, year, scope)
                                for r in rev_records))


def built(engine, view: str = "fct_attainment", as_of=None) -> dict[tuple, tuple]:
    with engine.connect() as cx:
        rows = cx.execute(sa.text(
            "SELECT p.source_file, i.indicator_name, a.district_code, a.year, a.level, "
            f"a.{'actual' if view == 'v_attainment' else 'actual_value'}, a.attained, a.gap, "
            f"a.target_resolved FROM {view} a JOIN dim_indicator i "
            "ON i.indicator_id = a.indicator_id JOIN dim_plan p ON p.plan_id = i.plan_id"
            + (" WHERE a.as_of = :t" if as_of else "")), {"t": as_of})
        return {(r[0], r[1], r[2], r[3]): tuple(r[4:]) for r in rows}


def load_world(engine, ds, stats, records, revision=None) -> None:
    wl.load_reference(engine, ds, METRICS)
    plan = PlanDocument(PLAN_ID, "预言规划", None, YEARS[0], YEARS[-1], PLAN_FILE,
                        uuid.uuid4().hex * 2, "docx", tables_found=1, records=records)
    docs = [plan]
    if revision is None:
        wl.delete_plan(engine, REVISION_FILE)
    else:
        when, rev_records, first = revision
        rev = PlanDocument(REVISION_ID, "预言规划调整", None, YEARS[0], YEARS[-1], REVISION_FILE,
                           uuid.uuid4().hex * 2, "docx", tables_found=1, records=rev_records,
                           revises="《预言规划》", effective_from=when)
        docs = [rev, plan] if first else [plan, rev]
    for doc in docs:
        wl.load_plan(engine, doc, MAPPINGS)
    load_statistics(engine, stats)


def load_statistics(engine, stats) -> None:
    frame = pd.DataFrame(
        [{"metric_code": m, "district_code": c, "year": y, "value": v,
          "unit": METRICS[m].unit, "source_file": f"s{y}.csv", "location": f"{m}/{c}"}
         for (m, c, y), v in stats.items()],
        columns=["metric_code", "district_code", "year", "value", "unit", "source_file",
                 "location"])
    wl.load_stats(engine, frame)


def same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, bool) or isinstance(b, bool):
        return bool(a) == bool(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def warehouse(request, tmp_path_factory):
    if request.param == "duckdb":
        engine = make_engine(f"duckdb:///{tmp_path_factory.mktemp('oracle') / 'w.duckdb'}")
        create_schema(engine)
        yield engine
        engine.dispose()
        return
    request.getfixturevalue("pg_url")  # skips, or fails under CI=true, without a server
    assert pg_available()
    name = f"planwh_oracle_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    create_database(admin, name)
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        create_schema(engine)
        yield engine
    finally:
        engine.dispose()
        drop_database(admin, name)
        admin.dispose()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(world=worlds())
def test_attainment_follows_the_rules(warehouse, world):
    ds, first, records, revision, stats = world
    load_world(warehouse, ds, first, records, revision)
    between = datetime.now(UTC).replace(tzinfo=None)
    load_statistics(warehouse, stats)  # a second vintage
    build_attainment(warehouse)
    build_attainment_as_of(warehouse, between)

    def wanted(figures):
        want = {(PLAN_FILE, *k): v for k, v in expected(ds, figures, records).items()}
        if revision is not None:
            want |= {(REVISION_FILE, *k): v
                     for k, v in expected(ds, figures, revision[1]).items()}
        return want

    # the latest figures (fct_attainment), and those known between the two loads
    for want, got in ((wanted(stats), built(warehouse)),
                      (wanted(first), built(warehouse, "fct_attainment_as_of", between))):
        assert set(got) == set(want)  # every version of every target is evaluated
        for key, row in want.items():
            assert got[key][0] == row[0], key
            assert all(same(g, w) for g, w in zip(got[key][1:], row[1:], strict=True)), (
                key, got[key], row)
    # validity in load time: one current figure per key, versions that never overlap
    assert stat_version_problems(warehouse) == []
    want = wanted(stats)
    # v_attainment: only the target in force for the year (fct_attainment holds 全市 only)
    shown = built(warehouse, "v_attainment")
    assert set(shown) == {k for k in want if in_force(revision, k[0], k[1], k[3], "全市")}
    # dim_indicator: the plan's version is closed where the revision restates the indicator
    with warehouse.connect() as cx:
        current = {(r[0], r[1]): r[2] for r in cx.execute(sa.text(
            "SELECT p.source_file, i.indicator_name, i.is_current FROM dim_indicator i "
            "JOIN dim_plan p ON p.plan_id = i.plan_id"))}
    restated = {r.indicator_name for r in revision[1]} if revision else set()
    assert current == {
        **{(PLAN_FILE, r.indicator_name): r.indicator_name not in restated for r in records},
        **{(REVISION_FILE, name): True for name in restated}}
