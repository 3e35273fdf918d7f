"""The whole graph materialised in-process through Dagster on raw/ (and on variants of it)."""

import csv
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from planwh.run_cmd import execute
from tests.helpers import RAW, copy_raw

BEDS = "每百名老人拥有养老机构床位数"  # beds per 100 elderly (the seed's ratio indicator)


def run_pipeline(raw: Path, url: str, workdir: Path):
    """Run like `planwh run` does, with data/ (docs, reports) under workdir."""
    old = os.getcwd()
    os.chdir(workdir)
    try:
        return execute(str(raw), url)
    finally:
        os.chdir(old)


def query(url: str, sql: str, **params):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            return c.execute(sa.text(sql), params).fetchall()
    finally:
        engine.dispose()


def snapshot(url: str) -> dict:
    """Every warehouse table's rows, sorted, for idempotence comparisons."""
    tables = ["dim_plan", "dim_indicator", "dim_district", "dim_year", "fct_target",
              "fct_district_stat", "fct_attainment", "ingest_issues"]
    return {t: sorted(map(repr, query(url, f"SELECT * FROM {t}"))) for t in tables}


def stats_from_csv(year: int) -> dict[tuple[str, str], Decimal]:
    """(district name, metric name) -> value, read straight from the sample CSV."""
    out = {}
    for path in sorted((RAW / "stats").glob("*.csv")):
        with path.open(encoding="utf-8-sig") as f:
            for row in csv.DictReader(f):
                if row["年份"] == str(year) and row["数值"] not in ("", "—", "-"):
                    out[(row["地区"], row["指标"])] = row["数值"]
    return out


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("pipeline")
    raw = work / "raw"
    shutil.copytree(RAW, raw)
    url = f"duckdb:///{work / 'warehouse.duckdb'}"
    outcomes = run_pipeline(raw, url, work)
    return work, raw, url, outcomes


def test_run_succeeds_with_checks(seed_run):
    _, _, _, outcomes = seed_run
    assert not [f for o in outcomes for f in o.failed]
    assert not [q for o in outcomes for q in o.quarantined]
    assert sum(o.checks_passed for o in outcomes) >= 3


def test_row_counts(seed_run):
    _, raw, url, _ = seed_run
    plans = [p for p in (raw / "plans").iterdir() if p.suffix in (".docx", ".pdf")]
    assert query(url, "SELECT COUNT(*) FROM dim_plan")[0][0] == len(plans) >= 1
    # every seed plan holds the beds target for each year 2016..2020
    n_beds = query(url, "SELECT COUNT(*) FROM fct_target t JOIN dim_indicator i "
                        "ON i.indicator_id = t.indicator_id WHERE i.indicator_name = :n", n=BEDS)
    assert n_beds[0][0] == 5 * len(plans)
    assert query(url, "SELECT COUNT(*) FROM fct_district_stat")[0][0] > 100
    assert query(url, "SELECT COUNT(*) FROM fct_attainment")[0][0] > 0


def test_district_ratio_computed_by_hand(seed_run):
    _, _, url, _ = seed_run
    s = stats_from_csv(2016)
    beds, elderly = Decimal(s[("上城区", "养老机构床位数")]), Decimal(s[("上城区", "户籍老年人口")])
    expected = beds / elderly * 100
    rows = query(url, "SELECT actual, attained FROM v_attainment "
                      "WHERE indicator_name = :n AND district_name = '上城区' AND year = 2016", n=BEDS)
    assert rows, "no attainment row for 上城区 2016"
    for actual, attained in rows:
        assert float(actual) == pytest.approx(float(expected), rel=1e-9)
        assert attained == (expected >= 4)


