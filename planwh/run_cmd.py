"""``planwh run``: materialise every asset over a raw folder, in-process through Dagster.

Order: reference and statistics; then one run over the partition range of the changed
plan files (as a single-run Dagster backfill would) together with deleted plans,
attainment, its report and the issues summary. A step that fails only because a blocking
quality check failed, or a plan file held back by its checks, is *quarantined* input
(held back, listed in ingest_issues), not a failed run.

The run reads the plan files on every core (``PLANWH_WORKERS``), validates them at once
and loads them in one transaction (the warehouse has one writer; a plan the database
refuses is held back alone). Nothing is redone that
did not change (pipelines/incremental.py): a plan file whose content, reference data and
code version are those of its last run is not read; the statistics and the refresh are
left out when their inputs are those they were last done with (recorded in the
warehouse's ``load_log``, or by the Dagster instance under ``DAGSTER_HOME``); when nothing
changed, Dagster is not even imported.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from pipelines.launch import RunOutcome, execute
from pipelines.raw_layout import raw_folder_problem
from planwh.messages import explain
from planwh.summary import where_to_look_lines
from warehouse.urls import scrub, shown_url


def unchanged_row(launch) -> tuple[str, str]:
    """The summary line of what was left out as unchanged."""
    parts = [f"{len(launch.skipped)} of {len(launch.plan_hashes)} plans"]
    if not launch.stats_todo:
        parts.append("statistics")
    if not launch.refresh_todo:
        parts.append("attainment refresh")
    return ("unchanged, not redone", ", ".join(parts))


def summary_rows(counts, tables: dict, outcomes: list[RunOutcome],
                 issues: dict[str, int] | None = None, launch=None) -> list[tuple[str, str]]:
    """The summary table: the counts of warehouse.counts (same names and meanings as the
    report and the asset metadata), then statistics, issues and what the steps did."""
    quarantined = [s for o in outcomes for s in o.quarantined]
    failed = [s for o in outcomes for s in o.failed]
    plans_quarantined = sum(1 for o in outcomes if o.label.startswith("plan ") and o.quarantined)
    issues = issues or {}
    rows = [(name, value) for name, value, _ in counts.lines()]
    if plans_quarantined:
        rows.insert(1, ("plan documents quarantined", str(plans_quarantined)))
    return rows + [
        ("statistics", str(tables.get("fct_district_stat", 0))),
        ("districts (versions)", str(tables.get("dim_district", 0))),
        ("ingest issues", f"{issues.get('error', 0)} rejected input, "
                          f"{issues.get('warning', 0)} warnings"),
        ("checks", f"{sum(o.checks_passed for o in outcomes)} passed, "
                   f"{sum(o.checks_warned for o in outcomes)} warned, "
                   f"{sum(o.checks_failed for o in outcomes)} failed"),
        ("quarantined steps", str(len(quarantined))),
        ("failed steps", str(len(failed))),
    ] + ([unchanged_row(launch)] if launch is not None else [])


def issue_severities(engine) -> dict[str, int]:
    """ingest_issues rows by severity: rejected input (error) apart from warnings."""
    import sqlalchemy as sa

    with engine.connect() as c:
        return {sev: int(n) for sev, n in c.execute(sa.text(
            "SELECT severity, COUNT(*) FROM ingest_issues GROUP BY severity"))}


def print_summary(rows, outcomes: list[RunOutcome], warehouse_url: str, seconds: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=sys.stdout, soft_wrap=True)
    table = Table(title=f"planwh run: {shown_url(warehouse_url)} ({seconds:.1f} s)")
    table.add_column("what")
    table.add_column("count")
    for what, count in rows:
        table.add_row(what, count)
    console.print(table)
    for o in outcomes:
        for step in o.quarantined:
            console.print(f"quarantined: {o.label} ({step}); see ingest_issues")
        for f in o.failed:
            console.print(f"[red]failed[/red]: {o.label}: {f}")


def warehouse_problem(url: str) -> str | None:
    """Why the warehouse at ``url`` cannot be used, in one line; None when it can."""
    import sqlalchemy as sa

    from warehouse.schema import make_engine

    shown = shown_url(url)
    try:
        sa.engine.make_url(url)
    except Exception:  # noqa: BLE001 - any parse failure is a bad URL
        return f"not a warehouse URL: {shown!r} (e.g. duckdb:///data/warehouse.duckdb)"
    try:
        engine = make_engine(url)
        try:
            with engine.connect() as cx:
                cx.exec_driver_sql("SELECT 1")
        finally:
            engine.dispose()
    except Exception as err:  # noqa: BLE001 - driver errors differ by back-end
        orig = getattr(err, "orig", None) or err
        first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
        return f"cannot open the warehouse {shown}: {explain(scrub(first, url), url)}"
    return None


def first_line(err: BaseException, url: str) -> str:
    """An exception as one line without the password: the driver's own message when
    SQLAlchemy wraps one."""
    orig = getattr(err, "orig", None) or err
    text = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return explain(scrub(text, url), url)


def outcome_lines(outcomes: list[RunOutcome]) -> list[str]:
    """What each finished run did, for a summary without table counts."""
    lines = []
    for o in outcomes:
        if o.failed:
            lines.append(f"{o.label}: failed ({'; '.join(o.failed)})")
        elif o.quarantined:
            lines.append(f"{o.label}: quarantined ({', '.join(o.quarantined)})")
        else:
            lines.append(f"{o.label}: done")
    return lines


def run(args) -> int:
    raw = Path(args.raw)
    if problem := raw_folder_problem(raw):
        print(f"planwh run: {problem}", file=sys.stderr)
        return 2
    if (restate_to := getattr(args, "restate_to", None)) is not None:
        from warehouse.restate import RESTATE_ENV
        from warehouse.schema import YEAR_MAX, YEAR_MIN

        if not YEAR_MIN <= restate_to <= YEAR_MAX:
            print(f"planwh run: --restate-to {restate_to} is not a year between {YEAR_MIN} "
                  f"and {YEAR_MAX}", file=sys.stderr)
            return 2
        os.environ[RESTATE_ENV] = str(restate_to)  # read by the run's restatement asset
    if problem := warehouse_problem(args.warehouse):
        print(f"planwh run: {problem}", file=sys.stderr)
        return 2
    as_of = getattr(args, "as_of", None) or []
    if isinstance(as_of, str):
        as_of = [as_of]
    if as_of:
        from warehouse.attainment import as_of_moment

        try:  # each moment as stored in fct_attainment_as_of.as_of
            as_of = [as_of_moment(a).isoformat(sep=" ") for a in as_of]
        except ValueError as err:
            print(f"planwh run: --as-of: {err}", file=sys.stderr)
            return 2
    started = time.monotonic()
    quiet = getattr(args, "quiet", False)
    accept = list(getattr(args, "accept_shrink", None) or [])
    outcomes: list[RunOutcome] = []
    decided: list = []
    try:
        _execute(raw, args.warehouse, quiet, accept, outcomes, decided, as_of)
        rows = _summary_counts(args.warehouse, outcomes, decided[0] if decided else None)
    except Exception as err:  # noqa: BLE001 - e.g. the warehouse went away mid-run: one line
        print(f"planwh run: stopped by an error of the warehouse {shown_url(args.warehouse)} "
              f"or the run: {first_line(err, args.warehouse)}; every load is one transaction, "
              "so each table holds its previous or its new state; run again once it is "
              "fixed", file=sys.stderr)
        for line in outcome_lines(outcomes):
            print(f"  {line}")
        return 1
    print_summary(rows, outcomes, args.warehouse, time.monotonic() - started)
    print("\n".join(where_to_look_lines(args.warehouse)))  # where the outputs are
    for moment in as_of:
        if not any(o.failed for o in outcomes if o.label == f"attainment as of {moment}"):
            print(f"as of       {moment} (UTC, load time): v_attainment_as_of WHERE as_of = "
                  f"'{moment}' (fct_attainment and v_attainment keep the latest figures)")
    return 1 if any(o.failed for o in outcomes) else 0


def _execute(raw: Path, url: str, quiet: bool, accept: list[str],
             outcomes: list[RunOutcome], decided: list, as_of: list[str] | None = None) -> None:
    if quiet:
        execute(str(raw), url, accept_shrink=accept, outcomes=outcomes, decided=decided,
                as_of=as_of)
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    err = Console(file=sys.stderr)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=False) as bar:
        task = bar.add_task("starting", total=1)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        execute(str(raw), url, progress, accept_shrink=accept, outcomes=outcomes,
                decided=decided, as_of=as_of)


def _summary_counts(url: str, outcomes: list[RunOutcome], launch=None):
    from warehouse.counts import count_all, table_counts
    from warehouse.schema import make_engine

    engine = make_engine(url)
    try:
        tables = table_counts(engine)
        with engine.connect() as cx:  # the current figures, not their earlier versions
            tables["fct_district_stat"] = int(cx.exec_driver_sql(
                "SELECT COUNT(*) FROM fct_district_stat WHERE valid_to IS NULL").scalar() or 0)
        rows = summary_rows(count_all(engine), tables, outcomes, issue_severities(engine),
                            launch)
    finally:
        engine.dispose()
    return rows
