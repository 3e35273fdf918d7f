"""Every expectation fails on a crafted frame and passes on a near-miss one."""

from __future__ import annotations

import json
import pickle
from datetime import date
from decimal import Decimal

import pandas as pd
import pytest
from progress_cases import PROGRESS_CASES
from restate_cases import RESTATE_CASES

from expectations.runner import issues_from, write_data_docs
from expectations.runner import run_suite as _run_suite
from expectations.suites import SUITES, rules_of
from extractors.records import District, Metric, TargetRecord

# --------------------------------------------------------------------------- fixtures


def run_suite(name, frame, **kw):
    """Data Docs off unless a test asks for them (they cost ~0.3 s a run)."""
    kw.setdefault("docs_dir", None)
    return _run_suite(name, frame, **kw)


DISTRICTS = [
    District("330100", "杭州市", "city", None, None, None),
    District("330102", "上城区", "district", "330100", None, None),
    District("330185", "临安市", "county_city", "330100", None, date(2017, 8, 1)),
    District("330112", "临安区", "district", "330100", date(2017, 8, 2), None),
]
METRICS = {
    "beds": Metric("beds", "养老床位数", "张", "sum"),
    "cover": Metric("cover", "覆盖率", "%", "ratio", "a", "b", Decimal(100)),
    "per1000": Metric("per1000", "每千人床位", "张/千人", "ratio", "a", "b", Decimal(1000)),
}


def target(**kw) -> dict:
    rec = TargetRecord(
        plan_id="p1", source_file="plan.docx", source_page=None, source_table=1,
        source_row=kw.pop("source_row", 9), section="1.养老", task_no="1", task_name="养老",
        indicator_name=kw.pop("indicator_name", "养老床位数"), year=kw.pop("year", 2018),
        scope=kw.pop("scope", "全市"), target_text=kw.pop("target_text", "不低于40张"),
        comparator=kw.pop("comparator", ">="), target_value=kw.pop("target_value", Decimal(40)),
        target_value_high=kw.pop("target_value_high", None),
        target_unit=kw.pop("target_unit", "张"),
    ).to_dict()
    rec.update(period_start=2016, period_end=2020)
    rec.update(kw)
    return rec


def targets_frame(*rows: dict) -> pd.DataFrame:
    base = [target(source_row=2), target(source_row=3, indicator_name="覆盖率",
                                         target_unit="%", target_value=Decimal(90))]
    return pd.DataFrame(base + list(rows))


def stat(**kw) -> dict:
    row = dict(metric_code="beds", district_code="330102", year=2018, value=10.0, unit="张",
               source_file="stats.csv", location="row 9")
    row.update(kw)
    return row


def stats_frame(*rows: dict, complete: bool = True) -> pd.DataFrame:
    base = [stat(district_code="330102"), stat(district_code="330112"),
            stat(metric_code="cover", district_code="330102", value=50.0, unit="%"),
            stat(metric_code="cover", district_code="330112", value=60.0, unit="%")]
    if not complete:
        base = base[:-1]
    return pd.DataFrame(base + list(rows))


def att(**kw) -> dict:
    row = dict(indicator_id="i1", district_code="330100", year=2018, comparator=">=",
               target_value=40.0, actual_value=45.0, attained=True)
    row.update(kw)
    return row


EXPECTED = pd.DataFrame([{"indicator_id": "i1", "district_code": "330100", "year": 2018},
                         {"indicator_id": "i1", "district_code": "330100", "year": 2019}])


def att_frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame([att(), att(year=2019, actual_value=30.0, attained=False)] + list(rows))


STATS_CTX = {"districts": DISTRICTS, "metrics": METRICS}
NUM_DEN = {"a": Metric("a", "床位", "张", "sum"), "b": Metric("b", "人口", "人", "sum")}
ATT_CTX = {"expected_keys": EXPECTED}

# rule -> (suite, failing frame, passing near-miss frame, context)
def versions_frame(*validity: tuple) -> pd.DataFrame:
    """Target versions of one (indicator_key, year, scope): (valid_from, valid_to) each."""
    return pd.DataFrame(
        [{"indicator_key": "k1", "year": 2018, "scope": "全市", "valid_from": f, "valid_to": t,
          "source_file": f"plan{n}.docx"} for n, (f, t) in enumerate(validity)])


