"""Restated boundaries (warehouse/restate.py, docs/time.md): the lineage of Hangzhou's
2021 redistricting from the GB/T 2260 history, and statistics and attainment restated to
the boundaries of one year, on DuckDB and PostgreSQL. Every expected figure is computed
by hand in the comments."""

from __future__ import annotations

import csv
import shutil
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from extractors.records import IndicatorMetric, Metric
from extractors.reference import load_lineage, load_split_weights, read_reference
from tests.helpers import RAW, fetch, rec
from warehouse import load as wl
from warehouse.attainment import build_attainment
from warehouse.restate import build_restated

METRICS = "\n".join([
    "metric_code,name,unit,aggregation,numerator,denominator,scale,direction",
    "beds,养老床位数,张,sum,,,,up",
    "elderly,老年人口,人,sum,,,,up",
    "beds_per_100,每百名老人床位数,张,ratio,beds,elderly,100,up",
]) + "\n"
MAPPINGS = "pattern,metric_code\n每百名老人床位,beds_per_100\n养老床位数,beds\n"

# 2020 figures on the 1996/2001 boundaries (metric, code, value)
STATS_2020 = [
    ("beds", "330102", 400), ("elderly", "330102", 8000),   # 上城区 (old)
    ("beds", "330103", 200), ("elderly", "330103", 2000),   # 下城区
    ("beds", "330104", 300), ("elderly", "330104", 6000),   # 江干区
    ("beds", "330105", 300), ("elderly", "330105", 6000),   # 拱墅区 (old)
    ("beds", "330106", 150), ("elderly", "330106", 3000),   # 西湖区 (unchanged)
    ("beds", "330109", 500), ("elderly", "330109", 10000),  # 萧山区 (old)
    ("beds", "330110", 1000),                               # 余杭区 (old): no elderly
]


def reference_dir(tmp_path: Path, weights: str | None = None) -> Path:
    """The real Hangzhou districts.csv and district_lineage.csv, small metrics."""
    ref = tmp_path / "reference"
    ref.mkdir()
    for name in ("districts.csv", "district_lineage.csv"):
        shutil.copy(RAW / "reference" / name, ref / name)
    (ref / "metrics.csv").write_text(METRICS, encoding="utf-8")
    (ref / "indicator_metrics.csv").write_text(MAPPINGS, encoding="utf-8")
    if weights is not None:
        (ref / "split_weights.csv").write_text(weights, encoding="utf-8")
    return ref


def load(engine, ref_dir: Path, stats: dict[int, list] | None = None) -> None:
    """The reference of ``ref_dir`` and ``stats`` ({year: [(metric, code, value)]}, default
    STATS_2020)."""
    ref = read_reference(ref_dir)
    wl.load_reference(engine, ref.districts, ref.metrics, ref.lineage, ref.split_weights)
    frame = pd.DataFrame([{"metric_code": m, "district_code": c, "year": y, "value": float(v),
                           "unit": None, "source_file": f"s{y}.csv", "location": f"{m}/{c}"}
                          for y, rows in (stats or {2020: STATS_2020}).items()
                          for m, c, v in rows])
    wl.load_stats(engine, frame)


def restated(engine) -> dict[tuple[str, str, int], tuple]:
    rows = fetch(engine, "SELECT metric_code, district_code, year, value, restated, method "
                         "FROM fct_district_stat_restated")
    return {(m, c, y): (v, r, meth) for m, c, y, v, r, meth in rows}


def reasons(issues, check: str) -> list[str]:
    return [i.reason for i in issues if i.check == check]


# --------------------------------------------------------------------------- lineage


