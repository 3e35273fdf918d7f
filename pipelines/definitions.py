"""The one Dagster ``Definitions`` of planwh (loaded by workspace.yaml)."""

from __future__ import annotations

import dagster as dg

from pipelines.assets.plans import plan_registry, plan_tables, plan_targets
from pipelines.assets.progress import fct_progress
from pipelines.assets.reference import reference
from pipelines.assets.stats import district_stats, fct_district_stat
from pipelines.assets.warehouse import attainment_report, fct_attainment, ingest_issues
from pipelines.executors import make_executor
from pipelines.jobs import ALL_JOBS
from pipelines.resources import default_resources
from pipelines.schedules import nightly_refresh
from pipelines.sensors import raw_files_sensor

ALL_ASSETS = [
    reference,
    plan_targets,
    plan_tables,
    plan_registry,
    district_stats,
    fct_district_stat,
    fct_attainment,
    fct_progress,  # hook: progress (pipelines/assets/progress.py)
    attainment_report,
    ingest_issues,
]


def build_definitions(raw: str | None = None, warehouse_url: str | None = None,
                      executor: dg.ExecutorDefinition | None = None) -> dg.Definitions:
    """``executor``: default the one ``PLANWH_EXECUTOR`` names (pipelines/executors.py)."""
    return dg.Definitions(
        assets=ALL_ASSETS,
        jobs=ALL_JOBS,
        schedules=[nightly_refresh],
        sensors=[raw_files_sensor],
        resources=default_resources(raw, warehouse_url),
        executor=executor or make_executor(),
    )


defs = build_definitions()
