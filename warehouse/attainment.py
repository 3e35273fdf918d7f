"""fct_attainment: which district (and the city) met which 全市 target in which year.

Rebuilt in SQL in one transaction: the same ``INSERT … SELECT`` (warehouse/sql/
fct_attainment.sql, with attained.sql, gap.sql and district_in_force.sql) on DuckDB and
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
- Relative targets (fct_target.relative_kind: 翻一番, 增长10%, 提高5个百分点,
  年均增长7%): ``RELATIVE_SQL`` resolves each to the level it asks of each district
  and the city from its actual in fct_target.base_year (``target_resolved``,
  ``resolved_comparator``, ``base_value``) and judges it on that level, never on the
  grammar's level reading; ``note`` says why one is not evaluable (no base figure, a
  base <= 0 for a change by a factor, a district not in force or changed since the
  base year, no actual).
- One row per (indicator, district, year). On PostgreSQL the primary key says so; on
  DuckDB the table carries no index (a unique index costs as much as the whole build;
  figures in bench/README.md): the key is unique by construction, the build refuses overlapping
  district versions first, and the attainment suite's uniqueness rule checks it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from warehouse.revisions import resolve_revisions
from warehouse.schema import (
    PG_WORK_MEM,
    duckdb_build_memory,
    fct_attainment,
    rebuild_duckdb_table,
)
from warehouse.sql import district_in_force, exact_sum, render, sql_file

DEFAULT_TOLERANCE = 0.05
# Comparisons allow a relative slack of 1e-9 so that float noise of a computed
# ratio (45/50*100 = 90.00000000000001) does not flip a verdict (warehouse/sql/attained.sql).
_EPS = "1e-9 * GREATEST(1.0, ABS(t.target_value))"

ATTAINED = render("attained", eps=_EPS)
# A 全市 target's metric columns and its joins to dim_indicator and dim_metric.
TARGET_METRIC = render("target_metric", default_tolerance=str(DEFAULT_TOLERANCE))
# gap > 0: better than the target; 0: exactly on it; < 0: short of it.
GAP = sql_file("gap")

# The columns build_attainment writes, in order: every row the first ten, a relative
# target's row (RELATIVE_SQL) the last four too (NULL on a level target's row).
LEVEL_COLUMNS = ("indicator_id", "district_code", "year", "level", "comparator", "target_value",
                 "target_value_high", "actual_value", "attained", "gap")
COLUMNS = LEVEL_COLUMNS + ("target_resolved", "resolved_comparator", "base_value", "note")

# The statistics an attainment build evaluates: fct_district_stat's current figures.
STAT_ROWS = ("(SELECT metric_code, district_code, year, value FROM fct_district_stat "
             "WHERE valid_to IS NULL)")
# ... or those current at the moment :as_of (load time, UTC): valid_from <= as_of < valid_to.
STAT_ROWS_AS_OF = ("(SELECT metric_code, district_code, year, value FROM fct_district_stat "
                   "WHERE valid_from <= :as_of AND (valid_to IS NULL OR valid_to > :as_of))")

# warehouse/sql/fct_attainment.sql (its CTEs named for what they hold: evaluated_targets,
# metric_years, district_versions, ratio_parts, city_figures, actuals…) as an INSERT;
# ``{plan_filter}`` is left for ``_build_sql``.
_INSERT = f"INSERT INTO fct_attainment ({', '.join(COLUMNS)})\n"
# Level targets: one join of the actuals with the targets.
BUILD_SQL = f"INSERT INTO fct_attainment ({', '.join(LEVEL_COLUMNS)})\n" + render(
    "fct_attainment", target_metric=TARGET_METRIC,
    district_in_force=district_in_force("d", "y.year"), attained=ATTAINED, gap=GAP,
    plan_filter="{plan_filter}", stat_rows=STAT_ROWS, sum_num=exact_sum("num_value"),
    sum_den=exact_sum("den_value"), sum_own=exact_sum("o.value"))
# Relative targets (fct_target.relative_kind): the actuals by the same CTEs (metric_years
# to actuals, shared text) over the relative targets' years and base years, then
# fct_attainment_relative.sql. A statement of its own, so that the level build above
# (millions of rows) keeps its plan: the relative one reads the actuals twice.
_ACTUALS_CTES = BUILD_SQL[BUILD_SQL.index("metric_years AS ("):
                          BUILD_SQL.index("\nSELECT t.indicator_id")]
RELATIVE_SQL = _INSERT + render(
    "fct_attainment_relative", target_metric=TARGET_METRIC,
    plan_filter="{plan_filter}", actuals_ctes=_ACTUALS_CTES,
    district_in_force_now=district_in_force("dv", "t.year"),
    district_in_force_base=district_in_force("bv", "t.base_year"),
    attained_resolved=ATTAINED.replace("a.actual_value", "t.actual_value"),
    gap_resolved=GAP.replace("a.actual_value", "t.actual_value"))

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


# Is there a relative target to judge? The relative statement scans the statistics even
# when there is none (about a quarter of the level build's time): skipped then.
_ANY_RELATIVE_SQL = ("SELECT 1 FROM fct_target ft WHERE ft.scope = '全市' "
                     "AND ft.relative_kind IS NOT NULL{plan_filter} LIMIT 1")


def _build_sql(plan_ids: list[str] | None = None,
               into: str = "fct_attainment") -> tuple[str, str, str]:
    """(level statement, relative statement, "any relative target?" query) for every
    target, or only for the targets of ``plan_ids``, inserting into ``into``."""
    if plan_ids is None:
        where = ""
    elif not all(_PLAN_ID.match(p) for p in plan_ids):
        raise ValueError(f"not plan ids: {plan_ids!r}")
    else:
        where = f" AND ft.plan_id IN ({', '.join(repr(p) for p in plan_ids) or 'NULL'})"
    level, relative = (sql.replace("{plan_filter}", where)
                       .replace("INSERT INTO fct_attainment (", f"INSERT INTO {into} (", 1)
                       for sql in (BUILD_SQL, RELATIVE_SQL))
    return level, relative, _ANY_RELATIVE_SQL.replace("{plan_filter}", where)


def _needed(cx: Connection, statements: tuple[str, str, str]) -> list[str]:
    """The build's statements to run: the relative one only when there is one to judge."""
    level, relative, any_relative = statements
    return [level, relative] if cx.exec_driver_sql(any_relative).first() else [level]


