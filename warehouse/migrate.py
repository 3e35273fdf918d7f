"""PostgreSQL schema changes through Alembic (warehouse/migrations)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """``alembic upgrade head`` on the engine's database (idempotent)."""
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as cx:
        cfg.attributes["connection"] = cx
        command.upgrade(cfg, revision)
