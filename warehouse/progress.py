"""fct_progress: how far each district (and the city) is along the way to a plan's
end-year target, year by year (docs/progress.md).

Methods: UN ESCAP's progress assessment (Current Status Index: progress since the base
year relative to the progress required; Anticipated Progress Index: a time-weighted
linear regression projecting the end-year value) and the UN Statistics Division's
progress chart (ratio of actual to required growth, with thresholds). The thresholds
live in ``STATUS_THRESHOLDS`` and nowhere else.

The build:

1. Actuals in SQL, by the attainment rules (``warehouse.attainment.BUILD_SQL``'s CTEs,
   shared, not copied): every district valid in a year and the city, ratio metrics by
   num/den x scale and the city by sum(num)/sum(den), for every year the statistics of
   a mapped metric cover (base years too, which have no target).
2. Per indicator x district x year, in Python (``progress_rows``, pure): baseline,
   end-year target (relative targets resolved from the district's own base-year value,
   ``extractors.relative.resolve``), required path, ratio, anticipated end-year value,
   schedule position and status.
3. One transaction: DELETE and INSERT of fct_progress; ``v_progress`` (re)created.

A district code whose version (dim_district valid_from) in the base year differs from
its version in the year evaluated (Hangzhou's 2021 redistricting kept codes for
changed land) has no comparable baseline: status ``insufficient data``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.engine import Engine

from extractors.relative import COMPOUND_KINDS, Relative, comparator_of, resolve
from warehouse.attainment import BUILD_SQL, DEFAULT_TOLERANCE
from warehouse.schema import (  # noqa: F401  (V_PROGRESS_SQL: progress's API)
    INSUFFICIENT,
    PROGRESS_STATUSES,
    V_PROGRESS_COMMENT,
    V_PROGRESS_SQL,
    create_progress_view,
    fct_progress,
)

# The status classes and their thresholds, in ONE place (docs/progress.md). A status is
# "achieved" when the actual meets the end-year target; otherwise the ratio r of actual
# to required progress decides: r >= on track; r >= moderate; r >= limited; below it,
# deteriorating (moving away from the target). UNSD's progress chart uses 0.95 and 0.5.
STATUS_THRESHOLDS = (("on track", 0.95), ("moderate", 0.5), ("limited", 0.0))
DETERIORATING = "deteriorating"
ACHIEVED = "achieved"
assert {s for s, _ in STATUS_THRESHOLDS} | {DETERIORATING, INSUFFICIENT, ACHIEVED} == set(
    PROGRESS_STATUSES)
# Points (base year included) a trend needs before it is projected (ESCAP: >= 3).
MIN_TREND_POINTS = 3
# Relative slack of comparisons (as in warehouse/attainment.py).
EPS = 1e-9


def classify(ratio: float) -> str:
    """Status of a ratio of actual to required progress (not achieved)."""
    for status, threshold in STATUS_THRESHOLDS:
        if ratio >= threshold - EPS:  # float noise: (4.4 - 5) / (3.8 - 5) is 0.4999…
            return status
    return DETERIORATING


# --------------------------------------------------------------------------- actuals SQL

_BODY_START = BUILD_SQL.index("\nmetric_years AS (")
_BODY_END = BUILD_SQL.index("\nSELECT t.indicator_id")
# Every (metric, year) the statistics of a mapped metric cover (the metric itself, its
# numerator or its denominator): the attainment CTEs then give each district's and the
# city's actual in that year by the same rules as fct_attainment.
ACTUALS_SQL = (
    """WITH u AS (  -- metrics of indicators with a 全市 target
    SELECT DISTINCT i.metric_code FROM dim_indicator i
    JOIN fct_target ft ON ft.indicator_id = i.indicator_id AND ft.scope = '全市'
),
k AS (  -- a metric and the codes whose statistics make it: itself, numerator, denominator
    SELECT metric_code, metric_code AS part FROM dim_metric
    UNION ALL SELECT metric_code, numerator FROM dim_metric WHERE numerator IS NOT NULL
    UNION ALL SELECT metric_code, denominator FROM dim_metric WHERE denominator IS NOT NULL
),
sy AS (SELECT DISTINCT metric_code, year FROM fct_district_stat WHERE valid_to IS NULL),
evaluated_targets AS (  -- equi-joins only: an OR join of the statistics plans as a nested loop
    SELECT DISTINCT m.metric_code, sy.year, m.aggregation, m.numerator, m.denominator,
           COALESCE(m.scale, 1.0) AS scale
    FROM dim_metric m
    JOIN u ON u.metric_code = m.metric_code
    JOIN k ON k.metric_code = m.metric_code
    JOIN sy ON sy.metric_code = k.part
),"""
    + BUILD_SQL[_BODY_START + 1:_BODY_END]
    + "\nSELECT a.metric_code, a.district_code, a.year, a.level, a.actual_value FROM actuals a"
)

INDICATORS_SQL = f"""
SELECT i.indicator_id, i.metric_code, i.direction, i.baseline_value, i.baseline_year,
       p.period_start, COALESCE(m.tolerance, {DEFAULT_TOLERANCE}) AS tolerance
