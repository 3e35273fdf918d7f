"""Loads into the warehouse, on DuckDB and PostgreSQL: idempotent reloads, failures keep
the previous rows, one plan delivered as two files, nothing lost while another file
changes, readers during a load."""

from __future__ import annotations

import dataclasses
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
    fetch,
    make_plan,
    snapshot,
    stats_frame,
)
from warehouse import issues as wi
from warehouse import load as wl
from warehouse.attainment import build_attainment
from warehouse.schema import make_engine, metadata

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
    # statistics: a changed file is a new vintage; its new value is valid from the load,
    # the values it no longer gives are closed (kept, not deleted); an unchanged file's
    # rows are untouched
    current = ("SELECT source_file, MAX(loaded_at) FROM fct_district_stat "
               "WHERE valid_to IS NULL GROUP BY source_file")
    old = dict(fetch(loaded, current))
    before_2020 = fetch(loaded, "SELECT * FROM fct_district_stat "
                                "WHERE source_file = 'stats_2020.csv' ORDER BY 1, 2, 3")
    rows = [r for r in STATS if r[2] == 2020] + [("beds", "330106", 2021, 1)]
    later = datetime(2099, 1, 1)
    monkeypatch.setattr(wl, "_stamp", lambda: later)
    assert wl.load_stats(loaded, stats_frame(rows)) == "loaded"
    assert dict(fetch(loaded, current)) == {"stats_2020.csv": old["stats_2020.csv"],
                                            "stats_2021.csv": later}
    assert fetch(loaded, "SELECT * FROM fct_district_stat WHERE source_file = "
                         "'stats_2020.csv' ORDER BY 1, 2, 3") == before_2020
    n_2021 = sum(1 for r in STATS if r[2] == 2021)
    assert fetch(loaded, "SELECT COUNT(*) FROM fct_district_stat WHERE valid_to = :t",
                 t=later) == [(n_2021,)]  # every 2021 figure closed (600 beds became 1)
    assert fetch(loaded, "SELECT value, valid_from FROM fct_district_stat WHERE "
                         "metric_code = 'beds' AND district_code = '330106' AND year = 2021 "
                         "ORDER BY valid_from") == [(600.0, old["stats_2021.csv"]),
                                                    (1.0, later)]
    assert fetch(loaded, "SELECT source_file, loaded_at FROM stat_vintage "
                         "ORDER BY vintage_id DESC LIMIT 1") == [("stats_2021.csv", later)]
    assert wl.table_counts(loaded)["fct_district_stat"] == counts["fct_district_stat"] + 1
    assert wl.delete_plan(loaded, "plan.docx") == 1
    assert wl.table_counts(loaded)["fct_target"] == 0


def test_failed_plan_load_keeps_previous_rows(loaded, monkeypatch):
    before = snapshot(loaded)

    def boom(cx, *args):
        raise RuntimeError("injected failure after the delete")

    monkeypatch.setattr(wl, "_insert_rows", boom)
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
        ["NULL"] * 2 + ["3030"] + ["'city'", "'>='"] + ["NULL"] * (len(attainment.LEVEL_COLUMNS) - 5))
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
    monkeypatch.setattr(wi, "_now", lambda: later)  # replace_issues' home
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
    assert fetch(loaded, "SELECT COUNT(*) FROM fct_district_stat WHERE valid_to IS NULL "
                         "AND source_file = 'stats_2021.csv'") == [(n_2021,)]  # clash dropped
    # the revised figure is current, the one it revised closed (a version, not deleted)
    assert fetch(loaded, "SELECT value, valid_to IS NULL FROM fct_district_stat WHERE "
                         "metric_code = 'beds' AND district_code = '330106' AND year = 2021 "
                         "ORDER BY valid_from") == [(600.0, False), (601.0, True)]
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
    current = sa.text("SELECT COUNT(*) FROM fct_district_stat WHERE valid_to IS NULL")
    n = fetch(loaded, "SELECT COUNT(*) FROM fct_district_stat")[0][0]
    reader = loaded.connect().execution_options(isolation_level="REPEATABLE READ")
    try:
        reader.begin()
        assert reader.execute(current).scalar() == n
        rows = [r for r in STATS if r[2] == 2021]
        assert wl.load_stats(loaded, stats_frame(rows)) == "loaded"
        assert reader.execute(current).scalar() == n
        reader.rollback()
        assert reader.execute(current).scalar() == len(stats_frame(rows))
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