def test_hangzhou_2021_lineage_from_the_history():
    """district_lineage.csv (tools/make_reference.py over the GB/T 2260 history): 江干区
    split into 上城区 and 钱塘区, 下城区 merged into 拱墅区, 萧山区 and 余杭区 gave land
    to 钱塘区 and 临平区, 临安市 recoded to 临安区 in 2017."""
    with (RAW / "reference" / "district_lineage.csv").open(encoding="utf-8") as f:
        links = {(int(r["year"]), r["old_code"], r["new_code"], r["kind"])
                 for r in csv.DictReader(f)}
    assert links == {
        (2017, "330185", "330112", "rename"),
        (2021, "330102", "330102", "merge"),   # 上城区 keeps its land and absorbs 江干 parts
        (2021, "330103", "330105", "merge"),   # 下城区 -> 拱墅区
        (2021, "330105", "330105", "merge"),
        (2021, "330104", "330102", "split"),   # 江干区 -> 上城区 and 钱塘区
        (2021, "330104", "330114", "split"),
        (2021, "330109", "330109", "split"),   # 萧山区 -> 萧山区 and 钱塘区
        (2021, "330109", "330114", "split"),
        (2021, "330110", "330110", "split"),   # 余杭区 -> 余杭区 and 临平区
        (2021, "330110", "330113", "split"),
    }


def test_the_tool_derives_the_committed_lineage():
    history = RAW.parent.parent / "shared" / "reference" / "gb2260-history.csv"
    if not history.exists():
        pytest.skip("the GB/T 2260 history is not beside the repository")
    import tools.make_reference as mr

    rows = mr.build_lineage(mr.read_history(history))
    with (RAW / "reference" / "district_lineage.csv").open(encoding="utf-8") as f:
        assert rows == list(csv.DictReader(f))


def test_a_lineage_contradicting_the_districts_is_refused(tmp_path):
    from extractors.records import BadReference

    ref = reference_dir(tmp_path)
    districts = read_reference(ref).districts
    (tmp_path / "bad.csv").write_text("year,old_code,new_code,kind\n2021,330103,330105,split\n",
                                      encoding="utf-8")
    with pytest.raises(BadReference, match="is a rename"):
        load_lineage(tmp_path / "bad.csv", districts)
    (tmp_path / "bad.csv").write_text("year,old_code,new_code,kind\n2020,330103,330105,merge\n",
                                      encoding="utf-8")
    with pytest.raises(BadReference, match="no version of 330103 ending 2019-12-31"):
        load_lineage(tmp_path / "bad.csv", districts)


def test_unusable_weight_rows_are_issues(tmp_path):
    ref = read_reference(reference_dir(tmp_path))
    metrics = {"beds": Metric("beds", "b", None, "sum"),
               "r": Metric("r", "r", None, "ratio", "beds", "beds", Decimal(1))}
    (tmp_path / "w.csv").write_text(
        "old_code,new_code,metric_code,weight\n"
        "330103,330105,*,1\n"      # a merge, not a split
        "330110,330113,r,0.3\n"    # a ratio metric
        "330110,330113,beds,1.5\n"  # outside 0..1
        "330110,330113,beds,0.3\n",
        encoding="utf-8")
    weights, issues = load_split_weights(tmp_path / "w.csv", metrics, ref.lineage)
    assert [(w.old_code, w.new_code, w.metric_code, w.weight, w.year) for w in weights] == [
        ("330110", "330113", "beds", Decimal("0.3"), 2021)]
    assert [i.location for i in issues] == ["row 2", "row 3", "row 4"]
    assert "not a split" in issues[0].reason and "ratio metric" in issues[1].reason


# --------------------------------------------------------------------------- restatement


def test_a_merge_restates_exactly(engine, tmp_path):
    load(engine, reference_dir(tmp_path))
    result = build_restated(engine, 2021)
    r = restated(engine)
    # 拱墅区 on the 2021 boundaries = old 拱墅区 300 + 下城区 200 (no weight needed)
    assert r[("beds", "330105", 2020)] == (500.0, True, "sum_of_parts")
    assert r[("elderly", "330105", 2020)] == (8000.0, True, "sum_of_parts")
    # 西湖区 did not change: the reported figure, not flagged
    assert r[("beds", "330106", 2020)] == (150.0, False, "reported")
    # the old codes' own rows are not in the restated table (their land moved)
    assert ("beds", "330103", 2020) not in r and ("beds", "330104", 2020) not in r
    assert result.restate_year == 2021
    assert fetch(engine, "SELECT sources FROM fct_district_stat_restated WHERE "
                         "metric_code = 'beds' AND district_code = '330105'") == [
        ("330103 + 330105",)]


