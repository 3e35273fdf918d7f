"""Many plan files in one run: read on every core by bare forks under the reader budget
(extractors.budget.read_plans), validated at once, held back one by one.

- read_plans gives each file its own result: a document, or the exception it stands for
  (a bad file does not stop the others; the budget holds per worker);
- ``plan_job`` over a partition range (as the sensor, the schedule and ``planwh run``
  launch it), on both engines: a file with failing rows is held back alone with its
  issues, the others load, a file loaded before keeps its rows, and every partition gets
  its own materialisation with its own metadata.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.helpers import RAW, copy_raw

pytestmark = pytest.mark.e2e  # plan_job through Dagster

PLANS = sorted(p for p in (RAW / "plans").iterdir() if p.suffix in (".docx", ".pdf"))
BEDS = "每百名老人拥有养老机构床位数"  # beds per 100 elderly


def bad_plan(path: Path) -> Path:
    """A readable plan with one target outside its plan period (2030 in a 十三五 plan)."""
    from docx import Document

    doc = Document()
    doc.add_heading("杭州市民政局“十三五”绩效管理规划", level=1)
    doc.add_heading("1.构建事业产业协同发展的大养老体系", level=2)
    header = ["序号", "工作任务", "相关工作目标(指标)", "2016年", "2017年", "2018年", "2019年",
              "2030年"]
    table = doc.add_table(rows=2, cols=len(header))
    for i, h in enumerate(header):
        table.cell(0, i).text = h
    for i, v in enumerate(["1", "社会养老床位数不断增加", BEDS, "不低于4张", "不低于4张",
                           "不低于4张", "不低于4张", "不低于4张"]):
        table.cell(1, i).text = v
    doc.save(path)
    return path


def test_read_plans_gives_every_file_its_own_result(tmp_path):
    from extractors.budget import Budget, PlanBudgetExceeded, extract_plan, read_plans
    from extractors.records import PlanDocument, UnreadableDocument

    garbage = tmp_path / "garbage.docx"
    garbage.write_bytes(b"PK\x03\x04 not really a docx")
    paths = {p.name: p for p in PLANS} | {garbage.name: garbage}
    got = read_plans(paths, workers=2)
    assert list(got) == list(paths)  # every file, in the order given
    for p in PLANS:
        assert isinstance(got[p.name], PlanDocument)
        serial = extract_plan(p)
        assert [(r.indicator_id, r.year, r.scope) for r in got[p.name].records] == \
               [(r.indicator_id, r.year, r.scope) for r in serial.records]
    assert isinstance(got[garbage.name], UnreadableDocument)
    assert got[garbage.name].source_file == garbage.name

    # the time budget holds for each worker: every file stopped, none hangs the others
    # (inprocess_mb=0: no file is a small DOCX read without a worker of its own)
    stopped = read_plans({p.name: p for p in PLANS}, workers=2,
                         budget=Budget(timeout_s=0.001, memory_mb=2048, inprocess_mb=0))
    assert all(isinstance(e, PlanBudgetExceeded) and "time budget" in e.reason
               for e in stopped.values()), stopped


def _small_docx_copies(tmp_path: Path, n: int) -> dict[str, Path]:
    seed = next(p for p in PLANS if p.suffix == ".docx")
    out = {}
    for i in range(n):
        out[f"p{i:02d}.docx"] = shutil.copy(seed, tmp_path / f"p{i:02d}.docx")
    return out


def test_small_docx_are_read_in_batches_with_the_results_of_one_worker_each(
        tmp_path, monkeypatch):
    """Small, sane DOCX (the in-process pre-flight's) are read a batch per worker rather
    than a fork per file: same results, far fewer forks."""
    from extractors import budget as b

    paths = _small_docx_copies(tmp_path, 9)
    forks = []
    monkeypatch.setattr(b, "_fork_batch", lambda items, *a, _f=b._fork_batch: (
        forks.append(len(items)) or _f(items, *a)))
    got = b.read_plans(paths, workers=2, budget=b.Budget())
    alone = b.read_plans(paths, workers=2, budget=b.Budget(inprocess_mb=0))
    assert sum(forks) == 9 and len(forks) < 9  # batched: 9 files, fewer workers
    for key in paths:
        assert got[key].source_file == key
        assert [(r.indicator_id, r.year, r.scope, r.target_text, r.source_row)
                for r in got[key].records] == \
               [(r.indicator_id, r.year, r.scope, r.target_text, r.source_row)
                for r in alone[key].records]


def test_a_batch_worker_that_dies_costs_only_the_file_it_was_reading(tmp_path, monkeypatch):
    """A reader killed mid-batch: the file it was reading is that file's issue (killed),
    the files read before keep their results, and the files not reached are read by
    workers of their own."""
    import signal as sig

    import extractors.plans
    from extractors import budget as b

    paths = _small_docx_copies(tmp_path, 12)  # 2 workers: batches of 3 (p03-p05 one)
    real = extractors.plans.extract_plan

    def dies_on_p04(path):
        if Path(path).name == "p04.docx":
            os.kill(os.getpid(), sig.SIGKILL)
        return real(path)

    alone, batches = [], []
    monkeypatch.setattr(b, "_fork_job", lambda key, *a, _f=b._fork_job: (
        alone.append(key) or _f(key, *a)))
    monkeypatch.setattr(b, "_fork_batch", lambda items, *a, _f=b._fork_batch: (
        batches.append([k for k, _, _ in items]) or _f(items, *a)))
    monkeypatch.setattr(extractors.plans, "extract_plan", dies_on_p04)
    got = b.read_plans(paths, workers=2, budget=b.Budget())
    assert ["p03.docx", "p04.docx", "p05.docx"] in batches
    assert alone == ["p05.docx"]  # the one not reached, read by a worker of its own
    assert list(got) == list(paths)
    assert isinstance(got["p04.docx"], b.PlanBudgetExceeded)
    assert "SIGKILL" in got["p04.docx"].reason and got["p04.docx"].source_file == "p04.docx"
    for key in paths:
        if key != "p04.docx":
            assert got[key].source_file == key and got[key].records, key


def test_plan_job_over_a_range_holds_back_only_the_bad_file(engine, url, tmp_path,
                                                             monkeypatch):
    import dagster as dg

    from pipelines.definitions import build_definitions
    from pipelines.incremental import range_tags

    monkeypatch.chdir(tmp_path)  # Data Docs go below data/
    raw = copy_raw(tmp_path / "raw", stats=False)
    good = [p.name for p in PLANS]
    victim = good[0]
    names = sorted(good + ["bad.docx"])
    bad_plan(raw / "plans" / "bad.docx")
    job = build_definitions(str(raw), url).resolve_job_def("plan_job")
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("plan_files", names)
        result = job.execute_in_process(instance=instance, tags=range_tags(names[0], names[-1]))
        assert result.success  # a held-back file is no failed step

        with engine.connect() as c:
            loaded = dict(c.execute(sa.text("SELECT source_file, source_sha256 FROM dim_plan")).all())
            bad_issues = c.execute(sa.text(
                "SELECT check_name FROM ingest_issues WHERE scope = 'plan:bad.docx' "
                "AND severity = 'error'")).scalars().all()
        assert sorted(loaded) == sorted(good)
        assert "targets.year_in_plan_period" in bad_issues

        # one materialisation per partition of each asset, each with its own metadata
        mats = {(m.asset_key.to_user_string(), m.partition): m.metadata
                for m in (e.event_specific_data.materialization
                          for e in result.get_asset_materialization_events())}
        for name in names:
            assert mats[("plan_targets", name)]["file"].value == name
        assert mats[("plan_targets", "bad.docx")]["status"].value.startswith("held back")
        assert all(mats[("plan_targets", n)]["status"].value == "read" for n in good)
        assert mats[("plan_tables", "bad.docx")]["status"].value == "kept previous rows"
        assert all(mats[("plan_tables", n)]["status"].value == "loaded" for n in good)
        # the range's documents reach plan_tables with one log line, not one per partition
        logs = [e.message for e in instance.all_logs(result.run_id) if e.message]
        assert not [m for m in logs if m.startswith("Loading partition")]
        assert [m for m in logs if m.startswith(f"Loading {len(names)} partitions of plan_targets")]
        [check] = result.get_asset_check_evaluations()
        assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
        assert "bad.docx" in check.description

        # a loaded file turns bad: held back, its previous rows are kept, the others load
        (raw / "plans" / victim).unlink()
        bad_plan(raw / "plans" / victim)
        again = job.execute_in_process(instance=instance, tags=range_tags(names[0], names[-1]))
        assert again.success
        with engine.connect() as c:
            after = dict(c.execute(sa.text("SELECT source_file, source_sha256 FROM dim_plan")).all())
            victim_issues = c.execute(sa.text(
                "SELECT COUNT(*) FROM ingest_issues WHERE scope = :s AND severity = 'error'"),
                {"s": f"plan:{victim}"}).scalar()
        assert after == loaded  # nothing loaded was deleted, nothing replaced by bad rows
        assert victim_issues >= 1
    shutil.rmtree(tmp_path / "data", ignore_errors=True)