def _run(cx: Connection, statements: tuple[str, str, str]) -> int:
    return sum(cx.exec_driver_sql(sql).rowcount or 0 for sql in _needed(cx, statements))


def build_plan_attainment(cx: Connection, plan_ids: list[str]) -> int:
    """Insert the attainment rows of ``plan_ids`` (their old rows already deleted), in the
    caller's transaction: a plan's targets and its attainment change together, so
    v_attainment never shows a loaded plan without its rows. Skipped (0) when district
    versions overlap: the full build refuses that with a message."""
    if not plan_ids or cx.exec_driver_sql(OVERLAPPING_VERSIONS_SQL).first():
        return 0
    if cx.dialect.name == "postgresql":
        # the plan's targets were written in this transaction: without fresh planner
        # statistics PostgreSQL plans nested loops over the statistics (a 20,000-row
        # warehouse took minutes). Only the small tables a plan load writes: the
        # statistics table is not re-sampled once per plan.
        cx.exec_driver_sql("ANALYZE fct_target, dim_indicator")
    return _run(cx, _build_sql(plan_ids))


def build_attainment(engine: Engine) -> int:
    """Rebuild fct_attainment in one transaction; returns its row count.

    DuckDB: the INSERT … SELECT into a fresh copy of the table swapped in
    (``rebuild_duckdb_table``). PostgreSQL: see ``_rebuild_postgres``. Either way a
    failure leaves the previous rows, and readers see the old or the new table whole.
    DuckDB builds with more memory than loads (``duckdb_build_memory``).
    """
    with duckdb_build_memory(engine), engine.begin() as cx:
        # plan revisions settled once more over every loaded plan (a plan loaded
        # concurrently with the one it revises is linked here at the latest)
        resolve_revisions(cx)
        overlapping = [r[0] for r in cx.exec_driver_sql(OVERLAPPING_VERSIONS_SQL)]
        if overlapping:
            raise ValueError(
                "dim_district has overlapping versions of "
                f"{', '.join(overlapping[:5])}{' ...' if len(overlapping) > 5 else ''}: "
                "fix valid_from/valid_to in districts.csv; fct_attainment was left as it was")
        into_copy = lambda t: _needed(cx, _build_sql(into=t))  # noqa: E731
        if cx.dialect.name == "postgresql":
            _rebuild_postgres(cx)
        elif not (cx.dialect.name == "duckdb"
                  and rebuild_duckdb_table(cx, "fct_attainment", into_copy, unique_key=False)):
            cx.exec_driver_sql("DELETE FROM fct_attainment")
            _run(cx, _build_sql())
        n = cx.exec_driver_sql("SELECT COUNT(*) FROM fct_attainment").scalar()
    return int(n)


