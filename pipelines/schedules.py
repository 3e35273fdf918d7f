"""The nightly refresh (02:00 Asia/Shanghai).

A Dagster schedule targets exactly one job: the scheduler daemon launches every
RunRequest of a schedule against that job and ignores ``RunRequest.job_name`` (which only
sensors with several jobs honour). So the schedule targets the whole asset graph (an
implicit job over ``AssetSelection.all()``, partitioned by ``plan_files``) and each
RunRequest names the assets of one of our jobs through ``asset_selection``:

1. reference and statistics (the assets of ``stats_job``),
2. one run over the partition range of the plan files to read again (the assets of
   ``plan_job``; more than one only when unchanged files lie between them),
3. the warehouse-wide refresh (the assets of ``refresh_job``).

The ``dagster/priority`` tags make the run queue start them in that order.

Nothing redone that did not change (pipelines/incremental.py): a plan partition whose file,
reference data and code version are those the warehouse recorded for it gets no run; the
statistics and refresh runs are left out when their input fingerprint (tag
``planwh/inputs``) is that of the run that last materialised them. A night with nothing
changed launches no run at all.
"""

from __future__ import annotations

import dagster as dg

from pipelines.assets.plans import plan_files
from pipelines.graph import ALL_ASSETS
from pipelines.incremental import INPUTS_TAG, plan_launch, plan_segments, range_tags
from pipelines.jobs import plan_job, refresh_job, stats_job
from pipelines.resources import RawFolder, WarehouseResource
from pipelines.sensors import (
    PLAN_PRIORITY,
    PRIORITY_TAG,
    REFRESH_PRIORITY,
    STATS_PRIORITY,
)

NIGHTLY_CRON = "0 2 * * *"
NIGHTLY_TIMEZONE = "Asia/Shanghai"


def job_asset_keys(job: dg.UnresolvedAssetJobDefinition) -> list[dg.AssetKey]:
    """The asset keys an asset job selects (resolved against the project's assets)."""
    return sorted(job.selection.resolve(ALL_ASSETS), key=lambda k: k.to_user_string())


@dg.schedule(
    name="nightly_refresh",
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=NIGHTLY_TIMEZONE,
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 Beijing time: reference and statistics, the changed plan "
                "partitions (one run over their range), then deleted plans, attainment, its "
                "report and the issues summary; each only if its inputs changed since it was last done.",
)
def nightly_refresh(context: dg.ScheduleEvaluationContext, raw: RawFolder,
                    warehouse: WarehouseResource):
    stamp = context.scheduled_execution_time.strftime("%Y-%m-%d")
    # deleted files: the sensor drops their partitions
    order = list(context.instance.get_dynamic_partitions(plan_files.name))  # the range order
    keys = [k for k in order if (raw.plans_dir / k).is_file()]
    launch = plan_launch(raw.root, warehouse.url, context.instance, plan_names=keys)
    if launch.skipped:
        context.log.info(f"{len(launch.skipped)} plan(s) unchanged since their last run: "
                         "not run again")
    if launch.stats_todo:
        yield dg.RunRequest(
            run_key=f"stats:{stamp}", asset_selection=job_asset_keys(stats_job),
            tags={PRIORITY_TAG: STATS_PRIORITY, INPUTS_TAG: launch.stats_inputs},
        )
    plan_keys = job_asset_keys(plan_job)
    for first, last in plan_segments(order, launch.todo):  # one run over the changed range
        yield dg.RunRequest(
            run_key=f"plans:{first}..{last}:{stamp}", asset_selection=plan_keys,
            tags={PRIORITY_TAG: PLAN_PRIORITY, **range_tags(first, last)},
        )
    if launch.refresh_todo:
        yield dg.RunRequest(
            run_key=f"refresh:{stamp}", asset_selection=job_asset_keys(refresh_job),
            tags={PRIORITY_TAG: REFRESH_PRIORITY, INPUTS_TAG: launch.refresh_inputs},
        )
    if not (launch.stats_todo or launch.todo or launch.refresh_todo):
        yield dg.SkipReason("nothing changed since the last runs")
