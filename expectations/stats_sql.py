"""The ``district_stats`` suite as set-based SQL over a staging table (no Dagster).

Statistics are staged into a table of the warehouse (or of a throwaway in-memory
DuckDB for ``run_suite`` / ``planwh check``) with the engine's native bulk path
(DuckDB: from Arrow; PostgreSQL: ``COPY``), and the rules of
``expectations.suites.STATS_RULES`` run there: four as boolean flags in one scan,
the uniqueness rule as an aggregate (and a window query only when a key repeats);
only failing rows leave the database, with their ``_row`` (0-based position in the
staged frame). The coverage rule aggregates in SQL to one row per (metric, year)
and that small grid is validated by Great Expectations (pandas), as are the
failing rows (at most ``GX_ROWS``), so the Data Docs still show every rule; the
counts reported are the SQL ones.

Staging table columns: ``metric_code, district_code, year (BIGINT), value (DOUBLE,
NULL when missing), unit, source_file, location, _row (BIGINT)``.

The SQL is portable between DuckDB and PostgreSQL (window functions, EXISTS, no
dialect-only syntax); years are compared as integers (a district version is valid
in ``year`` when in force on 31 December, CONTRACT section 2: ``first_year <= year
<= last_year`` precomputed from its dates).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from expectations.runner import (
    SAMPLE_SIZE,
    ExpectationResult,
    SuiteResult,
    _context,
    _plain,
    _validate_part,
    suite_result,
    validate_rules,
)
from expectations.suites import (
    MISSING_SHOWN,
    PRESENT,
    ROW,
    STATS_COLUMNS,
    STATS_COVERAGE_RULES,
    STATS_RULES,
    SUITE_RUNNERS,
    SUITES,
    Part,
    _helper_rule,
    _to_float,
    districts_of,
    metric_table,
    plausible_range,
)
from extractors.records import (
    RULE_DISTRICT_VALID,
    RULE_METRIC_KNOWN,
    RULE_NON_NEGATIVE,
    RULE_UNIQUE_KEY,
    District,
    Metric,
)
from warehouse.schema import ARROW_BATCH, PG_SUITE_WORK_MEM

STAGE_COLUMNS = list(STATS_COLUMNS) + [ROW]
_TEXT = ("metric_code", "district_code", "unit", "source_file", "location")
DISTRICT_REF = "_planwh_ref_district"
METRIC_REF = "_planwh_ref_metric"
GX_ROWS = 10_000  # failing rows shown to GX (Data Docs); counts always come from SQL
_COPY_BATCH = 200_000


# --------------------------------------------------------------------------- staging


def normalise(frame: pd.DataFrame, first_row: int = 0) -> pa.Table:
    """The statistics frame as an Arrow table of the staging columns (``_row`` from
    ``first_row``): text columns as strings, ``year`` integer, ``value`` float (NULL
    when missing or not a number)."""
    n = len(frame)
    cols: dict[str, pa.Array] = {}
    for c in STATS_COLUMNS:
        s = frame[c] if c in frame.columns else pd.Series([None] * n, dtype="object")
        if c in _TEXT:
            if not (pd.api.types.is_string_dtype(s.dtype) and s.dtype != object):
                s = s.map(lambda v: None if v is None or (isinstance(v, float) and v != v)
                          else str(v)).astype("string[pyarrow]")
            arrow = getattr(s.array, "__arrow_array__", None)
            cols[c] = (arrow() if arrow else pa.array(s, from_pandas=True)).cast(pa.string())
        elif c == "year":
            y = pd.to_numeric(s, errors="coerce")
            if not pd.api.types.is_integer_dtype(y.dtype):
                y = np.floor(y.astype("float64"))
            cols[c] = pa.array(y, pa.int64(), from_pandas=True)
        else:  # value
            v = s if pd.api.types.is_float_dtype(s.dtype) else _to_float(s)
            cols[c] = pa.array(v.astype("float64"), pa.float64(), from_pandas=True)
    cols[ROW] = pa.array(np.arange(first_row, first_row + n, dtype="int64"))
    return pa.table(cols)


def pg_settings(cx: Connection) -> None:
    """PostgreSQL settings for the rest of the transaction, for queries over millions of
    staged rows: ``work_mem`` (hash joins and aggregates want more than the default
    4 MB), no merge joins (a merge join on text keys sorts both sides on disk in the
    database's collation: the coverage rule's anti join took 2x as long as a hash join),
    no JIT (each large one-shot query compiled for about a second)."""
    cx.exec_driver_sql(f"SET LOCAL work_mem = '{PG_SUITE_WORK_MEM}'")
    cx.exec_driver_sql("SET LOCAL enable_mergejoin = off")
    cx.exec_driver_sql("SET LOCAL jit = off")


def _pg_stage_ddl(table: str, unlogged: bool) -> str:
    return (f"CREATE {'UNLOGGED ' if unlogged else ''}TABLE {table} (metric_code TEXT, "
            "district_code TEXT, year BIGINT, value DOUBLE PRECISION, unit TEXT, "
            "source_file TEXT, location TEXT, _row BIGINT)")


def create_stage(cx: Connection, table: str) -> None:
    """An empty staging table (dropped first if it exists)."""
    cx.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    if cx.dialect.name == "postgresql":
        cx.exec_driver_sql(_pg_stage_ddl(table, unlogged=True))
    else:
        cx.exec_driver_sql(
            f"CREATE TABLE {table} (metric_code VARCHAR, district_code VARCHAR, year BIGINT, "
            "value DOUBLE, unit VARCHAR, source_file VARCHAR, location VARCHAR, _row BIGINT)")


def append_stage(cx: Connection, table: str, frame: pd.DataFrame, first_row: int = 0) -> int:
    """Append ``frame`` to a staging table by the engine's bulk path (DuckDB: INSERT from a
    registered Arrow table; PostgreSQL: COPY of Arrow-written CSV). Returns its rows."""
    if not len(frame):
        return 0
    return append_arrow(cx, table, normalise(frame, first_row))


def append_arrow(cx: Connection, table: str, arrow: pa.Table) -> int:
    """Append Arrow rows already in the staging columns (:func:`normalise`'s, ``_row``
    included) by the engine's bulk path. Returns their number."""
    if not arrow.num_rows:
        return 0
    if cx.dialect.name == "postgresql":
        _copy_into(cx, table, arrow)
    else:
        duck = cx.connection.dbapi_connection
        src = pa.Table.from_batches(arrow.to_batches(max_chunksize=ARROW_BATCH),
                                    schema=arrow.schema)
        duck.register("_planwh_stage_src", src)
        try:
            duck.execute(f"INSERT INTO {table} SELECT {', '.join(STAGE_COLUMNS)} "
                         "FROM _planwh_stage_src")
        finally:
            duck.unregister("_planwh_stage_src")
    return arrow.num_rows