def test_a_split_without_weights_is_an_issue_row(engine, tmp_path):
    load(engine, reference_dir(tmp_path))
    result = build_restated(engine, 2021)
    r = restated(engine)
    # no guess: nothing for the successors of 江干区, 萧山区, 余杭区
    for code in ("330102", "330109", "330110", "330113", "330114"):
        assert ("beds", code, 2020) not in r
    missing = [(i.location, i.severity) for i in result.issues
               if i.check == "restatement.split_weights_missing"]
    # one row per (split old code, metric with figures): 余杭区 has no elderly figure
    assert missing == [("330104, beds", "error"), ("330104, elderly", "error"),
                       ("330109, beds", "error"), ("330109, elderly", "error"),
                       ("330110, beds", "error")]
    assert "no split weights for 330110 (余杭区) (split 2021 into 330110, 330113)" in \
        reasons(result.issues, "restatement.split_weights_missing")[-1]
    wl.replace_issues(engine, "restate", result.issues)
    assert fetch(engine, "SELECT COUNT(*) FROM ingest_issues WHERE scope = 'restate' AND "
                         "check_name = 'restatement.split_weights_missing'") == [(5,)]


WEIGHTS = "\n".join([
    "old_code,new_code,metric_code,weight,note",
    "330104,330102,*,0.6,illustrative",
    "330104,330114,*,0.4,illustrative",
    "330109,330109,*,0.8,illustrative",
    "330109,330114,*,0.2,illustrative",
    "330110,330110,beds,0.7,illustrative",
    "330110,330113,beds,0.3,illustrative",
]) + "\n"


def test_a_split_with_weights_restates_to_the_hand_computed_value(engine, tmp_path):
    load(engine, reference_dir(tmp_path, WEIGHTS))
    result = build_restated(engine, 2021)
    r = restated(engine)
    # 上城区 (2021) = old 上城区 400 + 0.6 x 江干区 300 = 580
    assert r[("beds", "330102", 2020)][0] == pytest.approx(580.0)
    assert r[("beds", "330102", 2020)][1:] == (True, "weighted")
    # 钱塘区 = 0.4 x 江干区 300 + 0.2 x 萧山区 500 = 120 + 100 = 220
    assert r[("beds", "330114", 2020)][0] == pytest.approx(220.0)
    # 萧山区 (2021) = 0.8 x 500 = 400; 余杭区 = 0.7 x 1000 = 700; 临平区 = 0.3 x 1000 = 300
    assert r[("beds", "330109", 2020)][0] == pytest.approx(400.0)
    assert r[("beds", "330110", 2020)][0] == pytest.approx(700.0)
    assert r[("beds", "330113", 2020)][0] == pytest.approx(300.0)
    # the city total is kept: 2850 on both boundaries
    districts_2021 = sum(v[0] for (m, c, _), v in r.items() if m == "beds")
    assert districts_2021 == pytest.approx(sum(v for m, _, v in STATS_2020 if m == "beds"))
    # beds of 余杭区 have weights of their own; its elderly has no figure: no issue at all
    assert not reasons(result.issues, "restatement.split_weights_missing")


