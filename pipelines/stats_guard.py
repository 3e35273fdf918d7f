"""Which statistics files to hold back whole, so that a doubtful file never replaces
what was loaded from it (CONTRACT section 6; docs/operations.md).

A file is held back when

- it cannot be read (the reader found nothing in it and says why at file level),
- it is still changing: its size or modification time moved while it was read, or a
  CSV's last row has no line end and the file changed less than ``PLANWH_SETTLE_SECONDS``
  (120 s) ago (a copy still under way, or cut short; a file written without a final
  newline loads once it has stopped changing),
- it shrinks sharply: more than ``SHRINK_THRESHOLD`` (20 %) fewer rows than its last
  good load, unless the shrink is accepted (``planwh run --accept-shrink FILE|all``).

A held-back file's previous rows stay in fct_district_stat (warehouse.load.load_stats
``keep_files``) and one error issue (check ``held_back``) names the file and the reason.
Plain Python, no Dagster.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from extractors.records import IngestIssue

HELD_BACK_CHECK = "held_back"
# A reload with more than this fraction fewer rows than the file's last good load is held
# back: a file cut at a row boundary while being copied loses rows without any parse error.
SHRINK_THRESHOLD = 0.20
_LINE_END = (b"\n", b"\r")
_TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
SETTLE_ENV = "PLANWH_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 120.0
_TRAILING_BLANKS = b" \t\x1a"  # spaces, tabs and a DOS end-of-file mark after the last line


@dataclass(frozen=True)
class FileState:
    size: int
    mtime_ns: int


def file_states(paths: list[Path]) -> dict[str, FileState]:
    """name -> (size, mtime) of each file, for a before/after comparison around a read."""
    out = {}
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            continue
        out[p.name] = FileState(st.st_size, st.st_mtime_ns)
    return out


def lacks_final_line_end(path: Path) -> bool:
    """True when a non-empty text file's last line has no line end (trailing blanks aside)."""
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            if size == 0:
                return False
            f.seek(max(0, size - 4096))
            tail = f.read().rstrip(_TRAILING_BLANKS)
    except OSError:
        return False
    return bool(tail) and not tail.endswith(_LINE_END)


def settle_seconds() -> float:
    """A text file whose last row has no line end is held back while it changed less than
    this long ago: a copy under way (or cut short) looks like that, but so does a file
    written without a final newline, which then loads once it has stopped changing."""
    raw = os.environ.get(SETTLE_ENV, "").strip()
    try:
        return max(float(raw), 0.0) if raw else DEFAULT_SETTLE_SECONDS
    except ValueError:
        return DEFAULT_SETTLE_SECONDS


def _age_seconds(state: FileState) -> float:
    return max(time.time() - state.mtime_ns / 1e9, 0.0)


def held_back_files(
    paths: list[Path],
    before: dict[str, FileState],
    after: dict[str, FileState],
    rows: dict[str, int],
    issues: list[IngestIssue],
) -> dict[str, str]:
    """name -> reason for files that are unreadable or still changing (before the
    quality suite; the shrink test comes after it, on the rows that would load).
    ``rows``: name -> rows read from the file with a value (a file with none and a
    file-level error cannot be read)."""
    file_errors = {}
    for i in issues:
        if i.severity == "error" and i.location in ("file", "document", None):
            file_errors.setdefault(i.source_file, i.reason)
    held: dict[str, str] = {}
    for p in paths:
        name = p.name
        if name not in after or before.get(name) != after.get(name):
            held[name] = "the file changed while it was read (still being written?)"
        elif (p.suffix.lower() in _TEXT_SUFFIXES and lacks_final_line_end(p)
              and (age := _age_seconds(after[name])) < settle_seconds()):
            held[name] = (f"its last row has no line end and it changed {age:.0f} s ago: it may "
                          "still be being written or was cut short; it loads once unchanged for "
                          f"{settle_seconds():.0f} s ({SETTLE_ENV}), or end its last line")
        elif not rows.get(name) and name in file_errors:
            held[name] = f"the file cannot be read: {file_errors[name]}"
    return held


def shrunk_files(rows_now: dict[str, int], rows_before: dict[str, int],
                 accepted: callable, threshold: float = SHRINK_THRESHOLD) -> dict[str, str]:
    """name -> reason for files with more than ``threshold`` fewer rows than last time,
    unless ``accepted(name)``."""
    out = {}
    for name, before in rows_before.items():
        now = rows_now.get(name, 0)
        if before > 0 and now < before * (1 - threshold) and not accepted(name):
            out[name] = (f"{now} rows against {before} at its last good load "
                         f"(more than {threshold:.0%} fewer); accept a real shrink with "
                         f"planwh run --accept-shrink {name!r}")
    return out


def held_back_issues(held: dict[str, str], previous_rows: dict[str, int]) -> list[IngestIssue]:
    out = []
    for name, why in sorted(held.items()):
        kept = previous_rows.get(name, 0)
        tail = (f"its {kept} previously loaded rows are kept" if kept
                else "nothing was loaded from it before")
        out.append(IngestIssue(name, "file", "error", f"held back whole: {why}; {tail}",
                               check=HELD_BACK_CHECK))
    return out
