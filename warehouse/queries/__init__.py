"""Analyst questions as plain SQL files (portable: DuckDB and PostgreSQL).

Each ``*.sql`` file here is one SELECT with a header comment saying what it
answers; ``list_queries()`` names them and ``run_query(engine, name)`` runs one.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

QUERY_DIR = Path(__file__).resolve().parent


def list_queries() -> list[str]:
    """Names of the query files (without .sql), sorted."""
    return sorted(p.stem for p in QUERY_DIR.glob("*.sql"))


def query_sql(name: str) -> str:
    path = QUERY_DIR / f"{name}.sql"
    if not path.is_file():
        raise KeyError(f"no query {name!r}; known: {', '.join(list_queries())}")
    return path.read_text(encoding="utf-8")


def run_query(engine: Engine, name: str, params: dict | None = None) -> list[dict]:
    """Run one query file; rows as dicts in the query's order. ``params``: the values of
    a query's ``:name`` parameters (its header's Parameters: line), bound, never
    pasted into the SQL."""
    sql = query_sql(name).strip().rstrip(";")
    with engine.connect() as cx:
        if params:
            import sqlalchemy as sa

            result = cx.execute(sa.text(sql), params)
        else:
            result = cx.exec_driver_sql(sql)
        return [dict(r) for r in result.mappings()]


def attainment_summary(engine: Engine) -> tuple[int, float | None]:
    """(evaluated targets, share of them met) as analysts see them: v_attainment, each
    plan once. The rate is None when nothing could be evaluated."""
    with engine.connect() as cx:
        n, met = cx.exec_driver_sql(
            "SELECT COUNT(*), SUM(CASE WHEN attained THEN 1 ELSE 0 END) "
            "FROM v_attainment WHERE attained IS NOT NULL"
        ).one()
    return int(n), ((met or 0) / n if n else None)
