"""Run a suite with Great Expectations 1.x and return plain results (no Dagster).

One EPHEMERAL GX context per ``run_suite`` call: nothing is read from or
written to a ``gx/`` project folder, and the results come back as dataclasses
over builtin types (picklable, JSON-friendly), so the Dagster checks, the
pipeline's quarantine and ``planwh check`` all use the same numbers.

``failing_index`` holds 0-based *positions* in the frame given to
``run_suite`` (``frame.iloc[failing_index]``); coverage rules (missing rows)
have none.
"""

from __future__ import annotations

import logging
import math
import os
import shutil
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd

from expectations.suites import PRESENT, ROW, SUITE_RUNNERS, SUITES, Part, Rule, build_suite
from extractors.records import IngestIssue

SAMPLE_SIZE = 5
DOCS_SITE = "planwh"
DEFAULT: Any = object()  # run_suite(docs_dir=DEFAULT): $PLANWH_DOCS_DIR or data/docs
log = logging.getLogger(__name__)


@dataclass
class ExpectationResult:
    name: str  # "<suite>.<rule>"
    severity: str  # "error" or "warning"
    success: bool
    unexpected_count: int
    element_count: int
    sample: list[dict] = field(default_factory=list)  # up to SAMPLE_SIZE failing rows
    failing_index: list[int] = field(default_factory=list)  # positions in the input frame
    description: str = ""
    kind: str = "rows"  # "rows" (input rows), "coverage" (missing keys), "groups" (failing keys)
    missing: list[dict] = field(default_factory=list)  # coverage: every missing key
    # rows rules checked in SQL (district_stats): every failing row, in failing_index order
    failing_rows: list[dict] = field(default_factory=list, repr=False, compare=False)

    @property
    def status(self) -> str:
        """PASS, FAIL (error) or WARN (warning)."""
        if self.success:
            return "PASS"
        return "FAIL" if self.severity == "error" else "WARN"


@dataclass
class SuiteResult:
    suite: str
    success: bool  # no error-severity expectation failed
    results: list[ExpectationResult]
    docs_path: str | None = None  # index.html of the GX Data Docs site, when written
    # GX's own validation results and suites as JSON dicts (for write_data_docs)
    gx_validations: list[dict] = field(default_factory=list, repr=False, compare=False)

    @property
    def failed(self) -> list[ExpectationResult]:
        return [r for r in self.results if not r.success]

    def failing_positions(self, severity: str | None = "error") -> list[int]:
        """Input rows failing any expectation (of that severity; None = any)."""
        pos: set[int] = set()
        for r in self.results:
            if not r.success and (severity is None or r.severity == severity):
                pos.update(r.failing_index)
        return sorted(pos)

    def to_metadata(self) -> dict[str, Any]:
        """A flat, JSON-friendly summary (e.g. for asset check metadata)."""
        return {
            "suite": self.suite,
            "success": self.success,
            "docs_path": self.docs_path,
            "expectations": [
                {"name": r.name, "severity": r.severity, "status": r.status,
                 "unexpected_count": r.unexpected_count, "element_count": r.element_count,
                 "sample": r.sample}
                for r in self.results
            ],
        }


# --------------------------------------------------------------------------- GX plumbing


