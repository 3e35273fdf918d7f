"""``planwh check`` and the pipeline take the same steps over the same raw folder:
the same plan files read (a Word lock file ``~$x.docx`` and a FIFO named like a plan
are inputs of neither; a legacy ``.doc`` is reported by both), and the same verdict
on a reference whose indicator mapping names a metric missing from metrics.csv."""

from __future__ import annotations

import os
import shutil

import dagster as dg
import pytest
import sqlalchemy as sa

from planwh import check_cmd
from tests.helpers import RAW, copy_raw, materialise_graph

needs_docx = pytest.mark.skipif(not any((RAW / "plans").glob("*.docx")), reason="no DOCX plan")


def _odd_plans_folder(raw):
    """raw/plans with, beside the plan, a lock file, a legacy .doc and a FIFO."""
    plans = raw / "plans"
    docx = next(plans.glob("*.docx"))
    shutil.copy(docx, plans / f"~${docx.name}")  # Word's lock file: not a plan
    (plans / "old.doc").write_bytes(b"\xd0\xcf\x11\xe0 legacy word")
    os.mkfifo(plans / "pipe.docx")


@needs_docx
def test_check_and_pipeline_read_the_same_plan_files(tmp_path, duckdb_url):
    docx = next((RAW / "plans").glob("*.docx"))
    raw = copy_raw(tmp_path / "raw", plans=[docx], stats=False)
    _odd_plans_folder(raw)

    report = check_cmd.check_folder(raw, docs_dir=tmp_path / "docs")
    by = {(suite, r.name): r for suite, r in report.items}
    readable = by[("plans", "plans.readable")]
    assert readable.element_count == 1 and readable.success  # only the real plan
    not_read = by[("plans", "file_type")]
    assert not not_read.success
    check_not_read = sorted(x["source_file"] for x in not_read.sample)
    assert check_not_read == ["old.doc", "pipe.docx"]

    from extractors.files import list_plan_files

    names = [p.name for p in list_plan_files(raw / "plans")]
    with dg.DagsterInstance.ephemeral() as instance:
        materialise_graph(raw, duckdb_url, instance, names)
    engine = sa.create_engine(duckdb_url)
    try:
        with engine.connect() as c:
            loaded = sorted(r[0] for r in c.execute(sa.text("SELECT source_file FROM dim_plan")))
            pipeline_not_read = sorted(r[0] for r in c.execute(sa.text(
                "SELECT source_file FROM ingest_issues WHERE scope = 'plans'")))
    finally:
        engine.dispose()
    assert loaded == [docx.name]
    assert pipeline_not_read == check_not_read


def test_check_and_pipeline_refuse_an_unmapped_indicator(tmp_path, duckdb_url):
    raw = copy_raw(tmp_path / "raw", plans=False, stats=False)
    with (raw / "reference" / "indicator_metrics.csv").open("a", encoding="utf-8") as f:
        f.write("养老床位数,no_such_metric\n")

    report = check_cmd.check_folder(raw, docs_dir=tmp_path / "docs")
    items = {r.name: r for _, r in report.items}
    assert not items["reference.readable"].success
    assert "no_such_metric" in items["reference.readable"].sample[0]["error"]

    with dg.DagsterInstance.ephemeral() as instance:
        runs = materialise_graph(raw, duckdb_url, instance, [], raise_on_error=False)
    failed = [e for e in runs["stats"].all_events if e.event_type_value == "STEP_FAILURE"]
    assert [e.step_key for e in failed] == ["reference"]
    assert "no_such_metric" in failed[0].event_specific_data.error.message
