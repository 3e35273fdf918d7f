"""The ``planwh`` command.

Each sub-command lives in its own module, imported only when it runs, so that
``planwh extract`` and ``planwh check`` never pay for importing Dagster.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from extractors.files import DEFAULT_RAW_DIR
from warehouse.urls import DEFAULT_WAREHOUSE_URL


def default_raw() -> str:
    return os.environ.get("PLANWH_RAW_DIR") or DEFAULT_RAW_DIR


def default_warehouse() -> str:
    return os.environ.get("PLANWH_WAREHOUSE_URL") or DEFAULT_WAREHOUSE_URL


def version() -> str:
    """The installed planwh's version (pyproject's), or "unknown" when not installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("planwh")
    except PackageNotFoundError:
        return "unknown"


def _one_file_command(sub, name: str, formats: tuple[str, ...], file_help: str,
                      **parser_args) -> argparse.ArgumentParser:
    """A subcommand that reads one FILE and prints it in one of ``formats`` (the first
    is the default)."""
    cmd = sub.add_parser(name, **parser_args)
    cmd.add_argument("file", metavar="FILE", help=file_help)
    cmd.add_argument("--format", choices=formats, default=formats[0],
                     help=f"output format (default: {formats[0]})")
    return cmd


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="planwh",
        description=(
            "Turn plan documents (DOCX/PDF) and district statistics into a warehouse "
            "that answers which districts met which targets in which year."
        ),
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="materialise every asset over a raw folder into the warehouse (through Dagster)",
        description=(
            "Materialise every asset (all plan partitions) over DIR into the warehouse, "
            "in-process through Dagster. Progress goes to stderr, a summary table to stdout. "
            "Exit 0 when the run succeeded (quarantined input is not a failure), 1 when a step "
            "failed, 2 when the raw folder (it must hold plans/, stats/ and reference/) or the "
            "warehouse cannot be opened (one line on stderr, nothing changed). A statistics "
            "file that cannot be read, is still being written or shrank sharply is held back "
            "whole: its previous rows stay and ingest_issues says why."
        ),
    )
    run.add_argument("--raw", default=None, metavar="DIR",
                     help="raw folder (default: $PLANWH_RAW_DIR or raw/)")
    run.add_argument("--warehouse", default=None, metavar="URL",
                     help="SQLAlchemy URL (default: $PLANWH_WAREHOUSE_URL or "
                          f"{DEFAULT_WAREHOUSE_URL})")
    run.add_argument("--quiet", action="store_true", help="no progress display; summary only")
    run.add_argument("--accept-shrink", action="append", default=[], metavar="FILE",
                     help="load the statistics file FILE (its name in raw/stats, or 'all') even "
                          "though it has more than 20%% fewer rows than its last good load; "
                          "without it such a file is held back and keeps its previous rows "
                          "(repeatable)")
    run.add_argument("--restate-to", type=int, default=None, metavar="YEAR",
                     help="the year whose district boundaries fct_district_stat_restated and "
                          "v_attainment_restated are on (default: $PLANWH_RESTATE_TO, else the "
                          "latest year the warehouse knows; docs/time.md)")
    run.add_argument("--as-of", action="append", default=[], metavar="DATE",
                     help="also evaluate attainment on the statistics known at DATE (load "
                          "time, UTC: YYYY-MM-DD means the end of that day, or "
                          "YYYY-MM-DDTHH:MM[:SS]) into fct_attainment_as_of, shown by "
                          "v_attainment_as_of WHERE as_of = that moment; fct_attainment and "
                          "v_attainment keep the latest figures (repeatable; docs/time.md)")

    _one_file_command(
        sub, "extract", ("jsonl", "csv"), "a .docx or .pdf plan document",
        help="parse one plan document and print its target records",
        description=(
            "Parse one plan document (DOCX or PDF) and write its target records to stdout. "
            "A file that cannot be parsed, is not a regular file, or exceeds the reader "
            "budget ($PLANWH_READ_TIMEOUT s, default 300; $PLANWH_READ_MEMORY_MB, default "
            "2048) gives exit 2 and one line on stderr. CSV cells beginning with =, +, -, @, "
            "tab or CR are prefixed with ' (CSV injection)."
        ),
    )
    xp = _one_file_command(
        sub, "explain", ("text", "json"), "a plan document or a statistics file",
        help="show how one plan document or statistics file was read, cell by cell",
        description=(
            "Show how one plan document (DOCX/PDF) or statistics file (CSV/TSV/TXT/XLSX/XLS) "
            "was read: every table with its column roles, header rows and continuations, and "
            "the fate of every non-empty cell (in a record, structural, or an issue), ending "
            "with 'cells N · in records R · structural S · issues I · unaccounted 0'. "
            "Exit 2 and one line on stderr when the file cannot be read; 1 when a cell is "
            "unaccounted for."
        ),
    )
    xp.add_argument("--raw", default=None, metavar="DIR",
                    help="raw folder whose reference/ a statistics file is read with "
                         "(default: $PLANWH_RAW_DIR or raw/)")

    ck = sub.add_parser(
        "check",
        help="run the data-quality suites over a raw folder without loading the warehouse",
        description=(
            "Run the Great Expectations suites over DIR without loading the warehouse and "
            "print each expectation's result. Exit 1 when an error-severity expectation fails. "
            "Its Data Docs go to their own folder, $PLANWH_DOCS_DIR/check or data/docs/check, "
            "never over the pipeline's."
        ),
    )
    ck.add_argument("--raw", default=None, metavar="DIR",
                    help="raw folder (default: $PLANWH_RAW_DIR or raw/)")

    role = sub.add_parser(
        "create-analyst-role",
        help="PostgreSQL: create or refresh a read-only (SELECT only) analyst role",
        description=(
            "Create (or refresh) a PostgreSQL role that may only SELECT from the warehouse "
            "tables and views. The password is read from $PLANWH_ANALYST_PASSWORD, never "
            "from the command line."
        ),
    )
    role.add_argument("--warehouse", default=None, metavar="URL",
                      help="PostgreSQL SQLAlchemy URL of an owner (default: $PLANWH_WAREHOUSE_URL)")
    role.add_argument("--role", default="planwh_analyst", help="role name (default: planwh_analyst)")
    role.add_argument("--allow-temp", action="store_true",
                      help="keep PUBLIC's TEMP privilege on the warehouse database (by default "
                           "it is revoked, so the role cannot create temporary tables)")

    return p


