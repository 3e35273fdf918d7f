"""Fixtures only (helpers are in tests/helpers.py): a throwaway PostgreSQL database per
session, a DuckDB URL, warehouse engines on both, and the test tiers (markers)."""

from __future__ import annotations

import itertools
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
# without remembering to mark it: `pg` (the PostgreSQL server, asked for by `pg_url` or a
# "postgresql" parameter), `e2e` (Dagster definitions, sensor and runs, the CLI in a
# subprocess, the webserver), `slow` (fault trials, the distributed executor, whole
# hostile runs, property oracles, the rest of the parallel-PDF parity cases, Great
# Expectations: its import and context take seconds in every worker). Tests may also mark
# themselves. Files of a tier `-m` leaves out are not even imported.
E2E_FILES = {
    "test_asset_metadata.py", "test_asset_snapshot.py", "test_check_agrees.py",
    "test_check_cmd.py", "test_definitions.py", "test_distributed.py", "test_incremental.py",
    "test_stats_staging.py", "test_offline_views.py", "test_check_docs.py",
    "test_pipeline.py", "test_prod_instance.py", "test_run_cmd.py", "test_schedule.py",
    "test_sensors.py", "test_webserver.py", "test_executors.py", "test_dev_after_run.py",
    "test_sensor_incremental.py", "test_table_assets.py",
    "test_revisions_run.py",
    "test_plan_batch.py",
    "test_vintages_cli.py",
    # the planwh CLI in a subprocess (and: no Dagster imported on the way)
    "test_explain.py", "test_hostile.py",
}
SLOW_FILES = {"test_distributed.py", "test_hostile_inputs.py", "test_accuracy_seed.py",
              "test_attainment_oracle.py", "test_progress_oracle.py", "test_migrations.py",
              # Great Expectations suites and Data Docs (other files mark their GX tests)
              "test_expectations.py", "test_data_docs_site.py", "test_stats_sql.py"}


def _file_tiers(path: Path) -> set[str]:
    """The markers every test of the file at ``path`` carries by its name."""
    tiers = set()
    if path.name in E2E_FILES:
        tiers.add("e2e")
    if path.name in SLOW_FILES or "faults" in path.parts:
        tiers.add("slow")
    return tiers


def _needs_postgres(item) -> bool:
    """A test that asks for ``pg_url``, directly or through a ``postgresql`` parameter."""
    if "pg_url" in getattr(item, "fixturenames", ()):
        return True
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    return any(isinstance(value, str) and value == "postgresql" for value in params)


def pytest_ignore_collect(collection_path, config):
    """Do not even import a test file whose tier ``-m`` leaves out (the e2e files import
    Dagster): it is left out only when no combination of the other markers could select
    one of its tests, so ``-m`` selects exactly what it would after collecting."""
    markexpr = config.getoption("markexpr", "") or ""
    tiers = _file_tiers(Path(collection_path)) if collection_path.suffix == ".py" else set()
    if not markexpr or not tiers:
        return None
    from _pytest.mark.expression import Expression

    expression = Expression.compile(markexpr)
    others = sorted(expression.idents() - tiers)
    for combination in itertools.product((False, True), repeat=len(others)):
        chosen = tiers | {name for name, on in zip(others, combination, strict=True) if on}
        if expression.evaluate(lambda name, /, chosen=chosen, **_: name in chosen):
            return None
    return True


def pytest_collection_modifyitems(config, items):
    for item in items:
        if _needs_postgres(item):
            item.add_marker(pytest.mark.pg)
        for tier in _file_tiers(Path(str(item.fspath))):
            item.add_marker(getattr(pytest.mark, tier))
