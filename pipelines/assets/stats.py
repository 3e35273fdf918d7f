"""District statistics: every file of raw/stats staged into the warehouse, checked there by
the district_stats suite (set-based SQL), bad rows quarantined; fct_district_stat is then
loaded from the staging table. Only a table name passes between the two assets."""

import contextlib
import tempfile
from dataclasses import dataclass

import dagster as dg
import pandas as pd

from extractors.reference import read_reference
from pipelines.assets.common import asset_defaults
from pipelines.checks import check_result
from pipelines.resources import RawFolder, WarehouseResource, data_path

STATS_CHECK = "district_stats_quality"
STATS_SCOPE = "stats"


# --------------------------------------------------------------------------- staging hand-over

STAGE_PREFIX = "stg_district_stat_"


@dataclass(frozen=True)
class StagedStats:
    """What district_stats hands to fct_district_stat through the IO manager: the name of
    the staging table in the warehouse and a summary, never the rows (a few hundred bytes
    pickled, whatever the row count)."""

    table: str
    rows: int
    files: tuple[str, ...]
    metrics: int
    years: tuple[int, ...]
    columns: tuple[tuple[str, str], ...]
    preview: str

    def metadata(self) -> dict:
        return {
            "dagster/row_count": dg.MetadataValue.int(self.rows),
            "dagster/column_schema": dg.TableSchema(columns=[
                dg.TableColumn(name=n, type=t) for n, t in self.columns]),
            "preview": dg.MetadataValue.md(self.preview),
        }


def staging_table(run_id: str) -> str:
    """The staging table of one run (runs may overlap: one table each)."""
    return STAGE_PREFIX + "".join(ch for ch in run_id if ch.isalnum()).lower()[:32]


def describe_stage(cx, table: str, groups=None) -> StagedStats:
    """``groups``: the table's (file, metric, year) counts (``StageGroups``) when made."""
    from expectations.stats_sql import StageGroups

    cols = ["metric_code", "district_code", "year", "value", "unit", "source_file", "location"]
    per = (groups or StageGroups(cx, table)).groups  # a few thousand groups
    rows = sum(n for *_, n, _v in per)
    files = tuple(sorted({f for f, *_ in per}))
    years = tuple(sorted({y for _f, _m, y, _n, _v in per if y is not None}))
    metrics = len({m for _f, m, *_ in per if m is not None})
    head = pd.DataFrame(cx.exec_driver_sql(
        f"SELECT {', '.join(cols)} FROM {table} ORDER BY _row LIMIT 10").fetchall(), columns=cols)
    types = {"year": "integer", "value": "float"}
    return StagedStats(table, rows, files, metrics, years,
                       tuple((c, types.get(c, "text")) for c in cols),
                       head.to_markdown(index=False) if len(head) else "_no rows_")


def drop_stale_stages(engine, instance: dg.DagsterInstance, keep: str) -> None:
    """Drop the staging tables of runs that are over (a run whose load was blocked by the
    check, or that failed, leaves its stage behind)."""
    import sqlalchemy as sa

    for name in sa.inspect(engine).get_table_names():
        if not name.startswith(STAGE_PREFIX) or name == keep:
            continue
        run_id = name[len(STAGE_PREFIX):]
        if len(run_id) == 32:
            run_id = f"{run_id[:8]}-{run_id[8:12]}-{run_id[12:16]}-{run_id[16:20]}-{run_id[20:]}"
        run = instance.get_run_by_id(run_id)
        if run is None or run.is_finished:
            with engine.begin() as cx:
                cx.exec_driver_sql(f"DROP TABLE IF EXISTS {name}")



