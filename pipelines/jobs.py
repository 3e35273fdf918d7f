"""Asset jobs used by the sensor and the schedule."""

from __future__ import annotations

import dagster as dg

from pipelines.assets.plans import plan_files, plan_registry, plan_tables, plan_targets
from pipelines.assets.progress import fct_progress
from pipelines.assets.reference import reference
from pipelines.assets.stats import district_stats, fct_district_stat
from pipelines.assets.warehouse import attainment_report, fct_attainment, ingest_issues

plan_job = dg.define_asset_job(
    "plan_job", selection=dg.AssetSelection.assets(plan_targets, plan_tables),
    partitions_def=plan_files,
    description="Extract one plan document and load it (one run per plan file).",
)
stats_job = dg.define_asset_job(
    "stats_job", selection=dg.AssetSelection.assets(reference, district_stats, fct_district_stat),
    description="Reload reference data and all district statistics.",
)
refresh_job = dg.define_asset_job(
    "refresh_job",
    selection=dg.AssetSelection.assets(plan_registry, fct_attainment, fct_progress,
                                       attainment_report, ingest_issues),
    description="Drop deleted plans, rebuild attainment, progress, the report and the issues "
                "summary.",
)
ALL_JOBS = [plan_job, stats_job, refresh_job]
