"""fct_attainment: which district (and the city) met which 全市 target in which year.

Rebuilt in SQL in one transaction: the same ``INSERT … SELECT`` on DuckDB and
PostgreSQL (on DuckDB into a fresh copy of the table that is swapped in). Rules (docs/warehouse.md):

- Evaluated: targets scoped 全市 (whole city) of indicators mapped to a metric.
- District versions: those in force on 31 December of the target year;
  statistics join to a version by code and year, so a code reused for other
  land after a redistricting never mixes.
- ratio metric: one row per district valid in the year and one for the city.
  District actual = its own figure of the metric, else num/den x scale.
  City actual = its own figure, else its own num/den x scale, else
  sum(num)/sum(den) x scale over all districts valid in the year (only when
  every one of them has both): never an average of district rates.
- sum metric: the city row only; actual = its own figure, else the sum over
  all districts valid in the year (only when every one has a value).
- attained / gap: see ``ATTAINED`` and ``GAP``; NULL without an actual;
  milestone targets have attained and gap NULL (their text: fct_target and the
  ``target`` of v_attainment).
- One row per (indicator, district, year). On PostgreSQL the primary key says so; on
  DuckDB the table carries no index (a 3.3M-row unique index costs as much as the
  whole build): the key is unique by construction, the build refuses overlapping
  district versions first, and the attainment suite's uniqueness rule checks it.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import Connection, Engine

from warehouse.schema import fct_attainment, rebuild_duckdb_table

DEFAULT_TOLERANCE = 0.05
# Comparisons allow a relative slack of 1e-9 so that float noise of a computed
# ratio (45/50*100 = 90.00000000000001) does not flip a verdict.
_EPS = "1e-9 * GREATEST(1.0, ABS(t.target_value))"

ATTAINED = f"""
CASE
    WHEN t.comparator = 'milestone' OR a.actual_value IS NULL THEN NULL
    WHEN t.comparator = '>=' THEN a.actual_value >= t.target_value - {_EPS}
    WHEN t.comparator = '>'  THEN a.actual_value >  t.target_value + {_EPS}
    WHEN t.comparator = '<=' THEN a.actual_value <= t.target_value + {_EPS}
    WHEN t.comparator = '<'  THEN a.actual_value <  t.target_value - {_EPS}
    WHEN t.comparator = '='  THEN ABS(a.actual_value - t.target_value) <= {_EPS}
    WHEN t.comparator = 'between' THEN a.actual_value >= t.target_value - {_EPS}
                                   AND a.actual_value <= t.target_value_high + {_EPS}
    WHEN t.comparator = 'about' THEN ABS(a.actual_value - t.target_value)
                                     <= t.tolerance * ABS(t.target_value) + {_EPS}
END"""

# gap > 0: better than the target; 0: exactly on it; < 0: short of it.
GAP = """
CASE
    WHEN t.comparator = 'milestone' OR a.actual_value IS NULL THEN NULL
    WHEN t.comparator IN ('>=', '>') THEN a.actual_value - t.target_value
    WHEN t.comparator IN ('<=', '<') THEN t.target_value - a.actual_value
    WHEN t.comparator = 'between' THEN LEAST(a.actual_value - t.target_value,
                                             t.target_value_high - a.actual_value)
    WHEN t.comparator = 'about' THEN t.tolerance * ABS(t.target_value)
                                     - ABS(a.actual_value - t.target_value)
    WHEN t.comparator = '=' THEN -ABS(a.actual_value - t.target_value)
