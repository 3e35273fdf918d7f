"""Warehouse-wide assets: attainment, its report, and the ingest issues table."""

import dagster as dg
import pydantic

from pipelines.assets.common import asset_defaults, build_and_validate, fact_asset
from pipelines.assets.plans import plan_registry, plan_tables
from pipelines.assets.stats import fct_district_stat
from pipelines.checks import check_result
from pipelines.metadata import counts_metadata, png_markdown, table_metadata
from pipelines.resources import WarehouseResource, data_path
from warehouse.counts import read_frame

ATTAINMENT_CHECK = "attainment_quality"

@fact_asset(
    "fct_attainment", ATTAINMENT_CHECK,
    "The `attainment` expectation suite: a row per mapped indicator, district and plan "
    "year; attained present when both sides are numeric; one target in force at a time "
    "per indicator, year and scope.",
    deps=["reference", plan_tables, plan_registry, fct_district_stat],
    description="fct_attainment: indicator x district x year, rebuilt in SQL from fct_target and "
                "fct_district_stat (ratio metrics as sum(numerator)/sum(denominator) at city "
                "level). The metadata carries a heatmap of the latest evaluated year.",
)
def fct_attainment(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    from expectations.suites import EXPECTED_ATTAINMENT_KEYS_SQL, TARGET_VERSIONS_SQL
    from pipelines.report import attainment_heatmap, latest_year
    from warehouse.attainment import build_attainment
    from warehouse.queries import attainment_summary

    engine = warehouse.get_engine()
    expected = read_frame(engine, EXPECTED_ATTAINMENT_KEYS_SQL)
    versions = read_frame(engine, TARGET_VERSIONS_SQL)  # plan revisions (docs/time.md)
    n, _facts, view, suite = build_and_validate(engine, build_attainment, "fct_attainment",
                                                "v_attainment", "attainment",
                                                expected_keys=expected,
                                                target_versions=versions)
    evaluated, rate = attainment_summary(engine)
    year = latest_year(view)
    yield dg.Output(
        None,
        metadata={
            "evaluated": evaluated,
            "attainment_rate": dg.MetadataValue.float(rate) if rate is not None else "n/a",
            "heatmap_year": year if year is not None else "n/a",
            "heatmap": png_markdown(attainment_heatmap(view), "attainment heatmap"),
            **table_metadata(view),
            "dagster/row_count": dg.MetadataValue.int(n),
            **counts_metadata(engine),
        },
    )
    yield check_result(ATTAINMENT_CHECK, suite)


class AsOfConfig(dg.Config):
    """Which moment ``fct_attainment_as_of`` evaluates (``planwh run --as-of``)."""

    as_of: str = pydantic.Field(
        default="",
        description="an ISO date (the end of that day) or date and time, UTC; empty: now")


@dg.asset(
    **asset_defaults("warehouse", "sql"),
    deps=[fct_attainment],
    description="fct_attainment_as_of: attainment on the statistics known at a past moment "
                "(load time, UTC; a date means the end of that day), one set of rows per "
                "as_of, shown by v_attainment_as_of. Materialised on request only "
                "(`planwh run --as-of DATE`, or here with the config `as_of`); "
                "fct_attainment always uses the latest figures (docs/time.md).",
)
def fct_attainment_as_of(context: dg.AssetExecutionContext, config: AsOfConfig,
                         warehouse: WarehouseResource) -> dg.MaterializeResult:
    from datetime import UTC, datetime

    from warehouse.attainment import as_of_moment, build_attainment_as_of

    moment = (as_of_moment(config.as_of) if config.as_of.strip()
              else datetime.now(UTC).replace(tzinfo=None))
    engine = warehouse.get_engine()
    n = build_attainment_as_of(engine, moment)
    met = read_frame(engine, "SELECT attained, COUNT(*) AS n FROM fct_attainment_as_of "
                             "WHERE as_of = :as_of GROUP BY attained", {"as_of": moment})
    counts = {str(r.attained): int(r.n) for r in met.itertuples()}
    context.log.info(f"fct_attainment_as_of: {n} rows as of {moment} (UTC)")
    return dg.MaterializeResult(metadata={
        "as_of": str(moment),
        "dagster/row_count": dg.MetadataValue.int(n),
        "attained": counts.get("True", 0),
        "not_attained": counts.get("False", 0),
        "where": "fct_attainment_as_of / v_attainment_as_of WHERE as_of = the as_of above",
    })


@dg.asset(
    **asset_defaults("warehouse", "html"),
    deps=[fct_attainment, "fct_progress"],  # the report shows progress too
    description="data/reports/attainment.html: the attainment report to print or mail (per "
                "plan: overview, every year's heatmap, target vs actual per indicator, tables, "
                "milestones, issues; self-contained, A4 landscape).",
)
def attainment_report(context: dg.AssetExecutionContext,
                      warehouse: WarehouseResource) -> dg.MaterializeResult:
    from pipelines.incremental import INPUTS_TAG, record_inputs
    from pipelines.report import write_report_from_warehouse

    engine = warehouse.get_engine()
    view = read_frame(engine, "SELECT * FROM v_attainment")
    path = write_report_from_warehouse(engine, data_path("reports"))
    docs = offline_data_docs(data_path("docs"), context.log)
    # the refresh is done (this is its last step): the inputs it was done with (the run's
    # tag; none: forgotten), for the next launch
    record_inputs(engine, "refresh", context.run.tags.get(INPUTS_TAG))
    return dg.MaterializeResult(
        metadata={"path": dg.MetadataValue.path(str(path.resolve())),
                  **({"data_docs": dg.MetadataValue.path(str(docs))} if docs else {}),
                  **table_metadata(view)}
    )


def offline_data_docs(docs_dir, log) -> object:
    """Every Data Docs site under ``docs_dir`` made to work offline, and a home page
    listing them; a site swapped by a concurrent run meanwhile is logged, not fatal."""
    from expectations.offline_docs import make_offline, write_docs_home

    if not docs_dir.is_dir():
        return None
    for index in sorted(docs_dir.glob("*/index.html")):
        try:
            make_offline(index.parent)
        except OSError as err:  # e.g. a plan run replaced the site meanwhile
            log.warning(f"Data Docs {index.parent.name} not made offline: {err}")
    return write_docs_home(docs_dir)


@dg.asset(
    **asset_defaults("quality", "sql"),
    deps=[fct_attainment, plan_registry, "fct_district_stat_restated"],
    description="ingest_issues: every input item held back (unreadable documents, unresolved "
                "districts, failed expectations), with file, location and reason.",
)
def ingest_issues(context: dg.AssetExecutionContext,
                  warehouse: WarehouseResource) -> dg.MaterializeResult:
    issues = read_frame(
        warehouse.get_engine(),
        "SELECT source_file, location, severity, reason, detected_at FROM ingest_issues "
        "ORDER BY source_file, location",
    )
    by_severity = issues.groupby("severity").size().to_dict() if len(issues) else {}
    return dg.MaterializeResult(
        metadata={
            "errors": int(by_severity.get("error", 0)),
            "warnings": int(by_severity.get("warning", 0)),
            "files_with_issues": int(issues["source_file"].nunique()) if len(issues) else 0,
            **table_metadata(issues, rows=25, table="ingest_issues"),
        }
    )