def url_problem(url: str | None) -> str | None:
    """A warehouse URL SQLAlchemy cannot load as written (``postgres://``, or
    ``postgresql://`` without its psycopg2 driver installed), with how to write it."""
    if not url:
        return None
    from planwh.messages import url_hint
    from warehouse.urls import shown_url

    scheme = url.split(":", 1)[0].lower()
    if scheme in ("postgresql", "postgresql+psycopg2"):
        try:
            import psycopg2  # noqa: F401 - SQLAlchemy's default driver for postgresql://
            return None
        except ImportError:
            pass
    elif scheme not in ("postgres", "pgsql"):
        return None
    shown = shown_url(url)  # the hint repeats the URL: without its password
    return f"cannot use the warehouse URL {shown}: {url_hint(shown)}"


COMMANDS = {
    "run": "planwh.run_cmd",
    "extract": "planwh.extract_cmd",
    "explain": "planwh.explain_cmd",
    "check": "planwh.check_cmd",
    "create-analyst-role": "planwh.role_cmd",
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if getattr(args, "raw", "unset") is None:
        args.raw = default_raw()
    if getattr(args, "warehouse", "unset") is None:
        args.warehouse = default_warehouse()
    if problem := url_problem(getattr(args, "warehouse", None)):
        print(f"planwh {args.command}: {problem}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[args.command])
    try:
        return int(module.run(args) or 0)
    except KeyboardInterrupt:
        print("planwh: interrupted", file=sys.stderr)
        return 130


def entry() -> None:  # pragma: no cover - the console script; tests call main()
    """The ``planwh`` console script: :func:`main`, then exit without Python's teardown.

    A ``planwh run`` has imported Dagster, Great Expectations, pandas and matplotlib; once
    it has finished, Python's own teardown of those modules (freeing every object one by
    one) takes 1-2 s more and has nothing left to do: every warehouse transaction has been
    committed (DuckDB and PostgreSQL make a commit durable when it returns) and every file
    written has been closed. So the exit handlers run (logging, Dagster's, multiprocessing's),
    the standard streams are flushed, and the process ends."""
    import atexit

    code = main()
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):  # a closed pipe: nothing more can be said
                pass
        os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
