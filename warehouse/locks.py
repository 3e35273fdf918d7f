"""PostgreSQL loads that analysts cannot stall: a lock timeout, and a message that names
the session holding the lock.

Every planwh connection to PostgreSQL runs with ``lock_timeout`` (``PLANWH_LOCK_TIMEOUT``
seconds, default 60): a load that would wait longer for a table lock — typically behind
an analyst's transaction left open in a SQL client — fails instead of hanging, with
``WarehouseLocked`` naming the sessions that hold locks on the warehouse tables
(pid, user, application, state, since when, their last statement), found in
``pg_locks`` / ``pg_stat_activity``. The load's transaction is rolled back: the
warehouse keeps its previous state.
"""

from __future__ import annotations

import os

import sqlalchemy as sa

LOCK_TIMEOUT_ENV = "PLANWH_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT_S = 60.0
LOCK_NOT_AVAILABLE = "55P03"

_HOLDERS_SQL = """
SELECT DISTINCT a.pid, a.usename, a.application_name, a.state,
       date_trunc('second', now() - COALESCE(a.xact_start, a.query_start)) AS held_for,
       left(regexp_replace(a.query, '\\s+', ' ', 'g'), 80) AS query
FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid
JOIN pg_class c ON c.oid = l.relation
WHERE l.granted AND a.pid <> pg_backend_pid()
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND c.relname = ANY(%s)
ORDER BY a.pid
"""


class WarehouseLocked(RuntimeError):
    """A load gave up waiting for a table lock that another session holds."""


def lock_timeout_ms() -> int:
    raw = os.environ.get(LOCK_TIMEOUT_ENV, "")
    try:
        seconds = float(raw) if raw.strip() else DEFAULT_LOCK_TIMEOUT_S
    except ValueError:
        seconds = DEFAULT_LOCK_TIMEOUT_S
    return max(1, int(seconds * 1000))


def holders(engine: sa.Engine, tables: list[str]) -> list[str]:
    """One description per session holding a lock on one of ``tables``."""
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute(_HOLDERS_SQL, (tables,))
        out = []
        for pid, user, app, state, held_for, query in cur.fetchall():
            out.append(f"pid {pid} (user {user}" + (f", application {app!r}" if app else "")
                       + f", {state}, transaction open {held_for}; last statement: {query!r})")
        return out
    finally:
        try:
            raw.rollback()
        finally:
            raw.close()


def install(engine: sa.Engine) -> None:
    """Give every connection of ``engine`` the lock timeout (a plain SET when it connects:
    unlike a startup ``options`` parameter, connection poolers such as PgBouncer accept
    it), and turn a lock timeout into ``WarehouseLocked`` naming the holders."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _set_lock_timeout(dbapi_connection, connection_record):  # noqa: ANN001
        cur = dbapi_connection.cursor()
        try:
            cur.execute(f"SET lock_timeout = {lock_timeout_ms()}")
        finally:
            cur.close()
        dbapi_connection.commit()

    @event.listens_for(engine, "handle_error")
    def _explain(ctx):  # noqa: ANN001 - SQLAlchemy's ExceptionContext
        orig = ctx.original_exception
        if getattr(orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
            return
        raise locked_error(engine) from None


def locked_error(engine: sa.Engine) -> WarehouseLocked:
    """The WarehouseLocked to raise after a lock timeout on ``engine``, naming the
    sessions that hold a lock on a table of the warehouse (the tables the database
    has: warehouse.schema installs this module, so it is not imported from here)."""
    try:
        who = holders(engine, sa.inspect(engine).get_table_names())
    except Exception:  # noqa: BLE001 - describing the holder must not hide the error
        who = []
    seconds = lock_timeout_ms() / 1000
    blocking = "; ".join(who) if who else "another session (it ended before it could be named)"
    return WarehouseLocked(
        f"the load waited {seconds:g} s ({LOCK_TIMEOUT_ENV}) for a table lock held by "
        f"{blocking}; this step changed nothing. End that transaction (or "
        f"pg_terminate_backend its pid) and run again")
