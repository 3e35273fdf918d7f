"""The analyst queries (warehouse/queries/*.sql) over the small data set of
tests/helpers.py."""

from __future__ import annotations

import pytest

from tests.helpers import fetch, query_header
from warehouse.queries import list_queries, run_query

# --------------------------------------------------------------------------- queries


def test_query_files_have_headers():
    names = list_queries()
    assert len(names) >= 6
    for n in names:
        assert len(query_header(n)) > 40, n


def _q(engine, name, *cols):
    return [tuple(r[c] for c in cols) for r in run_query(engine, name)]


def test_query_attainment_rate(loaded):
    got = _q(loaded, "attainment_rate_by_district_year", "district_code", "level", "year",
             "evaluated", "met", "attainment_rate")
    assert got == [
        ("330100", "city", 2020, 3, 1, pytest.approx(1 / 3)),
        ("330102", "district", 2020, 2, 2, 1.0),
        ("330104", "district", 2020, 2, 0, 0.0),
        ("330106", "district", 2020, 2, 0, 0.0),
        ("330100", "city", 2021, 2, 2, 1.0),
        ("330102", "district", 2021, 1, 1, 1.0),
        ("330106", "district", 2021, 1, 0, 0.0),
    ]


def test_expected_attainment_keys_match_the_build(loaded):
    """The quality rule (expectations) and the attainment SQL agree on the grid: 全市
    targets of mapped indicators, ratio metrics at every valid district and the city,
    sum metrics at the city only (330104 is not valid in 2021)."""
    from expectations.suites import EXPECTED_ATTAINMENT_KEYS_SQL

    expected = set(fetch(loaded, EXPECTED_ATTAINMENT_KEYS_SQL))
    built = set(fetch(loaded, "SELECT indicator_id, district_code, year FROM fct_attainment"))
    assert expected == built
    assert {(d, y) for _, d, y in expected} == {
        ("330100", 2020), ("330102", 2020), ("330104", 2020), ("330106", 2020),
        ("330100", 2021), ("330102", 2021), ("330106", 2021)}


def test_attainment_summary(loaded):
    from warehouse.queries import attainment_summary

    # the rows of test_query_attainment_rate: 13 evaluated, 6 met
    assert attainment_summary(loaded) == (13, pytest.approx(6 / 13))
    with loaded.begin() as cx:
        cx.exec_driver_sql("DELETE FROM fct_attainment")
    assert attainment_summary(loaded) == (0, None)


def test_query_missed_two_years(loaded):
    got = _q(loaded, "indicators_missed_two_years_running", "indicator_name", "district_code",
             "district_name", "first_year", "second_year", "first_actual", "second_actual")
    assert got == [("社区覆盖率", "330106", "西湖区", 2020, 2021, 85.0, 96.0)]


def test_query_city_vs_district(loaded):
    got = {
        (r["indicator_name"], r["year"]): r for r in run_query(loaded, "city_vs_district_figures")
    }
    assert set(got) == {("社区覆盖率", 2020), ("社区覆盖率", 2021),
                        ("城镇登记失业率", 2020), ("城镇登记失业率", 2021)}
    c = got[("社区覆盖率", 2020)]
    # the city figure is 150/190, not the mean of the district rates (90 + 50 + 85) / 3
    assert c["city_actual"] == pytest.approx(150 / 190 * 100)
    assert c["mean_of_district_rates"] == pytest.approx(75.0)
    assert (c["districts"], c["districts_with_figure"], c["districts_met"]) == (3, 3, 1)
    assert (c["district_min"], c["district_max"]) == (50.0, 90.0)
    c = got[("社区覆盖率", 2021)]
    assert c["city_attained"] is True and c["districts"] == 2 and c["districts_met"] == 1
    c = got[("城镇登记失业率", 2021)]
    assert c["city_actual"] is None and c["districts_with_figure"] == 0


def test_query_binding_off_target(loaded):
    got = _q(loaded, "binding_indicators_off_target", "indicator_name", "year", "district_code",
             "target", "actual", "gap")
    assert got == [
        ("城镇登记失业率", 2020, "330104", "<= 3.5 %", 5.0, pytest.approx(-1.5)),
        ("城镇登记失业率", 2020, "330100", "<= 3.5 %", 4.0, pytest.approx(-0.5)),
        ("城镇登记失业率", 2020, "330106", "<= 3.5 %", 4.0, pytest.approx(-0.5)),
    ]


def test_query_targets_without_statistics(loaded):
    got = _q(loaded, "targets_without_statistics", "indicator_name", "year", "target_text",
             "reason")
    assert got == [
        ("智慧养老试点", 2020, "试点启动", "indicator not mapped to a metric"),
        ("城镇登记失业率", 2021, "试点启动", "no statistics"),
    ]


def test_query_latest_load(loaded):
    got = _q(loaded, "latest_load_per_source_file", "source_file", "kind", "row_count", "issues")
    assert got == [
        ("plan.docx", "plan", 8, 0),
        ("stats_2020.csv", "stats", 15, 2),
        ("stats_2021.csv", "stats", 10, 0),
    ]
    stamps = {r["loaded_at"] for r in run_query(loaded, "latest_load_per_source_file")}
    assert None not in stamps
