"""nightly_refresh: 02:00 Asia/Shanghai; statistics, one run over the changed plan
partitions (a partition range), refresh.

The scheduler daemon launches every RunRequest of a schedule against the schedule's own
job (RunRequest.job_name is ignored for schedules), so the requests must name their assets
with ``asset_selection`` over that job; these tests hold that.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from pipelines.definitions import defs
from pipelines.jobs import plan_job, refresh_job, stats_job
from pipelines.resources import RawFolder, WarehouseResource
from pipelines.schedules import job_asset_keys
from pipelines.sensors import PRIORITY_TAG
from tests.test_sensors import files_of

SHANGHAI_2AM = datetime(2026, 3, 1, 2, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture()
def raw(tmp_path) -> Path:
    plans = tmp_path / "raw" / "plans"
    plans.mkdir(parents=True)
    for name in ("十三五规划.docx", "b.pdf"):
        (plans / name).write_bytes(b"doc")
    return tmp_path / "raw"


@pytest.fixture(scope="module")
def instance():
    """One persistent test instance (build_schedule_context needs an instance ref)."""
    with dg.instance_for_test() as inst:
        yield inst


def evaluate(instance, raw: Path, partitions: list[str]) -> list[dg.RunRequest]:
    for key in instance.get_dynamic_partitions("plan_files"):
        instance.delete_dynamic_partition("plan_files", key)
    if partitions:
        instance.add_dynamic_partitions("plan_files", partitions)
    schedule = defs.resolve_schedule_def("nightly_refresh")
    # as a context manager: the context opens its own instance from the ref and must close
    # it (else Dagster's current defs-state storage keeps pointing at a dead instance)
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=SHANGHAI_2AM,
        resources={"raw": RawFolder(path=str(raw)),
                   "warehouse": WarehouseResource(url=f"duckdb:///{raw.parent / 'wh.duckdb'}")},
        repository_def=defs.get_repository_def(),
    ) as ctx:
        data = schedule.evaluate_tick(ctx)
    assert data.skip_message is None
    return list(data.run_requests)


def test_schedule_definition_validates_and_runs_daily_at_2_in_shanghai():
    dg.Definitions.validate_loadable(defs)
    schedule = defs.resolve_schedule_def("nightly_refresh")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    # its target job resolves and covers every asset
    job = defs.resolve_job_def(schedule.job_name)
    graph = defs.resolve_asset_graph()
    assert set(job.asset_layer.selected_asset_keys) == set(graph.materializable_asset_keys)


def test_tick_yields_stats_then_one_run_over_the_plans_then_refresh(instance, raw):
    order = ["十三五规划.docx", "b.pdf"]
    requests = evaluate(instance, raw, order)
    assert len(requests) == 3
    stats, *plans, refresh = requests
    assert set(stats.asset_selection) == set(job_asset_keys(stats_job))
    assert stats.partition_key is None
    assert [files_of(r, order) for r in plans] == [order]
    for r in plans:
        assert set(r.asset_selection) == set(job_asset_keys(plan_job))
    assert set(refresh.asset_selection) == set(job_asset_keys(refresh_job))
    assert refresh.partition_key is None
    assert len({r.run_key for r in requests}) == len(requests)
    assert all(r.run_key.endswith("2026-03-01") for r in requests)
    prio = [int(r.tags[PRIORITY_TAG]) for r in requests]
    assert prio == sorted(prio, reverse=True) and prio[0] > prio[-1]
    assert all(r.tags.get("dagster/schedule_name") == "nightly_refresh" for r in requests)


def test_requests_are_valid_subsets_of_the_schedule_job(instance, raw):
    """What the daemon does with each request: subset the schedule's job by its assets."""
    job = defs.resolve_job_def(defs.resolve_schedule_def("nightly_refresh").job_name)
    requests = evaluate(instance, raw, ["b.pdf"])
    for r in requests:
        sub = job.get_subset(asset_selection=set(r.asset_selection))
        assert set(sub.asset_layer.selected_asset_keys) == set(r.asset_selection)
        assert r.partition_key is None
    assert [files_of(r, ["b.pdf"]) for r in requests
            if "dagster/asset_partition_range_start" in r.tags] == [["b.pdf"]]


def test_partitions_without_a_file_are_skipped(instance, raw):
    order = ["b.pdf", "deleted.docx"]
    requests = evaluate(instance, raw, order)
    assert [files_of(r, order) for r in requests
            if "dagster/asset_partition_range_start" in r.tags] == [["b.pdf"]]


def test_no_plans_still_refreshes_stats_and_warehouse(instance, raw):
    requests = evaluate(instance, raw, [])
    assert [r.run_key.split(":")[0] for r in requests] == ["stats", "refresh"]


def test_plans_the_warehouse_holds_get_no_run(instance, raw):
    """A plan partition the warehouse recorded as done from the same file, reference data
    and code version is left out; the other one still runs."""
    import hashlib

    from extractors.records import IngestIssue
    from pipelines.incremental import plan_fingerprint, record_plan, reference_hash
    from warehouse.load import replace_issues
    from warehouse.schema import create_schema, make_engine

    engine = make_engine(f"duckdb:///{raw.parent / 'wh.duckdb'}")
    try:
        create_schema(engine)
        sha = hashlib.sha256((raw / "plans" / "b.pdf").read_bytes()).hexdigest()
        record_plan(engine, "b.pdf", plan_fingerprint(sha, reference_hash(raw / "reference")), 0)
        replace_issues(engine, "plan:b.pdf",
                       [IngestIssue("b.pdf", "document", "error", "unreadable", check="x")])
    finally:
        engine.dispose()
    order = ["十三五规划.docx", "b.pdf"]
    requests = evaluate(instance, raw, order)
    assert [files_of(r, order) for r in requests
            if "dagster/asset_partition_range_start" in r.tags] == [["十三五规划.docx"]]
