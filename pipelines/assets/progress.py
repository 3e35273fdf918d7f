"""fct_progress: progress toward end-year targets, after fct_attainment (docs/progress.md)."""

import dagster as dg

from pipelines.assets.common import build_and_validate, fact_asset
from pipelines.assets.warehouse import fct_attainment
from pipelines.checks import check_result
from pipelines.metadata import table_metadata
from pipelines.resources import WarehouseResource

PROGRESS_CHECK = "progress_quality"


@fact_asset(
    "fct_progress", PROGRESS_CHECK,
    "The `progress` expectation suite: status in the vocabulary, ratios finite, no status "
    "without a baseline or an actual, one row per key.",
    deps=[fct_attainment],
    description="fct_progress: indicator x district x year, progress since the base year "
                "against the path to the end-year target (UN ESCAP / UNSD methods), the "
                "anticipated end-year value, the schedule position and a status.",
)
def fct_progress(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from warehouse.progress import build_progress

    n, facts, view, suite = build_and_validate(warehouse.get_engine(), build_progress,
                                               "fct_progress", "v_progress", "progress")
    by_status = facts["status"].value_counts().to_dict() if len(facts) else {}
    yield dg.Output(
        None,
        metadata={
            **{f"status/{k}": int(v) for k, v in sorted(by_status.items())},
            **table_metadata(view),
            "dagster/row_count": dg.MetadataValue.int(n),
        },
    )
    yield check_result(PROGRESS_CHECK, suite)
