"""Nothing redone that did not change: what `planwh run`, the sensor and the nightly
schedule leave out because its inputs are the ones it was last done with.

A plan file is skipped (no Dagster run launched, nothing parsed, validated or loaded)
when its **input fingerprint** — the file's sha256, the hash of every raw/reference
file and the code version (planwh's version and :data:`PARSER_VERSION`) — is the one
recorded when it was last done, and the warehouse still holds that outcome:

- the plan steps record the fingerprint in the warehouse table ``load_log`` under the
  key ``plan:<file name>`` (``row_count``: the records loaded, 0 when held back), after
  the plan's rows were loaded or after it was held back with its ingest issues; so the
  record travels with the warehouse (a fresh warehouse knows nothing and reads every
  plan, even with an old Dagster instance), and a crash before the record only means
  the plan is read again;
- at launch, a plan whose recorded fingerprint matches is skipped only if the warehouse
  still shows that outcome: ``dim_plan`` holds the file with the same ``source_sha256``
  (loaded), or ``ingest_issues`` holds error rows of its scope (held back).

Statistics and the warehouse-wide refresh are whole-folder steps; their runs carry
their input fingerprint as the tag :data:`INPUTS_TAG`, and they are skipped when that
fingerprint is the one they were last done with: ``fct_district_stat`` and
``attainment_report`` (the refresh's last step) record their run's tag in ``load_log``
(keys ``inputs:stats``, ``inputs:refresh``; a run without the tag removes the record),
so the warehouse remembers even under an ephemeral Dagster instance (``planwh run``
without ``DAGSTER_HOME``); with an instance at hand, the tag of the run that last
materialised the asset in the instance counts too (Dagster's own record). A
``planwh run`` that finds nothing to do decides so from the warehouse alone, without
importing Dagster.

The same fingerprint is the ``data_version`` of each ``plan_targets`` partition and
:data:`CODE_VERSION` its ``code_version``, so the Dagster UI shows the same notion.
No Dagster import at module level: the launch-time logic is plain functions.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from extractors.files import file_sha256

# Bump when a change of extractors/ (or of what a plan step writes) changes what a plan
# file reads as: every plan is then read again on the next run.
PARSER_VERSION = "1"
PLAN_KEY = "plan:"  # load_log key prefix (statistics use "stats:")
INPUTS_KEY = "inputs:"  # load_log key prefix: inputs:stats, inputs:refresh
INPUTS_TAG = "planwh/inputs"  # run tag: the input fingerprint a whole-folder run was made for
RANGE_START_TAG = "dagster/asset_partition_range_start"  # a run over a partition range
RANGE_END_TAG = "dagster/asset_partition_range_end"


def planwh_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("planwh")
    except PackageNotFoundError:  # pragma: no cover - a source tree without install
        return "0"


CODE_VERSION = f"{planwh_version()}+parser{PARSER_VERSION}"


def _digest(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def pairs_hash(pairs: Iterable[tuple[str, str]]) -> str:
    """One hash over (file name, sha256) pairs."""
    return _digest(sorted([n, h] for n, h in pairs))


def files_hash(files: Iterable[Path]) -> str:
    """One hash over the names and contents of ``files``."""
    return pairs_hash((p.name, file_sha256(p)) for p in files)


def reference_hash(reference_dir: Path) -> str:
    """The hash of every raw/reference CSV (names and contents)."""
    from extractors.files import input_files

    return files_hash(input_files(reference_dir, (".csv",)) if reference_dir.is_dir() else [])


def plan_fingerprint(file_sha: str, ref_hash: str) -> str:
    """The input fingerprint of one plan file."""
    return _digest("plan", file_sha, ref_hash, CODE_VERSION)


def inputs_fingerprint(kind: str, *parts: object) -> str:
    """The input fingerprint of a whole-folder run (``kind``: stats, refresh)."""
    return _digest(kind, CODE_VERSION, *parts)


def for_warehouse(fingerprint: str, url: str) -> str:
    """A whole-folder run's tag value: its inputs' fingerprint ``@`` a hash of the warehouse
    (shown URL), so that the Dagster instance tells runs into different warehouses apart;
    the warehouse itself records only the part before ``@`` (:func:`inputs_part`)."""
    from warehouse.urls import shown_url

    return f"{fingerprint}@{_digest(shown_url(url))[:16]}"


def inputs_part(tag: str | None) -> str | None:
    """The inputs' fingerprint of a tag value of :func:`for_warehouse` (None stays None)."""
    return tag.split("@", 1)[0] if tag else None


def stats_inputs(stats_hash: str, ref_hash: str, url: str) -> str:
    """The statistics run's inputs: raw/stats, raw/reference; for the warehouse ``url``."""
    return for_warehouse(inputs_fingerprint("stats", stats_hash, ref_hash), url)


