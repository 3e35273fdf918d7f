"""Messages people read: --version, the postgres:// hint, no class names, the DuckDB lock,
where a run's outputs are; and asset-page column schemas."""

from __future__ import annotations

import subprocess
import sys
import time

import duckdb
import numpy as np
import pandas as pd
import pytest

from planwh import cli
from planwh.messages import duckdb_lock_message, explain, url_hint, without_class_name
from planwh.summary import where_to_look


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out.strip()
    from importlib.metadata import version

    assert out == f"planwh {version('planwh')}"


@pytest.mark.parametrize("command", [["run"], ["create-analyst-role"]])
def test_postgres_url_hint(capsys, command):
    code = cli.main([*command, "--warehouse", "postgres://ana:s3cret@db.example:5432/plans"])
    err = capsys.readouterr().err
    assert code == 2
    assert "postgresql+psycopg://ana:***@db.example:5432/plans" in err
    assert "s3cret" not in err and "Can't load plugin" not in err
    assert len(err.strip().splitlines()) == 1


def test_url_hint_only_where_needed():
    assert url_hint("duckdb:///data/warehouse.duckdb") is None
    assert url_hint("postgresql+psycopg://u@h/d") is None
    assert "postgresql+psycopg://" in url_hint("postgres://u@h/d")


def test_no_class_names():
    assert without_class_name("extractors.records.BadReference: unknown district 乙区") == \
        "unknown district 乙区"
    assert without_class_name("ValueError: bad cell") == "bad cell"
    assert without_class_name("year 2031 is outside the plan period") == \
        "year 2031 is outside the plan period"


def test_duckdb_lock_names_the_other_process(tmp_path):
    path = tmp_path / "w.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(path)!r}); "
         "c.execute('CREATE TABLE t (a INT)'); print('ready', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 10
        while True:
            try:
                duckdb.connect(str(path)).close()
            except duckdb.IOException as err:
                raw = str(err)
                break
            assert time.monotonic() < deadline, "the lock was never refused"
            time.sleep(0.2)
        message = explain(raw)
        assert duckdb_lock_message(raw) == message
        assert str(path) in message and "run again" in message
        if "PID" in raw:  # DuckDB names the holder on Linux
            assert f"process {holder.pid}" in message and f"kill {holder.pid}" in message
        assert "read-only" not in message and "Error" not in message.split(":")[0]
    finally:
        holder.kill()
        holder.wait()


def test_where_to_look(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    rows = dict(where_to_look("duckdb:///data/warehouse.duckdb", tmp_path))
    assert rows["report"] == str(tmp_path.resolve() / "data" / "reports" / "attainment.html")
    assert rows["Data Docs"].startswith(str(tmp_path.resolve() / "data" / "docs"))
    assert rows["Dagster UI"].startswith("make dev")
    assert "warehouse.duckdb" in rows["warehouse"]
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))
    assert "DAGSTER_HOME=" in dict(where_to_look("duckdb:///x.duckdb", tmp_path))["Dagster UI"]


def test_column_schema_types_and_descriptions():
    from pipelines.metadata import column_schema, preview

    frame = pd.DataFrame({
        "attained": pd.Series([True, None], dtype=object),
        "target_value_high": pd.Series([None, None], dtype=object),
        "year": [2016, 2017], "actual": [1.5, np.nan], "free_text": ["a", None],
    })
    cols = {c.name: c for c in column_schema(frame).columns}
    assert cols["attained"].type == "boolean"
    assert cols["target_value_high"].type == "float"
    assert cols["year"].type == "integer"
    assert "NULL" in cols["actual"].description
    from warehouse.schema import metadata

    fct = metadata.tables["fct_attainment"]
    assert cols["attained"].description == fct.c.attained.comment
    assert cols["free_text"].type == "text" and not cols["free_text"].description
    shown = preview(frame).value
    assert "nan" not in shown and "None" not in shown
