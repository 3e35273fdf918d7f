"""Schema changes (Alembic revisions on PostgreSQL, the reshaping of older DuckDB files)
and what concurrent readers see of a rebuild.

PostgreSQL runs in its own throwaway database here, since revisions are downgraded.
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tests.helpers import (
    DISTRICTS,
    MAPPINGS,
    METRICS,
    PG_ADMIN_URL,
    create_database,
    drop_database,
    make_plan,
    stats_frame,
)
from warehouse import load as wl
from warehouse.attainment import build_attainment
from warehouse.migrate import alembic_config, upgrade
from warehouse.schema import create_schema, make_engine, metadata


@pytest.fixture
def pg_engine(pg_url):  # pg_url: skips without a server, fails under CI=true
    name = f"planwh_migr_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    create_database(admin, name)
    engine = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_database(admin, name)
        admin.dispose()


def load_sample(engine) -> None:
    wl.load_reference(engine, DISTRICTS, METRICS)
    wl.load_plan(engine, make_plan(), MAPPINGS)
    wl.load_stats(engine, stats_frame())
    build_attainment(engine)


def rows(engine, sql: str) -> list[tuple]:
    with engine.connect() as cx:
        return [tuple(r) for r in cx.exec_driver_sql(sql)]


def columns(engine, table: str) -> list[str]:
    return [c["name"] for c in sa.inspect(engine).get_columns(table)]


def test_head_matches_the_metadata(pg_engine):
    """Also after loads and attainment builds, which drop and re-add keys in bulk."""
    upgrade(pg_engine)
    load_sample(pg_engine)
    build_attainment(pg_engine)
    with pg_engine.connect() as cx:
        diff = compare_metadata(MigrationContext.configure(cx), metadata)
    tables = {t: columns(pg_engine, t) for t in metadata.tables}
    assert tables == {t.name: [c.name for c in t.columns] for t in metadata.sorted_tables}
    assert diff == []  # no table, column, type, key, nullability or comment difference


def test_slim_attainment_downgrades_and_upgrades_with_data(pg_engine):
    upgrade(pg_engine)
    load_sample(pg_engine)
    view = rows(pg_engine, "SELECT plan_title, indicator_name, district_code, year, target, "
                           "actual, attained FROM v_attainment ORDER BY 2, 3, 4")
    assert view
    cfg = alembic_config()
    with pg_engine.begin() as cx:
        cfg.attributes["connection"] = cx
        command.downgrade(cfg, "0002")
    assert {"plan_id", "metric_code", "target_unit", "target_text"} <= set(
        columns(pg_engine, "fct_attainment"))
    # the copies are refilled from fct_target and dim_indicator
    assert rows(pg_engine, "SELECT COUNT(*) FROM fct_attainment WHERE plan_id IS NULL "
                           "OR target_text IS NULL OR metric_code IS NULL") == [(0,)]
    assert rows(pg_engine, "SELECT DISTINCT target_text FROM fct_attainment "
                           "WHERE comparator = 'milestone'") == [("试点启动",)]
    upgrade(pg_engine)
    assert columns(pg_engine, "fct_attainment") == [
        c.name for c in metadata.tables["fct_attainment"].columns]
    assert rows(pg_engine, "SELECT plan_title, indicator_name, district_code, year, target, "
                           "actual, attained FROM v_attainment ORDER BY 2, 3, 4") == view


def _with_relative_target(engine) -> None:
    """The sample plus 养老床位数 2021 "比2020年增长20%" (as the plan reader gives it):
    the city's 2020 beds 1050 (the district sum) x 1.2 = 1260; 2021 has 1250: missed."""
    from dataclasses import replace

    from extractors.targets import parse_target

    plan = make_plan()
    pt = parse_target("比2020年增长20%", "养老床位数")[0]
    plan.records = [replace(r, target_text=pt.text, comparator=pt.comparator,
                            target_value=pt.value, relative_kind=pt.relative_kind,
                            relative_value=pt.relative_value,
                            relative_reference=pt.relative_reference)
                    if (r.indicator_name, r.year) == ("养老床位数", 2021) else r
                    for r in plan.records]
    wl.load_reference(engine, DISTRICTS, METRICS)
    wl.load_plan(engine, plan, MAPPINGS)
    wl.load_stats(engine, stats_frame())
    build_attainment(engine)


