"""Alembic environment for the planwh warehouse (PostgreSQL).

Run programmatically by ``warehouse.schema.create_schema`` (which passes an
open connection in ``config.attributes["connection"]``), or from the shell:
``alembic -c warehouse/migrations/alembic.ini upgrade head`` with the database
URL in $PLANWH_WAREHOUSE_URL.
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import context

from warehouse.schema import metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    url = os.environ.get("PLANWH_WAREHOUSE_URL") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set PLANWH_WAREHOUSE_URL to the warehouse's PostgreSQL URL")
    return url


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(_url())
    with engine.begin() as conn:
        context.configure(connection=conn, target_metadata=target_metadata)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
