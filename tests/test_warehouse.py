"""Warehouse tests, run on DuckDB and on PostgreSQL (throwaway database from conftest).

The fixture is small and hand-built (no raw/): three districts in 2020, two in
2021 (江干区 330104 abolished in the 2021 redistricting, 上城区 330102 kept its
code for changed land), a ratio metric, a sum metric and a `down` ratio metric.
"""

from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa

from extractors.records import (
    IngestIssue,
    PlanDocument,
)
from tests.helpers import (
    DISTRICTS,
    ISSUES,
    MAPPINGS,
    METRICS,
    PLAN_ID,
    STATS,
    attainment,
    fetch,
    make_plan,
    rec,
    snapshot,
    stats_frame,
)
from warehouse import load as wl
from warehouse.attainment import build_attainment
from warehouse.queries import describe, list_queries, run_query
from warehouse.schema import TABLES, create_schema, make_engine, metadata

# --------------------------------------------------------------------------- engines


# --------------------------------------------------------------------------- schema


def test_schema_tables_and_comments(engine):
    create_schema(engine)  # idempotent: a second call is a no-op
    insp = sa.inspect(engine)
    names = set(insp.get_table_names())
    assert set(TABLES) <= names
    assert "v_attainment" in set(insp.get_view_names())
    for t in TABLES:
        assert (insp.get_table_comment(t)["text"] or "").strip(), t
        cols = insp.get_columns(t)
        assert [c["name"] for c in cols] == [c.name for c in metadata.tables[t].columns]
        for c in cols:
            assert (c.get("comment") or "").strip(), f"{t}.{c['name']}"
    pk = fetch(engine, """
        SELECT k.column_name FROM information_schema.table_constraints c
        JOIN information_schema.key_column_usage k
          ON k.constraint_name = c.constraint_name AND k.table_name = c.table_name
        WHERE c.table_name = 'dim_district' AND c.constraint_type = 'PRIMARY KEY'
        ORDER BY k.ordinal_position""")
    assert pk == [("district_code",), ("valid_from",)]


# A loaded indicator and a year it has no row in: only the CHECK under test can refuse
# these rows (a foreign or primary key would refuse them first on PostgreSQL).
_IND = rec(2, "社区覆盖率", 2020, ">=").indicator_id
BAD_ROWS = [
    ("fct_target", {"indicator_id": _IND, "year": 2019, "scope": "全市", "plan_id": PLAN_ID,
                    "comparator": "approx", "target_value": 1.0, "target_text": "1",
                    "source_table": 0, "source_row": 0}),
    ("fct_target", {"indicator_id": _IND, "year": 3020, "scope": "全市", "plan_id": PLAN_ID,
                    "comparator": ">=", "target_value": 1.0, "target_text": "1",
                    "source_table": 0, "source_row": 0}),
    ("fct_attainment", {"indicator_id": _IND, "district_code": "330100", "year": 2019,
                        "level": "city", "comparator": "milestone", "actual_value": 1.0,
                        "attained": True}),
    ("fct_district_stat", {"metric_code": "beds", "district_code": "330100", "year": 2020,
                           "value": None, "source_file": "f", "loaded_at": date(2024, 1, 1)}),
    # a key already loaded (DuckDB: the unique index built by the bulk load; PostgreSQL: PK)
    ("fct_district_stat", {"metric_code": "beds", "district_code": "330102", "year": 2020,
                           "value": 1.0, "source_file": "f", "loaded_at": date(2024, 1, 1)}),
]


@pytest.mark.parametrize("table,row", BAD_ROWS, ids=["comparator", "year", "milestone", "null", "repeated-key"])
def test_constraints_reject_bad_rows(loaded, table, row):
    before = snapshot(loaded)
    with pytest.raises(sa.exc.DBAPIError):
        with loaded.begin() as cx:
            cx.execute(metadata.tables[table].insert(), [row])
    assert snapshot(loaded) == before


# --------------------------------------------------------------------------- attainment