RELATIVE_ROW = ("SELECT a.attained, a.target_resolved, a.note, ft.relative_kind, "
                "ft.relative_value, ft.relative_reference, ft.base_year "
                "FROM fct_attainment a JOIN fct_target ft ON ft.indicator_id = a.indicator_id "
                "AND ft.year = a.year AND ft.scope = '全市' WHERE a.year = 2021 "
                "AND a.district_code = '330100' AND a.comparator = '>=' AND a.target_value = 20")


def test_relative_columns_downgrade_and_upgrade_with_data(pg_engine):
    """0005 on a warehouse with data: the relative reading is refilled from target_text
    (the base year the wording names, 2020); the old level verdict is withdrawn until the
    next build, which judges the resolved level."""
    upgrade(pg_engine)
    _with_relative_target(pg_engine)
    judged = rows(pg_engine, RELATIVE_ROW)
    assert judged == [(False, 1260.0, None, "percent", 20.0, "baseline", 2020)]
    others = rows(pg_engine, "SELECT * FROM fct_attainment WHERE note IS NULL "
                  "AND target_resolved IS NULL ORDER BY 1, 2, 3")
    cfg = alembic_config()
    with pg_engine.begin() as cx:
        cfg.attributes["connection"] = cx
        command.downgrade(cfg, "0004")
    assert "relative_kind" not in columns(pg_engine, "fct_target")
    assert "target_resolved" not in columns(pg_engine, "fct_attainment")
    upgrade(pg_engine)
    assert rows(pg_engine, RELATIVE_ROW) == [
        (None, None, "relative target: judged on its resolved level by the next attainment "
                     "build", "percent", 20.0, "baseline", 2020)]
    assert rows(pg_engine, "SELECT * FROM fct_attainment WHERE note IS NULL AND "
                           "target_resolved IS NULL "
                           "ORDER BY 1, 2, 3") == others  # level targets keep their rows
    build_attainment(pg_engine)
    assert rows(pg_engine, RELATIVE_ROW) == judged


def test_an_older_duckdb_file_is_reshaped(tmp_path):
    """A DuckDB warehouse written before revision 0003 had four more NOT NULL columns in
    fct_attainment: create_schema recreates the (derived) table and the build fills it."""
    engine = make_engine(f"duckdb:///{tmp_path / 'old.duckdb'}")
    create_schema(engine)
    load_sample(engine)
    older = sa.MetaData()
    metadata.tables["dim_indicator"].to_metadata(older)
    old = metadata.tables["fct_attainment"].to_metadata(older)
    old.append_column(sa.Column("plan_id", sa.String(16), nullable=False))
    old.append_column(sa.Column("target_text", sa.Text, nullable=False))
    with engine.begin() as cx:
        cx.exec_driver_sql("DROP VIEW v_attainment")
        cx.exec_driver_sql("DROP TABLE fct_attainment")
        old.create(cx)
        cx.exec_driver_sql("INSERT INTO fct_attainment (indicator_id, district_code, year, "
                           "level, comparator, plan_id, target_text) SELECT DISTINCT "
                           "indicator_id, '330100', year, 'city', 'milestone', 'p', 'x' "
                           "FROM fct_target")
    targets = rows(engine, "SELECT COUNT(*) FROM fct_target")
    create_schema(engine)
    assert columns(engine, "fct_attainment") == [
        c.name for c in metadata.tables["fct_attainment"].columns]
    assert rows(engine, "SELECT COUNT(*) FROM fct_attainment") == [(0,)]
    assert rows(engine, "SELECT COUNT(*) FROM fct_target") == targets  # sources untouched
    assert build_attainment(engine) > 0
    assert rows(engine, "SELECT COUNT(*) FROM v_attainment")[0][0] > 0
    engine.dispose()


def test_a_reader_keeps_its_snapshot_across_a_build(pg_engine):
    """PostgreSQL: a REPEATABLE READ reader whose snapshot predates an attainment build
    still sees the rows of its snapshot afterwards (TRUNCATE would show it none)."""
    upgrade(pg_engine)
    load_sample(pg_engine)
    before = rows(pg_engine, "SELECT COUNT(*) FROM fct_attainment")[0][0]
    assert before > 0
    reader = pg_engine.connect().execution_options(isolation_level="REPEATABLE READ")
    try:
        with reader.begin():
            reader.exec_driver_sql("SELECT COUNT(*) FROM fct_target")  # takes the snapshot
            assert build_attainment(pg_engine) == before
            seen = reader.exec_driver_sql("SELECT COUNT(*) FROM fct_attainment").scalar()
            assert seen == before
    finally:
        reader.close()


