"""The one Dagster ``Definitions`` of planwh (loaded by workspace.yaml)."""

from __future__ import annotations

import dagster as dg

from pipelines.executors import make_executor
from pipelines.graph import ALL_ASSETS
from pipelines.jobs import ALL_JOBS
from pipelines.resources import default_resources
from pipelines.schedules import nightly_refresh
from pipelines.sensors import raw_files_sensor
from pipelines.table_assets import table_specs

__all__ = ["ALL_ASSETS", "build_definitions", "celery_plan_job", "defs"]


def build_definitions(raw: str | None = None, warehouse_url: str | None = None,
                      executor: dg.ExecutorDefinition | None = None) -> dg.Definitions:
    """``executor``: default the one ``PLANWH_EXECUTOR`` names (pipelines/executors.py)."""
    return dg.Definitions(
        assets=[*ALL_ASSETS, *table_specs()],  # every warehouse table its own node
        jobs=ALL_JOBS,
        schedules=[nightly_refresh],
        sensors=[raw_files_sensor],
        resources=default_resources(raw, warehouse_url),
        executor=executor or make_executor(),
    )


def celery_plan_job() -> dg.JobDefinition:
    """``plan_job`` on the Celery executor, whatever ``PLANWH_EXECUTOR`` says.

    A reconstructable target (``dg.reconstructable(celery_plan_job)``): the run and each
    worker call it to rebuild the job, so it must not depend on state of the caller.
    """
    return build_definitions(executor=make_executor("celery")).resolve_job_def("plan_job")


defs = build_definitions()
