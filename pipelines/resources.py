"""Dagster resources: where the raw files are and which warehouse to write."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from extractors.files import DEFAULT_RAW_DIR
from warehouse.urls import DEFAULT_WAREHOUSE_URL


def _env_or(name: str, default: str):
    """An EnvVar when the variable is set (shown as such in the UI), else the default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


class RawFolder(dg.ConfigurableResource):
    """The raw input folder (CONTRACT section 2): plans/, stats/, reference/."""

    path: str = DEFAULT_RAW_DIR
    # statistics files (names, or "all") whose sharp shrink against their last good load
    # is accepted; otherwise such a file is held back whole (docs/operations.md)
    accept_shrink: list[str] = []

    @property
    def root(self) -> Path:
        return Path(self.path)

    def require_layout(self) -> None:
        """Refuse (dg.Failure) a folder without plans/, stats/ and reference/, before
        anything reads or writes: a wrong folder must change nothing."""
        from pipelines.raw_layout import raw_folder_problem

        if problem := raw_folder_problem(self.root):
            raise dg.Failure(description=problem)

    def shrink_accepted(self, name: str) -> bool:
        return "all" in self.accept_shrink or name in self.accept_shrink

    @property
    def plans_dir(self) -> Path:
        return self.root / "plans"

    @property
    def stats_dir(self) -> Path:
        return self.root / "stats"

    @property
    def reference_dir(self) -> Path:
        return self.root / "reference"


class WarehouseResource(dg.ConfigurableResource):
    """The star-schema warehouse: any SQLAlchemy URL (DuckDB by default, PostgreSQL in
    production). The schema is created on first use."""

    url: str = DEFAULT_WAREHOUSE_URL
    _engine = PrivateAttr(default=None)

    def get_engine(self):
        if self._engine is None:
            from warehouse.schema import create_schema, make_engine

            self._engine = make_engine(self.url)
            create_schema(self._engine)
        return self._engine

    def teardown_after_execution(self, context) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


def data_path(*parts: str) -> Path:
    """A path under data/ (warehouse file, Data Docs, reports), relative to the working
    directory at call time."""
    return Path("data", *parts).resolve()


# A URL given in code (planwh run --warehouse) reaches the resource through this
# variable of the running process: Dagster stores a resource's configured values in the
# job snapshot of every run (runs.db), and an EnvVar is stored by name only.
RUN_WAREHOUSE_ENV = "PLANWH_RUN_WAREHOUSE_URL"


def _warehouse_url(url: str | None):
    if not url:
        return _env_or("PLANWH_WAREHOUSE_URL", DEFAULT_WAREHOUSE_URL)
    from warehouse.urls import password_of

    if password_of(url) is None:
        return url
    os.environ[RUN_WAREHOUSE_ENV] = url
    return dg.EnvVar(RUN_WAREHOUSE_ENV)


def default_resources(raw: str | None = None, warehouse_url: str | None = None,
                      accept_shrink: list[str] | None = None) -> dict:
    """The resources of a run; a warehouse URL holding a password is passed by
    environment variable, so that no Dagster storage records the password."""
    return {
        "raw": RawFolder(path=raw if raw else _env_or("PLANWH_RAW_DIR", DEFAULT_RAW_DIR),
                         accept_shrink=list(accept_shrink or [])),
        "warehouse": WarehouseResource(url=_warehouse_url(warehouse_url)),
    }
