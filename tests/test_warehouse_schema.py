"""Warehouse schema: tables, comments and constraints, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from tests.helpers import (
    PLAN_ID,
    fetch,
    rec,
    snapshot,
)
from warehouse.schema import TABLES, create_schema, metadata

# --------------------------------------------------------------------------- schema


@pytest.mark.slow  # over a second: make test only
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


def test_duckdb_build_memory_is_raised_for_the_build_and_put_back(tmp_path, monkeypatch):
    """The attainment build runs with PLANWH_DUCKDB_BUILD_MEMORY_LIMIT; loads keep the
    connection's limit, put back after the build even when it fails."""
    import pytest
    import sqlalchemy as sa

    from warehouse.schema import duckdb_build_memory, make_engine

    monkeypatch.setenv("PLANWH_DUCKDB_MEMORY_LIMIT", "200MB")
    monkeypatch.setenv("PLANWH_DUCKDB_BUILD_MEMORY_LIMIT", "600MB")
    engine = make_engine(f"duckdb:///{tmp_path / 'wh.duckdb'}")

    def limit() -> str:
        with engine.connect() as cx:
            return cx.exec_driver_sql(
                "SELECT current_setting('memory_limit')").scalar()

    try:
        before = limit()
        with duckdb_build_memory(engine):
            during = limit()
        assert before != during and during.startswith("5")  # 600 MB shown as 572.2 MiB
        assert limit() == before
        with pytest.raises(sa.exc.DBAPIError), duckdb_build_memory(engine):
            with engine.begin() as cx:
                cx.exec_driver_sql("SELECT * FROM no_such_table")
        assert limit() == before
    finally:
        engine.dispose()
