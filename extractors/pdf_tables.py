"""The PDF reader (``extractors.pdf``) with plan meaning bound in.

``extractors.pdf`` knows geometry and text only; what makes a plan table, a
section heading or a plan table's header row comes from ``extractors.layouts``
and is passed in here as predicates. Importers use ``read_pdf`` from here.
"""

from __future__ import annotations

from pathlib import Path

from extractors.layouts import detect_layout, is_section_heading
from extractors.pdf import PdfContent, PdfSettings, Predicates
from extractors.pdf import read_pdf as _read_pdf
from extractors.records import GridCell, TableGrid


def is_plan_table(grid: TableGrid) -> bool:
    return detect_layout(grid) is not None


def opens_table(row: list[str]) -> bool:
    """The texts of one row are a plan table's header: the row, above a row of numbers
    standing in for data, reads as a plan table."""
    if not any(row):
        return False
    head = [GridCell(t, t, (0, c)) for c, t in enumerate(row)]
    data = [GridCell("1", "1", (1, c)) for c in range(len(row))]
    return detect_layout(TableGrid([head, data], 0)) is not None


PLAN = Predicates(is_plan_table=is_plan_table, is_heading=is_section_heading,
                  opens_table=opens_table)


def read_pdf(path: str | Path, settings: PdfSettings | None = None) -> PdfContent:
    """Tables (stitched, with section and page of each row), title and first lines of a PDF."""
    return _read_pdf(path, PLAN, settings)


__all__ = ["PLAN", "PdfContent", "PdfSettings", "opens_table", "read_pdf"]
