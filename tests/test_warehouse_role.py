"""planwh create-analyst-role: the read-only role on PostgreSQL, refused on DuckDB, no
password in any output."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from tests.helpers import (
    DISTRICTS,
    METRICS,
)
from warehouse import load as wl
from warehouse.schema import create_schema, make_engine

# --------------------------------------------------------------------------- analyst role


def test_analyst_role(pg_url, monkeypatch, capsys):
    from argparse import Namespace

    from planwh import role_cmd

    eng = make_engine(pg_url)
    with eng.begin() as cx:
        cx.execute(sa.text("DROP SCHEMA public CASCADE"))
        cx.execute(sa.text("CREATE SCHEMA public"))
    create_schema(eng)
    wl.load_reference(eng, DISTRICTS, METRICS)
    role = f"planwh_analyst_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("PLANWH_ANALYST_PASSWORD", "s3cret")
    args = Namespace(warehouse=pg_url, role=role)
    try:
        assert role_cmd.run(args) == 0
        assert role_cmd.run(args) == 0  # idempotent refresh
        url = sa.engine.make_url(pg_url).set(username=role, password="s3cret")
        analyst = sa.create_engine(url)
        with analyst.connect() as cx:
            assert cx.execute(sa.text("SELECT COUNT(*) FROM dim_district")).scalar() == 5
            assert cx.execute(sa.text("SELECT COUNT(*) FROM v_attainment")).scalar() == 0
        for stmt in ("INSERT INTO dim_year (year) VALUES (2030)", "DROP TABLE fct_target",
                     "CREATE TABLE scratch (x int)", "DELETE FROM dim_district"):
            with pytest.raises(sa.exc.DBAPIError), analyst.begin() as cx:
                cx.execute(sa.text(stmt))
        analyst.dispose()
        assert wl.table_counts(eng)["dim_district"] == 5
    finally:
        with eng.begin() as cx:
            cx.execute(sa.text(f'DROP OWNED BY "{role}"'))
            cx.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
        eng.dispose()


def test_analyst_role_refuses_duckdb(duckdb_url, monkeypatch, capsys):
    from argparse import Namespace

    from planwh import role_cmd

    monkeypatch.setenv("PLANWH_ANALYST_PASSWORD", "x")
    assert role_cmd.run(Namespace(warehouse=duckdb_url, role="planwh_analyst")) == 2
    assert "PostgreSQL" in capsys.readouterr().err
    monkeypatch.delenv("PLANWH_ANALYST_PASSWORD")
    pg = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    assert role_cmd.run(Namespace(warehouse=pg, role="planwh_analyst")) == 2
    assert "PLANWH_ANALYST_PASSWORD" in capsys.readouterr().err


def test_scram_verifier_matches_libpq(pg_url):
    """Our verifier equals libpq's PQencryptPasswordConn for the same salt."""
    import base64

    import psycopg

    from planwh.role_cmd import scram_verifier

    conninfo = sa.engine.make_url(pg_url).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(conninfo) as conn:
        ref = conn.pgconn.encrypt_password(b"s3cret", b"anyone", b"scram-sha-256").decode()
    iterations, salt = ref.split("$")[1].split(":")
    assert scram_verifier("s3cret", base64.b64decode(salt), int(iterations)) == ref


def test_analyst_role_by_a_non_superuser_owner(pg_url, capsys):
    """An owner with CREATEROLE but no SUPERUSER runs the command twice (the second run
    rotates the password); the role gets no TEMP; no output shows a password."""
    from argparse import Namespace

    from planwh import role_cmd
    from tests.helpers import PG_ADMIN_URL, create_database, drop_database

    tag = uuid.uuid4().hex[:8]
    owner, role, db = f"nolost_owner_{tag}", f"nolost_analyst_{tag}", f"nolost_db_{tag}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE ROLE "{owner}" LOGIN CREATEROLE PASSWORD \'OwnerPw-{tag}\''))
    create_database(admin, db)
    with admin.connect() as c:
        c.execute(sa.text(f'ALTER DATABASE "{db}" OWNER TO "{owner}"'))
    base = sa.engine.make_url(PG_ADMIN_URL).set(database=db)
    owner_url = base.set(username=owner, password=f"OwnerPw-{tag}").render_as_string(False)
    try:
        for password in (f"first-{tag}", f"second-{tag}"):
            os_env = {"PLANWH_ANALYST_PASSWORD": password}
            with pytest.MonkeyPatch.context() as mp:
                for k, v in os_env.items():
                    mp.setenv(k, v)
                assert role_cmd.run(Namespace(warehouse=owner_url, role=role)) == 0
            out = capsys.readouterr()
            for secret in (f"OwnerPw-{tag}", password):
                assert secret not in out.out + out.err
        with admin.connect() as c:
            assert c.execute(sa.text("SELECT has_database_privilege(:r, :d, 'TEMP'), "
                                     "has_database_privilege(:r, :d, 'CONNECT')"),
                             {"r": role, "d": db}).one() == (False, True)
            assert c.execute(sa.text("SELECT has_database_privilege(:o, :d, 'TEMP')"),
                             {"o": owner, "d": db}).scalar() is True
        # refusal by the database (no CREATEROLE any more): one line, exit 1, no password
        with admin.connect() as c:
            c.execute(sa.text(f'ALTER ROLE "{owner}" NOCREATEROLE'))
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("PLANWH_ANALYST_PASSWORD", f"third-{tag}")
            assert role_cmd.run(Namespace(warehouse=owner_url, role=role)) == 1
        out = capsys.readouterr()
        assert out.err.count("\n") == 1 and f"OwnerPw-{tag}" not in out.err + out.out
        assert f"third-{tag}" not in out.err + out.out
    finally:
        drop_database(admin, db)
        with admin.connect() as c:
            c.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
            c.execute(sa.text(f'DROP ROLE IF EXISTS "{owner}"'))
        admin.dispose()


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://owner:Hunter2secret@127.0.0.1:notaport/db",
    "postgresql+psycopg://owner:Hunter2secret@127.0.0.1:5999/db",
    "postgresql+psycopg://owner:Hunter2secret@[::1/db",
    "mysql://owner:Hunter2secret@127.0.0.1/db",
    "owner:Hunter2secret@127.0.0.1/db",
])
def test_analyst_role_bad_url_is_one_line_without_password(url, monkeypatch, capsys):
    from argparse import Namespace

    from planwh import role_cmd

    monkeypatch.setenv("PLANWH_ANALYST_PASSWORD", "AnalystPw9")
    assert role_cmd.run(Namespace(warehouse=url, role="planwh_analyst")) in (1, 2)
    out = capsys.readouterr()
    assert out.out == "" and out.err.count("\n") == 1, out.err
    assert "Hunter2secret" not in out.err and "AnalystPw9" not in out.err
    assert "Traceback" not in out.err