def test_attainment_hand_computed(loaded):
    a = attainment(loaded)
    assert len(a) == 16
    # city ratio = sum(numerators) / sum(denominators) x 100 over the districts valid in 2020:
    # (45 + 20 + 85) / (50 + 40 + 100) = 150/190 = 78.947...%, not the mean of rates (75%)
    level, actual, attained, gap = a[("社区覆盖率", "330100", 2020)]
    assert level == "city" and actual == pytest.approx(150 / 190 * 100)
    assert attained is False and gap == pytest.approx(150 / 190 * 100 - 90)
    # 2021: 江干区 330104 no longer exists; its stray 2021 statistics are ignored
    assert ("社区覆盖率", "330104", 2021) not in a
    assert a[("社区覆盖率", "330100", 2021)][1] == pytest.approx(155 / 170 * 100)
    # district figures: num/den, float noise does not flip >= 90
    assert a[("社区覆盖率", "330102", 2020)][1:3] == (pytest.approx(90.0), True)
    # a district's own figure wins; between is inclusive; gap = distance to the nearest bound
    assert a[("社区覆盖率", "330106", 2021)][1:] == (96.0, False, pytest.approx(-1.0))
    assert a[("社区覆盖率", "330100", 2021)][3] == pytest.approx(95 - 155 / 170 * 100)
    # sum metric: the city row only; district sum 1050 in 2020; the city's own 1250 in 2021
    assert a[("养老床位数", "330100", 2020)] == ("city", 1050.0, True, 50.0)
    assert ("养老床位数", "330102", 2020) not in a
    # about 1200 with tolerance 5%: |1250 - 1200| <= 60; gap = 60 - 50 = margin left
    assert a[("养老床位数", "330100", 2021)][1:3] == (1250.0, True)
    assert a[("养老床位数", "330100", 2021)][3] == pytest.approx(10.0)
    # <= : gap = target - actual
    assert a[("城镇登记失业率", "330100", 2020)][1:] == (4.0, False, pytest.approx(-0.5))
    assert a[("城镇登记失业率", "330102", 2020)][1:] == (3.0, True, pytest.approx(0.5))
    # milestone: attained NULL, text kept; unmapped indicators are not evaluated
    text = fetch(loaded, "SELECT DISTINCT target, target_text, attained, gap FROM v_attainment "
                         "WHERE comparator = 'milestone'")
    assert text == [("试点启动", "试点启动", None, None)]
    assert not any(k[0] == "智慧养老试点" for k in a)


def test_view_reads_like_the_plan(loaded):
    rows = fetch(loaded, "SELECT indicator_name, district_name, year, target, actual, attained "
                         "FROM v_attainment WHERE district_code = '330100' ORDER BY year, target")
    targets = {(r[0], r[2]): r[3] for r in rows}
    assert targets == {
        ("社区覆盖率", 2020): ">= 90 %", ("养老床位数", 2020): ">= 1000 张",
        ("城镇登记失业率", 2020): "<= 3.5 %", ("社区覆盖率", 2021): "80-95 %",
        ("养老床位数", 2021): "about 1200 张", ("城镇登记失业率", 2021): "试点启动",
    }
    assert {r[1] for r in rows} == {"杭州市"}


@pytest.mark.parametrize(
    "comparator,value,high,actual,attained,gap",
    [
        (">", 10, None, 10, False, 0), (">", 10, None, 11, True, 1),
        ("<", 10, None, 9, True, 1), ("=", 10, None, 10, True, 0),
        ("=", 10, None, 11, False, -1), ("between", 5, 10, 5, True, 0),
        ("between", 5, 10, 4, False, -1), ("about", 100, None, 105, True, 0),
        ("about", 100, None, 106, False, -1), ("<=", 10, None, 12, False, -2),
    ],
)
def test_every_comparator(engine, comparator, value, high, actual, attained, gap):
    wl.load_reference(engine, DISTRICTS, METRICS)
    plan = make_plan()
    plan.records = [rec(3, "养老床位数", 2020, comparator, value, high, unit="张", text="t")]
    wl.load_plan(engine, plan, MAPPINGS)
    wl.load_stats(engine, stats_frame([("beds", "330100", 2020, actual)]))
    assert build_attainment(engine) == 1
    row = attainment(engine)[("养老床位数", "330100", 2020)]
    assert row[2] is attained and row[3] == pytest.approx(gap)