CASES = {
    "targets.year_in_plan_period": (
        "targets", targets_frame(target(year=2021)), targets_frame(target(year=2020)), {}),
    "targets.comparator_in_contract_set": (
        "targets", targets_frame(target(comparator="≥")),
        targets_frame(target(comparator="about", target_text="40左右")), {}),
    "targets.value_present_iff_numeric": (
        "targets", targets_frame(target(comparator="milestone", target_text="试点启动")),
        targets_frame(target(comparator="milestone", target_value=None, target_unit=None,
                             target_text="试点启动")), {}),
    "targets.between_bounds": (
        "targets",
        targets_frame(target(comparator="between", target_value=Decimal(5),
                             target_value_high=Decimal(5))),
        targets_frame(target(comparator="between", target_value=Decimal(5),
                             target_value_high=Decimal("5.5"))), {}),
    "targets.percentage_within_0_100": (
        "targets", targets_frame(target(target_unit="%", target_value=Decimal("100.5"))),
        targets_frame(target(target_unit="%", target_value=Decimal(100))), {}),
    "targets.unique_indicator_year_scope": (
        "targets", targets_frame(target(source_row=2)),
        targets_frame(target(source_row=2, scope="农村")), {}),
    "targets.provenance_present": (
        "targets", targets_frame(target(source_row=5, source_file="")),
        targets_frame(target(source_row=5, source_page=3)), {}),
    "district_stats.district_valid_in_year": (
        "district_stats", stats_frame(stat(district_code="330185", year=2018)),
        stats_frame(stat(district_code="330185", year=2016), stat(year=2016)), STATS_CTX),
    "district_stats.metric_known": (
        "district_stats", stats_frame(stat(metric_code="nope")),
        stats_frame(stat(metric_code="per1000", value=3.5),
                    stat(metric_code="per1000", district_code="330112", value=0.0)), STATS_CTX),
    "district_stats.count_non_negative": (
        "district_stats", stats_frame(stat(year=2019, value=-1.0)),
        stats_frame(stat(year=2019, value=0.0), stat(year=2019, district_code="330112")),
        STATS_CTX),
    "district_stats.ratio_within_plausible_range": (
        "district_stats", stats_frame(stat(metric_code="per1000", value=-0.1)),
        stats_frame(stat(metric_code="cover", year=2019, value=100.0),
                    stat(metric_code="cover", year=2019, district_code="330112", value=0.0)),
        STATS_CTX),
    "district_stats.unique_metric_district_year": (
        "district_stats", stats_frame(stat(value=11.0)),
        stats_frame(stat(year=2019), stat(year=2019, district_code="330112")), STATS_CTX),
    "district_stats.every_district_present": (
        "district_stats", stats_frame(complete=False),
        # a ratio metric counts as present through its numerator and denominator
        stats_frame(stat(metric_code="per1000", value=3.0),
                    *[stat(metric_code=m, district_code=c, value=1.0)
                      for m in ("a", "b") for c in ("330102", "330112")]),
        {"districts": DISTRICTS, "metrics": {**METRICS, **NUM_DEN}}),
    "attainment.attained_when_evaluable": (
        "attainment", att_frame(att(indicator_id="i2", attained=None)),
        att_frame(att(indicator_id="i2", actual_value=None, attained=None)), ATT_CTX),
    "attainment.unique_indicator_district_year": (
        "attainment", att_frame(att()), att_frame(att(district_code="330102")), ATT_CTX),
    "attainment.row_per_district_per_plan_year": (
        "attainment", att_frame().iloc[:1], att_frame(), ATT_CTX),
    # checked on the target versions (a context frame): a fifth item is the passing context
    "attainment.one_target_in_force": (
        "attainment", att_frame(), att_frame(),
        {**ATT_CTX, "target_versions": versions_frame(("2018-01-01", None), (None, None))},
        {**ATT_CTX, "target_versions": versions_frame(("2018-01-01", None),
                                                      (None, "2017-12-31"))}),
}
CASES.update(PROGRESS_CASES)  # hook: the progress suite's cases (tests/progress_cases.py)
CASES.update(RESTATE_CASES)  # and the restatement suite's (tests/restate_cases.py)


def test_every_expectation_has_a_case():
    names = [r.name for s in SUITES for r in rules_of(s)]
    assert sorted(names) == sorted(CASES)
    assert len(set(names)) == len(names)
    for s in SUITES:
        for r in rules_of(s):
            assert r.name.startswith(s + ".") and r.severity in ("error", "warning")


