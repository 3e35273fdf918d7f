"""`planwh run` as a user runs it: a subprocess, a summary table, exit codes."""

import re
import shutil
import subprocess
import sys

from tests.conftest import RAW, ROOT, copy_raw


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
