"""``planwh explain``: prints the reader's ledger; its summary is the ledger's.

Runs the CLI in a subprocess and fails if Dagster got imported on the way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from extractors.plans import read_plan
from tests.helpers import FIXTURES, RAW, ROOT

SEED = sorted((RAW / "plans").glob("*.pdf"))[0]
UNSEEN = FIXTURES / "plans" / "unseen"

# `planwh explain ARGS…`, then exit 3 if Dagster got imported
SCRIPT = """
import sys
from planwh.cli import main
code = main(["explain", *sys.argv[1:]])
sys.exit(3 if "dagster" in sys.modules else code)
"""


def planwh_explain(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONIOENCODING": "utf-8",
           "PLANWH_READ_TIMEOUT": "5"}
    env.pop("PLANWH_RAW_DIR", None)
    return subprocess.run([sys.executable, "-c", SCRIPT, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=240)


@pytest.mark.parametrize("doc", [SEED, SEED.with_suffix(".docx")], ids=lambda p: p.suffix)
def test_text_summary_is_the_ledgers(doc: Path):
    proc = planwh_explain(str(doc))
    assert proc.returncode == 0, proc.stderr
    ledger = read_plan(doc).ledger
    lines = proc.stdout.rstrip("\n").splitlines()
    assert lines[-1] == ledger.summary_line()
    assert lines[-1].endswith("unaccounted 0")
    s = ledger.summary()
    assert s["cells"] > 0 and s["in_records"] > 0 and s["structural"] > 0
    # every table, its columns and every cell with a fate is shown
    assert sum(line.startswith("table ") for line in lines) == len(ledger.tables)
    assert "year 2016 ← 年度目标/2016年" in proc.stdout
    fate_lines = [line for line in lines
                  if line.startswith("    r") and line.split()[2] in ("record", "structural", "issue")]
    assert len(fate_lines) == len([f for f in ledger.fates if f.row >= 0])


def test_json_carries_the_ledger():
    proc = planwh_explain(str(SEED), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    ledger = read_plan(SEED).ledger
    assert doc["summary"] == ledger.summary()
    assert doc["summary_line"] == ledger.summary_line()
    assert doc["kind"] == "plan" and doc["records"] == len(read_plan(SEED).records)
    assert len(doc["fates"]) == len(ledger.fates)
    assert [t["kind"] for t in doc["tables"]] == [t.kind for t in ledger.tables]


def test_issues_are_shown_with_their_reasons():
    doc = UNSEEN / "key_indicators_synonyms.pdf"
    proc = planwh_explain(str(doc))
    assert proc.returncode == 0, proc.stderr
    assert "plan-like, unread" in proc.stdout
    assert "looks like a plan table" in proc.stdout
    assert proc.stdout.rstrip().endswith("issues 9 · unaccounted 0")
    assert "note ← 备注1950" in proc.stdout


@pytest.mark.parametrize("name, reason", [
    ("missing.pdf", "no such file"),
    ("hostile/scanned.pdf", "no text layer"),
    ("hostile/truncated.docx", ""),
    pytest.param("hostile/inputs/self_length.pdf", "exceeded the time budget",  # pdfminer
                 marks=pytest.mark.slow),  # would loop: it waits out the budget
    ("hostile/inputs/utf16_dtd.xlsx", "declares a DTD"),  # a statistics file refused whole
])
def test_unreadable_file_is_one_line_and_exit_2(name, reason):
    path = FIXTURES / name
    proc = planwh_explain(str(path))
    assert proc.returncode == 2
    assert proc.stdout == ""
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("planwh explain: ") and reason in err[0]


def test_statistics_file_goes_through_the_statistics_reader():
    from extractors.reference import DistrictResolver, load_districts, load_metrics
    from extractors.stats import read_stats_file

    csv = sorted((RAW / "stats").glob("*.csv"))[0]
    result = read_stats_file(csv, DistrictResolver(load_districts(RAW / "reference" / "districts.csv")),
                             load_metrics(RAW / "reference" / "metrics.csv"))
    proc = planwh_explain(str(csv), "--raw", str(RAW))
    ledger = getattr(result, "ledger", None)
    if ledger is None:  # until the statistics reader fills its ledger
        assert proc.returncode == 2
        assert proc.stderr.strip() == f"planwh explain: {csv}: the statistics reader gives no cell ledger yet"
    else:
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.rstrip("\n").splitlines()[-1] == ledger.summary_line()


def test_statistics_file_with_a_bad_reference_is_one_line(tmp_path):
    csv = sorted((RAW / "stats").glob("*.csv"))[0]
    proc = planwh_explain(str(csv), "--raw", str(tmp_path))
    assert proc.returncode == 2
    err = proc.stderr.strip().splitlines()
    assert len(err) == 1 and "reference" in err[0]
