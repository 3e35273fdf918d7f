"""Nothing redone that did not change (pipelines/incremental.py), through `planwh run`'s
own ``execute`` with a persistent Dagster instance, on DuckDB and PostgreSQL:

- a second run with nothing changed launches no Dagster run and changes no row;
- a changed plan file is the only plan read again, and attainment is rebuilt;
- a changed reference file reads every plan again;
- a plan held back by its blocking check stays held back, unread, while unchanged.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.helpers import (
    PG_ADMIN_URL,
    RAW,
    copy_raw,
    create_database,
    drop_database,
    pg_available,
)

pytestmark = pytest.mark.e2e  # the pipeline through Dagster (main's test tiers)

FIXTURE_PLAN = Path(__file__).parent / "fixtures" / "plans" / "community_governance_plan.docx"
TABLES = ("dim_plan", "dim_indicator", "fct_target", "fct_district_stat", "fct_attainment",
          "ingest_issues", "load_log", "stat_vintage")


def snapshot(url: str) -> dict[str, list]:
    """Every row of the tables a run writes (loaded_at and detected_at included)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            return {t: sorted(map(repr, c.execute(sa.text(f"SELECT * FROM {t}")).all()))
                    for t in TABLES}
    finally:
        engine.dispose()


def loaded_at(url: str) -> dict[str, object]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            return dict(c.execute(sa.text("SELECT source_file, loaded_at FROM dim_plan")).all())
    finally:
        engine.dispose()


