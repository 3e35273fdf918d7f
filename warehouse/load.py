"""Loaders: reference data, one plan document, all statistics, ingest issues.

Every loader runs in one transaction, so a failure leaves the previous state,
and each one is idempotent: loading the same content again changes nothing
(not even a ``loaded_at``). Statistics take a bulk path: DuckDB inserts from
an Arrow table, PostgreSQL uses ``COPY`` through psycopg 3.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from extractors.records import (
    CITY_SCOPE,
    STAT_FRAME_COLUMNS,
    District,
    IndicatorMetric,
    IngestIssue,
    Metric,
    PlanDocument,
    TargetRecord,
)
from extractors.reference import LineageLink, SplitWeight, match_metric
from extractors.relative import relative_base_year
from extractors.revisions import PlanRevision
from extractors.vintages import PUBLICATIONS_SCOPE, publication
from extractors.vocabulary import is_down_indicator
from warehouse.attainment import build_plan_attainment
from warehouse.issues import replace_issues  # noqa: F401  (planwh's loaders API)
from warehouse.locks import LOCK_NOT_AVAILABLE, locked_error
from warehouse.revisions import resolve_revisions
from warehouse.schema import (
    ARROW_BATCH,
    OPEN_VALID_FROM,
    bridge_district_lineage,
    dim_district,
    dim_indicator,
    dim_metric,
    dim_plan,
    dim_year,
    fct_attainment,
    fct_district_stat,
    fct_target,
    ingest_issues,
    load_log,
    rebuild_duckdb_table,
    ref_plan_revision,
    ref_split_weight,
    stat_vintage,
)

STAT_COLUMNS = list(STAT_FRAME_COLUMNS)
STATS_KEY = "stats:"
# fct_district_stat's current figures (one per metric x district x year; docs/time.md)
CURRENT = "valid_to IS NULL"
_CN_DIGITS = "〇一二三四五六七八九"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _num(v: Decimal | float | None) -> float | None:
    return None if v is None else float(v)


# --------------------------------------------------------------------------- years


def plan_period(year: int) -> str | None:
    """Five-year plan period of a year: 2016 -> 十三五. The 1st ran 1953-1957 and the
    2nd 1958-1962; 1963-1965 were years of readjustment (no plan, None); the 3rd
    began in 1966, so from then on the n-th runs 1966 + 5(n-3) .. +4."""
    if year < 1953 or 1963 <= year <= 1965:
        return None
    n = (year - 1953) // 5 + 1 if year < 1963 else (year - 1966) // 5 + 3
    tens, ones = divmod(n, 10)
    if tens == 0:
        numeral = _CN_DIGITS[ones]
    else:
        numeral = ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")
    return f"{numeral}五"


def refresh_dim_year(cx: Connection | Engine, stat_years: set[int] | None = None) -> None:
    """Make dim_year hold exactly the years of targets, statistics and plan periods.

    ``stat_years``: the years of fct_district_stat when the caller knows them
    (saves a scan of millions of rows).
    """
    if isinstance(cx, Engine):
        with cx.begin() as c:
            return refresh_dim_year(c, stat_years)
    stats = ("" if stat_years is not None
             else f" UNION SELECT year FROM fct_district_stat WHERE {CURRENT}")
    used = {
        r[0]
        for r in cx.execute(
            sa.text(f"SELECT year FROM fct_target UNION SELECT year FROM fct_attainment{stats}")
        )
    }
    used |= stat_years or set()
    for start, end in cx.execute(sa.select(dim_plan.c.period_start, dim_plan.c.period_end)):
        if start is not None and end is not None:
            used.update(range(start, end + 1))
    have = {r[0] for r in cx.execute(sa.select(dim_year.c.year))}
    if have - used:
        cx.execute(dim_year.delete().where(dim_year.c.year.in_(sorted(have - used))))
    if used - have:
        cx.execute(
            dim_year.insert(),
            [{"year": y, "plan_period": plan_period(y)} for y in sorted(used - have)],
        )


# --------------------------------------------------------------------------- reference


def _rows(cx: Connection, table: sa.Table) -> set[tuple]:
    return {tuple(r) for r in cx.execute(sa.select(*table.c))}


def _replace_table(cx: Connection, table: sa.Table, rows: list[dict]) -> bool:
    """Replace a small table's content unless it is already identical."""
    new = {tuple(r[c.name] for c in table.c) for r in rows}
    if new == _rows(cx, table):
        return False
    cx.execute(table.delete())
    if rows:
        cx.execute(table.insert(), rows)
    return True


def _district_row(d: District) -> dict:
    return {
        "district_code": d.code,
        "valid_from": d.valid_from or date.fromisoformat(OPEN_VALID_FROM),
        "valid_to": d.valid_to,
        "district_name": d.name,
        "district_type": d.district_type,
        "parent_code": d.parent_code,
        "aliases": "|".join(d.aliases) if d.aliases else None,
    }


def _metric_row(m: Metric) -> dict:
    return {
        "metric_code": m.code,
        "name": m.name,
        "unit": m.unit,
        "aggregation": m.aggregation,
        "numerator": m.numerator,
        "denominator": m.denominator,
        "scale": _num(m.scale),
        "direction": m.direction,
        "tolerance": _num(m.tolerance),
    }


def _lineage_row(link: LineageLink) -> dict:
    return {
        "change_year": link.year,
        "old_code": link.old_code,
        "new_code": link.new_code,
        "old_valid_from": link.old_valid_from or date.fromisoformat(OPEN_VALID_FROM),
        "new_valid_from": link.new_valid_from or date.fromisoformat(OPEN_VALID_FROM),
        "kind": link.kind,
    }


def _weight_row(w: SplitWeight) -> dict:
    return {"change_year": w.year, "old_code": w.old_code, "new_code": w.new_code,
            "metric_code": w.metric_code, "weight": _num(w.weight), "source_row": w.row}


def load_reference(engine: Engine, districts: list[District], metrics: dict[str, Metric],
                   lineage: Iterable[LineageLink] = (),
                   split_weights: Iterable[SplitWeight] = (),
                   revisions: list[PlanRevision] | None = None) -> bool:
    """Replace dim_district, dim_metric, bridge_district_lineage and ref_split_weight
    atomically, and ref_plan_revision when ``revisions`` (the valid rows of
    plan_revisions.csv) is given; True when anything changed."""
    with engine.begin() as cx:
        changed = _replace_table(cx, dim_district, [_district_row(d) for d in districts])
        changed |= _replace_table(cx, dim_metric, [_metric_row(m) for m in metrics.values()])
        changed |= _replace_table(cx, bridge_district_lineage, [_lineage_row(x) for x in lineage])
        changed |= _replace_table(cx, ref_split_weight, [_weight_row(w) for w in split_weights])
        if revisions is not None:
            rows = [{"plan": r.plan, "revises": r.revises, "effective_from": r.effective_from,
                     "source_row": r.row} for r in revisions]
            if _replace_table(cx, ref_plan_revision, rows):
                changed = True
                resolve_revisions(cx)
        refresh_dim_year(cx)
    return changed