def test_an_older_duckdb_file_gets_the_relative_reading(tmp_path):
    """A DuckDB warehouse written before fct_target had its relative columns: create_schema
    adds them and fills them from target_text; the next build judges the resolved level."""
    engine = make_engine(f"duckdb:///{tmp_path / 'old.duckdb'}")
    create_schema(engine)
    _with_relative_target(engine)
    judged = rows(engine, RELATIVE_ROW)
    assert judged == [(False, 1260.0, None, "percent", 20.0, "baseline", 2020)]
    with engine.begin() as cx:
        cx.exec_driver_sql("DROP VIEW v_attainment")
        older = [c.name for c in metadata.tables["fct_target"].columns
                 if c.name not in ("relative_kind", "relative_value", "relative_reference",
                                   "base_year")]
        cx.exec_driver_sql(f"CREATE TABLE old_target AS SELECT {', '.join(older)} "
                           "FROM fct_target")
        cx.exec_driver_sql("DROP TABLE fct_target")
        cx.exec_driver_sql("ALTER TABLE old_target RENAME TO fct_target")
    create_schema(engine, force=True)
    assert rows(engine, "SELECT COUNT(*) FROM fct_target WHERE relative_kind IS NOT NULL") == [
        (1,)]
    build_attainment(engine)
    assert rows(engine, RELATIVE_ROW) == judged


RESTATE_TABLES = {"bridge_district_lineage", "ref_split_weight", "fct_district_stat_restatement",
                  "ref_restate_unchanged",
                  "fct_attainment_restated"}


def test_restated_boundaries_upgrade_in_place(pg_engine):
    """Alembic 0006 on a warehouse of revision 0005 holding data: the restatement tables
    and view are added, the loaded rows stay, and a build fills them; down again drops
    only them."""
    from warehouse.restate import build_restated

    upgrade(pg_engine)
    load_sample(pg_engine)
    cfg = alembic_config()
    with pg_engine.begin() as cx:
        cfg.attributes["connection"] = cx
        command.downgrade(cfg, "0005")
    names = set(sa.inspect(pg_engine).get_table_names())
    assert not names & RESTATE_TABLES
    view = rows(pg_engine, "SELECT indicator_name, district_code, year, target, actual, "
                           "attained FROM v_attainment ORDER BY 1, 2, 3")
    stats = rows(pg_engine, "SELECT COUNT(*) FROM fct_district_stat")
    assert view and stats[0][0] > 0
    upgrade(pg_engine)
    assert RESTATE_TABLES <= set(sa.inspect(pg_engine).get_table_names())
    assert rows(pg_engine, "SELECT indicator_name, district_code, year, target, actual, "
                           "attained FROM v_attainment ORDER BY 1, 2, 3") == view
    assert rows(pg_engine, "SELECT COUNT(*) FROM fct_district_stat") == stats
    result = build_restated(pg_engine, 2021)
    # 西湖区 and the city pass through; 上城区 and 江干区 changed without a lineage file
    assert result.stat_rows > 0
    assert [i.location for i in result.issues if i.check == "restatement.lineage_missing"] == [
        "330102, 2021", "330104, 2021"]
    assert rows(pg_engine, "SELECT COUNT(*) FROM v_attainment_restated")[0][0] > 0


def test_an_older_duckdb_file_gains_the_restatement_tables(tmp_path):
    from warehouse.restate import build_restated

    engine = make_engine(f"duckdb:///{tmp_path / 'old.duckdb'}")
    create_schema(engine)
    load_sample(engine)
    with engine.begin() as cx:  # as written by planwh before restated boundaries
        for name in sorted(RESTATE_TABLES):
            cx.exec_driver_sql(f"DROP TABLE {name}")
    before = rows(engine, "SELECT * FROM fct_district_stat ORDER BY 1, 2, 3")
    create_schema(engine, force=True)
    assert RESTATE_TABLES <= set(sa.inspect(engine).get_table_names())
    assert rows(engine, "SELECT * FROM fct_district_stat ORDER BY 1, 2, 3") == before
    assert build_restated(engine, 2021).stat_rows > 0
    assert rows(engine, "SELECT COUNT(*) FROM v_attainment_restated")[0][0] > 0


# --------------------------------------------------------------------------- vintages (0008)