def _gx():
    """Import GX quietly (no analytics, no progress bars)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    return gx


_WARMING: list[threading.Thread] = []


def _join_warming() -> None:
    """Before any ``os.fork`` of this process (the readers' workers): the warm-up import
    finishes first, so that no child inherits a module half imported by a thread that
    does not exist in it (its import lock would never be released there)."""
    while _WARMING:
        _WARMING.pop().join()


def warm_up() -> threading.Thread:
    """Import Great Expectations in a background thread and return it: the import costs
    seconds (4 s of CPU, 20 s and more of wall time on a busy machine) that a caller
    overlaps with work done outside the interpreter (a reader's worker process that is
    already running, SQL). A later ``_gx()`` waits for the same import, then finds it
    done; a later fork waits for the thread (``_join_warming``)."""
    if not hasattr(warm_up, "_hooked"):
        os.register_at_fork(before=_join_warming)
        warm_up._hooked = True
    thread = threading.Thread(target=_gx, name="gx-import", daemon=True)
    _WARMING.append(thread)
    thread.start()
    return thread


def _context():
    gx = _gx()
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    # the ephemeral context makes an (empty) temp dir for a default docs site: drop both
    sites = dict(ctx.variables.data_docs_sites or {})
    for site in sites.values():
        base = (site.get("store_backend") or {}).get("base_directory")
        if base and Path(base).is_dir() and not any(Path(base).iterdir()):
            Path(base).rmdir()
    ctx.variables.data_docs_sites = {}
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return ctx


def _plain(v: Any) -> Any:
    """numpy / Decimal / NaN / dates -> builtin JSON-friendly values."""
    if v is None:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            v = v.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(v, float) and math.isnan(v):
        return None
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, (date, datetime)):
        return v.isoformat()
    return v


def _row_dict(frame: pd.DataFrame, i: int, columns: Iterable[str]) -> dict:
    row = frame.iloc[i]
    return {c: _plain(row[c]) for c in columns if c in frame.columns}


def _validate_part(ctx, part: Part, df: pd.DataFrame):
    gx = _gx()
    ds = ctx.data_sources.add_pandas(f"{part.name}-source")
    bd = ds.add_dataframe_asset(part.name).add_batch_definition_whole_dataframe("whole")
    suite = ctx.suites.add(build_suite(part))
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=part.name, data=bd,
                                                                suite=suite))
    fmt: dict[str, Any] = {"result_format": "COMPLETE"}
    if ROW in df.columns:
        fmt["unexpected_index_column_names"] = [ROW]
    return vd.run(batch_parameters={"dataframe": df}, result_format=fmt), suite


def _expectation_result(rule: Rule, part: Part, gx_res: Any, df: pd.DataFrame,
                        source: pd.DataFrame) -> ExpectationResult:
    res = gx_res.result or {}
    if gx_res.exception_info and gx_res.exception_info.get("raised_exception"):
        msg = gx_res.exception_info.get("exception_message") or "exception"
        return ExpectationResult(rule.name, rule.severity, False, len(df), len(df),
                                 [{"exception": msg}], [], rule.description, part.kind)
    positions: list[int] = []
    for item in res.get("unexpected_index_list") or []:
        if isinstance(item, dict) and ROW in item:
            positions.append(int(item[ROW]))
    positions = sorted(set(positions))
    missing: list[dict] = []
    if part.kind in ("coverage", "groups"):  # the failing keys are rows of the part's frame
        absent = df.index[~df[PRESENT].astype(bool)] if len(df) else []
        missing = [_row_dict(df, int(i), [c for c in df.columns if c != PRESENT])
                   for i in absent]
        sample = missing[:SAMPLE_SIZE]
        positions = []
    else:
        sample = [_row_dict(source, p, rule.columns) for p in positions[:SAMPLE_SIZE]]
    return ExpectationResult(
        name=rule.name, severity=rule.severity, success=bool(gx_res.success),
        unexpected_count=int(res.get("unexpected_count") or 0),
        element_count=int(res.get("element_count") or len(df)),
        sample=sample, failing_index=positions, description=rule.description,
        kind=part.kind, missing=missing,
    )


def default_docs_dir() -> Path:
    """Where Data Docs go unless told otherwise: $PLANWH_DOCS_DIR or data/docs."""
    return Path(os.environ.get("PLANWH_DOCS_DIR") or "data/docs")


def run_suite(name: str, frame: pd.DataFrame, *, docs_dir: str | Path | None | object = DEFAULT,
              docs_key: str | None = None, members: Iterable[str] | None = None,
              **context: Any) -> SuiteResult:
    """Validate ``frame`` against suite ``name`` (targets, district_stats, attainment).

    ``context`` carries what the suite needs besides the frame: ``districts``
    and ``metrics`` (district_stats), ``expected_keys`` (attainment).
    GX Data Docs are written to ``docs_dir/<suite>/``. With ``docs_key`` (e.g. a
    plan partition) the validation is only stored (:func:`store_validation`) and
    ``docs_path`` names the one site of every key, ``docs_dir/<suite>--files/``,
    which :func:`build_site` renders once per run. ``docs_dir`` defaults to
    :func:`default_docs_dir`; ``None`` writes none. A failure to write Data
    Docs is logged, never raised: it must not fail a validation. ``members``: the keys
    a keyed validation of many stands for (:func:`store_validation`).
    """
    if name not in SUITES:
        raise KeyError(f"unknown suite {name!r}; known: {', '.join(SUITES)}")
    special = SUITE_RUNNERS.get(name)  # district_stats: set-based SQL (expectations.stats_sql)
    out = special(frame, **context) if special else run_suite_pandas(name, frame, **context)
    return _with_docs(out, docs_dir, docs_key, members)


def run_suite_pandas(name: str, frame: pd.DataFrame, **context: Any) -> SuiteResult:
    """Every part of a suite validated by GX over pandas frames (``Part.prepare``). The
    path of ``targets`` and ``attainment``; for ``district_stats`` the reference the SQL
    path is tested against (tests/test_stats_sql.py), too slow for millions of rows."""
    ctx = _context()
    source = frame.reset_index(drop=True)
    results: list[ExpectationResult] = []
    validations: list[dict] = []
    for part in SUITES[name]:
        df = part.prepare(frame, **context)
        results += validate_rules(ctx, part, df, source, validations)
    return suite_result(name, results, validations)


def validate_rules(ctx: Any, part: Part, df: pd.DataFrame, source: pd.DataFrame,
                   validations: list[dict]) -> list[ExpectationResult]:
    """GX validates ``df`` against ``part`` (its validation and suite appended to
    ``validations``, for Data Docs); a result per rule, samples read from ``source``."""
    vres, suite = _validate_part(ctx, part, df)
    validations.append({"suite": suite.to_json_dict(), "result": vres.to_json_dict()})
    by_name = {r.expectation_config.meta.get("name"): r for r in vres.results}
    return [_expectation_result(rule, part, by_name[rule.name], df, source)
            for rule in part.rules]


def suite_result(name: str, results: list[ExpectationResult],
                 validations: list[dict]) -> SuiteResult:
    """A suite's outcome: a success unless an error-severity rule failed."""
    return SuiteResult(suite=name, success=all(r.success for r in results
                                               if r.severity == "error"),
                       results=results, gx_validations=validations)


def _with_docs(out: SuiteResult, docs_dir: Any, docs_key: str | None,
               members: Iterable[str] | None = None) -> SuiteResult:
    name = out.suite
    if docs_dir is DEFAULT:
        docs_dir = default_docs_dir()
    if docs_dir is not None:
        try:
            if docs_key is None:
                out.docs_path = str(write_data_docs(out, docs_dir))  # type: ignore[arg-type]
            else:  # one site for all keys, built once per run by build_site
                out.docs_path = str(store_validation(  # type: ignore[arg-type]
                    out, docs_dir, docs_key, members))
        except Exception as e:  # noqa: BLE001 - docs are a by-product
            log.warning("GX Data Docs for %s not written: %s", name, e)
    return out


# --------------------------------------------------------------------------- data docs


def write_data_docs(result: SuiteResult, out_dir: str | Path = "data/docs",
                    key: str | None = None) -> Path:
    """Render GX Data Docs (HTML) of one suite run into ``out_dir/<suite>/``
    (``out_dir/<suite>--<key>/`` with a key, e.g. one site per plan partition).

    GX 1.x builds Data Docs from an ephemeral context too: a fresh one gets a
    filesystem site, the suite(s) and the stored validation result(s), then
    ``build_data_docs``. The site is built next to the old one and swapped in,
    so a reader never sees a half-written site. Returns the site's index.html.
    """
    parent = Path(out_dir)
    final = parent / (result.suite if key is None else f"{result.suite}--{_safe_name(key)}")
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=parent))
    try:
        ctx = _docs_context(tmp)
        suites: dict = {}
        for v in result.gx_validations:
            _store_validation(ctx, v, suites=suites)
        ctx.build_data_docs(site_names=[DOCS_SITE])
        from expectations.offline_docs import make_offline

        make_offline(tmp)  # CDN scripts and styles replaced by packaged copies
        _swap_in(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final.resolve() / "index.html"


VALIDATIONS = ".validations"  # <docs_dir>/.validations/<suite>/<key>.json
FILES_SITE = "{suite}--files"  # the one site of every key of a suite
_BUILT = ".built.json"  # key -> mtime_ns of the stored validation the site shows


def files_site(out_dir: str | Path, suite: str) -> Path:
    """The folder of the one Data Docs site of every key of ``suite``."""
    return Path(out_dir) / FILES_SITE.format(suite=suite)


def store_validation(result: SuiteResult, out_dir: str | Path, key: str,
                     members: Iterable[str] | None = None) -> Path:
    """Keep the GX validation(s) of one keyed suite run (e.g. one plan file) as JSON,
    replacing that key's previous one, for :func:`build_site`. Cheap (no rendering).
    ``members``: the keys one validation of many covers (``planwh run`` validates every
    changed plan file at once); it then stands for each of them, replacing their own
    earlier validations (and earlier ones of no more than those keys). Returns the
    index.html of the site that will show it."""
    import json

    folder = Path(out_dir) / VALIDATIONS / result.suite
    folder.mkdir(parents=True, exist_ok=True)
    safe = _safe_name(key)
    path = folder / f"{safe}.json"
    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"key": key, "validations": result.gx_validations}, f, default=str)
    os.replace(tmp, path)
    index = _members(folder)
    covered = {safe} if members is None else {_safe_name(m) for m in members}
    for other, keys in list(index.items()):
        left = sorted(set(keys) - covered) if other != safe else []
        if other != safe and left:
            index[other] = left
            continue
        index.pop(other)
        if other != safe:
            (folder / f"{other}.json").unlink(missing_ok=True)
    if members is not None:
        index[safe] = sorted(covered)
        for m in covered - {safe}:
            (folder / f"{m}.json").unlink(missing_ok=True)
    _write_members(folder, index)
    return files_site(out_dir, result.suite).resolve() / "index.html"


