"""Running the graph in-process through Dagster, for ``planwh run``: which runs to
launch (pipelines/incremental.py decides; one over the partition range of the changed
plan files, with the refresh), each run's outcome (quarantined steps and plan files,
failures, checks) as a :class:`RunOutcome`.

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


# Dagster writes the events of a run over a partition range (one materialisation per plan
# file) in batches when this is set, and PostgreSQL's event log storage writes a batch in one
# statement; dagster_home's SQLite storage does too (pipelines/event_storage.py, which also
# records one planned event per range). Set for planwh's own runs unless the user set them.
BATCHED_EVENTS = {"DAGSTER_EVENT_BATCH_SIZE": "1000",
                  "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "true"}


def _instance():
    from dagster import DagsterInstance

    for var, value in BATCHED_EVENTS.items():
        os.environ.setdefault(var, value)

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


def held_back_plans(result) -> list[RunOutcome]:
    """One outcome per plan file a run over a partition range held back (its
    plan_targets materialisation says so), for the summary."""
    out = []
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        if mat.asset_key.to_user_string() != "plan_targets" or mat.partition is None:
            continue
        status = mat.metadata.get("status")
        if status is not None and str(status.value).startswith("held back"):
            out.append(RunOutcome(label=f"plan {mat.partition}", quarantined=["plan_targets"],
                                  checks_failed=1))
    return out


def execute(raw: str, warehouse_url: str, progress=None,
            accept_shrink: list[str] | None = None,
            outcomes: list[RunOutcome] | None = None,
            decided: list | None = None, as_of: list[str] | None = None) -> list[RunOutcome]:
    """Run what changed of the graph; ``progress(label, done, total)`` is called around
    each run. Each run's outcome is appended to ``outcomes`` (when given) as soon as it
    ends, so a caller still knows what finished when a later run raises; what was left
    out as unchanged (a :class:`pipelines.incremental.Plan`) is appended to ``decided``.

    At most three runs: reference and statistics (when their inputs changed), then one
    run over the partition range of every changed plan file together with the refresh
    (more plan runs only when unchanged files lie between changed ones). When the
    warehouse says nothing changed, Dagster is not even imported. ``as_of`` (``planwh run
    --as-of``): after the others, one more run per moment materialises
    fct_attainment_as_of for it."""
    from extractors.files import list_plan_files
    from pipelines.incremental import plan_launch

    outcomes = outcomes if outcomes is not None else []
    names = [p.name for p in list_plan_files(Path(raw) / "plans")]
    launch = plan_launch(Path(raw), warehouse_url, None, accept_shrink=bool(accept_shrink),
                         plan_names=names)
    instance = None
    if (launch.todo or launch.stats_todo or launch.refresh_todo) and os.environ.get(
            "DAGSTER_HOME"):  # a persistent instance may know more (runs of the daemon)
        instance = _instance()
        launch = plan_launch(Path(raw), warehouse_url, instance,
                             accept_shrink=bool(accept_shrink), plan_names=names)
    if decided is not None:
        decided.append(launch)
    as_of = list(as_of or [])
    if not (launch.todo or launch.stats_todo or launch.refresh_todo or as_of):
        if progress:
            progress("nothing changed", 1, 1)
        return outcomes
    return _run_changed(raw, warehouse_url, launch, names, progress, accept_shrink, outcomes,
                        instance or _instance(), as_of)


def _run_changed(raw: str, warehouse_url: str, launch, names: list[str], progress,
                 accept_shrink, outcomes: list[RunOutcome], instance,
                 as_of: list[str]) -> list[RunOutcome]:
    import dagster as dg

    from pipelines.assets.plans import plan_files
    from pipelines.graph import ALL_ASSETS, AS_OF_ASSETS
    from pipelines.incremental import INPUTS_TAG, plan_segments, range_tags
    from pipelines.jobs import plan_job, refresh_job, stats_job
    from pipelines.resources import default_resources

    warnings.filterwarnings("ignore", category=dg.BetaWarning)
    warnings.filterwarnings("ignore", category=dg.PreviewWarning)
    resources = default_resources(raw, warehouse_url, accept_shrink)
    sync_partitions(instance, names)
    order = instance.get_dynamic_partitions(plan_files.name)
    cap = _plans_per_run()
    segments = [part for seg in plan_segments(order, launch.todo)
                for part in _chunks(order, seg, cap)]
    # the refresh rides on the (last) plan run, unless the plan runs are capped: then it
    # is its own run after them, as the sensor's and the schedule's is
    separate = launch.refresh_todo and (not segments or cap > 0)
    total = len(segments) + launch.stats_todo + separate + len(as_of)
    graph = dg.Definitions(assets=ALL_ASSETS, resources=resources).resolve_asset_graph()
    asset_order = [a.key for a in ALL_ASSETS]  # the graph's order, upstream first

    def run(label: str, selection, tags: dict[str, str],
            config: dict | None = None) -> dg.ExecuteInProcessResult:
        if progress:
            keys = selection.resolve(graph)
            steps = " → ".join(k.to_user_string() for k in asset_order if k in keys)
            progress(f"{label}: {steps}", len(outcomes), total)
        result = dg.materialize(
            ALL_ASSETS, selection=selection, resources=resources, instance=instance,
            raise_on_error=False, run_config={**QUIET_LOGS, **(config or {})},
            tags={"planwh/command": "run", **tags},
        )
        out = classify(label, result, warehouse_url)
        outcomes.append(out)
        if held := held_back_plans(result):
            # the run's one targets check (WARN) stands for these files' failed checks
            out.checks_warned -= sum(
                1 for ev in result.get_asset_check_evaluations()
                if ev.check_name == "targets_quality" and not ev.passed
                and ev.severity == dg.AssetCheckSeverity.WARN)
            outcomes.extend(held)
        return result

    if launch.stats_todo:
        run("reference and statistics", stats_job.selection, {INPUTS_TAG: launch.stats_inputs})
    for n, (first, last) in enumerate(segments):
        count = order.index(last) - order.index(first) + 1
        label = f"plans ({count} file{'s' if count > 1 else ''})"
        selection, tags = plan_job.selection, range_tags(first, last)
        if n == len(segments) - 1 and launch.refresh_todo and not separate:  # in the same run
            label += ", attainment and report"
            selection = selection | refresh_job.selection
            tags[INPUTS_TAG] = launch.refresh_inputs
        run(label, selection, tags)
    if separate:
        run("attainment and report", refresh_job.selection, {INPUTS_TAG: launch.refresh_inputs})
    for moment in as_of:
        run(f"attainment as of {moment}", dg.AssetSelection.assets(*AS_OF_ASSETS), {},
            config={"ops": {"fct_attainment_as_of": {"config": {"as_of": moment}}}})
    if progress:
        progress("done", total, total)
    return outcomes


PLANS_PER_RUN_ENV = "PLANWH_PLANS_PER_RUN"


def _plans_per_run() -> int:
    """At most this many plan files per Dagster run (``PLANWH_PLANS_PER_RUN``; default 0:
    no limit, one run over every changed file, which also takes the refresh; with a cap
    the refresh is a run of its own)."""
    value = os.environ.get(PLANS_PER_RUN_ENV, "").strip()
    return int(value) if value.isdigit() else 0


def _chunks(order: list[str], segment: tuple[str, str], size: int) -> list[tuple[str, str]]:
    """``segment`` (a partition range of ``order``) cut into ranges of at most ``size``."""
    keys = order[order.index(segment[0]):order.index(segment[1]) + 1]
    if size <= 0 or len(keys) <= size:
        return [segment]
    return [(keys[i], keys[min(i + size, len(keys)) - 1]) for i in range(0, len(keys), size)]