def test_missing_statistics_give_null(engine):
    wl.load_reference(engine, DISTRICTS, METRICS)
    wl.load_plan(engine, make_plan(), MAPPINGS)
    # 西湖区 has no denominator: its figure and the city's sum are not evaluable
    rows = [r for r in STATS if not (r[0] == "communities" and r[1] == "330106" and r[2] == 2020)]
    wl.load_stats(engine, stats_frame(rows))
    build_attainment(engine)
    a = attainment(engine)
    assert a[("社区覆盖率", "330106", 2020)][1:] == (None, None, None)
    assert a[("社区覆盖率", "330100", 2020)][1:] == (None, None, None)
    assert a[("社区覆盖率", "330102", 2020)][2] is True


# --------------------------------------------------------------------------- loads


def test_second_load_changes_nothing(loaded):
    before = snapshot(loaded)
    assert wl.load_reference(loaded, DISTRICTS, METRICS) is False
    assert wl.load_plan(loaded, make_plan(), MAPPINGS) == "unchanged"
    assert wl.load_stats(loaded, stats_frame()) == "unchanged"
    assert wl.replace_issues(loaded, "stats", ISSUES) is False
    build_attainment(loaded)
    assert snapshot(loaded) == before
    insp = sa.inspect(loaded)  # the rebuilt fct_attainment keeps its comments
    assert insp.get_table_comment("fct_attainment")["text"]
    assert all(c.get("comment") for c in insp.get_columns("fct_attainment"))


def test_changed_content_reloads(loaded, monkeypatch):
    counts = wl.table_counts(loaded)
    plan = make_plan(sha="b" * 64, title="测试规划(修订)")
    plan.records = plan.records[:3]
    assert wl.load_plan(loaded, plan, MAPPINGS) == "loaded"
    assert fetch(loaded, "SELECT title FROM dim_plan") == [("测试规划(修订)",)]
    assert wl.table_counts(loaded)["fct_target"] == 3
    assert wl.table_counts(loaded)["dim_indicator"] == 1
    # statistics: a changed file gets a new loaded_at, an unchanged one keeps its own
    old = dict(fetch(loaded, "SELECT source_file, MAX(loaded_at) FROM fct_district_stat "
                             "GROUP BY source_file"))
    rows = [r for r in STATS if r[2] == 2020] + [("beds", "330106", 2021, 1)]
    later = datetime(2099, 1, 1)
    monkeypatch.setattr(wl, "_now", lambda: later)
    assert wl.load_stats(loaded, stats_frame(rows)) == "loaded"
    new = dict(fetch(loaded, "SELECT source_file, MAX(loaded_at) FROM fct_district_stat "
                             "GROUP BY source_file"))
    assert new == {"stats_2020.csv": old["stats_2020.csv"], "stats_2021.csv": later}
    assert wl.table_counts(loaded)["fct_district_stat"] == counts["fct_district_stat"] - 9
    assert wl.delete_plan(loaded, "plan.docx") == 1
    assert wl.table_counts(loaded)["fct_target"] == 0


def test_failed_plan_load_keeps_previous_rows(loaded, monkeypatch):
    before = snapshot(loaded)

    def boom(cx, *args):
        raise RuntimeError("injected failure after the delete")

    monkeypatch.setattr(wl, "_insert_plan_rows", boom)
    with pytest.raises(RuntimeError):
        wl.load_plan(loaded, make_plan(sha="c" * 64), MAPPINGS)
    assert snapshot(loaded) == before


def test_failed_stats_load_keeps_previous_rows(loaded):
    before = snapshot(loaded)
    bad = stats_frame(STATS + [("beds", "330100", 3030, 1)])  # last row violates the year range
    with pytest.raises(sa.exc.DBAPIError):
        wl.load_stats(loaded, bad)
    assert snapshot(loaded) == before


