"""The Dagster definitions load without error and hold the whole graph."""

import dagster as dg

from pipelines.definitions import build_definitions, defs
from tests.helpers import ASSETS, CHECKS, GROUPS


def test_definitions_load_without_error():
    dg.Definitions.validate_loadable(defs)
    repo = defs.get_repository_def()  # builds every job, schedule and sensor
    assert {j.name for j in repo.get_all_jobs()} >= {"plan_job", "stats_job", "refresh_job"}


def test_every_asset_is_described_grouped_and_owned():
    specs = {s.key.to_user_string(): s for s in defs.resolve_all_asset_specs()}
    assert set(specs) == ASSETS
    assert {s.group_name for s in specs.values()} == GROUPS
    for key, spec in specs.items():
        assert spec.description, key
        assert spec.owners, key
        assert spec.tags.get("domain"), key


def test_plan_assets_are_dynamic_partitions_and_checks_block():
    graph = defs.resolve_asset_graph()
    for key in ("plan_targets", "plan_tables"):
        pdef = graph.get(dg.AssetKey(key)).partitions_def
        assert isinstance(pdef, dg.DynamicPartitionsDefinition) and pdef.name == "plan_files"
    checks = {k.name: graph.get_check_spec(k) for k in graph.asset_check_keys}
    assert set(checks) == CHECKS
    assert checks["targets_quality"].blocking and checks["district_stats_quality"].blocking


def test_schedule_and_sensor_are_on_by_default():
    repo = defs.get_repository_def()
    schedule = repo.get_schedule_def("nightly_refresh")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    sensor = repo.get_sensor_def("raw_files_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.minimum_interval_seconds < 60


def test_resources_follow_arguments_over_environment(monkeypatch):
    monkeypatch.setenv("PLANWH_WAREHOUSE_URL", "duckdb:///elsewhere.duckdb")
    d = build_definitions(raw="/tmp/raw-x", warehouse_url="duckdb:///chosen.duckdb")
    res = d.resources
    assert res["raw"].path == "/tmp/raw-x"
    assert res["warehouse"].url == "duckdb:///chosen.duckdb"
