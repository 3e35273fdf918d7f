"""``planwh run``: materialise every asset over a raw folder, in-process through Dagster.

Order: reference and statistics; one run per plan partition (as a Dagster backfill
would); then deleted plans, attainment, its report and the issues summary. A step
that fails only because a blocking quality check failed is *quarantined* input
(held back, listed in ingest_issues), not a failed run.

The plans to run are read and validated first, in parallel on every core
(``PLANWH_WORKERS``), and their runs then load them one after the other (the warehouse
has one writer). Nothing is redone that did not change (pipelines/incremental.py): a plan file whose
content, reference data and code version are those of its last run gets no run; the
statistics and the refresh runs are left out when their inputs are those of their
last materialisation in the Dagster instance (``DAGSTER_HOME``).
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.raw_layout import raw_folder_problem
from planwh.messages import explain, without_class_name
from planwh.summary import where_to_look_lines
from warehouse.urls import scrub, shown_url

CHECK_FAILED_ERROR = "DagsterAssetCheckFailedError"
EXPLAINED_ERRORS = {"WarehouseLocked"}
# Dagster's console log only above ERROR: a quarantined plan is a failed step to
# Dagster (an ERROR event with a stack trace), and every failure is in the summary.
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class RunOutcome:
    """What one Dagster run did, for the summary."""

    label: str
    quarantined: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "step: message"
    checks_passed: int = 0
    checks_warned: int = 0  # WARN severity: reported, nothing held back
    checks_failed: int = 0


def classify(label: str, result, url: str | None = None) -> RunOutcome:
    out = RunOutcome(label=label)
    import dagster as dg

    for ev in result.get_asset_check_evaluations():
        if ev.passed:
            out.checks_passed += 1
        elif ev.severity == dg.AssetCheckSeverity.WARN:
            out.checks_warned += 1
        else:
            out.checks_failed += 1
    for ev in result.get_step_failure_events():
        err = ev.event_specific_data.error if ev.event_specific_data else None
        chain = list(_error_chain(err))
        if any(e.cls_name == CHECK_FAILED_ERROR for e in chain):
            out.quarantined.append(ev.step_key)
        else:
            # our own explanation when there is one (a lock timeout names the blocking
            # session), else the root cause (the driver's message)
            own = [e for e in chain if e.cls_name in EXPLAINED_ERRORS]
            cause = own[0] if own else (chain[-1] if chain else None)
            msg = (cause.message.strip().splitlines() or ["?"])[0] if cause else "failed"
            out.failed.append(f"{ev.step_key}: {without_class_name(scrub(msg, url))}")
    return out


def _error_chain(err):
    while err is not None:
        yield err
        err = err.cause or getattr(err, "context", None)


def _instance():
    from dagster import DagsterInstance

    if os.environ.get("DAGSTER_HOME"):
        return DagsterInstance.get()
    return DagsterInstance.ephemeral()


def sync_partitions(instance, plan_names: list[str]) -> None:
    """One dynamic partition per plan file, as the sensor keeps them."""
    from pipelines.assets.plans import plan_files

    current = set(instance.get_dynamic_partitions(plan_files.name))
    if added := sorted(set(plan_names) - current):
        instance.add_dynamic_partitions(plan_files.name, added)
    for name in sorted(current - set(plan_names)):
        instance.delete_dynamic_partition(plan_files.name, name)


def execute(raw: str, warehouse_url: str, progress=None,
            accept_shrink: list[str] | None = None,
            outcomes: list[RunOutcome] | None = None,
            decided: list | None = None) -> list[RunOutcome]:
    """Run what changed of the graph; ``progress(label, done, total)`` is called around
    each run. Each run's outcome is appended to ``outcomes`` (when given) as soon as it
    ends, so a caller still knows what finished when a later run raises; what was left
    out as unchanged (a :class:`pipelines.incremental.Plan`) is appended to ``decided``."""
    import dagster as dg

    from extractors.files import find_input, list_plan_files
    from pipelines.assets.plans import (
        clear_prepared,
        plan_tables,
        plan_targets,
        prepare_plans,
    )
    from pipelines.definitions import ALL_ASSETS
    from pipelines.incremental import INPUTS_TAG, plan_launch
    from pipelines.jobs import refresh_job, stats_job
    from pipelines.resources import default_resources

    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    resources = default_resources(raw, warehouse_url, accept_shrink)
    instance = _instance()
    names = [p.name for p in list_plan_files(Path(raw) / "plans")]
    sync_partitions(instance, names)
    launch = plan_launch(Path(raw), warehouse_url, instance, accept_shrink=bool(accept_shrink),
                         plan_names=names)
    if decided is not None:
        decided.append(launch)
    total = len(launch.todo) + launch.stats_todo + launch.refresh_todo
    outcomes = outcomes if outcomes is not None else []
    graph = dg.Definitions(assets=ALL_ASSETS, resources=resources).resolve_asset_graph()
    order = [a.key for a in ALL_ASSETS]  # the graph's order, upstream first

    def run(label: str, selection, partition_key: str | None = None,
            inputs: str | None = None) -> RunOutcome:
        if progress:
            keys = selection.resolve(graph)
            steps = " → ".join(k.to_user_string() for k in order if k in keys)
            progress(f"{label}: {steps}", len(outcomes), total)
        tags = {"planwh/command": "run"}
        if inputs:  # what this whole-folder run was made for (pipelines/incremental.py)
            tags[INPUTS_TAG] = inputs
        result = dg.materialize(
            ALL_ASSETS, selection=selection, resources=resources, instance=instance,
            partition_key=partition_key, raise_on_error=False, run_config=QUIET_LOGS,
            tags=tags,
        )
        out = classify(label, result, warehouse_url)
        outcomes.append(out)
        return out

    if launch.stats_todo:
        run("reference and statistics", stats_job.selection, inputs=launch.stats_inputs)
    if len(launch.todo) > 1:  # every core reads and validates; the runs then only load
        workers = _cores()
        if progress:
            progress(f"reading {len(launch.todo)} plans on {workers} cores", len(outcomes), total)
        plans_dir = Path(raw) / "plans"
        prepare_plans({n: (find_input(plans_dir, n), launch.plan_hashes[n])
                       for n in launch.todo if n in launch.plan_hashes}, workers)
    try:
        for name in launch.todo:
            run(f"plan {name}", dg.AssetSelection.assets(plan_targets, plan_tables),
                partition_key=name)
    finally:
        clear_prepared()
    if launch.refresh_todo:
        run("attainment and report", refresh_job.selection, inputs=launch.refresh_inputs)
    if progress:
        progress("done", total, total)
    return outcomes


def _cores() -> int:
    """The cores this process may use (``PLANWH_WORKERS`` overrides)."""
    value = os.environ.get("PLANWH_WORKERS", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def unchanged_row(launch) -> tuple[str, str]:
    """The summary line of what was left out as unchanged."""
    parts = [f"{len(launch.skipped)} of {len(launch.plan_hashes)} plans"]
    if not launch.stats_todo:
        parts.append("statistics")
    if not launch.refresh_todo:
        parts.append("attainment refresh")
    return ("unchanged, not redone", ", ".join(parts))


def summary_rows(counts, tables: dict, outcomes: list[RunOutcome],
                 issues: dict[str, int] | None = None, launch=None) -> list[tuple[str, str]]:
    """The summary table: the counts of warehouse.counts (same names and meanings as the
    report and the asset metadata), then statistics, issues and what the steps did."""
    quarantined = [s for o in outcomes for s in o.quarantined]
    failed = [s for o in outcomes for s in o.failed]
    plans_quarantined = sum(1 for o in outcomes if o.label.startswith("plan ") and o.quarantined)
    issues = issues or {}
    rows = [(name, value) for name, value, _ in counts.lines()]
    if plans_quarantined:
        rows.insert(1, ("plan documents quarantined", str(plans_quarantined)))
    return rows + [
        ("statistics", str(tables.get("fct_district_stat", 0))),
        ("districts (versions)", str(tables.get("dim_district", 0))),
        ("ingest issues", f"{issues.get('error', 0)} rejected input, "
                          f"{issues.get('warning', 0)} warnings"),
        ("checks", f"{sum(o.checks_passed for o in outcomes)} passed, "
                   f"{sum(o.checks_warned for o in outcomes)} warned, "
                   f"{sum(o.checks_failed for o in outcomes)} failed"),
        ("quarantined steps", str(len(quarantined))),
        ("failed steps", str(len(failed))),
    ] + ([unchanged_row(launch)] if launch is not None else [])


def issue_severities(engine) -> dict[str, int]:
    """ingest_issues rows by severity: rejected input (error) apart from warnings."""
    import sqlalchemy as sa

    with engine.connect() as c:
        return {sev: int(n) for sev, n in c.execute(sa.text(
            "SELECT severity, COUNT(*) FROM ingest_issues GROUP BY severity"))}


def print_summary(rows, outcomes: list[RunOutcome], warehouse_url: str, seconds: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, soft_wrap=True)
    table = Table(title=f"planwh run: {shown_url(warehouse_url)} ({seconds:.1f} s)")
    table.add_column("what")
    table.add_column("count")
    for what, count in rows:
        table.add_row(what, count)
    console.print(table)
    for o in outcomes:
        for step in o.quarantined:
            console.print(f"quarantined: {o.label} ({step}); see ingest_issues")
        for f in o.failed:
            console.print(f"[red]failed[/red]: {o.label}: {f}")


def warehouse_problem(url: str) -> str | None:
    """Why the warehouse at ``url`` cannot be used, in one line; None when it can."""
    import sqlalchemy as sa

    from warehouse.schema import make_engine

    shown = shown_url(url)
    try:
        sa.engine.make_url(url)
    except Exception:  # noqa: BLE001 - any parse failure is a bad URL
        return f"not a warehouse URL: {shown!r} (e.g. duckdb:///data/warehouse.duckdb)"
    try:
        engine = make_engine(url)
        try:
            with engine.connect() as cx:
                cx.exec_driver_sql("SELECT 1")
        finally:
            engine.dispose()
    except Exception as err:  # noqa: BLE001 - driver errors differ by back-end
        orig = getattr(err, "orig", None) or err
        first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
        return f"cannot open the warehouse {shown}: {explain(scrub(first, url), url)}"
    return None


def first_line(err: BaseException, url: str) -> str:
    """An exception as one line without the password: the driver's own message when
    SQLAlchemy wraps one."""
    orig = getattr(err, "orig", None) or err
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return explain(scrub(text, url), url)


def outcome_lines(outcomes: list[RunOutcome]) -> list[str]:
    """What each finished run did, for a summary without table counts."""
    lines = []
    for o in outcomes:
        if o.failed:
            lines.append(f"{o.label}: failed ({'; '.join(o.failed)})")
        elif o.quarantined:
            lines.append(f"{o.label}: quarantined ({', '.join(o.quarantined)})")
        else:
            lines.append(f"{o.label}: done")
    return lines


def run(args) -> int:
    raw = Path(args.raw)
    if problem := raw_folder_problem(raw):
        print(f"planwh run: {problem}", file=sys.stderr)
        return 2
    if problem := warehouse_problem(args.warehouse):
        print(f"planwh run: {problem}", file=sys.stderr)
        return 2
    started = time.monotonic()
    quiet = getattr(args, "quiet", False)
    accept = list(getattr(args, "accept_shrink", None) or [])
    outcomes: list[RunOutcome] = []
    decided: list = []
    try:
        _execute(raw, args.warehouse, quiet, accept, outcomes, decided)
        rows = _summary_counts(args.warehouse, outcomes, decided[0] if decided else None)
    except Exception as err:  # noqa: BLE001 - e.g. the warehouse went away mid-run: one line
        print(f"planwh run: stopped by an error of the warehouse {shown_url(args.warehouse)} "
              f"or the run: {first_line(err, args.warehouse)}; every load is one transaction, "
              "so each table holds its previous or its new state; run again once it is "
              "fixed", file=sys.stderr)
        for line in outcome_lines(outcomes):
            print(f"  {line}")
        return 1
    print_summary(rows, outcomes, args.warehouse, time.monotonic() - started)
    if not quiet:
        print("\n".join(where_to_look_lines(args.warehouse)))
    return 1 if any(o.failed for o in outcomes) else 0


def _execute(raw: Path, url: str, quiet: bool, accept: list[str],
             outcomes: list[RunOutcome], decided: list) -> None:
    if quiet:
        execute(str(raw), url, accept_shrink=accept, outcomes=outcomes, decided=decided)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    err = Console(file=sys.stderr)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=False) as bar:
        task = bar.add_task("starting", total=1)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        execute(str(raw), url, progress, accept_shrink=accept, outcomes=outcomes,
                decided=decided)


def _summary_counts(url: str, outcomes: list[RunOutcome], launch=None):
    from warehouse.counts import count_all
    from warehouse.load import table_counts
    from warehouse.schema import make_engine

    engine = make_engine(url)
    try:
        rows = summary_rows(count_all(engine), table_counts(engine), outcomes,
                            issue_severities(engine), launch)
    finally:
        engine.dispose()
    return rows