def _csv_parts(arrow: pa.Table):
    """Arrow rows in the staging columns as CSV buffers for ``COPY … (FORMAT csv)``, one
    per ``_COPY_BATCH`` rows."""
    options = pacsv.WriteOptions(include_header=False)
    for batch in arrow.to_batches(max_chunksize=_COPY_BATCH):
        buf = io.BytesIO()
        pacsv.write_csv(batch, buf, options)
        yield buf.getbuffer()


_COPY_STAGE = "COPY {table} (" + ", ".join(STAGE_COLUMNS) + ") FROM STDIN WITH (FORMAT csv{freeze})"


def _copy_into(cx: Connection, table: str, arrow: pa.Table) -> None:
    """COPY Arrow rows into ``table``."""
    with cx.connection.driver_connection.cursor() as cur, \
            cur.copy(_COPY_STAGE.format(table=table, freeze="")) as cp:
        for part in _csv_parts(arrow):
            cp.write(part)


class _StageSink:
    """What the statistics reader sends (:func:`extractors.budget.stream_stats_folder`),
    on its way to a staging table: each part :func:`normalise`'d with consecutive
    ``_row``s and handed to ``_write`` (the subclass's), no whole-folder frame in memory.

    ``append(frame)`` takes one part; ``discard(name)`` marks a file whose reading failed
    after some of its parts arrived: its rows are not staged; ``restart(name)`` marks the
    parts of ``name`` so far as dropped (the file is sent again whole). ``files``: the rows
    appended per file (a restarted file counts from its restart). ``on_first_part``:
    called once, when the first part arrives (the reader's worker is running by then).
    ``stage(cx, table)`` ends the writing and leaves ``table`` holding the rows to
    validate; ``close(exc)`` ends it on an error."""

    def __init__(self) -> None:
        self.rows = 0
        self.discarded: set[str] = set()
        self.restarted: dict[str, int] = {}  # file -> rows before this _row are dropped
        self.files: dict[str, int] = {}
        self.on_first_part = None

    def append(self, frame: pd.DataFrame) -> int:
        if not len(frame):
            return 0
        if self.on_first_part is not None:
            first, self.on_first_part = self.on_first_part, None
            first()
        arrow = normalise(frame, self.rows)
        self._write(arrow)
        self.rows += arrow.num_rows
        for name, n in frame["source_file"].value_counts(sort=False).items():
            self.files[str(name)] = self.files.get(str(name), 0) + int(n)
        return arrow.num_rows

    def _write(self, arrow: pa.Table) -> None:
        raise NotImplementedError

    def discard(self, name: str) -> None:
        self.discarded.add(name)

    def restart(self, name: str) -> None:
        self.restarted[name] = self.rows
        self.files.pop(name, None)

    def _drop_dropped(self, cx: Connection, table: str) -> None:
        """Delete the staged rows of restarted files sent before their restart, and those
        of discarded files."""
        for name, before in self.restarted.items():
            cx.execute(sa.text(f"DELETE FROM {table} WHERE source_file = :f AND {ROW} < :n"),
                       {"f": name, "n": before})
        drop_files(cx, table, self.discarded)


class StageSpool(_StageSink):
    """DuckDB: the rows spooled to a temporary Parquet file as they are read, then staged
    from it (:meth:`stage`), so that no warehouse transaction is held open while the files
    are read. DuckDB reads the file itself (``read_parquet``: in parallel, under its
    ``memory_limit``; an Arrow table inserted from Python would stay allocated until the
    commit)."""

    def __init__(self, folder: str) -> None:
        import os

        super().__init__()
        self.path = os.path.join(folder, "stage.parquet")
        self._writer = None

    def _write(self, arrow: pa.Table) -> None:
        import pyarrow.parquet as pq

        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, arrow.schema, compression="snappy")
        self._writer.write_table(arrow)

    def close(self, exc: BaseException | None = None) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def stage(self, cx: Connection, table: str) -> int:
        """Create ``table`` (:func:`create_stage`) with every spooled row, then drop the
        rows of restarted and discarded files. Returns the rows appended."""
        self.close()
        create_stage(cx, table)
        if self.rows:
            cx.exec_driver_sql(f"INSERT INTO {table} SELECT {', '.join(STAGE_COLUMNS)} "
                               "FROM read_parquet(?)", (self.path,))
        self._drop_dropped(cx, table)
        return self.rows


