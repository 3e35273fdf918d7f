"""Statistics vintages: the publication date of a statistics file (docs/time.md, Vintages).

Every load of a statistics file's new content is a vintage (``warehouse.load`` records
it in ``stat_vintage``). Its publication date, when one is given, comes from

1. ``raw/reference/stat_publications.csv`` (optional): ``source_file,published_on``,
   one row per file name in raw/stats, the date in ISO form (``2020-03-31``); else
2. a date in the file name: ``YYYY-MM-DD`` (also with ``_`` or ``.``), ``YYYYMMDD`` or
   ``YYYY年M月D日``. A date right after 发布 (published) / 发布日期 / ``published`` /
   ``release`` wins; otherwise the name must hold exactly one date (two different dates
   and no marker: no publication date, never a guess).

Nothing else is a publication date: year ranges such as ``2016-2020`` are not dates.

A malformed row of stat_publications.csv is an issue (file, row, reason), never a
failure: it gives no date, and the other rows are used (the loader records the issues
in ``ingest_issues``, scope ``reference:stat_publications``).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path

from extractors.records import IngestIssue

PUBLICATIONS_FILE = "stat_publications.csv"
PUBLICATION_COLUMNS = ("source_file", "published_on")
FROM_REFERENCE, FROM_FILE_NAME = "reference", "file_name"
PUBLICATIONS_SCOPE = "reference:stat_publications"  # ingest_issues scope of its bad rows
PUBLICATIONS_CHECK = "stat_publication"

_DATE = (r"(?<!\d)(?:(?P<y1>\d{4})[-_.](?P<m1>\d{1,2})[-_.](?P<d1>\d{1,2})"
         r"|(?P<y2>\d{4})(?P<m2>\d{2})(?P<d2>\d{2})"
         r"|(?P<y3>\d{4})年(?P<m3>\d{1,2})月(?P<d3>\d{1,2})日)(?!\d)")
_DATE_RE = re.compile(_DATE)
_MARKED_RE = re.compile(r"(?:发布日期|发布|published|release)[-_ :：]*" + _DATE, re.IGNORECASE)


def _as_date(m: re.Match) -> date | None:
    for i in "123":
        if m.group(f"y{i}"):
            try:
                d = date(int(m.group(f"y{i}")), int(m.group(f"m{i}")), int(m.group(f"d{i}")))
            except ValueError:
                return None
            return d if 1949 <= d.year <= 2100 else None
    return None  # pragma: no cover - the pattern always sets one group


def date_in_file_name(name: str) -> date | None:
    """The publication date a statistics file's name gives, or None."""
    stem = Path(name).stem
    for m in _MARKED_RE.finditer(stem):
        if (d := _as_date(m)) is not None:
            return d
    found = {d for m in _DATE_RE.finditer(stem) if (d := _as_date(m)) is not None}
    return found.pop() if len(found) == 1 else None


def read_publications(reference_dir: Path) -> tuple[dict[str, date], list[IngestIssue]]:
    """raw/reference/stat_publications.csv as ({file name: date}, issues); ({}, []) without
    the file. A malformed row is an error issue (file, row, reason) and gives no date; the
    good rows are used. A file name given two different dates gets none."""
    path = Path(reference_dir) / PUBLICATIONS_FILE
    if not path.is_file():
        return {}, []
    issues: list[IngestIssue] = []

    def bad(where: str, reason: str) -> None:
        issues.append(IngestIssue(PUBLICATIONS_FILE, where, "error", reason, PUBLICATIONS_CHECK))

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        bad("file", f"cannot read: {e}: no publication date is read from this file")
        return {}, issues
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in PUBLICATION_COLUMNS if c not in header]
    if missing:
        bad("row 1", f"missing column(s) {', '.join(missing)}: no publication date is read "
                     "from this file")
        return {}, issues
    reader.fieldnames = header
    out: dict[str, date] = {}
    rows: dict[str, int] = {}
    conflicting: set[str] = set()
    for n, row in enumerate(reader, start=2):
        name = (row.get("source_file") or "").strip()
        text = (row.get("published_on") or "").strip()
        if not name and not text:
            continue
        try:
            when = date.fromisoformat(text)
        except ValueError:
            bad(f"row {n}", f"published_on {text!r} is not an ISO date (YYYY-MM-DD): "
                            "this row gives no publication date")
            continue
        if not name:
            bad(f"row {n}", "source_file is empty: this row gives no publication date")
            continue
        if name in conflicting or (name in out and out[name] != when):
            bad(f"row {n}", f"{name} already has another date on row {rows[name]}: "
                            "neither gives its publication date")
            conflicting.add(name)
            out.pop(name, None)
            continue
        out[name] = when
        rows.setdefault(name, n)
    return out, issues


def publication(name: str, reference: dict[str, date]) -> tuple[date | None, str | None]:
    """(publication date, where it came from) of one statistics file."""
    if name in reference:
        return reference[name], FROM_REFERENCE
    if (d := date_in_file_name(name)) is not None:
        return d, FROM_FILE_NAME
    return None, None
