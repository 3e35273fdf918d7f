"""The Dagster UI serves the project's workspace: every asset, check, schedule and sensor.

Starts `dagster-webserver -w workspace.yaml` on a free loopback port (DAGSTER_HOME: a tmp
copy of the dev instance config), asks its GraphQL API, and always stops it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import ASSETS, CHECKS, ROOT

STARTUP_TIMEOUT = 90  # seconds, for the server and its code location together

QUERY = """
{
  workspaceOrError {
    __typename
    ... on Workspace {
      locationEntries {
        name
        locationOrLoadError { __typename ... on PythonError { message } }
      }
    }
  }
  repositoriesOrError {
    __typename
    ... on RepositoryConnection {
      nodes { name schedules { name } sensors { name } }
    }
    ... on PythonError { message }
  }
  assetNodes {
    assetKey { path }
    assetChecksOrError {
      __typename
      ... on AssetChecks { checks { name blocking } }
    }
  }
}
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 5) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


def _graphql(base: str, query: str) -> dict:
    req = urllib.request.Request(
        f"{base}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"}, method="POST",
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        body = json.loads(r.read())
    assert not body.get("errors"), body["errors"]
    return body["data"]


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)


def _webserver() -> Path:
    exe = Path(sys.executable).parent / "dagster-webserver"
    assert exe.exists(), "dagster-webserver (a dependency of planwh) is not installed"
    return exe


def test_webserver_serves_every_asset_check_schedule_and_sensor(tmp_path):
    exe = _webserver()
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "DAGSTER_HOME": str(home), "PLANWH_RAW_DIR": str(tmp_path / "raw"),
           "PLANWH_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'warehouse.duckdb'}"}
    log = (tmp_path / "webserver.log").open("wb")
    proc = subprocess.Popen(
        [str(exe), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        data = _wait_for_workspace(proc, base, tmp_path / "webserver.log")
        entries = data["workspaceOrError"]["locationEntries"]
        errors = [e for e in entries if e["locationOrLoadError"]["__typename"] == "PythonError"]
        assert not errors, errors

        repos = data["repositoriesOrError"]
        assert repos["__typename"] == "RepositoryConnection", repos
        schedules = {s["name"] for r in repos["nodes"] for s in r["schedules"]}
        sensors = {s["name"] for r in repos["nodes"] for s in r["sensors"]}
        assert "nightly_refresh" in schedules
        assert "raw_files_sensor" in sensors, sensors

        nodes = data["assetNodes"]
        keys = {"/".join(n["assetKey"]["path"]) for n in nodes}
        assert keys >= ASSETS, ASSETS - keys
        checks = {}
        for n in nodes:
            result = n["assetChecksOrError"]
            assert result["__typename"] == "AssetChecks", result
            for c in result["checks"]:
                checks[c["name"]] = c["blocking"]
        assert set(checks) >= CHECKS, CHECKS - set(checks)
        assert checks["targets_quality"] and checks["district_stats_quality"]
    finally:
        _stop(proc)
        log.close()


def _wait_for_workspace(proc: subprocess.Popen, base: str, log_path: Path) -> dict:
    """Poll /server_info, then GraphQL until the code location has loaded (bounded)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"webserver exited with {proc.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            json.loads(_get(f"{base}/server_info"))
            data = _graphql(base, QUERY)
            entries = (data["workspaceOrError"] or {}).get("locationEntries") or []
            loaded = entries and all(e["locationOrLoadError"] for e in entries)
            if loaded and data["assetNodes"]:
                return data
            if any((e["locationOrLoadError"] or {}).get("__typename") == "PythonError"
                   for e in entries):
                return data  # the assertions report the load error
            last = "code location still loading"
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError) as e:
            last = repr(e)
        time.sleep(1)
    pytest.fail(f"webserver not ready within {STARTUP_TIMEOUT} s ({last}):\n"
                f"{log_path.read_text()[-3000:]}")