class StageStream(_StageSink):
    """PostgreSQL: the rows go into the staging table by one ``COPY`` that stays open while
    the files are read, part by part as the reader's worker sends them, instead of a
    spool written first and copied after (issue #13: the server parses the rows on one
    core while the worker reads on the other; the copy from a spool took 7 s of a 5M-row
    run, after the 9 s of reading).

    ``cx`` is the transaction of the whole stage step; ``table`` is created in it with the
    first part, so the rows are written frozen (``COPY FREEZE``: the load's first scan,
    in another step, does not set the hint bits of every page, which wrote the whole
    stage once more). :meth:`stage` ends the copy and deletes the rows of restarted and
    discarded files. No lock is held that another run or step waits for: the table is
    this run's own."""

    def __init__(self, cx: Connection, table: str) -> None:
        super().__init__()
        self.cx, self.table = cx, table
        self._context = self._copy = self._cursor = None

    def _open(self) -> None:
        from psycopg.copy import QueuedLibpqWriter

        create_stage(self.cx, self.table)
        self._cursor = self.cx.connection.driver_connection.cursor()
        # the writes are queued (at most 1,024 buffers of 128 KB) and sent by a thread of
        # psycopg's: the encoding of the next part overlaps the server's parsing
        self._context = self._cursor.copy(_COPY_STAGE.format(table=self.table, freeze=", FREEZE"),
                                          writer=QueuedLibpqWriter(self._cursor))
        self._copy = self._context.__enter__()

    def _write(self, arrow: pa.Table) -> None:
        if self._copy is None:
            self._open()
        for part in _csv_parts(arrow):
            self._copy.write(part)

    def close(self, exc: BaseException | None = None) -> None:
        """End the copy (``exc``: abort it, the transaction then fails)."""
        context, cursor = self._context, self._cursor
        self._context = self._copy = self._cursor = None
        try:
            if context is not None and exc is None:
                context.__exit__(None, None, None)
            elif context is not None:
                try:  # CopyFail; the caller raises ``exc`` itself
                    context.__exit__(type(exc), exc, exc.__traceback__)
                except BaseException:  # noqa: BLE001, S110
                    pass
        finally:
            if cursor is not None:
                cursor.close()

    def stage(self, cx: Connection, table: str) -> int:
        """End the copy (the table exists once this returns, rows or not), then drop the
        rows of restarted and discarded files. Returns the rows copied."""
        self.close()
        if not self.rows:
            create_stage(cx, table)
        self._drop_dropped(cx, table)
        return self.rows


def dedupe_staged(cx: Connection, table: str, issues: list,
                  files: Mapping[str, int] | None = None,
                  keys: Iterable[tuple[str, str, int]] | None = None) -> int:
    """The cross-file duplicate check of ``extractors.stats.read_stats_folder`` on the
    staging table: of the rows sharing a (metric, district, year), the first by ``_row``
    is kept; a later different value is an issue (the same issue rows), an equal one is
    dropped silently. Only the repeated keys are fetched. Returns the rows deleted.

    ``files``: the staged rows per file when known (``StageSpool.files``); with fewer
    than two files no key repeats across files (the reader removed each file's own
    repeated keys, except ``keys``: those a file read in batches repeats across its
    batches), so only ``keys`` are looked at, which spares an aggregate over every
    staged row."""
    from extractors.stats import _dedupe

    if cx.dialect.name == "postgresql":
        pg_settings(cx)
    key = "metric_code, district_code, year"
    cols = ", ".join("t." + c for c in STAGE_COLUMNS)
    on = ("ON t.metric_code = d.metric_code AND t.district_code = d.district_code "
          "AND t.year = d.year")
    if files is not None and sum(1 for n in files.values() if n) < 2:
        listed = sorted(set(keys or ()))
        if not listed:
            return 0
        _put_small(cx, "_planwh_keys", {"metric_code": "VARCHAR", "district_code": "VARCHAR",
                                        "year": "BIGINT"}, listed)
        sql = f"SELECT {cols} FROM {table} t JOIN _planwh_keys d {on} ORDER BY t.{ROW}"
    else:
        sql = (f"SELECT {cols} FROM {table} t JOIN (SELECT {key} FROM {table} GROUP BY {key} "
               f"HAVING COUNT(*) > 1) d {on} ORDER BY t.{ROW}")
    pg = cx.dialect.name == "postgresql"
    if pg:  # each row's address too: the dropped ones are deleted by it (no scan)
        sql = sql.replace(f"SELECT {cols} FROM", f"SELECT {cols}, t.ctid::text FROM", 1)
    rows = cx.exec_driver_sql(sql).fetchall()
    cx.exec_driver_sql("DROP TABLE IF EXISTS _planwh_keys")
    if not rows:
        return 0
    n = len(STAGE_COLUMNS)
    sub = pd.DataFrame([tuple(r)[:n] for r in rows], columns=STAGE_COLUMNS)
    sub["value"] = sub["value"].astype("float64")
    dropped: list[int] = []  # positions in sub
    found: list = []
    _dedupe(sub, found, lambda position, _reason: dropped.append(int(position)))
    issues.extend(found)  # each carries its rule, as on the one-frame path
    if dropped and pg:
        cx.execute(sa.text(f"DELETE FROM {table} WHERE ctid = ANY(CAST(:at AS tid[]))"),
                   {"at": [rows[i][n] for i in dropped]})
    elif dropped:
        _put_small(cx, "_planwh_dup", {ROW: "BIGINT"},
                   [(int(sub[ROW].iat[i]),) for i in dropped])
        cx.exec_driver_sql(f"DELETE FROM {table} WHERE {ROW} IN (SELECT {ROW} FROM _planwh_dup)")
        cx.exec_driver_sql("DROP TABLE _planwh_dup")
    return len(dropped)


def stage_frame(cx: Connection, table: str, frame: pd.DataFrame) -> int:
    create_stage(cx, table)
    return append_stage(cx, table, frame)


# --------------------------------------------------------------------------- reference


def _year_span(d: District) -> tuple[int | None, int | None]:
    """(first, last) year the version is in force on 31 December (None: open)."""
    first = d.valid_from.year if d.valid_from else None
    last = None
    if d.valid_to is not None:
        last = d.valid_to.year if d.valid_to >= date(d.valid_to.year, 12, 31) else \
            d.valid_to.year - 1
    return first, last


