"""The nightly refresh (02:00 Asia/Shanghai)."""

import dagster as dg

from pipelines.assets.plans import plan_files
from pipelines.jobs import plan_job, refresh_job, stats_job


@dg.schedule(
    name="nightly_refresh",
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Every night at 02:00 Beijing time: reference and statistics, every plan "
                "partition, then attainment, its report and the issues summary.",
)
def nightly_refresh(context: dg.ScheduleEvaluationContext):
    stamp = context.scheduled_execution_time.strftime("%Y-%m-%d")
    yield dg.RunRequest(run_key=f"stats:{stamp}", job_name=stats_job.name)
    for key in context.instance.get_dynamic_partitions(plan_files.name):
        yield dg.RunRequest(run_key=f"plan:{key}:{stamp}", job_name=plan_job.name, partition_key=key)
    yield dg.RunRequest(run_key=f"refresh:{stamp}", job_name=refresh_job.name)
