"""The PDF reader's entry point: open (repairing through PDFium when needed), read
every page, stitch continued tables, fall back to the text strategy."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from extractors.pdf.lines import title
from extractors.pdf.open import Refused, check_text_layer, repaired_copy
from extractors.pdf.page import read_pages
from extractors.pdf.parallel import read_pages_parallel
from extractors.pdf.settings import NO_MEANING, PdfSettings, Predicates
from extractors.pdf.stitch import stitch
from extractors.records import TableGrid, UnreadableDocument


@dataclass
class PdfContent:
    """What a PDF holds for plan extraction."""

    tables: list[TableGrid]
    title: str | None
    lines: list[str]  # first lines outside tables (title, period), normalised
    pages: int
    warnings: list[str] = field(default_factory=list)


def read_pdf(path: str | Path, predicates: Predicates = NO_MEANING,
             settings: PdfSettings | None = None) -> PdfContent:
    """Tables (stitched, with section and page of each row), title and first lines of a PDF.

    A file pdfminer refuses but PDFium opens is re-saved by PDFium to a temporary
    file and read from there (with a warning); "corrupt" only when neither can."""
    path = Path(path)
    source = path.name
    s = settings or PdfSettings()
    n_pages = check_text_layer(path, source)
    try:
        return _read(path, source, n_pages, [], s, predicates)
    except Refused as exc:
        why = str(exc)
    with tempfile.TemporaryDirectory(prefix="planwh-pdf-") as folder:
        copy = repaired_copy(path, folder, source, why)
        note = (f"pdfminer could not open the file ({why}); read from a copy re-saved by "
                "PDFium, which repaired it")
        try:
            return _read(copy, source, n_pages, [note], s, predicates)
        except Refused as again:
            raise UnreadableDocument(
                source, f"corrupt PDF ({why}; even after repair by PDFium: {again})"
            ) from None


def _read(path: Path, source: str, n_pages: int, notes: list[str], s: PdfSettings,
          p: Predicates) -> PdfContent:
    warnings: list[str] = list(notes)
    # a long PDF: pages read in parallel processes, the same tables (extractors/pdf/parallel.py)
    parts, state = read_pages_parallel(path, source, "lines", warnings, s, p, n_pages,
                                       serial=read_pages)
    grids = stitch(parts, s, p, warnings)
    if state.text_pages:
        pages = ", ".join(map(str, state.text_pages))
        warnings.append(f"tables without vertical rules (page {pages}): columns guessed from "
                        "text alignment (text strategy)")
    if not grids:
        warnings = list(notes)  # the second pass reads every page again: its own warnings only
        parts, state = read_pages_parallel(path, source, "text", warnings, s, p, n_pages,
                                           serial=read_pages)
        grids = [g for g in stitch(parts, s, p, warnings) if p.is_plan_table(g)]
        for i, g in enumerate(grids):
            g.table_index = i
        if grids:
            warnings.append(
                "no ruled tables found: columns guessed from text alignment (text strategy)"
            )
    return PdfContent(
        tables=grids, title=title(state.first_lines, p.is_heading),
        lines=[ln.text for ln in state.first_lines], pages=n_pages, warnings=warnings,
    )
