"""Every warehouse table as its own node in Dagster's lineage, so the star schema can be
read from the asset graph like a catalog.

Four tables are assets already (fct_district_stat, fct_attainment, fct_attainment_as_of,
ingest_issues). The others are written together by one asset: ``reference`` writes
dim_district, dim_metric and ref_plan_revision, ``plan_tables`` writes dim_plan,
dim_indicator and fct_target, ``fct_district_stat`` writes stat_vintage (its vintages); dim_year
follows the loads. :func:`table_specs` gives each of them an :class:`dagster.AssetSpec`
downstream of the asset that writes it, with the table's comment as its description and
its columns (types and comments from warehouse.schema) as ``dagster/column_schema``;
``v_attainment`` (the view analysts read) hangs below fct_attainment and the tables it
joins. :func:`table_materializations` gives the events a writer logs so that each table
shows its row count and when it last changed.

Wiring (pipelines/definitions.py, lists in pipelines/graph.py): ``assets=[*ALL_ASSETS, *table_specs()]``; in a
writer, after its load: ``for event in table_materializations("plan_tables", engine):
context.log_event(event)``.
"""

from __future__ import annotations

import dagster as dg

from pipelines.assets.common import OWNERS

# writer asset -> the warehouse tables it writes (and that have no asset of their own)
TABLE_WRITERS: dict[str, list[str]] = {
    "reference": ["dim_district", "dim_metric", "bridge_district_lineage", "ref_split_weight",
                  "ref_plan_revision"],
    "fct_district_stat_restated": ["fct_district_stat_restatement", "ref_restate_unchanged",
                                   "fct_attainment_restated"],
    "plan_tables": ["dim_plan", "dim_indicator", "fct_target"],
    "fct_district_stat": ["stat_vintage"],
}
# tables kept in step by several loads: downstream of all their writers
SHARED_TABLES: dict[str, list[str]] = {"dim_year": ["reference", "plan_tables",
                                                    "fct_district_stat"]}
VIEW = "v_attainment"
VIEW_DEPS = ["fct_attainment", "dim_plan", "dim_indicator", "dim_district", "fct_target"]
GROUP = "warehouse_tables"
_OWNED = {"owners": OWNERS, "tags": {"domain": "warehouse"}}


def _schema(table_name: str) -> dg.TableSchema:
    from pipelines.metadata import warehouse_columns

    cols = warehouse_columns()[table_name]
    return dg.TableSchema(columns=[
        dg.TableColumn(name=name, type=kind, description=comment or None)
        for name, (kind, comment) in cols.items()
    ])


def _comment(table_name: str) -> str:
    from warehouse.schema import metadata

    return metadata.tables[table_name].comment or table_name


def table_specs() -> list[dg.AssetSpec]:
    """An AssetSpec per warehouse table written by another asset, and one for the view."""
    specs = []
    for writer, tables in TABLE_WRITERS.items():
        for name in tables:
            specs.append(dg.AssetSpec(
                key=name, deps=[writer], group_name=GROUP, kinds={"sql", "table"}, **_OWNED,
                description=f"{_comment(name)}. Written by `{writer}`.",
                metadata={"dagster/column_schema": _schema(name), "written_by": writer},
            ))
    for name, writers in SHARED_TABLES.items():
        specs.append(dg.AssetSpec(
            key=name, deps=writers, group_name=GROUP, kinds={"sql", "table"}, **_OWNED,
            description=f"{_comment(name)}. Kept in step by {', '.join(writers)}.",
            metadata={"dagster/column_schema": _schema(name)},
        ))
    specs.append(dg.AssetSpec(
        key=VIEW, deps=VIEW_DEPS, group_name=GROUP, kinds={"sql", "view"}, **_OWNED,
        description="The view analysts read: one row per indicator x district x year, each "
                    "plan once (a second rendering of a document is left out), with names "
                    "and the target as written; a revised target as in force for the year "
                    "(every version: v_attainment_versions).",
    ))
    return specs


def table_materializations(writer: str, engine) -> list[dg.AssetMaterialization]:
    """What ``writer`` logs after its load: one materialization per table it wrote, with
    the table's row count."""
    import sqlalchemy as sa

    events = []
    with engine.connect() as cx:
        for name in TABLE_WRITERS.get(writer, []):
            n = cx.execute(sa.text(f"SELECT COUNT(*) FROM {name}")).scalar() or 0
            events.append(dg.AssetMaterialization(
                asset_key=name, metadata={"dagster/row_count": dg.MetadataValue.int(int(n))}))
    return events
