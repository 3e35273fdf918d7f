"""``planwh create-analyst-role``: a read-only (SELECT only) PostgreSQL role.

    PLANWH_ANALYST_PASSWORD=... planwh create-analyst-role \\
        --warehouse postgresql+psycopg://owner@host/db [--role planwh_analyst]

Creates the role, or refreshes it when it exists (idempotent; a second run rotates the
password): LOGIN with the password from $PLANWH_ANALYST_PASSWORD (sent as a
SCRAM-SHA-256 verifier, so the clear text never reaches the server or its logs),
read-only transactions by default, idle transactions ended after 10 minutes (an open
transaction cannot hold a lock a load needs), CONNECT on the database, USAGE on the
schema, SELECT on every table and view, and SELECT on tables the owner creates later
(ALTER DEFAULT PRIVILEGES). Any other table privilege the role had is revoked. TEMP on
the warehouse database is revoked from PUBLIC (the owner keeps it) unless
--allow-temp. Other databases the role can reach through PUBLIC's CONNECT are listed
(PostgreSQL cannot deny them per role). Works for a superuser owner and for a
non-superuser owner with CREATEROLE.
Exit 0 on success, 2 for a bad invocation (a bad or non-PostgreSQL URL, no password,
bad role name), 1 when the database refuses; always one line on stderr, never the
password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import sys

PASSWORD_ENV = "PLANWH_ANALYST_PASSWORD"
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
SCRAM_ITERATIONS = 4096
IDLE_TIMEOUT = "10min"


def scram_verifier(password: str, salt: bytes | None = None,
                   iterations: int = SCRAM_ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802/7677)."""
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def grant_statements(role: str, database: str, schema: str, verifier: str, exists: bool,
                     superuser: bool = True, allow_temp: bool = False):
    """The statements that make ``role`` a SELECT-only login role (psycopg.sql objects).

    ``superuser``: whether the owner running them is one. SUPERUSER, REPLICATION and
    BYPASSRLS may only be changed by a superuser, even to say "no" again, so a
    non-superuser owner with CREATEROLE refreshes the role without them (the caller
    has checked the role has none of them)."""
    from psycopg import sql

    r, db, sc = sql.Identifier(role), sql.Identifier(database), sql.Identifier(schema)
    verb = "ALTER" if exists else "CREATE"
    attributes = ("LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
                  if superuser or not exists else "LOGIN NOCREATEDB NOCREATEROLE")
    temp = [] if allow_temp else [
        # TEMP reaches every role through PUBLIC; PostgreSQL has no per-role denial, so
        # PUBLIC loses it on this database and the owner running this keeps it explicitly
        sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM PUBLIC").format(db),
        sql.SQL("GRANT TEMPORARY ON DATABASE {} TO CURRENT_USER").format(db),
        sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM {}").format(db, r),
    ]
    return [
        sql.SQL(verb + " ROLE {} WITH " + attributes + " PASSWORD {}").format(
            r, sql.Literal(verifier)),
        sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(r),
        # an analyst's transaction left open cannot hold locks a load needs for long
        sql.SQL("ALTER ROLE {} SET idle_in_transaction_session_timeout = {}").format(
            r, sql.Literal(IDLE_TIMEOUT)),
        *temp,
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, r),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sc, r),
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(sc, r),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(sc, r),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(sc, r),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(sc, r),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(sc, r),
    ]


class RoleRefused(Exception):
    """The role cannot be made read-only by this owner (one line for the user)."""


def create_analyst_role(url: str, role: str, password: str,
                        allow_temp: bool = False) -> tuple[str, list[str]]:
    """Create or refresh the role on the database of ``url``; returns the database name
    and the other databases the role can still connect to (through PUBLIC)."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conninfo = u.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, connect_timeout=10) as conn:  # one transaction
        cur = conn.execute("SELECT current_database(), current_schema(), "
                           "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)")
        database, schema, superuser = cur.fetchone()
        found = conn.execute("SELECT rolsuper OR rolreplication OR rolbypassrls FROM pg_roles "
                             "WHERE rolname = %s", (role,)).fetchone()
        if found and found[0] and not superuser:
            raise RoleRefused(f"role {role} is a superuser, replication or BYPASSRLS role; "
                              "only a superuser can make it read-only")
        for stmt in grant_statements(role, database, schema, scram_verifier(password),
                                     bool(found), bool(superuser), allow_temp):
            conn.execute(stmt)
        others = [r[0] for r in conn.execute(
            "SELECT datname FROM pg_database WHERE datallowconn AND datname <> %s "
            "AND has_database_privilege(%s, datname, 'CONNECT') ORDER BY datname",
            (database, role))]
    return database, others


def run(args) -> int:
    from sqlalchemy.engine import make_url

    from warehouse.urls import scrub, shown_url

    url = getattr(args, "warehouse", None) or os.environ.get("PLANWH_WAREHOUSE_URL") or ""
    role = getattr(args, "role", None) or "planwh_analyst"
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        parsed.port  # noqa: B018 - a port that is not a number raises here
    except Exception:  # noqa: BLE001 - any parse failure is a bad URL, one line
        print(f"planwh create-analyst-role: not a database URL: {shown_url(url)!r} "
              "(e.g. postgresql+psycopg://owner@host:5432/warehouse)", file=sys.stderr)
        return 2
    if backend != "postgresql":
        print(
            f"planwh create-analyst-role: needs a PostgreSQL warehouse URL "
            f"(postgresql+psycopg://...), got {backend!r}; DuckDB has no roles",
            file=sys.stderr,
        )
        return 2
    if not ROLE_NAME.match(role):
        print(f"planwh create-analyst-role: invalid role name {role!r} "
              "(lower-case letters, digits, _)", file=sys.stderr)
        return 2
    password = os.environ.get(PASSWORD_ENV)
    if not password:
        print(f"planwh create-analyst-role: set ${PASSWORD_ENV} to the role's password",
              file=sys.stderr)
        return 2
    allow_temp = bool(getattr(args, "allow_temp", False))
    try:
        database, others = create_analyst_role(url, role, password, allow_temp)
    except Exception as err:  # noqa: BLE001 - the database refused: one line, exit 1
        msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"planwh create-analyst-role: {scrub(msg, url)}", file=sys.stderr)
        return 1
    print(f"role {role}: SELECT only on database {database}"
          + ("" if allow_temp else ", no temporary tables")
          + f", idle transactions ended after {IDLE_TIMEOUT}")
    if others:
        print(f"note: {role} can also connect to {', '.join(others)} through PUBLIC's CONNECT "
              "(PostgreSQL has no per-role denial): revoke CONNECT there from PUBLIC, or "
              "refuse the role in pg_hba.conf")
    return 0
