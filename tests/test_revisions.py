"""Revised and overlapping plans (docs/time.md, "Revised plans"; issue #17 part 2).

Real DOCX fixtures written by tools/make_revision_plans.py (tests/fixtures/plans/
revisions/), read by the extractor, loaded by the loaders over the sample
raw/reference, attainment built, on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from extractors.plans import extract_plan
from extractors.records import STAT_FRAME_COLUMNS
from extractors.reference import read_reference
from extractors.revisions import PlanRevision, detect_revision, read_plan_revisions
from tests.helpers import FIXTURES, RAW, fetch
from warehouse import load as wl
from warehouse.attainment import build_attainment

DOCS = FIXTURES / "plans" / "revisions"
PLAN = "five_year_plan.docx"
ADJUSTMENT = "mid_term_adjustment.docx"
UNDECLARED = "beds_2019_2020.docx"
ANNUAL = "annual_plan_2018.docx"
CITY = "330100"
BEDS, COVERAGE = "每百名老人拥有养老机构床位数", "居家养老服务照料中心覆盖率"
# the city's own figures (invented): beds per 100 elderly, care-centre coverage (%)
ACTUALS = {
    "beds_per_100_elderly": {2016: 4.24, 2017: 4.4, 2018: 4.45, 2019: 4.6, 2020: 4.75},
    "care_centre_coverage": {2016: 91.0, 2017: 92.5, 2018: 95.5, 2019: 96.0, 2020: 99.0},
}


# --------------------------------------------------------------------------- reading


def test_a_document_declares_what_it_revises_and_from_when():
    d = detect_revision("关于调整《甲规划》部分指标的通知", ["经中期评估，自2018年7月起执行。"])
    assert (d.revises, d.effective_from, d.problem) == ("甲规划", date(2018, 7, 1), None)
    d = detect_revision("乙规划", ["对《甲规划》的目标进行修订，自2019年3月15日起施行。"])
    assert (d.revises, d.effective_from) == ("甲规划", date(2019, 3, 15))
    # a revision title without a date: reported, never guessed
    d = detect_revision("《甲规划》中期调整方案", ["根据中期评估结果调整部分指标。"])
    assert d.revises == "甲规划" and d.effective_from is None and "effective date" in d.problem
    # 调整 in ordinary prose next to a cited law is not a revision
    assert detect_revision("乙规划", ["为贯彻落实《甲条例》，调整产业结构。"]) is None


def test_the_extractor_reads_the_declaration_of_a_real_document():
    plan = extract_plan(DOCS / ADJUSTMENT)
    assert plan.revises == "杭州市民政局“十三五”养老服务绩效规划"
    assert plan.effective_from == date(2018, 1, 1)
    assert "中期评估" in plan.revision_note
    assert extract_plan(DOCS / PLAN).revises is None


def test_bad_rows_of_plan_revisions_csv_are_issues(tmp_path):
    (tmp_path / "plan_revisions.csv").write_text(
        "plan,revises,effective_from\n"
        "b.docx,a.docx,2019-07-01\n"
        "c.docx,a.docx,2019-13-01\n"   # not a date
        "d.docx,,2019\n"               # revises missing
        "e.docx,e.docx,2019\n"         # itself
        "b.docx,x.docx,2020\n"         # a second revision of b.docx
        "f.docx,a.docx,2020\n", encoding="utf-8")
    rows, issues = read_plan_revisions(tmp_path)
    assert rows == [PlanRevision("b.docx", "a.docx", date(2019, 7, 1), 2),
                    PlanRevision("f.docx", "a.docx", date(2020, 1, 1), 7)]
    assert [(i.location, i.severity) for i in issues] == [
        ("row 3", "error"), ("row 4", "error"), ("row 5", "error"), ("row 6", "error")]
    assert read_plan_revisions(tmp_path / "absent") == ([], [])
    (tmp_path / "plan_revisions.csv").write_text("plan,revises\nb,a\n", encoding="utf-8")
    rows, issues = read_plan_revisions(tmp_path)
    assert rows == [] and "effective_from" in issues[0].reason


# --------------------------------------------------------------------------- the warehouse


def _stats() -> pd.DataFrame:
    return pd.DataFrame(
        [{"metric_code": m, "district_code": CITY, "year": y, "value": v, "unit": None,
          "source_file": "city.csv", "location": f"{m}/{y}"}
         for m, values in ACTUALS.items() for y, v in values.items()],
        columns=list(STAT_FRAME_COLUMNS))


def _load(engine, *names: str, revisions: list[PlanRevision] | None = None) -> None:
    ref = read_reference(RAW / "reference")
    wl.load_reference(engine, ref.districts, ref.metrics, revisions=revisions or [])
    for name in names:
        assert wl.load_plan(engine, extract_plan(DOCS / name), ref.indicator_metrics) == "loaded"
    wl.load_stats(engine, _stats())
    build_attainment(engine)


def _city(engine, view: str = "v_attainment", extra: str = "") -> dict:
    """(indicator, year) -> [(source file, target, attained...)] of the city rows."""
    out: dict = {}
    for r in fetch(engine, f"SELECT indicator_name, year, source_file, target, attained{extra} "
                           f"FROM {view} WHERE district_code = '{CITY}'"):
        out.setdefault((r[0], r[1]), []).append(tuple(r[2:]))
    return {k: sorted(v) for k, v in out.items()}


def test_a_revising_plan_replaces_one_target_from_its_effective_date(engine):
    _load(engine, PLAN, ADJUSTMENT)
    rows = _city(engine)
    # beds: the plan's targets before 2018, the adjustment's from 2018 (and their verdicts)
    assert [rows[(BEDS, y)] for y in range(2016, 2021)] == [
        [(PLAN, ">= 4.2 张", True)], [(PLAN, ">= 4.3 张", True)],
        [(ADJUSTMENT, ">= 4.4 张", True)], [(ADJUSTMENT, ">= 4.6 张", True)],
        [(ADJUSTMENT, ">= 4.8 张", False)]]
    # coverage, which the adjustment does not restate, keeps the plan's targets
    assert [rows[(COVERAGE, y)] for y in range(2016, 2021)] == [
        [(PLAN, f">= {t} %", ok)] for t, ok in
        (("90", True), ("92", True), ("95", True), ("97", False), ("100", False))]
    # both versions stay queryable with their verdicts: 2018 flips from missed to met
    versions = _city(engine, "v_attainment_versions", ", in_force")
    assert versions[(BEDS, 2018)] == [(PLAN, ">= 4.5 张", False, False),
                                      (ADJUSTMENT, ">= 4.4 张", True, True)]
    assert versions[(BEDS, 2017)] == [(PLAN, ">= 4.3 张", True, True)]
    # dim_indicator: type 2, one natural key, the old version closed the day before
    dims = fetch(engine, "SELECT p.source_file, i.indicator_name, i.valid_from, i.valid_to, "
                         "i.is_current FROM dim_indicator i JOIN dim_plan p USING (plan_id)")
    assert sorted(dims) == [(PLAN, COVERAGE, None, None, True),
                            (PLAN, BEDS, None, date(2017, 12, 31), False),
                            (ADJUSTMENT, BEDS, date(2018, 1, 1), None, True)]
    assert fetch(engine, "SELECT COUNT(DISTINCT indicator_key) FROM dim_indicator "
                         f"WHERE indicator_name = '{BEDS}'") == [(1,)]
    plans = fetch(engine, "SELECT source_file, revision_source, effective_from, "
                          "revises_plan_id IS NOT NULL, lineage_id = plan_id FROM dim_plan")
    assert sorted(plans) == [(PLAN, None, None, False, True),
                             (ADJUSTMENT, "document", date(2018, 1, 1), True, False)]
    assert fetch(engine, "SELECT COUNT(*) FROM ingest_issues WHERE scope = 'revisions'") == [(0,)]

    # the order of loading does not matter: the plan loaded after its revision
    assert wl.delete_plan(engine, PLAN) == 1
    assert (BEDS, 2016) not in _city(engine)
    assert _city(engine)[(BEDS, 2018)] == [(ADJUSTMENT, ">= 4.4 张", True)]
    _load(engine, PLAN)
    assert _city(engine) == rows
    # without the revision, the plan's own targets are in force again
    assert wl.delete_plan(engine, ADJUSTMENT) == 1
    build_attainment(engine)
    assert _city(engine)[(BEDS, 2018)] == [(PLAN, ">= 4.5 张", False)]
    assert fetch(engine, "SELECT COUNT(*) FROM dim_indicator WHERE NOT is_current") == [(0,)]


def test_plan_revisions_csv_makes_a_document_a_revision(engine):
    """A document that says nothing is mapped by the reference, from mid-2019: its 2019
    target governs 2019 (the target in force on 31 December), the plan keeps 2016-2018."""
    mapping = [PlanRevision(UNDECLARED, "杭州市民政局“十三五”养老服务绩效规划",
                            date(2019, 7, 1), 2),
               PlanRevision("no-such-plan.docx", PLAN, date(2019, 1, 1), 3)]
    _load(engine, PLAN, UNDECLARED, revisions=mapping)
    rows = _city(engine)
    assert [rows[(BEDS, y)][0][:2] for y in range(2016, 2021)] == [
        (PLAN, ">= 4.2 张"), (PLAN, ">= 4.3 张"), (PLAN, ">= 4.5 张"),
        (UNDECLARED, ">= 4.55 张"), (UNDECLARED, ">= 4.7 张")]
    assert fetch(engine, "SELECT revision_source, effective_from FROM dim_plan "
                         f"WHERE source_file = '{UNDECLARED}'") == [("reference", date(2019, 7, 1))]
    issues = fetch(engine, "SELECT source_file, location, severity FROM ingest_issues "
                           "WHERE scope = 'revisions'")
    assert issues == [("plan_revisions.csv", "row 3", "warning")]
    # the mapping removed: the document stands on its own, the plan's 2019 target is back
    ref = read_reference(RAW / "reference")
    wl.load_reference(engine, ref.districts, ref.metrics, revisions=[])
    assert sorted(r[0] for r in _city(engine)[(BEDS, 2019)]) == [UNDECLARED, PLAN]


def test_annual_and_five_year_plans_are_shown_side_by_side(engine):
    _load(engine, PLAN, ANNUAL)
    # each plan evaluated against its own 2018 target: no silent deduplication
    assert _city(engine)[(COVERAGE, 2018)] == [(ANNUAL, ">= 96 %", False),
                                               (PLAN, ">= 95 %", True)]
    assert fetch(engine, "SELECT COUNT(*) FROM dim_plan WHERE revises_plan_id IS NOT NULL") == [(0,)]
    assert fetch(engine, "SELECT COUNT(DISTINCT indicator_key) FROM dim_indicator "
                         f"WHERE indicator_name = '{COVERAGE}'") == [(2,)]


def test_a_revision_of_a_plan_not_loaded_is_an_issue_and_stands_alone(engine):
    _load(engine, ADJUSTMENT)
    assert [r[0][:2] for k, r in sorted(_city(engine).items())] == [
        (ADJUSTMENT, ">= 4.4 张"), (ADJUSTMENT, ">= 4.6 张"), (ADJUSTMENT, ">= 4.8 张")]
    [(where, severity, reason)] = fetch(
        engine, "SELECT location, severity, reason FROM ingest_issues WHERE scope = 'revisions'")
    assert (where, severity) == ("document", "warning") and "not a loaded plan" in reason


@pytest.mark.parametrize("order", [(PLAN, ADJUSTMENT), (ADJUSTMENT, PLAN)])
def test_one_target_in_force_per_natural_key_year_and_scope(duckdb_url, order):
    from warehouse.schema import create_schema, make_engine

    engine = make_engine(duckdb_url)
    create_schema(engine)
    _load(engine, *order, ANNUAL)
    assert fetch(engine, """
        SELECT COUNT(*) FROM (
            SELECT i.indicator_key, t.year, t.scope FROM fct_target t
            JOIN dim_indicator i ON i.indicator_id = t.indicator_id
            WHERE (t.valid_from IS NULL OR t.valid_from <= make_date(t.year, 12, 31))
              AND (t.valid_to IS NULL OR t.valid_to >= make_date(t.year, 12, 31))
            GROUP BY 1, 2, 3 HAVING COUNT(*) > 1) x""") == [(0,)]
    assert fetch(engine, "SELECT COUNT(*) FROM v_attainment_versions") > fetch(
        engine, "SELECT COUNT(*) FROM v_attainment")
    engine.dispose()


@pytest.mark.slow  # runs a Great Expectations suite
def test_overlapping_target_validity_fails_the_attainment_suite(duckdb_url):
    from expectations.runner import issues_from, run_suite
    from expectations.suites import TARGET_VERSIONS_SQL
    from warehouse.counts import read_frame
    from warehouse.schema import create_schema, make_engine

    def rule(versions):
        suite = run_suite("attainment", pd.DataFrame(), expected_keys=pd.DataFrame(),
                          target_versions=versions, docs_dir=None)
        return suite, next(r for r in suite.results if r.name == "attainment.one_target_in_force")

    engine = make_engine(duckdb_url)
    create_schema(engine)
    _load(engine, PLAN, ADJUSTMENT)
    versions = read_frame(engine, TARGET_VERSIONS_SQL)
    engine.dispose()
    assert len(versions) == 13 and rule(versions)[1].success
    # the adjustment's 2018 target made open-ended from 2017: two targets in force
    broken = versions.copy()
    beds_2018 = (broken["year"] == 2018) & broken["valid_from"].notna()
    broken.loc[beds_2018, "valid_from"] = pd.Timestamp("2017-06-01")
    suite, result = rule(broken)
    assert not result.success and result.unexpected_count == 1
    [issue] = [i for i in issues_from(suite, pd.DataFrame())
               if i.check == "attainment.one_target_in_force"]
    assert "year=2018" in issue.location and "fails for" in issue.reason


def test_restated_attainment_shows_the_target_in_force_too(engine):
    from warehouse.restate import build_restated

    _load(engine, PLAN, ADJUSTMENT)
    build_restated(engine, 2020)  # the boundaries of 2020: every figure passes through
    restated = fetch(engine, "SELECT year, target, attained FROM v_attainment_restated "
                             f"WHERE indicator_name = '{BEDS}' AND district_code = '{CITY}'")
    assert sorted(restated) == [(2016, ">= 4.2 张", True), (2017, ">= 4.3 张", True),
                                (2018, ">= 4.4 张", True), (2019, ">= 4.6 张", True),
                                (2020, ">= 4.8 张", False)]


def test_v_progress_shows_the_version_in_force_for_the_year(engine):
    """fct_progress keeps every version's progress; v_progress shows, for each year, the
    version whose end-year target is in force on 31 December (the adjustment's from 2018)."""
    from warehouse.progress import build_progress

    _load(engine, PLAN, ADJUSTMENT)
    assert build_progress(engine) > 0
    every = "SELECT p.source_file, g.year, g.end_target_value FROM fct_progress g " \
            "JOIN dim_indicator i USING (indicator_id) JOIN dim_plan p USING (plan_id) " \
            f"WHERE g.district_code = '{CITY}' AND i.indicator_name = :n"
    shown = "SELECT p.source_file, v.year, v.end_target FROM v_progress v " \
            "JOIN dim_plan p USING (plan_id) " \
            f"WHERE v.district_code = '{CITY}' AND v.indicator_name = :n"
    beds = fetch(engine, every, n=BEDS)
    # both versions have progress rows in the years after the effective date
    assert {(f, y) for f, y, _ in beds} >= {(PLAN, 2018), (ADJUSTMENT, 2018),
                                             (PLAN, 2020), (ADJUSTMENT, 2020)}
    expected = sorted(r for r in beds if (r[0] == PLAN) == (r[1] < 2018))
    assert sorted(fetch(engine, shown, n=BEDS)) == expected
    years = [y for _, y, _ in expected]
    assert len(years) == len(set(years)) and {2017, 2018, 2020} <= set(years)
    # the end-year target the view follows from 2018 is the adjustment's 4.8
    assert [t for f, y, t in expected if y >= 2018] == [pytest.approx(4.8)] * 3
    # coverage, not restated: the plan's version every year, as in fct_progress
    coverage = fetch(engine, every, n=COVERAGE)
    assert coverage and {f for f, _, _ in coverage} == {PLAN}
    assert sorted(fetch(engine, shown, n=COVERAGE)) == sorted(coverage)
    assert fetch(engine, "SELECT COUNT(DISTINCT indicator_key) FROM v_progress "
                         "WHERE indicator_name = :n", n=BEDS) == [(1,)]
