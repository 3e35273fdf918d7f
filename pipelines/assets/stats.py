"""District statistics: every file of raw/stats into one tidy frame, bad rows quarantined."""

import dagster as dg
import pandas as pd

from pipelines.assets.common import asset_defaults
from pipelines.checks import check_result
from pipelines.metadata import table_metadata
from pipelines.reference_data import read_reference
from pipelines.resources import RawFolder, WarehouseResource, data_path

STATS_CHECK = "district_stats_quality"
STATS_SCOPE = "stats"


@dg.asset(
    **asset_defaults("stats", "csv", "excel", "pandas"),
    deps=["reference"],
    check_specs=[
        dg.AssetCheckSpec(
            STATS_CHECK, asset="district_stats", blocking=True,
            description="The `district_stats` expectation suite. Rows failing an error-severity "
                        "expectation are quarantined to ingest_issues (WARN); the check blocks "
                        "the load only if what remains still fails.",
        )
    ],
    description="District statistics from raw/stats (CSV in UTF-8/GBK, XLSX, XLS; tidy or "
                "yearbook-wide) with district names resolved to the GB/T 2260 code valid in "
                "the row's year. Rows that cannot be read or resolved go to ingest_issues.",
)
def district_stats(context: dg.AssetExecutionContext, raw: RawFolder, warehouse: WarehouseResource):
    from expectations.runner import issues_from, run_suite, write_data_docs
    from extractors.budget import read_stats_folder
    from warehouse.load import replace_issues

    ref = read_reference(raw.reference_dir)
    result = read_stats_folder(raw.stats_dir, ref.resolver, ref.metrics)
    frame = result.frame.reset_index(drop=True)
    suite = run_suite("district_stats", frame, districts=ref.districts, metrics=ref.metrics,
                      docs_dir=None)
    bad = suite.failing_positions("error")
    issues = list(result.issues) + issues_from(suite, frame)
    clean = frame.drop(index=bad).reset_index(drop=True) if bad else frame
    if bad:
        context.log.warning(f"{len(bad)} statistics rows quarantined by expectations")
        suite = run_suite("district_stats", clean, districts=ref.districts, metrics=ref.metrics,
                          docs_dir=None)
    suite.docs_path = str(write_data_docs(suite, data_path("docs")))
    replace_issues(warehouse.get_engine(), STATS_SCOPE, issues)
    files = sorted(clean["source_file"].unique()) if len(clean) else []
    yield dg.Output(
        clean,
        metadata={
            "files": len(files),
            "issues": len(issues),
            "quarantined_rows": len(bad),
            "metrics": int(clean["metric_code"].nunique()) if len(clean) else 0,
            "years": ", ".join(str(y) for y in sorted(clean["year"].unique())) if len(clean) else "-",
            **table_metadata(clean),
        },
    )
    yield check_result(STATS_CHECK, suite, quarantined=len(bad) + len(result.issues))


@dg.asset(
    **asset_defaults("warehouse", "sql"),
    description="fct_district_stat: metric x district x year, replaced atomically from "
                "district_stats (unchanged content leaves the table untouched).",
)
def fct_district_stat(context: dg.AssetExecutionContext, district_stats: pd.DataFrame,
                      warehouse: WarehouseResource) -> dg.MaterializeResult:
    from warehouse.load import load_stats

    status = load_stats(warehouse.get_engine(), district_stats)
    return dg.MaterializeResult(metadata={"status": str(status), **table_metadata(district_stats)})
