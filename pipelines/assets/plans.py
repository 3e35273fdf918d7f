"""Plan documents: one dynamic partition per file in raw/plans."""

from pathlib import Path

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from extractors.files import file_sha256, list_plan_files, plan_file_issues
from extractors.plans import targets_frame
from extractors.records import IngestIssue, NoPlanTable, PlanDocument, UnreadableDocument
from pipelines.assets.common import asset_defaults
from pipelines.checks import check_result
from pipelines.incremental import CODE_VERSION
from pipelines.metadata import table_metadata
from pipelines.resources import RawFolder, WarehouseResource, data_path
from pipelines.table_assets import table_materializations

plan_files = dg.DynamicPartitionsDefinition(name="plan_files")

TARGETS_CHECK = "targets_quality"


PREVIEW_COLUMNS = ["source_page", "source_table", "source_row", "indicator_name", "year",
                   "scope", "comparator", "target_value", "target_unit", "target_text"]


def records_preview(targets: pd.DataFrame) -> pd.DataFrame:
    """The columns an asset page shows of a targets frame (values as floats)."""
    if targets.empty:
        return pd.DataFrame(columns=PREVIEW_COLUMNS)
    out = targets[PREVIEW_COLUMNS].copy()
    out["target_value"] = out["target_value"].map(lambda v: None if v is None else float(v))
    return out


# --------------------------------------------------------------------------- parallel reads
# `planwh run` reads and validates the plans it is about to run in a pool of processes
# (every core) before launching their runs, which then only load. The runs execute in its
# own process (in-process executor), so the results are handed over in memory, keyed by
# file name and content hash: a file changed in between is read again by its step. Runs
# of the daemon (sensor, schedule) find nothing here and read the file themselves.
_PREPARED: dict[tuple[str, str], object] = {}


def prepare_plan(path: Path, name: str, sha: str, docs_dir: Path):
    """Read one plan file and run its `targets` suite (a pool task): (plan, suite), or the
    UnreadableDocument / NoPlanTable it raised."""
    from expectations.runner import run_suite
    from extractors.budget import extract_plan

    try:
        plan = extract_plan(path)
    except (UnreadableDocument, NoPlanTable) as e:  # rebuilt in the parent: see below
        return ("error", type(e), e.source_file, e.reason, e.location)
    suite = run_suite("targets", targets_frame([plan]), docs_dir=docs_dir, docs_key=name)
    return plan, suite


