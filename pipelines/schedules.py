"""The nightly refresh (02:00 Asia/Shanghai).

A Dagster schedule targets exactly one job: the scheduler daemon launches every
RunRequest of a schedule against that job and ignores ``RunRequest.job_name`` (which only
sensors with several jobs honour). So the schedule targets the whole asset graph (an
implicit job over ``AssetSelection.all()``, partitioned by ``plan_files``) and each
RunRequest names the assets of one of our jobs through ``asset_selection``:

1. reference and statistics (the assets of ``stats_job``),
2. one run per plan partition (the assets of ``plan_job``) whose file is still in raw/plans,
3. the warehouse-wide refresh (the assets of ``refresh_job``).

The ``dagster/priority`` tags make the run queue start them in that order.
"""

from __future__ import annotations

import dagster as dg

from pipelines.assets.plans import plan_files
from pipelines.jobs import plan_job, refresh_job, stats_job
from pipelines.resources import RawFolder
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
    from pipelines.definitions import ALL_ASSETS  # at call time: definitions imports us

    return sorted(job.selection.resolve(ALL_ASSETS), key=lambda k: k.to_user_string())


@dg.schedule(
    name="nightly_refresh",
    cron_schedule=NIGHTLY_CRON,
    execution_timezone=NIGHTLY_TIMEZONE,
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 Beijing time: reference and statistics, every plan "
                "partition (one run each), then deleted plans, attainment, its report and the "
                "issues summary.",
)
def nightly_refresh(context: dg.ScheduleEvaluationContext, raw: RawFolder):
    stamp = context.scheduled_execution_time.strftime("%Y-%m-%d")
    yield dg.RunRequest(
        run_key=f"stats:{stamp}", asset_selection=job_asset_keys(stats_job),
        tags={PRIORITY_TAG: STATS_PRIORITY},
    )
    plan_keys = job_asset_keys(plan_job)
    for key in sorted(context.instance.get_dynamic_partitions(plan_files.name)):
        if not (raw.plans_dir / key).is_file():  # deleted: the sensor drops the partition
            continue
        yield dg.RunRequest(
            run_key=f"plan:{key}:{stamp}", asset_selection=plan_keys, partition_key=key,
            tags={PRIORITY_TAG: PLAN_PRIORITY},
        )
    yield dg.RunRequest(
        run_key=f"refresh:{stamp}", asset_selection=job_asset_keys(refresh_job),
        tags={PRIORITY_TAG: REFRESH_PRIORITY},
    )
