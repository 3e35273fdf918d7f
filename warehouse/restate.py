"""Restated boundaries: statistics and attainment on the district boundaries of one year
(docs/time.md, "Restated boundaries").

Inputs: ``bridge_district_lineage`` (old version -> new version, rename/merge/split, from
raw/reference/district_lineage.csv), ``ref_split_weight`` (raw/reference/split_weights.csv),
``dim_district``, ``dim_metric`` and ``fct_district_stat``. Outputs, rebuilt whole in one
transaction: ``fct_district_stat_restated`` (a view: the current figures of the district x
year pairs of ``ref_restate_unchanged``, and the rows of ``fct_district_stat_restatement``,
so that a build never copies the reported figures), ``fct_attainment_restated`` and the
view ``v_attainment_restated``; the issues (``ingest_issues`` scope ``restate``) are
returned.

Rules, for the restate year T (``restate_year``: ``PLANWH_RESTATE_TO`` or
``planwh run --restate-to``, default the latest year of dim_year or of a district
version's start):

- A figure whose district version in its year is the version in force in T is the
  reported one (``restated`` false, method ``reported``).
- A figure of an earlier year on other boundaries is carried forward change by change
  through the lineage: a rename or a merge passes the old land whole (weight 1); a split
  passes ``weight`` of it to each successor, from ref_split_weight (the metric's own
  weights, else those of ``*``). A sum metric of a new district is the weighted sum of its
  sources, and only when every source has a figure: ``rename`` (one source),
  ``sum_of_parts`` (several, no split: exact), ``weighted`` (a split weight was used).
- A ratio metric restates through its parts: restated numerator / restated denominator
  x scale (``ratio_of_parts``), never a sum or an average of rates.
- Never a guess: no weights for a split (or weights not summing to 1), a missing part, a
  ratio whose parts are not restated, a figure of a year after T on boundaries other than
  T's (restatement goes forward in time only), a changed district without lineage: each is
  an ``ingest_issues`` row, and the restated row is absent.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from extractors.records import IngestIssue
from extractors.reference import (
    ALL_METRICS,
    LINEAGE_FILE,
    SPLIT_WEIGHTS_FILE,
    WEIGHT_SUM_TOLERANCE,
)
from warehouse.attainment import STAT_ROWS, _build_sql
from warehouse.schema import (
    ATTAINMENT_ROW_COLUMNS,
    OPEN_VALID_FROM,
    WHOLE_CITY_TARGET_JOIN,
    YEAR_MAX,
    YEAR_MIN,
    analyst_view_from,
    analyst_view_head,
    readable_target,
    rebuild_duckdb_table,
)
from warehouse.sql import district_in_force, exact_sum, target_in_force

RESTATE_ENV = "PLANWH_RESTATE_TO"
ISSUE_SCOPE = "restate"
CHECK = "restatement"
_OPEN = date.fromisoformat(OPEN_VALID_FROM)


def restate_setting() -> int | None:
    """The restate year from ``PLANWH_RESTATE_TO`` (None: the default); ValueError with
    the reason when it is not a year."""
    text = os.environ.get(RESTATE_ENV, "").strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{4}", text) or not YEAR_MIN <= int(text) <= YEAR_MAX:
        raise ValueError(f"{RESTATE_ENV}={text!r} is not a year")
    return int(text)


def default_restate_year(cx: Connection) -> int | None:
    """The latest year of dim_year or of a district version's start (the current
    boundaries); None when the warehouse knows neither."""
    years = [r[0] for r in cx.exec_driver_sql("SELECT MAX(year) FROM dim_year")]
    starts = [r[0] for r in cx.exec_driver_sql(
        "SELECT MAX(valid_from) FROM dim_district")]
    found = [y for y in years if y is not None]
    found += [d.year for d in starts if d is not None and d != _OPEN]
    return max(found) if found else None


# --------------------------------------------------------------------------- lineage walk


@dataclass
class Lineage:
    """District versions, lineage links and usable split weights, as read from the
    warehouse (small tables)."""

    versions: dict[str, list[tuple[date, date | None]]]  # code -> [(valid_from, valid_to)]
    names: dict[str, str]
    links: dict[tuple[int, str], list[tuple[str, str]]]  # (year, old) -> [(new, kind)]
    weights: dict[tuple[int, str, str], dict[str, float]]  # (year, old, metric) -> {new: w}
    issues: list[IngestIssue] = field(default_factory=list)
    _cache: dict = field(default_factory=dict)

    def version(self, code: str, year: int) -> date | None:
        """valid_from of the version of ``code`` in force on 31 December of ``year``."""
        end = date(year, 12, 31)
        for start, stop in self.versions.get(code, []):
            if start <= end and (stop is None or stop >= end):
                return start
        return None

    def in_force(self, year: int) -> list[str]:
        return sorted(c for c in self.versions if self.version(c, year) is not None)

    def label(self, code: str) -> str:
        return f"{code} ({self.names[code]})" if code in self.names else code

    def shares(self, code: str, year: int, to_year: int, metric: str):
        """Where the land of ``code`` (its version of ``year``) lies on the boundaries of
        ``to_year``: ({new code: weight, None when a split has no usable weights},
        split used, [(change year, old code) without weights], [(year, code) without
        lineage])."""
        key = (code, year, to_year, metric)
        if key in self._cache:
            return self._cache[key]
        cur: dict[str, float | None] = {code: 1.0}
        split_used = False
        no_weights: list[tuple[int, str]] = []
        no_lineage: list[tuple[int, str]] = []
        for c in range(year + 1, to_year + 1):
            nxt: dict[str, float | None] = defaultdict(float)
            for k, w in cur.items():
                links = self.links.get((c, k))
                if links is None:
                    v = self.version(k, c)
                    if v is None or v != self.version(k, c - 1):
                        no_lineage.append((c, k))
                        nxt[k] = None
                    else:
                        nxt[k] = _times(nxt[k], w, 1.0, add=True)
                    continue
                if links[0][1] != "split":
                    nxt[links[0][0]] = _times(nxt[links[0][0]], w, 1.0, add=True)
                    continue
                split_used = True
                wts = self.weights.get((c, k, metric)) or self.weights.get((c, k, ALL_METRICS))
                if wts is None:
                    no_weights.append((c, k))
                for new, _ in links:
                    nxt[new] = _times(nxt[new], w, None if wts is None else wts.get(new, 0.0),
                                      add=True)
            cur = dict(nxt)
        out = ({k: w for k, w in cur.items() if w is None or w > 0}, split_used, no_weights,
               no_lineage)
        self._cache[key] = out
        return out


def _times(acc: float | None, w: float | None, f: float | None, *, add: bool) -> float | None:
    """acc + w x f, None (unknown) as soon as any part is unknown."""
    if acc is None or w is None or f is None:
        return None
    return acc + w * f if add else w * f


def read_lineage(cx: Connection) -> Lineage:
    versions: dict[str, list[tuple[date, date | None]]] = defaultdict(list)
    names: dict[str, str] = {}
    for code, start, stop, name in cx.exec_driver_sql(
            "SELECT district_code, valid_from, valid_to, district_name FROM dim_district "
            "ORDER BY district_code, valid_from"):
        versions[code].append((_as_date(start), _as_date(stop) if stop is not None else None))
        names[code] = name
    links: dict[tuple[int, str], list[tuple[str, str]]] = defaultdict(list)
    for year, old, new, kind in cx.exec_driver_sql(
            "SELECT change_year, old_code, new_code, kind FROM bridge_district_lineage "
            "ORDER BY change_year, old_code, new_code"):
        links[(int(year), old)].append((new, kind))
    groups: dict[tuple[int, str, str], dict[str, float]] = defaultdict(dict)
    rows: dict[tuple[int, str, str], list[int]] = defaultdict(list)
    for year, old, new, metric, weight, row in cx.exec_driver_sql(
            "SELECT change_year, old_code, new_code, metric_code, weight, source_row "
            "FROM ref_split_weight ORDER BY change_year, old_code, metric_code, new_code"):
        groups[(int(year), old, metric)][new] = float(weight)
        rows[(int(year), old, metric)].append(row)
    lineage = Lineage(dict(versions), names, dict(links), {})
    for key, wts in groups.items():
        total = sum(wts.values())
        if abs(total - 1.0) <= float(WEIGHT_SUM_TOLERANCE):
            lineage.weights[key] = wts
            continue
        year, old, metric = key
        where = "rows " + ", ".join(str(r) for r in sorted(r for r in rows[key] if r))
        lineage.issues.append(IngestIssue(
            SPLIT_WEIGHTS_FILE, where, "error",
            f"weights of {lineage.label(old)} (split {year}) for {metric} sum to "
            f"{total:g}, not 1: not used", f"{CHECK}.weights_sum_to_one"))
    return lineage


def _as_date(v) -> date:
    return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])


# --------------------------------------------------------------------------- the build


@dataclass
class RestateResult:
    restate_year: int | None
    stat_rows: int
    restated_rows: int
    attainment_rows: int
    issues: list[IngestIssue]
    methods: dict[str, int] = field(default_factory=dict)  # rows of the view by method


# Temporary tables of one build. restate_share: where each changed district's figure comes
# from, per weight variant (``*``, or a metric with split weights of its own);
# restate_variant: the variant of each sum metric; restate_sums: the restated sums.
_SHARE_DDL = ("CREATE TEMPORARY TABLE restate_share (variant VARCHAR(64), year INTEGER, "
              "source_code VARCHAR(12), district_code VARCHAR(12), weight DOUBLE PRECISION, "
              "method VARCHAR(16), term VARCHAR(80))")
_VARIANT_DDL = ("CREATE TEMPORARY TABLE restate_variant (metric_code VARCHAR(64), "
                "variant VARCHAR(64))")
_PREIMAGE_DDL = ("CREATE TEMPORARY TABLE restate_preimage (year INTEGER, "
                 "source_code VARCHAR(12), district_code VARCHAR(12))")
# the restate year, for statements that cannot take a bound parameter (they run through
# rebuild_duckdb_table)
_PARAM_DDL = "CREATE TEMPORARY TABLE restate_param (t INTEGER NOT NULL)"
_TEMP_TABLES = ("restate_share", "restate_variant", "restate_preimage", "restate_param",
                "restate_sums", "restate_stats")

# the restated figures the attainment build reads: those of the metrics with a target and
# of their parts, copied out of the view fct_district_stat_restated with the metric filter
# in each of its branches (the build's joins are not pushed into the view's UNION ALL: over
# 5M statistics it hashed the whole view, 21 s on PostgreSQL, for no target at all)
_TARGET_METRICS_SQL = """
SELECT m.metric_code, m.numerator, m.denominator FROM dim_metric m
WHERE m.metric_code IN (SELECT i.metric_code FROM dim_indicator i
                        JOIN fct_target ft ON ft.indicator_id = i.indicator_id)