class Runner:
    """`planwh run`'s execute() against one raw folder, warehouse and DAGSTER_HOME."""

    def __init__(self, raw: Path, url: str, home: Path, monkeypatch):
        home.mkdir()
        shutil.copy(RAW.parent / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
        monkeypatch.setenv("DAGSTER_HOME", str(home))
        self.raw, self.url, self.home = raw, url, home

    def run(self):
        from dagster import DagsterInstance

        from planwh.run_cmd import execute

        decided: list = []
        outcomes = execute(str(self.raw), self.url, decided=decided)
        with DagsterInstance.get() as inst:
            runs = inst.get_runs_count()
        assert not [f for o in outcomes for f in o.failed], outcomes
        return [o.label for o in outcomes], decided[0], runs


@pytest.fixture()
def pg_database():
    if not pg_available():
        pytest.skip("PostgreSQL not reachable")
    name = f"planwh_incr_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    create_database(admin, name)
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        drop_database(admin, name)
        admin.dispose()


@pytest.mark.parametrize("engine", ["duckdb", pytest.param("postgresql", marks=pytest.mark.pg)])
def test_noop_rerun_launches_no_run_and_changes_nothing(engine, tmp_path, monkeypatch, request):
    url = (f"duckdb:///{tmp_path / 'wh.duckdb'}" if engine == "duckdb"
           else request.getfixturevalue("pg_database"))
    monkeypatch.chdir(tmp_path)
    raw = copy_raw(tmp_path / "raw")
    names = sorted(p.name for p in (raw / "plans").iterdir())
    r = Runner(raw, url, tmp_path / "dagster_home", monkeypatch)

    labels, first, runs_first = r.run()
    assert sorted(first.todo) == names and first.skipped == []
    # one run for the statistics, one run over every plan file together with the refresh
    assert labels == ["reference and statistics",
                      f"plans ({len(names)} files), attainment and report"]
    before = snapshot(url)
    assert len(before["dim_plan"]) == len(names) and before["fct_attainment"]
    # one Data Docs site for the plans' validations, not one per plan
    docs = tmp_path / "data" / "docs"
    assert (docs / "targets--files" / "index.html").exists()
    assert not [p for p in docs.glob("targets--*") if p.name != "targets--files"]
    # ... and one validation of every plan's records (the run validated them at once)
    assert len(list((docs / "targets--files" / "validations").rglob("*.html"))) == 1

    labels, second, runs_second = r.run()
    assert labels == []  # no Dagster run at all: plans, statistics, refresh
    assert runs_second == runs_first
    assert sorted(second.skipped) == names and second.todo == []
    assert not second.stats_todo and not second.refresh_todo
    assert snapshot(url) == before


def test_changed_plan_is_the_only_one_read_again(tmp_path, monkeypatch):
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    monkeypatch.chdir(tmp_path)
    raw = copy_raw(tmp_path / "raw")
    docx, pdf = sorted((raw / "plans").iterdir(), key=lambda p: p.suffix)
    r = Runner(raw, url, tmp_path / "dagster_home", monkeypatch)
    r.run()
    stamps = loaded_at(url)

    shutil.copy(FIXTURE_PLAN, docx)  # the same name, another plan's content
    labels, launch, _ = r.run()
    assert labels == ["plans (1 file), attainment and report"]
    assert launch.skipped == [pdf.name] and not launch.stats_todo
    after = loaded_at(url)
    assert after[pdf.name] == stamps[pdf.name]  # not loaded again
    assert after[docx.name] != stamps[docx.name]
    engine = sa.create_engine(url)
    with engine.connect() as c:
        sha = c.execute(sa.text("SELECT source_sha256 FROM dim_plan WHERE source_file = :f"),
                        {"f": docx.name}).scalar()
    engine.dispose()
    from extractors.files import file_sha256

    assert sha == file_sha256(docx)


def test_changed_reference_reads_every_plan_again(tmp_path, monkeypatch):
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    monkeypatch.chdir(tmp_path)
    raw = copy_raw(tmp_path / "raw")
    names = sorted(p.name for p in (raw / "plans").iterdir())
    r = Runner(raw, url, tmp_path / "dagster_home", monkeypatch)
    r.run()
    metrics = raw / "reference" / "metrics.csv"
    metrics.write_bytes(metrics.read_bytes().rstrip(b"\r\n") + b"\n\n")  # same data, new bytes

    labels, launch, _ = r.run()
    assert launch.skipped == [] and sorted(launch.todo) == names and launch.stats_todo
    assert labels == ["reference and statistics",
                      f"plans ({len(names)} files), attainment and report"]


def test_held_back_plan_stays_held_back_unread(tmp_path, monkeypatch):
    """A plan its blocking check holds back is recorded too: unchanged, it is not read
    again, and its issues stay."""
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    monkeypatch.chdir(tmp_path)
    raw = copy_raw(tmp_path / "raw", plans=False)
    bad = raw / "plans" / "unreadable.docx"
    bad.write_bytes(b"PK\x03\x04 not really a docx")
    r = Runner(raw, url, tmp_path / "dagster_home", monkeypatch)
    labels, first, _ = r.run()
    assert first.todo == [bad.name]
    assert labels[-1] == f"plan {bad.name}"  # held back, named in the summary
    issues = snapshot(url)["ingest_issues"]
    assert any(bad.name in row for row in issues)

    labels, second, _ = r.run()
    assert second.skipped == [bad.name] and labels == []
    assert snapshot(url)["ingest_issues"] == issues

    bad.unlink()  # deleted: its record goes with it, so a re-dropped file is read again
    labels, third, _ = r.run()
    assert labels == ["attainment and report"]
    bad.write_bytes(b"PK\x03\x04 not really a docx")
    labels, fourth, _ = r.run()
    assert fourth.todo == [bad.name]


def test_noop_rerun_without_dagster_home_redoes_nothing(tmp_path, monkeypatch):
    """An ephemeral Dagster instance remembers nothing, but the warehouse does: the
    second run (a separate process) neither reruns statistics nor the refresh, and does
    not even import Dagster."""
    import os
    import subprocess
    import sys

    from planwh.run_cmd import execute

    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    monkeypatch.chdir(tmp_path)
    raw = copy_raw(tmp_path / "raw")
    first = execute(str(raw), url)
    assert [o.label for o in first][0] == "reference and statistics"
    before = snapshot(url)
    code = ("import sys; from planwh.run_cmd import execute; decided = []; "
            f"out = execute({str(raw)!r}, {url!r}, decided=decided); "
            "print(len(out), decided[0].stats_todo, decided[0].refresh_todo, "
            "'dagster' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    env["PYTHONPATH"] = str(Path(__file__).parent.parent)
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "False", "False", "False"]
    assert snapshot(url) == before


def test_byte_identical_copy_is_traced_and_settles(tmp_path, monkeypatch):
    """Two plan files with the same bytes are one plan document (plan_id is the content
    hash), loaded once. The file whose rows are not in dim_plan gets a warning naming the
    one that holds them (never silent); an unchanged pair is a no-op (no ping-pong of
    re-reads); when the holder is deleted, the copy is read and loaded under its own name."""
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    monkeypatch.chdir(tmp_path)
    raw = copy_raw(tmp_path / "raw", plans=False)
    a, b = raw / "plans" / "a_plan.docx", raw / "plans" / "b_copy.docx"
    shutil.copy(FIXTURE_PLAN, a)
    shutil.copy(FIXTURE_PLAN, b)
    r = Runner(raw, url, tmp_path / "dagster_home", monkeypatch)
    r.run()

    def state():
        engine = sa.create_engine(url)
        try:
            with engine.connect() as c:
                files = [x[0] for x in c.execute(sa.text("SELECT source_file FROM dim_plan"))]
                copies = c.execute(sa.text(
                    "SELECT source_file, severity, reason, check_name FROM ingest_issues "
                    "WHERE check_name = 'plan_same_content'")).all()
        finally:
            engine.dispose()
        return files, copies

    files, copies = state()
    assert len(files) == 1
    holder = files[0]
    copy = ({a.name, b.name} - {holder}).pop()
    assert [(c.source_file, c.severity) for c in copies] == [(copy, "warning")]
    assert holder in copies[0].reason and "same content" in copies[0].reason

    # the sensor agrees with planwh run: the pair is done (a fresh cursor asks the warehouse)
    from pipelines.resources import RawFolder
    from pipelines.sensors import evaluate
    from tests.test_sensors import files_of, plan_runs

    folder, pair = RawFolder(path=str(raw)), sorted([a.name, b.name])
    tick, cursor = evaluate(folder, None, pair, url)
    assert plan_runs(tick) == []

    labels, second, _ = r.run()  # nothing changed: nothing read again
    assert labels == [] and second.todo == []
    assert state() == (files, copies)

    (raw / "plans" / holder).unlink()
    # the holder's rows go with it: the sensor reads the copy (its content, unchanged, is
    # no longer held by a file that is there)
    tick, cursor = evaluate(folder, cursor, pair, url)
    assert [files_of(run, [copy]) for run in plan_runs(tick)] == [[copy]]
    r.run()
    files, copies = state()
    assert files == [copy] and copies == []
