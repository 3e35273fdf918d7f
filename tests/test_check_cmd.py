"""``planwh check``: passes on raw/, names the failed expectation and exits 1 on
a copy with a planted bad row."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from expectations.runner import ExpectationResult
from extractors.records import IngestIssue
from planwh import check_cmd
from tests.helpers import ROOT

RAW = ROOT / "raw"

needs_raw = pytest.mark.skipif(
    not (RAW / "reference" / "districts.csv").exists() or not any((RAW / "stats").glob("*.csv")),
    reason="raw/ not populated yet",
)


# `planwh check --raw DIR`, then fail (exit 3) if Dagster got imported on the way
CHECK_SCRIPT = """
import sys
from planwh.cli import main
code = main(["check", "--raw", sys.argv[1]])
sys.exit(3 if "dagster" in sys.modules else code)
"""


def planwh_check(raw: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PLANWH_DOCS_DIR": str(cwd / "docs"), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-c", CHECK_SCRIPT, str(raw)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=240,
    )


@pytest.fixture(scope="module")
def raw_copy(tmp_path_factory) -> Path:
    dst = tmp_path_factory.mktemp("raw") / "raw"
    shutil.copytree(RAW, dst)
    return dst


def _stats_csv(raw: Path) -> Path:
    return sorted((raw / "stats").glob("*.csv"))[0]


def _plant(raw: Path, tmp_path: Path, line: str) -> Path:
    """A copy of ``raw`` whose first stats CSV ends with ``line`` (plans left
    out: they play no part in a statistics row, and parsing them costs time)."""
    dst = tmp_path / "raw"
    shutil.copytree(raw, dst, ignore=lambda d, names: names if d.endswith("plans") else [])
    csv = _stats_csv(dst)
    text = csv.read_text(encoding="utf-8-sig")
    csv.write_text(text.rstrip("\n") + "\n" + line + "\n", encoding="utf-8")
    return dst


def _row(raw: Path, **values) -> str:
    """A stats line in the file's own (tidy) columns: 地区,年份,指标,数值,单位,..."""
    header = _stats_csv(raw).read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    by_header = {"地区": "district", "年份": "year", "指标": "metric", "数值": "value",
                 "单位": "unit"}
    return ",".join(str(values.get(by_header.get(h, ""), "")) for h in header)


