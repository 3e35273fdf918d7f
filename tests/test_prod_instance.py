"""The production profile (deploy/dagster.yaml) works against a real PostgreSQL.

Two throwaway databases: one for Dagster's storage (runs, events, schedules), one for the
warehouse (PLANWH_WAREHOUSE_URL). Skips without PostgreSQL, except under CI=true (the
`pg_url` fixture fails there).
"""

from __future__ import annotations

import shutil
import uuid

import dagster as dg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from tests.helpers import ROOT, create_database, drop_database

PROFILE = ROOT / "deploy" / "dagster.yaml"


@pytest.fixture(scope="module")
def databases(pg_url):
    """Two fresh databases next to the session's `pg_url` one: (dagster, warehouse) URLs."""
    admin_url = make_url(pg_url).set(database="postgres")
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    names = [f"planwh_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("dagster", "wh")]
    for name in names:
        create_database(admin, name)
    try:
        yield tuple(make_url(pg_url).set(database=n) for n in names)
    finally:
        for name in names:
            drop_database(admin, name)
        admin.dispose()


@pytest.fixture()
def prod_instance(databases, tmp_path, monkeypatch):
    dagster_db, _ = databases
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROFILE, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_PG_HOST", dagster_db.host or "127.0.0.1")
    monkeypatch.setenv("DAGSTER_PG_PORT", str(dagster_db.port or 5432))
    monkeypatch.setenv("DAGSTER_PG_USER", dagster_db.username or "postgres")
    monkeypatch.setenv("DAGSTER_PG_PASSWORD", dagster_db.password or "")
    monkeypatch.setenv("DAGSTER_PG_DB", dagster_db.database)
    instance = dg.DagsterInstance.from_config(str(home))
    try:
        yield instance
    finally:
        instance.dispose()


def test_profile_configures_postgres_storage_queue_and_pools(prod_instance):
    from dagster_postgres import (
        PostgresEventLogStorage,
        PostgresRunStorage,
        PostgresScheduleStorage,
    )

    assert isinstance(prod_instance.run_storage, PostgresRunStorage)
    assert isinstance(prod_instance.event_log_storage, PostgresEventLogStorage)
    assert isinstance(prod_instance.schedule_storage, PostgresScheduleStorage)
    assert type(prod_instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    config = prod_instance.get_concurrency_config()
    assert config.pool_config.default_pool_limit == 1
    assert config.run_queue_config.max_concurrent_runs == 4  # as deploy/README.md says


def test_materialisation_is_recorded_in_postgres(prod_instance, databases):
    from pipelines.graph import ALL_ASSETS
    from pipelines.resources import RawFolder, WarehouseResource

    dagster_db, warehouse_db = databases
    warehouse_url = warehouse_db.set(drivername="postgresql+psycopg").render_as_string(
        hide_password=False)
    resources = {"raw": RawFolder(path=str(ROOT / "raw")),
                 "warehouse": WarehouseResource(url=warehouse_url)}
    prod_instance.add_dynamic_partitions("plan_files", ["example.docx"])

    result = dg.materialize(ALL_ASSETS, selection=["reference"], resources=resources,
                            instance=prod_instance, tags={"planwh/test": "prod-profile"})
    assert result.success

    engine = sa.create_engine(dagster_db.set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as c:
            runs = c.execute(sa.text("SELECT run_id, status FROM runs")).all()
            materialised = c.execute(sa.text(
                "SELECT COUNT(*) FROM event_logs WHERE run_id = :r "
                "AND dagster_event_type = 'ASSET_MATERIALIZATION' "
                "AND asset_key LIKE '%reference%'"), {"r": result.run_id}).scalar()
            partitions = c.execute(sa.text(
                "SELECT partition FROM dynamic_partitions WHERE partitions_def_name = 'plan_files'"
            )).scalars().all()
    finally:
        engine.dispose()
    assert (result.run_id, "SUCCESS") in [tuple(r) for r in runs]
    assert materialised == 1
    assert partitions == ["example.docx"]

    warehouse = sa.create_engine(warehouse_url)
    try:
        with warehouse.connect() as c:
            assert c.execute(sa.text("SELECT COUNT(*) FROM dim_district")).scalar() > 0
    finally:
        warehouse.dispose()
