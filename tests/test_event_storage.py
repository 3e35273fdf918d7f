"""pipelines.event_storage: Dagster's SQLite event log written in batches must answer every
question the default storage answers (materialised partitions, latest materialisation and its
metadata per partition, asset records, run events), with far fewer transactions."""

import os
import shutil
from pathlib import Path

import pytest

dg = pytest.importorskip("dagster")
pytestmark = pytest.mark.e2e  # a Dagster instance on disk (main's test tiers)

ROOT = Path(__file__).resolve().parent.parent
KEYS = [f"plan_{i:03d}.docx" for i in range(12)]
parts = dg.DynamicPartitionsDefinition(name="bench_files")


@dg.asset(partitions_def=parts)
def per_file(context) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={
        key: dg.MetadataValue.int(len(key)) for key in context.partition_keys})


def _instance(tmp_path: Path, batched: bool, monkeypatch) -> dg.DagsterInstance:
    home = tmp_path / ("batched" if batched else "default")
    home.mkdir()
    if batched:
        shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return dg.DagsterInstance.from_config(str(home))


def _run(instance: dg.DagsterInstance) -> str:
    instance.add_dynamic_partitions(parts.name, KEYS)
    result = dg.materialize(
        [per_file], instance=instance,
        tags={"dagster/asset_partition_range_start": KEYS[0],
              "dagster/asset_partition_range_end": KEYS[-1]})
    assert result.success
    return result.run_id


def _answers(instance: dg.DagsterInstance, run_id: str) -> dict:
    key = dg.AssetKey("per_file")
    latest = {}
    for pk in KEYS:
        record = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[pk]), limit=1).records[0]
        mat = record.asset_materialization
        latest[pk] = (mat.partition, {k: v.value for k, v in mat.metadata.items()})
    return {
        "materialized": sorted(instance.get_materialized_partitions(key)),
        "latest": latest,
        "records": [r.asset_entry.asset_key for r in instance.get_asset_records([key])],
        "event types": sorted({e.dagster_event_type.value for e in
                               instance.all_logs(run_id) if e.is_dagster_event}
                              - {"ASSET_MATERIALIZATION_PLANNED"}),
        "materializations": sum(1 for e in instance.all_logs(run_id)
                                if e.dagster_event_type
                                == dg.DagsterEventType.ASSET_MATERIALIZATION),
    }


def test_batched_storage_answers_like_dagsters_default(tmp_path, monkeypatch):
    from pipelines.event_storage import BatchedSqliteEventLogStorage

    # as a process that never ran planwh (pipelines.launch sets both for its own runs)
    monkeypatch.delenv("DAGSTER_EVENT_BATCH_SIZE", raising=False)
    monkeypatch.delenv("DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS", raising=False)
    default = _instance(tmp_path, False, monkeypatch)
    assert not isinstance(default.event_log_storage, BatchedSqliteEventLogStorage)
    expected = _answers(default, _run(default))

    batched = _instance(tmp_path, True, monkeypatch)
    assert isinstance(batched.event_log_storage, BatchedSqliteEventLogStorage)
    assert os.environ["DAGSTER_EVENT_BATCH_SIZE"] == "1000"
    calls = []
    original = BatchedSqliteEventLogStorage.store_event_batch

    def spy(self, events):
        calls.append(len(events))
        return original(self, events)

    monkeypatch.setattr(BatchedSqliteEventLogStorage, "store_event_batch", spy)
    run_id = _run(batched)
    got = _answers(batched, run_id)

    assert got == expected
    assert got["materialized"] == KEYS and got["materializations"] == len(KEYS)
    assert calls and max(calls) == len(KEYS)  # the range's materialisations in one batch
    # one planned event for the range, where the default writes one per partition
    planned = [e for e in batched.all_logs(run_id) if e.dagster_event_type
               == dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED]
    default_planned = [e for e in default.all_logs(default.get_runs()[0].run_id)
                       if e.dagster_event_type
                       == dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED]
    assert len(planned) == 1 and len(default_planned) == len(KEYS)
    assert planned[0].dagster_event.event_specific_data.partitions_subset is not None


def test_a_later_run_of_one_partition_is_its_latest(tmp_path, monkeypatch):
    batched = _instance(tmp_path, True, monkeypatch)
    _run(batched)
    again = dg.materialize([per_file], instance=batched, partition_key=KEYS[3])
    assert again.success
    record = batched.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey("per_file"), asset_partitions=[KEYS[3]]),
        limit=1).records[0]
    assert record.run_id == again.run_id
    assert sorted(batched.get_materialized_partitions(dg.AssetKey("per_file"))) == KEYS
