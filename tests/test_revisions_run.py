"""Revised plans through a real `planwh run` (docs/time.md): a plan, its declared mid-term
adjustment and a second revision mapped in plan_revisions.csv, whose bad row is an issue."""

import shutil
import subprocess
import sys
from datetime import date

from tests.helpers import FIXTURES, RAW, fetch
from warehouse.schema import make_engine

DOCS = FIXTURES / "plans" / "revisions"
BEDS = "每百名老人拥有养老机构床位数"


def test_planwh_run_applies_a_chain_of_revisions(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW / "reference", raw / "reference")
    shutil.copytree(RAW / "stats", raw / "stats")
    (raw / "plans").mkdir()
    for name in ("five_year_plan.docx", "mid_term_adjustment.docx", "beds_2019_2020.docx"):
        shutil.copy(DOCS / name, raw / "plans" / name)
    (raw / "reference" / "plan_revisions.csv").write_text(
        "plan,revises,effective_from\n"
        "beds_2019_2020.docx,《杭州市民政局“十三五”养老服务绩效规划》,2019-07-01\n"
        "annual.docx,five_year_plan.docx,someday\n", encoding="utf-8")
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    p = subprocess.run([sys.executable, "-m", "planwh.cli", "run", "--raw", str(raw),
                        "--warehouse", url, "--quiet"], cwd=tmp_path, capture_output=True,
                       text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr
    engine = make_engine(url)
    try:
        shown = fetch(engine, "SELECT year, source_file, target FROM v_attainment "
                              f"WHERE indicator_name = '{BEDS}' AND district_code = '330100' "
                              "ORDER BY year")
        assert shown == [(2016, "five_year_plan.docx", ">= 4.2 张"),
                         (2017, "five_year_plan.docx", ">= 4.3 张"),
                         (2018, "mid_term_adjustment.docx", ">= 4.4 张"),
                         (2019, "beds_2019_2020.docx", ">= 4.55 张"),
                         (2020, "beds_2019_2020.docx", ">= 4.7 张")]
        # three versions of one natural key, each closed the day before the next
        assert fetch(engine, "SELECT valid_from, valid_to, is_current FROM dim_indicator "
                             f"WHERE indicator_name = '{BEDS}' ORDER BY valid_from NULLS FIRST"
                     ) == [(None, date(2017, 12, 31), False),
                           (date(2018, 1, 1), date(2019, 6, 30), False),
                           (date(2019, 7, 1), None, True)]
        assert fetch(engine, "SELECT source_file, location, severity, check_name "
                             "FROM ingest_issues WHERE scope = 'reference:plan_revisions'"
                     ) == [("plan_revisions.csv", "row 3", "error", "plan_revision")]
        assert fetch(engine, "SELECT COUNT(*) FROM ingest_issues WHERE scope = 'revisions'"
                     ) == [(0,)]
    finally:
        engine.dispose()