def test_failed_attainment_build_keeps_previous_rows_and_keys(loaded, monkeypatch):
    """The build fails after the old rows are gone and (PostgreSQL) the keys dropped:
    the transaction brings all of it back."""
    from warehouse import attainment

    before = snapshot(loaded)
    # the SELECT's last row violates the year range CHECK
    broken = attainment.BUILD_SQL + " UNION ALL SELECT " + ", ".join(
        ["NULL"] * 2 + ["3030"] + ["'city'", "'>='"] + ["NULL"] * 5)
    broken = broken.replace("SELECT NULL, NULL", "SELECT 'x', 'y'", 1)
    monkeypatch.setattr(attainment, "BUILD_SQL", broken)
    with pytest.raises(sa.exc.DBAPIError, match="(?i)check|constraint"):
        build_attainment(loaded)
    assert snapshot(loaded) == before
    keys = {c.name for c in metadata.tables["fct_attainment"].primary_key.columns}
    if loaded.dialect.name == "postgresql":  # key and foreign key still there
        insp = sa.inspect(loaded)
        assert set(insp.get_pk_constraint("fct_attainment")["constrained_columns"]) == keys
        assert insp.get_foreign_keys("fct_attainment")


def test_issues_keep_detected_at(loaded, monkeypatch):
    stamp = fetch(loaded, "SELECT detected_at FROM ingest_issues WHERE issue_no = 1")[0][0]
    later = datetime(2099, 1, 1)
    monkeypatch.setattr(wl, "_now", lambda: later)
    extra = IngestIssue("stats_2021.csv", "row 1", "error", "bad year", "year")
    assert wl.replace_issues(loaded, "stats", [extra] + ISSUES[1:]) is True
    rows = fetch(loaded, "SELECT source_file, detected_at FROM ingest_issues ORDER BY issue_no")
    assert rows[0] == ("stats_2021.csv", later)  # new: stamped now
    assert rows[1] == ("stats_2020.csv", stamp) and stamp != later  # kept: its first stamp
    assert wl.replace_issues(loaded, "plan:plan.docx", []) is False
    assert wl.table_counts(loaded)["ingest_issues"] == 2


# Five-year plans as published: 1st 1953-57, 2nd 1958-62, readjustment 1963-65, 3rd
# 1966-70, ..., 10th 2001-05, 11th 2006-10, 12th 2011-15, 13th 2016-20, 14th 2021-25.
@pytest.mark.parametrize("year,period", [
    (1952, None), (1953, "一五"), (1957, "一五"), (1958, "二五"), (1962, "二五"), (1963, None),
    (1965, None), (1966, "三五"), (1970, "三五"), (1971, "四五"), (1996, "九五"), (2000, "九五"),
    (2001, "十五"), (2005, "十五"), (2006, "十一五"), (2011, "十二五"), (2015, "十二五"),
    (2016, "十三五"), (2018, "十三五"), (2020, "十三五"), (2021, "十四五"), (2025, "十四五"),
    (2026, "十五五"),
])
def test_plan_period(year, period):
    assert wl.plan_period(year) == period


def test_dim_year_and_relationships(loaded):
    years = dict(fetch(loaded, "SELECT year, plan_period FROM dim_year"))
    assert years[2016] == "十三五" and years[2020] == "十三五" and years[2021] == "十四五"
    # the relationships foreign keys hold on PostgreSQL, kept by the loaders on DuckDB
    orphans = fetch(loaded, """
        SELECT COUNT(*) FROM fct_target t LEFT JOIN dim_indicator i USING (indicator_id)
        WHERE i.indicator_id IS NULL
        UNION ALL SELECT COUNT(*) FROM dim_indicator i LEFT JOIN dim_plan p USING (plan_id)
        WHERE p.plan_id IS NULL
        UNION ALL SELECT COUNT(*) FROM fct_attainment a LEFT JOIN dim_indicator i
        USING (indicator_id) WHERE i.indicator_id IS NULL""")
    assert orphans == [(0,), (0,), (0,)]


# --------------------------------------------------------------------------- queries