def test_ratio_metrics_restate_through_their_parts(engine, tmp_path):
    load(engine, reference_dir(tmp_path, WEIGHTS))
    result = build_restated(engine, 2021)
    r = restated(engine)
    # 拱墅区: (300 + 200) / (6000 + 2000) x 100 = 6.25, not the mean of 5 and 10 (7.5)
    assert r[("beds_per_100", "330105", 2020)][0] == pytest.approx(6.25)
    assert r[("beds_per_100", "330105", 2020)][1:] == (True, "ratio_of_parts")
    # 上城区: 580 / (8000 + 0.6 x 6000 = 11600) x 100 = 5.0
    assert r[("beds_per_100", "330102", 2020)][0] == pytest.approx(5.0)
    # 余杭区 and 临平区: no elderly figure, so no denominator: an issue, no row
    assert ("beds_per_100", "330110", 2020) not in r
    ratio_issues = [i.location for i in result.issues if i.check == "restatement.ratio_parts"]
    assert ratio_issues == ["330110, beds_per_100", "330113, beds_per_100"]


def test_attainment_on_the_boundaries_of_a_chosen_year(engine, tmp_path):
    """A 2016-2020 target evaluated on the 2021 boundaries; v_attainment keeps the
    reported figures on the boundaries of each year, never mixed."""
    ref_dir = reference_dir(tmp_path, WEIGHTS)
    load(engine, ref_dir)
    plan = _plan()
    wl.load_plan(engine, plan, [IndicatorMetric("每百名老人床位", "beds_per_100")])
    build_attainment(engine)
    build_restated(engine)  # the default: the latest year known (2021, from dim_district)
    view = {r[0]: r[1:] for r in fetch(
        engine, "SELECT district_code, district_name, actual, attained, restated, restate_year "
                "FROM v_attainment_restated WHERE year = 2020")}
    # 拱墅区 6.25 >= 6 met on the 2021 boundaries (restated) ...
    assert view["330105"] == ("拱墅区", pytest.approx(6.25), True, True, 2021)
    # ... but 300/6000 = 5 on its 2020 land, as reported
    assert fetch(engine, "SELECT actual, attained FROM v_attainment WHERE year = 2020 "
                         "AND district_code = '330105'") == [(pytest.approx(5.0), False)]
    assert view["330106"] == ("西湖区", pytest.approx(5.0), False, False, 2021)
    # the districts of 2021, not 下城区 or 江干区; 临平区 without a figure
    assert "330103" not in view and "330104" not in view
    assert view["330113"][1:3] == (None, None)
    # the city: its own figure is not given, and 余杭区/临平区 lack a denominator
    assert view["330100"][1] is None


def test_restating_to_an_earlier_year_goes_forward_only(engine, tmp_path):
    later = [("beds", "330113", 90), ("beds", "330106", 160)]
    load(engine, reference_dir(tmp_path, WEIGHTS), {2020: STATS_2020, 2021: later})
    result = build_restated(engine, 2020)
    r = restated(engine)
    # on the 2020 boundaries every 2020 figure is the reported one
    assert {v[2] for (_, _, y), v in r.items() if y == 2020} == {"reported"}
    assert r[("beds", "330106", 2021)] == (160.0, False, "reported")  # same land in 2021
    assert ("beds", "330113", 2021) not in r
    assert [i.location for i in result.issues
            if i.check == "restatement.later_boundaries"] == ["330113"]


@pytest.mark.slow  # runs a Great Expectations suite
def test_weights_not_summing_to_one_are_not_used(engine, tmp_path):
    bad = WEIGHTS.replace("330104,330114,*,0.4", "330104,330114,*,0.5")
    load(engine, reference_dir(tmp_path, bad))
    result = build_restated(engine, 2021)
    r = restated(engine)
    assert ("beds", "330102", 2020) not in r and ("beds", "330114", 2020) not in r
    assert any("sum to 1.1, not 1" in x
               for x in reasons(result.issues, "restatement.weights_sum_to_one"))
    from expectations.runner import run_suite
    from warehouse.counts import read_frame

    suite = run_suite("restatement", read_frame(engine, "SELECT * FROM ref_split_weight"),
                      docs_dir=None)
    failed = {x.name: x.unexpected_count for x in suite.failed}
    assert not suite.success and failed == {"restatement.weights_sum_to_one": 2}


