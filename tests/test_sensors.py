"""raw_files_sensor: partitions follow raw/plans, run keys follow file content.

Each tick goes through the real sensor definition (`dg.build_sensor_context`); the
dynamic-partition requests of a tick are applied to the instance before the next one, as
the sensor daemon does.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import dagster as dg
import pytest

import pipelines.sensors as sensors
from pipelines.assets.plans import plan_files
from pipelines.incremental import RANGE_END_TAG, RANGE_START_TAG, pairs_hash
from pipelines.jobs import plan_job, refresh_job, stats_job
from pipelines.resources import RawFolder, WarehouseResource
from pipelines.sensors import evaluate, raw_files_sensor
from tests.helpers import RAW, copy_raw, materialise_graph


class Ticker:
    """Runs sensor ticks against one instance, carrying the cursor over."""

    def __init__(self, raw: Path, instance: dg.DagsterInstance | None = None):
        self.raw = raw
        self.instance = instance or dg.DagsterInstance.ephemeral()
        self.cursor: str | None = None

    def tick(self) -> dg.SensorResult:
        # a warehouse that does not exist yet: it knows of no plan done
        url = f"duckdb:///{self.raw.parent / 'none.duckdb'}"
        with dg.build_sensor_context(instance=self.instance, cursor=self.cursor,
                                     resources={"raw": RawFolder(path=str(self.raw)),
                                                "warehouse": WarehouseResource(url=url)}) as ctx:
            result = raw_files_sensor(ctx)
        assert isinstance(result, dg.SensorResult)
        for req in result.dynamic_partitions_requests or []:
            if isinstance(req, dg.AddDynamicPartitionsRequest):
                self.instance.add_dynamic_partitions(req.partitions_def_name, list(req.partition_keys))
            else:
                for key in req.partition_keys:
                    self.instance.delete_dynamic_partition(req.partitions_def_name, key)
        self.cursor = result.cursor
        return result

    @property
    def partitions(self) -> set[str]:
        return set(self.instance.get_dynamic_partitions(plan_files.name))

    @property
    def ordered(self) -> list[str]:
        return list(self.instance.get_dynamic_partitions(plan_files.name))


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def plan_runs(result: dg.SensorResult) -> list[dg.RunRequest]:
    return [r for r in result.run_requests if r.job_name == plan_job.name]


def files_of(run: dg.RunRequest, order) -> list[str]:
    """The plan files a run over a partition range reads (``order``: the partitions in the
    instance's order)."""
    order = list(order)
    first, last = run.tags[RANGE_START_TAG], run.tags[RANGE_END_TAG]
    assert run.partition_key is None  # a range, not one partition
    return order[order.index(first):order.index(last) + 1]


def plan_key(*files: tuple[str, bytes]) -> str:
    """The run key of a run over these (name, content) files."""
    return "plans:" + pairs_hash((n, hashlib.sha256(c).hexdigest()) for n, c in files)[:16]


def jobs_of(result: dg.SensorResult) -> list[str]:
    return [r.job_name for r in result.run_requests]


@pytest.fixture()
def raw(tmp_path) -> Path:
    root = tmp_path / "raw"
    for sub in ("plans", "stats", "reference"):
        (root / sub).mkdir(parents=True)
    (root / "reference" / "metrics.csv").write_text("metric_code,name\n")
    (root / "stats" / "s.csv").write_text("district,year,metric,value\n")
    return root


def test_new_file_adds_partition_and_requests_its_run(raw):
    t = Ticker(raw)
    t.tick()  # settles the stats/reference baseline
    doc = raw / "plans" / "养老规划.docx"
    doc.write_bytes(b"plan v1")

    result = t.tick()
    adds = [r for r in result.dynamic_partitions_requests
            if isinstance(r, dg.AddDynamicPartitionsRequest)]
    assert len(adds) == 1 and list(adds[0].partition_keys) == ["养老规划.docx"]
    assert adds[0].partitions_def_name == plan_files.name
    [run] = plan_runs(result)
    assert files_of(run, t.ordered) == ["养老规划.docx"]
    assert run.run_key == plan_key(("养老规划.docx", b"plan v1"))
    assert jobs_of(result)[-1] == refresh_job.name  # the refresh comes last
    assert t.partitions == {"养老规划.docx"}


def test_same_file_again_requests_nothing(raw):
    t = Ticker(raw)
    (raw / "plans" / "a.pdf").write_bytes(b"A")
    first = t.tick()
    assert set(jobs_of(first)) == {stats_job.name, plan_job.name, refresh_job.name}

    again = t.tick()
    assert again.run_requests == []
    assert not again.dynamic_partitions_requests
    # touching a file without changing it re-hashes it but requests nothing
    os.utime(raw / "plans" / "a.pdf", ns=(1, 1))
    assert t.tick().run_requests == []


def test_changed_content_gets_a_new_run_key(raw):
    t = Ticker(raw)
    doc = raw / "plans" / "a.docx"
    doc.write_bytes(b"version 1")
    [first] = plan_runs(t.tick())
    doc.write_bytes(b"version 2, longer")

    result = t.tick()
    [second] = plan_runs(result)
    assert second.run_key == plan_key(("a.docx", b"version 2, longer")) != first.run_key
    assert files_of(second, t.ordered) == ["a.docx"]
    assert not result.dynamic_partitions_requests  # same partition
    assert jobs_of(result) == [plan_job.name, refresh_job.name]


def test_deleted_file_removes_partition_and_requests_refresh(raw):
    t = Ticker(raw)
    (raw / "plans" / "a.docx").write_bytes(b"A")
    (raw / "plans" / "b.pdf").write_bytes(b"B")
    t.tick()
    (raw / "plans" / "a.docx").unlink()

    result = t.tick()
    [delete] = result.dynamic_partitions_requests
    assert isinstance(delete, dg.DeleteDynamicPartitionsRequest)
    assert list(delete.partition_keys) == ["a.docx"]
    assert jobs_of(result) == [refresh_job.name]
    assert t.partitions == {"b.pdf"}


def test_redropped_or_reverted_file_is_not_skipped(raw):
    """Dagster never launches a run key twice: a file dropped again with the same content,
    or reverted to an earlier version, needs a key it has not had before."""
    t = Ticker(raw)
    doc = raw / "plans" / "a.docx"
    doc.write_bytes(b"v1")
    keys = [r.run_key for r in plan_runs(t.tick())]
    doc.unlink()
    t.tick()
    doc.write_bytes(b"v1")
    keys += [r.run_key for r in plan_runs(t.tick())]
    doc.write_bytes(b"v2 changed")
    keys += [r.run_key for r in plan_runs(t.tick())]
    doc.write_bytes(b"v1")
    keys += [r.run_key for r in plan_runs(t.tick())]
    k1 = plan_key(("a.docx", b"v1"))
    assert keys == [k1, f"{k1}:r1", plan_key(("a.docx", b"v2 changed")), f"{k1}:r2"]
    assert len(set(keys)) == len(keys)


def test_stats_and_reference_changes_rerun_stats_job(raw):
    t = Ticker(raw)
    t.tick()
    (raw / "stats" / "more.xlsx").write_bytes(b"xlsx")
    assert jobs_of(t.tick()) == [stats_job.name, refresh_job.name]
    (raw / "reference" / "metrics.csv").write_text("metric_code,name\nx,y\n")
    assert jobs_of(t.tick()) == [stats_job.name, refresh_job.name]
    assert t.tick().run_requests == []


def test_runs_are_queued_in_dependency_order(raw):
    (raw / "plans" / "a.docx").write_bytes(b"A")
    result = Ticker(raw).tick()
    prio = {r.job_name: int(r.tags[sensors.PRIORITY_TAG]) for r in result.run_requests}
    assert prio[stats_job.name] > prio[plan_job.name] > prio[refresh_job.name]


def test_hidden_and_unrelated_files_are_ignored(raw):
    t = Ticker(raw)
    t.tick()
    (raw / "plans" / "~$a.docx").write_bytes(b"lock")
    (raw / "plans" / ".a.pdf").write_bytes(b"hidden")
    (raw / "plans" / "notes.txt").write_bytes(b"txt")
    assert t.tick().run_requests == []


def test_second_tick_over_1000_files_rehashes_nothing(raw, monkeypatch):
    """The tick-time goal (well under 60 s for 1,000 files) rests on this: an unchanged
    file is only stat()ed, never read. Timing itself belongs in bench/, not here."""
    plans = raw / "plans"
    for i in range(1000):
        (plans / f"plan-{i:04d}.pdf").write_bytes(f"document {i}".encode())
    calls: list[str] = []
    real = sensors.file_sha256

    def counting(path):
        calls.append(path.name)
        return real(path)

    monkeypatch.setattr(sensors, "file_sha256", counting)
    t = Ticker(raw)
    first = t.tick()
    assert len(calls) == 1000 + 2  # plans, plus the stats and reference file
    [run] = plan_runs(first)  # one run over the range of all 1,000 new files
    assert files_of(run, t.ordered) == sorted(t.partitions) and len(t.partitions) == 1000

    calls.clear()
    second = t.tick()
    assert calls == []
    assert second.run_requests == []

    (plans / "plan-0007.pdf").write_bytes(b"changed")
    third = t.tick()
    assert calls == ["plan-0007.pdf"]
    assert [files_of(r, t.ordered) for r in plan_runs(third)] == [["plan-0007.pdf"]]

    for name in ("plan-0003.pdf", "plan-0005.pdf"):  # unchanged plan-0004 between: two runs
        (plans / name).write_bytes(b"changed too")
    fourth = t.tick()
    assert [files_of(r, t.ordered) for r in plan_runs(fourth)] == [["plan-0003.pdf"],
                                                                  ["plan-0005.pdf"]]


def test_evaluate_is_usable_without_dagster_context(raw):
    (raw / "plans" / "a.docx").write_bytes(b"A")
    result, cursor = evaluate(RawFolder(path=str(raw)), None, set())
    state = json.loads(cursor)
    assert set(state["plans"]) == {"a.docx"}
    result2, cursor2 = evaluate(RawFolder(path=str(raw)), cursor, {"a.docx"})
    assert result2.run_requests == [] and cursor2 == cursor


# --- through the real pipeline: a deleted plan's rows leave the warehouse -----------------

def _plan_sources() -> list[Path]:
    plans = RAW / "plans"
    return sorted((p for p in plans.glob("*") if p.suffix.lower() in (".docx", ".pdf")),
                  key=lambda p: p.stat().st_size) if plans.is_dir() else []


def test_deleted_plan_leaves_the_warehouse_after_refresh(tmp_path, monkeypatch):
    sources = _plan_sources()
    assert sources and any((RAW / "stats").glob("*.csv")), "raw/ sample data missing"
    import sqlalchemy as sa

    from pipelines.graph import ALL_ASSETS
    from pipelines.launch import classify
    from pipelines.resources import default_resources
    from warehouse.schema import make_engine

    raw = copy_raw(tmp_path / "raw", plans=sources[:2])  # the two smallest: a quick test
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    monkeypatch.chdir(tmp_path)  # the report asset writes below data/

    t = Ticker(raw)
    first = t.tick()
    materialise_graph(raw, url, t.instance,
                      [n for r in plan_runs(first) for n in files_of(r, t.ordered)],
                      raise_on_error=False)

    # the warehouse's own connection settings: DuckDB refuses a second in-process
    # connection to one file with other settings (memory_limit, threads)
    engine = make_engine(url)
    try:
        with engine.connect() as c:
            loaded = [r[0] for r in c.execute(sa.text("SELECT source_file FROM dim_plan"))]
        assert loaded, "no plan of raw/plans loaded (all quarantined)"
        victim = loaded[0]
        before = _rows_of(engine, victim)
        assert before[0] == 1 and before[1] > 0
        (raw / "plans" / victim).unlink()

        result = t.tick()
        deletes = [r for r in result.dynamic_partitions_requests
                   if isinstance(r, dg.DeleteDynamicPartitionsRequest)]
        assert [list(d.partition_keys) for d in deletes] == [[victim]]
        assert [r.job_name for r in result.run_requests] == [refresh_job.name]
        assert victim not in t.partitions
        refresh = dg.materialize(ALL_ASSETS, selection=refresh_job.selection,
                                 resources=default_resources(str(raw), url),
                                 instance=t.instance, raise_on_error=False)
        outcome = classify("refresh", refresh)
        assert outcome.failed == []  # a quarantined check is allowed, a failed step is not

        plans, targets, orphans = _rows_of(engine, victim)
        assert plans == 0 and targets == 0 and orphans == 0
    finally:
        engine.dispose()


def _rows_of(engine, source_file: str) -> tuple[int, int, int]:
    """dim_plan rows and fct_target rows of one plan file, and fct_target orphans."""
    import sqlalchemy as sa

    with engine.connect() as c:
        plans = c.execute(sa.text("SELECT COUNT(*) FROM dim_plan WHERE source_file = :f"),
                          {"f": source_file}).scalar()
        targets = c.execute(sa.text(
            "SELECT COUNT(*) FROM fct_target t JOIN dim_indicator i "
            "ON i.indicator_id = t.indicator_id JOIN dim_plan p ON p.plan_id = i.plan_id "
            "WHERE p.source_file = :f"), {"f": source_file}).scalar()
        orphans = c.execute(sa.text(
            "SELECT COUNT(*) FROM fct_target WHERE indicator_id NOT IN "
            "(SELECT indicator_id FROM dim_indicator)")).scalar()
    return plans, targets, orphans


def test_a_vanished_raw_folder_skips_the_tick(raw):
    """raw/plans gone (an unmounted share, a wrong path): the sensor removes no partition
    and requests no run; the cursor is kept, so the folder's return changes nothing."""
    import shutil

    t = Ticker(raw)
    (raw / "plans" / "a.docx").write_bytes(b"a")
    t.tick()
    assert t.partitions == {"a.docx"}
    cursor = t.cursor
    shutil.rmtree(raw / "plans")
    result = t.tick()
    assert result.run_requests == [] and not result.dynamic_partitions_requests
    assert "plans/ missing" in result.skip_reason.skip_message
    assert t.partitions == {"a.docx"} and t.cursor == cursor
    (raw / "plans").mkdir()
    (raw / "plans" / "a.docx").write_bytes(b"a")
    assert t.tick().run_requests == []  # back as it was: nothing to do
