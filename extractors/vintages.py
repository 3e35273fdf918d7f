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
"""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

from extractors.records import BadReference

PUBLICATIONS_FILE = "stat_publications.csv"
PUBLICATION_COLUMNS = ("source_file", "published_on")
FROM_REFERENCE, FROM_FILE_NAME = "reference", "file_name"

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


def read_publications(reference_dir: Path) -> dict[str, date]:
    """raw/reference/stat_publications.csv as {file name: date}; {} without the file.
    Raises BadReference (file, row, reason) on a malformed row."""
    path = Path(reference_dir) / PUBLICATIONS_FILE
    if not path.is_file():
        return {}
    out: dict[str, date] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in PUBLICATION_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise BadReference(PUBLICATIONS_FILE, f"missing column(s) {', '.join(missing)}",
                               "row 1")
        for n, row in enumerate(reader, start=2):
            name = (row.get("source_file") or "").strip()
            text = (row.get("published_on") or "").strip()
            if not name and not text:
                continue
            try:
                when = date.fromisoformat(text)
            except ValueError:
                raise BadReference(PUBLICATIONS_FILE, f"published_on {text!r} is not an ISO "
                                   "date (YYYY-MM-DD)", f"row {n}") from None
            if not name:
                raise BadReference(PUBLICATIONS_FILE, "source_file is empty", f"row {n}")
            if name in out and out[name] != when:
                raise BadReference(PUBLICATIONS_FILE, f"{name} has two dates", f"row {n}")
            out[name] = when
    return out


def publication(name: str, reference: dict[str, date]) -> tuple[date | None, str | None]:
    """(publication date, where it came from) of one statistics file."""
    if name in reference:
        return reference[name], FROM_REFERENCE
    if (d := date_in_file_name(name)) is not None:
        return d, FROM_FILE_NAME
    return None, None