def _put_small(cx: Connection, name: str, columns: dict[str, str], rows: list[tuple]) -> None:
    """A small TEMP table (reference data) on the connection."""
    cx.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    pg = cx.dialect.name == "postgresql"
    cols = ", ".join(f"{c} {'DOUBLE PRECISION' if pg and t == 'DOUBLE' else t}"
                     for c, t in columns.items())
    if pg:
        cx.exec_driver_sql(f"CREATE TEMP TABLE {name} ({cols})")
        if rows:
            marks = ", ".join(f":{c}" for c in columns)
            cx.execute(sa.text(f"INSERT INTO {name} VALUES ({marks})"),
                       [dict(zip(columns, r, strict=True)) for r in rows])
        cx.exec_driver_sql(f"ANALYZE {name}")
        return
    types = {"VARCHAR": pa.string(), "INTEGER": pa.int64(), "DOUBLE": pa.float64(),
             "BIGINT": pa.int64()}
    arrow = pa.table({c: pa.array([r[i] for r in rows], types[t])
                      for i, (c, t) in enumerate(columns.items())})
    duck = cx.connection.dbapi_connection
    duck.register("_planwh_small", arrow)
    try:
        cx.exec_driver_sql(f"CREATE TEMP TABLE {name} ({cols})")
        duck.execute(f"INSERT INTO {name} SELECT * FROM _planwh_small")
    finally:
        duck.unregister("_planwh_small")


def put_reference(cx: Connection, districts: Iterable[District] | pd.DataFrame,
                  metrics: Mapping[str, Metric] | pd.DataFrame) -> list[District]:
    """The districts and metrics as TEMP tables (plausible ranges precomputed)."""
    dists = districts_of(districts)
    _put_small(cx, DISTRICT_REF, {"code": "VARCHAR", "dtype": "VARCHAR", "first_year": "INTEGER",
                                  "last_year": "INTEGER", "ord": "INTEGER", "name": "VARCHAR"},
               [(d.code, d.district_type, *_year_span(d), i, d.name)
                for i, d in enumerate(dists)])
    mt = metric_table(metrics).drop_duplicates("metric_code")
    parts: dict[str, tuple[str | None, str | None]] = {}
    if isinstance(metrics, pd.DataFrame):
        for r in metrics.to_dict("records"):
            parts.setdefault(str(r.get("metric_code")), (r.get("numerator"), r.get("denominator")))
    else:
        parts = {str(c): (m.numerator, m.denominator) for c, m in metrics.items()}
    rows = []
    for r in mt.to_dict("records"):
        agg = r["aggregation"]
        lo, hi = (plausible_range(r["unit"], r["min_value"], r["max_value"])
                  if agg == "ratio" else (None, None))
        num, den = parts.get(r["metric_code"], (None, None))
        ok_parts = agg == "ratio" and isinstance(num, str) and num and isinstance(den, str) and den
        rows.append((r["metric_code"], None if agg is None else str(agg),
                     None if lo is None else float(lo), None if hi is None else float(hi),
                     num if ok_parts else None, den if ok_parts else None))
    _put_small(cx, METRIC_REF, {"code": "VARCHAR", "aggregation": "VARCHAR", "lo": "DOUBLE",
                                "hi": "DOUBLE", "numerator": "VARCHAR", "denominator": "VARCHAR"},
               rows)
    return dists


# --------------------------------------------------------------------------- rules

_D, _M = DISTRICT_REF, METRIC_REF
VALID = "_planwh_valid"  # (district code, year) of every version valid in a staged year
YEARS = "_planwh_years"  # the staged years (StageGroups.years)
# (n_noncity: how many of the code's versions valid that year are not the city; a staged
# row of the code counts that many times as reported by a non-city district, as in the
# join of _REPORTED_SQL)
_VALID_SQL = f"""
CREATE TEMP TABLE {VALID} AS
SELECT d.code, y.year, COUNT(CASE WHEN d.dtype <> 'city' THEN 1 END) AS n_noncity
FROM {_D} d JOIN {YEARS} y
  ON (d.first_year IS NULL OR d.first_year <= y.year)
 AND (d.last_year IS NULL OR y.year <= d.last_year)
GROUP BY d.code, y.year
"""
# rule name -> its failure as a boolean over one staged row s, its metric m (LEFT JOIN: NULL
# when unknown) and v, the matching row of _planwh_valid (NULL when none)
RULE_FLAGS = {
    RULE_DISTRICT_VALID: "v.code IS NULL",
    RULE_METRIC_KNOWN: "m.code IS NULL",
    RULE_NON_NEGATIVE: "COALESCE(m.aggregation = 'sum' AND s.value < 0, FALSE)",
    "district_stats.ratio_within_plausible_range": (
        "COALESCE(m.aggregation = 'ratio' AND s.value IS NOT NULL AND ((m.lo IS NOT NULL AND "
        "s.value < m.lo) OR (m.hi IS NOT NULL AND s.value > m.hi)), FALSE)"),
}
# one scan for the four rules above (hash joins with the small reference tables)
_FLAGGED_SQL = f"""
SELECT * FROM (
    SELECT {{columns}}, {{flags}}
    FROM {{t}} s
    LEFT JOIN {_M} m ON m.code = s.metric_code
    LEFT JOIN {VALID} v ON v.code = s.district_code AND v.year = s.year) x
WHERE {{any}}
"""
# the same scan as an aggregate, per (metric, year): the failing rows of each rule counted
# ({counts}), and the rows reported by a non-city district valid that year (the
# coverage rule's _REPORTED_SQL when no key repeats): the rows themselves are fetched
# only when some fail (rarely), and the coverage rule needs no scan of its own
_COUNTED_SQL = f"""
SELECT s.metric_code, s.year, {{counts}},
       SUM(CASE WHEN s.year IS NOT NULL THEN COALESCE(v.n_noncity, 0) ELSE 0 END)
FROM {{t}} s
LEFT JOIN {_M} m ON m.code = s.metric_code
LEFT JOIN {VALID} v ON v.code = s.district_code AND v.year = s.year
GROUP BY s.metric_code, s.year
"""
# every row of a repeated key (as GX's compound-uniqueness expectation: NULLs equal)
_REPEATED_SQL = """
SELECT x._row FROM (
    SELECT _row, COUNT(*) OVER (PARTITION BY metric_code, district_code, year) AS n
    FROM {t}) x
WHERE x.n > 1
"""
# cheap pre-check (a hash aggregate) before the window query of the uniqueness rule
_ANY_REPEATED = """
SELECT 1 FROM {t} GROUP BY metric_code, district_code, year HAVING COUNT(*) > 1 LIMIT 1
"""
assert set(RULE_FLAGS) | {RULE_UNIQUE_KEY} == {r.name for r in STATS_RULES}