END"""

_YEAR_END = "make_date(y.year, 12, 31)"

# The columns build_attainment writes, in order.
COLUMNS = ("indicator_id", "district_code", "year", "level", "comparator", "target_value",
           "target_value_high", "actual_value", "attained", "gap")

# Shaped for one big join, like a hand-written num/den join: statistics are paired per
# metric (not per target), the district grid is completed only where a (metric, year)
# misses districts, and the city's sums come from small GROUP BYs. Every output key is
# unique by construction: fct_target is keyed (indicator, year, scope), dim_metric by
# code, fct_district_stat by (metric, district, year), and district versions in force on
# one date do not overlap (checked before the build: ``OVERLAPPING_VERSIONS_SQL``).
BUILD_SQL = f"""
INSERT INTO fct_attainment ({", ".join(COLUMNS)})
WITH t AS (  -- evaluated targets: 全市 scope, indicator mapped to a known metric
    SELECT ft.indicator_id, ft.year, ft.comparator, ft.target_value, ft.target_value_high,
           m.metric_code, m.aggregation, m.numerator, m.denominator,
           COALESCE(m.scale, 1.0) AS scale,
           COALESCE(m.tolerance, {DEFAULT_TOLERANCE}) AS tolerance
    FROM fct_target ft
    JOIN dim_indicator i ON i.indicator_id = ft.indicator_id
    JOIN dim_metric m ON m.metric_code = i.metric_code
    WHERE ft.scope = '全市'{{plan_filter}}
),
p AS (  -- evaluated metric x year (several targets may share one)
    SELECT DISTINCT metric_code, year, aggregation, numerator, denominator, scale FROM t
),
dv AS (  -- district versions in force on 31 December of each target year
    SELECT y.year, d.district_code, d.district_type = 'city' AS is_city
    FROM (SELECT DISTINCT year FROM t) y
    JOIN dim_district d
      ON d.valid_from <= {_YEAR_END}
     AND (d.valid_to IS NULL OR d.valid_to >= {_YEAR_END})
),
nd AS (  -- how many districts (the city aside) are valid in each year, maybe none
    SELECT year, COUNT(CASE WHEN NOT is_city THEN 1 END) AS n FROM dv GROUP BY year
),
own AS (  -- each evaluated metric's own figures
    SELECT p.metric_code, p.aggregation, s.district_code, s.year, s.value
    FROM fct_district_stat s
    JOIN p ON s.metric_code = p.metric_code AND s.year = p.year
),
pr AS (  -- ratio metrics: own figure and/or numerator with denominator, per valid version
    SELECT v.metric_code, v.district_code, v.year, v.own_value, v.num_value, v.den_value,
           dv.is_city
    FROM (
        SELECT COALESCE(o.metric_code, x.metric_code) AS metric_code,
               COALESCE(o.district_code, x.district_code) AS district_code,
               COALESCE(o.year, x.year) AS year,
               o.value AS own_value, x.num_value, x.den_value
        FROM (
            SELECT p.metric_code, n.district_code, n.year,
                   n.value AS num_value, d.value AS den_value
            FROM p
            JOIN fct_district_stat n ON n.metric_code = p.numerator AND n.year = p.year
            JOIN fct_district_stat d ON d.metric_code = p.denominator AND d.year = p.year
                                    AND d.district_code = n.district_code
            WHERE p.aggregation = 'ratio'
        ) x
        FULL JOIN (SELECT * FROM own WHERE aggregation = 'ratio') o
          ON o.metric_code = x.metric_code AND o.district_code = x.district_code
         AND o.year = x.year
    ) v
    JOIN dv ON dv.district_code = v.district_code AND dv.year = v.year
),
pa AS (  -- ratio metrics, districts only: rows present, complete pairs, sums
    SELECT metric_code, year, COUNT(*) AS n_rows, COUNT(num_value) AS n_pairs,
           SUM(num_value) AS sum_num, SUM(den_value) AS sum_den
    FROM pr WHERE NOT is_city
    GROUP BY metric_code, year
),
sa AS (  -- sum metrics, districts only: values present and their sum
    SELECT o.metric_code, o.year, COUNT(*) AS n_own, SUM(o.value) AS sum_own
    FROM own o
    JOIN dv ON dv.district_code = o.district_code AND dv.year = o.year AND NOT dv.is_city
    WHERE o.aggregation <> 'ratio'
    GROUP BY o.metric_code, o.year
),
cv AS (  -- the city's own statistics: its figure, or its own numerator / denominator
    SELECT metric_code, year, district_code, own_value,
           num_value / NULLIF(den_value, 0) AS ratio
    FROM pr WHERE is_city
    UNION ALL
    SELECT o.metric_code, o.year, o.district_code, o.value, NULL
    FROM own o
    JOIN dv ON dv.district_code = o.district_code AND dv.year = o.year AND dv.is_city
    WHERE o.aggregation <> 'ratio'
),
a AS (
    -- districts with figures (ratio metrics): their own figure, else num / den x scale
    SELECT pr.metric_code, pr.year, pr.district_code, 'district' AS level,
           COALESCE(pr.own_value, pr.num_value / NULLIF(pr.den_value, 0) * p.scale)
               AS actual_value
    FROM pr
    JOIN p ON p.metric_code = pr.metric_code AND p.year = pr.year
    WHERE NOT pr.is_city
    UNION ALL
    -- districts without figures, looked for only where a (metric, year) misses some
    SELECT p.metric_code, p.year, dv.district_code, 'district', NULL
    FROM p
    JOIN nd ON nd.year = p.year
    LEFT JOIN pa ON pa.metric_code = p.metric_code AND pa.year = p.year
    JOIN dv ON dv.year = p.year AND NOT dv.is_city
    LEFT JOIN pr ON pr.metric_code = p.metric_code AND pr.year = p.year
                AND pr.district_code = dv.district_code
    WHERE p.aggregation = 'ratio' AND COALESCE(pa.n_rows, 0) < nd.n
      AND pr.district_code IS NULL  -- an anti-join (NOT EXISTS plans worse on DuckDB)
    UNION ALL
    -- the city: its own figure, else its own num / den, else the districts' sums
    -- (only when every district valid in the year has them; never an average of rates)
    SELECT p.metric_code, p.year, dv.district_code, 'city',
           CASE WHEN p.aggregation = 'ratio'
                THEN COALESCE(cv.own_value, cv.ratio * p.scale,
                              CASE WHEN pa.n_pairs = nd.n
                                   THEN pa.sum_num / NULLIF(pa.sum_den, 0) * p.scale END)
                ELSE COALESCE(cv.own_value, CASE WHEN sa.n_own = nd.n THEN sa.sum_own END)
           END
    FROM p
    JOIN dv ON dv.year = p.year AND dv.is_city
    JOIN nd ON nd.year = p.year
    LEFT JOIN pa ON pa.metric_code = p.metric_code AND pa.year = p.year
    LEFT JOIN sa ON sa.metric_code = p.metric_code AND sa.year = p.year
    LEFT JOIN cv ON cv.metric_code = p.metric_code AND cv.year = p.year
                AND cv.district_code = dv.district_code
)
SELECT t.indicator_id, a.district_code, t.year, a.level, t.comparator, t.target_value,
       t.target_value_high, a.actual_value,
       {ATTAINED} AS attained,
       {GAP} AS gap
