"""create_schema does its work once per process and URL; later calls (every get_engine)
cost one catalogue query, and a warehouse whose tables went away is set up again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from warehouse.schema import create_schema, make_engine


@pytest.mark.parametrize("engine_name", ["duckdb", "postgresql"])
def test_schema_set_up_once_per_process_and_url(engine_name, request):
    url = request.getfixturevalue("duckdb_url" if engine_name == "duckdb" else "pg_url")
    engine = make_engine(url)
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda conn, cur, stmt, *a: statements.append(stmt))
    try:
        create_schema(engine, force=True)  # (an earlier test may have set this URL up)
        first = len(statements)
        assert first > 1
        statements.clear()
        other = make_engine(url)  # another engine on the same URL: still set up
        try:
            sa.event.listen(other, "before_cursor_execute",
                            lambda conn, cur, stmt, *a: statements.append(stmt))
            create_schema(other)
        finally:
            other.dispose()
        create_schema(engine)
        assert len(statements) == 2 and all("information_schema" in s for s in statements)
        with engine.begin() as cx:
            cx.exec_driver_sql("DROP TABLE load_log")
        statements.clear()
        create_schema(engine)  # a table is gone: the whole set-up again
        assert len(statements) > 1
        if engine_name == "duckdb":  # (PostgreSQL: Alembic, at head, recreates nothing)
            assert "load_log" in sa.inspect(engine).get_table_names()
        statements.clear()
        create_schema(engine, force=True)
        assert len(statements) > 1
    finally:
        engine.dispose()