def _flag(i: int) -> str:
    return f"_f{i}"


def _flagged_sql(table: str, rules: list[str], columns: str) -> str:
    flags = ", ".join(f"({RULE_FLAGS[r]}) AS {_flag(i)}" for i, r in enumerate(rules))
    return _FLAGGED_SQL.format(t=table, columns=columns, flags=flags,
                               any=" OR ".join(f"x.{_flag(i)}" for i in range(len(rules))))


def _prepare_valid(cx: Connection, table: str, groups: StageGroups | None = None) -> None:
    _put_small(cx, YEARS, {"year": "BIGINT"},
               [(y,) for y in (groups or StageGroups(cx, table)).years()])
    cx.exec_driver_sql(f"DROP TABLE IF EXISTS {VALID}")
    cx.exec_driver_sql(_VALID_SQL)
    _analyze(cx, VALID)


def _analyze(cx: Connection, table: str) -> None:
    if cx.dialect.name == "postgresql":
        cx.exec_driver_sql(f"ANALYZE {table}")


def failing_rows_sql(table: str, rules: Iterable[str] | None = None) -> str:
    """One query: the _row of every staged row failing any of ``rules`` (default: the
    error-severity row rules). Needs the reference and _planwh_valid tables
    (:func:`validate_staged` makes them)."""
    names = list(rules) if rules is not None else [
        r.name for r in STATS_RULES if r.severity == "error"]
    parts = []
    flagged = [n for n in names if n in RULE_FLAGS]
    if flagged:
        parts.append(f"SELECT _row FROM ({_flagged_sql(table, flagged, 's._row')}) f")
    if RULE_UNIQUE_KEY in names:
        parts.append(_REPEATED_SQL.format(t=table))
    return " UNION ".join(f"({p})" for p in parts)


def _fetch_failing(cx: Connection, table: str, unique: bool = False,
                   reported: dict | None = None) -> dict[str, list[dict]]:
    """rule name -> its failing rows (staging columns), in _row order. ``unique``: the
    caller knows no key repeats (:func:`dedupe_staged` ran), so the uniqueness rule's
    aggregate over every row is not run (it finds nothing). ``reported``: given (a dict)
    when ``unique``, it receives the coverage rule's reported count per (metric, year)
    from the same scan, which counts the failing rows first (:data:`_COUNTED_SQL`)."""
    rules = list(RULE_FLAGS)
    cols = ", ".join("s." + c for c in STAGE_COLUMNS)
    out: dict[str, list[dict]] = {r: [] for r in STATS_RULES_NAMES}
    if unique and reported is not None:
        counts = ", ".join(f"SUM(CASE WHEN {RULE_FLAGS[r]} THEN 1 ELSE 0 END)" for r in rules)
        n_failing = 0
        for rec in cx.exec_driver_sql(_COUNTED_SQL.format(t=table, counts=counts)):
            m, y, *n, rep = rec
            n_failing += sum(int(x or 0) for x in n)
            if y is not None and int(rep or 0):
                reported[(str(m), int(y))] = int(rep)
        if not n_failing:
            return out
    sql = _flagged_sql(table, rules, cols) + " ORDER BY x._row"
    for rec in cx.exec_driver_sql(sql):
        row = dict(zip(STAGE_COLUMNS, rec[:len(STAGE_COLUMNS)], strict=True))
        for rule, failed in zip(rules, rec[len(STAGE_COLUMNS):], strict=True):
            if failed:
                out[rule].append(row)
    if not unique and cx.exec_driver_sql(_ANY_REPEATED.format(t=table)).first() is not None:
        res = cx.exec_driver_sql(
            f"SELECT {cols} FROM {table} s WHERE s._row IN ({_REPEATED_SQL.format(t=table)}) "
            "ORDER BY s._row")
        out[RULE_UNIQUE_KEY] = [dict(zip(STAGE_COLUMNS, r, strict=True)) for r in res]
    return out


STATS_RULES_NAMES = [r.name for r in STATS_RULES]


# --------------------------------------------------------------------------- coverage

_EXPECTED = f"""
SELECT p.metric_code, p.year, d.code, d.ord, d.name
FROM _planwh_gaps p
JOIN {_D} d
  ON d.dtype <> 'city'
 AND (d.first_year IS NULL OR d.first_year <= p.year)
 AND (d.last_year IS NULL OR p.year <= d.last_year)
"""
# (each a hash join: the expected keys without a row, then those a ratio's parts cover)
_COVERAGE_STEPS = (
    f"""CREATE TEMP TABLE _planwh_missing0 AS SELECT e.* FROM ({_EXPECTED}) e
    WHERE NOT EXISTS (SELECT 1 FROM {{t}} s WHERE s.metric_code = e.metric_code
                      AND s.district_code = e.code AND s.year = e.year)""",
    f"""CREATE TEMP TABLE _planwh_by_parts AS
    SELECT DISTINCT x.metric_code, x.code, x.year FROM _planwh_missing0 x
    JOIN {_M} m ON m.code = x.metric_code AND m.numerator IS NOT NULL
    JOIN {{t}} a ON a.metric_code = m.numerator AND a.district_code = x.code AND a.year = x.year
    JOIN {{t}} b ON b.metric_code = m.denominator AND b.district_code = x.code
                AND b.year = x.year""",
    """CREATE TEMP TABLE _planwh_missing AS SELECT x.* FROM _planwh_missing0 x
    WHERE NOT EXISTS (SELECT 1 FROM _planwh_by_parts p WHERE p.metric_code = x.metric_code
                      AND p.code = x.code AND p.year = x.year)""",
)
_COVERAGE_TEMP = ("_planwh_gaps", "_planwh_missing0", "_planwh_by_parts", "_planwh_missing",
                  "_planwh_gaps2")
