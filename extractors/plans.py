"""The one entry point: a plan document (DOCX or PDF) -> ``PlanDocument``.

The format is chosen by the file's signature, never by its extension. Only
``UnreadableDocument`` and ``NoPlanTable`` escape for bad input.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from extractors.layouts import PlanLedger, read_plan_table
from extractors.numbers import CN_DIGITS
from extractors.records import (
    IngestIssue,
    NoPlanTable,
    PlanDocument,
    PlanwhError,
    TableGrid,
    UnreadableDocument,
    plan_id_from_sha256,
)
from extractors.revisions import CHECK as REVISION_CHECK
from extractors.revisions import detect_revision
from extractors.text import normalise_text

MAX_FILE_BYTES = 200 * 1024 * 1024
_SIGNATURES = (
    (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF8", "GIF"), (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"), (b"\xd0\xcf\x11\xe0", "legacy Office .doc/.xls"), (b"{\\rtf", "RTF"),
    (b"Rar!", "RAR"), (b"\x1f\x8b", "gzip"), (b"7z\xbc\xaf", "7z"),
)
_ISSUER_ENDS = ("委员会", "人民政府", "办公厅", "办公室", "政府", "局", "委", "办", "厅")
_PERIOD_FYP = re.compile(r"十([一二三四五六七八九])五")
_PERIOD_RANGE = re.compile(r"(20\d{2})\s*(?:-|—|–|~|～|至|到)\s*(20\d{2})\s*年")


def sniff_format(head: bytes) -> str:
    """'docx' or 'pdf' from the first bytes; otherwise a description of what it looks like."""
    if head.startswith(b"PK\x03\x04"):
        return "docx"
    if b"%PDF-" in head[:1024]:
        return "pdf"
    for sig, kind in _SIGNATURES:
        if head.startswith(sig):
            return kind
    if head.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html")):
        return "HTML"
    return "unknown"


def issuer_of(title: str) -> str | None:
    """The title's prefix up to the first issuing body (…局, …委员会, …人民政府办公厅)."""
    for i in range(len(title)):
        end = next((i + len(w) for w in _ISSUER_ENDS if title.startswith(w, i)), None)
        if end is None:
            continue
        while True:  # 人民政府办公厅: extend over directly following bodies
            nxt = next((end + len(w) for w in _ISSUER_ENDS[:4] if title.startswith(w, end)), None)
            if nxt is None:
                break
            end = nxt
        return title[:end] if 2 <= end <= 40 else None
    return None


def period_of(texts: list[str]) -> tuple[int, int] | None:
    """Plan period from 十三五-style names or a 2016-2020年 range, first text first."""
    for text in texts:
        m = _PERIOD_FYP.search(text)
        if m:
            n = 10 + CN_DIGITS[m.group(1)]
            start = 2016 + 5 * (n - 13)
            return start, start + 4
        m = _PERIOD_RANGE.search(text)
        if m and int(m.group(1)) < int(m.group(2)):
            return int(m.group(1)), int(m.group(2))
    return None


def _head_and_sha256(path: Path) -> tuple[bytes, str]:
    """The first KiB (to sniff the format) and the sha256, reading the file once in blocks."""
    source = path.name
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise UnreadableDocument(source, f"file too large ({size >> 20} MB)")
        digest = hashlib.sha256()
        head = b""
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                head = head or block[:1024]
                digest.update(block)
    except FileNotFoundError:
        raise UnreadableDocument(source, "no such file") from None
    except IsADirectoryError:
        raise UnreadableDocument(source, "is a directory, not a file") from None
    except OSError as exc:
        raise UnreadableDocument(source, f"cannot read file ({exc.strerror})") from None
    if not head:
        raise UnreadableDocument(source, "empty file")
    return head, digest.hexdigest()