def test_city_ratio_is_sum_over_sum_not_average(seed_run):
    _, _, url, _ = seed_run
    s = stats_from_csv(2017)
    districts = {d for (d, m) in s if d != "杭州市"}
    beds = sum(Decimal(s[(d, "养老机构床位数")]) for d in districts)
    elderly = sum(Decimal(s[(d, "户籍老年人口")]) for d in districts)
    expected = beds / elderly * 100
    mean_of_rates = sum(Decimal(s[(d, "养老机构床位数")]) / Decimal(s[(d, "户籍老年人口")]) * 100
                        for d in districts) / len(districts)
    assert abs(expected - mean_of_rates) > Decimal("0.001")  # the two must differ to be a test
    rows = query(url, "SELECT actual FROM v_attainment WHERE indicator_name = :n "
                      "AND district_name = '杭州市' AND year = 2017", n=BEDS)
    assert rows
    for (actual,) in rows:
        assert float(actual) == pytest.approx(float(expected), rel=1e-9)


def test_city_uses_its_own_figure_when_given(seed_run):
    _, _, url, _ = seed_run  # the seed gives the city's 2016 figure: 4.24 beds per 100 elderly
    rows = query(url, "SELECT actual, attained FROM v_attainment WHERE indicator_name = :n "
                      "AND district_name = '杭州市' AND year = 2016", n=BEDS)
    assert rows and all(float(a) == pytest.approx(4.24) and att for a, att in rows)


def test_v_attainment_answers_the_seed_question(seed_run):
    _, _, url, _ = seed_run
    rows = query(url, "SELECT indicator_name, district_name, year, attained FROM v_attainment "
                      "WHERE indicator_name = :n", n=BEDS)
    years = {r[2] for r in rows}
    assert years == {2016, 2017, 2018, 2019, 2020}
    assert any(r[3] is True for r in rows) and any(r[3] is False for r in rows)


def test_second_run_changes_nothing(seed_run):
    work, raw, url, _ = seed_run
    before = snapshot(url)
    outcomes = run_pipeline(raw, url, work)
    assert not [f for o in outcomes for f in o.failed]
    assert snapshot(url) == before


def test_heatmap_and_report_written(seed_run):
    work, _, _, _ = seed_run
    report = work / "data" / "reports" / "attainment.html"
    assert report.is_file() and "data:image/png;base64," in report.read_text(encoding="utf-8")


def test_report_progress_matches_warehouse(seed_run, tmp_path):
    """The report's progress section (read from the DOM) shows, per indicator × district,
    the status of v_progress's latest year with an actual for the sample raw/. (The
    report is rendered again from the finished warehouse: the attainment_report asset
    does not yet depend on fct_progress, so its own run may precede it.)"""
    import pandas as pd

    from pipelines.report import latest_progress, write_report_from_warehouse
    from tests.test_report import progress_cells

    _, _, url, _ = seed_run
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            view = pd.read_sql_query(sa.text("SELECT * FROM v_progress"), c)
        page = write_report_from_warehouse(engine, tmp_path).read_text(encoding="utf-8")
    finally:
        engine.dispose()
    assert len(view) > 0
    expected = {(r.indicator_name, r.district_name): r.status
                for r in latest_progress(view).itertuples()}
    cells = progress_cells(page)
    assert cells.cells == expected
    assert cells.sections.count("Progress toward the end-year target") >= 1


def test_planted_bad_record_is_held_back(tmp_path):
    """A plan with one target outside its plan period: the blocking check fails, the plan
    does not reach fct_target, the failing row is in ingest_issues, the run is not failed."""
    from docx import Document

    raw = tmp_path / "raw"
    copy_raw(raw, plans=False, stats=False)
    doc = Document()
    doc.add_heading("杭州市民政局“十三五”绩效管理规划", level=1)
    doc.add_heading("1.构建事业产业协同发展的大养老体系", level=2)
    header = ["序号", "工作任务", "相关工作目标(指标)", "2016年", "2017年", "2018年", "2019年", "2030年"]
    table = doc.add_table(rows=2, cols=len(header))
    for i, h in enumerate(header):
        table.cell(0, i).text = h
    for i, v in enumerate(["1", "社会养老床位数不断增加", BEDS,
                           "不低于4张", "不低于4张", "不低于4张", "不低于4张", "不低于4张"]):
        table.cell(1, i).text = v
    doc.save(raw / "plans" / "bad-plan.docx")
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"

    outcomes = run_pipeline(raw, url, tmp_path)

    plan_run = next(o for o in outcomes if o.label == "plan bad-plan.docx")
    assert plan_run.quarantined and not plan_run.failed and plan_run.checks_failed == 1
    assert query(url, "SELECT COUNT(*) FROM fct_target")[0][0] == 0
    issues = query(url, "SELECT source_file, reason FROM ingest_issues WHERE source_file = 'bad-plan.docx'")
    assert any("2030" in reason or "period" in reason for _, reason in issues), issues