FROM a
JOIN t ON t.metric_code = a.metric_code AND t.year = a.year
"""

# The tables the build reads.
ATTAINMENT_INPUTS = ("fct_target", "dim_indicator", "dim_metric", "dim_district",
                     "fct_district_stat")

# District codes with two versions in force on the same day: the attainment grid would
# hold that code twice in a year.
OVERLAPPING_VERSIONS_SQL = """
SELECT DISTINCT a.district_code
FROM dim_district a
JOIN dim_district b
  ON b.district_code = a.district_code
 AND b.valid_from > a.valid_from
 AND (a.valid_to IS NULL OR a.valid_to >= b.valid_from)
ORDER BY a.district_code
"""


_PLAN_ID = re.compile(r"^[0-9a-f]{16}$")


def _build_sql(plan_ids: list[str] | None = None) -> str:
    """BUILD_SQL for every target, or only for the targets of ``plan_ids``."""
    if plan_ids is None:
        return BUILD_SQL.replace("{plan_filter}", "")
    if not all(_PLAN_ID.match(p) for p in plan_ids):
        raise ValueError(f"not plan ids: {plan_ids!r}")
    ids = ", ".join(f"'{p}'" for p in plan_ids) or "NULL"
    return BUILD_SQL.replace("{plan_filter}", f" AND ft.plan_id IN ({ids})")


def build_plan_attainment(cx: Connection, plan_ids: list[str]) -> int:
    """Insert the attainment rows of ``plan_ids`` (their old rows already deleted), in the
    caller's transaction: a plan's targets and its attainment change together, so
    v_attainment never shows a loaded plan without its rows. Skipped (0) when district
    versions overlap: the full build refuses that with a message."""
    if not plan_ids or cx.exec_driver_sql(OVERLAPPING_VERSIONS_SQL).first():
        return 0
    return cx.exec_driver_sql(_build_sql(plan_ids)).rowcount or 0


def build_attainment(engine: Engine) -> int:
    """Rebuild fct_attainment in one transaction; returns its row count.

    DuckDB: the INSERT … SELECT into a fresh copy of the table swapped in
    (``rebuild_duckdb_table``). PostgreSQL: see ``_rebuild_postgres``. Either way a
    failure leaves the previous rows, and readers see the old or the new table whole.
    """
    with engine.begin() as cx:
        overlapping = [r[0] for r in cx.exec_driver_sql(OVERLAPPING_VERSIONS_SQL)]
        if overlapping:
            raise ValueError(
                "dim_district has overlapping versions of "
                f"{', '.join(overlapping[:5])}{' ...' if len(overlapping) > 5 else ''}: "
                "fix valid_from/valid_to in districts.csv; fct_attainment was left as it was")
        into_copy = lambda t: _build_sql().replace(  # noqa: E731
            "INSERT INTO fct_attainment (", f"INSERT INTO {t} (", 1)
        if cx.dialect.name == "postgresql":
            _rebuild_postgres(cx)
        elif not (cx.dialect.name == "duckdb"
                  and rebuild_duckdb_table(cx, "fct_attainment", into_copy, unique_key=False)):
            cx.exec_driver_sql("DELETE FROM fct_attainment")
            cx.exec_driver_sql(_build_sql())
        n = cx.exec_driver_sql("SELECT COUNT(*) FROM fct_attainment").scalar()
    return int(n)


# PostgreSQL constraint names (warehouse/schema.py naming convention, Alembic 0001).
_PG_PK = "pk_fct_attainment"
_PG_FK = "fk_fct_attainment_indicator_id"
# Memory for the build's hashes and sorts (this transaction only; the default 4 MB
# spills 1.6M rows to disk).
PG_WORK_MEM = "128MB"


def _rebuild_postgres(cx) -> None:
    """DELETE, INSERT … SELECT without the key and the foreign key, then add both
    back, each checked in one pass (5M statistics: about 18 s instead of 35 s keyed
    row by row). First the planner statistics of the inputs are refreshed: right after
    a bulk load they are stale, and PostgreSQL then plans nested loops over millions of
    rows. Dropping the keys locks the table until the commit: analysts' reads of
    fct_attainment wait instead of seeing a half-built table. DELETE, not TRUNCATE:
    TRUNCATE is not MVCC-safe, and a REPEATABLE READ reader whose snapshot predates
    the build would find the table empty."""
    cx.exec_driver_sql(f"ANALYZE {', '.join(ATTAINMENT_INPUTS)}")
    cx.exec_driver_sql(f"SET LOCAL work_mem = '{PG_WORK_MEM}'")
    cx.exec_driver_sql(f"ALTER TABLE fct_attainment DROP CONSTRAINT IF EXISTS {_PG_FK}")
    cx.exec_driver_sql(f"ALTER TABLE fct_attainment DROP CONSTRAINT IF EXISTS {_PG_PK}")
    cx.exec_driver_sql("DELETE FROM fct_attainment")
    cx.exec_driver_sql(_build_sql())
    key = ", ".join(c.name for c in fct_attainment.primary_key.columns)
    cx.exec_driver_sql(f"ALTER TABLE fct_attainment ADD CONSTRAINT {_PG_PK} PRIMARY KEY ({key})")
    cx.exec_driver_sql(f"ALTER TABLE fct_attainment ADD CONSTRAINT {_PG_FK} "
                       "FOREIGN KEY (indicator_id) REFERENCES dim_indicator (indicator_id)")
