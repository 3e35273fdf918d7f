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
  milestone targets keep their text and have attained and gap NULL.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

from warehouse.schema import rebuild_duckdb_table

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

BUILD_SQL = f"""
INSERT INTO fct_attainment (
    indicator_id, district_code, year, plan_id, metric_code, level, comparator,
    target_value, target_value_high, target_unit, target_text, actual_value, attained, gap
)
WITH t AS (  -- evaluated targets: 全市 scope, indicator mapped to a known metric
    SELECT ft.indicator_id, ft.plan_id, ft.year, ft.comparator, ft.target_value,
           ft.target_value_high, ft.target_unit, ft.target_text,
           m.metric_code, m.aggregation, m.numerator, m.denominator,
           COALESCE(m.scale, 1.0) AS scale,
           COALESCE(m.tolerance, {DEFAULT_TOLERANCE}) AS tolerance
    FROM fct_target ft
    JOIN dim_indicator i ON i.indicator_id = ft.indicator_id
    JOIN dim_metric m ON m.metric_code = i.metric_code
    WHERE ft.scope = '全市'
),
need AS (
    SELECT DISTINCT metric_code, numerator, denominator, year FROM t
),
roles AS (  -- which statistics each evaluated metric reads: its own, numerator, denominator
    SELECT metric_code, year, 'own' AS role, metric_code AS stat_code FROM need
    UNION ALL
    SELECT metric_code, year, 'num', numerator FROM need WHERE numerator IS NOT NULL
    UNION ALL
    SELECT metric_code, year, 'den', denominator FROM need WHERE denominator IS NOT NULL
),
sv AS (  -- one row per evaluated metric x district x year: own, numerator, denominator
    SELECT r.metric_code, s.district_code, s.year,
           MAX(CASE WHEN r.role = 'own' THEN s.value END) AS own_value,
           MAX(CASE WHEN r.role = 'num' THEN s.value END) AS num_value,
           MAX(CASE WHEN r.role = 'den' THEN s.value END) AS den_value
    FROM roles r
    JOIN fct_district_stat s ON s.metric_code = r.stat_code AND s.year = r.year
    GROUP BY r.metric_code, s.district_code, s.year
),
dv AS (  -- district versions in force on 31 December of each target year
    SELECT y.year, d.district_code,
           CASE WHEN d.district_type = 'city' THEN 'city' ELSE 'district' END AS level
    FROM (SELECT DISTINCT year FROM t) y
    JOIN dim_district d
      ON d.valid_from <= {_YEAR_END}
     AND (d.valid_to IS NULL OR d.valid_to >= {_YEAR_END})
),
units AS (  -- one row per evaluated target x district version (the city included)
    SELECT t.indicator_id, t.year, dv.district_code, dv.level, t.aggregation, t.scale,
           sv.own_value, sv.num_value, sv.den_value
    FROM t
    JOIN dv ON dv.year = t.year
    LEFT JOIN sv ON sv.metric_code = t.metric_code
                AND sv.district_code = dv.district_code
                AND sv.year = t.year
),
city_sum AS (  -- sums over the districts valid in the year (never averages of rates)
    SELECT indicator_id, year, COUNT(*) AS n,
           COUNT(own_value) AS n_own, SUM(own_value) AS sum_own,
           COUNT(num_value) AS n_num, SUM(num_value) AS sum_num,
           COUNT(den_value) AS n_den, SUM(den_value) AS sum_den
    FROM units
    WHERE level = 'district'
    GROUP BY indicator_id, year
),
a AS (
    SELECT u.indicator_id, u.year, u.district_code, u.level,
           CASE
               WHEN u.level = 'district'
                   THEN COALESCE(u.own_value, u.num_value / NULLIF(u.den_value, 0) * u.scale)
               WHEN u.aggregation = 'ratio'
                   THEN COALESCE(
                       u.own_value,
                       u.num_value / NULLIF(u.den_value, 0) * u.scale,
                       CASE WHEN c.n_num = c.n AND c.n_den = c.n
                            THEN c.sum_num / NULLIF(c.sum_den, 0) * u.scale END)
               ELSE COALESCE(u.own_value, CASE WHEN c.n_own = c.n THEN c.sum_own END)
           END AS actual_value
    FROM units u
    LEFT JOIN city_sum c ON c.indicator_id = u.indicator_id AND c.year = u.year
    WHERE u.level = 'city' OR u.aggregation = 'ratio'
)
SELECT t.indicator_id, a.district_code, t.year, t.plan_id, t.metric_code, a.level,
       t.comparator, t.target_value, t.target_value_high, t.target_unit, t.target_text,
       a.actual_value,
       {ATTAINED} AS attained,
       {GAP} AS gap
FROM a
JOIN t ON t.indicator_id = a.indicator_id AND t.year = a.year
"""


def build_attainment(engine: Engine) -> int:
    """Rebuild fct_attainment in one transaction; returns its row count.

    PostgreSQL: DELETE then INSERT … SELECT. DuckDB: the same INSERT … SELECT into a
    fresh copy of the table swapped in (``rebuild_duckdb_table``).
    """
    with engine.begin() as cx:
        into_copy = lambda t: BUILD_SQL.replace(  # noqa: E731
            "INSERT INTO fct_attainment (", f"INSERT INTO {t} (", 1)
        if not (cx.dialect.name == "duckdb" and rebuild_duckdb_table(cx, "fct_attainment", into_copy)):
            cx.exec_driver_sql("DELETE FROM fct_attainment")
            cx.exec_driver_sql(BUILD_SQL)
        n = cx.exec_driver_sql("SELECT COUNT(*) FROM fct_attainment").scalar()
    return int(n)