def test_files_of_other_types_are_reported_not_ignored(tmp_path):
    """A legacy .doc among the plans and a PDF among the statistics: one issue each
    naming the accepted types; README.md notes are no issue; the rest loads."""
    raw = tmp_path / "raw"
    copy_raw(raw, plans=False, stats=True)
    (raw / "plans" / "旧格式规划.doc").write_bytes(b"\xd0\xcf\x11\xe0 legacy word file")
    (raw / "plans" / "README.md").write_text("notes", encoding="utf-8")
    (raw / "stats" / "统计公报.pdf").write_bytes(b"%PDF-1.4")
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"

    outcomes = run_pipeline(raw, url, tmp_path)

    assert not any(o.failed for o in outcomes)
    issues = query(url, "SELECT scope, source_file, location, severity, reason, check_name "
                        "FROM ingest_issues WHERE check_name = 'file_type' ORDER BY source_file")
    assert [(i[0], i[1], i[2], i[3], i[5]) for i in issues] == [
        ("plans", "旧格式规划.doc", "file", "error", "file_type"),
        ("stats", "统计公报.pdf", "file", "error", "file_type")]
    assert "DOCX, PDF" in issues[0][4] and "'.doc'" in issues[0][4]
    assert "CSV" in issues[1][4] and "XLSX" in issues[1][4]
    assert query(url, "SELECT COUNT(*) FROM fct_district_stat")[0][0] > 0
    # the .doc is replaced by a DOCX: its issue goes
    (raw / "plans" / "旧格式规划.doc").unlink()
    run_pipeline(raw, url, tmp_path)
    assert query(url, "SELECT COUNT(*) FROM ingest_issues WHERE scope = 'plans'")[0][0] == 0


# --------------------------------------------------------------------------- held back

SEED_STATS = RAW / "stats" / "hangzhou-elderly-care-2016-2020.csv"


def split_stats(raw: Path) -> tuple[Path, Path]:
    """The seed statistics as two files, a.csv (first half of the rows) and b.csv."""
    (raw / "stats" / SEED_STATS.name).unlink()
    lines = SEED_STATS.read_bytes().splitlines(keepends=True)
    header, rows = lines[0], lines[1:]
    half = len(rows) // 2
    a, b = raw / "stats" / "a.csv", raw / "stats" / "b.csv"
    a.write_bytes(header + b"".join(rows[:half]))
    b.write_bytes(header + b"".join(rows[half:]))
    return a, b


def stat_rows(url: str, source_file: str) -> list:
    return sorted(query(url, "SELECT metric_code, district_code, year, value, unit, location, "
                             "loaded_at FROM fct_district_stat WHERE source_file = :f "
                             "AND valid_to IS NULL", f=source_file))  # its current figures


def held_issue(url: str, source_file: str) -> str:
    rows = query(url, "SELECT reason, severity FROM ingest_issues WHERE check_name = 'held_back' "
                      "AND source_file = :f", f=source_file)
    assert len(rows) == 1 and rows[0][1] == "error", rows
    return rows[0][0]


def mid_character_cut(data: bytes) -> int:
    """A byte offset in the middle of the file that splits a multi-byte UTF-8 character."""
    i = len(data) // 2
    while not (data[i] & 0xC0 == 0x80 and data[i - 1] & 0x80):
        i += 1
    return i


