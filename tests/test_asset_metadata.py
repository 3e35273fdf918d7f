"""What the Dagster UI shows: per-plan partition metadata and the attainment heatmap."""

import base64
import io
import os
import re

import dagster as dg
import pytest
from PIL import Image

from pipelines.table_assets import TABLE_WRITERS
from tests.helpers import RAW, copy_raw, materialise_graph


@pytest.fixture(scope="module")
def materialised(tmp_path_factory):
    work = tmp_path_factory.mktemp("assets")
    docx = next((RAW / "plans").glob("*.docx"))
    raw = copy_raw(work / "raw", plans=[docx])
    old = os.getcwd()
    os.chdir(work)  # the report asset writes below data/
    try:
        results = materialise_graph(raw, f"duckdb:///{work / 'wh.duckdb'}",
                                    dg.DagsterInstance.ephemeral(), [docx.name])
    finally:
        os.chdir(old)
    results["plan"] = results.pop(f"plan:{docx.name}")
    return docx, results


def metadata_of(result, asset: str) -> dict:
    (mat,) = result.asset_materializations_for_node(asset)
    return mat.metadata


def test_plan_partition_shows_file_hash_counts(materialised):
    docx, results = materialised
    meta = metadata_of(results["plan"], "plan_targets")
    assert meta["file"].value == docx.name
    assert re.fullmatch(r"[0-9a-f]{64}", meta["sha256"].value)
    assert meta["plan_tables"].value == 2 and meta["records"].value == 26
    assert meta["issues"].value == 0
    assert meta["dagster/row_count"].value == 26
    assert "dagster/column_schema" in meta and "|" in meta["preview"].value


def test_fct_attainment_carries_a_decodable_png(materialised):
    _, results = materialised
    meta = metadata_of(results["refresh"], "fct_attainment")
    m = re.search(r"data:image/png;base64,([A-Za-z0-9+/=]+)", meta["heatmap"].value)
    assert m, "no PNG in the heatmap metadata"
    image = Image.open(io.BytesIO(base64.b64decode(m.group(1))))
    image.verify()
    assert image.format == "PNG" and image.size[0] > 200 and image.size[1] > 200
    assert meta["dagster/row_count"].value > 0


TABLE_NODES = {name for names in TABLE_WRITERS.values() for name in names}


def test_every_materialised_asset_has_row_count_schema_and_preview(materialised):
    _, results = materialised
    for result in results.values():
        for mat in result.get_asset_materialization_events():
            meta = mat.materialization.metadata
            key = mat.asset_key.to_user_string()
            assert "dagster/row_count" in meta, key
            if key in TABLE_NODES:  # a table its writer reports: schema on its spec
                continue
            assert "dagster/column_schema" in meta and "preview" in meta, key