"""
_STATS_FOR_TARGETS_SQL = """
CREATE TEMPORARY TABLE restate_stats AS
SELECT s.metric_code, s.district_code, s.year, s.value
FROM fct_district_stat s
JOIN ref_restate_unchanged u ON u.district_code = s.district_code AND u.year = s.year
WHERE s.valid_to IS NULL AND s.metric_code IN ({metrics})
UNION ALL
SELECT metric_code, district_code, year, value FROM fct_district_stat_restatement
WHERE metric_code IN ({metrics})
"""

# the district x year pairs whose figures pass through as reported: the district's version
# in force in the year is the one in force in T (the reported rows of the view
# fct_district_stat_restated; a few thousand pairs, not a copy of the figures)
_UNCHANGED_SQL = f"""
INSERT INTO ref_restate_unchanged (district_code, year, restate_year)
SELECT dy.district_code, y.year, p.t
FROM (SELECT DISTINCT year FROM fct_district_stat WHERE valid_to IS NULL) y
CROSS JOIN restate_param p
JOIN dim_district dy ON {district_in_force("dy", "y.year")}
JOIN dim_district dt ON dt.district_code = dy.district_code
 AND {district_in_force("dt", "p.t")}
WHERE dt.valid_from = dy.valid_from
"""

# sum metrics of changed districts: the weighted sum of their sources, only when every
# source has a figure (small: a temporary table, read again by the ratios)
_SUMS_SQL = f"""
CREATE TEMPORARY TABLE restate_sums AS
SELECT v.metric_code, sh.district_code, sh.year,
       {exact_sum("sh.weight * s.value")} AS value,  -- exact: the same whatever the order
       MIN(sh.method) AS method, STRING_AGG(sh.term, ' + ' ORDER BY sh.source_code) AS sources
