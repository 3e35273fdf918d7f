"""Every warehouse table is a node of the asset graph, downstream of the asset writing it."""

from __future__ import annotations

import dagster as dg

from pipelines.graph import ALL_ASSETS
from pipelines.table_assets import TABLE_WRITERS, VIEW, table_specs
from warehouse.schema import metadata


def test_star_schema_in_the_graph():
    from pipelines.resources import default_resources

    graph = dg.Definitions(assets=[*ALL_ASSETS, *table_specs()],
                           resources=default_resources("raw", "duckdb:///:memory:"),
                           ).resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    internal = {"load_log"}  # fingerprints of loads, not data people read
    assert {t.name for t in metadata.sorted_tables} - internal <= keys
    assert VIEW in keys
    for writer, tables in TABLE_WRITERS.items():
        for name in tables:
            parents = {p.to_user_string() for p in graph.get(dg.AssetKey(name)).parent_keys}
            assert parents == {writer}
    view_parents = {p.to_user_string() for p in graph.get(dg.AssetKey(VIEW)).parent_keys}
    assert {"fct_attainment", "dim_district", "dim_indicator"} <= view_parents


def test_table_specs_read_like_a_catalog():
    spec = next(s for s in table_specs() if s.key.to_user_string() == "fct_target")
    cols = {c.name: c for c in spec.metadata["dagster/column_schema"].columns}
    table = metadata.tables["fct_target"]
    assert set(cols) == set(table.c.keys())
    assert cols["year"].type == "integer" and cols["target_value"].type == "float"
    assert all(cols[c.name].description == c.comment for c in table.c if c.comment)
    assert table.comment in spec.description


def test_jobs_still_resolve_with_the_table_nodes():
    """The table nodes are not executable: the jobs keep exactly their own assets."""
    from pipelines.jobs import ALL_JOBS
    from pipelines.resources import default_resources

    defs = dg.Definitions(assets=[*ALL_ASSETS, *table_specs()], jobs=ALL_JOBS,
                          resources=default_resources("raw", "duckdb:///:memory:"))
    dg.Definitions.validate_loadable(defs)
    tables = {s.key for s in table_specs()}
    for job in ALL_JOBS:
        keys = set(defs.get_job_def(job.name).asset_layer.executable_asset_keys)
        assert keys and not keys & tables, job.name
