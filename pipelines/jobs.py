"""Asset jobs used by the sensor and the schedule."""

from __future__ import annotations

import dagster as dg

from pipelines.assets.plans import plan_files
from pipelines.graph import PLAN_ASSETS, REFRESH_ASSETS, STATS_ASSETS

plan_job = dg.define_asset_job(
    "plan_job", selection=dg.AssetSelection.assets(*PLAN_ASSETS),
    partitions_def=plan_files,
    description="Extract plan documents and load them: one partition, or a partition range "
                "in one run (read on every core, validated at once, held back one by one).",
)
stats_job = dg.define_asset_job(
    "stats_job", selection=dg.AssetSelection.assets(*STATS_ASSETS),
    description="Reload reference data and all district statistics.",
)
refresh_job = dg.define_asset_job(
    "refresh_job",
    selection=dg.AssetSelection.assets(*REFRESH_ASSETS),
    description="Drop deleted plans, rebuild attainment, progress, the report and the issues "
                "summary.",
)
ALL_JOBS = [plan_job, stats_job, refresh_job]