FROM restate_variant v
JOIN restate_share sh ON sh.variant = v.variant
LEFT JOIN (SELECT * FROM fct_district_stat WHERE valid_to IS NULL) s
  ON s.metric_code = v.metric_code AND s.district_code = sh.source_code AND s.year = sh.year
GROUP BY v.metric_code, sh.district_code, sh.year
HAVING COUNT(s.value) = COUNT(*) AND COUNT(s.value) > 0
"""

_INSERT_SUMS_SQL = """
INSERT INTO fct_district_stat_restatement
    (metric_code, district_code, year, restate_year, value, restated, method, sources)
SELECT metric_code, district_code, year, :t, value, TRUE, method, sources FROM restate_sums
"""

# sources of a changed district with some figures but not all: one issue per (metric,
# district)
_PARTS_MISSING_SQL = """
SELECT v.metric_code, sh.district_code, sh.year,
       STRING_AGG(CASE WHEN s.value IS NULL THEN sh.source_code END, ', '
                  ORDER BY sh.source_code) AS missing
FROM restate_variant v
JOIN restate_share sh ON sh.variant = v.variant
LEFT JOIN (SELECT * FROM fct_district_stat WHERE valid_to IS NULL) s
  ON s.metric_code = v.metric_code AND s.district_code = sh.source_code AND s.year = sh.year
