"""Running the graph in-process through Dagster, for ``planwh run``: which runs to
launch (pipelines/incremental.py decides), the plans read first on every core, each
run's outcome (quarantined steps, failures, checks) as a :class:`RunOutcome`.

``planwh run`` (planwh/run_cmd.py) holds the command line and the summary; everything
that touches Dagster is here, so that no module outside pipelines/ imports it.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from planwh.messages import without_class_name
from warehouse.urls import scrub

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
    from pipelines.graph import ALL_ASSETS
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