def _signature(path: Path) -> tuple[int, int, int, int] | None:
    """(inode, size, mtime ns, ctime ns) of the file: a rewrite or replacement changes it."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def _read_tables(path: Path, fmt: str) -> tuple[list[TableGrid], str | None, list[str], int | None, list[str]]:
    """(tables, title, first texts, pages, warnings) of a DOCX or PDF."""
    if fmt == "docx":
        from extractors.docx_tables import read_docx

        d = read_docx(path)
        return d.tables, d.title, d.paragraphs[:12], None, d.warnings
    from extractors.pdf_tables import read_pdf

    p = read_pdf(path)
    return p.tables, p.title, p.lines[:20], p.pages, p.warnings


def preload_readers(paths: Iterable[str | Path]) -> None:
    """Import the readers these files need, once, in this process: a reader forked from it
    (extractors.budget) then starts with them loaded instead of importing them again in
    every worker (about 25 ms of CPU per DOCX worker, more for pdfplumber)."""
    suffixes = {Path(p).suffix.lower() for p in paths}
    if ".docx" in suffixes:
        import extractors.docx_tables  # noqa: F401
    if ".pdf" in suffixes:
        import extractors.pdf_tables  # noqa: F401


def extract_plan(path: str | Path) -> PlanDocument:
    """Parse one plan document into its target records (document order).

    Raises ``NoPlanTable`` when no table gives a layout (``read_plan`` does not).
    """
    doc = read_plan(path)
    if not doc.tables_found:
        n = len(doc.ledger.tables) if doc.ledger else 0
        if not n:
            raise NoPlanTable(doc.source_file, "no recognisable plan table (the document has no tables)")
        why = "; ".join(f"table {v.table}: {note}" for v in doc.ledger.tables for note in v.notes)
        raise NoPlanTable(doc.source_file, f"no recognisable plan table (layout A or B) among {n} "
                                           f"table(s)" + (f" ({why})" if why else ""))
    return doc


def read_plan(path: str | Path) -> PlanDocument:
    """A plan document's records and its cell ledger, even when no table is a plan
    table (``tables_found`` 0; ``planwh explain`` shows why). Raises
    ``UnreadableDocument`` only."""
    path = Path(path)
    source = path.name
    before = _signature(path)
    head, sha = _head_and_sha256(path)
    fmt = sniff_format(head)
    if fmt not in ("docx", "pdf"):
        looks = "" if fmt == "unknown" else f" (looks like {fmt})"
        raise UnreadableDocument(source, f"not a PDF or DOCX file{looks}")
    try:
        tables, title, texts, pages, warnings = _read_tables(path, fmt)
    except PlanwhError:
        raise
    except MemoryError:
        raise UnreadableDocument(source, f"{fmt.upper()} too large to read in memory") from None
    except Exception as exc:  # parser internals (pdfminer, zlib, lxml) on corrupt input
        raise UnreadableDocument(source, f"corrupt {fmt.upper()} ({type(exc).__name__}: {exc})") from None
    if _signature(path) != before:  # hashed and parsed from the same bytes, or not at all
        raise UnreadableDocument(source, "the file changed while it was read (still being "
                                         "written?); it is read again on the next run")
    plan_id = plan_id_from_sha256(sha)
    records, found = [], 0
    # The cell ledger: every table's view and the fate of each of its cells.
    ledger = PlanLedger(source)
    issues = []
    warnings = list(warnings)
    previous = previous_grid = None
    for grid in tables:
        result = read_plan_table(grid, plan_id=plan_id, source_file=source,
                                 previous=previous, previous_grid=previous_grid)
        previous, previous_grid = result, grid
        ledger.see_table(result.view)
        ledger.add_cells(result.cells)
        issues.extend(result.issues)
        warnings.extend(f"{i.location}: {i.reason}" for i in result.notices)
        if result.records is not None:
            found += 1
            records.extend(result.records)
    title = normalise_text(title) or path.stem
    revision = detect_revision(title, texts)
    if revision is not None and revision.problem:
        issues.append(IngestIssue(source, "document", "warning", revision.problem,
                                  REVISION_CHECK))
    warnings = [*warnings, *(f"{i.location}: {i.reason}" for i in issues)]
    period = period_of([title, *texts])
    if period is None and records:
        years = [r.year for r in records]
        period = (min(years), max(years))
    return PlanDocument(
        plan_id=plan_id, title=title, issuer=issuer_of(title),
        period_start=period[0] if period else None, period_end=period[1] if period else None,
        source_file=source, source_sha256=sha, source_format=fmt, pages=pages,
        tables_found=found, records=records, warnings=warnings, ledger=ledger, issues=issues,
        revises=revision.revises if revision else None,
        effective_from=revision.effective_from if revision else None,
        revision_note=revision.evidence if revision else None,
    )


def targets_frame(plans: Iterable[PlanDocument]):
    """The ``targets`` suite's frame (a pandas DataFrame): the TargetRecord rows of
    ``plans`` plus each plan's period. One frame for ``planwh check`` and the assets."""
    import pandas as pd

    return pd.DataFrame([{**rec.to_dict(), "period_start": plan.period_start,
                          "period_end": plan.period_end}
                         for plan in plans for rec in plan.records])