@needs_raw
def test_check_passes_on_raw(raw_copy, tmp_path):
    proc = planwh_check(raw_copy, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    for name in ("targets.year_in_plan_period", "district_stats.count_non_negative",
                 "attainment.row_per_district_per_plan_year", "plans.readable"):
        assert name in out
    assert "FAIL " not in out
    # its own folder: never the sites the pipeline's asset checks link to
    assert (tmp_path / "docs" / "check" / "district_stats" / "index.html").exists()
    assert not (tmp_path / "docs" / "district_stats").exists()


@needs_raw
@pytest.mark.parametrize("planted, expectation", [
    # a negative count (a sum metric): the reader rejects it under the expectation's name
    (dict(district="上城区", year=2018, metric="养老机构床位数", value=-5, unit="张"),
     "district_stats.count_non_negative"),
    # 下城区 was abolished at the end of 2020
    (dict(district="下城区", year=2022, metric="养老机构床位数", value=100, unit="张"),
     "district_stats.district_valid_in_year"),
    # a percentage above 100: the reader loads it, the GX suite fails it
    (dict(district="上城区", year=2019, metric="居家养老服务照料中心覆盖率", value=130, unit="%"),
     "district_stats.ratio_within_plausible_range"),
])
def test_check_fails_on_planted_row(raw_copy, tmp_path, planted, expectation, monkeypatch,
                                    capsys):
    """In-process through the CLI entry point (the subprocess path is tested below)."""
    from planwh.cli import main

    bad = _plant(raw_copy, tmp_path, _row(raw_copy, **planted))
    monkeypatch.setenv("PLANWH_DOCS_DIR", str(tmp_path / "docs"))
    code = main(["check", "--raw", str(bad)])
    out, err = capsys.readouterr()
    assert code == 1, out + err
    failing = [ln for ln in out.splitlines() if expectation in ln]
    assert any(" FAIL " in ln for ln in failing), out
    assert expectation in err  # the FAILED: summary line


@needs_raw
def test_check_subprocess_fails_on_negative_count(raw_copy, tmp_path):
    planted = dict(district="拱墅区", year=2017, metric="养老机构床位数", value=-1, unit="张")
    proc = planwh_check(_plant(raw_copy, tmp_path, _row(raw_copy, **planted)), tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if "count_non_negative" in ln and "FAIL" in ln)
    assert "district_stats.count_non_negative" in line and "-1" in line


@needs_raw
def test_check_fails_on_unreadable_plan(raw_copy, tmp_path):
    dst = tmp_path / "raw"
    shutil.copytree(raw_copy, dst)
    (dst / "plans" / "broken.docx").write_bytes(b"this is not a zip file")
    report = check_cmd.check_folder(dst, docs_dir=tmp_path / "docs")
    by = {r.name: r for _, r in report.items}
    assert not by["plans.readable"].success
    assert by["plans.readable"].sample[0]["file"] == "broken.docx"
    assert by["targets.year_in_plan_period"].success  # the other plans still checked


def test_missing_folder_exits_2(tmp_path, capsys):
    class Args:
        raw = str(tmp_path / "nope")

    assert check_cmd.run(Args()) == 2
    assert "no such folder" in capsys.readouterr().err


def test_bad_reference_is_one_failed_item(tmp_path):
    (tmp_path / "reference").mkdir()
    (tmp_path / "reference" / "districts.csv").write_text("nonsense\n", encoding="utf-8")
    report = check_cmd.check_folder(tmp_path, docs_dir=tmp_path / "docs")
    assert [(s, r.name, r.status) for s, r in report.items] == [
        ("reference", "reference.readable", "FAIL")]
    assert report.failed_errors


def test_reader_issue_names():
    """Reader issues are grouped by the rule they carry (the reader sets it:
    tests/test_stats.py); one without a rule is ``stats.readable``."""
    issues = [
        IngestIssue("a.csv", "row 3", "error", "negative value", "district_stats.count_non_negative"),
        IngestIssue("a.csv", "row 4", "error", "not valid", "district_stats.district_valid_in_year"),
        IngestIssue("a.csv", "row 5", "error", "unknown metric", "district_stats.metric_known"),
        IngestIssue("a.csv", "row 6", "error", "conflicting value",
                    "district_stats.unique_metric_district_year"),
        IngestIssue("a.csv", "row 7", "error", "not a number: 'abc'"),
        IngestIssue("a.csv", "row 8", "warning", "odd", check="stats.custom"),
    ]
    got = {name: (sev, len(bad)) for name, sev, bad in check_cmd.group_reader_issues(issues)}
    assert got == {
        "district_stats.count_non_negative": ("error", 1),
        "district_stats.district_valid_in_year": ("error", 1),
        "district_stats.metric_known": ("error", 1),
        "district_stats.unique_metric_district_year": ("error", 1),
        "stats.readable": ("error", 1),
        "stats.custom": ("warning", 1),
    }


def test_format_report_and_exit_code():
    report = check_cmd.CheckReport()
    report.add("targets", ExpectationResult("targets.a", "error", True, 0, 3))
    report.add("district_stats", ExpectationResult(
        "district_stats.b", "warning", False, 2, 9, sample=[{"district_code": "330102"}]))
    text = check_cmd.format_report(report)
    assert "PASS" in text and "WARN" in text and '{"district_code": "330102"}' in text
    assert "2 expectations: 1 passed, 0 failed (error), 1 warnings" in text
    assert not report.failed_errors
    report.add("targets", ExpectationResult("targets.c", "error", False, 1, 3))
    assert [r.name for r in report.failed_errors] == ["targets.c"]


def test_targets_frame_has_period():
    from extractors.records import PlanDocument, TargetRecord

    rec = TargetRecord("p", "a.docx", None, 1, 2, None, None, None, "x", 2018, "全市", "t",
                       ">=", None, None, None)
    plan = PlanDocument("p", "t", None, 2016, 2020, "a.docx", "s" * 64, "docx", records=[rec])
    from extractors.plans import targets_frame

    frame = targets_frame([plan])
    assert isinstance(frame, pd.DataFrame)
    assert frame.loc[0, "period_start"] == 2016 and frame.loc[0, "indicator_id"] == rec.indicator_id
