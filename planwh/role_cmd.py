"""``planwh create-analyst-role``: a read-only (SELECT only) PostgreSQL role.

    PLANWH_ANALYST_PASSWORD=... planwh create-analyst-role \\
        --warehouse postgresql+psycopg://owner@host/db [--role planwh_analyst]

Creates the role, or refreshes it when it exists (idempotent): LOGIN with the
password from $PLANWH_ANALYST_PASSWORD (sent as a SCRAM-SHA-256 verifier, so
the clear text never reaches the server or its logs), read-only transactions
by default, CONNECT on the database, USAGE on the schema, SELECT on every
table and view, and SELECT on tables the owner creates later (ALTER DEFAULT
PRIVILEGES). Any other table privilege the role had is revoked.
Exit 0 on success, 2 for a bad invocation (not PostgreSQL, no password, bad
role name), 1 when the database refuses.
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


def grant_statements(role: str, database: str, schema: str, verifier: str, exists: bool):
    """The statements that make ``role`` a SELECT-only login role (psycopg.sql objects)."""
    from psycopg import sql

    r, db, sc = sql.Identifier(role), sql.Identifier(database), sql.Identifier(schema)
    verb = "ALTER" if exists else "CREATE"
    return [
        sql.SQL(verb + " ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
                "PASSWORD {}").format(r, sql.Literal(verifier)),
        sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(r),
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, r),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sc, r),
        sql.SQL("REVOKE CREATE ON SCHEMA {} FROM {}").format(sc, r),
        sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(sc, r),
        sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(sc, r),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(sc, r),
        sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(sc, r),
    ]


def create_analyst_role(url: str, role: str, password: str) -> str:
    """Create or refresh the role on the database of ``url``; returns the database name."""
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(url)
    conninfo = u.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo) as conn:  # one transaction, committed on exit
        cur = conn.execute("SELECT current_database(), current_schema()")
        database, schema = cur.fetchone()
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
        for stmt in grant_statements(role, database, schema, scram_verifier(password),
                                     bool(exists)):
            conn.execute(stmt)
    return database


def run(args) -> int:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = getattr(args, "warehouse", None) or os.environ.get("PLANWH_WAREHOUSE_URL") or ""
    role = getattr(args, "role", None) or "planwh_analyst"
    try:
        backend = make_url(url).get_backend_name()
    except ArgumentError:
        backend = None
    if backend != "postgresql":
        print(
            f"planwh create-analyst-role: needs a PostgreSQL warehouse URL "
            f"(postgresql+psycopg://...), got {backend or url!r}; DuckDB has no roles",
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
    try:
        database = create_analyst_role(url, role, password)
    except Exception as err:  # the database refused: one line, exit 1
        msg = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"planwh create-analyst-role: {msg}", file=sys.stderr)
        return 1
    print(f"role {role}: SELECT only on database {database}")
    return 0
