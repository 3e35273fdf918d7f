"""`planwh run` as a user runs it: a subprocess, a summary table, exit codes."""

import re
import shutil
import subprocess
import sys

from tests.helpers import RAW, ROOT, copy_raw


def planwh(*args, cwd):
    return subprocess.run([sys.executable, "-m", "planwh.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def count(summary: str, what: str) -> int:
    m = re.search(rf"│\s*{re.escape(what)}\s*│\s*(\d+)", summary)
    assert m, f"no '{what}' row in:\n{summary}"
    return int(m.group(1))


def test_run_prints_summary_and_exits_0(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    p = planwh("run", "--raw", str(raw), "--warehouse", url, "--quiet", cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    for what in ("plans", "targets", "statistics", "attainment rows"):
        assert count(p.stdout, what) > 0, what
    assert "attainment rate" in p.stdout
    assert "Traceback" not in p.stderr
    from warehouse.counts import DEFINITIONS

    for name in DEFINITIONS:  # one vocabulary with the report and the asset pages
        assert f"│ {name} " in p.stdout, name
    assert "rejected input" in p.stdout and "warnings" in p.stdout
    # the summary ends by naming where to look, with paths that exist after the run
    where = dict(line.split(None, 1) for line in p.stdout.splitlines()[-4:]
                 if line.split(None, 1)[0] in ("warehouse", "report"))
    assert where["warehouse"].strip() == url
    assert (tmp_path / "data" / "reports" / "attainment.html").samefile(where["report"].strip())
    assert "Data Docs" in p.stdout and "Dagster UI" in p.stdout
    assert count(p.stdout, "attainment rows (all plan documents)") == 2 * count(
        p.stdout, "attainment rows")  # the sample plan is rendered twice (DOCX and PDF)


def test_progress_goes_to_stderr(tmp_path):
    raw = tmp_path / "raw"
    copy_raw(raw, plans=False, stats=False)
    p = planwh("run", "--raw", str(raw), "--warehouse", f"duckdb:///{tmp_path / 'w.duckdb'}",
               cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "done" in p.stderr  # the progress display's last state
    assert "planwh run" in p.stdout  # the summary's title


def test_failed_step_exits_1(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    (raw / "reference" / "districts.csv").write_text("not,a,district,file\n1,2,3,4\n",
                                                     encoding="utf-8")
    p = planwh("run", "--raw", str(raw), "--warehouse", f"duckdb:///{tmp_path / 'w.duckdb'}",
               "--quiet", cwd=tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    assert count(p.stdout, "failed steps") >= 1
    assert "failed: reference and statistics: reference" in p.stdout


def test_missing_raw_folder_is_one_line(tmp_path):
    p = planwh("run", "--raw", str(tmp_path / "nope"), cwd=ROOT)
    assert p.returncode == 2
    assert p.stderr.strip().count("\n") == 0 and "no such raw folder" in p.stderr


def test_unusable_warehouse_is_one_line(tmp_path):
    """A mistyped URL or an unreachable server: one line, exit 2, before any work."""
    raw = tmp_path / "raw"
    copy_raw(raw, plans=False, stats=False)
    for url, says in (("notaurl", "not a warehouse URL"),
                      ("postgresql+psycopg://planwh:secret@127.0.0.1:5999/none",
                       "cannot open the warehouse")):
        p = planwh("run", "--raw", str(raw), "--warehouse", url, "--quiet", cwd=tmp_path)
        assert p.returncode == 2, p.stderr
        assert p.stderr.strip().count("\n") == 0 and says in p.stderr, p.stderr
        assert "secret" not in p.stderr and p.stdout == ""


def test_quarantine_prints_no_stack_trace(tmp_path):
    """An empty PDF is held back: the summary says so; stderr has no Dagster error log."""
    raw = tmp_path / "raw"
    copy_raw(raw, plans=False, stats=False)
    (raw / "plans" / "empty.pdf").write_bytes(b"")
    p = planwh("run", "--raw", str(raw), "--warehouse", f"duckdb:///{tmp_path / 'w.duckdb'}",
               "--quiet", cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "quarantined: plan empty.pdf" in p.stdout
    assert "Stack Trace" not in p.stderr and "STEP_FAILURE" not in p.stderr, p.stderr
    assert re.search(r"checks\s*│\s*\d+ passed, \d+ warned, 1 failed", p.stdout), p.stdout


# --------------------------------------------------------------------------- nothing lost


def snapshot(url: str) -> dict:
    import sqlalchemy as sa

    from warehouse.schema import TABLES

    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            out = {t: sorted(map(repr, c.execute(sa.text(f"SELECT * FROM {t}")))) for t in TABLES}
            out["v_attainment"] = sorted(map(repr, c.execute(sa.text("SELECT * FROM v_attainment"))))
            return out
    finally:
        engine.dispose()


def test_wrong_raw_folder_changes_nothing(tmp_path):
    """A folder without plans/ (or stats/, reference/): exit 2, one line, nothing touched."""
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    assert planwh("run", "--raw", str(raw), "--warehouse", url, "--quiet",
                  cwd=tmp_path).returncode == 0
    before = snapshot(url)
    assert before["fct_target"] and before["v_attainment"]
    for part in ("plans", "stats", "reference"):
        wrong = tmp_path / f"without-{part}"
        shutil.copytree(raw, wrong)
        shutil.rmtree(wrong / part)
        p = planwh("run", "--raw", str(wrong), "--warehouse", url, "--quiet", cwd=tmp_path)
        assert p.returncode == 2, p.stdout + p.stderr
        assert p.stderr.strip().count("\n") == 0 and f"{part}/ missing" in p.stderr, p.stderr
        assert p.stdout == ""
        assert snapshot(url) == before
    empty = tmp_path / "empty"
    empty.mkdir()
    p = planwh("run", "--raw", str(empty), "--warehouse", url, "--quiet", cwd=tmp_path)
    assert p.returncode == 2 and snapshot(url) == before


def test_duckdb_held_by_another_process_is_one_line(tmp_path):
    raw = tmp_path / "raw"
    copy_raw(raw, plans=False, stats=False)
    db = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); time.sleep(60)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        p = planwh("run", "--raw", str(raw), "--warehouse", f"duckdb:///{db}", "--quiet",
                   cwd=tmp_path)
        assert p.returncode in (1, 2), p.stdout + p.stderr
        assert p.stderr.strip().count("\n") == 0, p.stderr
        assert f"open in process {holder.pid}" in p.stderr, p.stderr  # names the holder
        assert "Traceback" not in p.stderr + p.stdout
    finally:
        holder.kill()
        holder.wait()


PASSWORD = "Sup3r-Secret-Pw"


def with_password(url: str) -> str:
    import sqlalchemy as sa

    return sa.engine.make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def dagster_storage_mentions(home, secret: str) -> list[str]:
    """Files (and SQLite rows, compressed or not) of a Dagster instance holding ``secret``."""
    import sqlite3
    import zlib

    hits = []
    for path in home.rglob("*"):
        if not path.is_file():
            continue
        if secret.encode() in path.read_bytes():
            hits.append(str(path))
        if path.suffix == ".db":
            db = sqlite3.connect(path)
            try:
                tables = [r[0] for r in db.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")]
                for t in tables:
                    for row in db.execute(f'SELECT * FROM "{t}"'):
                        for v in row:
                            if isinstance(v, bytes):
                                try:
                                    v = zlib.decompress(v)
                                except zlib.error:
                                    pass
                                v = v.decode("utf-8", "ignore")
                            if isinstance(v, str) and secret in v:
                                hits.append(f"{path}:{t}")
            finally:
                db.close()
    return hits


def test_no_password_in_any_output(tmp_path, pg_url):
    """PostgreSQL here trusts local connections, so any password is accepted: the URL
    carries one and no output of run, check, extract or --help shows it, in success or
    failure, nor does a persistent Dagster instance's storage."""
    import os

    raw = tmp_path / "raw"
    copy_raw(raw, plans=sorted((RAW / "plans").glob("*.docx"))[:1], stats=True)
    url = with_password(pg_url)
    env_url = {"PLANWH_WAREHOUSE_URL": url}
    outputs = []

    def call(*args, env=None):
        full = dict(os.environ, **(env or {}))
        p = subprocess.run([sys.executable, "-m", "planwh.cli", *args], cwd=tmp_path,
                           capture_output=True, text=True, timeout=600, env=full)
        outputs.append((args, p.returncode, p.stdout + p.stderr))
        return p

    assert call("run", "--raw", str(raw), "--warehouse", url, "--quiet").returncode == 0
    home = tmp_path / "dagster_home"  # a persistent instance records every run
    home.mkdir()
    assert call("run", "--raw", str(raw), "--quiet",
                env={**env_url, "DAGSTER_HOME": str(home)}).returncode == 0
    assert call("run", "--raw", str(raw), "--warehouse", url, "--quiet",
                env={"DAGSTER_HOME": str(home)}).returncode == 0
    assert dagster_storage_mentions(home, PASSWORD) == []
    bad_port = url.replace(":5432/", ":5999/")
    assert call("run", "--raw", str(raw), "--warehouse", bad_port).returncode == 2
    assert call("run", "--raw", str(raw), "--warehouse", url.replace("+psycopg", "+nodriver")
                ).returncode == 2
    assert call("run", "--raw", str(raw), "--warehouse", url.replace(":5432", ":port")
                ).returncode == 2
    call("run", "--help", env=env_url)
    call("check", "--raw", str(raw), env=env_url)
    doc = next((raw / "plans").iterdir())
    assert call("extract", str(doc), env=env_url).returncode == 0
    call("extract", str(tmp_path / "missing.docx"), env=env_url)
    call("create-analyst-role", "--warehouse", bad_port,
         env={**env_url, "PLANWH_ANALYST_PASSWORD": "An4lyst-Pw"})
    for args, _rc, text in outputs:
        assert PASSWORD not in text, (args, text)
        assert "An4lyst-Pw" not in text, (args, text)
        assert "Traceback" not in text, (args, text)
    assert "***" in outputs[0][2]  # the summary's title shows the URL, masked


def test_idle_analyst_transaction_fails_the_run_with_its_pid(tmp_path, pg_url):
    """An analyst's transaction left open on v_attainment: `planwh run` does not hang; the
    attainment step fails after PLANWH_LOCK_TIMEOUT and the summary names the session."""
    import os
    import time

    import sqlalchemy as sa

    raw = tmp_path / "raw"
    copy_raw(raw, plans=False, stats=True)
    assert planwh("run", "--raw", str(raw), "--warehouse", pg_url, "--quiet",
                  cwd=tmp_path).returncode == 0
    metrics = raw / "reference" / "metrics.csv"  # new bytes: the second run has work to do
    metrics.write_bytes(metrics.read_bytes().rstrip(b"\r\n") + b"\n\n")
    analyst = sa.create_engine(pg_url, connect_args={"application_name": "dbeaver-analyst"})
    try:
        with analyst.connect() as a:
            a.begin()
            pid = a.execute(sa.text("SELECT pg_backend_pid()")).scalar()
            a.execute(sa.text("SELECT COUNT(*) FROM v_attainment")).scalar()
            started = time.monotonic()
            p = subprocess.run(
                [sys.executable, "-m", "planwh.cli", "run", "--raw", str(raw), "--warehouse",
                 pg_url, "--quiet"], cwd=tmp_path, capture_output=True, text=True,
                timeout=300, env=dict(os.environ, PLANWH_LOCK_TIMEOUT="2"))
            assert time.monotonic() - started < 240
            a.rollback()
    finally:
        analyst.dispose()
    assert p.returncode == 1, p.stdout + p.stderr
    failed = [line for line in p.stdout.splitlines() if line.startswith("failed")]
    assert failed and f"pid {pid}" in failed[0] and "dbeaver-analyst" in failed[0], p.stdout
    assert "Traceback" not in p.stdout + p.stderr
