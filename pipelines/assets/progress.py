"""fct_progress: progress toward end-year targets, after fct_attainment (docs/progress.md)."""

import dagster as dg

from pipelines.assets.common import asset_defaults
from pipelines.assets.warehouse import fct_attainment, read_frame
from pipelines.checks import check_result
from pipelines.metadata import table_metadata
from pipelines.resources import WarehouseResource, data_path

PROGRESS_CHECK = "progress_quality"


@dg.asset(
    **asset_defaults("warehouse", "sql"),
    deps=[fct_attainment],
    check_specs=[
        dg.AssetCheckSpec(
            PROGRESS_CHECK, asset="fct_progress",
            description="The `progress` expectation suite: status in the vocabulary, ratios "
                        "finite, no status without a baseline or an actual, one row per key.",
        )
    ],
    description="fct_progress: indicator x district x year, progress since the base year "
                "against the path to the end-year target (UN ESCAP / UNSD methods), the "
                "anticipated end-year value, the schedule position and a status.",
)
def fct_progress(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from expectations.runner import run_suite
    from warehouse.progress import build_progress

    engine = warehouse.get_engine()
    n = build_progress(engine)
    facts = read_frame(engine, "SELECT * FROM fct_progress")
    view = read_frame(engine, "SELECT * FROM v_progress")
    suite = run_suite("progress", facts, docs_dir=data_path("docs"))
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