GROUP BY v.metric_code, sh.district_code, sh.year
HAVING COUNT(s.value) > 0 AND COUNT(s.value) < COUNT(*)
ORDER BY 1, 2, 3
"""

# ratios of changed districts from their restated parts. As a GROUP BY over the parts,
# not a self-join: DuckDB has no statistics of a temporary table and may join both parts
# to dim_metric first (far slower: bench/README.md)
_RATIOS_SQL = """
INSERT INTO fct_district_stat_restatement
    (metric_code, district_code, year, restate_year, value, restated, method, sources)
SELECT metric_code, district_code, year, :t, MAX(num) / MAX(den) * MAX(scale), TRUE,
       'ratio_of_parts', MAX(sources)
FROM (
    SELECT m.metric_code, s.district_code, s.year, COALESCE(m.scale, 1.0) AS scale,
           s.value AS num, CAST(NULL AS DOUBLE PRECISION) AS den,
           m.numerator || ' / ' || m.denominator AS sources
    FROM dim_metric m JOIN restate_sums s ON s.metric_code = m.numerator
    WHERE m.aggregation = 'ratio'
    UNION ALL
    SELECT m.metric_code, s.district_code, s.year, COALESCE(m.scale, 1.0),
           CAST(NULL AS DOUBLE PRECISION), s.value, m.numerator || ' / ' || m.denominator
    FROM dim_metric m JOIN restate_sums s ON s.metric_code = m.denominator
    WHERE m.aggregation = 'ratio'
) parts
GROUP BY metric_code, district_code, year
HAVING COUNT(num) = 1 AND COUNT(den) = 1 AND MAX(den) <> 0
"""

# ratio metrics with a reported figure (own or parts) in a source of a changed district
# but no restated value there (a changed district's rows are all restated ones: a reported
# row of the same key would pass through from an unchanged version)
_RATIOS_MISSING_SQL = """
SELECT DISTINCT m.metric_code, p.district_code, p.year
FROM dim_metric m
JOIN restate_preimage p ON 1 = 1
JOIN (SELECT * FROM fct_district_stat WHERE valid_to IS NULL) s
  ON s.district_code = p.source_code AND s.year = p.year
 AND s.metric_code IN (m.metric_code, m.numerator, m.denominator)
LEFT JOIN fct_district_stat_restatement r ON r.metric_code = m.metric_code
 AND r.district_code = p.district_code AND r.year = p.year
WHERE m.aggregation = 'ratio' AND r.metric_code IS NULL
ORDER BY 1, 2, 3
"""

# figures of years after T on boundaries other than T's
_LATER_SQL = f"""
SELECT s.district_code, MIN(s.year), MAX(s.year), COUNT(*)
FROM (SELECT * FROM fct_district_stat WHERE valid_to IS NULL) s
JOIN dim_district dy ON dy.district_code = s.district_code
 AND {district_in_force("dy", "s.year")}
