"""The sensor leaves out plans the warehouse already holds done from the same file,
reference data and code version (pipelines/incremental.py), and reads every plan again
when the reference data change; its statistics and refresh runs carry their inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.jobs import plan_job, refresh_job, stats_job
from pipelines.resources import RawFolder
from pipelines.sensors import evaluate
from tests.test_sensors import Ticker, files_of, jobs_of, plan_runs, sha


@pytest.fixture()
def raw(tmp_path) -> Path:
    root = tmp_path / "raw"
    for sub in ("plans", "stats", "reference"):
        (root / sub).mkdir(parents=True)
    (root / "reference" / "metrics.csv").write_text("metric_code,name\n")
    (root / "stats" / "s.csv").write_text("district,year,metric,value\n")
    return root

def _warehouse_knows(url: str, raw: Path, name: str) -> None:
    """Record ``name`` as done (held back with an error issue) in a new warehouse, as the
    plan step does, for the file's current content and reference data."""
    from extractors.records import IngestIssue
    from pipelines.incremental import plan_fingerprint, record_plan, reference_hash
    from warehouse.load import replace_issues
    from warehouse.schema import create_schema, make_engine

    engine = make_engine(url)
    try:
        create_schema(engine)
        record_plan(engine, name, plan_fingerprint(sha(raw / "plans" / name),
                                                   reference_hash(raw / "reference")), 0)
        replace_issues(engine, f"plan:{name}", [IngestIssue(name, "document", "error",
                                                            "unreadable", check="plan_readable")])
    finally:
        engine.dispose()


def test_plans_the_warehouse_holds_are_not_requested_until_the_reference_changes(raw, tmp_path):
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    (raw / "plans" / "a.docx").write_bytes(b"A")
    (raw / "plans" / "b.docx").write_bytes(b"B")
    _warehouse_knows(url, raw, "a.docx")
    folder = RawFolder(path=str(raw))

    # a fresh cursor (a new deployment, a reset): only the plan the warehouse lacks
    first, cursor = evaluate(folder, None, set(), url)
    assert [files_of(r, ["a.docx", "b.docx"]) for r in plan_runs(first)] == [["b.docx"]]
    assert [list(r.partition_keys) for r in first.dynamic_partitions_requests] == \
        [["a.docx", "b.docx"]]  # the partition is added all the same
    again, cursor = evaluate(folder, cursor, {"a.docx", "b.docx"}, url)
    assert again.run_requests == []

    # a changed reference file: every plan is read again (the record is for the old one)
    (raw / "reference" / "metrics.csv").write_text("metric_code,name\nbeds,床位\n")
    after, _ = evaluate(folder, cursor, {"a.docx", "b.docx"}, url)
    # one run over the range of both
    assert [files_of(r, ["a.docx", "b.docx"]) for r in plan_runs(after)] == [["a.docx", "b.docx"]]
    assert stats_job.name in jobs_of(after) and jobs_of(after)[-1] == refresh_job.name


def test_inputs_tag_on_stats_and_refresh_runs(raw):
    from pipelines.incremental import INPUTS_TAG

    t = Ticker(raw)
    (raw / "plans" / "a.pdf").write_bytes(b"A")
    result = t.tick()
    tagged = {r.job_name: r.tags.get(INPUTS_TAG) for r in result.run_requests}
    assert tagged[stats_job.name] and tagged[refresh_job.name]
    assert tagged[plan_job.name] is None
