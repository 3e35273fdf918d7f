"""Shared fixtures: paths, and a throwaway PostgreSQL database per test session."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "raw"
FIXTURES = ROOT / "tests" / "fixtures"

PG_ADMIN_URL = os.environ.get(
    "PLANWH_TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_available() -> bool:
    import sqlalchemy as sa

    try:
        eng = sa.create_engine(PG_ADMIN_URL)
        with eng.connect() as c:
            c.execute(sa.text("select 1"))
        eng.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def pg_url():
    """URL of a fresh PostgreSQL database, dropped at the end of the session.

    Skips when no server answers, except under CI=true, where it fails.
    """
    import sqlalchemy as sa

    if not _pg_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL} (CI=true: no skipping)")
        pytest.skip("PostgreSQL not reachable")
    name = f"planwh_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :n AND pid <> pg_backend_pid()"
                ),
                {"n": name},
            )
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture()
def duckdb_url(tmp_path):
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
