"""``planwh check [--raw DIR]``: the data-quality suites over a raw folder,
without loading the real warehouse and without Dagster.

Reads raw/reference, extracts every plan of raw/plans, reads raw/stats, runs
the ``targets`` and ``district_stats`` suites, then computes attainment in a
throwaway DuckDB warehouse (a temporary file, deleted afterwards) and runs the
``attainment`` suite. Prints one line per expectation; exit 1 when an
error-severity expectation failed, else 0.

Failures that happen before any suite can run are reported as items of the
same table: ``reference.readable``, ``plans.readable`` (an unreadable plan),
``file_type`` (an entry of raw/plans or raw/stats that is not read: another file
type, a FIFO, a link leaving the raw folder), ``stats.readable`` (a statistics file
or row the reader rejected; named by the rule it broke, ``IngestIssue.check``, when
it carries one) and ``attainment.build``.

Every step is the pipeline's own (one set of steps): the plan listing and its
issues (``extractors.files``), the reference reader with its validation
(``extractors.reference.read_reference``), the targets frame
(``extractors.plans.targets_frame``), the statistics reader and the warehouse loads;
tests/test_check_agrees.py shows both agree on the same raw folder.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from expectations.runner import DEFAULT, ExpectationResult, SuiteResult, run_suite
from expectations.suites import EXPECTED_ATTAINMENT_KEYS_SQL, STATS_COLUMNS, TARGET_VERSIONS_SQL
from extractors.plans import targets_frame
from extractors.records import BadReference, IngestIssue, PlanDocument
from extractors.reference import ReferenceData

READER = "stats reader"
SAMPLE_WIDTH = 70


@dataclass
class CheckReport:
    """Everything ``planwh check`` found, in report order."""

    items: list[tuple[str, ExpectationResult]] = field(default_factory=list)  # (suite, result)
    docs: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add_suite(self, result: SuiteResult) -> SuiteResult:
        self.items += [(result.suite, r) for r in result.results]
        if result.docs_path:
            self.docs.append(result.docs_path)
        return result

    def add(self, suite: str, result: ExpectationResult) -> None:
        self.items.append((suite, result))

    @property
    def failed_errors(self) -> list[ExpectationResult]:
        return [r for _, r in self.items if not r.success and r.severity == "error"]


def item(name: str, severity: str, bad: list[dict], total: int, description: str) -> ExpectationResult:
    """A non-GX check (readability, build) as an ExpectationResult."""
    return ExpectationResult(
        name=name, severity=severity, success=not bad, unexpected_count=len(bad),
        element_count=total, sample=bad[:5], description=description,
    )


# --------------------------------------------------------------------------- steps


def read_reference(raw: Path, report: CheckReport) -> ReferenceData | None:
    """raw/reference through the pipeline's reader (:func:`extractors.reference.read_reference`),
    its failure as the item ``reference.readable``."""
    from extractors.reference import read_reference

    try:
        ref = read_reference(raw / "reference")
    except (BadReference, OSError) as e:
        report.add("reference", item("reference.readable", "error", [{"error": str(e)}], 3,
                                     "raw/reference/*.csv are readable and valid"))
        return None
    report.add("reference", item("reference.readable", "error", [], 3,
                                 "raw/reference/*.csv are readable and valid"))
    return ref


def extract_plans(raw: Path, report: CheckReport) -> list[PlanDocument]:
    """Every plan the pipeline would read (:func:`extractors.files.list_plan_files`); the
    entries it would not read are reported as its ``plans`` issues are (``file_type``)."""
    from extractors.budget import extract_plan
    from extractors.files import list_plan_files, plan_file_issues
    from extractors.records import NoPlanTable, UnreadableDocument

    folder = raw / "plans"
    files = list_plan_files(folder)
    plans, bad = [], []
    for path in files:
        try:
            plans.append(extract_plan(path))
        except (UnreadableDocument, NoPlanTable) as e:
            bad.append({"file": path.name, "reason": e.reason})
        except Exception as e:  # noqa: BLE001 - an extractor bug is still an unreadable plan here
            bad.append({"file": path.name, "reason": f"{type(e).__name__}: {e}"})
    report.add("plans", item("plans.readable", "error", bad, len(files),
                             "every plan document in raw/plans can be parsed"))
    for name, severity, issues in group_reader_issues(plan_file_issues(folder)):
        report.add("plans", item(name, severity, issues, len(files) + len(issues),
                                 "every entry of raw/plans is a plan document that is read"))
    return plans


def read_stats(raw: Path, ref: ReferenceData, report: CheckReport):
    from extractors.budget import read_stats_folder

    folder = raw / "stats"
    if not folder.is_dir():
        return pd.DataFrame(columns=list(STATS_COLUMNS))
    result = read_stats_folder(folder, ref.resolver, ref.metrics)
    groups = group_reader_issues(result.issues)
    for name, severity, bad in groups:
        report.add(READER, item(name, severity, bad, len(result.frame) + len(bad),
                                "the statistics reader accepted every row"))
    if "stats.readable" not in {name for name, _, _ in groups}:
        report.add(READER, item("stats.readable", "error", [], len(result.frame),
                                "the statistics reader accepted every row"))
    return result.frame


# The statistics reader rejects some rows itself (CONTRACT §5), so the suite
# never sees them. Each rejection carries the rule it broke (``IngestIssue.check``,
# e.g. ``district_stats.metric_known``) and is reported under that name (suite
# column "stats reader"); a rejection without one is "stats.readable".


def reader_rule(issue: IngestIssue) -> str:
    return issue.check or "stats.readable"


def group_reader_issues(issues: Iterable[IngestIssue]) -> list[tuple[str, str, list[dict]]]:
    """Reader issues as items, one per rule name (``IngestIssue.check``); error when
    any of its issues is an error."""
    groups: dict[str, list[IngestIssue]] = {}
    for i in issues:
        groups.setdefault(reader_rule(i), []).append(i)
    out = []
    for name, group in groups.items():
        severity = "error" if any(i.severity == "error" for i in group) else "warning"
        bad = [{"reason": i.reason, "source_file": i.source_file, "location": i.location}
               for i in group]
        out.append((name, severity, bad))
    return out


def build_attainment_frame(ref: ReferenceData, plans: list[PlanDocument],
                           stats: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """fct_attainment and the keys it must cover, from a throwaway DuckDB warehouse."""
    from warehouse.attainment import build_attainment
    from warehouse.counts import read_frame
    from warehouse.load import load_plan, load_reference, load_stats
    from warehouse.schema import create_schema, make_engine

    with tempfile.TemporaryDirectory(prefix="planwh-check-") as tmp:
        engine = make_engine(f"duckdb:///{Path(tmp) / 'check.duckdb'}")
        try:
            create_schema(engine)
            load_reference(engine, ref.districts, ref.metrics, revisions=ref.revisions)
            for plan in plans:
                load_plan(engine, plan, ref.indicator_metrics)
            load_stats(engine, stats)
            build_attainment(engine)
            return (read_frame(engine, "SELECT * FROM fct_attainment"),
                    read_frame(engine, EXPECTED_ATTAINMENT_KEYS_SQL),
                    read_frame(engine, TARGET_VERSIONS_SQL))
        finally:
            engine.dispose()


def check_folder(raw: Path, docs_dir: Any = DEFAULT) -> CheckReport:
    """Run every check over a raw folder (``docs_dir`` as in ``run_suite``)."""
    report = CheckReport()
    ref = read_reference(raw, report)
    if ref is None:
        return report

    plans = extract_plans(raw, report)
    frame = targets_frame(plans)
    targets = report.add_suite(run_suite("targets", frame, docs_dir=docs_dir))
    # like the pipeline: a plan failing an error expectation is not loaded
    bad_rows = set(targets.failing_positions())
    bad_files = {frame.iloc[i]["source_file"] for i in bad_rows}
    good_plans = [p for p in plans if p.source_file not in bad_files]

    stats = read_stats(raw, ref, report)
    suite = report.add_suite(run_suite("district_stats", stats, docs_dir=docs_dir,
                                       districts=ref.districts, metrics=ref.metrics))
    clean_stats = stats.reset_index(drop=True).drop(index=suite.failing_positions())

    try:
        facts, keys, versions = build_attainment_frame(ref, good_plans, clean_stats)
    except Exception as e:  # noqa: BLE001 - reported as a failed item, not a traceback
        report.add("attainment", item("attainment.build", "error",
                                      [{"error": f"{type(e).__name__}: {e}"}], 1,
                                      "attainment can be computed from the folder"))
        return report
    report.add_suite(run_suite("attainment", facts, docs_dir=docs_dir, expected_keys=keys,
                               target_versions=versions))
    return report


# --------------------------------------------------------------------------- output


def _sample(r: ExpectationResult) -> str:
    if r.success or not r.sample:
        return ""
    text = json.dumps(r.sample[0], ensure_ascii=False, default=str)
    return text if len(text) <= SAMPLE_WIDTH else text[: SAMPLE_WIDTH - 1] + "…"


def format_report(report: CheckReport) -> str:
    header = ("suite", "expectation", "severity", "result", "unexpected", "sample")
    rows = [(suite, r.name, r.severity, r.status, f"{r.unexpected_count}/{r.element_count}",
             _sample(r)) for suite, r in report.items]
    widths = [max(len(str(x[i])) for x in [header, *rows]) for i in range(5)]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(str(v).ljust(w) for v, w in zip(row[:5], widths, strict=True))
                     + "  " + row[5])
        if row is header:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 6)
    n_fail = len(report.failed_errors)
    n_warn = sum(1 for _, r in report.items if not r.success and r.severity != "error")
    n_pass = sum(1 for _, r in report.items if r.success)
    lines.append("")
    lines.append(f"{len(report.items)} expectations: {n_pass} passed, {n_fail} failed (error), "
                 f"{n_warn} warnings")
    lines += [f"note: {n}" for n in report.notes]
    lines += [f"Data Docs: {d}" for d in report.docs]
    return "\n".join(lines)


def check_docs_dir() -> Path:
    """Where ``planwh check`` writes its Data Docs: a folder of its own
    (``<Data Docs dir>/check``), so it never replaces the sites the pipeline's asset
    checks link to."""
    from expectations.runner import default_docs_dir

    return default_docs_dir() / "check"


def _offline(index_paths: list[str]) -> None:
    """The sites ``planwh check`` wrote, made to work without a network."""
    from expectations.offline_docs import make_offline, write_docs_home

    for index in index_paths:
        try:
            make_offline(Path(index).parent)
        except OSError as err:
            print(f"planwh check: Data Docs {index} not made offline: {err}", file=sys.stderr)
    if index_paths:
        write_docs_home(check_docs_dir())


def run(args) -> int:
    raw = Path(args.raw)
    if not raw.is_dir():
        print(f"planwh check: {raw}: no such folder", file=sys.stderr)
        return 2
    report = check_folder(raw, docs_dir=check_docs_dir())
    _offline(report.docs)
    print(format_report(report))
    if report.failed_errors:
        print("FAILED: " + ", ".join(sorted({r.name for r in report.failed_errors})),
              file=sys.stderr)
        return 1
    return 0