def test_query_files_have_headers():
    names = list_queries()
    assert len(names) >= 6
    for n in names:
        assert len(describe(n)) > 40, n


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


# --------------------------------------------------------------------------- analyst role


def test_analyst_role(pg_url, monkeypatch, capsys):
    from argparse import Namespace

    from planwh import role_cmd

    eng = make_engine(pg_url)
    with eng.begin() as cx:
        cx.execute(sa.text("DROP SCHEMA public CASCADE"))
        cx.execute(sa.text("CREATE SCHEMA public"))
    create_schema(eng)
    wl.load_reference(eng, DISTRICTS, METRICS)
    role = f"planwh_analyst_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PLANWH_ANALYST_PASSWORD", "s3cret")
    args = Namespace(warehouse=pg_url, role=role)
    try:
        assert role_cmd.run(args) == 0
        assert role_cmd.run(args) == 0  # idempotent refresh
        url = sa.engine.make_url(pg_url).set(username=role, password="s3cret")
        analyst = sa.create_engine(url)
        with analyst.connect() as cx:
            assert cx.execute(sa.text("SELECT COUNT(*) FROM dim_district")).scalar() == 5
            assert cx.execute(sa.text("SELECT COUNT(*) FROM v_attainment")).scalar() == 0
        for stmt in ("INSERT INTO dim_year (year) VALUES (2030)", "DROP TABLE fct_target",
                     "CREATE TABLE scratch (x int)", "DELETE FROM dim_district"):
            with pytest.raises(sa.exc.DBAPIError), analyst.begin() as cx:
                cx.execute(sa.text(stmt))
        analyst.dispose()
        assert wl.table_counts(eng)["dim_district"] == 5
    finally:
        with eng.begin() as cx:
            cx.execute(sa.text(f'DROP OWNED BY "{role}"'))
            cx.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
        eng.dispose()


def test_analyst_role_refuses_duckdb(duckdb_url, monkeypatch, capsys):
    from argparse import Namespace

    from planwh import role_cmd

    monkeypatch.setenv("PLANWH_ANALYST_PASSWORD", "x")
    assert role_cmd.run(Namespace(warehouse=duckdb_url, role="planwh_analyst")) == 2
    assert "PostgreSQL" in capsys.readouterr().err
    monkeypatch.delenv("PLANWH_ANALYST_PASSWORD")
    pg = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    assert role_cmd.run(Namespace(warehouse=pg, role="planwh_analyst")) == 2
    assert "PLANWH_ANALYST_PASSWORD" in capsys.readouterr().err


def test_scram_verifier_matches_libpq(pg_url):
    """Our verifier equals libpq's PQencryptPasswordConn for the same salt."""
    import base64

    import psycopg

    from planwh.role_cmd import scram_verifier

    conninfo = sa.engine.make_url(pg_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo) as conn:
        ref = conn.pgconn.encrypt_password(b"s3cret", b"anyone", b"scram-sha-256").decode()
    iterations, salt = ref.split("$")[1].split(":")
    assert scram_verifier("s3cret", base64.b64decode(salt), int(iterations)) == ref


# --------------------------------------------------------------------------- one plan, two files


def rendered_as_pdf(plan: PlanDocument, plan_id: str = "fedcba9876543210") -> PlanDocument:
    """The same plan delivered as a PDF: same targets, another file, pages known."""
    records = [dataclasses.replace(r, plan_id=plan_id, source_file="plan.pdf", source_page=1,
                                   extraction="lines") for r in plan.records]
    return dataclasses.replace(plan, plan_id=plan_id, source_file="plan.pdf",
                               source_sha256="b" * 64, source_format="pdf", records=records)