# PostgreSQL constraint names (warehouse/schema.py naming convention, Alembic 0001).
_PG_PK = "pk_fct_attainment"
_PG_FK = "fk_fct_attainment_indicator_id"


def _rebuild_postgres(cx) -> None:
    """DELETE, INSERT … SELECT without the key and the foreign key, then add both
    back, each checked in one pass (about half the time of keying row by row:
    bench/README.md). First the planner statistics of the inputs are refreshed: right after
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
    _run(cx, _build_sql())
    key = ", ".join(c.name for c in fct_attainment.primary_key.columns)
    cx.exec_driver_sql(f"ALTER TABLE fct_attainment ADD CONSTRAINT {_PG_PK} PRIMARY KEY ({key})")
    cx.exec_driver_sql(f"ALTER TABLE fct_attainment ADD CONSTRAINT {_PG_FK} "
                       "FOREIGN KEY (indicator_id) REFERENCES dim_indicator (indicator_id)")


# --------------------------------------------------------------------------- as of


def as_of_statements(cx: Connection) -> list[tuple[list[str], str]]:
    """The build's statements (level targets, and relative targets when there are any)
    as (columns, SELECT) on the figures current at ``:as_of``: the build's own SQL with
    the current figures swapped for those of the moment."""
    out = []
    for sql in _needed(cx, _build_sql()):
        head, select = sql.split("\n", 1)
        assert head.startswith("INSERT INTO fct_attainment (") and STAT_ROWS in select
        cols = [c.strip() for c in head[head.index("(") + 1:head.rindex(")")].split(",")]
        out.append((cols, select.replace(STAT_ROWS, STAT_ROWS_AS_OF)))
    return out


def as_of_moment(text: str) -> datetime:
    """``--as-of``: an ISO date (the end of that day: every load of the day counts) or an
    ISO date and time (that moment), UTC. Raises ValueError with the accepted forms."""
    text = text.strip()
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time.max)
        moment = datetime.fromisoformat(text.replace(" ", "T", 1))
    except ValueError:
        raise ValueError(f"not a date: {text!r} (YYYY-MM-DD, or YYYY-MM-DDTHH:MM[:SS[.ffffff]] "
                         "in UTC)") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def build_attainment_as_of(engine: Engine, as_of: datetime) -> int:
    """fct_attainment as it was on the statistics known at ``as_of`` (load time, UTC),
    written to fct_attainment_as_of under that as_of (its previous rows for the same
    as_of replaced; other as-ofs and fct_attainment untouched), in one transaction.
    Targets, indicators and districts are today's. Returns the row count."""
    built = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as cx:
        overlapping = [r[0] for r in cx.exec_driver_sql(OVERLAPPING_VERSIONS_SQL)]
        if overlapping:
            raise ValueError(f"dim_district has overlapping versions of {overlapping[0]}: "
                             "fix districts.csv first")
        params = {"as_of": as_of, "built": built}
        cx.execute(sa.text("DELETE FROM fct_attainment_as_of WHERE as_of = :as_of"), params)
        for cols, select in as_of_statements(cx):
            cx.execute(sa.text(
                f"INSERT INTO fct_attainment_as_of (as_of, {', '.join(cols)}, built_at) "
                f"SELECT :as_of, {', '.join('x.' + c for c in cols)}, :built "
                f"FROM ({select}) x"), params)
        n = cx.execute(sa.text("SELECT COUNT(*) FROM fct_attainment_as_of WHERE as_of = :as_of"),
                       params).scalar()
    return int(n or 0)
