"""`make dev` after `make run`: one Dagster instance, and the sensor's first tick finds
nothing new (issue #14). `make run` records its runs in DAGSTER_HOME; the sensor, which
has no cursor yet, asks the warehouse which plans are done and the instance which
statistics inputs the last statistics run was made for."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import dagster as dg

from pipelines.assets.plans import plan_files
from pipelines.resources import RawFolder
from pipelines.sensors import evaluate
from tests.helpers import RAW, ROOT


def test_sensor_launches_nothing_after_a_run_in_the_same_instance(tmp_path):
    raw = tmp_path / "raw"
    shutil.copytree(RAW, raw)
    home = tmp_path / "dagster_home"
    home.mkdir()
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    env = {**os.environ, "DAGSTER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    p = subprocess.run([sys.executable, "-m", "planwh.cli", "run", "--raw", str(raw),
                        "--warehouse", url, "--quiet"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr

    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_runs(), "planwh run recorded no run in DAGSTER_HOME"
        partitions = set(instance.get_dynamic_partitions(plan_files.name))
        assert partitions == {p.name for p in (raw / "plans").iterdir()}
        result, cursor = evaluate(RawFolder(path=str(raw)), None, partitions, url, instance)
        assert result.run_requests == [], [r.run_key for r in result.run_requests]
        assert cursor  # the first tick still records what it saw

        # a changed statistics file is new: the next tick asks for it (and the refresh)
        stats = next((raw / "stats").glob("*.csv"))
        stats.write_text(stats.read_text(encoding="utf-8") + "\n", encoding="utf-8")
        again, _ = evaluate(RawFolder(path=str(raw)), cursor, partitions, url, instance)
        assert {r.job_name for r in again.run_requests} == {"stats_job", "refresh_job"}
