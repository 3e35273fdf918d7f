"""Plan documents: one dynamic partition per file in raw/plans; a run takes one partition or a range of them (one run over every changed file)."""

import warnings
from typing import Any

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
LOAD_CHECK = "plan_load"  # ingest_issues.check_name of a plan the warehouse refused


PREVIEW_COLUMNS = ["source_page", "source_table", "source_row", "indicator_name", "year",
                   "scope", "comparator", "target_value", "target_unit", "target_text"]


def records_preview(targets: pd.DataFrame) -> pd.DataFrame:
    """The columns an asset page shows of a targets frame (values as floats)."""
    if targets.empty:
        return pd.DataFrame(columns=PREVIEW_COLUMNS)
    out = targets[PREVIEW_COLUMNS].copy()
    out["target_value"] = out["target_value"].map(lambda v: None if v is None else float(v))
    return out


# --------------------------------------------------------------------------- many plans, one run
# `planwh run`, the sensor and the schedule launch one run over the partition range of the
# changed plan files (`dagster/asset_partition_range_start/_end` tags, BackfillPolicy
# single_run) instead of one run per file. plan_targets then reads every file of the range
# on every core (extractors.budget.read_plans: bare forks under the reader budget),
# validates all their target records in one GX validation, splits the failures back by
# file and holds back only the files with error rows; plan_tables loads the others in
# ONE set-based transaction (warehouse.load.load_plans; a plan the database refuses is
# then held back alone with an error issue, the others load; the step holds the
# `warehouse` pool). Issues and load_log fingerprints of the range are written in one
# transaction each. Each partition gets its own materialisation with its own metadata
# (context.add_asset_metadata); PlanIOManager loads the range's documents with one log
# line, not one event per partition. A run of one
# partition (`dagster/partition`, e.g. `plan_job` on a Celery worker) works as before: a
# failed check blocks plan_tables (quarantine).


class PlanBatch(dict):
    """plan_targets' output over a partition range: partition key -> PlanDocument, or
    None for a file held back or unreadable (plan_tables keeps its previous rows)."""


class PlanIOManager(dg.UPathIOManager):
    """Pickles plan_targets per partition under the instance's storage folder, like
    Dagster's fs_io_manager, and also takes a :class:`PlanBatch` (one output of a run
    over many partitions), which fs_io_manager refuses: each partition is its own file,
    so a later run of one partition reads it like any other."""

    extension: str = ""

    def dump_to_path(self, context, obj, path) -> None:
        import pickle

        with path.open("wb") as f:
            pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)

    def load_from_path(self, context, path):
        import pickle

        with path.open("rb") as f:
            return pickle.load(f)

    def load_partitions(self, context):
        """A range's partitions with one debug line for all of them (UPathIOManager logs
        one event per partition: ~100 event-log writes for a run over 100 plans)."""
        keys = list(context.asset_partition_keys)
        if len(keys) == 1:
            return super().load_partitions(context)
        paths = self._get_paths_for_partitions(context)
        folder = paths[keys[0]].parent if keys else ""
        context.log.debug(f"Loading {len(keys)} partitions of plan_targets from {folder} "
                          "using PlanIOManager")
        objs = PlanBatch()
        for key in keys:
            obj = self.load_from_path(context=context, path=paths[key])
            if obj is not None:
                objs[key] = obj
        return objs

    def handle_output(self, context, obj) -> None:
        if isinstance(obj, PlanBatch) and context.has_asset_partitions:
            for key, path in self._get_paths_for_partitions(context).items():
                self.make_directory(path.parent)
                self.dump_to_path(context, obj.get(key), path)
            return
        super().handle_output(context, obj)


@dg.io_manager(description="plan_targets' documents, pickled per partition (a run over a "
                           "partition range included)")
def plan_io_manager(init_context) -> PlanIOManager:
    from upath import UPath

    return PlanIOManager(base_path=UPath(init_context.instance.storage_directory()))


