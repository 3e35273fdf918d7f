"""The asset lists of the graph, in one place: the jobs, the schedule, the definitions
and ``planwh run`` read them (upstream first)."""

from __future__ import annotations

from pipelines.assets.plans import plan_registry, plan_tables, plan_targets
from pipelines.assets.progress import fct_progress
from pipelines.assets.reference import reference
from pipelines.assets.restate import fct_district_stat_restated
from pipelines.assets.stats import district_stats, fct_district_stat
from pipelines.assets.warehouse import (
    attainment_report,
    fct_attainment,
    fct_attainment_as_of,
    ingest_issues,
)

# one plan file (a plan_files partition) or a range of them in one run
PLAN_ASSETS = [plan_targets, plan_tables]
# reference data and every statistics file
STATS_ASSETS = [reference, district_stats, fct_district_stat]
# warehouse-wide: deleted plans, attainment, progress, restated boundaries, the report, the
# issues summary
REFRESH_ASSETS = [plan_registry, fct_attainment, fct_progress, fct_district_stat_restated,
                  attainment_report, ingest_issues]
# on request only (`planwh run --as-of`): attainment on the statistics known at a moment
AS_OF_ASSETS = [fct_attainment_as_of]

ALL_ASSETS = [
    reference,
    plan_targets,
    plan_tables,
    plan_registry,
    district_stats,
    fct_district_stat,
    fct_attainment,
    fct_progress,
    fct_district_stat_restated,
    attainment_report,
    ingest_issues,
    fct_attainment_as_of,
]
