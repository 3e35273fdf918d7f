"""fct_district_stat_restated and fct_attainment_restated: statistics and attainment on the
district boundaries of one year (warehouse/restate.py, docs/time.md)."""

import dagster as dg

from pipelines.assets.common import asset_defaults
from pipelines.assets.warehouse import fct_attainment, read_frame
from pipelines.checks import check_result
from pipelines.metadata import table_metadata
from pipelines.resources import WarehouseResource, data_path
from pipelines.table_assets import table_materializations

RESTATEMENT_CHECK = "restatement_quality"


@dg.asset(
    **asset_defaults("warehouse", "sql"),
    deps=["reference", fct_attainment],
    check_specs=[
        dg.AssetCheckSpec(
            RESTATEMENT_CHECK, asset="fct_district_stat_restated",
            description="The `restatement` expectation suite: split weights in 0..1, one per "
                        "key, summing to 1 per old code, change year and metric.",
        )
    ],
    description="fct_district_stat_restated: every statistic on the boundaries of the restate "
                "year ($PLANWH_RESTATE_TO or planwh run --restate-to, default the latest year), "
                "reported figures of unchanged districts and flagged restated ones (renames, "
                "exact sums of merges, weighted splits, ratios through their parts); "
                "fct_attainment_restated and v_attainment_restated from it. What cannot be "
                "restated is an ingest_issues row (scope restate), never a guess.",
)
def fct_district_stat_restated(context: dg.AssetExecutionContext,
                               warehouse: WarehouseResource):
    from expectations.runner import run_suite
    from warehouse.load import replace_issues
    from warehouse.restate import ISSUE_SCOPE, build_restated

    engine = warehouse.get_engine()
    try:
        result = build_restated(engine)
    except ValueError as e:  # PLANWH_RESTATE_TO is not a year
        raise dg.Failure(description=str(e)) from e
    replace_issues(engine, ISSUE_SCOPE, result.issues)
    for event in table_materializations("fct_district_stat_restated", engine):
        context.log_event(event)
    weights = read_frame(engine, "SELECT * FROM ref_split_weight")
    suite = run_suite("restatement", weights, docs_dir=data_path("docs"))
    view = read_frame(engine, "SELECT * FROM v_attainment_restated WHERE restated")
    yield dg.Output(
        None,
        metadata={
            "restate_year": result.restate_year if result.restate_year is not None else "n/a",
            **{f"method/{m}": n for m, n in result.methods.items()},
            "issues": len(result.issues),
            "attainment_rows": result.attainment_rows,
            **table_metadata(view),
            "dagster/row_count": dg.MetadataValue.int(result.stat_rows),
        },
    )
    yield check_result(RESTATEMENT_CHECK, suite)