_MEMBERS = ".members.json"  # key of a validation of many -> the keys it stands for


def _members(folder: Path) -> dict[str, list[str]]:
    import json

    path = folder / _MEMBERS
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _write_members(folder: Path, index: dict[str, list[str]]) -> None:
    import json

    fd, tmp = tempfile.mkstemp(prefix=".", suffix=".tmp", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(index, f)
    os.replace(tmp, folder / _MEMBERS)


def build_site(suite: str, out_dir: str | Path = "data/docs",
               keys: Iterable[str] | None = None) -> Path | None:
    """Render the one Data Docs site of ``suite`` over the latest stored validation of
    every key (:func:`store_validation`) into ``out_dir/<suite>--files/``: one site, many
    validations, written once per run instead of one site per key.

    Incremental: only validations stored since the last build are rendered (each key's
    pages live under its own run name, ``validations/<suite>/<key>/``, and are replaced),
    plus the index. ``keys``: the keys still current; the stored validations and pages
    of any other key are removed (a deleted plan file). Returns the site's index.html,
    None when nothing was ever stored."""
    import json

    folder = Path(out_dir) / VALIDATIONS / suite
    site = files_site(out_dir, suite)
    if not folder.is_dir():
        return None
    stored = {p.stem: p for p in folder.glob("*.json") if not p.name.startswith(".")}
    built_file = folder / _BUILT
    built = json.loads(built_file.read_text()) if built_file.exists() and site.is_dir() else {}
    removed = []
    if keys is not None:
        current = {_safe_name(k) for k in keys}
        index = _members(folder)  # a validation of many stays while one of its keys does
        current |= {many for many, of in index.items() if current & set(of)}
        if set(index) - current:
            _write_members(folder, {k: v for k, v in index.items() if k in current})
        for safe in sorted(set(stored) - current):
            stored.pop(safe).unlink(missing_ok=True)
            removed.append(safe)
    for safe in removed + [k for k in built if k not in stored]:
        built.pop(safe, None)
        _drop_pages(site, safe)
    mtimes = {safe: p.stat().st_mtime_ns for safe, p in stored.items()}
    fresh = [safe for safe in stored if built.get(safe) != mtimes[safe]]
    if not fresh and not removed and (site / "index.html").exists():
        return site.resolve() / "index.html"
    ctx = _docs_context(site)
    render = []
    suites_seen: dict[str, Any] = {}
    for safe, path in sorted(stored.items()):
        for v in json.loads(path.read_text(encoding="utf-8"))["validations"]:
            ident = _store_validation(ctx, v, run_name=safe, suites=suites_seen)
            if safe in fresh:
                render.append(ident)
    for safe in fresh:
        _drop_pages(site, safe)
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
    )

    render += [ExpectationSuiteIdentifier(name=n) for n in suites_seen]
    ctx.build_data_docs(site_names=[DOCS_SITE], resource_identifiers=render)
    _remove_old_key_sites(Path(out_dir), suite)
    built = {safe: mtimes[safe] for safe in stored}
    built_file.write_text(json.dumps(built), encoding="utf-8")
    return site.resolve() / "index.html"