# The first missing districts (by ord) of gaps whose count of missing districts is known:
# first among the districts of the first FIRST_ORDS ords only (the staged rows of the
# others are not hashed: the anti join over every staged row took 6 s at 5M rows on
# PostgreSQL, issue #13), then, for the gaps where fewer than MISSING_SHOWN (or fewer
# than they miss) were found, among the staged rows of those gaps only.
FIRST_ORDS = 1024
_FIRST_MISSING_SQL = f"""
SELECT metric_code, year, ord, name FROM (
SELECT e.metric_code, e.year, e.ord, e.name,
       row_number() OVER (PARTITION BY e.metric_code, e.year ORDER BY e.ord) AS rn
FROM (SELECT p.metric_code, p.year, d.code, d.ord, d.name
      FROM {{gaps}} p
      JOIN {_D} d
        ON d.dtype <> 'city' AND {{ords}}
       AND (d.first_year IS NULL OR d.first_year <= p.year)
       AND (d.last_year IS NULL OR p.year <= d.last_year)) e
WHERE NOT EXISTS (
    SELECT 1 FROM ({{staged}}) s
    WHERE s.metric_code = e.metric_code AND s.district_code = e.code AND s.year = e.year)
) x WHERE rn <= {MISSING_SHOWN}
"""
# per (metric, year): distinct non-city districts valid that year with a row of their own
# ({count}: COUNT(*) when no key repeats in the table; PostgreSQL sorts each group for a
# COUNT(DISTINCT), 11 s on 5M staged rows)
_REPORTED_SQL = f"""
SELECT s.metric_code, s.year, {{count}}
FROM {{t}} s
JOIN {_D} d ON d.code = s.district_code AND d.dtype <> 'city'
 AND (d.first_year IS NULL OR d.first_year <= s.year)
 AND (d.last_year IS NULL OR s.year <= d.last_year)
WHERE s.year IS NOT NULL
GROUP BY s.metric_code, s.year
"""


def _first_missing(cx: Connection, table: str, gaps: list[tuple[str, int]],
                   n_missing: Mapping[tuple, int]) -> dict[tuple, list[str]]:
    """(metric, year) -> the names of its first MISSING_SHOWN missing districts (by ord),
    for ``gaps`` whose number of missing districts is ``n_missing`` (see FIRST_ORDS)."""
    shown: dict[tuple, list[str]] = {}
    if not gaps:
        return shown
    _put_small(cx, "_planwh_gaps", {"metric_code": "VARCHAR", "year": "INTEGER"}, gaps)
    first = (f"SELECT s.metric_code, s.district_code, s.year FROM {table} s "
             f"WHERE s.district_code IN (SELECT code FROM {_D} WHERE ord < {FIRST_ORDS})")
    found: dict[tuple, list[tuple[int, str]]] = {}
    for m, y, o, name in cx.exec_driver_sql(_FIRST_MISSING_SQL.format(
            gaps="_planwh_gaps", ords=f"d.ord < {FIRST_ORDS}", staged=first)):
        found.setdefault((str(m), int(y)), []).append((int(o), str(name)))
    rest = [g for g in gaps if len(found.get(g, ())) < min(MISSING_SHOWN, n_missing[g])]
    if rest:
        _put_small(cx, "_planwh_gaps2", {"metric_code": "VARCHAR", "year": "INTEGER"}, rest)
        of_gaps = (f"SELECT s.metric_code, s.district_code, s.year FROM {table} s "
                   "JOIN _planwh_gaps2 g ON g.metric_code = s.metric_code AND g.year = s.year")
        for g in rest:
            found.pop(g, None)
        for m, y, o, name in cx.exec_driver_sql(_FIRST_MISSING_SQL.format(
                gaps="_planwh_gaps2", ords="TRUE", staged=of_gaps)):
            found.setdefault((str(m), int(y)), []).append((int(o), str(name)))
    for g, names in found.items():
        shown[g] = [n for _o, n in sorted(names)[:MISSING_SHOWN]]
    return shown