@dg.asset(
    **asset_defaults("stats", "csv", "excel", "pandas"),
    deps=["reference"],
    check_specs=[
        dg.AssetCheckSpec(
            STATS_CHECK, asset="district_stats", blocking=True,
            description="The `district_stats` expectation suite. Rows failing an error-severity "
                        "expectation are quarantined to ingest_issues (WARN); the check blocks "
                        "the load only if what remains still fails.",
        )
    ],
    description="District statistics from raw/stats (CSV in UTF-8/GBK, XLSX, XLS; tidy or "
                "yearbook-wide) with district names resolved to the GB/T 2260 code valid in "
                "the row's year. Rows that cannot be read or resolved go to ingest_issues.",
)
def district_stats(context: dg.AssetExecutionContext, raw: RawFolder, warehouse: WarehouseResource):
    from expectations.runner import issues_from, warm_up, write_data_docs
    from expectations.stats_sql import (
        StageGroups,
        StageSpool,
        StageStream,
        dedupe_staged,
        drop_files,
        quarantine,
        rows_per_file,
        validate_staged,
    )
    from extractors.budget import stream_stats_folder
    from extractors.files import input_files
    from extractors.stats import STATS_SUFFIXES
    from pipelines.stats_guard import (
        file_states,
        held_back_files,
        held_back_issues,
        shrunk_files,
    )
    from warehouse.load import replace_issues, stats_rows_loaded

    raw.require_layout()
    ref = read_reference(raw.reference_dir)
    paths = input_files(raw.stats_dir, STATS_SUFFIXES)
    before = file_states(paths)
    engine = warehouse.get_engine()
    previous = stats_rows_loaded(engine)
    table = staging_table(context.run_id)
    drop_stale_stages(engine, context.instance, keep=table)
    ctx = {"districts": ref.districts, "metrics": ref.metrics}
    streamed = engine.dialect.name == "postgresql"
    with contextlib.ExitStack() as stack:
        if streamed:
            # PostgreSQL: one COPY into this run's staging table while the files are read
            cx = stack.enter_context(engine.begin())
            spool = StageStream(cx, table)
        else:
            # DuckDB: rows spooled to disk in parts as the reader's worker sends them
            # (bounded memory; no write transaction held while the files are read)
            spool = StageSpool(stack.enter_context(
                tempfile.TemporaryDirectory(prefix="planwh-stage-")))
        spool.on_first_part = warm_up  # GX's import overlaps the reading (in the worker)
        try:
            result = stream_stats_folder(raw.stats_dir, ref.resolver, ref.metrics, spool)
        except BaseException as exc:
            spool.close(exc)
            raise
        after = file_states(paths)
        read_issues = list(result.issues)
        repeated_keys = result.repeated_keys
        result = None
        if not streamed:
            cx = stack.enter_context(engine.begin())
        spool.stage(cx, table)  # the staging table, created if no part came
        # the cross-file duplicate check, in SQL: the same issue rows as the reader's
        dedupe_staged(cx, table, read_issues, spool.files, repeated_keys)
        # the staged rows counted per (file, metric, year) in one scan, counted again
        # only after rows are deleted
        groups = StageGroups(cx, table)
        read_rows = groups.rows
        # unreadable or still changing: held back whole, before the suite looks at its rows
        held = held_back_files(paths, before, after, groups.per_file(), read_issues)
        if held:
            drop_files(cx, table, held)
            groups = StageGroups(cx, table)
        suite = validate_staged(cx, table, unique=True, groups=groups, **ctx)
        issues = read_issues + issues_from(suite)
        failing = suite.failing_positions("error")
        bad = quarantine(cx, table, failing) if failing else 0
        if bad:
            groups = StageGroups(cx, table)
        # sharply smaller than its last good load (after quarantine: what would be loaded)
        present = {p.name for p in paths}
        shrunk = shrunk_files(rows_per_file(cx, table, groups),
                              {f: n for f, n in previous.items()
                               if f in present and f not in held},
                              raw.shrink_accepted)
        if shrunk:
            drop_files(cx, table, shrunk)
            groups = StageGroups(cx, table)
        held.update(shrunk)
        if bad or shrunk:
            if bad:
                context.log.warning(f"{bad} statistics rows quarantined by expectations")
            suite = validate_staged(cx, table, unique=True, groups=groups, **ctx)
        staged = describe_stage(cx, table, groups)
    issues += held_back_issues(held, previous)
    for name, why in sorted(held.items()):
        context.log.warning(f"{name}: held back whole, previous rows kept: {why}")
    suite.docs_path = str(write_data_docs(suite, data_path("docs")))
    replace_issues(engine, STATS_SCOPE, issues)
    yield dg.Output(
        staged,
        metadata={
            "staging_table": table,
            "read_rows": read_rows,
            "files": len(staged.files),
            "held_back": ", ".join(sorted(held)) or "-",
            "issues": len(issues),
            "quarantined_rows": bad,
            "metrics": staged.metrics,
            "years": ", ".join(str(y) for y in staged.years) or "-",
            **staged.metadata(),
        },
    )
    yield check_result(STATS_CHECK, suite, quarantined=bad + len(read_issues) + len(held))


