"""Dagster's SQLite event log, written in batches (the development instance's storage).

A run over N plan partitions records N materialisations per partitioned asset, and Dagster's
``SqliteEventLogStorage`` writes each event on its own: a new engine, a connection and a
commit in the run's database, then again in the index database. That is several fsyncs per
event, about 15-30 ms on this project's machines: over 100 plans, some 6 s for the planned
events and 3 s for the materialisations of a first run, longer than parsing the plans.

``BatchedSqliteEventLogStorage`` keeps the same files, tables and rows, and changes two
things:

* ``store_event_batch`` writes a batch of asset events (Dagster sends one batch per step
  output over a partition range when ``DAGSTER_EVENT_BATCH_SIZE`` > 0) in one transaction
  per database instead of one per event. Anything else goes through the parent's
  ``store_event`` unchanged.
* A run over a partition range records one planned materialisation per asset, naming the
  range (``supports_partition_subset_in_asset_materialization_planned_events``), instead of
  one per partition. Dagster's documented trade-off: when such a run fails, its partitions are
  not shown as failed in the UI's partition bar; planwh's own record of a failed plan is
  its ``ingest_issues`` row and the run's failure.

Dagster decides whether to batch from ``DAGSTER_EVENT_BATCH_SIZE`` in the environment of
the process that runs the steps. Creating this storage sets it (unless already set) so that
every process using the instance (``planwh run``, the daemon, the runs it launches, the
webserver) batches alike. PostgreSQL's event log storage (deploy/dagster.yaml) batches
natively; there the two environment variables are set as deploy/README.md says.

Configured in dagster_home/dagster.yaml::

    event_log_storage:
      module: pipelines.event_storage
      class: BatchedSqliteEventLogStorage

``base_dir`` defaults to Dagster's own place, ``$DAGSTER_HOME/history/runs``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import dagster._check as check
from dagster._config import Field, StringSource
from dagster._core.events import ASSET_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sqlalchemy_compat import db_result

BATCH_SIZE_VAR = "DAGSTER_EVENT_BATCH_SIZE"
DEFAULT_BATCH_SIZE = "1000"


def default_base_dir() -> str:
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise check.CheckError(
            "pipelines.event_storage.BatchedSqliteEventLogStorage keeps Dagster's event log "
            "under $DAGSTER_HOME/history/runs: set DAGSTER_HOME to the instance folder "
            "(make run and make dev do), or give event_log_storage.config.base_dir")
    return os.path.join(home, "history", "runs")


class BatchedSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` whose asset-event batches are written in one transaction per
    database, and whose planned events name a partition range once (module docstring)."""

    def __init__(self, base_dir: str | None = None, inst_data=None):
        os.environ.setdefault(BATCH_SIZE_VAR, DEFAULT_BATCH_SIZE)
        super().__init__(base_dir or default_base_dir(), inst_data=inst_data)

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    @property
    def supports_partition_subset_in_asset_materialization_planned_events(self) -> bool:
        return True

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """What ``SqliteEventLogStorage.store_event`` does for each asset event, for the
        whole batch at once: the rows in the run's database, then their copies, tags and
        asset records in the index database, each in one transaction."""
        events = list(events)
        if (len(events) < 2 or len({e.run_id for e in events}) != 1
                or not all(e.is_dagster_event and e.dagster_event_type in ASSET_EVENTS
                           for e in events)):
            super().store_event_batch(events)
            return
        statements = [self.prepare_insert_event(e) for e in events]
        with self.run_connection(events[0].run_id) as conn:
            for statement in statements:
                conn.execute(statement)
        with self.index_transaction() as conn:
            ids = []
            for statement in statements:
                with db_result(conn, statement) as result:
                    ids.append(check.not_none(result.inserted_primary_key[0]))
            keyed = [(e, i) for e, i in zip(events, ids, strict=True)
                     if e.get_dagster_event().asset_key]
            if keyed:
                self._store_asset_event_tags(conn, [e for e, _ in keyed], [i for _, i in keyed])
            for event, event_id in keyed:
                self._store_asset_event(conn, event, event_id)
