"""build_progress against a plain-Python reading of docs/progress.md, on random small
worlds (the attainment oracle's districts, with versions that end, start or change
within a year, and statistics with holes), with level, range, milestone and relative
targets. Runs on DuckDB and on PostgreSQL.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_attainment_oracle import (
    INDICATORS,
    METRICS,
    PLAN_ID,
    districts,
    load_world,
    statistics,
    warehouse,  # noqa: F401  (the fixture: a fresh warehouse per engine)
)

from extractors.records import TargetRecord
from extractors.targets import parse_target
from warehouse.attainment import DEFAULT_TOLERANCE, build_attainment
from warehouse.progress import build_progress

YEARS = (2018, 2019, 2020, 2021)
BASE = 2017  # the plan runs 2018-2021: base year 2017, which has no statistics
# target texts: levels, a range, qualitative rungs and relative targets
TEXTS = ("不低于{a}", "不高于{a}", "{a}-{b}", "{a}左右", "试点启动", "增长10%", "比上年增长5%",
         "下降20%", "提高5个百分点", "翻一番", "年均增长10%", "达到{a}")


@st.composite
def targets(draw) -> list[TargetRecord]:
    out = []
    for row, name in enumerate(INDICATORS):
        for year in YEARS:
            if not draw(st.booleans()):
                continue
            a, b = sorted(draw(st.lists(st.integers(0, 150), min_size=2, max_size=2)))
            text = draw(st.sampled_from(TEXTS)).format(a=a, b=b)
            pt = parse_target(text, name)[0]
            out.append(TargetRecord(
                plan_id=PLAN_ID, source_file="oracle.docx", source_page=None, source_table=0,
                source_row=row, section="测试", task_no=str(row), task_name=None,
                indicator_name=name, year=year, scope="全市", target_text=pt.text,
                comparator=pt.comparator, target_value=pt.value,
                target_value_high=pt.value_high, target_unit=pt.unit,
                relative_kind=pt.relative_kind, relative_value=pt.relative_value,
                relative_reference=pt.relative_reference))
    return out


@st.composite
def worlds(draw):
    ds = draw(districts())
    codes = sorted({d.code for d in ds})
    return ds, draw(statistics(codes)), draw(targets())


# --------------------------------------------------------------------------- the rules, once more


def relative_of(text: str):
    """(kind, value, reference) as docs/progress.md's table reads the oracle's texts."""
    return {"增长10%": ("percent", 10, "baseline"), "比上年增长5%": ("percent", 5, "previous"),
            "下降20%": ("percent", -20, "baseline"), "提高5个百分点": ("points", 5, "baseline"),
            "翻一番": ("multiple", 2, "baseline"),
            "年均增长10%": ("annual", 10, "baseline")}.get(text)


def level_of(r: TargetRecord, base, base_year):
    """(comparator, low, high) of a target for a place with ``base``; None if none."""
    rel = relative_of(r.target_text)
    if rel is not None:
        if base is None or r.year < base_year:
            return None
        kind, v, ref = rel
        n = r.year - base_year
        if kind == "multiple":
            level = base * v
        elif kind == "annual" or (kind == "percent" and ref == "previous"):
            level = base * (1 + v / 100) ** n
        elif kind == "percent":
            level = base * (1 + v / 100)
        else:
            level = base + v
        down = METRICS[INDICATORS[r.indicator_name]].direction == "down"
        return ("<=" if down or v < 0 else ">=", level, None)
    if r.comparator == "milestone":
        return None
    high = None if r.target_value_high is None else float(r.target_value_high)
    return (r.comparator, float(r.target_value), high)


def meets(actual, target, tolerance) -> bool:
    cmp, low, high = target
    e = 1e-9 * max(1.0, abs(low))
    return {">=": actual >= low - e, "<=": actual <= low + e, ">": actual > low + e,
            "<": actual < low - e, "=": abs(actual - low) <= e,
            "between": high is not None and low - e <= actual <= (high or 0) + e,
            "about": abs(actual - low) <= tolerance * abs(low) + e}[cmp]


def actuals(ds, stats, code):
    """{(place, year): (level, actual or None, version)} by the attainment rules, for
    every year a statistic of the metric (or its parts) exists."""
    m = METRICS[code]
    covered = {y for (mc, _, y) in stats if mc in (m.code, m.numerator, m.denominator)}
    out = {}
    scale = float(m.scale or 1)
    for y in covered:
        valid = [d for d in ds if d.valid_in_year(y)]
        parts = [d for d in valid if d.district_type != "city"]

        def ratio(place, y=y):
            num, den = stats.get((m.numerator, place, y)), stats.get((m.denominator, place, y))
            return None if num is None or den is None or den == 0 else num / den * scale

        if m.aggregation == "ratio":
            for d in parts:
                own = stats.get((m.code, d.code, y))
                out[(d.code, y)] = ("district", own if own is not None else ratio(d.code),
                                    d.valid_from)
            nums = [stats.get((m.numerator, d.code, y)) for d in parts]
            dens = [stats.get((m.denominator, d.code, y)) for d in parts]
            whole = (sum(nums) / sum(dens) * scale
                     if parts and None not in nums + dens and sum(dens) != 0 else None)
        else:
            values = [stats.get((m.code, d.code, y)) for d in parts]
            whole = sum(values) if parts and None not in values else None
        for d in valid:
            if d.district_type == "city":
                own = stats.get((m.code, d.code, y))
                alt = ratio(d.code) if m.aggregation == "ratio" else None
                out[(d.code, y)] = ("city", next(
                    (v for v in (own, alt, whole) if v is not None), None), d.valid_from)
    return out


def fit(points, end_year, logs):
    if len(points) < 3:
        return None
    t = np.array([p[0] for p in points], dtype=float)
    v = np.array([math.log(p[1]) if logs else p[1] for p in points])
    slope, icpt = np.polyfit(t, v, 1, w=np.sqrt(t - t.min() + 1))
    y = slope * end_year + icpt
    return math.exp(y) if logs else y


def expected(ds, stats, records) -> dict:
    out = {}
    by_name: dict[str, list[TargetRecord]] = {}
    for r in records:
        if INDICATORS[r.indicator_name] is not None:
            by_name.setdefault(r.indicator_name, []).append(r)
    for name, recs in by_name.items():
        m = METRICS[INDICATORS[name]]
        tol = float(m.tolerance) if m.tolerance is not None else DEFAULT_TOLERANCE
        grid = actuals(ds, stats, m.code)
        evaluable = [r for r in recs if r.comparator != "milestone"
                     or relative_of(r.target_text)]
        end = max(evaluable, key=lambda r: r.year) if evaluable else None
        end_year = end.year if end else max(r.year for r in recs)
        for (place, y), (_, actual, version) in grid.items():
            if not BASE < y <= end_year:
                continue
            series = {t: v for (p, t), v in grid.items() if p == place}
            base, b = None, BASE
            if BASE in series and series[BASE][2] == version and series[BASE][1] is not None:
                base = series[BASE][1]
            else:
                for t in sorted(series):
                    if BASE < t < y and series[t][1] is not None and series[t][2] == version:
                        base, b = series[t][1], t
                        break
            met = [r.year for r in recs
                   if actual is not None and (lv := level_of(r, base, b)) is not None
                   and meets(actual, lv, tol)]
            sched = max(met) if met else None
            row = {"status": "insufficient data", "baseline_value": base, "baseline_year": b,
                   "schedule_year": sched, "required_value": None, "progress_ratio": None,
                   "anticipated_value": None}
            out[(name, place, y)] = row
            target = level_of(end, base, b) if end and base is not None else None
            if target is None:
                continue
            compound_kind = (relative_of(end.target_text) or ("",))[0] in (
                "multiple", "percent", "annual")
            if compound_kind and base <= 0:
                continue
            cmp, low, high = target
            aim = (low if base < low else high if base > high else base) \
                if cmp == "between" else low
            compound = compound_kind and aim > 0
            share = 1.0 if y >= end_year else (y - b) / (end_year - b)
            req = base * (aim / base) ** share if compound else base + (aim - base) * share
            row["required_value"] = req
            pts = [(t, v[1]) for t, v in sorted(series.items())
                   if b <= t <= y and v[1] is not None and v[2] == version]
            row["anticipated_value"] = fit(pts, end_year,
                                           compound and all(p[1] > 0 for p in pts))
            if actual is None:
                continue
            if meets(actual, target, tol):
                row["status"] = "achieved"
                continue
            if compound and actual > 0:  # growth rates: log ratio
                den = math.log(req / base)
                ratio = math.log(actual / base) / den if abs(den) > 1e-9 else None
            else:
                den = req - base
                ratio = (actual - base) / den if abs(den) > 1e-9 * max(1.0, abs(base)) else None
            if ratio is None:  # no progress required, yet the target is not met
                row["status"] = "deteriorating"
                continue
            row["progress_ratio"] = ratio
            e = 1e-9  # the thresholds' slack for float noise
            row["status"] = ("on track" if ratio >= 0.95 - e else "moderate"
                             if ratio >= 0.5 - e else "limited" if ratio >= -e
                             else "deteriorating")
    return out


def built(engine) -> dict:
    with engine.connect() as cx:
        rows = cx.execute(sa.text(
            "SELECT i.indicator_name, g.district_code, g.year, g.status, g.baseline_value, "
            "g.baseline_year, g.schedule_year, g.required_value, g.progress_ratio, "
            "g.anticipated_value FROM fct_progress g JOIN dim_indicator i "
            "ON i.indicator_id = g.indicator_id")).mappings().all()
    return {(r["indicator_name"], r["district_code"], r["year"]): dict(r) for r in rows}


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(world=worlds())
def test_progress_follows_the_rules(warehouse, world):  # noqa: F811
    ds, stats, records = world
    load_world(warehouse, ds, stats, records)
    build_attainment(warehouse)
    build_progress(warehouse)
    want, got = expected(ds, stats, records), built(warehouse)
    assert set(got) == set(want)
    for key, row in want.items():
        g = got[key]
        assert g["status"] == row["status"], (key, g, row)
        assert g["baseline_year"] == row["baseline_year"], (key, g, row)
        assert g["schedule_year"] == row["schedule_year"], (key, g, row)
        for col in ("baseline_value", "required_value", "progress_ratio", "anticipated_value"):
            assert close(g[col], row[col]), (key, col, g, row)


def test_decimal_guard():
    """The oracle's texts read as it assumes (the grammar is tested elsewhere)."""
    assert parse_target("比上年增长5%")[0].relative_reference == "previous_year"
    assert parse_target("翻一番")[0].relative_value == Decimal(2)