def refresh_inputs(plans_dir: Path, plan_hashes: dict[str, str], stats: str, ref_hash: str,
                   url: str) -> str:
    """The refresh run's inputs: every entry of raw/plans (files not read included), the
    plans' hashes, the statistics' inputs, the reference, and the restate year setting
    ($PLANWH_RESTATE_TO: another year rebuilds the restated tables); for the warehouse
    ``url``."""
    from warehouse.restate import RESTATE_ENV

    others = sorted(p.name for p in plans_dir.iterdir()) if plans_dir.is_dir() else []
    parts = [sorted(plan_hashes.items()), others, inputs_part(stats), ref_hash]
    if restate := os.environ.get(RESTATE_ENV, "").strip():  # unset: the fingerprint as before
        parts.append(f"restate_to={restate}")
    return for_warehouse(inputs_fingerprint("refresh", *parts), url)


# --------------------------------------------------------------------------- warehouse side


def record_plan(engine, name: str, fingerprint: str, rows: int) -> None:
    """Remember that plan file ``name`` was done with ``fingerprint`` (after its load or
    its hold-back committed)."""
    record_plans(engine, {name: (fingerprint, rows)})


def record_plans(engine, done: dict[str, tuple[str, int]]) -> None:
    """:func:`record_plan` of many files in one transaction: file name -> (fingerprint,
    rows)."""
    from warehouse.load import _now
    from warehouse.schema import load_log

    if not done:
        return
    now = _now()
    rows = [{"load_key": PLAN_KEY + name, "content_sha256": fp, "row_count": int(n),
             "loaded_at": now} for name, (fp, n) in sorted(done.items())]
    with engine.begin() as cx:
        cx.execute(load_log.delete().where(load_log.c.load_key.in_([r["load_key"] for r in rows])))
        cx.execute(load_log.insert(), rows)


def record_inputs(engine, kind: str, fingerprint: str | None) -> None:
    """Remember the input fingerprint the whole-folder step ``kind`` (stats, refresh) was
    just done with (a run tag's value; its warehouse part is left out); None (a run
    without :data:`INPUTS_TAG`) forgets it."""
    from warehouse.load import _now
    from warehouse.schema import load_log

    key = INPUTS_KEY + kind
    fingerprint = inputs_part(fingerprint)  # the warehouse knows itself: not its URL
    with engine.begin() as cx:
        cx.execute(load_log.delete().where(load_log.c.load_key == key))
        if fingerprint:
            cx.execute(load_log.insert(), [{"load_key": key, "content_sha256": fingerprint,
                                            "row_count": 0, "loaded_at": _now()}])


def forget_plans(engine, keep: set[str]) -> list[str]:
    """Drop the records of plan files not in ``keep`` (deleted from raw/plans)."""
    import sqlalchemy as sa

    from warehouse.schema import load_log

    with engine.begin() as cx:
        names = [r[0][len(PLAN_KEY):] for r in cx.execute(
            sa.select(load_log.c.load_key).where(load_log.c.load_key.like(PLAN_KEY + "%")))]
        gone = sorted(n for n in names if n not in keep)
        if gone:
            cx.execute(load_log.delete().where(
                load_log.c.load_key.in_([PLAN_KEY + n for n in gone])))
    return gone


@dataclass
class Known:
    """What a warehouse says was done: recorded plan fingerprints and their outcomes."""

    fingerprints: dict[str, str] = field(default_factory=dict)  # file -> fingerprint
    loaded_sha: dict[str, str] = field(default_factory=dict)  # dim_plan: file -> sha256
    held_back: set[str] = field(default_factory=set)  # files with error issues of their own
    anything_loaded: bool = False  # load_log has any row (this warehouse was ever loaded)
    inputs: dict[str, str] = field(default_factory=dict)  # stats/refresh -> fingerprint
    _holders: dict[str, set[str]] | None = field(default=None, repr=False, compare=False)

    def unchanged(self, name: str, file_sha: str, ref_hash: str,
                  present: set[str] | None = None) -> bool:
        """Read with these inputs before, and its rows are where that left them: loaded
        under its name, held back, or loaded under another name with the same bytes (a
        byte-identical copy is one plan document: reading it again would only swap the
        names back and forth), as long as that other file is still ``present`` (the
        plan files there are now; None: any)."""
        if self.fingerprints.get(name) != plan_fingerprint(file_sha, ref_hash):
            return False
        if self.loaded_sha.get(name) == file_sha or name in self.held_back:
            return True
        if self._holders is None:
            self._holders = {}
            for held, sha in self.loaded_sha.items():
                self._holders.setdefault(sha, set()).add(held)
        holders = self._holders.get(file_sha, set())
        return bool(holders if present is None else holders & present)


def read_known(engine) -> Known:
    """The warehouse's records (three small queries); raises when it cannot be read."""
    import sqlalchemy as sa

    with engine.connect() as c:
        # no bound parameters: DuckDB's Python client imports pandas (0.4 s) to bind one,
        # which is most of a no-op run
        log = c.execute(sa.text("SELECT load_key, content_sha256 FROM load_log")).all()
        fps = {k[len(PLAN_KEY):]: v for k, v in log if k.startswith(PLAN_KEY)}
        inputs = {k[len(INPUTS_KEY):]: v for k, v in log if k.startswith(INPUTS_KEY)}
        anything = len(log)
        loaded = {r[0]: r[1] for r in c.execute(sa.text(
            "SELECT source_file, source_sha256 FROM dim_plan"))}
        held = {r[0].split(":", 1)[1] for r in c.execute(sa.text(
            "SELECT DISTINCT scope FROM ingest_issues WHERE scope LIKE 'plan:%' "
            "AND severity = 'error'"))}
    return Known(fps, loaded, held, anything > 0, inputs)


