"""Reference data: districts (GB/T 2260 codes with validity), metrics, indicator mappings."""

import dagster as dg
import pandas as pd

from extractors.records import BadReference
from extractors.reference import read_reference
from pipelines.assets.common import asset_defaults
from pipelines.metadata import table_metadata
from pipelines.resources import RawFolder, WarehouseResource
from pipelines.table_assets import table_materializations


@dg.asset(
    **asset_defaults("reference", "csv", "sql"),
    description="raw/reference/districts.csv, metrics.csv and indicator_metrics.csv loaded into "
                "dim_district and dim_metric; district_lineage.csv and split_weights.csv (when "
                "present) into bridge_district_lineage and ref_split_weight; the optional "
                "plan_revisions.csv into ref_plan_revision (a bad row is an issue row). A broken "
                "districts, metrics or mappings file fails the run: nothing else can be "
                "resolved without it.",
)
def reference(context: dg.AssetExecutionContext, raw: RawFolder,
              warehouse: WarehouseResource) -> dg.MaterializeResult:
    from warehouse.load import load_reference, replace_issues

    raw.require_layout()
    try:
        ref = read_reference(raw.reference_dir)
    except (BadReference, FileNotFoundError) as e:
        raise dg.Failure(description=f"reference data unusable: {e}") from e
    engine = warehouse.get_engine()
    load_reference(engine, ref.districts, ref.metrics, ref.lineage, ref.split_weights,
                   revisions=ref.revisions)
    replace_issues(engine, "reference", ref.weight_issues)  # unusable split_weights.csv rows
    # a bad row of plan_revisions.csv is an issue row, the good rows are used
    replace_issues(engine, "reference:plan_revisions", ref.revision_issues)
    for issue in ref.revision_issues:
        context.log.warning(f"{issue.source_file} {issue.location}: {issue.reason}")
    for event in table_materializations("reference", engine):  # each table in the lineage
        context.log_event(event)
    frame = pd.DataFrame(
        [
            {"district_code": d.code, "district_name": d.name, "district_type": d.district_type,
             "valid_from": d.valid_from, "valid_to": d.valid_to, "aliases": "|".join(d.aliases)}
            for d in ref.districts
        ]
    )
    return dg.MaterializeResult(
        metadata={
            "districts": len(ref.districts),
            "metrics": len(ref.metrics),
            "indicator_mappings": len(ref.indicator_metrics),
            "lineage_links": len(ref.lineage),
            "split_weights": len(ref.split_weights),
            "split_weight_issues": len(ref.weight_issues),
            "plan_revisions": len(ref.revisions),
            **table_metadata(frame, rows=30),
        }
    )