_OLD_STATS_DDL = """
CREATE TABLE fct_district_stat (
    metric_code VARCHAR(64) NOT NULL, district_code VARCHAR(12) NOT NULL,
    year INTEGER NOT NULL, value DOUBLE PRECISION NOT NULL, unit TEXT,
    source_file TEXT NOT NULL, location TEXT, loaded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (metric_code, district_code, year))
"""


def _old_statistics(engine) -> list[tuple]:
    """Statistics as a warehouse before vintages held them: two files, each with its
    load_log record (loaded at different moments)."""
    from datetime import datetime

    from tests.helpers import STATS

    stamps = {2020: datetime(2024, 3, 1, 8, 0), 2021: datetime(2025, 3, 1, 8, 0)}
    rows = [(m, d, y, float(v), METRICS[m].unit, f"stats_{y}.csv", f"{m}/{d}", stamps[y])
            for m, d, y, v in STATS]
    with engine.begin() as cx:
        cx.execute(sa.text("INSERT INTO fct_district_stat VALUES (:m, :d, :y, :v, :u, :f, "
                           ":l, :t)"),
                   [dict(zip("mdyvuflt", r, strict=True)) for r in rows])
        cx.execute(sa.text("DELETE FROM load_log WHERE load_key LIKE 'stats:%'"))
        cx.execute(sa.text("INSERT INTO load_log VALUES (:k, :h, :n, :t)"),
                   [{"k": f"stats:stats_{y}.csv", "h": f"{y}" * 16,
                     "n": sum(1 for r in rows if r[2] == y), "t": t}
                    for y, t in stamps.items()])
    return rows


def _check_first_vintages(engine, old: list[tuple]) -> None:
    """Every old row is a current version valid from its file's load, of its file's
    first vintage; and the next load of a revised figure makes a second version."""
    got = rows(engine, "SELECT metric_code, district_code, year, value, unit, source_file, "
                       "location, loaded_at FROM fct_district_stat WHERE valid_to IS NULL "
                       "AND valid_from = loaded_at ORDER BY 1, 2, 3")
    assert got == sorted(old)
    assert rows(engine, "SELECT source_file, content_sha256, row_count, loaded_at "
                        "FROM stat_vintage ORDER BY vintage_id") == [
        ("stats_2020.csv", "2020" * 16, sum(1 for r in old if r[2] == 2020), old[0][7]),
        ("stats_2021.csv", "2021" * 16, sum(1 for r in old if r[2] == 2021),
         next(r[7] for r in old if r[2] == 2021))]
    assert rows(engine, "SELECT COUNT(*) FROM fct_district_stat s JOIN stat_vintage v "
                        "ON v.vintage_id = s.vintage_id AND v.source_file = s.source_file") == [
        (len(old),)]
    from tests.helpers import STATS
    from warehouse.vintages import stat_version_problems

    assert stat_version_problems(engine) == []
    revised = [r if r[:3] != ("beds", "330102", 2020) else ("beds", "330102", 2020, 401)
               for r in STATS]
    assert wl.load_stats(engine, stats_frame(revised)) == "loaded"
    assert rows(engine, "SELECT value, valid_to IS NULL FROM fct_district_stat WHERE "
                        "metric_code = 'beds' AND district_code = '330102' AND year = 2020 "
                        "ORDER BY valid_from") == [(400.0, False), (401.0, True)]
    assert stat_version_problems(engine) == []


def test_statistics_become_first_vintages_on_postgres(pg_engine):
    upgrade(pg_engine, "0007")
    assert "valid_from" not in columns(pg_engine, "fct_district_stat")
    old = _old_statistics(pg_engine)
    upgrade(pg_engine)
    _check_first_vintages(pg_engine, old)
    assert "v_attainment_as_of" in sa.inspect(pg_engine).get_view_names()


def test_statistics_become_first_vintages_on_duckdb(tmp_path):
    engine = make_engine(f"duckdb:///{tmp_path / 'old.duckdb'}")
    create_schema(engine)
    with engine.begin() as cx:  # the tables as they were before vintages
        cx.exec_driver_sql("DROP VIEW IF EXISTS v_attainment_as_of")
        for t in ("fct_attainment_as_of", "stat_vintage", "fct_district_stat"):
            cx.exec_driver_sql(f"DROP TABLE {t}")
        cx.exec_driver_sql(_OLD_STATS_DDL.replace("DOUBLE PRECISION", "DOUBLE"))
    old = _old_statistics(engine)
    create_schema(engine, force=True)
    assert columns(engine, "fct_district_stat") == [
        c.name for c in metadata.tables["fct_district_stat"].columns]
    _check_first_vintages(engine, old)
    engine.dispose()