def _plan():
    from extractors.records import PlanDocument

    records = [rec(2, "每百名老人床位数", 2020, ">=", 6, unit="张", text="6张")]
    return PlanDocument("fedcba9876543210", "十三五规划", "杭州市民政局", 2016, 2020,
                        "plan.docx", "b" * 64, "docx", tables_found=1,
                        records=[r.__class__(**{**r.__dict__, "plan_id": "fedcba9876543210"})
                                 for r in records])


# --------------------------------------------------------------------------- the setting


def test_restate_to_must_be_a_year(tmp_path, capsys, monkeypatch):
    from planwh.cli import main
    from warehouse.restate import RESTATE_ENV, restate_setting

    for sub in ("plans", "stats", "reference"):
        (tmp_path / sub).mkdir()
    monkeypatch.delenv(RESTATE_ENV, raising=False)
    url = f"duckdb:///{tmp_path / 'w.duckdb'}"
    assert main(["run", "--raw", str(tmp_path), "--warehouse", url, "--restate-to",
                 "20210"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["planwh run: --restate-to 20210 is not a year between 1900 and 2100"]
    assert not (tmp_path / "w.duckdb").exists()  # nothing opened, nothing changed
    monkeypatch.setenv(RESTATE_ENV, "2021")
    assert restate_setting() == 2021
    monkeypatch.setenv(RESTATE_ENV, "next year")
    with pytest.raises(ValueError, match="is not a year"):
        restate_setting()


def test_another_restate_year_is_another_refresh(tmp_path, monkeypatch):
    """The refresh run's fingerprint includes the setting, so a run with another year is
    not skipped as unchanged; unset, the fingerprint is the one before the setting."""
    from pipelines.incremental import refresh_inputs
    from warehouse.restate import RESTATE_ENV

    monkeypatch.delenv(RESTATE_ENV, raising=False)
    args = (tmp_path, {"a.docx": "1" * 64}, "stats", "ref", "duckdb:///w.duckdb")
    unset = refresh_inputs(*args)
    monkeypatch.setenv(RESTATE_ENV, "2021")
    y2021 = refresh_inputs(*args)
    monkeypatch.setenv(RESTATE_ENV, "2025")
    assert len({unset, y2021, refresh_inputs(*args)}) == 3


def test_span_years_fills_gaps_only_within_a_span(engine):
    """The years walked for lineage: every year within some (metric, district)'s span of
    current figures before the restate year. A year without figures anywhere is walked
    when a span crosses it, and not when none does."""
    from datetime import datetime

    import sqlalchemy as sa

    from warehouse.restate import _span_years

    when = datetime(2024, 1, 1)
    rows = [("m_a", "330102", 2016), ("m_a", "330102", 2019),  # crosses 2017-2018
            ("m_b", "330105", 2021), ("m_b", "330106", 2023),  # 2022: crossed by none
            ("m_b", "330106", 2030)]  # at or after t: not looked at
    with engine.begin() as cx:
        cx.execute(sa.text(
            "INSERT INTO fct_district_stat (metric_code, district_code, year, value, unit, "
            "source_file, location, loaded_at, valid_from, valid_to, vintage_id) VALUES "
            "(:m, :d, :y, 1, NULL, 'f.csv', NULL, :w, :w, NULL, 1)"),
            [{"m": m, "d": d, "y": y, "w": when} for m, d, y in rows])
        assert _span_years(cx, 2025) == [2016, 2017, 2018, 2019, 2021, 2023]
        assert _span_years(cx, 2019) == [2016]  # one year: no gap to fill
        assert _span_years(cx, 2016) == []
        cx.exec_driver_sql("DELETE FROM fct_district_stat WHERE year IN (2016, 2019)")
        assert _span_years(cx, 2025) == [2021, 2023]