LEFT JOIN dim_district dt ON dt.district_code = s.district_code
 AND {district_in_force("dt", "CAST(:t AS INTEGER)")}
WHERE s.year > :t AND (dt.valid_from IS NULL OR dt.valid_from <> dy.valid_from)
GROUP BY s.district_code
ORDER BY s.district_code
"""

_SOURCES_WITH_DATA_SQL = """
SELECT metric_code, district_code, MIN(year), MAX(year)
FROM fct_district_stat WHERE valid_to IS NULL AND year < :t{where}
GROUP BY metric_code, district_code
"""
# the distinct (first, last) years of the spans: a few dozen pairs, however many spans
_SPAN_BOUNDS_SQL = """
SELECT DISTINCT lo, hi FROM ({spans}) s (metric_code, district_code, lo, hi)
""".format(spans=_SOURCES_WITH_DATA_SQL.format(where=""))


def _span_years(cx: Connection, t: int) -> list[int]:
    """The years within some (metric, district)'s span of current figures before ``t``,
    without fetching the spans (500,000 at national scale, issue #13): the years with
    figures, when they leave no gap (every span lies within them, and covers its own);
    else from the spans' distinct bounds."""
    present = sorted(int(y) for (y,) in cx.execute(sa.text(
        "SELECT DISTINCT year FROM fct_district_stat WHERE valid_to IS NULL AND year < :t"),
        {"t": t}))
    if not present or present[-1] - present[0] + 1 == len(present):
        return present
    return sorted({y for lo, hi in cx.execute(sa.text(_SPAN_BOUNDS_SQL), {"t": t})
                   for y in range(int(lo), int(hi) + 1)})


def _spans_of(cx: Connection, codes: set[str], t: int) -> dict[tuple[str, str], tuple[int, int]]:
    """(metric, district) -> (first, last) year with current figures before ``t``, for the
    districts ``codes`` only."""
    if not codes:
        return {}
    sql = sa.text(_SOURCES_WITH_DATA_SQL.format(where=" AND district_code IN :codes")
                  ).bindparams(sa.bindparam("codes", expanding=True))
    return {(m, c): (int(lo), int(hi))
            for m, c, lo, hi in cx.execute(sql, {"t": t, "codes": sorted(codes)})}


def _attainment_sql() -> list[str]:
    """The attainment build (warehouse/sql/fct_attainment.sql and, for relative targets,
    fct_attainment_relative.sql, as warehouse.attainment renders them) over the restated
    statistics, with the district grid of the restate year (from restate_param) in every
    target year instead of each year's own; a relative target's base year is read on the
    same boundaries (one territory throughout)."""
    restate_grid = "(SELECT t FROM restate_param)"
    out = []
    for build in _build_sql()[:2]:  # level targets, relative targets
        head, select = build.split("\n", 1)
        assert head.startswith("INSERT INTO fct_attainment (")
        own_year = district_in_force("d", "y.year")
        assert select.count(own_year) == 1, "fct_attainment.sql: one district grid expected"
        select = select.replace(own_year, district_in_force("d", restate_grid))
        for alias, year in (("dv", "t.year"), ("bv", "t.base_year")):
            select = select.replace(district_in_force(alias, year),
                                    district_in_force(alias, restate_grid))
        # the build reads the current figures (STAT_ROWS); the restated ones are only those
        # (restate_stats: those of fct_district_stat_restated the targets need)
        select = select.replace(STAT_ROWS, "fct_district_stat")
        select = re.sub(r"\bfct_district_stat\b", "restate_stats", select)
        cols = head[len("INSERT INTO fct_attainment ("):head.rindex(")")]
        out.append(f"INSERT INTO fct_attainment_restated ({cols}, restate_year, restated)\n"
                   f"SELECT {cols}, (SELECT t FROM restate_param), FALSE FROM (\n{select}\n) x")
    return out


_FLAG_SQL = """
UPDATE fct_attainment_restated SET restated = TRUE
WHERE EXISTS (
    SELECT 1 FROM fct_district_stat_restatement r
    JOIN dim_indicator i ON i.metric_code = r.metric_code
    WHERE i.indicator_id = fct_attainment_restated.indicator_id
      AND r.district_code = fct_attainment_restated.district_code
      AND r.year = fct_attainment_restated.year AND r.restated)
"""


def _years_text(years: list[int]) -> str:
    years = sorted(set(years))
    return str(years[0]) if len(years) == 1 else f"{years[0]}-{years[-1]}"


def build_restated(engine: Engine, restate_year: int | None = None) -> RestateResult:
    """Rebuild fct_district_stat_restated, then fct_attainment_restated, on the boundaries
    of ``restate_year`` (None: ``PLANWH_RESTATE_TO``, else the default); (re)create
    v_attainment_restated. The caller stores ``issues`` (scope ``restate``).

    Two transactions, each table whole or not at all: DuckDB plans the attainment SQL
    over rows written in the same transaction without their statistics (far slower:
    bench/README.md), so the restated statistics are committed first. Both tables are
    derived: a failure between the two leaves the statistics restated and the attainment
    of the previous build, which the next run rebuilds."""
    with engine.begin() as cx:
        t = restate_year if restate_year is not None else restate_setting()
        if t is None:
            t = default_restate_year(cx)
        create_restated_view(cx)
        if t is None:
            for table in ("fct_attainment_restated", "fct_district_stat_restatement",
                          "ref_restate_unchanged"):
                cx.exec_driver_sql(f"DELETE FROM {table}")
            return RestateResult(None, 0, 0, 0, [])
        lineage = read_lineage(cx)
        issues = list(lineage.issues)
        metrics = {r[0]: r[1] for r in cx.exec_driver_sql(
            "SELECT metric_code, aggregation FROM dim_metric")}
        years = _span_years(cx, t)
        shares, variants, preimage, missing = _plan_shares(lineage, metrics, years, t)
        with_data = _spans_of(cx, {s for uses in missing.values() for _, s in uses}, t)
        _fill_temp(cx, shares, variants, preimage, t)
        cx.exec_driver_sql("DELETE FROM ref_restate_unchanged")
        cx.exec_driver_sql(_UNCHANGED_SQL)
        cx.exec_driver_sql("DELETE FROM fct_district_stat_restatement")
        cx.exec_driver_sql(_SUMS_SQL)
        cx.execute(sa.text(_INSERT_SUMS_SQL), {"t": t})
        cx.execute(sa.text(_RATIOS_SQL), {"t": t})
        issues += _weight_issues(lineage, missing, with_data, t)
        issues += _parts_issues(cx, lineage, t)
        issues += _later_issues(cx, lineage, t)
        methods = {"reported": int(cx.exec_driver_sql(
            "SELECT COUNT(*) FROM fct_district_stat s JOIN ref_restate_unchanged u "
            "ON u.district_code = s.district_code AND u.year = s.year "
            "WHERE s.valid_to IS NULL").scalar() or 0)}
        methods.update((m, int(n)) for m, n in cx.exec_driver_sql(
            "SELECT method, COUNT(*) FROM fct_district_stat_restatement GROUP BY method"))
        n_restated = sum(n for m, n in methods.items() if m != "reported")
        _drop_temp(cx)
    with engine.begin() as cx:
        if cx.dialect.name == "postgresql":  # fresh planner statistics of the new rows
            cx.exec_driver_sql("ANALYZE ref_restate_unchanged, fct_district_stat_restatement")
        _drop_temp(cx)
        cx.exec_driver_sql(_PARAM_DDL)
        cx.execute(sa.text("INSERT INTO restate_param VALUES (:t)"), {"t": t})
        needed = sorted({c for row in cx.exec_driver_sql(_TARGET_METRICS_SQL) for c in row
                         if c is not None})
        cx.exec_driver_sql(_STATS_FOR_TARGETS_SQL.format(
            metrics=", ".join("'" + m.replace("'", "''") + "'" for m in needed) or "NULL"))
        if cx.dialect.name == "postgresql":
            cx.exec_driver_sql("ANALYZE restate_stats")
        into = lambda name: [sql.replace(  # noqa: E731
            "INSERT INTO fct_attainment_restated", f"INSERT INTO {name}", 1)
            for sql in _attainment_sql()]
        if not (cx.dialect.name == "duckdb"
                and rebuild_duckdb_table(cx, "fct_attainment_restated", into)):
            cx.exec_driver_sql("DELETE FROM fct_attainment_restated")
            for sql in into("fct_attainment_restated"):
                cx.exec_driver_sql(sql)
        cx.exec_driver_sql(_FLAG_SQL)
        n_att = cx.exec_driver_sql("SELECT COUNT(*) FROM fct_attainment_restated").scalar()
        _drop_temp(cx)
    return RestateResult(t, sum(methods.values()), n_restated, int(n_att), issues,
                         {m: n for m, n in sorted(methods.items()) if n})


def _plan_shares(lineage: Lineage, metrics: dict[str, str], years: list[int], t: int):
    """Rows of restate_share (variant, year, source, changed district, weight, method,
    term), of restate_variant (sum metric -> variant) and restate_preimage (year, source,
    changed district: weights known or not), and the sources whose split has no weights:
    {(change year, old code, metric): [(year, source code)]}.

    Only districts whose version in a year is not the one in force in ``t`` are walked:
    land passes only from a version that ends to one that begins, so a district of ``t``
    whose version is unchanged receives nothing and all its figures pass through. The walk
    depends on the metric only through split weights of its own: it is done once for
    ``*`` and once per metric with weights of its own (its variant)."""
    shares: list[dict] = []
    preimage: set[tuple[int, str, str]] = set()
    missing: dict[tuple[int, str, str], list[tuple[int, str]]] = defaultdict(list)
    sum_metrics = sorted(m for m, agg in metrics.items() if agg == "sum")
    own = {m for _, _, m in lineage.weights} & set(sum_metrics)
    variants = {m: (m if m in own else ALL_METRICS) for m in sum_metrics}
    users: dict[str, list[str]] = defaultdict(list)
    for m, v in variants.items():
        users[v].append(m)
    for y in (y for y in years if y < t):
        changed = [s for s in lineage.in_force(y)
                   if lineage.version(s, y) != lineage.version(s, t)]
        if not changed:
            continue
        for variant in sorted(users):
            into: dict[str, list[tuple[str, float | None, bool]]] = defaultdict(list)
            for s in changed:
                out, split_used, no_weights, no_lineage = lineage.shares(s, y, t, variant)
                for metric in users[variant]:
                    for c, k in no_weights:
                        missing[(c, k, metric)].append((y, s))
                for c, k in no_lineage:
                    missing[(c, k, "")].append((y, s))
                for new, w in out.items():
                    into[new].append((s, w, split_used))
            for new, parts in into.items():
                if lineage.version(new, t) is None:
                    continue  # land that reaches no district of t (a change without lineage)
                preimage.update((y, s, new) for s, _, _ in parts)
                if any(w is None for _, w, _ in parts):
                    continue  # not restatable: issues from ``missing``
                method = ("weighted" if any(sp for _, _, sp in parts)
                          else "rename" if len(parts) == 1 else "sum_of_parts")
                for s, w, _ in parts:
                    term = s if w == 1.0 else f"{w:.6g}*{s}"
                    shares.append({"variant": variant, "year": y, "source_code": s,
                                   "district_code": new, "weight": w, "method": method,
                                   "term": term})
    return shares, variants, sorted(preimage), missing


def _drop_temp(cx: Connection) -> None:
    for name in _TEMP_TABLES:
        cx.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")


def _fill_temp(cx: Connection, shares: list[dict], variants: dict[str, str], preimage,
               t: int) -> None:
    _drop_temp(cx)
    for ddl in (_SHARE_DDL, _VARIANT_DDL, _PREIMAGE_DDL, _PARAM_DDL):
        cx.exec_driver_sql(ddl)
    cx.execute(sa.text("INSERT INTO restate_param VALUES (:t)"), {"t": t})
    if shares:
        cx.execute(sa.text(
            "INSERT INTO restate_share VALUES (:variant, :year, :source_code, "
            ":district_code, :weight, :method, :term)"), shares)
    if variants:
        cx.execute(sa.text("INSERT INTO restate_variant VALUES (:m, :v)"),
                   [{"m": m, "v": v} for m, v in sorted(variants.items())])
    if preimage:
        cx.execute(sa.text("INSERT INTO restate_preimage VALUES (:y, :s, :d)"),
                   [{"y": y, "s": s, "d": d} for y, s, d in preimage])


def _weight_issues(lineage: Lineage, missing, with_data, t: int) -> list[IngestIssue]:
    """One issue per (split old code, metric) without usable weights whose sources have
    figures to restate; one per changed district without lineage."""
    out = []
    for (c, k, metric), uses in sorted(missing.items()):
        if metric:
            years = [y for y, s in uses if (metric, s) in with_data
                     and with_data[(metric, s)][0] <= y <= with_data[(metric, s)][1]]
            if not years:
                continue
            successors = ", ".join(n for n, _ in lineage.links[(c, k)])
            out.append(IngestIssue(
                SPLIT_WEIGHTS_FILE, f"{k}, {metric}", "error",
                f"no split weights for {lineage.label(k)} (split {c} into {successors}) and "
                f"{metric}: its {_years_text(years)} figures are not restated to the {t} "
                f"boundaries (give {k},<new code>,{metric} or *,<weight> rows)",
                f"{CHECK}.split_weights_missing"))
        else:
            years = [y for y, _ in uses]
            out.append(IngestIssue(
                LINEAGE_FILE, f"{k}, {c}", "error",
                f"{lineage.label(k)} changed in {c} without a lineage link: its "
                f"{_years_text(years)} figures are not restated to the {t} boundaries",
                f"{CHECK}.lineage_missing"))
    return out


def _parts_issues(cx: Connection, lineage: Lineage, t: int) -> list[IngestIssue]:
    grouped: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for metric, new, year, missing_codes in cx.exec_driver_sql(_PARTS_MISSING_SQL):
        grouped[(metric, new)].append((int(year), missing_codes))
    out = []
    for (metric, new), rows in sorted(grouped.items()):
        detail = "; ".join(f"{y}: no figure of {codes}" for y, codes in rows)
        out.append(IngestIssue(
            "fct_district_stat", f"{new}, {metric}", "warning",
            f"{metric} of {lineage.label(new)} not restated to the {t} boundaries: a part "
            f"is missing ({detail})", f"{CHECK}.parts_missing"))
    grouped_r: dict[tuple[str, str], list[int]] = defaultdict(list)
    for metric, new, year in cx.exec_driver_sql(_RATIOS_MISSING_SQL):
        grouped_r[(metric, new)].append(int(year))
    for (metric, new), years in sorted(grouped_r.items()):
        out.append(IngestIssue(
            "fct_district_stat", f"{new}, {metric}", "warning",
            f"ratio metric {metric} of {lineage.label(new)} for {_years_text(years)} not "
            f"restated to the {t} boundaries: its numerator and denominator are not both "
            "restated there (a ratio is never summed or averaged)", f"{CHECK}.ratio_parts"))
    return out


def _later_issues(cx: Connection, lineage: Lineage, t: int) -> list[IngestIssue]:
    out = []
    for code, lo, hi, n in cx.execute(sa.text(_LATER_SQL), {"t": t}):
        out.append(IngestIssue(
            "fct_district_stat", code, "warning",
            f"{n} figure(s) of {lineage.label(code)} for {_years_text([lo, hi])} are on "
            f"boundaries after {t}: restatement goes forward in time only, they are not in "
            "fct_district_stat_restated", f"{CHECK}.later_boundaries"))
    return out


# --------------------------------------------------------------------------- the view

V_ATTAINMENT_RESTATED_SQL = f"""
{analyst_view_head("v_attainment_restated")}
    a.restate_year,
{readable_target(relative=False)}
    a.actual_value AS actual,
    a.attained,
    a.gap,
    a.restated,
    a.target_resolved,
    a.note,
{ATTAINMENT_ROW_COLUMNS}
    i.plan_id
{analyst_view_from("fct_attainment_restated", "a", WHOLE_CITY_TARGET_JOIN,
                   year="a.restate_year")}  AND {target_in_force("ft", "a.year")}  -- as v_attainment: the target in force (revisions)
"""
V_ATTAINMENT_RESTATED_COMMENT = (
    "Attainment on the boundaries of restate_year (docs/time.md): as v_attainment, with "
    "restated = true where the actual is a restated figure; never mixed with v_attainment")


def create_restated_view(cx: Connection) -> None:
    cx.exec_driver_sql(V_ATTAINMENT_RESTATED_SQL)
    cx.exec_driver_sql("COMMENT ON VIEW v_attainment_restated IS '"
                       + V_ATTAINMENT_RESTATED_COMMENT.replace("'", "''") + "'")
