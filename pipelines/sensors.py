"""The raw-folder sensor: new, changed and deleted files in raw/plans and raw/stats."""

import hashlib
import json
from pathlib import Path

import dagster as dg

from pipelines.assets.plans import file_sha256, list_plan_files, plan_files
from pipelines.jobs import plan_job, refresh_job, stats_job
from pipelines.resources import RawFolder

STATS_SUFFIXES = (".csv", ".xlsx", ".xls")


def list_stats_files(stats_dir: Path) -> list[Path]:
    if not stats_dir.is_dir():
        return []
    return sorted(
        p for p in stats_dir.iterdir()
        if p.is_file() and p.suffix.lower() in STATS_SUFFIXES and not p.name.startswith((".", "~$"))
    )


def fingerprint(files: list[Path], known: dict) -> dict:
    """name -> [mtime_ns, size, sha256]; the hash is reused while mtime and size are unchanged,
    so a tick over 1,000 unchanged files reads no file content."""
    out = {}
    for p in files:
        st = p.stat()
        old = known.get(p.name)
        if old and old[0] == st.st_mtime_ns and old[1] == st.st_size:
            out[p.name] = old
        else:
            out[p.name] = [st.st_mtime_ns, st.st_size, file_sha256(p)]
    return out


def evaluate(raw: RawFolder, cursor: str | None, partitions: set[str]) -> tuple[dg.SensorResult, str]:
    """The sensor's logic on plain inputs, so it can be tested and reasoned about directly."""
    state = json.loads(cursor) if cursor else {}
    plans = fingerprint(list_plan_files(raw.plans_dir), state.get("plans", {}))
    stats = fingerprint(list_stats_files(raw.stats_dir), state.get("stats", {}))

    added = sorted(set(plans) - partitions)
    removed = sorted(partitions - set(plans))
    requests = [
        dg.RunRequest(partition_key=name, run_key=f"{name}:{plans[name][2]}", job_name=plan_job.name)
        for name in sorted(plans)
        if state.get("plans", {}).get(name, [None, None, None])[2] != plans[name][2]
        or name in added
    ]
    stats_hash = hashlib.sha256(
        json.dumps({k: v[2] for k, v in stats.items()}, sort_keys=True).encode()
    ).hexdigest()[:16]
    if stats_hash != state.get("stats_hash"):
        requests.append(dg.RunRequest(run_key=f"stats:{stats_hash}", job_name=stats_job.name))
    if removed or requests:
        key = hashlib.sha256(json.dumps([plans, stats_hash], sort_keys=True).encode()).hexdigest()[:16]
        requests.append(dg.RunRequest(run_key=f"refresh:{key}", job_name=refresh_job.name))
    dyn = []
    if added:
        dyn.append(plan_files.build_add_request(added))
    if removed:
        dyn.append(plan_files.build_delete_request(removed))
    new_cursor = json.dumps({"plans": plans, "stats": stats, "stats_hash": stats_hash},
                            sort_keys=True)
    return dg.SensorResult(run_requests=requests, dynamic_partitions_requests=dyn,
                           cursor=new_cursor), new_cursor


@dg.sensor(
    name="raw_files_sensor",
    jobs=[plan_job, stats_job, refresh_job],
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches raw/plans and raw/stats: a new plan file adds a partition, a deleted one "
                "removes it (and its rows), and any content change requests a run keyed by the "
                "file's sha256.",
)
def raw_files_sensor(context: dg.SensorEvaluationContext, raw: RawFolder):
    partitions = set(context.instance.get_dynamic_partitions(plan_files.name))
    result, _ = evaluate(raw, context.cursor, partitions)
    return result