def coverage_grid_sql(cx: Connection, table: str, unique: bool = False,
                      groups: StageGroups | None = None,
                      reported: dict | None = None) -> pd.DataFrame:
    """``expectations.suites.district_coverage_grid`` computed in SQL: one row per
    (metric, year) present; only small aggregates leave the database. ``unique``: no
    (metric, district, year) repeats in the table (:func:`dedupe_staged` ran).
    ``groups``: the table's counts when already made; ``reported``: the rows per
    (metric, year) reported by a non-city district valid that year, when counted
    already (:func:`_fetch_failing`; needs ``unique``)."""
    groups = groups or StageGroups(cx, table)
    _put_small(cx, YEARS, {"year": "BIGINT"}, [(y,) for y in groups.years()])
    for name in _COVERAGE_TEMP:
        cx.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    per_year = {int(y): int(n) for y, n in cx.exec_driver_sql(
        f"SELECT y.year, COUNT(d.code) FROM {YEARS} y JOIN {_D} d ON d.dtype <> 'city' "
        "AND (d.first_year IS NULL OR d.first_year <= y.year) "
        "AND (d.last_year IS NULL OR y.year <= d.last_year) GROUP BY y.year")}
    # only the (metric, year)s with fewer districts than expected are looked at district
    # by district (a ratio's numerator and denominator may still cover them)
    counted = reported is not None and unique
    if not counted:
        reported = {(str(m), int(y)): int(n) for m, y, n in cx.exec_driver_sql(
            _REPORTED_SQL.format(t=table, count="COUNT(*)" if unique
                                 else "COUNT(DISTINCT s.district_code)"))}
    files_of: dict[tuple, list[str]] = {}
    for f, m, y, _n, _v in groups.groups:
        if y is not None:
            files_of.setdefault((str(m), y), []).append(f)
    gaps = [(m, y) for m, y in files_of if reported.get((m, y), 0) < per_year.get(y, 0)]
    n_missing: dict[tuple, int] = {}
    shown: dict[tuple, list[str]] = {}
    if counted and gaps:
        # no key repeats: a gap of a metric without parts misses exactly the districts its
        # count lacks; only the first names are looked for, not every missing district
        with_parts = {str(c) for (c,) in cx.exec_driver_sql(
            f"SELECT code FROM {_M} WHERE numerator IS NOT NULL")}
        plain = [g for g in gaps if g[0] not in with_parts]
        gaps = [g for g in gaps if g[0] in with_parts]
        for g in plain:
            n_missing[g] = per_year[g[1]] - reported.get(g, 0)
        shown.update(_first_missing(cx, table, plain, n_missing))
    if gaps:
        _put_small(cx, "_planwh_gaps", {"metric_code": "VARCHAR", "year": "INTEGER"}, gaps)
        for step in _COVERAGE_STEPS:
            cx.exec_driver_sql(step.format(t=table))
            _analyze(cx, step.split()[3])
        n_missing.update({(m, int(y)): int(n) for m, y, n in cx.exec_driver_sql(
            "SELECT metric_code, year, COUNT(*) FROM _planwh_missing "
            "GROUP BY metric_code, year")})
        for m, y, name in cx.exec_driver_sql(
                "SELECT metric_code, year, name FROM ("
                " SELECT metric_code, year, name, ord, row_number() OVER ("
                "  PARTITION BY metric_code, year ORDER BY ord) AS rn FROM _planwh_missing) x"
                f" WHERE rn <= {MISSING_SHOWN} ORDER BY metric_code, year, ord"):
            shown.setdefault((m, int(y)), []).append(name)
    for name in _COVERAGE_TEMP:
        cx.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")
    # files giving a metric by district, for the (metric, year)s with only a city total
    # (a scan of every row: only when there is such a metric and year)
    by_district_in_file = {(str(f), str(m)) for f, m in cx.exec_driver_sql(
        f"SELECT DISTINCT source_file, metric_code FROM {table} s "
        "WHERE s.district_code IS NULL OR NOT EXISTS ("
        f" SELECT 1 FROM {_D} d WHERE d.dtype = 'city' AND d.code = s.district_code)")
    } if any(n_missing.get(k, 0) and per_year.get(k[1], 0) == n_missing.get(k, 0)
             for k in files_of) else set()
    rows = []
    for metric, y in sorted(files_of):
        n_exp = per_year.get(y, 0)
        n_miss = n_missing.get((metric, y), 0)
        files = sorted(set(files_of[(metric, y)]))
        reported = n_exp - n_miss
        ok = not n_miss
        if n_miss and reported == 0:
            ok = not any((f, metric) in by_district_in_file for f in files)
        names = ", ".join(shown.get((metric, y), []))
        if n_miss > MISSING_SHOWN:
            names += f" … (+{n_miss - MISSING_SHOWN})"
        rows.append({
            "metric_code": metric, "year": y, "file": ", ".join(files),
            "districts_reported": reported, "districts_missing": n_miss,
            "missing": ("only the city total" if reported == 0 else names) if n_miss else "",
            PRESENT: ok,
        })
    from expectations.suites import COVERAGE_COLUMNS

    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


# --------------------------------------------------------------------------- the suite


def validate_staged(cx: Connection, table: str, *,
                    districts: Iterable[District] | pd.DataFrame,
                    metrics: Mapping[str, Metric] | pd.DataFrame, unique: bool = False,
                    groups: StageGroups | None = None, **_: Any):
    """Run the ``district_stats`` suite over a staging table; a ``SuiteResult`` whose
    row results carry their failing rows (``failing_rows``) and ``failing_index`` (the
    staged ``_row``s). The reference goes into TEMP tables on ``cx`` first. ``unique``:
    no (metric, district, year) repeats in the table (:func:`dedupe_staged` ran on it);
    the uniqueness rule then passes without its aggregate. ``groups``: the table's
    counts (:class:`StageGroups`) when the caller has them."""
    if cx.dialect.name == "postgresql":
        # a freshly loaded table and TEMP tables have no statistics (autovacuum never
        # analyses TEMP tables): without them the planner picks nested loops
        pg_settings(cx)
        cx.exec_driver_sql(f"ANALYZE {table}")
    put_reference(cx, districts, metrics)
    groups = groups or StageGroups(cx, table)
    _prepare_valid(cx, table, groups)
    reported: dict = {}
    failing = _fetch_failing(cx, table, unique, reported)
    grid = coverage_grid_sql(cx, table, unique, groups, reported if unique else None)
    return run_stats_parts(groups.rows, failing, grid)


def run_on_frame(frame: pd.DataFrame, *, districts, metrics, **_: Any):
    """The suite over a frame: staged into a throwaway in-memory DuckDB (``run_suite``,
    ``planwh check``); ``failing_index`` are positions in ``frame``."""
    engine = sa.create_engine("duckdb:///:memory:")
    try:
        with engine.begin() as cx:
            stage_frame(cx, "_planwh_stage", frame.reset_index(drop=True))
            return validate_staged(cx, "_planwh_stage", districts=districts, metrics=metrics)
    finally:
        engine.dispose()