def _template_cache():
    """Jinja's on-disk bytecode cache (``FileSystemBytecodeCache``: a private per-user
    folder under the temporary directory, each template keyed by its name and checked
    against its source's checksum), failing soft: a folder that cannot be read or written
    only means templates are compiled as before. ``hits`` counts templates loaded from it."""
    from jinja2 import FileSystemBytecodeCache

    class SoftBytecodeCache(FileSystemBytecodeCache):
        hits = 0

        def load_bytecode(self, bucket) -> None:
            try:
                super().load_bytecode(bucket)
            except (OSError, ValueError, EOFError):
                bucket.reset()
            if bucket.code is not None:
                self.hits += 1

        def dump_bytecode(self, bucket) -> None:
            try:
                super().dump_bytecode(bucket)
            except (OSError, ValueError):
                pass

    return SoftBytecodeCache()


_TEMPLATES: list = []  # the one template cache of this process, once installed


def cached_templates():
    """Data Docs pages are rendered by GX's ``DefaultJinjaView``, which builds a Jinja
    environment, and so compiles every template again, for each view it makes: about
    1.2 s of CPU per ``planwh run``, most of what Data Docs cost. With Jinja's bytecode
    cache (:func:`_template_cache`) a template is compiled once per machine. Installed
    once per process, after GX's import; should GX's view change its shape (no ``env``
    attribute), nothing is cached and Data Docs cost what they did. Returns the cache
    (None when no temporary folder is usable)."""
    if _TEMPLATES:
        return _TEMPLATES[0]
    import functools

    from great_expectations.render.view import view as gx_view
    from jinja2 import Environment

    try:
        cache = _template_cache()
    except (OSError, RuntimeError):  # no usable temporary folder: compile as before
        cache = None
    _TEMPLATES.append(cache)
    if cache is None:
        return None
    cls = gx_view.DefaultJinjaView
    original = cls.__init__

    @functools.wraps(original)
    def __init__(self, *args, **kwargs):
        original(self, *args, **kwargs)
        env = getattr(self, "env", None)
        if isinstance(env, Environment) and env.bytecode_cache is None:
            env.bytecode_cache = cache

    cls.__init__ = __init__
    return cache


