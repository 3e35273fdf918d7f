"""Shared fixtures: paths, and a throwaway PostgreSQL database per test session."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "raw"
FIXTURES = ROOT / "tests" / "fixtures"

# What the Dagster definitions must hold (tests of definitions and of the webserver).
ASSETS = {"reference", "plan_targets", "plan_tables", "plan_registry", "district_stats",
          "fct_district_stat", "fct_attainment", "fct_progress", "attainment_report",
          "ingest_issues"}
CHECKS = {"targets_quality", "district_stats_quality", "attainment_quality",
          "progress_quality"}
GROUPS = {"reference", "plans", "stats", "quality", "warehouse"}

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


def copy_raw(dst: Path, plans=True, stats: bool = True) -> Path:
    """A copy of raw/ at ``dst``: reference always; ``plans`` True (all), False (none) or
    the documents to copy; ``stats`` True or False (an empty folder)."""
    shutil.copytree(RAW / "reference", dst / "reference")
    if stats:
        shutil.copytree(RAW / "stats", dst / "stats")
    else:
        (dst / "stats").mkdir()
    (dst / "plans").mkdir()
    docs = sorted((RAW / "plans").iterdir()) if plans is True else (plans or [])
    for doc in docs:
        shutil.copy(doc, dst / "plans" / doc.name)
    return dst


def materialise_graph(raw: Path, url: str, instance, plan_names, raise_on_error: bool = True):
    """Stats, one run per plan partition, then the refresh, as `planwh run` does but with
    each Dagster result kept: {"stats": …, "plan:<name>": …, "refresh": …}."""
    import dagster as dg

    from pipelines.assets.plans import plan_files
    from pipelines.definitions import ALL_ASSETS
    from pipelines.jobs import plan_job, refresh_job, stats_job
    from pipelines.resources import default_resources

    resources = default_resources(str(raw), url)
    known = set(instance.get_dynamic_partitions(plan_files.name))
    if new := [n for n in plan_names if n not in known]:
        instance.add_dynamic_partitions(plan_files.name, new)
    runs = [("stats", stats_job.selection, None)]
    runs += [(f"plan:{n}", plan_job.selection, n) for n in plan_names]
    runs += [("refresh", refresh_job.selection, None)]
    return {label: dg.materialize(ALL_ASSETS, selection=sel, resources=resources,
                                  instance=instance, partition_key=key,
                                  raise_on_error=raise_on_error)
            for label, sel, key in runs}


def create_database(admin, name: str) -> None:
    import sqlalchemy as sa

    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))


def drop_database(admin, name: str) -> None:
    import sqlalchemy as sa

    with admin.connect() as c:
        c.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))


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


# --------------------------------------------------------------------------- test tiers
# `make test-fast` runs the pure tiers (no marker); `make test` runs everything.
# Markers are given here by what a test needs, so a new test lands in the right tier
# without remembering to mark it: `pg` (the PostgreSQL server), `e2e` (the pipeline
# through Dagster, the CLI in a subprocess, the webserver), `slow` (fault trials, the
# distributed executor, whole hostile runs). Tests may also mark themselves.
E2E_FILES = {
    "test_asset_metadata.py", "test_check_cmd.py", "test_definitions.py", "test_distributed.py",
    "test_pipeline.py", "test_prod_instance.py", "test_run_cmd.py", "test_schedule.py",
    "test_sensors.py", "test_webserver.py", "test_executors.py",
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