def prepare_plans(paths: dict[str, tuple[Path, str]], workers: int) -> int:
    """Read and validate the plan files ``{name: (path, sha256)}`` in ``workers`` processes
    (forked), for their runs to take (:func:`take_prepared`); returns how many are ready.
    A file whose task fails otherwise is simply read again by its own step."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if workers < 2 or len(paths) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return 0
    docs = data_path("docs")
    with ProcessPoolExecutor(max_workers=min(workers, len(paths)),
                             mp_context=multiprocessing.get_context("fork")) as pool:
        futures = {name: pool.submit(prepare_plan, path, name, sha, docs)
                   for name, (path, sha) in paths.items()}
        for name, future in futures.items():
            try:
                result = future.result()
            except Exception:  # noqa: BLE001 - a reader bug: the step meets it again
                continue
            if result[0] == "error":
                _, cls, source, reason, location = result
                result = cls(source, reason, location)
            _PREPARED[(name, paths[name][1])] = result
    return len(_PREPARED)


def take_prepared(name: str, sha: str):
    """What :func:`prepare_plans` read for this file content (taken once), else None."""
    return _PREPARED.pop((name, sha), None)


def clear_prepared() -> None:
    _PREPARED.clear()


@dg.asset(
    **asset_defaults("plans", "python", "pdf", "docx"),
    partitions_def=plan_files,
    code_version=CODE_VERSION,
    check_specs=[
        dg.AssetCheckSpec(
            TARGETS_CHECK, asset="plan_targets", blocking=True,
            description="The document is readable and its target records pass the `targets` "
                        "expectation suite; a failure holds the plan back from the warehouse.",
        )
    ],
    description="Target records parsed from one plan document of raw/plans (DOCX or PDF, "
                "layouts A and B), with provenance. One partition per file; its data version "
                "is the input fingerprint (file, reference data, code version): a partition "
                "whose fingerprint is unchanged is not run again (pipelines/incremental.py).",
)
def plan_targets(context: dg.AssetExecutionContext, raw: RawFolder, warehouse: WarehouseResource):
    from expectations.runner import issues_from, run_suite
    from extractors.budget import extract_plan
    from extractors.files import find_input
    from pipelines.incremental import plan_fingerprint, record_plan, reference_hash
    from warehouse.load import replace_issues

    raw.require_layout()
    name = context.partition_key
    path = find_input(raw.plans_dir, name)  # a non-UTF-8 name is listed by its display name
    scope = f"plan:{name}"
    engine = warehouse.get_engine()
    ref_hash = reference_hash(raw.reference_dir)
    read_sha = None
    suite, prepared = None, False
    try:
        if not path.is_file():
            raise UnreadableDocument(name, "file no longer exists in raw/plans")
        read_sha = file_sha256(path)
        ready = take_prepared(name, read_sha)  # read in parallel before this run (planwh run)
        if isinstance(ready, Exception):
            raise ready
        prepared = ready is not None
        plan, suite = ready if prepared else (extract_plan(path), None)
    except (UnreadableDocument, NoPlanTable) as e:
        issue = IngestIssue(name, e.location or "document", "error", e.reason, check="plan_readable")
        replace_issues(engine, scope, [issue])
        if read_sha:  # held back with its issue: not read again while nothing changes
            record_plan(engine, name, plan_fingerprint(read_sha, ref_hash), 0)
        context.log.warning(f"{name}: {e.reason}")
        yield dg.Output(None, metadata={"file": name, "error": e.reason, "issues": 1,
                                        "dagster/row_count": 0})
        yield dg.AssetCheckResult(
            check_name=TARGETS_CHECK, passed=False, severity=dg.AssetCheckSeverity.ERROR,
            description=f"unreadable: {e.reason}",
            metadata={"expectation": "plans.readable", "reason": e.reason},
        )
        return

    frame = targets_frame([plan])
    if suite is None:
        suite = run_suite("targets", frame, docs_dir=data_path("docs"), docs_key=name)
    # the ledger's issues carry their own location (table, row, column); the other warnings
    # (reader notes such as a PDFium repair) are about the document (plan.warnings ends
    # with the issues as text, extractors.plans)
    own = plan.warnings[:len(plan.warnings) - len(plan.issues)]
    issues = [IngestIssue(name, "document", "warning", w, check="extraction") for w in own]
    issues += [IngestIssue(name, i.location, i.severity, i.reason, i.check or "extraction")
               for i in plan.issues]
    issues += issues_from(suite, frame)
    replace_issues(engine, scope, issues)
    fingerprint = plan_fingerprint(plan.source_sha256, ref_hash)
    if not suite.success:  # held back with its issues (plan_tables is blocked)
        record_plan(engine, name, fingerprint, 0)
    metadata = {
        "file": name,
        "sha256": plan.source_sha256,
        "format": plan.source_format,
        "title": plan.title,
        "period": f"{plan.period_start}-{plan.period_end}",
        "pages": plan.pages if plan.pages is not None else "n/a (DOCX)",
        "plan_tables": plan.tables_found,
        "records": len(plan.records),
        "issues": len(issues),
        "read": "before the run, in parallel" if prepared else "in this step",
        **table_metadata(records_preview(frame)),
    }
    yield dg.Output(plan, metadata=metadata, data_version=dg.DataVersion(fingerprint))
    yield check_result(TARGETS_CHECK, suite)
    if not suite.success:
        context.log.warning(f"{name}: held back from the warehouse by {TARGETS_CHECK}")


@dg.asset(
    **asset_defaults("warehouse", "sql"),
    partitions_def=plan_files,
    description="dim_plan, dim_indicator and fct_target rows of one plan document: deleted and "
                "re-inserted in one transaction (skipped when the same file content is loaded).",
)
def plan_tables(context: dg.AssetExecutionContext, plan_targets: PlanDocument | None,
                raw: RawFolder, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from extractors.reference import read_reference
    from pipelines.incremental import plan_fingerprint, record_plan, reference_hash
    from warehouse.load import load_plan

    raw.require_layout()
    if plan_targets is None:  # unreadable: keep what was loaded before
        return dg.MaterializeResult(metadata={"status": "kept previous rows"})
    ref_hash = reference_hash(raw.reference_dir)  # before the read: a later change re-reads
    ref = read_reference(raw.reference_dir)
    engine = warehouse.get_engine()
    status = load_plan(engine, plan_targets, ref.indicator_metrics)
    # after the load committed: a crash in between only means the plan is read again
    record_plan(engine, context.partition_key, plan_fingerprint(plan_targets.source_sha256,
                                                                ref_hash),
                len(plan_targets.records))
    with engine.connect() as c:
        same_as = c.execute(sa.text(
            "SELECT o.source_file FROM dim_plan p JOIN dim_plan o ON o.plan_id = p.duplicate_of "
            "WHERE p.plan_id = :id"), {"id": plan_targets.plan_id}).scalar()
    if same_as:
        context.log.info(f"{plan_targets.source_file} renders the same plan as {same_as}: "
                         "v_attainment shows that one")
    for event in table_materializations("plan_tables", engine):  # each table in the lineage
        context.log_event(event)
    return dg.MaterializeResult(
        metadata={
            "status": status,
            "same_plan_as": same_as or "-",
            "plan_id": plan_targets.plan_id,
            "indicators": len({r.indicator_id for r in plan_targets.records}),
            **table_metadata(records_preview(targets_frame([plan_targets]))),
        }
    )


@dg.asset(
    **asset_defaults("plans", "sql"),
    deps=[plan_tables],
    description="Keeps the warehouse in step with raw/plans: rows and issues of plan files "
                "that were deleted from the folder are removed. Renders the one Data Docs "
                "site of every plan's `targets` validation (data/docs/targets--files/).",
)
def plan_registry(context: dg.AssetExecutionContext, raw: RawFolder,
                  warehouse: WarehouseResource) -> dg.MaterializeResult:
    from pipelines.incremental import forget_plans
    from warehouse.load import delete_plan, replace_issues

    raw.require_layout()  # a missing raw/plans must not read as "every plan deleted"
    engine = warehouse.get_engine()
    present = {p.name for p in list_plan_files(raw.plans_dir)}
    with engine.connect() as c:
        loaded = {r[0] for r in c.execute(sa.text("SELECT source_file FROM dim_plan"))}
        scoped = {r[0] for r in c.execute(sa.text(
            "SELECT DISTINCT scope FROM ingest_issues WHERE scope LIKE 'plan:%'"))}
    removed = sorted(loaded - present)
    for name in removed:
        delete_plan(engine, name)
    forget_plans(engine, present)  # a file dropped again later is read again
    for scope in sorted(scoped):
        if scope.split(":", 1)[1] not in present:
            replace_issues(engine, scope, [])
    # a legacy .doc or any other file that is not read: one issue each
    unsupported = plan_file_issues(raw.plans_dir)
    replace_issues(engine, "plans", unsupported)
    for issue in unsupported:
        context.log.warning(f"{issue.source_file}: {issue.reason}")
    if removed:
        context.log.info(f"removed plans no longer in raw/plans: {removed}")
    docs = _build_plan_docs(context, present)
    frame = pd.DataFrame({"source_file": sorted(present)})
    return dg.MaterializeResult(
        metadata={"plans_present": len(present), "plans_removed": len(removed),
                  "files_not_read": len(unsupported),
                  **({"data_docs": dg.MetadataValue.path(str(docs))} if docs else {}),
                  "removed": ", ".join(removed) or "-", **table_metadata(frame, rows=20)}
    )


def _build_plan_docs(context, present: set[str]):
    """The `targets` Data Docs site of every plan file, once per run (only validations
    stored since the last build are rendered); a failure is logged, never raised."""
    from expectations.runner import build_site

    try:
        return build_site("targets", data_path("docs"), keys=present)
    except Exception as e:  # noqa: BLE001 - docs are a by-product
        context.log.warning(f"Data Docs of the plans not written: {e}")
        return None