def _docs_context(base: Path):
    """An ephemeral context with one filesystem Data Docs site at ``base``."""
    cached_templates()
    ctx = _context()
    ctx.add_data_docs_site(DOCS_SITE, {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend",
                          "base_directory": str(base.resolve())},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    return ctx


def _store_validation(ctx, v: dict, run_name: str | None = None,
                      suites: dict | None = None):
    """Put one stored validation (and its suite, once) into the context's stores; its
    identifier. ``run_name`` replaces the run's name (a key's pages in their own folder)."""
    import json

    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResultSchema,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    gx = _gx()
    suites = {} if suites is None else suites
    name = v["suite"].get("name")
    if name not in suites:
        suites[name] = ctx.suites.add(gx.ExpectationSuite(**json.loads(json.dumps(v["suite"]))))
    suite = suites[name]
    vres = ExpectationSuiteValidationResultSchema().load(
        json.loads(json.dumps(v["result"], default=str)))
    run_id = vres.meta.get("run_id")
    run_id = RunIdentifier(**run_id) if isinstance(run_id, dict) else RunIdentifier()
    if run_name is not None:
        run_id = RunIdentifier(run_name=run_name, run_time=run_id.run_time)
    batch = (vres.meta.get("active_batch_definition") or {})
    ident = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.name),
        run_id=run_id,
        batch_identifier=f"{batch.get('datasource_name', 'frame')}-"
                         f"{batch.get('data_asset_name', suite.name)}",
    )
    ctx.validation_results_store.set(ident, vres)
    return ident


