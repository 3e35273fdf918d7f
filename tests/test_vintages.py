"""Statistics vintages (docs/time.md, Vintages): versions in load time, publication
dates, attainment as of a moment; on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date, datetime, time

import pandas as pd
import pytest
import sqlalchemy as sa

from extractors.vintages import date_in_file_name, publication, read_publications
from tests.helpers import STATS, fetch, stats_frame
from warehouse import load as wl
from warehouse.attainment import as_of_moment, build_attainment_as_of
from warehouse.vintages import stat_version_problems

KEY = ("beds", "330106", 2021)


def versions(engine, key=KEY) -> list[tuple]:
    return fetch(engine, "SELECT value, valid_to IS NULL, vintage_id FROM fct_district_stat "
                         "WHERE metric_code = :m AND district_code = :d AND year = :y "
                         "ORDER BY valid_from", m=key[0], d=key[1], y=key[2])


def with_value(rows, key, value):
    return [r if r[:3] != key else (*key, value) for r in rows]


# --------------------------------------------------------------------------- publication


@pytest.mark.parametrize("name,when", [
    ("hangzhou-elderly-care-2016-2020.csv", None),  # a year range is not a date
    ("统计_发布日期2020-03-31.csv", date(2020, 3, 31)),
    ("yearbook_20200331.xlsx", date(2020, 3, 31)),
    ("杭州统计年鉴2021年4月2日.xls", date(2021, 4, 2)),
    ("a-2019-01-02-b-2020-03-04.csv", None),  # two dates, no marker: no guess
    ("2019-01-02-release-2020.3.4.csv", date(2020, 3, 4)),  # the marked one wins
    ("x_20201340.csv", None),  # not a calendar date
])
def test_date_in_file_name(name, when):
    assert date_in_file_name(name) == when


def test_publications_file_wins_and_bad_rows_say_where(tmp_path):
    (tmp_path / "stat_publications.csv").write_text(
        "source_file,published_on\na_20200101.csv,2020-06-30\n", encoding="utf-8")
    ref, issues = read_publications(tmp_path)
    assert issues == []
    assert publication("a_20200101.csv", ref) == (date(2020, 6, 30), "reference")
    assert publication("b_20200101.csv", ref) == (date(2020, 1, 1), "file_name")
    assert publication("b.csv", ref) == (None, None)
    assert read_publications(tmp_path / "nowhere") == ({}, [])
    # a bad row is an issue (file, row, reason) and gives no date; the good rows are used
    (tmp_path / "stat_publications.csv").write_text(
        "source_file,published_on\na.csv,30/06/2020\nb.csv,2020-07-01\n,2020-07-02\n"
        "c.csv,2020-01-01\nc.csv,2020-02-01\n", encoding="utf-8")
    ref, issues = read_publications(tmp_path)
    assert ref == {"b.csv": date(2020, 7, 1)}  # c.csv has two dates: neither is used
    assert [(i.source_file, i.location, i.severity, i.check) for i in issues] == [
        ("stat_publications.csv", f"row {n}", "error", "stat_publication") for n in (2, 4, 6)]
    assert "not an ISO date" in issues[0].reason and "empty" in issues[1].reason
    assert "row 5" in issues[2].reason
    (tmp_path / "stat_publications.csv").write_text("file,date\na.csv,2020-01-01\n",
                                                   encoding="utf-8")
    ref, issues = read_publications(tmp_path)
    assert ref == {} and [(i.location, i.reason.split(":")[0]) for i in issues] == [
        ("row 1", "missing column(s) source_file, published_on")]


def test_bad_publication_rows_are_issue_rows_and_the_load_goes_on(engine, tmp_path):
    """A malformed stat_publications.csv row: an ingest_issues row, the statistics load,
    the file it named gets no publication date from it (the other rows' dates are used)."""
    (tmp_path / "stat_publications.csv").write_text(
        "source_file,published_on\nstats_2020.csv,31.03.2021\nstats_2021.csv,2022-04-01\n",
        encoding="utf-8")
    published, issues = read_publications(tmp_path)
    assert wl.load_stats(engine, stats_frame(), published=published,
                         publication_issues=issues) == "loaded"
    assert fetch(engine, "SELECT source_file, published_on, published_from FROM stat_vintage "
                         "ORDER BY source_file") == [
        ("stats_2020.csv", None, None), ("stats_2021.csv", date(2022, 4, 1), "reference")]
    assert fetch(engine, "SELECT source_file, location, severity, check_name FROM "
                         "ingest_issues WHERE scope = 'reference:stat_publications'") == [
        ("stat_publications.csv", "row 2", "error", "stat_publication")]
    assert fetch(engine, "SELECT COUNT(*) FROM fct_district_stat") == [(len(STATS),)]
    # the row corrected: the issue goes with the next load (nothing else changed)
    assert wl.load_stats(engine, stats_frame(), published={},
                         publication_issues=[]) == "unchanged"
    assert fetch(engine, "SELECT COUNT(*) FROM ingest_issues "
                         "WHERE scope = 'reference:stat_publications'") == [(0,)]


def test_as_of_moment():
    assert as_of_moment("2020-06-30") == datetime.combine(date(2020, 6, 30), time.max)
    assert as_of_moment("2020-06-30T14:05") == datetime(2020, 6, 30, 14, 5)
    assert as_of_moment("2020-06-30T22:05:00+08:00") == datetime(2020, 6, 30, 14, 5)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        as_of_moment("30.6.2020")


# --------------------------------------------------------------------------- versions


def test_versions_in_load_time(loaded):
    """Revised, unchanged, withdrawn, re-added and moved figures, and the untouched file."""
    engine = loaded
    assert versions(engine) == [(600.0, True, 2)]  # stats_2021.csv: the second vintage
    file_2020 = fetch(engine, "SELECT * FROM fct_district_stat "
                              "WHERE source_file = 'stats_2020.csv' ORDER BY 1, 2, 3, 9")
    vintages = fetch(engine, "SELECT * FROM stat_vintage ORDER BY vintage_id")
    # the same content again: nothing
    assert wl.load_stats(engine, stats_frame()) == "unchanged"
    assert fetch(engine, "SELECT * FROM stat_vintage ORDER BY vintage_id") == vintages
    # a revision of one figure in stats_2021.csv, dated by the reference mapping
    revised = with_value(STATS, KEY, 601)
    assert wl.load_stats(engine, stats_frame(revised),
                         published={"stats_2021.csv": date(2022, 4, 1)}) == "loaded"
    assert versions(engine) == [(600.0, False, 2), (601.0, True, 3)]
    assert fetch(engine, "SELECT vintage_id, source_file, published_on, published_from "
                         "FROM stat_vintage WHERE vintage_id > 2") == [
        (3, "stats_2021.csv", date(2022, 4, 1), "reference")]
    # the file's other figures keep their version (valid from the first load)
    other = ("beds", "330102", 2021)
    assert versions(engine, other) == [(700.0, True, 2)]
    # the incremental guarantee: the other file's rows are untouched, column by column
    assert fetch(engine, "SELECT * FROM fct_district_stat "
                         "WHERE source_file = 'stats_2020.csv' ORDER BY 1, 2, 3, 9") == file_2020
    # withdrawn, then given again with the first value: closed, then a new version
    withdrawn = [r for r in revised if r[:3] != KEY]
    assert wl.load_stats(engine, stats_frame(withdrawn)) == "loaded"
    assert versions(engine) == [(600.0, False, 2), (601.0, False, 3)]
    assert wl.load_stats(engine, stats_frame(STATS)) == "loaded"
    assert versions(engine) == [(600.0, False, 2), (601.0, False, 3), (600.0, True, 5)]
    # a figure moved to another row of its file: the same version, its location follows
    frame = stats_frame(STATS)
    frame.loc[(frame.metric_code == "beds") & (frame.district_code == "330102")
              & (frame.year == 2021), "location"] = "moved"
    assert wl.load_stats(engine, frame) == "loaded"
    assert versions(engine, other) == [(700.0, True, 2)]
    assert fetch(engine, "SELECT location FROM fct_district_stat WHERE metric_code = 'beds' "
                         "AND district_code = '330102' AND year = 2021") == [("moved",)]
    # a deleted file: its current figures are closed, none deleted
    n_2020 = len(file_2020)
    assert wl.load_stats(engine, stats_frame([r for r in STATS if r[2] == 2021])) == "loaded"
    assert fetch(engine, "SELECT COUNT(*), COUNT(valid_to) FROM fct_district_stat "
                         "WHERE source_file = 'stats_2020.csv'") == [(n_2020, n_2020)]
    assert stat_version_problems(engine) == []


def test_attainment_as_of_keeps_each_moment(loaded):
    """fct_attainment_as_of: before any load no actual; between two vintages the first;
    a moment built twice is replaced, not doubled; fct_attainment is not touched."""
    engine = loaded
    sql = ("SELECT actual_value, attained FROM fct_attainment_as_of WHERE as_of = :t "
           "AND district_code = '330100' AND year = 2021 AND comparator <> 'milestone'")
    current = fetch(engine, "SELECT * FROM fct_attainment ORDER BY 1, 2, 3")
    first = fetch(engine, "SELECT MIN(loaded_at) FROM stat_vintage")[0][0]
    before_any = datetime(2000, 1, 1)
    between = wl._stamp()
    assert wl.load_stats(engine, stats_frame(with_value(STATS, ("beds", "330100", 2021),
                                                        10))) == "loaded"
    n = build_attainment_as_of(engine, between)
    assert n == build_attainment_as_of(engine, between)  # replaced, not doubled
    assert fetch(engine, "SELECT COUNT(*) FROM fct_attainment_as_of WHERE as_of = :t",
                 t=between) == [(n,)]
    build_attainment_as_of(engine, before_any)
    assert first > before_any
    assert all(r == (None, None) for r in fetch(engine, sql, t=before_any))
    assert (1250.0, True) in fetch(engine, sql, t=between)  # the city's own 1250 beds
    assert fetch(engine, "SELECT * FROM fct_attainment ORDER BY 1, 2, 3") == current
    assert fetch(engine, "SELECT COUNT(DISTINCT as_of) FROM v_attainment_as_of") == [(2,)]


def test_a_failed_load_leaves_versions_and_vintages(loaded, monkeypatch):
    """Atomicity: a failure after the vintage rows were written rolls everything back."""
    before = fetch(loaded, "SELECT * FROM fct_district_stat ORDER BY 1, 2, 3, 9")
    vintages = fetch(loaded, "SELECT * FROM stat_vintage ORDER BY 1")

    def boom(*args, **kwargs):
        raise RuntimeError("injected failure after the vintages")

    monkeypatch.setattr(wl, "_replace_duckdb", boom)
    monkeypatch.setattr(wl, "_apply_versions", boom)
    monkeypatch.setattr(wl, "_replace_postgres", boom)
    with pytest.raises(RuntimeError, match="injected"):
        wl.load_stats(loaded, pd.concat([stats_frame(with_value(STATS, KEY, 1))]))
    assert fetch(loaded, "SELECT * FROM fct_district_stat ORDER BY 1, 2, 3, 9") == before
    assert fetch(loaded, "SELECT * FROM stat_vintage ORDER BY 1") == vintages


def test_duckdb_without_build_and_swap_versions_the_same(duckdb_url, monkeypatch):
    """DuckDB's fallback (a catalogue rebuild_duckdb_table does not recognise) runs the
    set-based statements PostgreSQL runs, with the same result."""
    from warehouse.schema import create_schema, make_engine

    loaded = make_engine(duckdb_url)
    create_schema(loaded)
    assert wl.load_stats(loaded, stats_frame()) == "loaded"
    monkeypatch.setattr(wl, "rebuild_duckdb_table", lambda *args, **kwargs: False)
    frame = stats_frame(with_value(STATS, KEY, 601))
    frame.loc[frame.metric_code == "coverage", "location"] = "moved"
    assert wl.load_stats(loaded, frame) == "loaded"
    assert versions(loaded) == [(600.0, False, 2), (601.0, True, 3)]
    assert fetch(loaded, "SELECT location, valid_to IS NULL FROM fct_district_stat "
                         "WHERE metric_code = 'coverage'") == [("moved", True)]
    assert stat_version_problems(loaded) == []
    loaded.dispose()


def test_file_names_with_quotes_and_colons(engine):
    """A file name is data: bound, never pasted into the statements (sa.text would read
    ``:c`` as a parameter)."""
    name = "统计'年鉴:c.csv"
    frame = stats_frame([r for r in STATS if r[2] == 2021])
    frame["source_file"] = name
    assert wl.load_stats(engine, frame) == "loaded"
    frame.loc[frame.metric_code == "coverage", "value"] = 97.0
    assert wl.load_stats(engine, frame) == "loaded"
    assert fetch(engine, "SELECT value, valid_to IS NULL FROM fct_district_stat WHERE "
                         "metric_code = 'coverage' ORDER BY valid_from") == [(96.0, False),
                                                                             (97.0, True)]
    assert fetch(engine, "SELECT DISTINCT source_file FROM stat_vintage") == [(name,)]


def test_stat_versions_finds_versions_without_their_vintage(loaded):
    """A version whose vintage is missing, or not loaded at the moment it is valid from,
    is named (the per-vintage pre-check must not hide it)."""
    engine = loaded
    assert stat_version_problems(engine) == []
    with engine.begin() as cx:
        cx.execute(sa.text(
            "UPDATE fct_district_stat SET vintage_id = 999 WHERE metric_code = :m "
            "AND district_code = :d AND year = :y"), {"m": KEY[0], "d": KEY[1], "y": KEY[2]})
    problems = stat_version_problems(engine)
    assert [p for p in problems if "has no vintage 999" in p] == [
        p for p in problems if p.startswith(f"{KEY[0]} {KEY[1]} {KEY[2]}:")], problems
    assert any("has no vintage 999" in p for p in problems), problems
    with engine.begin() as cx:  # its vintage back, but valid from another moment
        cx.execute(sa.text(
            "UPDATE fct_district_stat SET vintage_id = (SELECT MIN(vintage_id) FROM "
            "stat_vintage), valid_from = :t, loaded_at = :t WHERE metric_code = :m "
            "AND district_code = :d AND year = :y"),
            {"t": datetime(2001, 1, 1), "m": KEY[0], "d": KEY[1], "y": KEY[2]})
    problems = stat_version_problems(engine)
    assert any(p.startswith(f"{KEY[0]} {KEY[1]} {KEY[2]}: version valid from "
                            f"{datetime(2001, 1, 1)} has no vintage") for p in problems), problems


def test_stat_versions_finds_overlaps_on_every_key(loaded):
    """stat_version_problems looks only at keys with a version not valid from the latest
    vintage's load: an overlap is found whether one of its versions starts then or not."""
    engine = loaded
    assert stat_version_problems(engine) == []
    latest = fetch(engine, "SELECT MAX(loaded_at) FROM stat_vintage")[0][0]
    earlier = datetime(2001, 1, 1)
    cols = ("metric_code, district_code, year, value, unit, source_file, location, "
            "loaded_at, valid_from, valid_to, vintage_id")
    with engine.begin() as cx:
        # a second current version of KEY, from an earlier moment: overlaps the one of
        # the latest load
        cx.execute(sa.text(
            f"INSERT INTO fct_district_stat ({cols}) SELECT metric_code, district_code, "
            "year, value + 1, unit, source_file, location, :t, :t, NULL, vintage_id "
            "FROM fct_district_stat WHERE metric_code = :m AND district_code = :d "
            "AND year = :y AND valid_to IS NULL"),
            {"t": earlier, "m": KEY[0], "d": KEY[1], "y": KEY[2]})
    problems = stat_version_problems(engine)
    assert any(p.startswith(f"{KEY[0]} {KEY[1]} {KEY[2]}: version valid from {earlier}")
               and "overlaps" in p for p in problems), problems
    # two versions of another key, neither from the latest load, overlapping each other
    other = ("beds", "330102", 2021)
    with engine.begin() as cx:
        cx.execute(sa.text(
            "UPDATE fct_district_stat SET valid_from = :a, loaded_at = :a, valid_to = :c "
            "WHERE metric_code = :m AND district_code = :d AND year = :y"),
            {"a": datetime(2002, 1, 1), "c": datetime(2004, 1, 1),
             "m": other[0], "d": other[1], "y": other[2]})
        cx.execute(sa.text(
            f"INSERT INTO fct_district_stat ({cols}) SELECT metric_code, district_code, "
            "year, value + 1, unit, source_file, location, :b, :b, NULL, vintage_id "
            "FROM fct_district_stat WHERE metric_code = :m AND district_code = :d "
            "AND year = :y"), {"b": datetime(2003, 1, 1),
                               "m": other[0], "d": other[1], "y": other[2]})
    assert latest == fetch(engine, "SELECT MAX(loaded_at) FROM stat_vintage")[0][0]
    problems = stat_version_problems(engine, limit=10)
    assert any(p.startswith(f"{other[0]} {other[1]} {other[2]}: version valid from "
                            f"{datetime(2002, 1, 1)}") and "overlaps" in p
               for p in problems), problems


def test_first_staged_load_records_what_later_loads_compare(engine):
    """A first load from a staging table (on PostgreSQL its fingerprints are made beside
    the insert): the rows, one vintage per file, and fingerprints the general path finds
    equal on the next load of the same rows ("unchanged"); a changed value is then a new
    vintage. An empty first stage loads nothing ("unchanged")."""
    from expectations.stats_sql import stage_frame
    from tests.helpers import DISTRICTS, METRICS

    wl.load_reference(engine, DISTRICTS, METRICS)

    def stage(rows) -> str:
        with engine.begin() as cx:
            stage_frame(cx, "stg_first", stats_frame(rows) if rows else
                        stats_frame()[0:0])
        return "stg_first"

    assert wl.load_stats(engine, stage([])) == "unchanged"
    assert fetch(engine, "SELECT COUNT(*) FROM stat_vintage") == [(0,)]
    assert wl.load_stats(engine, stage(STATS)) == "loaded"
    want = stats_frame()
    got = fetch(engine, "SELECT source_file, COUNT(*), SUM(value) FROM fct_district_stat "
                        "WHERE valid_to IS NULL GROUP BY source_file ORDER BY source_file")
    assert [(f, int(n), float(v)) for f, n, v in got] == [
        (f, len(g), float(g["value"].sum())) for f, g in want.groupby("source_file")]
    vintages = fetch(engine, "SELECT source_file, vintage_id, row_count, content_sha256, "
                             "loaded_at FROM stat_vintage ORDER BY vintage_id")
    assert [(f, v, n) for f, v, n, _, _ in vintages] == [
        (f, i + 1, len(g)) for i, (f, g) in enumerate(want.groupby("source_file"))]
    assert len({h for *_, h, _ in vintages}) == len(vintages)  # one fingerprint per file
    # every version belongs to its file's vintage, valid from that load
    assert fetch(engine, "SELECT COUNT(*) FROM fct_district_stat s JOIN stat_vintage v "
                         "ON v.vintage_id = s.vintage_id AND v.source_file = s.source_file "
                         "AND v.loaded_at = s.valid_from") == [(len(want),)]
    logged = fetch(engine, "SELECT load_key, content_sha256, row_count FROM load_log "
                           "WHERE load_key LIKE 'stats:%' ORDER BY load_key")
    assert [(h, n) for _, h, n in logged] == [(h, n) for _, _, n, h, _ in vintages]
    assert stat_version_problems(engine) == []
    # the same rows again: the general path's fingerprints equal the first load's
    assert wl.load_stats(engine, stage(STATS)) == "unchanged"
    assert fetch(engine, "SELECT COUNT(*) FROM stat_vintage") == [(len(vintages),)]
    # one value changed: a new vintage of that file, one version closed
    assert wl.load_stats(engine, stage(with_value(STATS, KEY, 601))) == "loaded"
    assert [v for v, *_ in versions(engine)] == [600.0, 601.0]
    assert fetch(engine, "SELECT COUNT(*) FROM stat_vintage") == [(len(vintages) + 1,)]
