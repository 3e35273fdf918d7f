"""Fixtures only (helpers are in tests/helpers.py): a throwaway PostgreSQL database per
session, a DuckDB URL, warehouse engines on both, and the test tiers (markers)."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from tests.helpers import (  # noqa: F401 - re-exported for tests not yet moved
    ASSETS,
    CHECKS,
    DISTRICTS,
    FIXTURES,
    GROUPS,
    ISSUES,
    MAPPINGS,
    METRICS,
    PG_ADMIN_URL,
    RAW,
    ROOT,
    copy_raw,
    create_database,
    drop_database,
    empty_postgres,
    make_plan,
    materialise_graph,
    pg_available,
    stats_frame,
)


@pytest.fixture(scope="session")
def pg_url():
    """URL of a fresh PostgreSQL database, dropped at the end of the session.

    Skips when no server answers, except under CI=true, where it fails.
    """
    import sqlalchemy as sa

    if not pg_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL not reachable at {PG_ADMIN_URL} (CI=true: no skipping)")
        pytest.skip("PostgreSQL not reachable")
    name = f"planwh_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    create_database(admin, name)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    try:
        yield url
    finally:
        drop_database(admin, name)
        admin.dispose()


@pytest.fixture()
def duckdb_url(tmp_path):
    return f"duckdb:///{tmp_path / 'warehouse.duckdb'}"


# --------------------------------------------------------------------------- warehouse engines


@pytest.fixture(params=["duckdb", "postgresql"])
def url(request):
    if request.param == "duckdb":
        return request.getfixturevalue("duckdb_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(url):
    """An empty warehouse (schema created) on each engine of ``url``."""
    from warehouse.schema import create_schema, make_engine

    eng = make_engine(url)
    if eng.dialect.name == "postgresql":
        empty_postgres(eng)
    create_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def loaded(engine):
    """The small warehouse data set of tests/helpers.py loaded and attainment built."""
    from warehouse import load as wl
    from warehouse.attainment import build_attainment

    wl.load_reference(engine, DISTRICTS, METRICS)
    assert wl.load_plan(engine, make_plan(), MAPPINGS) == "loaded"
    assert wl.load_stats(engine, stats_frame()) == "loaded"
    wl.replace_issues(engine, "stats", ISSUES)
    build_attainment(engine)
    return engine


# --------------------------------------------------------------------------- test tiers
# `make test-fast` runs the pure tiers (no marker); `make test` runs everything.
# Markers are given here by what a test needs, so a new test lands in the right tier
# without remembering to mark it: `pg` (the PostgreSQL server), `e2e` (the pipeline
# through Dagster, the CLI in a subprocess, the webserver), `slow` (fault trials, the
# distributed executor, whole hostile runs). Tests may also mark themselves.
E2E_FILES = {
    "test_asset_metadata.py", "test_asset_snapshot.py", "test_check_agrees.py",
    "test_check_cmd.py", "test_definitions.py", "test_distributed.py", "test_incremental.py",
    "test_stats_staging.py", "test_offline_views.py", "test_check_docs.py",
    "test_pipeline.py", "test_prod_instance.py", "test_run_cmd.py", "test_schedule.py",
    "test_sensors.py", "test_webserver.py", "test_executors.py", "test_dev_after_run.py",
}
SLOW_FILES = {"test_distributed.py", "test_hostile_inputs.py", "test_accuracy_seed.py",
              "test_attainment_oracle.py", "test_migrations.py"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.fspath))
        if "pg_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.pg)
        if path.name in E2E_FILES:
            item.add_marker(pytest.mark.e2e)
        if path.name in SLOW_FILES or "faults" in path.parts:
            item.add_marker(pytest.mark.slow)