# --------------------------------------------------------------------------- plans


def _first(values: Iterable):
    return next((v for v in values if v is not None and v != ""), None)


def _indicator_rows(
    plan: PlanDocument, mappings: list[IndicatorMetric], directions: dict[str, str]
) -> list[dict]:
    groups: dict[str, list[TargetRecord]] = {}
    for r in plan.records:
        groups.setdefault(r.indicator_id, []).append(r)
    rows = []
    for iid, recs in groups.items():
        r0 = recs[0]
        code = match_metric(r0.indicator_name, mappings)
        rows.append(
            {
                "indicator_id": iid,
                "plan_id": plan.plan_id,
                "section": r0.section,
                "task_no": r0.task_no,
                "task_name": r0.task_name,
                "indicator_name": r0.indicator_name,
                "unit": _first([r0.indicator_unit]) or _first(r.target_unit for r in recs),
                "metric_code": code,
                "direction": directions.get(code) or ("down" if is_down_indicator(r0.indicator_name) else "up"),
                "binding": _first(r.binding for r in recs),
                "baseline_value": _num(_first(r.baseline_value for r in recs)),
                "baseline_year": _first(r.baseline_year for r in recs),
                "layout": r0.layout if r0.layout in ("A", "B") else "A",
                "source_table": r0.source_table,
                "source_row": r0.source_row,
            }
        )
    return rows


def plan_base_years(plan: PlanDocument) -> dict[str, int]:
    """indicator_id -> the plan's base year for that indicator: layout B's base-year
    column, else the year before the plan period, else the year before its first target
    (the same rule as warehouse.progress.Indicator.base_year)."""
    groups: dict[str, list[TargetRecord]] = {}
    for r in plan.records:
        groups.setdefault(r.indicator_id, []).append(r)
    out = {}
    for iid, recs in groups.items():
        stated = _first(r.baseline_year for r in recs)
        if stated is not None:
            out[iid] = stated
        elif plan.period_start is not None:
            out[iid] = plan.period_start - 1
        else:
            out[iid] = min(r.year for r in recs) - 1
    return out


def _relative_columns(r: TargetRecord, base_years: dict[str, int]) -> dict:
    """fct_target's relative reading of a record (extractors/relative.py): kind, signed
    value, reference and the year whose actual it is resolved from."""
    if r.relative_kind is None or r.relative_value is None:
        return {"relative_kind": None, "relative_value": None, "relative_reference": None,
                "base_year": None}
    reference = r.relative_reference or "baseline"
    return {"relative_kind": r.relative_kind, "relative_value": _num(r.relative_value),
            "relative_reference": reference,
            "base_year": relative_base_year(reference, r.target_text, r.year,
                                            base_years[r.indicator_id])}


def _target_rows(plan: PlanDocument) -> list[dict]:
    seen: set[tuple] = set()
    rows = []
    base_years = plan_base_years(plan)
    for r in plan.records:
        key = (r.indicator_id, r.year, r.scope or CITY_SCOPE)
        if key in seen:  # the grain is indicator x year x scope: keep the first
            continue
        seen.add(key)
        rows.append(
            {
                "indicator_id": r.indicator_id,
                "year": r.year,
                "scope": r.scope or CITY_SCOPE,
                "plan_id": plan.plan_id,
                "comparator": r.comparator,
                "target_value": _num(r.target_value),
                "target_value_high": _num(r.target_value_high),
                "target_unit": r.target_unit,
                "target_text": r.target_text,
                "source_page": r.source_page,
                "source_table": r.source_table,
                "source_row": r.source_row,
                "extraction": r.extraction,
                **_relative_columns(r, base_years),
            }
        )
    return rows


LOAD_FORMAT = "fct_target+relative"


def _fingerprint(plan: PlanDocument, mappings: list[IndicatorMetric], directions: dict) -> str:
    h = hashlib.sha256(plan.source_sha256.encode())
    # what a load writes beyond the file: fct_target's relative columns (a plan loaded
    # before them is loaded again, so layout B's growth column reaches them too)
    h.update(LOAD_FORMAT.encode())
    h.update(repr([(m.pattern, m.metric_code) for m in mappings]).encode())
    h.update(repr(sorted(directions.items())).encode())
    return h.hexdigest()


def content_fingerprint(plan: PlanDocument) -> str:
    """Equal for two renderings of one plan (DOCX and PDF): title, period and every target
    with its table/row position, but no file name, page or extraction method."""

    def num(v: Decimal | None) -> str | None:
        return None if v is None else format(v.normalize(), "f")

    h = hashlib.sha256(repr((plan.title, plan.issuer, plan.period_start, plan.period_end)).encode())
    for row in sorted(
        repr((r.source_table, r.source_row, r.section, r.task_no, r.task_name, r.indicator_name,
              r.year, r.scope, r.comparator, num(r.target_value), num(r.target_value_high),
              r.target_unit, r.target_text, num(r.baseline_value), r.baseline_year, r.binding))
        for r in plan.records
    ):
        h.update(row.encode())
    return h.hexdigest()


def _mark_duplicates(cx: Connection, fingerprints: set[str | None]) -> None:
    """Within each group of identical renderings, the DOCX (else the first file name) is the
    plan analysts see; the others point at it through duplicate_of."""
    wanted = sorted(fingerprints - {None})
    if not wanted:
        return
    groups: dict[str, list] = {}
    for d in cx.execute(
        sa.select(dim_plan.c.plan_id, dim_plan.c.source_format, dim_plan.c.source_file,
                  dim_plan.c.duplicate_of, dim_plan.c.content_fingerprint)
        .where(dim_plan.c.content_fingerprint.in_(wanted))
    ):
        groups.setdefault(d.content_fingerprint, []).append(d)
    for docs in groups.values():
        keep = min(docs, key=lambda d: (d.source_format != "docx", d.source_file)).plan_id
        for d in docs:
            want = None if d.plan_id == keep else keep
            if d.duplicate_of != want:  # only the rows that change are written
                cx.execute(dim_plan.update().where(dim_plan.c.plan_id == d.plan_id)
                           .values(duplicate_of=want))


def _fingerprints_of(cx: Connection, where: sa.ColumnElement) -> set[str | None]:
    return {r[0] for r in cx.execute(sa.select(dim_plan.c.content_fingerprint).where(where))}


def _lineages_of(cx: Connection, where: sa.ColumnElement) -> set[str]:
    """The revision chains (dim_plan.lineage_id) of the plans ``where`` selects."""
    return {r[0] for r in cx.execute(sa.select(dim_plan.c.lineage_id).where(where))} - {None}