def test_plan_delivered_as_docx_and_pdf_is_shown_once(loaded):
    shown_before = fetch(loaded, "SELECT COUNT(*) FROM v_attainment")[0][0]
    facts_before = fetch(loaded, "SELECT COUNT(*) FROM fct_attainment")[0][0]
    assert wl.load_plan(loaded, rendered_as_pdf(make_plan()), MAPPINGS) == "loaded"
    build_attainment(loaded)
    dup = dict(fetch(loaded, "SELECT source_file, duplicate_of FROM dim_plan"))
    assert dup == {"plan.docx": None, "plan.pdf": PLAN_ID}
    assert fetch(loaded, "SELECT COUNT(*) FROM fct_attainment")[0][0] == 2 * facts_before
    assert fetch(loaded, "SELECT COUNT(*) FROM v_attainment")[0][0] == shown_before
    assert {r[0] for r in fetch(loaded, "SELECT DISTINCT source_file FROM v_attainment")} == {
        "plan.docx"}
    # the DOCX goes away: the PDF becomes the plan analysts see
    wl.delete_plan(loaded, "plan.docx")
    build_attainment(loaded)
    assert dict(fetch(loaded, "SELECT source_file, duplicate_of FROM dim_plan")) == {
        "plan.pdf": None}
    assert fetch(loaded, "SELECT COUNT(*) FROM v_attainment")[0][0] == shown_before


def test_a_different_plan_is_not_a_duplicate(loaded):
    other = rendered_as_pdf(make_plan())
    other.records[0] = dataclasses.replace(other.records[0], target_value=Decimal("91"))
    wl.load_plan(loaded, other, MAPPINGS)
    assert fetch(loaded, "SELECT COUNT(*) FROM dim_plan WHERE duplicate_of IS NOT NULL")[0][0] == 0


def test_attainment_key_holds_after_a_rebuild(loaded):
    build_attainment(loaded)  # on DuckDB a rebuild swaps tables
    keys = fetch(loaded, "SELECT indicator_id, district_code, year FROM fct_attainment")
    assert keys and len(keys) == len(set(keys))
    for table in ("fct_attainment", "fct_district_stat"):  # both rebuilt on DuckDB
        key = {c.name for c in metadata.tables[table].primary_key.columns}
        nullable = {c["name"] for c in sa.inspect(loaded).get_columns(table) if c["nullable"]}
        assert not key & nullable, table
    if loaded.dialect.name == "duckdb":
        # no index on DuckDB: unique by construction (see the next test), checked by the
        # attainment suite's uniqueness rule (test_expectations)
        assert fetch(loaded, "SELECT COUNT(*) FROM duckdb_indexes() "
                             "WHERE table_name = 'fct_attainment'") == [(0,)]
        return
    with loaded.connect() as cx:
        row = cx.execute(sa.select(metadata.tables["fct_attainment"]).limit(1)).mappings().one()
    before = snapshot(loaded)
    with pytest.raises(sa.exc.DBAPIError):
        with loaded.begin() as cx:
            cx.execute(metadata.tables["fct_attainment"].insert(), [dict(row)])
    assert snapshot(loaded) == before


def test_overlapping_district_versions_stop_the_build(loaded):
    """Two versions of one code in force on the same day would put that district in the
    grid twice: the build refuses them by name and keeps the previous attainment."""
    before = snapshot(loaded)["fct_attainment"]
    with loaded.begin() as cx:
        cx.execute(metadata.tables["dim_district"].insert(), [{
            "district_code": "330106", "valid_from": date(2019, 1, 1), "valid_to": None,
            "district_name": "西湖区", "district_type": "district", "parent_code": "330100"}])
    with pytest.raises(ValueError, match="overlapping versions of 330106"):
        build_attainment(loaded)
    assert snapshot(loaded)["fct_attainment"] == before


# --------------------------------------------------------------------------- nothing lost