def known_state(url: str) -> tuple[Known, str | None]:
    """What the warehouse at ``url`` knows, without creating or migrating anything. An
    empty :class:`Known` (everything is done again) and the reason when it cannot be
    read: a DuckDB file that does not exist yet, a fresh database without the tables,
    a file locked by a running step."""
    import sqlalchemy as sa

    from warehouse.schema import make_engine

    u = sa.engine.make_url(url)
    if u.get_backend_name() == "duckdb":
        db = u.database
        if not db or db == ":memory:" or not Path(db).expanduser().exists():
            return Known(), "new warehouse"
    engine = make_engine(url)
    try:
        return read_known(engine), None
    except Exception as err:  # noqa: BLE001 - missing tables, lock held: do everything
        orig = getattr(err, "orig", None) or err
        return Known(), (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- launch side


@dataclass
class Plan:
    """What a launcher should do over one raw folder."""

    plan_hashes: dict[str, str]  # every plan file -> sha256
    todo: list[str]  # plan files to read (changed, new, or never done)
    skipped: list[str]  # plan files unchanged since their last run
    ref_hash: str
    stats_inputs: str  # fingerprint of raw/stats + reference
    stats_todo: bool
    refresh_inputs: str  # fingerprint of the whole raw folder as the refresh sees it
    refresh_todo: bool
    why_no_skip: str | None = None  # why the warehouse could not be asked, if so


def latest_inputs_tag(instance, asset: str) -> str | None:
    """The :data:`INPUTS_TAG` of the run that last materialised ``asset`` (None if none)."""
    import dagster as dg

    event = instance.get_latest_materialization_event(dg.AssetKey(asset))
    if event is None:
        return None
    run = instance.get_run_by_id(event.run_id)
    return run.tags.get(INPUTS_TAG) if run is not None else None


def _done_with(known: Known, instance, kind: str, asset: str, fingerprint: str) -> bool:
    """Whether step ``kind`` was last done with ``fingerprint``: the warehouse's record,
    else (with an instance) the tag of the run that last materialised ``asset``."""
    if known.inputs.get(kind) == inputs_part(fingerprint):
        return True
    return instance is not None and latest_inputs_tag(instance, asset) == fingerprint


def plan_launch(raw: Path, url: str, instance=None, *, accept_shrink: bool = False,
                plan_names: list[str] | None = None) -> Plan:
    """Decide what to run over ``raw`` into ``url``. ``instance``: a Dagster instance to
    ask about statistics and the refresh besides the warehouse (None: the warehouse
    only; no Dagster import)."""
    from extractors.files import STATS_SUFFIXES, find_input, input_files, list_plan_files

    plans_dir = raw / "plans"
    if plan_names is None:
        paths = list_plan_files(plans_dir)
    else:
        paths = [find_input(plans_dir, n) for n in plan_names]
    hashes = {p.name: file_sha256(p) for p in paths if p.is_file()}
    ref = reference_hash(raw / "reference")
    known, why = known_state(url)
    names = [p.name for p in paths]
    skipped = [n for n in names
               if n in hashes and known.unchanged(n, hashes[n], ref, set(hashes))]
    todo = [n for n in names if n not in skipped]

    stats_files = input_files(raw / "stats", STATS_SUFFIXES) if (raw / "stats").is_dir() else []
    stats = stats_inputs(files_hash(stats_files), ref, url)
    stats_todo = (accept_shrink or not known.anything_loaded
                  or not _done_with(known, instance, "stats", "fct_district_stat", stats))
    refresh = refresh_inputs(plans_dir, hashes, stats, ref, url)
    refresh_todo = (bool(todo) or stats_todo
                    or not _done_with(known, instance, "refresh", "fct_attainment", refresh))
    return Plan(hashes, todo, skipped, ref, stats, stats_todo, refresh, refresh_todo, why)


def plan_segments(order: list[str], todo: list[str]) -> list[tuple[str, str]]:
    """The partition ranges (first, last) of ``order`` (the partitions in the instance's
    order) that hold exactly the partitions of ``todo``: one range when they are
    contiguous (a first run, new files), more when unchanged files lie between."""
    wanted = set(todo)
    segments: list[tuple[str, str]] = []
    start = last = None
    for key in order:
        if key in wanted:
            start = start or key
            last = key
        elif start is not None:
            segments.append((start, last))
            start = None
    if start is not None:
        segments.append((start, last))
    return segments


def range_tags(first: str, last: str) -> dict[str, str]:
    """The run tags of a run over the partitions ``first`` .. ``last``."""
    return {RANGE_START_TAG: first, RANGE_END_TAG: last}