REVISION_COLUMNS = {"dim_plan": ["declared_revises", "declared_effective_from", "revises_plan_id",
                                 "effective_from", "revision_source", "lineage_id"],
                    "dim_indicator": ["indicator_key", "valid_from", "valid_to", "is_current"],
                    "fct_target": ["valid_from", "valid_to"]}
VERSIONS_SQL = ("SELECT i.indicator_id, i.indicator_key IS NOT NULL, i.valid_from, i.valid_to, "
                "i.is_current, p.lineage_id = p.plan_id FROM dim_indicator i "
                "JOIN dim_plan p ON p.plan_id = i.plan_id ORDER BY 1")


def test_plan_revisions_upgrade_a_0006_warehouse_with_data(pg_engine):
    """Revision 0007 (plan revisions) on a warehouse of revision 0006 holding data: the
    columns are added and backfilled (each plan its own lineage, every version open and
    current), v_attainment shows the same rows, v_attainment_versions all of them."""
    upgrade(pg_engine)
    load_sample(pg_engine)
    view = rows(pg_engine, "SELECT plan_title, indicator_name, district_code, year, target, "
                           "actual, attained FROM v_attainment ORDER BY 2, 3, 4")
    assert view
    cfg = alembic_config()
    with pg_engine.begin() as cx:
        cfg.attributes["connection"] = cx
        command.downgrade(cfg, "0006")
    for table, cols in REVISION_COLUMNS.items():
        assert not set(cols) & set(columns(pg_engine, table))
    assert "ref_plan_revision" not in sa.inspect(pg_engine).get_table_names()
    upgrade(pg_engine)
    assert rows(pg_engine, "SELECT plan_title, indicator_name, district_code, year, target, "
                           "actual, attained FROM v_attainment ORDER BY 2, 3, 4") == view
    versions = rows(pg_engine, VERSIONS_SQL)
    assert versions and all(v[1:] == (True, None, None, True, True) for v in versions)
    assert rows(pg_engine, "SELECT COUNT(*) FROM fct_target WHERE valid_from IS NOT NULL "
                           "OR valid_to IS NOT NULL") == [(0,)]
    assert rows(pg_engine, "SELECT COUNT(*) FROM v_attainment_versions WHERE in_force") == [
        (len(view),)]


def test_an_older_duckdb_file_gains_plan_revisions(tmp_path):
    """The DuckDB counterpart of revision 0007: a file written without the revision
    columns gets them, backfilled, with its data."""
    engine = make_engine(f"duckdb:///{tmp_path / 'old.duckdb'}")
    create_schema(engine)
    load_sample(engine)
    view = rows(engine, "SELECT plan_title, indicator_name, district_code, year, target, "
                        "actual, attained FROM v_attainment ORDER BY 2, 3, 4")
    with engine.begin() as cx:  # back to the 0006 shape
        cx.exec_driver_sql("DROP VIEW v_attainment")
        cx.exec_driver_sql("DROP VIEW v_attainment_versions")
        cx.exec_driver_sql("DROP TABLE ref_plan_revision")
        for table, cols in REVISION_COLUMNS.items():  # (a CHECK holds some of the columns)
            keep = ", ".join(c.name for c in metadata.tables[table].columns if c.name not in cols)
            cx.exec_driver_sql(f"CREATE TABLE {table}_0006 AS SELECT {keep} FROM {table}")
            cx.exec_driver_sql(f"DROP TABLE {table}")
            cx.exec_driver_sql(f"ALTER TABLE {table}_0006 RENAME TO {table}")
    create_schema(engine, force=True)
    for table, cols in REVISION_COLUMNS.items():
        assert set(cols) <= set(columns(engine, table))
    versions = rows(engine, VERSIONS_SQL)
    assert versions and all(v[1:] == (True, None, None, True, True) for v in versions)
    assert rows(engine, "SELECT plan_title, indicator_name, district_code, year, target, "
                        "actual, attained FROM v_attainment ORDER BY 2, 3, 4") == view
    engine.dispose()


# ------------------------------------------------------------- v_progress in force (0009)