def read_workers() -> int:
    """The cores a run over many plans reads on (``PLANWH_WORKERS`` overrides)."""
    import os

    value = os.environ.get("PLANWH_WORKERS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def plan_issues(name: str, plan: PlanDocument) -> list[IngestIssue]:
    """The reader's own issues of one plan: the ledger's issues carry their own location
    (table, row, column); the other warnings (reader notes such as a PDFium repair) are
    about the document (plan.warnings ends with the issues as text, extractors.plans)."""
    own = plan.warnings[:len(plan.warnings) - len(plan.issues)]
    issues = [IngestIssue(name, "document", "warning", w, check="extraction") for w in own]
    issues += [IngestIssue(name, i.location, i.severity, i.reason, i.check or "extraction")
               for i in plan.issues]
    return issues


def plan_metadata(name: str, plan: PlanDocument, frame: pd.DataFrame, issues: int,
                  read: str) -> dict:
    return {
        "file": name,
        "sha256": plan.source_sha256,
        "format": plan.source_format,
        "title": plan.title,
        "period": f"{plan.period_start}-{plan.period_end}",
        "pages": plan.pages if plan.pages is not None else "n/a (DOCX)",
        "plan_tables": plan.tables_found,
        "records": len(plan.records),
        "issues": issues,
        "read": read,
        **table_metadata(records_preview(frame)),
    }


def _batch_targets(context: dg.AssetExecutionContext, raw: RawFolder,
                   warehouse: WarehouseResource):
    """plan_targets over a partition range: see the comment above :class:`PlanBatch`."""
    from expectations.runner import issues_from, run_suite
    from extractors.budget import read_plans
    from extractors.files import find_input
    from pipelines.checks import suite_metadata
    from pipelines.incremental import plan_fingerprint, record_plans, reference_hash
    from warehouse.issues import replace_issues_of

    names = list(context.partition_keys)
    engine = warehouse.get_engine()
    ref_hash = reference_hash(raw.reference_dir)
    paths = {n: find_input(raw.plans_dir, n) for n in names}
    shas = {n: file_sha256(p) for n, p in paths.items() if p.is_file()}
    workers = read_workers()
    read = read_plans({n: p for n, p in paths.items() if n in shas}, workers)
    docs = PlanBatch()
    plans: dict[str, PlanDocument] = {}
    held: dict[str, str] = {}  # file -> why it is held back
    # written at the end, each in one transaction: every file's issues, then the
    # fingerprints of the files held back (a crash in between: they are read again)
    issues_of: dict[str, list[IngestIssue]] = {}
    done: dict[str, tuple[str, int]] = {}
    for name in names:
        got = read.get(name) if name in shas else UnreadableDocument(
            name, "file no longer exists in raw/plans")
        if isinstance(got, PlanDocument):
            plans[name] = got
            continue
        docs[name] = None
        if isinstance(got, (UnreadableDocument, NoPlanTable)):
            issue = IngestIssue(name, got.location or "document", "error", got.reason,
                                check="plan_readable")
        else:  # a reader bug on this file: held back with it, the others go on
            reason = "not read: " + str(got).splitlines()[0].split(": ", 1)[-1]
            issue = IngestIssue(name, "document", "error", reason, check="reader_error")
        held[name] = issue.reason
        issues_of[f"plan:{name}"] = [issue]
        if name in shas:  # held back with its issue: not read again while nothing changes
            done[name] = (plan_fingerprint(shas[name], ref_hash), 0)
        context.log.warning(f"{name}: {issue.reason}")
        context.add_asset_metadata({"file": name, "status": "held back (unreadable)",
                                    "error": issue.reason, "issues": 1,
                                    "dagster/row_count": 0}, partition_key=name)
    # one validation of every record of every plan read; failures split back by file
    frame = targets_frame(list(plans.values()))
    suite = run_suite("targets", frame, docs_dir=data_path("docs"),
                      docs_key=f"run-{context.run_id[:8]}", members=sorted(plans)) if plans else None
    found = issues_from(suite, frame) if suite else []
    by_file: dict[str, list[IngestIssue]] = {}
    for issue in found:
        by_file.setdefault(issue.source_file, []).append(issue)
    raised = [r for r in suite.failed if r.severity == "error" and not r.failing_index] \
        if suite else []
    for name, plan in plans.items():
        issues = plan_issues(name, plan) + by_file.get(plan.source_file, [])
        issues_of[f"plan:{name}"] = issues
        errors = [i for i in by_file.get(plan.source_file, []) if i.severity == "error"]
        fingerprint = plan_fingerprint(plan.source_sha256, ref_hash)
        part = frame[frame["source_file"] == plan.source_file]
        meta = plan_metadata(name, plan, part, len(issues),
                             f"in this run, with {len(names)} files on {workers} cores")
        if errors or raised:  # held back with its issues
            why = (f"{len(errors)} target rows fail the `targets` suite" if errors
                   else "the `targets` suite could not run: " + raised[0].name)
            held[name] = why
            docs[name] = None
            done[name] = (fingerprint, 0)
            context.log.warning(f"{name}: held back from the warehouse by {TARGETS_CHECK} "
                                f"({why})")
            meta["status"] = f"held back ({why})"
        else:
            docs[name] = plan
            meta["status"] = "read"
        meta["input_fingerprint"] = fingerprint
        context.add_asset_metadata(meta, partition_key=name)
    replace_issues_of(engine, issues_of)
    record_plans(engine, done)
    yield dg.Output(docs, metadata={
        "files": len(names), "held_back": len(held), "read_on_cores": workers})
    meta = suite_metadata(suite) if suite else {}
    meta["files"] = dg.MetadataValue.int(len(names))
    if held:
        meta["held_back"] = dg.MetadataValue.json(held)
    if not held:
        yield dg.AssetCheckResult(check_name=TARGETS_CHECK, passed=True, metadata=meta)
        return
    # WARN, not ERROR: an ERROR would block plan_tables for every file of the range; the
    # held-back files are left out of the output instead (None), the others load
    yield dg.AssetCheckResult(
        check_name=TARGETS_CHECK, passed=False, severity=dg.AssetCheckSeverity.WARN,
        metadata=meta,
        description=f"{len(held)} of {len(names)} plan files held back: "
                    + ", ".join(sorted(held)[:10]) + (" …" if len(held) > 10 else ""),
    )


# backfill_policy and io_manager_def are beta in Dagster 1.13: their warning said once here
with warnings.catch_warnings():
    warnings.simplefilter("ignore", dg.BetaWarning)
    _plan_targets_asset = dg.asset(
        **asset_defaults("plans", "python", "pdf", "docx"),
        partitions_def=plan_files,
        backfill_policy=dg.BackfillPolicy.single_run(),
        io_manager_def=plan_io_manager,
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
                    "whose fingerprint is unchanged is not run again (pipelines/incremental.py). "
                    "A run over a range of partitions (planwh run, the sensor, the schedule) "
                    "reads its files on every core and validates them at once; a file with "
                    "failing rows is held back alone, the others load.",
    )
    _plan_tables_asset = dg.asset(
        **asset_defaults("warehouse", "sql"),
        partitions_def=plan_files,
        backfill_policy=dg.BackfillPolicy.single_run(),
        description="dim_plan, dim_indicator and fct_target rows of one plan document: deleted and "
                    "re-inserted in one transaction (skipped when the same file content is loaded). "
                    "A run over many plan files loads them all in one transaction (a plan the "
                    "database refuses is held back alone, with an error issue).",
    )


@_plan_targets_asset
def plan_targets(context: dg.AssetExecutionContext, raw: RawFolder, warehouse: WarehouseResource):
    from expectations.runner import issues_from, run_suite
    from extractors.budget import extract_plan
    from extractors.files import find_input
    from pipelines.incremental import plan_fingerprint, record_plan, reference_hash
    from warehouse.load import replace_issues

    raw.require_layout()
    if context.has_partition_key_range:  # one run over many plan files
        yield from _batch_targets(context, raw, warehouse)
        return
    name = context.partition_key
    path = find_input(raw.plans_dir, name)  # a non-UTF-8 name is listed by its display name
    scope = f"plan:{name}"
    engine = warehouse.get_engine()
    ref_hash = reference_hash(raw.reference_dir)
    read_sha = None
    try:
        if not path.is_file():
            raise UnreadableDocument(name, "file no longer exists in raw/plans")
        read_sha = file_sha256(path)
        plan = extract_plan(path)
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
    suite = run_suite("targets", frame, docs_dir=data_path("docs"), docs_key=name)
    issues = plan_issues(name, plan) + issues_from(suite, frame)
    replace_issues(engine, scope, issues)
    fingerprint = plan_fingerprint(plan.source_sha256, ref_hash)
    if not suite.success:  # held back with its issues (plan_tables is blocked)
        record_plan(engine, name, fingerprint, 0)
    metadata = plan_metadata(name, plan, frame, len(issues), "in this step")
    yield dg.Output(plan, metadata=metadata, data_version=dg.DataVersion(fingerprint))
    yield check_result(TARGETS_CHECK, suite)
    if not suite.success:
        context.log.warning(f"{name}: held back from the warehouse by {TARGETS_CHECK}")


@_plan_tables_asset
def plan_tables(context: dg.AssetExecutionContext, plan_targets: Any,
                raw: RawFolder, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from extractors.reference import read_reference
    from pipelines.incremental import reference_hash

    raw.require_layout()
    if context.has_partition_key_range:  # one run over many plan files
        names = list(context.partition_keys)
        if isinstance(plan_targets, dict):
            docs = plan_targets
        else:  # a range of one: the IO manager gives the one document (or None)
            docs = {names[0]: plan_targets} if plan_targets is not None else {}
    else:
        names = [context.partition_key]
        docs = {names[0]: plan_targets} if plan_targets is not None else {}
    if not any(d is not None for d in docs.values()) and len(names) == 1:
        return dg.MaterializeResult(metadata={"status": "kept previous rows"})
    ref_hash = reference_hash(raw.reference_dir)  # before the read: a later change re-reads
    ref = read_reference(raw.reference_dir)
    engine = warehouse.get_engine()
    if len(names) > 1:
        loaded = _load_batch(context, engine, names, docs, ref, ref_hash)
    else:
        meta = _load_one(context, engine, names[0], docs[names[0]], ref, ref_hash)
    for event in table_materializations("plan_tables", engine):  # each table in the lineage
        context.log_event(event)
    if len(names) > 1:
        return dg.MaterializeResult(metadata={"files": len(names), "loaded": loaded,
                                              "kept_previous_rows": len(names) - loaded})
    return dg.MaterializeResult(metadata=meta)


def _load_batch(context, engine, names: list[str], docs: dict, ref, ref_hash: str) -> int:
    """The plans of a range in one transaction (warehouse.load.load_plans), then their
    fingerprints in one more; a plan the database refuses is held back alone (an error
    issue in its scope, no fingerprint: read again next time). Returns the plans loaded
    (or found unchanged)."""
    from pipelines.incremental import plan_fingerprint, record_plans
    from warehouse.issues import replace_issues_of
    from warehouse.load import FAILED, load_plans

    batch = {name: docs[name] for name in names if docs.get(name) is not None}
    for name in names:
        if name not in batch:  # held back or unreadable: keep what was loaded before
            context.add_asset_metadata({"status": "kept previous rows"}, partition_key=name)
    status = load_plans(engine, list(batch.values()), ref.indicator_metrics)
    ok = {n: d for n, d in batch.items() if not status[d.source_file].startswith(FAILED)}
    # after the loads committed: a crash in between only means the plans are read again
    record_plans(engine, {n: (plan_fingerprint(d.source_sha256, ref_hash), len(d.records))
                          for n, d in ok.items()})
    failed = {n: status[d.source_file] for n, d in batch.items() if n not in ok}
    if failed:  # never silent: the load failure joins the file's issues
        from warehouse.schema import ingest_issues

        scopes = {f"plan:{n}": n for n in failed}
        with engine.connect() as c:
            kept = c.execute(sa.select(ingest_issues).where(
                ingest_issues.c.scope.in_(sorted(scopes))).order_by(
                ingest_issues.c.scope, ingest_issues.c.issue_no)).all()
        issues: dict[str, list[IngestIssue]] = {s: [] for s in scopes}
        for r in kept:
            if r.check_name != LOAD_CHECK:
                issues[r.scope].append(IngestIssue(r.source_file, r.location, r.severity,
                                                   r.reason, r.check_name))
        for scope, name in scopes.items():
            why = failed[name][len(FAILED):]
            issues[scope].append(IngestIssue(name, "document", "error",
                                             f"not loaded into the warehouse: {why}",
                                             check=LOAD_CHECK))
            context.log.warning(f"{name}: held back, the warehouse refused it ({why}); "
                                "its previous rows are kept")
        replace_issues_of(engine, issues)
    same_as: dict[str, str] = {}
    if ok:
        with engine.connect() as c:
            same_as = dict(c.execute(sa.text(
                "SELECT p.plan_id, o.source_file FROM dim_plan p JOIN dim_plan o "
                "ON o.plan_id = p.duplicate_of WHERE p.plan_id IN :ids").bindparams(
                sa.bindparam("ids", expanding=True)), {"ids": sorted({
                    d.plan_id for d in ok.values()})}).all())
    for name, doc in batch.items():
        if name in failed:
            meta = {"status": f"held back (load failed: {failed[name][len(FAILED):]})",
                    "plan_id": doc.plan_id}
        else:
            other = same_as.get(doc.plan_id)
            if other:
                context.log.info(f"{doc.source_file} renders the same plan as {other}: "
                                 "v_attainment shows that one")
            # the records' preview is on plan_targets' page of the same run
            meta = {"status": status[doc.source_file], "same_plan_as": other or "-",
                    "plan_id": doc.plan_id,
                    "indicators": len({r.indicator_id for r in doc.records}),
                    "dagster/row_count": dg.MetadataValue.int(len(doc.records))}
        context.add_asset_metadata(meta, partition_key=name)
    return len(ok)


def _load_one(context, engine, name: str, plan: PlanDocument, ref, ref_hash: str,
              preview: bool = True) -> dict:
    """Load one plan (one transaction), then record its fingerprint; its metadata."""
    from pipelines.incremental import plan_fingerprint, record_plan
    from warehouse.load import load_plan

    status = load_plan(engine, plan, ref.indicator_metrics)
    # after the load committed: a crash in between only means the plan is read again
    record_plan(engine, name, plan_fingerprint(plan.source_sha256, ref_hash), len(plan.records))
    with engine.connect() as c:
        same_as = c.execute(sa.text(
            "SELECT o.source_file FROM dim_plan p JOIN dim_plan o ON o.plan_id = p.duplicate_of "
            "WHERE p.plan_id = :id"), {"id": plan.plan_id}).scalar()
    if same_as:
        context.log.info(f"{plan.source_file} renders the same plan as {same_as}: "
                         "v_attainment shows that one")
    return {
        "status": status,
        "same_plan_as": same_as or "-",
        "plan_id": plan.plan_id,
        "indicators": len({r.indicator_id for r in plan.records}),
        **(table_metadata(records_preview(targets_frame([plan]))) if preview
           else {"dagster/row_count": dg.MetadataValue.int(len(plan.records))}),
    }


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
    copies = same_content_issues(engine, raw.plans_dir, present)
    replace_issues(engine, COPIES_SCOPE, copies)
    for issue in copies:
        context.log.warning(f"{issue.source_file}: {issue.reason}")
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


COPIES_SCOPE = "plan_copies"
COPY_CHECK = "plan_same_content"


def same_content_issues(engine, plans_dir, present: set[str]) -> list[IngestIssue]:
    """A warning for each plan file whose bytes equal a file that dim_plan holds under
    another name: plan_id is the content hash, so the two are one plan document, loaded
    once (the later-loaded name replaces the other, as a renamed file would). Only the
    present files without rows of their own are hashed (copies and held-back files)."""
    from extractors.files import find_input
    from pipelines.incremental import read_known

    known = read_known(engine)  # dim_plan's files and hashes, files with error issues
    holders: dict[str, str] = {}
    for name, sha in sorted(known.loaded_sha.items()):
        holders.setdefault(sha, name)
    held, errors = set(known.loaded_sha), known.held_back
    issues = []
    for name in sorted(present - held - errors):
        try:
            sha = file_sha256(find_input(plans_dir, name))
        except OSError:
            continue
        if sha in holders:
            issues.append(IngestIssue(
                name, "document", "warning",
                f"same content as {holders[sha]} (byte-identical): one plan document, "
                f"loaded once, under {holders[sha]}", check=COPY_CHECK))
    return issues


def _build_plan_docs(context, present: set[str]):
    """The `targets` Data Docs site of every plan file, once per run (only validations
    stored since the last build are rendered); a failure is logged, never raised."""
    from expectations.runner import build_site

    try:
        return build_site("targets", data_path("docs"), keys=present)
    except Exception as e:  # noqa: BLE001 - docs are a by-product
        context.log.warning(f"Data Docs of the plans not written: {e}")
        return None