def _delete_plans(cx: Connection, where: sa.ColumnElement) -> int:
    plan_ids = [r[0] for r in cx.execute(sa.select(dim_plan.c.plan_id).where(where))]
    if not plan_ids:
        return 0
    ind = sa.select(dim_indicator.c.indicator_id).where(dim_indicator.c.plan_id.in_(plan_ids))
    cx.execute(fct_attainment.delete().where(fct_attainment.c.indicator_id.in_(ind)))
    cx.execute(fct_target.delete().where(fct_target.c.plan_id.in_(plan_ids)))
    cx.execute(dim_indicator.delete().where(dim_indicator.c.plan_id.in_(plan_ids)))
    cx.execute(dim_plan.delete().where(dim_plan.c.plan_id.in_(plan_ids)))
    return len(plan_ids)


def _insert_rows(cx: Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert many rows at once: on DuckDB from an Arrow table (INSERT … SELECT; an
    executemany through SQLAlchemy is one statement per row there), elsewhere by
    executemany (psycopg 3: batched multi-row INSERTs)."""
    if not rows:
        return
    if cx.dialect.name != "duckdb":
        cx.execute(table.insert(), rows)
        return
    cols = [c.name for c in table.c if c.name in rows[0]]
    frame = pa.Table.from_pylist(rows, schema=None).select(cols)
    duck = cx.connection.dbapi_connection
    duck.register("_planwh_rows", frame)
    try:
        names = ", ".join(f'"{c}"' for c in cols)
        sql = f"INSERT INTO {table.name} ({names}) SELECT {names} FROM _planwh_rows"
        try:
            duck.execute(sql)
        except duckdb.Error as e:  # as SQLAlchemy would raise it (a refused row, say)
            raise sa.exc.DBAPIError.instance(sql, None, e, duckdb.Error) from e
    finally:
        duck.unregister("_planwh_rows")


def _plan_row(plan: PlanDocument, fp: str, now: datetime) -> dict:
    return {
        "plan_id": plan.plan_id,
        "title": plan.title,
        "issuer": plan.issuer,
        "period_start": plan.period_start,
        "period_end": plan.period_end,
        "source_file": plan.source_file,
        "source_sha256": plan.source_sha256,
        "source_format": plan.source_format,
        "pages": plan.pages,
        "tables_found": plan.tables_found,
        "record_count": len(plan.records),
        "load_fingerprint": fp,
        "loaded_at": now,
        "content_fingerprint": content_fingerprint(plan),
        "declared_revises": plan.revises,
        "declared_effective_from": plan.effective_from,
        "lineage_id": plan.plan_id,
    }


FAILED = "failed: "  # load_plans' status prefix of a plan that could not be loaded


def load_plan(engine: Engine, plan: PlanDocument, indicator_metrics: list[IndicatorMetric]) -> str:
    """Replace one plan's rows (by source_file), its attainment rows included, in one
    transaction.

    Returns "unchanged" when the same file content was already loaded with the
    same metric mappings and metric directions, else "loaded". A plan with the
    same plan_id under another file name (a renamed copy) is replaced too. A failure
    raises (the transaction is rolled back).
    """
    with engine.begin() as cx:
        return _load_plans(cx, [plan], indicator_metrics)[plan.source_file]


def load_plans(engine: Engine, plans: list[PlanDocument],
               indicator_metrics: list[IndicatorMetric]) -> dict[str, str]:
    """Load many plans in ONE transaction, set-based; source_file -> status.

    The outcome equals :func:`load_plan` of each plan in the order given (a later plan
    with the plan_id of an earlier one replaces it, as a renamed copy would), with each
    step done once for the batch: metric directions and old fingerprints read once,
    unchanged files skipped, replaced rows deleted and new rows inserted in bulk
    statements, duplicates marked, revision chains resolved, attainment built and
    dim_year refreshed once. If the batch fails (one plan's rows are refused by the
    database, say), it is rolled back and every plan is loaded alone: a plan that fails
    then gets the status ``"failed: <error>"`` and keeps its previous rows, the others
    load. A lock timeout (WarehouseLocked) is raised, not retried plan by plan.
    """
    from warehouse.locks import WarehouseLocked

    if not plans:
        return {}
    try:
        with engine.begin() as cx:
            return _load_plans(cx, plans, indicator_metrics)
    except WarehouseLocked:
        raise
    except Exception:
        if len(plans) == 1:
            raise
    out: dict[str, str] = {}
    for plan in plans:  # one transaction each: the failing plan is held back alone
        try:
            out[plan.source_file] = load_plan(engine, plan, indicator_metrics)
        except WarehouseLocked:
            raise
        except Exception as e:  # noqa: BLE001 - reported as the plan's status
            first = (str(e).strip().splitlines() or [""])[0]
            out[plan.source_file] = f"{FAILED}{type(e).__name__}: {first}"[:500]
    return out


def _load_plans(cx: Connection, plans: list[PlanDocument],
                indicator_metrics: list[IndicatorMetric]) -> dict[str, str]:
    """load_plans' transaction (see there)."""
    directions = {
        r[0]: r[1]
        for r in cx.execute(sa.select(dim_metric.c.metric_code, dim_metric.c.direction))
    }
    files = {p.source_file for p in plans}
    ids = {p.plan_id for p in plans}
    # the rows a plan of the batch may find or replace: same file name or same plan_id
    touched = (dim_plan.c.source_file.in_(sorted(files)) | dim_plan.c.plan_id.in_(sorted(ids)))
    old = cx.execute(sa.select(dim_plan.c.plan_id, dim_plan.c.source_file,
                               dim_plan.c.load_fingerprint).where(touched)).all()
    # what the warehouse holds as the batch goes on, plan after plan (load_plan's order):
    # source_file -> (plan_id, load fingerprint, the plan of the batch or None: a stored row)
    held: dict[str, tuple[str, str, PlanDocument | None]] = {
        r.source_file: (r.plan_id, r.load_fingerprint, None) for r in old}
    status: dict[str, str] = {}
    replaced: set[str] = set()  # plan_ids of stored rows that are deleted
    dropped: set[str] = set()  # content fingerprints of batch plans replaced within it
    for plan in plans:
        fp = _fingerprint(plan, indicator_metrics, directions)
        if plan.source_file in held and held[plan.source_file][1] == fp:
            status[plan.source_file] = "unchanged"
            continue
        for f, (pid, _, doc) in list(held.items()):
            if f == plan.source_file or pid == plan.plan_id:
                del held[f]
                if doc is None:
                    replaced.add(pid)
                else:  # an earlier plan of the batch, replaced before it was written
                    dropped.add(content_fingerprint(doc))
        held[plan.source_file] = (plan.plan_id, fp, plan)
        status[plan.source_file] = "loaded"
    new = {f: (fp, doc) for f, (_, fp, doc) in held.items() if doc is not None}
    if not new and not replaced:
        return status
    gone = dim_plan.c.plan_id.in_(sorted(replaced))
    groups = (_fingerprints_of(cx, gone) if replaced else set()) | dropped
    chains = (_lineages_of(cx, gone) if replaced else set()) | {d.plan_id for _, d in new.values()}
    if replaced:
        _delete_plans(cx, gone)
    now = _now()
    plan_rows, indicators, targets = [], [], []
    for fp, doc in new.values():
        plan_rows.append(_plan_row(doc, fp, now))
        indicators += _indicator_rows(doc, indicator_metrics, directions)
        targets += _target_rows(doc)
    _insert_rows(cx, dim_plan, plan_rows)
    _insert_rows(cx, dim_indicator, indicators)
    _insert_rows(cx, fct_target, targets)
    _mark_duplicates(cx, groups | {r["content_fingerprint"] for r in plan_rows})
    # revision links, indicator versions and target validity (a plan may revise
    # another, or be the one a loaded revision names)
    resolve_revisions(cx, chains)
    # the plans' attainment rows (deleted with their old rows above) are rebuilt in this
    # same transaction: v_attainment never shows a plan without them
    build_plan_attainment(cx, sorted(r["plan_id"] for r in plan_rows))
    refresh_dim_year(cx)
    return status


def delete_plan(engine: Engine, source_file: str) -> int:
    """Remove one plan's rows (a deleted file); returns the number of plans removed."""
    with engine.begin() as cx:
        groups = _fingerprints_of(cx, dim_plan.c.source_file == source_file)
        chains = _lineages_of(cx, dim_plan.c.source_file == source_file)
        n = _delete_plans(cx, dim_plan.c.source_file == source_file)
        _mark_duplicates(cx, groups)
        if n:
            resolve_revisions(cx, chains)
        cx.execute(ingest_issues.delete().where(ingest_issues.c.scope == f"plan:{source_file}"))
        if n:
            refresh_dim_year(cx)
    return n


# --------------------------------------------------------------------------- statistics


_PREPARE_SQL = """
CREATE OR REPLACE TEMP VIEW _planwh_clean AS
SELECT CAST(metric_code AS VARCHAR) AS metric_code,
       CAST(district_code AS VARCHAR) AS district_code,
       CAST(year AS INTEGER) AS year,
       CAST(value AS DOUBLE) AS value,
       CAST(unit AS VARCHAR) AS unit,
       CAST(source_file AS VARCHAR) AS source_file,
       CAST(location AS VARCHAR) AS location,
       _planwh_rn
FROM _planwh_frame
WHERE value IS NOT NULL AND NOT isnan(CAST(value AS DOUBLE))
"""

# Only when the key repeats (a hash aggregate says so, cheaply): keep the first row.
_HAS_DUPLICATES_SQL = """
SELECT COUNT(*) <> COUNT(DISTINCT (metric_code, district_code, year)) FROM _planwh_clean
"""
_UNIQUE_SQL = "CREATE OR REPLACE TEMP VIEW _planwh_stats AS SELECT * FROM _planwh_clean"
_DEDUPLICATE_SQL = """
CREATE OR REPLACE TEMP VIEW _planwh_stats AS
SELECT * FROM _planwh_clean
QUALIFY row_number() OVER (PARTITION BY metric_code, district_code, year
                           ORDER BY _planwh_rn) = 1
"""

# Order-independent fingerprint of each file's rows (DuckDB's hash of every column).
_FINGERPRINT_SQL = """
SELECT source_file, COUNT(*) AS n,
       CAST(SUM(CAST(h AS HUGEINT)) AS VARCHAR) AS s, CAST(BIT_XOR(g) AS VARCHAR) AS x
FROM (SELECT source_file,
             hash(metric_code, district_code, year, value, unit, source_file, location) AS h,
             hash(location, value, year, district_code, metric_code, unit) AS g
      FROM _planwh_stats)
GROUP BY source_file
"""


def _prepare_stats(duck, frame: pd.DataFrame | str,
                   unique: bool = False) -> tuple[dict[str, tuple[str, int]], set[int]]:
    """Expose the frame as the temp view _planwh_stats on a DuckDB connection (a view
    over the registered Arrow table: 5M rows are scanned, never copied). ``frame`` may
    instead name a staging table on the same connection (``expectations.stats_sql``:
    ``_row`` gives the order); a temp view ``_planwh_frame`` over it is made by the
    caller (:func:`_staged_view_duckdb`).

    Rows without a value are dropped (missing is never 0); a repeated metric x
    district x year keeps its first row (conflicts are issues upstream).
    Returns each source file's (fingerprint, rows) and the years present. The
    caller unregisters _planwh_frame when it has finished reading the view.
    """
    if not isinstance(frame, str):
        missing = [c for c in STAT_COLUMNS if c not in frame.columns]
        if missing:
            raise ValueError(f"statistics frame lacks columns {missing}")
        import numpy as np

        src = pa.Table.from_pandas(frame[STAT_COLUMNS], preserve_index=False)
        src = src.append_column("_planwh_rn", pa.array(np.arange(len(frame), dtype="int64")))
        # DuckDB scans an Arrow table in parallel by batch (zero-copy re-chunking)
        src = pa.Table.from_batches(src.to_batches(max_chunksize=ARROW_BATCH), schema=src.schema)
        duck.register("_planwh_frame", src)
    duck.execute(_PREPARE_SQL)
    # ``unique``: the caller knows no key repeats (a staging table the suite checked)
    has_duplicates = not unique and duck.execute(_HAS_DUPLICATES_SQL).fetchone()[0]
    duck.execute(_DEDUPLICATE_SQL if has_duplicates else _UNIQUE_SQL)
    prints = {
        f: (hashlib.sha256(f"{n}:{s}:{x}".encode()).hexdigest(), int(n))
        for f, n, s, x in duck.execute(_FINGERPRINT_SQL).fetchall()
    }
    years = {r[0] for r in duck.execute("SELECT DISTINCT year FROM _planwh_stats").fetchall()}
    return prints, years


def load_stats(engine: Engine, frame: pd.DataFrame | str, keep_files: Iterable[str] = (),
               published: dict[str, date] | None = None,
               publication_issues: list[IngestIssue] | None = None) -> str:
    """Load the statistics per source file as a new vintage; "unchanged" when nothing differs.

    ``frame`` is a statistics frame, or the name of a staging table in the warehouse
    (``expectations.stats_sql``: columns of the frame plus ``_row``, its order), which
    is then read where it is: nothing goes through Python.

    A file whose rows in ``frame`` equal its last load (same fingerprint in load_log,
    same row count in the table) keeps its rows untouched; a changed file is a new
    vintage (a ``stat_vintage`` row, its publication date from ``published`` — the
    file name → date mapping of raw/reference — or its file name): a value it no longer
    gives, or gives differently, is closed (``valid_to``), a new or different value is
    a new version, an unchanged value stays as it is (its file and location follow
    the new content). A file neither in ``frame`` nor in ``keep_files`` (deleted from
    raw/stats) has its values closed. Nothing is deleted: ``valid_to IS NULL`` marks
    the current figures (docs/time.md, Vintages). ``keep_files`` are held back: their
    previously loaded rows stay exactly as they were (any rows of theirs in ``frame``
    are ignored). ``publication_issues`` (the bad rows of stat_publications.csv,
    ``extractors.vintages.read_publications``), when given, replace the issues of scope
    ``reference:stat_publications`` in the same transaction.
    Everything happens in one transaction. The frame is normalised in DuckDB (the
    warehouse itself, or an in-memory DuckDB in front of PostgreSQL), then
    bulk-inserted: INSERT … SELECT on DuckDB, COPY on PostgreSQL.
    """
    keep = sorted(set(keep_files))
    published = dict(published or {})
    if isinstance(frame, str):
        return _load_staged(engine, frame, keep, published, publication_issues)
    registered_on = None  # the warehouse's own DuckDB connection, when the frame is on it
    try:
        with engine.begin() as cx:
            own = cx.dialect.name == "duckdb"
            if keep:
                frame = _with_kept_rows(cx, frame, keep)
            duck = cx.connection.dbapi_connection if own else duckdb.connect()
            try:
                if own:
                    registered_on = duck
                status = _load_stats(cx, duck, frame, own, published=published)
                if publication_issues is not None:
                    replace_issues(cx, PUBLICATIONS_SCOPE, publication_issues)
                if own:  # on failure the rollback removes the views
                    duck.execute("DROP VIEW IF EXISTS _planwh_stats")
                    duck.execute("DROP VIEW IF EXISTS _planwh_clean")
            finally:
                if not own:
                    duck.close()
        return status
    finally:
        if registered_on is not None:  # after commit or rollback: free the Arrow table
            try:
                registered_on.unregister("_planwh_frame")
            except duckdb.Error:
                pass


# kept rows (held-back files, from the warehouse) sort before every staged row
_KEPT_RN = "CAST(row_number() OVER (ORDER BY source_file, location) AS BIGINT) - 4611686018427387904"


def _staged_source_sql(table: str, keep: list[str]) -> str:
    cols = ", ".join(STAT_COLUMNS)
    staged = f"SELECT {cols}, _row AS _planwh_rn FROM {table}"
    if not keep:
        return staged
    return (f"SELECT {cols}, _planwh_rn FROM _planwh_kept UNION ALL {staged} "
            f"WHERE source_file NOT IN ({_sql_list(keep)})")


def _kept_table(cx: Connection, keep: list[str]) -> None:
    """A TEMP copy of the held-back files' rows in the warehouse (read before any of
    them is touched)."""
    cx.exec_driver_sql("DROP TABLE IF EXISTS _planwh_kept")
    cx.exec_driver_sql(
        f"CREATE TEMP TABLE _planwh_kept AS SELECT {', '.join(STAT_COLUMNS)}, {_KEPT_RN} "
        f"AS _planwh_rn FROM fct_district_stat WHERE {CURRENT} "
        f"AND source_file IN ({_sql_list(keep)})")


def _load_staged(engine: Engine, table: str, keep: list[str],
                 published: dict[str, date],
                 publication_issues: list[IngestIssue] | None = None) -> str:
    """load_stats from a staging table in the warehouse (see load_stats)."""
    with engine.begin() as cx:
        if keep:
            _kept_table(cx, keep)
        if cx.dialect.name == "duckdb":
            duck = cx.connection.dbapi_connection
            duck.execute(f"CREATE OR REPLACE TEMP VIEW _planwh_frame AS "
                         f"{_staged_source_sql(table, keep)}")
            status = _load_stats(cx, duck, table, True, unique=not keep, published=published)
            for view in ("_planwh_stats", "_planwh_clean", "_planwh_frame"):
                duck.execute(f"DROP VIEW IF EXISTS {view}")
        else:
            status = _load_staged_postgres(cx, table, keep, published)
        if publication_issues is not None:
            replace_issues(cx, PUBLICATIONS_SCOPE, publication_issues)
        if keep:
            cx.exec_driver_sql("DROP TABLE IF EXISTS _planwh_kept")
    return status


def _with_kept_rows(cx: Connection, frame: pd.DataFrame, keep: list[str]) -> pd.DataFrame:
    """The frame with the held-back files' rows replaced by their rows in the warehouse,
    placed first (their keys win over a later file's repetition, as before)."""
    cols = [fct_district_stat.c[c] for c in STAT_COLUMNS]
    result = cx.execute(sa.select(*cols).where(fct_district_stat.c.source_file.in_(keep),
                                               fct_district_stat.c.valid_to.is_(None))
                        .order_by(fct_district_stat.c.source_file, fct_district_stat.c.location))
    kept = pd.DataFrame(result.fetchall(), columns=STAT_COLUMNS)
    rest = frame[~frame["source_file"].isin(keep)] if len(frame) else frame
    if kept.empty:
        return rest
    if rest.empty:
        return kept
    return pd.concat([kept, rest[STAT_COLUMNS]], ignore_index=True)


@dataclass
class _Decision:
    """Which statistics files a load replaces (see load_stats)."""

    old: dict  # file -> its load_log row
    in_table: dict[str, int]  # file -> its current rows in fct_district_stat
    unchanged: list[str]
    changed: list[str]  # new content: a new vintage each
    stale: list[str]  # files whose current rows are compared (changed or gone)
    prints: dict[str, tuple[str, int]]  # file -> (fingerprint, rows) of this load

    @property
    def nothing(self) -> bool:
        return not self.changed and not self.stale and set(self.old) == set(self.prints)


def _decide(cx: Connection, prints: dict[str, tuple[str, int]]) -> _Decision:
    old = {
        r.load_key[len(STATS_KEY):]: r
        for r in cx.execute(sa.select(load_log).where(load_log.c.load_key.like(STATS_KEY + "%")))
    }
    in_table = dict(cx.execute(
        sa.select(fct_district_stat.c.source_file, sa.func.count())
        .where(fct_district_stat.c.valid_to.is_(None))
        .group_by(fct_district_stat.c.source_file)).all())
    # a file is untouched when its content and its rows in the table are as last loaded
    unchanged = {f for f, (d, n) in prints.items()
                 if f in old and old[f].content_sha256 == d and in_table.get(f) == n}
    return _Decision(old, in_table, sorted(unchanged), sorted(set(prints) - unchanged),
                     sorted(set(in_table) - unchanged), prints)


def _stamp() -> datetime:
    """The clock of vintages: UTC, microseconds (two loads within a second stay apart)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _vintage_time(cx: Connection) -> datetime:
    """Now, or just after the latest vintage if the clock says otherwise: every version's
    valid_from is a vintage's loaded_at, so a new one never collides or runs backwards."""
    now = _stamp()
    last = cx.execute(sa.select(sa.func.max(stat_vintage.c.loaded_at))).scalar()
    return max(now, last + timedelta(microseconds=1)) if last is not None else now


def _record_load(cx: Connection, d: _Decision, now: datetime,
                 published: dict[str, date]) -> dict[str, int]:
    """The changed files' vintages (stat_vintage) and every file's load_log row, in the
    load's transaction; returns each changed file's vintage_id."""
    ids = _next_vintage_ids(cx, d.changed)
    if d.changed:
        rows = []
        for f in d.changed:
            when, source = publication(f, published)
            rows.append({"vintage_id": ids[f], "source_file": f,
                         "content_sha256": d.prints[f][0], "row_count": d.prints[f][1],
                         "loaded_at": now, "published_on": when, "published_from": source})
        cx.execute(stat_vintage.insert(), rows)
    loaded_at = {
        f: (d.old[f].loaded_at if f in d.old and d.old[f].content_sha256 == h else now)
        for f, (h, _) in d.prints.items()
    }
    cx.execute(load_log.delete().where(load_log.c.load_key.like(STATS_KEY + "%")))
    if d.prints:
        cx.execute(load_log.insert(), [
            {"load_key": STATS_KEY + f, "content_sha256": h, "row_count": n,
             "loaded_at": loaded_at[f]} for f, (h, n) in d.prints.items()])
    return ids


def _load_stats(cx: Connection, duck, frame: pd.DataFrame | str, own: bool,
                unique: bool = False, published: dict[str, date] | None = None) -> str:
    prints, years = _prepare_stats(duck, frame, unique)
    d = _decide(cx, prints)
    if d.nothing:
        return "unchanged"
    now = _vintage_time(cx)
    ids = _record_load(cx, d, now, published or {})
    stamps = pa.table({"source_file": pa.array(d.changed, pa.string()),
                       "vintage_id": pa.array([ids[f] for f in d.changed], pa.int32())})
    duck.register("_planwh_stamps", stamps)
    duck.register("_planwh_clock", pa.table({"now": pa.array([now], pa.timestamp("us"))}))
    # the changed files' rows, and the same as new versions (valid from now, current)
    rows = ("SELECT s.metric_code, s.district_code, s.year, s.value, s.unit, s.source_file, "
            "s.location, t.vintage_id "
            "FROM _planwh_stats s JOIN _planwh_stamps t USING (source_file)")
    try:
        if own:
            _replace_duckdb(cx, rows, d.stale, now)
        else:
            new_rows = sum(prints[f][1] for f in d.changed)
            _replace_postgres(cx, duck.execute(_as_versions(rows)).fetch_record_batch(200_000),
                              d.stale, new_rows, sum(d.in_table.get(f, 0) for f in d.unchanged),
                              now)
    finally:
        duck.unregister("_planwh_stamps")
        duck.unregister("_planwh_clock")
    refresh_dim_year(cx, stat_years=years)
    return "loaded"


STAT_COPY_COLUMNS = STAT_COLUMNS + ["loaded_at", "valid_from", "valid_to", "vintage_id"]


# PostgreSQL, from a staging table: an order-independent fingerprint of each file's rows
_PG_ROW_TEXT = ("concat_ws(chr(31), coalesce(metric_code, chr(30)), coalesce(district_code, "
                "chr(30)), coalesce(year::text, chr(30)), value::text, coalesce(unit, chr(30)), "
                "source_file, coalesce(location, chr(30)))")
# (per file and year: the years come from the same scan; the sums and XORs of a file's
# years add up to those of the file)
_PG_FINGERPRINT_SQL = f"""
SELECT source_file, year, COUNT(*), SUM(hashtextextended({_PG_ROW_TEXT}, 0)::numeric)::text,
       BIT_XOR(hashtextextended({_PG_ROW_TEXT}, 1))::text
FROM {{rows}} GROUP BY source_file, year
"""
# a stage's clean rows, as _planwh_clean gives them (no kept rows)
_PG_CLEAN_SQL = ("(SELECT metric_code, district_code, CAST(year AS INTEGER) AS year, value, "
                 "unit, source_file, location FROM {table} "
                 "WHERE value IS NOT NULL AND value <> 'NaN'::float8) s")


def _pg_fingerprints(cx: Connection, rows: str = "_planwh_stats"
                     ) -> tuple[dict[str, tuple[str, int]], set[int]]:
    """Each file's (fingerprint, rows) and the years present, in one scan of ``rows``."""
    parts: dict[str, list[int]] = {}
    years: set[int] = set()
    for f, year, n, h, x in cx.exec_driver_sql(_PG_FINGERPRINT_SQL.format(rows=rows)):
        acc = parts.setdefault(f, [0, 0, 0])
        acc[0] += int(n)
        acc[1] += int(h)
        acc[2] ^= int(x)
        years.add(year)
    return {f: (hashlib.sha256(f"pg:{n}:{h}:{x}".encode()).hexdigest(), n)
            for f, (n, h, x) in parts.items()}, years


def _load_staged_postgres(cx: Connection, table: str, keep: list[str],
                          published: dict[str, date]) -> str:
    """The PostgreSQL side of load_stats from a staging table in the same database:
    normalise, deduplicate, fingerprint and INSERT … SELECT without leaving the server
    (fingerprints differ from the frame route's DuckDB hash: a file loaded by the frame
    route is replaced once, with the same rows)."""
    cx.exec_driver_sql("SET LOCAL jit = off")  # one-shot scans: compiling costs ~1 s each
    cx.exec_driver_sql(
        "CREATE TEMP VIEW _planwh_clean AS SELECT metric_code, district_code, "
        "CAST(year AS INTEGER) AS year, value, unit, source_file, location, _planwh_rn "
        f"FROM ({_staged_source_sql(table, keep)}) s "
        "WHERE value IS NOT NULL AND value <> 'NaN'::float8")
    # staged rows passed the uniqueness rule; only a kept file can repeat a key
    cx.exec_driver_sql(
        "CREATE TEMP VIEW _planwh_stats AS " + (
            "SELECT DISTINCT ON (metric_code, district_code, year) * FROM _planwh_clean "
            "ORDER BY metric_code, district_code, year, _planwh_rn" if keep
            else "SELECT * FROM _planwh_clean"))
    try:
        if not keep and _first_stats_load(cx) and _first_load_postgres(cx, table, published):
            return "loaded"
        prints, years = _pg_fingerprints(cx)
        d = _decide(cx, prints)
        if d.nothing:
            return "unchanged"
        now = _vintage_time(cx)
        ids = _record_load(cx, d, now, published)
        new = _stamped_rows(cx, ids)
        new_rows = sum(prints[f][1] for f in d.changed)
        kept_rows = sum(d.in_table.get(f, 0) for f in d.unchanged)
        if d.stale:  # compared with the current rows: materialised once
            cx.exec_driver_sql(f"CREATE TEMP TABLE _planwh_new ON COMMIT DROP AS {new}")
            cx.exec_driver_sql("ANALYZE _planwh_new")
            new = "SELECT * FROM _planwh_new"
        _apply_versions(cx, new, d.stale, now,
                        bulk=new_rows > _BULK_ROWS and new_rows > kept_rows)
        refresh_dim_year(cx, stat_years=years)
        return "loaded"
    finally:
        for stmt in ("DROP TABLE IF EXISTS _planwh_new", "DROP TABLE IF EXISTS _planwh_stamps",
                     "DROP VIEW IF EXISTS _planwh_stats", "DROP VIEW IF EXISTS _planwh_clean"):
            try:
                cx.exec_driver_sql(stmt)
            except sa.exc.DBAPIError:  # the transaction failed: its rollback drops them
                break


def _stamped_rows(cx: Connection, ids: dict[str, int]) -> str:
    """A SELECT of the staged rows (``_planwh_stats``) of the files in ``ids``, each with
    its new vintage_id (a TEMP table ``_planwh_stamps`` of ``ids``, dropped by the
    caller)."""
    cx.exec_driver_sql("CREATE TEMP TABLE _planwh_stamps (source_file TEXT PRIMARY KEY, "
                       "vintage_id INTEGER NOT NULL)")
    if ids:
        cx.execute(sa.text("INSERT INTO _planwh_stamps VALUES (:f, :v)"),
                   [{"f": f, "v": v} for f, v in ids.items()])
    return ("SELECT s.metric_code, s.district_code, s.year, s.value, s.unit, s.source_file, "
            "s.location, t.vintage_id FROM _planwh_stats s JOIN _planwh_stamps t "
            "USING (source_file)")


def _first_stats_load(cx: Connection) -> bool:
    """No statistics loaded yet: no load_log row of a statistics file, no version."""
    return (cx.execute(sa.select(load_log.c.load_key)
                       .where(load_log.c.load_key.like(STATS_KEY + "%")).limit(1)).first()
            is None and cx.exec_driver_sql("SELECT 1 FROM fct_district_stat LIMIT 1").first()
            is None)


def _first_load_postgres(cx: Connection, table: str, published: dict[str, date]) -> bool:
    """The first statistics load (PostgreSQL, nothing kept): every file with rows is a new
    vintage whatever its fingerprint, so the fingerprints (a scan hashing every row, 3 s
    at 5M) are made on a connection of their own while the rows are inserted (one server
    process each: the insert is not parallel), and recorded once both are done. False
    when there is no row to load (nothing done: the caller's path says "unchanged")."""
    import threading

    files = dict(cx.exec_driver_sql(
        "SELECT source_file, COUNT(*) FROM _planwh_stats GROUP BY source_file").all())
    if not files:
        return False
    found: dict = {}

    def fingerprint() -> None:
        try:
            with cx.engine.connect() as aside:  # the stage is committed (district_stats)
                aside.exec_driver_sql("SET LOCAL jit = off")
                found["prints"] = _pg_fingerprints(aside, _PG_CLEAN_SQL.format(table=table))
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            found["error"] = exc

    thread = threading.Thread(target=fingerprint, name="planwh-fingerprints", daemon=True)
    thread.start()
    try:
        now = _vintage_time(cx)
        ids = _next_vintage_ids(cx, sorted(files))
        _apply_versions(cx, _stamped_rows(cx, ids), [], now,
                        bulk=sum(files.values()) > _BULK_ROWS)
    finally:
        thread.join()
    if "error" in found:
        raise found["error"]
    prints, years = found["prints"]
    if {f: n for f, (_, n) in prints.items()} != files:  # the stage changed: never expected
        raise RuntimeError("statistics stage changed during its load: "
                           f"{sorted(files.items())} then {sorted(prints.items())}")
    d = _Decision({}, {}, [], sorted(files), [], prints)
    if _record_load(cx, d, now, published) != ids:
        raise RuntimeError("statistics vintages were numbered by another load meanwhile")
    refresh_dim_year(cx, stat_years=years)
    return True


def _next_vintage_ids(cx: Connection, files: list[str]) -> dict[str, int]:
    """The vintage_id each of ``files`` (in order) gets from :func:`_record_load`."""
    first = (cx.execute(sa.select(sa.func.max(stat_vintage.c.vintage_id))).scalar() or 0) + 1
    return {f: first + i for i, f in enumerate(files)}


# A current row ``c`` of fct_district_stat and a new row ``n`` give the same figure.
_SAME_FIGURE = ("c.metric_code = n.metric_code AND c.district_code = n.district_code "
                "AND c.year = n.year AND c.value = n.value "
                "AND c.unit IS NOT DISTINCT FROM n.unit")
_SAME_KEY = ("c.metric_code = n.metric_code AND c.district_code = n.district_code "
             "AND c.year = n.year")


def _apply_versions(cx: Connection, new: str, stale: list[str], now: datetime,
                    bulk: bool = False) -> None:
    """The versioning of a statistics load as three set-based statements, in the caller's
    transaction (PostgreSQL, and DuckDB when its build-and-swap cannot be used).
    ``new``: a SELECT of the changed files' rows (the statistics columns and vintage_id).

    1. close the current rows of ``stale`` files that no new row gives again (same
       value and unit): valid_to = now;
    2. the figures given again keep their version; their file and location follow the
       new content;
    3. insert the new rows whose key has no current row left: valid from now.
    """
    t = {"now": now}
    if stale:  # the file names bound as parameters (a name may hold a quote or a colon)
        close = sa.text(
            f"UPDATE fct_district_stat SET valid_to = :now WHERE {CURRENT} "
            f"AND source_file IN :stale AND NOT EXISTS (SELECT 1 FROM ({new}) n WHERE "
            + _SAME_FIGURE.replace("c.", "fct_district_stat.") + ")"
        ).bindparams(sa.bindparam("stale", expanding=True))
        cx.execute(close, {**t, "stale": list(stale)})
        cx.exec_driver_sql(
            "UPDATE fct_district_stat SET source_file = n.source_file, location = n.location "
            f"FROM ({new}) n WHERE fct_district_stat.{CURRENT} AND "
            + _SAME_FIGURE.replace("c.", "fct_district_stat.")
            + " AND (fct_district_stat.source_file <> n.source_file OR NOT "
              "(fct_district_stat.location = n.location OR (fct_district_stat.location IS NULL "
              "AND n.location IS NULL)))")
    if bulk:
        cx.exec_driver_sql(f"ALTER TABLE fct_district_stat DROP CONSTRAINT {_STAT_PK}")
    cols = ", ".join(STAT_COPY_COLUMNS)
    cx.execute(sa.text(
        f"INSERT INTO fct_district_stat ({cols}) SELECT n.metric_code, n.district_code, "
        "n.year, n.value, n.unit, n.source_file, n.location, :now, :now, NULL, n.vintage_id "
        f"FROM ({new}) n"
        + (f" WHERE NOT EXISTS (SELECT 1 FROM fct_district_stat c WHERE c.{CURRENT} AND "
           f"{_SAME_KEY})" if stale else "")), t)
    if bulk:
        cx.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")  # one sort, in memory
        cx.exec_driver_sql(
            f"ALTER TABLE fct_district_stat ADD CONSTRAINT {_STAT_PK} PRIMARY KEY "
            f"({', '.join(c.name for c in fct_district_stat.primary_key.columns)})")


def stats_rows_loaded(engine: Engine) -> dict[str, int]:
    """Rows of each statistics file at its last good load (load_log)."""
    with engine.connect() as cx:
        return {r.load_key[len(STATS_KEY):]: int(r.row_count) for r in cx.execute(
            sa.select(load_log.c.load_key, load_log.c.row_count)
            .where(load_log.c.load_key.like(STATS_KEY + "%")))}


def held_back_stats_files(engine: Engine, check: str = "held_back") -> set[str]:
    """Statistics files the last read held back (error issues of the ``stats`` scope)."""
    with engine.connect() as cx:
        return {r[0] for r in cx.execute(
            sa.select(ingest_issues.c.source_file).distinct()
            .where(ingest_issues.c.scope == "stats", ingest_issues.c.check_name == check))}


def _sql_list(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _as_versions(rows: str) -> str:
    """``rows`` (statistics columns and vintage_id) as new current versions: every column
    of fct_district_stat, valid from the registered clock (_planwh_clock)."""
    return ("SELECT n.metric_code, n.district_code, n.year, n.value, n.unit, n.source_file, "
            "n.location, k.now AS loaded_at, k.now AS valid_from, "
            f"CAST(NULL AS TIMESTAMP) AS valid_to, n.vintage_id FROM ({rows}) n "
            "CROSS JOIN _planwh_clock k")


def _replace_duckdb(cx: Connection, rows: str, stale: list[str], now: datetime) -> None:
    """The new state of fct_district_stat built in a fresh table swapped in (see
    ``rebuild_duckdb_table``): a bulk copy is faster than updating indexed rows, and
    DuckDB is MVCC throughout (a reader sees the table before or after the commit).
    ``rows``: the changed files' rows (with their vintage_id). The copy holds every row but
    the current rows of ``stale`` files, those rows compared with the new ones (a figure
    given again keeps its version, with the new file and location; the others are
    closed at ``now``), and the new rows whose figure is not already current."""
    cols = ", ".join(STAT_COPY_COLUMNS)
    select = _as_versions(rows)
    if not stale:
        body = f"SELECT {cols} FROM fct_district_stat UNION ALL {select}"
    else:
        stale_in = f"source_file IN ({_sql_list(stale)})"
        current = f"(SELECT * FROM fct_district_stat WHERE {CURRENT} AND {stale_in})"
        old, new = "c.metric_code IS NULL", "n.metric_code IS NULL"  # no current / no new row
        # one FULL JOIN (one hash join) pairs each compared row with the same figure anew:
        # both sides: kept, provenance from the new row; current only: closed; new only:
        # a version from now (the clock k)
        body = (
            f"SELECT {cols} FROM fct_district_stat WHERE NOT ({CURRENT} AND {stale_in}) "
            "UNION ALL "
            f"SELECT CASE WHEN {old} THEN n.metric_code ELSE c.metric_code END, "
            f"CASE WHEN {old} THEN n.district_code ELSE c.district_code END, "
            f"CASE WHEN {old} THEN n.year ELSE c.year END, "
            f"CASE WHEN {old} THEN n.value ELSE c.value END, "
            f"CASE WHEN {old} THEN n.unit ELSE c.unit END, "
            f"CASE WHEN {new} THEN c.source_file ELSE n.source_file END, "
            f"CASE WHEN {new} THEN c.location ELSE n.location END, "
            f"CASE WHEN {old} THEN k.now ELSE c.loaded_at END, "
            f"CASE WHEN {old} THEN k.now ELSE c.valid_from END, "
            f"CASE WHEN {new} THEN k.now END, "
            f"CASE WHEN {old} THEN n.vintage_id ELSE c.vintage_id END "
            f"FROM {current} c FULL JOIN ({rows}) n ON {_SAME_FIGURE} "
            "CROSS JOIN _planwh_clock k")
    # no key index (as fct_attainment): the build makes each figure's versions unique by
    # construction and the stat_versions check verifies it; DuckDB keeps an ART index in
    # memory, which under the connection's memory_limit (256 MB) failed to commit at 3M
    # rows and took the memory that joins over the table need (bench/README.md)
    if rebuild_duckdb_table(cx, "fct_district_stat",
                            lambda t: f"INSERT INTO {t} ({cols}) {body}", unique_key=False):
        return
    _apply_versions(cx, rows, stale, now)


_STAT_PK = "pk_fct_district_stat"
# Above this many new rows (and more than the rows kept), the key index is dropped and
# rebuilt once after COPY rather than maintained row by row.
_BULK_ROWS = 50_000


def _replace_postgres(cx: Connection, batches, stale: list[str], new_rows: int,
                      kept_rows: int, now: datetime) -> None:
    """COPY the changed files' rows as new versions (CSV written by Arrow) through
    psycopg 3, in the caller's transaction: straight into fct_district_stat when no
    current row is compared (a first load, new files), else into a TEMP table that
    ``_apply_versions`` compares with the current rows.

    Nothing is deleted or truncated (TRUNCATE is not MVCC-safe either). For a bulk load
    the key is dropped and rebuilt after the insert; that takes an exclusive lock until
    the commit, so analysts' reads of fct_district_stat wait for the load (seconds) and
    then see the new state whole.
    """
    import psycopg

    raw = cx.connection.driver_connection  # psycopg.Connection, inside SQLAlchemy's transaction
    into = "_planwh_new" if stale else "fct_district_stat"
    statement = f"COPY {into} ({', '.join(STAT_COPY_COLUMNS)}) FROM STDIN WITH (FORMAT csv)"
    options = pacsv.WriteOptions(include_header=False)
    bulk = new_rows > _BULK_ROWS and new_rows > kept_rows
    try:
        with raw.cursor() as cur:
            if stale:
                cur.execute("CREATE TEMP TABLE _planwh_new ON COMMIT DROP AS "
                            "SELECT * FROM fct_district_stat WITH NO DATA")
            elif bulk:  # PostgreSQL manual, "Populating a Database"; name as in Alembic
                cur.execute(f"ALTER TABLE fct_district_stat DROP CONSTRAINT {_STAT_PK}")
            with cur.copy(statement) as cp:
                for batch in batches:
                    buf = io.BytesIO()
                    pacsv.write_csv(batch, buf, options)
                    cp.write(buf.getbuffer())
            if not stale and bulk:
                cur.execute(
                    f"ALTER TABLE fct_district_stat ADD CONSTRAINT {_STAT_PK} PRIMARY KEY "
                    f"({', '.join(c.name for c in fct_district_stat.primary_key.columns)})"
                )
            if stale:
                cur.execute("ANALYZE _planwh_new")
    except psycopg.Error as err:  # the same exception types as any SQLAlchemy statement
        if getattr(err, "sqlstate", None) == LOCK_NOT_AVAILABLE:
            raise locked_error(cx.engine) from None
        raise sa.exc.DBAPIError.instance(statement, None, err, psycopg.Error) from err
    if stale:
        _apply_versions(cx, "SELECT * FROM _planwh_new", stale, now, bulk=bulk)
        cx.exec_driver_sql("DROP TABLE _planwh_new")


# --------------------------------------------------------------------------- issues


# replace_issues lives in warehouse.issues (also used inside other loaders' transactions)


# --------------------------------------------------------------------------- counts


from warehouse.counts import table_counts  # noqa: E402,F401 - its home (no pandas)
