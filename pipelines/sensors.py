"""The raw-folder sensor: new, changed and deleted files in raw/plans, raw/stats and
raw/reference.

The cursor (JSON) remembers, per file, ``[mtime_ns, size, sha256]`` and how often each
run key was issued. A file's content is hashed again only when its mtime or size changed,
so a tick over 1,000 unchanged files reads no file content.

Nothing redone that did not change (pipelines/incremental.py): a plan file is requested
when it is new, its content changed, or the reference data changed (every plan is then read
again), and only if the warehouse does not already hold it done with the same file,
reference data and code version (asked only on such ticks, so a tick over unchanged files
opens no warehouse). The statistics and refresh runs carry their input fingerprint as the
tag ``planwh/inputs``, so ``planwh run`` and the schedule leave them out afterwards.

Plans: one run over the partition range of the files to read (``plan_job`` with the
tags ``dagster/asset_partition_range_start/_end``; pipelines/assets/plans.py reads them on
every core and validates them at once), more than one only when unchanged files lie
between them in the partitions' order.

Run keys: a plan run is keyed ``"plans:"`` + a hash of its files' ``(name, sha256)``, so a
changed file always gets a new key. Dagster never launches a run key twice for a sensor, so a key that must be issued
again (a file deleted and dropped again with the same content, or reverted to an earlier
version) gets a suffix ``:r{n}`` (n = how often it was issued before); without it the
re-dropped file would be skipped silently.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from pathlib import Path

import dagster as dg

from extractors.files import file_sha256, input_files, list_plan_files
from extractors.stats import STATS_SUFFIXES
from pipelines.assets.plans import plan_files
from pipelines.incremental import (
    INPUTS_TAG,
    Known,
    known_state,
    latest_inputs_tag,
    pairs_hash,
    plan_segments,
    range_tags,
    refresh_inputs,
)
from pipelines.incremental import stats_inputs as stats_fingerprint
from pipelines.jobs import plan_job, refresh_job, stats_job
from pipelines.resources import RawFolder, WarehouseResource

REFERENCE_SUFFIXES = (".csv",)

# Queue order under the QueuedRunCoordinator (higher first): reference and statistics,
# then plans, then the warehouse-wide refresh. See docs/operations.md.
PRIORITY_TAG = "dagster/priority"
STATS_PRIORITY = "2"
PLAN_PRIORITY = "1"
REFRESH_PRIORITY = "0"


def list_stats_files(stats_dir: Path) -> list[Path]:
    """Statistics files of raw/stats: the types the reader takes (``STATS_SUFFIXES``);
    hidden and temporary files skipped."""
    return input_files(stats_dir, STATS_SUFFIXES)


def list_reference_files(reference_dir: Path) -> list[Path]:
    """The CSV files of raw/reference."""
    return input_files(reference_dir, REFERENCE_SUFFIXES)


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


def _content_hash(*folders: dict) -> str:
    """One hash over the content hashes of several fingerprinted folders."""
    payload = [{name: v[2] for name, v in f.items()} for f in folders]
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:16]


def _issue(base: str, issued: dict) -> str:
    """The run key for ``base``: ``base`` itself the first time, ``base:r{n}`` after that."""
    n = issued.get(base, 0)
    issued[base] = n + 1
    return base if n == 0 else f"{base}:r{n}"


def evaluate(raw: RawFolder, cursor: str | None, partitions: Collection[str],
             warehouse_url: str | None = None, instance=None) -> tuple[dg.SensorResult, str]:
    """The sensor's logic on plain inputs (raw folder, previous cursor, current partitions
    in the instance's order (a set is taken in sorted order), the warehouse to ask what is
    already done: None asks nothing), so it can be tested and reasoned about directly.
    Returns the result and the new cursor.

    ``instance``: the Dagster instance, asked only when the sensor has no cursor yet (its
    first tick, e.g. ``make dev`` after ``make run``): statistics whose last run was made
    for the same inputs (its :data:`INPUTS_TAG`) are not requested again."""
    from pipelines.raw_layout import raw_folder_problem

    if problem := raw_folder_problem(raw.root):  # a wrong or unmounted folder: touch nothing
        cursor = cursor or ""
        return dg.SensorResult(skip_reason=problem, cursor=cursor), cursor
    state = json.loads(cursor) if cursor else {}
    known_plans = state.get("plans", {})
    issued = dict(state.get("issued", {}))
    plans = fingerprint(list_plan_files(raw.plans_dir), known_plans)
    stats = fingerprint(list_stats_files(raw.stats_dir), state.get("stats", {}))
    reference = fingerprint(list_reference_files(raw.reference_dir), state.get("reference", {}))

    added = sorted(set(plans) - set(partitions))
    removed = sorted(set(partitions) - set(plans))
    requests = []
    stats_hash = _content_hash(stats, reference)
    ref_hash = pairs_hash((n, v[2]) for n, v in reference.items())
    url = warehouse_url or ""
    inputs = stats_fingerprint(pairs_hash((n, v[2]) for n, v in stats.items()), ref_hash, url)
    if stats_hash != state.get("stats_hash") and not (
            cursor is None and instance is not None
            and latest_inputs_tag(instance, "district_stats") == inputs):
        requests.append(dg.RunRequest(
            run_key=_issue(f"stats:{stats_hash}", issued), job_name=stats_job.name,
            tags={PRIORITY_TAG: STATS_PRIORITY, INPUTS_TAG: inputs},
        ))
    reference_changed = ref_hash != state.get("ref_hash")
    # a removed file's byte-identical copy too: the removed one held their one plan's rows
    removed_content = {known_plans[n][2] for n in removed if n in known_plans}
    candidates = [n for n in sorted(plans) if reference_changed or n in added
                  or known_plans.get(n, [None, None, None])[2] != plans[n][2]
                  or plans[n][2] in removed_content]
    known = Known()
    if candidates and warehouse_url:  # only then: a quiet tick opens no warehouse
        known, _ = known_state(warehouse_url)
    todo = [n for n in candidates
            if not known.unchanged(n, plans[n][2], ref_hash, set(plans))]
    # one run over the partition range of the files to read (more only when unchanged
    # files lie between them), in the instance's order: the partitions kept, then the ones
    # this tick adds (appended in that order)
    kept = partitions if not isinstance(partitions, (set, frozenset)) else sorted(partitions)
    order = [n for n in kept if n in plans] + added
    for first, last in plan_segments(order, todo):
        part = order[order.index(first):order.index(last) + 1]
        base = "plans:" + pairs_hash((n, plans[n][2]) for n in part)[:16]
        requests.append(dg.RunRequest(
            run_key=_issue(base, issued), job_name=plan_job.name,
            tags={PRIORITY_TAG: PLAN_PRIORITY, **range_tags(first, last)},
        ))
    if removed or requests:
        seq = state.get("refresh_seq", 0) + 1
        key = f"refresh:{_content_hash(plans)}:{stats_hash}:{seq}"
        hashes = {n: v[2] for n, v in plans.items()}
        requests.append(dg.RunRequest(
            run_key=key, job_name=refresh_job.name,
            tags={PRIORITY_TAG: REFRESH_PRIORITY,
                  INPUTS_TAG: refresh_inputs(raw.plans_dir, hashes, inputs, ref_hash, url)}))
    else:
        seq = state.get("refresh_seq", 0)

    dyn = []
    if added:
        dyn.append(plan_files.build_add_request(added))
    if removed:
        dyn.append(plan_files.build_delete_request(removed))
    new_cursor = json.dumps(
        {"plans": plans, "stats": stats, "reference": reference, "stats_hash": stats_hash,
         "ref_hash": ref_hash, "issued": issued, "refresh_seq": seq},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False,  # names readable in the UI
    )
    return dg.SensorResult(run_requests=requests, dynamic_partitions_requests=dyn,
                           cursor=new_cursor), new_cursor


@dg.sensor(
    name="raw_files_sensor",
    jobs=[plan_job, stats_job, refresh_job],
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches raw/plans, raw/stats and raw/reference: a new plan file adds a "
                "partition and is read in one run over the range of every new or changed file "
                "(keyed by their hashes); a deleted one removes its partition and, through the "
                "refresh run, its warehouse rows. Changed statistics or reference files rerun stats_job; "
                "changed reference files also rerun every plan. A plan the warehouse already "
                "holds from the same file, reference data and code version is not requested.",
)
def raw_files_sensor(context: dg.SensorEvaluationContext, raw: RawFolder,
                     warehouse: WarehouseResource):
    partitions = list(context.instance.get_dynamic_partitions(plan_files.name))
    result, _ = evaluate(raw, context.cursor, partitions, warehouse.url, context.instance)
    return result