QUARANTINE_LISTED = 100_000  # up to this many known failing rows are deleted by their _row


def quarantine(cx: Connection, table: str, rows: list[int] | None = None) -> int:
    """Delete the staged rows failing an error-severity row rule; returns how many.
    ``rows``: their ``_row``s when known (``SuiteResult.failing_positions()``), which
    spares evaluating the rules again."""
    def count() -> int:
        return int(cx.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar() or 0)

    before = count()
    if rows is not None and len(rows) <= QUARANTINE_LISTED:
        _put_small(cx, "_planwh_bad", {"_row": "BIGINT"}, [(int(r),) for r in rows])
        cx.exec_driver_sql(f"DELETE FROM {table} WHERE _row IN (SELECT _row FROM _planwh_bad)")
        cx.exec_driver_sql("DROP TABLE _planwh_bad")
    else:
        _prepare_valid(cx, table)
        cx.exec_driver_sql(f"DELETE FROM {table} WHERE _row IN ({failing_rows_sql(table)})")
    return before - count()


def drop_files(cx: Connection, table: str, files: Iterable[str]) -> None:
    """Delete the staged rows of ``files`` (held back whole)."""
    names = sorted(set(files))
    if names:
        cx.execute(sa.text(f"DELETE FROM {table} WHERE source_file IN :names")
                   .bindparams(sa.bindparam("names", expanding=True)), {"names": names})


class StageGroups:
    """The staged rows counted per (source_file, metric_code, year), in one scan: what the
    suite, the held-back and shrink tests and the asset's summary need of every row
    (each was a scan of its own, about a second each at 5M rows on PostgreSQL). Valid
    until rows are deleted from the table (:func:`drop_files`, :func:`quarantine`):
    count again then."""

    def __init__(self, cx: Connection, table: str) -> None:
        self.groups = [(str(f), None if m is None else str(m), None if y is None else int(y),
                        int(n), int(v)) for f, m, y, n, v in cx.exec_driver_sql(
            f"SELECT source_file, metric_code, year, COUNT(*), COUNT(value) FROM {table} "
            "GROUP BY source_file, metric_code, year")]

    @property
    def rows(self) -> int:
        return sum(n for *_, n, _v in self.groups)

    def years(self) -> list[int]:
        return sorted({y for _f, _m, y, _n, _v in self.groups if y is not None})

    def per_file(self) -> dict[str, int]:
        """Rows each file would load: those with a value (files with none left out)."""
        out: dict[str, int] = {}
        for f, _m, _y, _n, v in self.groups:
            if v:
                out[f] = out.get(f, 0) + v
        return out


def rows_per_file(cx: Connection, table: str,
                  groups: StageGroups | None = None) -> dict[str, int]:
    """Rows each staged file would load: those with a value (after :func:`quarantine`,
    which leaves no repeated key). ``groups``: the table's counts when already made."""
    return (groups or StageGroups(cx, table)).per_file()


__all__ = ["STATS_COVERAGE_RULES", "StageGroups", "StageSpool", "StageStream", "append_arrow", "append_stage",
           "dedupe_staged", "coverage_grid_sql", "create_stage",
           "failing_rows_sql", "normalise", "put_reference", "quarantine", "run_on_frame",
           "stage_frame", "validate_staged"]


def run_stats_parts(total: int, failing: dict[str, list[dict]],
                    grid: pd.DataFrame) -> SuiteResult:
    """The ``district_stats`` SuiteResult from the SQL outcome (expectations.stats_sql):
    ``failing`` maps each row rule to its failing rows (staging columns, ``_row``
    included), ``grid`` is the coverage grid. Great Expectations validates the grid and
    the failing rows (at most ``stats_sql.GX_ROWS`` of them, with one boolean column per
    rule) so that its Data Docs show every rule; counts and samples are the SQL ones."""
    rows_part, coverage_part = SUITES["district_stats"]
    ctx = _context()
    results: list[ExpectationResult] = []
    validations: list[dict] = []
    # rows: GX over the failing rows only (cheap), each rule as a boolean helper column
    shown: dict[int, dict] = {}
    for rows in failing.values():
        for row in rows:
            if len(shown) >= GX_ROWS and row[ROW] not in shown:
                continue
            shown.setdefault(row[ROW], row)
    frame = pd.DataFrame(sorted(shown.values(), key=lambda r: r[ROW]),
                         columns=list(next(iter(shown.values())).keys()) if shown else [ROW])
    for rule in rows_part.rules:
        bad = {r[ROW] for r in failing.get(rule.name, [])}
        frame[rule.name.split(".", 1)[1]] = ~frame[ROW].isin(bad) if len(frame) else []
    gx_part = Part(rows_part.name, "rows", lambda f, **_: f, tuple(
        _helper_rule(r.name, r.severity, r.description, r.columns) for r in rows_part.rules))
    vres, suite = _validate_part(ctx, gx_part, frame)
    validations.append({"suite": suite.to_json_dict(), "result": vres.to_json_dict()})
    for rule in rows_part.rules:
        rows = failing.get(rule.name, [])
        results.append(ExpectationResult(
            name=rule.name, severity=rule.severity, success=not rows,
            unexpected_count=len(rows), element_count=total,
            sample=[{c: _plain(r.get(c)) for c in rule.columns if c in r}
                    for r in rows[:SAMPLE_SIZE]],
            failing_index=[int(r[ROW]) for r in rows], description=rule.description,
            kind="rows", failing_rows=rows))
    results += validate_rules(ctx, coverage_part, grid, grid, validations)
    return suite_result("district_stats", results, validations)


SUITE_RUNNERS["district_stats"] = run_on_frame  # run_suite("district_stats", …) runs here