def test_v_progress_in_force_upgrades_in_place(pg_engine, tmp_path):
    """Revision 0009 (PostgreSQL) and create_schema (DuckDB) give an existing warehouse
    today's v_progress (the versions in force, indicator_key) with fct_progress's rows."""
    from warehouse.progress import build_progress

    upgrade(pg_engine)
    load_sample(pg_engine)
    assert build_progress(pg_engine) > 0
    query = "SELECT indicator_id, district_code, year, status FROM v_progress ORDER BY 1, 2, 3"
    now = rows(pg_engine, query)
    assert now and "indicator_key" in columns(pg_engine, "v_progress")
    cfg = alembic_config()
    with pg_engine.begin() as cx:
        cfg.attributes["connection"] = cx
        command.downgrade(cfg, "0008")
    assert "indicator_key" not in columns(pg_engine, "v_progress")
    assert rows(pg_engine, query) == now  # 0004's view: one plan, every version in force
    upgrade(pg_engine)
    assert "indicator_key" in columns(pg_engine, "v_progress")
    assert rows(pg_engine, query) == now

    duck = make_engine(f"duckdb:///{tmp_path / 'old.duckdb'}")
    create_schema(duck)
    with duck.begin() as cx:  # a file from before: v_progress without the rule
        cx.exec_driver_sql("CREATE OR REPLACE VIEW v_progress AS SELECT indicator_id "
                           "FROM fct_progress")
    create_schema(duck, force=True)
    assert "indicator_key" in columns(duck, "v_progress")
    duck.dispose()


# --------------------------------------------------------------------------- restated view (0010)

_RESTATED = "SELECT * FROM fct_district_stat_restated ORDER BY 1, 2, 3"


def test_restated_view_upgrades_a_0009_warehouse_with_data(pg_engine):
    """Alembic 0010 on a warehouse whose fct_district_stat_restated is a table of every row:
    the view shows the same rows; down again makes the table with them."""
    from warehouse.restate import build_restated

    upgrade(pg_engine)
    load_sample(pg_engine)
    assert build_restated(pg_engine, 2021).stat_rows > 0
    with pg_engine.begin() as cx:  # one restated row too (the sample has none)
        cx.exec_driver_sql(
            "INSERT INTO fct_district_stat_restatement VALUES ('covered', '330199', 2020, 2021, "
            "1.5, TRUE, 'sum_of_parts', '330102 + 330104')")
    before = rows(pg_engine, _RESTATED)
    assert len({r[6] for r in before}) == 2  # reported and sum_of_parts
    cfg = alembic_config()
    with pg_engine.begin() as cx:
        cfg.attributes["connection"] = cx
        command.downgrade(cfg, "0009")
    insp = sa.inspect(pg_engine)
    assert "fct_district_stat_restated" in insp.get_table_names()
    assert not {"fct_district_stat_restatement", "ref_restate_unchanged"} & set(
        insp.get_table_names())
    assert rows(pg_engine, _RESTATED) == before
    upgrade(pg_engine)
    insp = sa.inspect(pg_engine)
    assert "fct_district_stat_restated" in insp.get_view_names()
    assert rows(pg_engine, _RESTATED) == before
    assert rows(pg_engine, "SELECT COUNT(*) FROM fct_district_stat_restatement") == [(1,)]


def test_an_older_duckdb_file_gets_the_restated_view(tmp_path):
    """A DuckDB file whose fct_district_stat_restated is a table: create_schema moves its
    rows to the view's tables; the view shows the same rows."""
    from warehouse.restate import build_restated

    engine = make_engine(f"duckdb:///{tmp_path / 'old.duckdb'}")
    create_schema(engine)
    load_sample(engine)
    assert build_restated(engine, 2021).stat_rows > 0
    before = rows(engine, _RESTATED)
    assert before
    with engine.begin() as cx:  # as written by planwh before the view
        cx.exec_driver_sql("CREATE TABLE old_restated AS SELECT * FROM fct_district_stat_restated")
        cx.exec_driver_sql("DROP VIEW fct_district_stat_restated")
        cx.exec_driver_sql("DROP TABLE fct_district_stat_restatement")
        cx.exec_driver_sql("DROP TABLE ref_restate_unchanged")
        cx.exec_driver_sql("ALTER TABLE old_restated RENAME TO fct_district_stat_restated")
    create_schema(engine, force=True)
    assert "fct_district_stat_restated" in sa.inspect(engine).get_view_names()
    assert rows(engine, _RESTATED) == before
    assert rows(engine, "SELECT COUNT(*) FROM ref_restate_unchanged")[0][0] > 0