def _by_name(result):
    return {r.name: r for r in result.results}


@pytest.mark.parametrize("rule", sorted(CASES))
def test_expectation_fails_and_passes(rule):
    suite, bad, good, ctx, *good_ctx = CASES[rule]
    failing = _by_name(run_suite(suite, bad, **ctx))[rule]
    assert not failing.success, failing
    assert failing.unexpected_count >= 1 and failing.sample
    assert failing.status == ("FAIL" if failing.severity == "error" else "WARN")
    if failing.kind == "rows":
        # the planted row is the last one of the frame
        assert len(bad) - 1 in failing.failing_index
    else:
        assert failing.failing_index == [] and failing.missing
    passed = run_suite(suite, good, **(good_ctx[0] if good_ctx else ctx))
    assert all(r.success for r in passed.results), [r for r in passed.results if not r.success]
    assert passed.success


def test_attained_when_evaluable_for_relative_targets():
    """A relative target (增长10%, level reading >= 10) is judged on its resolved level:
    resolved with an actual, attained must be there; not resolved (its note says why), a
    missing attained is right even though the level reading has a number and an actual."""
    rule = "attainment.attained_when_evaluable"
    unjudged = att(indicator_id="i2", target_value=10.0, attained=None, target_resolved=55.0)
    failing = _by_name(run_suite("attainment", att_frame(unjudged), **ATT_CTX))[rule]
    assert not failing.success and 2 in failing.failing_index
    why = att(indicator_id="i2", target_value=10.0, attained=None,
              note="no base figure in 2015")
    assert _by_name(run_suite("attainment", att_frame(why), **ATT_CTX))[rule].success


def test_result_shape_and_quarantine_positions():
    frame = stats_frame(stat(value=-5.0, year=2019), stat(district_code="330185", year=2019))
    frame.index = [10, 20, 30, 40, 50, 60]  # positions, not labels, are reported
    res = run_suite("district_stats", frame, **STATS_CTX)
    assert res.suite == "district_stats" and not res.success
    assert res.failing_positions() == [4, 5]
    by = _by_name(res)
    neg = by["district_stats.count_non_negative"]
    assert neg.failing_index == [4]
    assert neg.sample == [{"metric_code": "beds", "district_code": "330102", "year": 2019,
                           "value": -5.0, "source_file": "stats.csv", "location": "row 9"}]
    assert by["district_stats.every_district_present"].status == "WARN"
    json.dumps(res.to_metadata())  # JSON-friendly
    pickle.loads(pickle.dumps(res))  # picklable (Dagster IO managers)


def test_warning_alone_keeps_suite_successful():
    res = run_suite("district_stats", stats_frame(complete=False), **STATS_CTX)
    assert res.success
    assert [r.name for r in res.failed] == ["district_stats.every_district_present"]


def test_issues_from_rows_and_coverage():
    frame = targets_frame(target(year=2030, source_page=7, source_row=8))
    res = run_suite("targets", frame)
    issues = issues_from(res, frame)
    assert len(issues) == 1
    (i,) = issues
    assert i.check == "targets.year_in_plan_period" and i.severity == "error"
    assert i.source_file == "plan.docx"
    assert i.location == "page 7, table 1, row 8"
    assert "year=2030" in i.reason

    stats = stats_frame(stat(value=-1.0, year=2019), complete=False)
    issues = issues_from(run_suite("district_stats", stats, **STATS_CTX), stats)
    checks = sorted((i.check, i.severity, i.source_file, i.location) for i in issues)
    assert ("district_stats.count_non_negative", "error", "stats.csv", "row 9") in checks
    missing = [i for i in issues if i.check == "district_stats.every_district_present"]
    # 2018 cover/330112 and 2019 beds/330112
    assert len(missing) == 2 and all(i.severity == "warning" for i in missing)
    assert all("districts_missing=1" in i.location and "missing=临安区" in i.location
               and "file=stats.csv" in i.location for i in missing)


def test_data_docs_written(tmp_path):
    res = run_suite("targets", targets_frame(target(year=2030)), docs_dir=tmp_path / "docs")
    index = tmp_path / "docs" / "targets" / "index.html"
    assert res.docs_path == str(index.resolve()) and index.exists()
    pages = list((tmp_path / "docs" / "targets" / "validations").rglob("*.html"))
    assert pages and "year_in_plan_period" in pages[0].read_text(encoding="utf-8")
    # a second run replaces the site instead of piling up validations
    write_data_docs(res, tmp_path / "docs")
    assert len(list((tmp_path / "docs" / "targets" / "validations").rglob("*.html"))) == 1
    assert [p.name for p in (tmp_path / "docs").iterdir()] == ["targets"]