@pytest.fixture()
def two_files(tmp_path):
    raw = tmp_path / "raw"
    copy_raw(raw, plans=False, stats=True)
    a, b = split_stats(raw)
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    run_pipeline(raw, url, tmp_path)
    before = {f: stat_rows(url, f) for f in ("a.csv", "b.csv")}
    assert all(before.values())
    return tmp_path, raw, url, a, b, before


def change_one_value(path: Path) -> tuple[str, str]:
    """Rewrite the first numeric value of ``path`` (+1); returns (district, metric)."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    for n, line in enumerate(lines[1:], 1):
        cells = line.rstrip("\n").split(",")
        try:
            value = int(cells[3])
        except ValueError:
            continue
        cells[3] = str(value + 1)
        lines[n] = ",".join(cells) + "\n"
        path.write_text("".join(lines), encoding="utf-8")
        return cells[0], cells[2]
    raise AssertionError("no integer value")


@pytest.mark.parametrize("cut", ["mid_character", "mid_character_then_newline",
                                 "row_boundary", "last_row_value"])
def test_truncated_statistics_file_keeps_its_previous_rows(two_files, cut):
    """A statistics file cut short (as a copy still under way leaves it) is held back
    whole: its previous rows stay, an error issue says why, and the other file's
    change still loads."""
    tmp_path, raw, url, a, b, before = two_files
    data = a.read_bytes()
    if cut == "mid_character":
        a.write_bytes(data[:mid_character_cut(data)])
    elif cut == "mid_character_then_newline":
        a.write_bytes(data[:mid_character_cut(data)] + b"\n")
    elif cut == "row_boundary":
        lines = data.splitlines(keepends=True)
        a.write_bytes(b"".join(lines[: len(lines) // 2]))
    else:  # 西湖区,2022,…,123 cut to …,12: the last row has no line end
        lines = data.splitlines(keepends=True)
        a.write_bytes(b"".join(lines[:-1]) + lines[-1].rstrip(b"\r\n")[:-1])
    district, metric = change_one_value(b)

    outcomes = run_pipeline(raw, url, tmp_path)

    assert not any(o.failed for o in outcomes)
    assert stat_rows(url, "a.csv") == before["a.csv"]
    assert "held back whole" in held_issue(url, "a.csv")
    assert stat_rows(url, "b.csv") != before["b.csv"]  # the other file's new value loaded
    assert len(stat_rows(url, "b.csv")) == len(before["b.csv"])


def test_file_without_final_newline_loads_once_it_stopped_changing(two_files):
    """A file written without a final newline is no copy under way once it has not
    changed for PLANWH_SETTLE_SECONDS: its new value loads (it was held back while fresh)."""
    import os
    import time

    tmp_path, raw, url, a, b, before = two_files
    change_one_value(a)
    a.write_bytes(a.read_bytes().rstrip(b"\r\n"))
    run_pipeline(raw, url, tmp_path)
    assert stat_rows(url, "a.csv") == before["a.csv"]  # fresh: held back
    assert "no line end" in held_issue(url, "a.csv")
    old = time.time() - 3600
    os.utime(a, (old, old))
    run_pipeline(raw, url, tmp_path)
    after = stat_rows(url, "a.csv")
    assert after != before["a.csv"] and len(after) == len(before["a.csv"])


def test_accept_shrink_loads_a_real_shrink(two_files):
    tmp_path, raw, url, a, b, before = two_files
    lines = a.read_bytes().splitlines(keepends=True)
    a.write_bytes(b"".join(lines[: len(lines) // 2]))
    run_pipeline(raw, url, tmp_path)
    assert stat_rows(url, "a.csv") == before["a.csv"]
    assert "--accept-shrink" in held_issue(url, "a.csv")

    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        execute(str(raw), url, accept_shrink=["a.csv"])
    finally:
        os.chdir(old)
    now = stat_rows(url, "a.csv")
    assert 0 < len(now) < len(before["a.csv"]) * 0.8
    assert query(url, "SELECT COUNT(*) FROM ingest_issues WHERE check_name = 'held_back'") == [(0,)]


def test_file_changing_during_the_read_is_held_back(two_files, monkeypatch):
    """The file grows while the reader reads it (a copy under way): held back whole."""
    import extractors.budget

    tmp_path, raw, url, a, b, before = two_files
    real = extractors.budget.stream_stats_folder

    def read_while_growing(*args, **kwargs):
        result = real(*args, **kwargs)
        with a.open("ab") as f:  # the copy goes on
            f.write("西湖区,2020,养老机构床位数,1".encode())
        return result

    monkeypatch.setattr(extractors.budget, "stream_stats_folder", read_while_growing)
    change_one_value(a)
    run_pipeline(raw, url, tmp_path)
    assert stat_rows(url, "a.csv") == before["a.csv"]
    assert "changed while it was read" in held_issue(url, "a.csv")


def test_first_load_of_a_cut_file_loads_nothing_from_it(tmp_path):
    raw = tmp_path / "raw"
    copy_raw(raw, plans=False, stats=True)
    data = SEED_STATS.read_bytes()
    (raw / "stats" / SEED_STATS.name).write_bytes(data[:mid_character_cut(data)])
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    run_pipeline(raw, url, tmp_path)
    assert query(url, "SELECT COUNT(*) FROM fct_district_stat") == [(0,)]
    assert "nothing was loaded from it before" in held_issue(url, SEED_STATS.name)


def test_deleted_statistics_file_closes_only_its_rows(two_files):
    """Its figures are no longer current (closed, kept as history: docs/time.md)."""
    tmp_path, raw, url, a, b, before = two_files
    b.unlink()
    run_pipeline(raw, url, tmp_path)
    assert stat_rows(url, "b.csv") == []
    assert query(url, "SELECT COUNT(*) FROM fct_district_stat WHERE source_file = 'b.csv' "
                      "AND valid_to IS NOT NULL") == [(len(before["b.csv"]),)]
    assert stat_rows(url, "a.csv") == before["a.csv"]


def test_assets_refuse_a_raw_folder_without_its_parts(tmp_path):
    """Through Dagster (the sensor's and the schedule's path): a raw folder without plans/
    fails the steps and removes nothing."""
    from dagster import DagsterInstance

    from tests.helpers import materialise_graph

    raw = tmp_path / "raw"
    copy_raw(raw, plans=True, stats=True)
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    run_pipeline(raw, url, tmp_path)
    before = snapshot(url)
    assert query(url, "SELECT COUNT(*) FROM dim_plan")[0][0] > 0
    shutil.rmtree(raw / "plans")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        results = materialise_graph(raw, url, DagsterInstance.ephemeral(), [],
                                    raise_on_error=False)
    finally:
        os.chdir(old)
    assert not results["stats"].success and not results["refresh"].success
    assert snapshot(url) == before


def test_unreadable_xlsx_keeps_its_previous_rows(tmp_path):
    """An XLSX cut in half (a broken zip) after a good load: held back whole."""
    import openpyxl

    raw = tmp_path / "raw"
    copy_raw(raw, plans=False, stats=True)
    (raw / "stats" / SEED_STATS.name).unlink()
    book = openpyxl.Workbook()
    sheet = book.active
    with SEED_STATS.open(encoding="utf-8-sig") as f:
        for row in csv.reader(f):
            sheet.append(row)
    xlsx = raw / "stats" / "stats.xlsx"
    book.save(xlsx)
    url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    run_pipeline(raw, url, tmp_path)
    before = stat_rows(url, "stats.xlsx")
    assert len(before) > 100
    data = xlsx.read_bytes()
    xlsx.write_bytes(data[: len(data) // 2])
    outcomes = run_pipeline(raw, url, tmp_path)
    assert not any(o.failed for o in outcomes)
    assert stat_rows(url, "stats.xlsx") == before
    assert "held back whole" in held_issue(url, "stats.xlsx")