def _drop_pages(site: Path, safe: str) -> None:
    """Remove the rendered pages of one key (``validations/<suite>/<key>/``)."""
    for folder in site.glob(f"validations/*/{glob_escape(safe)}"):
        shutil.rmtree(folder, ignore_errors=True)


def glob_escape(name: str) -> str:
    import glob

    return glob.escape(name)


def _remove_old_key_sites(out_dir: Path, suite: str) -> None:
    """Sites of earlier versions (one per key, ``<suite>--<key>/``): superseded by the
    one site of every key."""
    keep = files_site(out_dir, suite).name
    for old in out_dir.glob(f"{glob_escape(suite)}--*"):
        if old.is_dir() and old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def _safe_name(key: str) -> str:
    """A folder name for a docs key (a plan file name may hold anything)."""
    name = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in key).strip(".")
    return name or "_"


def _swap_in(new: Path, final: Path) -> None:
    """Replace the site at ``final`` by ``new`` (both in one folder); tolerate a
    concurrent run doing the same (the last one wins)."""
    for _ in range(3):
        old = None
        if final.exists():
            old = final.with_name(f".{final.name}-old-{os.getpid()}-{id(new)}")
            try:
                final.rename(old)
            except OSError:
                old = None
        try:
            new.rename(final)
            return
        except OSError:
            continue
        finally:
            if old is not None:
                shutil.rmtree(old, ignore_errors=True)
    raise OSError(f"could not replace {final}")


# --------------------------------------------------------------------------- ingest issues


def _location(row: dict, index: int) -> str:
    loc = row.get("location")
    if loc not in (None, ""):
        return str(loc)
    parts = []
    for key, label in (("source_page", "page"), ("source_table", "table"), ("source_row", "row")):
        v = row.get(key)
        if v is not None:
            parts.append(f"{label} {int(v) if isinstance(v, float) and v.is_integer() else v}")
    return ", ".join(parts) if parts else f"row {index}"


def _describe(row: dict, columns: Iterable[str]) -> str:
    skip = {"source_file", "location", "source_page", "source_table", "source_row"}
    return ", ".join(f"{c}={row[c]}" for c in columns if c in row and c not in skip)


def issues_from(result: SuiteResult, frame: pd.DataFrame | None = None,
                source_file_column: str = "source_file") -> list[IngestIssue]:
    """One IngestIssue per failing row per failed expectation (check = its name).

    ``frame`` is the validated frame (failing rows are looked up by position);
    ``None`` uses the failing rows the result carries (``district_stats``, checked
    in SQL over a staging table). Coverage failures (missing rows) give one issue
    per missing key with an empty source_file, since no input row carries them.
    """
    source = frame.reset_index(drop=True) if frame is not None else None
    rules = {r.name: r for part in SUITES[result.suite] for r in part.rules}
    issues: list[IngestIssue] = []
    for r in result.failed:
        cols = rules[r.name].columns if r.name in rules else ()
        if r.kind in ("coverage", "groups"):
            what = "missing" if r.kind == "coverage" else "fails for"
            for key in r.missing:
                issues.append(IngestIssue(
                    source_file="", location=_describe(key, key.keys()),
                    severity=r.severity, reason=f"expected {r.description}: {what} "
                                                f"{_describe(key, key.keys())}",
                    check=r.name))
            continue
        carried = r.failing_rows if source is None else None
        for n, pos in enumerate(r.failing_index):
            if carried is not None:
                row = {c: _plain(v) for c, v in carried[n].items() if c != ROW}
            else:
                row = {c: _plain(v) for c, v in source.iloc[pos].items()}
            issues.append(IngestIssue(
                source_file=str(row.get(source_file_column) or ""),
                location=_location(row, pos), severity=r.severity,
                reason=f"expected {r.description} ({_describe(row, cols)})", check=r.name))
    return issues