def test_data_docs_templates_are_compiled_once(tmp_path):
    """GX makes a new Jinja environment per view; the bytecode cache keeps each compiled
    template, so a second site loads them instead of compiling them again."""
    from expectations.runner import cached_templates

    res = run_suite("targets", targets_frame(target(year=2030)), docs_dir=tmp_path / "a")
    cache = cached_templates()
    assert cache is not None and cached_templates() is cache  # installed once
    before = cache.hits
    write_data_docs(res, tmp_path / "b")
    assert cache.hits > before
    pages = list((tmp_path / "b" / "targets" / "validations").rglob("*.html"))
    assert pages and "year_in_plan_period" in pages[0].read_text(encoding="utf-8")


def test_data_docs_default_dir_and_key(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANWH_DOCS_DIR", str(tmp_path / "site"))
    res = _run_suite("targets", targets_frame())  # default: $PLANWH_DOCS_DIR
    assert res.docs_path == str((tmp_path / "site" / "targets" / "index.html").resolve())
    path = write_data_docs(res, tmp_path / "site", key="规划 2016/20.docx")
    assert path.parent == tmp_path / "site" / "targets--规划_2016_20.docx" and path.exists()
    assert (tmp_path / "site" / "targets" / "index.html").exists()


def test_data_docs_failure_does_not_fail_validation(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    res = _run_suite("targets", targets_frame(), docs_dir=blocker)
    assert res.success and res.docs_path is None


def test_unknown_suite():
    with pytest.raises(KeyError):
        run_suite("nope", pd.DataFrame())


# --------------------------------------------------------------------------- completeness summaries


def _coverage_warnings(frame, ctx=STATS_CTX):
    res = run_suite("district_stats", frame, **ctx)
    return [i for i in issues_from(res, frame) if i.check == "district_stats.every_district_present"]


def test_city_level_only_metric_raises_no_warning():
    # a file giving beds at city level only, over several years: normal, nothing to say
    frame = pd.DataFrame([stat(district_code="330100", year=y, source_file="city.csv")
                          for y in (2016, 2017, 2018, 2019)])
    assert _coverage_warnings(frame) == []


def test_city_only_years_give_one_summary_per_file_metric_year():
    from extractors.reference import DistrictResolver, load_districts, load_metrics
    from extractors.stats import read_stats_file
    from tests.helpers import ROOT

    ref = ROOT / "raw" / "reference"
    districts = load_districts(ref / "districts.csv")
    result = read_stats_file(ROOT / "tests" / "fixtures" / "stats" / "lookalikes" /
                             "city_totals_only.csv", DistrictResolver(districts),
                             load_metrics(ref / "metrics.csv"))
    ctx = {"districts": districts, "metrics": load_metrics(ref / "metrics.csv")}
    warnings = _coverage_warnings(result.frame, ctx)
    # 2016-2018: the city total only, while 2019 is by district: one summary each;
    # 2019: two districts given, the others missing: one summary listing them
    assert len(warnings) == 4
    assert all(i.severity == "warning" for i in warnings)
    by_year = {int(i.location.split("year=")[1].split(",")[0]): i.location for i in warnings}
    assert sorted(by_year) == [2016, 2017, 2018, 2019]
    assert "missing=only the city total" in by_year[2016]
    assert "districts_reported=2" in by_year[2019] and "…" in by_year[2019]
    assert all("file=city_totals_only.csv" in loc for loc in by_year.values())


def test_partial_years_of_a_by_district_metric_are_one_summary_each():
    frame = pd.DataFrame([stat(district_code="330102", year=y) for y in (2019, 2020, 2021)])
    warnings = _coverage_warnings(frame)
    assert len(warnings) == 3  # 临安区 missing in each year: one row per (file, metric, year)


def test_issue_counts_keep_warnings_apart_from_rejected_input():
    from expectations.suites import issue_counts

    frame = stats_frame(stat(value=-1.0, year=2019), complete=False)
    issues = issues_from(run_suite("district_stats", frame, **STATS_CTX), frame)
    counts = issue_counts(issues)
    assert counts == {"rejected": 1, "warnings": 2}
