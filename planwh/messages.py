"""One-line messages for people: what went wrong and what to do, without internal
class names. Pure (no Dagster, no database connection)."""

from __future__ import annotations

import re
from pathlib import Path

# "extractors.records.BadReference: ..." or "ValueError: ..." at the start of a line
_CLASS_PREFIX = re.compile(
    r"^\s*(?:(?:[A-Za-z_]\w*\.)+[A-Za-z_]\w*|[A-Z]\w*(?:Error|Exception|Warning|Exit))\s*:\s*")
_DUCKDB_LOCK = re.compile(
    r'Could not set lock on file "(?P<file>[^"]+)": Conflicting lock is held in '
    r"(?P<program>.+?)(?: \(PID (?P<pid>\d+)\))?(?: by user (?P<user>\S+))?\.?(?: See also|$)")
_DUCKDB_PREFIX = re.compile(r"^(?:IO|Catalog|Binder|Parser|Invalid Input|Conversion) Error:\s*")


def without_class_name(text: str) -> str:
    """``text`` without a leading ``package.module.Class:`` (or ``SomethingError:``)."""
    prev = None
    while prev != text:
        prev, text = text, _CLASS_PREFIX.sub("", text, count=1)
    return text


def url_hint(url: str) -> str | None:
    """A hint for a warehouse URL SQLAlchemy will not take as people write it."""
    scheme = url.split(":", 1)[0].lower()
    if scheme in ("postgres", "postgresql", "postgresql+psycopg2", "pgsql"):
        rest = url.split("://", 1)[1] if "://" in url else ""
        return f"write postgresql+psycopg://{rest or '…'} (planwh talks to PostgreSQL " \
               "through psycopg 3)"
    if scheme == "duckdb" and url.startswith("duckdb://") and not url.startswith("duckdb:///"):
        return "write duckdb:///relative/path.duckdb or duckdb:////absolute/path.duckdb"
    return None


def _program(pid: str | None) -> str | None:
    """The command line of process ``pid`` when this machine can tell (Linux /proc)."""
    if not pid:
        return None
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    words = [w.decode(errors="replace") for w in raw.split(b"\0") if w]
    return " ".join(words)[:120] or None


def duckdb_lock_message(text: str) -> str | None:
    """DuckDB's "Could not set lock" as: which process holds the file, and what to do."""
    m = _DUCKDB_LOCK.search(text)
    if not m:
        return None
    pid = m.group("pid")
    who = f"process {pid}" if pid else "another process"
    command = _program(pid) or m.group("program")
    return (f"the warehouse file {m.group('file')} is open in {who} ({command}); DuckDB lets "
            "one process write a file at a time. Close that program (a DuckDB CLI or "
            "notebook, `make dev`, another `planwh run`)"
            + (f" or stop it with `kill {pid}`" if pid else "")
            + ", or wait for it to finish, then run again")


def explain(error_line: str, url: str | None = None) -> str:
    """The driver's first line made readable: a DuckDB lock names its holder, a bad URL
    says how to write it, and no class name leads the line."""
    line = without_class_name(error_line.strip().splitlines()[0] if error_line.strip() else "")
    if lock := duckdb_lock_message(line):
        return lock
    if url and (hint := url_hint(url)) and (
            "Can't load plugin" in line or "No module named" in line
            or "Could not parse" in line):
        return f"{_DUCKDB_PREFIX.sub('', line)}; {hint}"
    return _DUCKDB_PREFIX.sub("", line) if "Error:" in line[:30] else line