def test_held_back_file_keeps_its_rows_while_another_file_changes(loaded):
    """keep_files: a held-back file's rows stay exactly (loaded_at too), even when the
    frame has other rows of it; another file is replaced; a key the held file holds is
    not taken over by the other file."""
    before = fetch(loaded, "SELECT * FROM fct_district_stat WHERE source_file = 'stats_2020.csv' "
                           "ORDER BY metric_code, district_code, year")
    assert before
    rows = [r if r[:3] != ("beds", "330106", 2021) else ("beds", "330106", 2021, 601)
            for r in STATS if r[2] == 2021]
    frame = stats_frame(rows)
    n_2021 = len(frame)
    clash = stats_frame([("beds", "330106", 2020, 999)])  # a key stats_2020.csv holds
    clash["source_file"] = "stats_2021.csv"
    frame = pd.concat([frame, clash], ignore_index=True)
    # a stray partial row of the held-back file: ignored
    stray = stats_frame([("beds", "330106", 2020, 1)])
    stray["source_file"] = "stats_2020.csv"
    frame = pd.concat([stray, frame], ignore_index=True)
    assert wl.load_stats(loaded, frame, keep_files={"stats_2020.csv"}) == "loaded"
    after = fetch(loaded, "SELECT * FROM fct_district_stat WHERE source_file = 'stats_2020.csv' "
                          "ORDER BY metric_code, district_code, year")
    assert after == before
    assert fetch(loaded, "SELECT COUNT(*) FROM fct_district_stat "
                         "WHERE source_file = 'stats_2021.csv'") == [(n_2021,)]  # clash dropped
    assert fetch(loaded, "SELECT value FROM fct_district_stat WHERE metric_code = 'beds' "
                         "AND district_code = '330106' AND year = 2021") == [(601.0,)]
    # held back again with the same frame: nothing changes
    snap = snapshot(loaded)
    assert wl.load_stats(loaded, frame, keep_files={"stats_2020.csv"}) == "unchanged"
    assert snapshot(loaded) == snap


def test_plan_reload_keeps_its_attainment_rows(loaded):
    """A plan's attainment rows change in the transaction that replaces its targets: right
    after load_plan (no refresh yet) v_attainment still has the plan's rows."""
    n = fetch(loaded, "SELECT COUNT(*) FROM v_attainment")[0][0]
    assert n > 0
    assert wl.load_plan(loaded, make_plan(sha="d" * 64), MAPPINGS) == "loaded"
    assert fetch(loaded, "SELECT COUNT(*) FROM v_attainment")[0][0] == n
    before = snapshot(loaded)
    build_attainment(loaded)  # the full rebuild agrees with the per-plan rows
    assert snapshot(loaded)["fct_attainment"] == before["fct_attainment"]


def test_repeatable_read_reader_sees_old_or_new_statistics(loaded):
    """A reader whose snapshot predates a statistics load sees the old rows, never an
    empty table (no TRUNCATE under readers)."""
    if loaded.dialect.name != "postgresql":
        pytest.skip("isolation levels: PostgreSQL")
    n = fetch(loaded, "SELECT COUNT(*) FROM fct_district_stat")[0][0]
    reader = loaded.connect().execution_options(isolation_level="REPEATABLE READ")
    try:
        reader.begin()
        assert reader.execute(sa.text("SELECT COUNT(*) FROM fct_district_stat")).scalar() == n
        rows = [r for r in STATS if r[2] == 2021]
        assert wl.load_stats(loaded, stats_frame(rows)) == "loaded"
        assert reader.execute(sa.text("SELECT COUNT(*) FROM fct_district_stat")).scalar() == n
        reader.rollback()
        assert reader.execute(sa.text("SELECT COUNT(*) FROM fct_district_stat")).scalar() \
            == len(stats_frame(rows))
    finally:
        reader.close()


def test_idle_analyst_transaction_makes_a_load_fail_not_hang(loaded, monkeypatch):
    """An analyst's transaction left open holds a lock the attainment rebuild needs: the
    rebuild gives up after PLANWH_LOCK_TIMEOUT with a message naming that session."""
    import time

    from warehouse.locks import WarehouseLocked

    if loaded.dialect.name != "postgresql":
        pytest.skip("table locks: PostgreSQL")
    monkeypatch.setenv("PLANWH_LOCK_TIMEOUT", "1.5")
    url = loaded.url.render_as_string(hide_password=False)
    loader = make_engine(url)
    analyst = sa.create_engine(url, connect_args={"application_name": "analyst-notebook"})
    before = snapshot(loaded)
    try:
        with analyst.connect() as a:
            a.begin()
            pid = a.execute(sa.text("SELECT pg_backend_pid()")).scalar()
            a.execute(sa.text("SELECT COUNT(*) FROM v_attainment")).scalar()  # then idle
            started = time.monotonic()
            with pytest.raises(WarehouseLocked) as err:
                build_attainment(loader)
            assert time.monotonic() - started < 30
            assert f"pid {pid}" in str(err.value) and "analyst-notebook" in str(err.value)
            a.rollback()
        assert snapshot(loaded) == before
        build_attainment(loader)  # once the analyst is gone, the load goes through
    finally:
        loader.dispose()
        analyst.dispose()