STAT_VERSIONS_CHECK = "stat_versions"


@dg.asset(
    **asset_defaults("warehouse", "sql"),
    check_specs=[
        dg.AssetCheckSpec(
            STAT_VERSIONS_CHECK, asset="fct_district_stat",
            description="Statistics vintages: the versions of a metric x district x year "
                        "never overlap in load time (one current figure), and each belongs "
                        "to the vintage (stat_vintage) whose load it is valid from.",
        )
    ],
    description="fct_district_stat: metric x district x year, every distinct value with its "
                "validity in load time; each changed source file is a new vintage "
                "(stat_vintage), compared with its current rows in one transaction from "
                "district_stats (an unchanged file's rows are untouched; a held-back file "
                "keeps its previous rows; nothing is deleted, docs/time.md).",
)
def fct_district_stat(context: dg.AssetExecutionContext, district_stats: StagedStats,
                      raw: RawFolder, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from extractors.vintages import read_publications
    from pipelines.incremental import INPUTS_TAG, record_inputs
    from pipelines.stats_guard import HELD_BACK_CHECK
    from warehouse.load import held_back_stats_files, load_stats

    engine = warehouse.get_engine()
    kept = held_back_stats_files(engine, HELD_BACK_CHECK)
    # raw/reference/stat_publications.csv (optional): publication dates of the vintages;
    # a bad row is an issue row (no date from it), recorded with the load
    published, publication_issues = read_publications(raw.reference_dir)
    for issue in publication_issues:
        context.log.warning(f"{issue.source_file} {issue.location}: {issue.reason}")
    # the staged rows are read where they are (INSERT … SELECT), then the stage is dropped
    status = load_stats(engine, district_stats.table, keep_files=kept, published=published,
                        publication_issues=publication_issues)
    with engine.begin() as cx:
        cx.exec_driver_sql(f"DROP TABLE IF EXISTS {district_stats.table}")
    # the inputs this was done with (the run's tag; none: forgotten), for the next launch;
    # not when a file was held back whole: that can depend on more than the content (a
    # file still being written settles with time), so the next launch tries it again
    record_inputs(engine, "stats", None if kept else context.run.tags.get(INPUTS_TAG))
    from pipelines.table_assets import table_materializations
    from warehouse.vintages import stat_version_problems

    for event in table_materializations("fct_district_stat", engine):  # stat_vintage
        context.log_event(event)

    problems = stat_version_problems(engine)
    with engine.connect() as cx:
        vintages = cx.exec_driver_sql("SELECT COUNT(*) FROM stat_vintage").scalar()
    check = dg.AssetCheckResult(
        check_name=STAT_VERSIONS_CHECK, passed=not problems,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"problems": dg.MetadataValue.md("\n".join(f"- {p}" for p in problems)
                                                  or "none"),
                  "vintages": int(vintages or 0)})
    return dg.MaterializeResult(check_results=[check], metadata={"status": str(status),
                                          "held_back": ", ".join(sorted(kept)) or "-",
                                          "staging_table": district_stats.table,
                                          **district_stats.metadata()})

