"""`planwh extract` on hostile and broken files: exit 2, one clear stderr line, bounded.

Each file of tests/fixtures/hostile/ (written by tools/make_hostile_fixtures.py)
runs in a subprocess with a 1.5 GB address-space limit and a timeout.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
MEMORY_LIMIT = 1536 * 1024 * 1024

# file -> a word of the reason the one stderr line must give
EXPECTED = {
    "empty.docx": "empty file",
    "truncated.docx": "truncated",
    "image.pdf": "not a PDF or DOCX file (looks like PNG)",
    "encrypted.pdf": "encrypted",
    "scanned.pdf": "no text layer (scanned PDF?)",
    "text_only.pdf": "no recognisable plan table",
    "no_tables.docx": "no recognisable plan table",
    "zip_bomb.docx": "too large",
    "xxe.docx": "DTD",
    "billion_laughs.docx": "DTD",
    "missing.docx": "no such file",
}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def planwh(*args: str, timeout: float = 10) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "planwh.cli", *args], cwd=ROOT, capture_output=True,
        text=True, timeout=timeout, preexec_fn=_limit_memory,
    )


def _secret() -> str:
    try:
        return Path("/etc/hostname").read_text().strip()
    except OSError:
        return ""


def test_every_fixture_is_covered():
    assert {p.name for p in HOSTILE.iterdir() if p.is_file()} == set(EXPECTED) - {"missing.docx"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_file_exits_2_with_one_line(name):
    path = f"tests/fixtures/hostile/{name}"
    proc = planwh("extract", path)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith(f"planwh extract: {path}: ")
    assert EXPECTED[name] in lines[0]
    assert "Traceback" not in proc.stderr
    secret = _secret()
    if secret and name in ("xxe.docx",):
        assert secret not in proc.stdout + proc.stderr


def _plan_docx(path: Path) -> None:
    import docx

    d = docx.Document()
    d.add_paragraph("杭州市民政局“十三五”绩效管理规划")
    d.add_heading("1.构建大养老体系", level=2)
    t = d.add_table(rows=2, cols=5)
    for c, text in enumerate(["序号", "工作任务", "相关工作目标（指标）", "2016年", "2017年"]):
        t.cell(0, c).text = text
    for c, text in enumerate(["1", "养老床位", "每百名老人床位数", "不低于4张", "城市全覆盖，农村90%"]):
        t.cell(1, c).text = text
    d.save(path)


def test_extract_jsonl_and_csv_without_dagster(tmp_path):
    f = tmp_path / "plan.docx"
    _plan_docx(f)
    code = (
        "import sys; from planwh.cli import main; rc = main(['extract', sys.argv[1]]); "
        "assert 'dagster' not in sys.modules, 'dagster imported'; sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(f)], cwd=ROOT, capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    recs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(r["year"], r["scope"]) for r in recs] == [(2016, "全市"), (2017, "城市"), (2017, "农村")]
    first = recs[0]
    assert list(first)[:16] == [
        "plan_id", "source_file", "source_page", "source_table", "source_row", "section",
        "task_no", "task_name", "indicator_name", "year", "scope", "target_text", "comparator",
        "target_value", "target_value_high", "target_unit"]
    assert first["target_value"] == 4 and isinstance(first["target_value"], int)
    assert (first["source_file"], first["source_page"], first["source_row"]) == ("plan.docx", None, 1)
    assert first["section"] == "1.构建大养老体系" and first["indicator_id"]

    csv_proc = planwh("extract", str(f), "--format", "csv", timeout=30)
    assert csv_proc.returncode == 0, csv_proc.stderr
    lines = csv_proc.stdout.splitlines()
    assert lines[0].startswith("plan_id,source_file,source_page,") and len(lines) == 4
    assert ",不低于4张,>=,4,,张," in lines[1]
