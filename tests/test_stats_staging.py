"""district_stats -> fct_district_stat through a staging table in the warehouse, on DuckDB
and PostgreSQL: the suite runs there, a bad row is quarantined and named, a held-back file
keeps its rows, and only a small handle (a table name) passes between the assets."""

from __future__ import annotations

import pickle
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from tests.helpers import RAW, copy_raw

SEED = RAW / "stats" / "hangzhou-elderly-care-2016-2020.csv"
BAD = "bad.csv"
# 覆盖率 in % at 130: passes the reader, fails district_stats.ratio_within_plausible_range
BAD_ROWS = "地区,年份,指标,数值,单位\n上城区,2016,居家养老服务照料中心覆盖率,130,%\n"


def _materialise(raw: Path, url: str, instance):
    from pipelines.definitions import ALL_ASSETS
    from pipelines.jobs import stats_job
    from pipelines.resources import default_resources

    return dg.materialize(ALL_ASSETS, selection=stats_job.selection,
                          resources=default_resources(str(raw), url), instance=instance)


def _query(url: str, sql: str, **params) -> list:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as cx:
            return cx.execute(sa.text(sql), params).fetchall()
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _scenario(tmp_path: Path, url: str, monkeypatch):
    monkeypatch.chdir(tmp_path)
    raw = copy_raw(tmp_path / "raw", plans=False, stats=True)
    (raw / "stats" / BAD).write_text(BAD_ROWS, encoding="utf-8")
    with dg.instance_for_test() as instance:
        result = _materialise(raw, url, instance)
        assert result.success
        handle = result.output_for_node("district_stats")
        # the hand-over is a handle naming a staging table, not a frame of the rows
        assert not isinstance(handle, pd.DataFrame)
        assert handle.table.startswith("stg_district_stat_") and handle.rows > 100
        assert len(pickle.dumps(handle)) < 10_000
        mat = next(e for e in result.get_asset_materialization_events()
                   if e.asset_key == dg.AssetKey("district_stats"))
        meta = mat.step_materialization_data.materialization.metadata
        assert meta["staging_table"].value == handle.table
        assert meta["dagster/row_count"].value == handle.rows
        assert meta["quarantined_rows"].value == 1
        # the check saw the suite (a warning only: the bad row was quarantined)
        (check,) = [c for c in result.get_asset_check_evaluations()
                    if c.check_name == "district_stats_quality"]
        assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
        # loaded from the stage, which is gone afterwards
        assert handle.table not in _tables(url)
        # current rows (a shared PostgreSQL database may hold closed versions of before)
        loaded = _query(url, "SELECT COUNT(*) FROM fct_district_stat "
                             "WHERE valid_to IS NULL")[0][0]
        assert loaded == handle.rows
        assert _query(url, "SELECT COUNT(*) FROM fct_district_stat WHERE source_file = :f",
                      f=BAD) == [(0,)]
        issues = _query(url, "SELECT source_file, location, severity, check_name, reason "
                             "FROM ingest_issues WHERE scope = 'stats' AND source_file = :f",
                        f=BAD)
        assert [(i[0], i[2], i[3]) for i in issues] == [
            (BAD, "error", "district_stats.ratio_within_plausible_range")]
        assert issues[0][1] and "value=130" in issues[0][4]

        # a second run: the seed file cut at a row boundary is held back, its rows kept
        before = _query(url, "SELECT COUNT(*) FROM fct_district_stat WHERE source_file = :f "
                             "AND valid_to IS NULL", f=SEED.name)[0][0]
        lines = SEED.read_bytes().splitlines(keepends=True)
        (raw / "stats" / SEED.name).write_bytes(b"".join(lines[: len(lines) // 3]))
        assert _materialise(raw, url, instance).success
        assert _query(url, "SELECT COUNT(*) FROM fct_district_stat WHERE source_file = :f "
                           "AND valid_to IS NULL", f=SEED.name)[0][0] == before
        held = _query(url, "SELECT reason FROM ingest_issues WHERE check_name = 'held_back'")
        assert len(held) == 1 and "held back whole" in held[0][0]
        assert not {t for t in _tables(url) if t.startswith("stg_district_stat_")}


def test_staged_statistics_on_duckdb(tmp_path, monkeypatch, duckdb_url):
    _scenario(tmp_path, duckdb_url, monkeypatch)


def test_staged_statistics_on_postgres(tmp_path, monkeypatch, pg_url):
    _scenario(tmp_path, pg_url, monkeypatch)


@pytest.mark.parametrize("engine_name", ["duckdb", "postgresql"])
def test_leftover_stage_of_a_finished_run_is_dropped(tmp_path, monkeypatch, engine_name,
                                                     request):
    """A run whose load was blocked leaves its stage; the next run drops it."""
    from pipelines.assets.stats import drop_stale_stages, staging_table
    from warehouse.schema import make_engine

    url = request.getfixturevalue("duckdb_url" if engine_name == "duckdb" else "pg_url")
    engine = make_engine(url)
    try:
        old = staging_table("0f0e0d0c-0b0a-0908-0706-050403020100")
        live = staging_table("live-run")
        with engine.begin() as cx:
            for t in (old, live):
                cx.exec_driver_sql(f"CREATE TABLE {t} (x INTEGER)")
        with dg.instance_for_test() as instance:  # neither run is known: both are over
            drop_stale_stages(engine, instance, keep=live)
        names = set(sa.inspect(engine).get_table_names())
        assert old not in names and live in names
        with engine.begin() as cx:
            cx.exec_driver_sql(f"DROP TABLE {live}")
    finally:
        engine.dispose()