FROM dim_indicator i
JOIN dim_plan p ON p.plan_id = i.plan_id
JOIN dim_metric m ON m.metric_code = i.metric_code
WHERE EXISTS (SELECT 1 FROM fct_target ft
              WHERE ft.indicator_id = i.indicator_id AND ft.scope = '全市')
"""

TARGETS_SQL = """
SELECT ft.indicator_id, ft.year, ft.comparator, ft.target_value, ft.target_value_high,
       ft.target_text, ft.relative_kind, ft.relative_value, ft.relative_reference
FROM fct_target ft
JOIN dim_indicator i ON i.indicator_id = ft.indicator_id AND i.metric_code IS NOT NULL
WHERE ft.scope = '全市'
"""

VERSIONS_SQL = "SELECT district_code, valid_from, valid_to FROM dim_district"


# --------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Target:
    year: int
    comparator: str
    value: float | None
    value_high: float | None
    text: str
    relative: Relative | None = None

    @property
    def evaluable(self) -> bool:
        return self.comparator != "milestone" or self.relative is not None


@dataclass
class Indicator:
    indicator_id: str
    metric_code: str
    direction: str = "up"
    baseline_value: float | None = None
    baseline_year: int | None = None
    period_start: int | None = None
    tolerance: float = DEFAULT_TOLERANCE
    targets: list[Target] = field(default_factory=list)

    def base_year(self) -> int | None:
        if self.baseline_year is not None:
            return self.baseline_year
        if self.period_start is not None:
            return self.period_start - 1
        return min(t.year for t in self.targets) - 1 if self.targets else None


def target_of(t: Target, base: float | None, base_year: int,
              direction: str = "up") -> tuple | None:
    """(comparator, low, high) of a target as a level for a district with ``base`` in
    ``base_year``; None when it cannot be resolved (qualitative, or relative without a
    base). ``direction``: the indicator's (a relative change of a down indicator is a
    ceiling)."""
    if t.relative is not None:
        v = resolve(t.relative, base, base_year, t.year) if base is not None else None
        return None if v is None else (comparator_of(t.relative, direction), v, None)
    if t.comparator == "milestone" or t.value is None:
        return None
    return t.comparator, t.value, t.value_high


def meets(actual: float | None, target: tuple, tolerance: float) -> bool | None:
    """The attainment rule (warehouse/attainment.py ATTAINED) in Python."""
    if actual is None or target is None:
        return None
    cmp, low, high = target
    eps = EPS * max(1.0, abs(low))
    if cmp == ">=":
        return actual >= low - eps
    if cmp == ">":
        return actual > low + eps
    if cmp == "<=":
        return actual <= low + eps
    if cmp == "<":
        return actual < low - eps
    if cmp == "=":
        return abs(actual - low) <= eps
    if cmp == "between":
        return low - eps <= actual <= high + eps
    if cmp == "about":
        return abs(actual - low) <= tolerance * abs(low) + eps
    return None


def _direction(target: tuple, default: str) -> str:
    cmp = target[0]
    if cmp in (">=", ">"):
        return "up"
    if cmp in ("<=", "<"):
        return "down"
    return default


def _aim(target: tuple, base: float) -> float:
    """The level the required path runs to: the target, or for a range the bound
    nearest the baseline (the baseline itself when already inside)."""
    cmp, low, high = target
    if cmp == "between":
        return low if base < low else high if base > high else base
    return low


def required_value(base: float, aim: float, base_year: int, end_year: int, year: int,
                   compound: bool) -> float:
    if year >= end_year or end_year <= base_year:
        return aim
    share = (year - base_year) / (end_year - base_year)
    if compound:
        return base * (aim / base) ** share
    return base + (aim - base) * share


def progress_ratio(base: float, actual: float, required: float, compound: bool) -> float | None:
    """Actual progress since the base year / required progress by this year; a
    compound path compares growth rates (log ratios, UNSD's CAGR ratio). None when no
    progress is required (the required value is the baseline)."""
    if compound and base > 0 and actual > 0 and required > 0:
        den = math.log(required / base)
        if abs(den) > EPS:
            return math.log(actual / base) / den
        return None
    den = required - base
    if abs(den) <= EPS * max(1.0, abs(base)):
        return None
    return (actual - base) / den


def anticipated(points: list[tuple[int, float]], end_year: int, compound: bool) -> float | None:
    """Time-weighted least squares line through ``points`` (year, value), evaluated at
    ``end_year``; weights 1, 2, 3... by recency (the latest point weighs most). On a
    compound path the fit is on log values when all are positive. None below
    MIN_TREND_POINTS points or with all points in one year."""
    if len(points) < MIN_TREND_POINTS:
        return None
    logs = compound and all(v > 0 for _, v in points)
    first = min(t for t, _ in points)
    xs = [float(t) for t, _ in points]
    ys = [math.log(v) if logs else v for _, v in points]
    ws = [float(t - first + 1) for t, _ in points]
    sw = sum(ws)
    mx = sum(w * x for w, x in zip(ws, xs, strict=True)) / sw
    my = sum(w * y for w, y in zip(ws, ys, strict=True)) / sw
    sxx = sum(w * (x - mx) ** 2 for w, x in zip(ws, xs, strict=True))
    if sxx <= 0:
        return None
    slope = sum(w * (x - mx) * (y - my) for w, x, y in zip(ws, xs, ys, strict=True)) / sxx
    y_end = my + slope * (end_year - mx)
    if logs:
        return math.exp(y_end) if y_end < 700 else None
    return y_end


def _finite(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


def _schedule(ind: Indicator, base: float | None, b: int, year: int, actual: float | None):
    """(schedule_year, position, rung, note) for one actual."""
    qualitative = [t for t in ind.targets if not t.evaluable]
    qual_note = ""
    if qualitative:
        rungs = ", ".join(f"{t.text} ({t.year})" for t in qualitative[:6])
        qual_note = f"qualitative rungs not evaluated: {rungs}"
    if actual is None:
        return None, None, None, qual_note or None
    met = []
    for t in ind.targets:
        lvl = target_of(t, base, b, ind.direction)
        if lvl is not None and meets(actual, lvl, ind.tolerance):
            met.append((t.year, lvl[1]))
    if not met:
        resolvable = any(target_of(t, base, b, ind.direction) is not None for t in ind.targets)
        note = (f"{year} actual meets no plan-year target" if resolvable
                else "no numeric target to compare with")
        return None, None, None, "; ".join(x for x in (note, qual_note) if x)
    sy, rung = max(met)
    pos = sy - year
    where = ("on schedule" if pos == 0 else f"{-pos} year{'s' if pos != -1 else ''} behind"
             if pos < 0 else f"{pos} year{'s' if pos != 1 else ''} ahead")
    note = f"{year} actual meets the {sy} target: {where}"
    return sy, pos, rung, "; ".join(x for x in (note, qual_note) if x)


def version_key(versions: dict[str, list[tuple[date, date | None]]], code: str,
                year: int):
    """valid_from of the version of ``code`` in force on 31 December of ``year``."""
    d = date(year, 12, 31)
    for start, end in versions.get(code, ()):
        if start <= d and (end is None or d <= end):
            return start
    return None


def progress_rows(indicators: Iterable[Indicator],
                  actuals: dict[str, dict[tuple[str, int], tuple[str, float | None]]],
                  versions: dict[str, list[tuple[date, date | None]]]) -> list[dict]:
    """Every fct_progress row (pure: no database).

    ``actuals[metric][(district_code, year)] = (level, value or None)`` as the attainment
    rules give them; ``versions[code]`` its (valid_from, valid_to) versions.
    """
    out = []
    grouped: dict[str, dict] = {}  # metric -> district -> year -> (level, value)
    for ind in indicators:
        if not ind.targets:
            continue
        b = ind.base_year()
        evaluable = [t for t in ind.targets if t.evaluable]
        end = max(evaluable, key=lambda t: t.year) if evaluable else None
        end_year = end.year if end else max(t.year for t in ind.targets)
        if ind.metric_code not in grouped:
            by_code: dict[str, dict[int, tuple[str, float | None]]] = defaultdict(dict)
            for (code, y), v in actuals.get(ind.metric_code, {}).items():
                by_code[code][y] = v
            grouped[ind.metric_code] = by_code
        by_code = grouped[ind.metric_code]
        for code, series in sorted(by_code.items()):
            for y in sorted(series):
                if b is None or y <= b or y > end_year:
                    continue
                out.append(_row(ind, code, y, series, b, end, end_year, versions))
    return out


def _baseline(ind: Indicator, code: str, level: str, y: int, series: dict, b: int,
              versions, same) -> tuple[float | None, int, str | None]:
    """(baseline value, baseline year, why none) of a district for the year ``y``.

    The value in the plan's base year, on the same district version as ``y``; for the
    city without statistics that year, the plan's own base-year figure (layout B); else
    (ESCAP's practice when the base year has no data) the earliest later value before
    ``y`` on the same version, whose year then becomes the baseline year.
    """
    changed = b in series and version_key(versions, code, b) != same
    if not changed and b in series and series[b][1] is not None:
        return series[b][1], b, None
    if level == "city" and ind.baseline_value is not None and not changed:
        return ind.baseline_value, b, None
    for t in sorted(series):
        if b < t < y and series[t][1] is not None and version_key(versions, code, t) == same:
            return series[t][1], t, None
    if changed:
        return None, b, f"district {code} changed between {b} and {y}: no comparable baseline"
    return None, b, f"no value in {b} (base year) nor in a later year before {y}"


def _row(ind: Indicator, code: str, y: int, series: dict, b: int, end: Target | None,
         end_year: int, versions) -> dict:
    level, actual = series[y]
    row = {"indicator_id": ind.indicator_id, "district_code": code, "year": y,
           "level": level, "direction": ind.direction, "path": None,
           "relative_kind": end.relative.kind if end and end.relative else None,
           "relative_reference": end.relative.reference if end and end.relative else None,
           "baseline_year": b, "baseline_value": None, "end_year": end_year,
           "end_target_value": None, "required_value": None, "actual_value": actual,
           "progress_ratio": None, "anticipated_value": None, "anticipated_meets": None,
           "schedule_year": None, "schedule_position": None, "rung_reached": None,
           "schedule_note": None, "status": INSUFFICIENT, "status_note": None}
    same = version_key(versions, code, y)
    base, b, base_note = _baseline(ind, code, level, y, series, b, versions, same)
    row["baseline_value"], row["baseline_year"] = base, b
    sy, pos, rung, note = _schedule(ind, base, b, y, actual)
    row.update(schedule_year=sy, schedule_position=pos, rung_reached=_finite(rung),
               schedule_note=note)
    if end is None:
        row["status_note"] = "qualitative targets only: not evaluated"
        return row
    target = target_of(end, base, b, ind.direction)
    if target is not None:
        row["direction"] = _direction(target, ind.direction)
        row["end_target_value"] = _finite(_aim(target, base) if base is not None else target[1])
    if base is None:
        row["status_note"] = base_note
        return row
    if target is None:
        row["status_note"] = f"{end.year} target not resolvable: {end.text}"
        return row
    if end.relative and end.relative.kind in COMPOUND_KINDS and base <= 0:
        row["status_note"] = (f"{end.text}: a relative target of a base of {base:g} "
                              "asks for no level")
        return row
    aim = _aim(target, base)
    compound = bool(end.relative and end.relative.kind in COMPOUND_KINDS
                    and base > 0 and aim > 0)
    row["path"] = "compound" if compound else "linear"
    req = required_value(base, aim, b, end_year, y, compound)
    row["required_value"] = _finite(req)
    points = [(t, v) for t, (_, v) in sorted(series.items())
              if b <= t <= y and v is not None and version_key(versions, code, t) == same]
    if not points or points[0][0] > b:  # the baseline came from the plan, not statistics
        points.insert(0, (b, base))
    proj = _finite(anticipated(points, end_year, compound))
    row["anticipated_value"] = proj
    row["anticipated_meets"] = meets(proj, target, ind.tolerance) if proj is not None else None
    if actual is None:
        row["status_note"] = f"no {y} value"
        return row
    if meets(actual, target, ind.tolerance):
        row["status"] = ACHIEVED
        row["status_note"] = f"meets the {end_year} target"
        return row
    ratio = _finite(progress_ratio(base, actual, req, compound))
    row["progress_ratio"] = ratio
    if ratio is None:  # no progress required, yet the target is not met: moved away
        row["status"] = DETERIORATING
        row["status_note"] = "met the target in the base year, no longer"
        return row
    row["status"] = classify(ratio)
    row["status_note"] = f"{ratio:.2f} of the progress required by {y}"
    return row


# --------------------------------------------------------------------------- the build


def _num(v) -> float | None:
    if v is None:
        return None
    return float(v) if not isinstance(v, float) else v


def read_inputs(cx) -> tuple[list[Indicator], dict, dict]:
    inds = {}
    for r in cx.exec_driver_sql(INDICATORS_SQL).mappings():
        inds[r["indicator_id"]] = Indicator(
            r["indicator_id"], r["metric_code"], r["direction"], _num(r["baseline_value"]),
            r["baseline_year"], r["period_start"], float(r["tolerance"]))
    for r in cx.exec_driver_sql(TARGETS_SQL).mappings():
        ind = inds.get(r["indicator_id"])
        if ind is None:
            continue
        ind.targets.append(Target(r["year"], r["comparator"], _num(r["target_value"]),
                                  _num(r["target_value_high"]), r["target_text"],
                                  relative_of(r)))
    for ind in inds.values():
        ind.targets.sort(key=lambda t: t.year)
    actuals: dict = defaultdict(dict)
    # materialised first: DuckDB (1.x) runs this SELECT as a prepared statement orders of
    # magnitude slower than the same query as CREATE TABLE AS (figures: bench/README.md)
    cx.exec_driver_sql("DROP TABLE IF EXISTS _planwh_actuals")
    cx.exec_driver_sql("CREATE TEMPORARY TABLE _planwh_actuals AS " + ACTUALS_SQL)
    for m, code, y, level, v in cx.exec_driver_sql("SELECT * FROM _planwh_actuals"):
        actuals[m][(code, int(y))] = (level, _num(v))
    cx.exec_driver_sql("DROP TABLE _planwh_actuals")
    versions: dict = defaultdict(list)
    for code, start, end in cx.exec_driver_sql(VERSIONS_SQL):
        versions[code].append((_as_date(start), _as_date(end)))
    return list(inds.values()), actuals, versions


def relative_of(row) -> Relative | None:
    """The relative reading fct_target keeps (the loader's, layout B's growth column
    included), or None for a level target."""
    if row["relative_kind"] is None or row["relative_value"] is None:
        return None
    return Relative(row["relative_kind"], Decimal(str(row["relative_value"])),
                    row["relative_reference"] or "baseline")


def _as_date(v):
    if v is None or isinstance(v, date):
        return v
    return date.fromisoformat(str(v)[:10])


def build_progress(engine: Engine) -> int:
    """Rebuild fct_progress in one transaction (after fct_attainment's inputs are
    loaded); (re)creates v_progress; returns the row count."""
    with engine.begin() as cx:
        rows = progress_rows(*read_inputs(cx))
        cx.execute(fct_progress.delete())
        if rows and cx.dialect.name == "duckdb":
            _insert_duckdb(cx, rows)
        elif rows:
            cx.execute(fct_progress.insert(), rows)
        create_progress_view(cx)
    return len(rows)


def _insert_duckdb(cx, rows: list[dict]) -> None:
    """INSERT … SELECT from a registered frame (a row-by-row executemany is far slower:
    bench/README.md). Nullable pandas dtypes, so that a missing number is NULL, never NaN."""
    import pandas as pd
    import sqlalchemy as sa

    cols = [c.name for c in fct_progress.columns]
    df = pd.DataFrame(rows, columns=cols)
    for c in fct_progress.columns:
        if isinstance(c.type, sa.Integer):
            df[c.name] = df[c.name].astype("Int64")
        elif isinstance(c.type, sa.Double):
            df[c.name] = df[c.name].astype("Float64")
        elif isinstance(c.type, sa.Boolean):
            df[c.name] = df[c.name].astype("boolean")
    duck = cx.connection.dbapi_connection
    duck.register("_planwh_progress", df)
    try:
        names = ", ".join(cols)
        cx.exec_driver_sql(f"INSERT INTO fct_progress ({names}) SELECT {names} "
                           "FROM _planwh_progress")
    finally:
        duck.unregister("_planwh_progress")


# --------------------------------------------------------------------------- v_progress

# v_progress (the view of the versions in force) lives in warehouse.schema, which
# (re)creates it with the schema too: an upgraded DuckDB file gets the current view.