def test_analyst_role_by_a_non_superuser_owner(pg_url, capsys):
    """An owner with CREATEROLE but no SUPERUSER runs the command twice (the second run
    rotates the password); the role gets no TEMP; no output shows a password."""
    from argparse import Namespace

    from planwh import role_cmd
    from tests.helpers import PG_ADMIN_URL, create_database, drop_database

    tag = uuid.uuid4().hex[:8]
    owner, role, db = f"nolost_owner_{tag}", f"nolost_analyst_{tag}", f"nolost_db_{tag}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE ROLE "{owner}" LOGIN CREATEROLE PASSWORD \'OwnerPw-{tag}\''))
    create_database(admin, db)
    with admin.connect() as c:
        c.execute(sa.text(f'ALTER DATABASE "{db}" OWNER TO "{owner}"'))
    base = sa.engine.make_url(PG_ADMIN_URL).set(database=db)
    owner_url = base.set(username=owner, password=f"OwnerPw-{tag}").render_as_string(False)
    try:
        for password in (f"first-{tag}", f"second-{tag}"):
            os_env = {"PLANWH_ANALYST_PASSWORD": password}
            with pytest.MonkeyPatch.context() as mp:
                for k, v in os_env.items():
                    mp.setenv(k, v)
                assert role_cmd.run(Namespace(warehouse=owner_url, role=role)) == 0
            out = capsys.readouterr()
            for secret in (f"OwnerPw-{tag}", password):
                assert secret not in out.out + out.err
        with admin.connect() as c:
            assert c.execute(sa.text("SELECT has_database_privilege(:r, :d, 'TEMP'), "
                                     "has_database_privilege(:r, :d, 'CONNECT')"),
                             {"r": role, "d": db}).one() == (False, True)
            assert c.execute(sa.text("SELECT has_database_privilege(:o, :d, 'TEMP')"),
                             {"o": owner, "d": db}).scalar() is True
        # refusal by the database (no CREATEROLE any more): one line, exit 1, no password
        with admin.connect() as c:
            c.execute(sa.text(f'ALTER ROLE "{owner}" NOCREATEROLE'))
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("PLANWH_ANALYST_PASSWORD", f"third-{tag}")
            assert role_cmd.run(Namespace(warehouse=owner_url, role=role)) == 1
        out = capsys.readouterr()
        assert out.err.count("\n") == 1 and f"OwnerPw-{tag}" not in out.err + out.out
        assert f"third-{tag}" not in out.err + out.out
    finally:
        drop_database(admin, db)
        with admin.connect() as c:
            c.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
            c.execute(sa.text(f'DROP ROLE IF EXISTS "{owner}"'))
        admin.dispose()


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://owner:Hunter2secret@127.0.0.1:notaport/db",
    "postgresql+psycopg://owner:Hunter2secret@127.0.0.1:5999/db",
    "postgresql+psycopg://owner:Hunter2secret@[::1/db",
    "mysql://owner:Hunter2secret@127.0.0.1/db",
    "owner:Hunter2secret@127.0.0.1/db",
])
def test_analyst_role_bad_url_is_one_line_without_password(url, monkeypatch, capsys):
    from argparse import Namespace

    from planwh import role_cmd

    monkeypatch.setenv("PLANWH_ANALYST_PASSWORD", "AnalystPw9")
    assert role_cmd.run(Namespace(warehouse=url, role="planwh_analyst")) in (1, 2)
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("\n") == 1, out.err
    assert "Hunter2secret" not in out.err and "AnalystPw9" not in out.err
    assert "Traceback" not in out.err
