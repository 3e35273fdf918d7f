"""The PDF reader (``extractors.pdf``) with plan meaning bound in.

``extractors.pdf`` knows geometry and text only; what makes a plan table, a
section heading or a plan table's header row comes from ``extractors.layouts``
and is passed in here as predicates. Importers use ``read_pdf`` from here.
"""

from __future__ import annotations

from pathlib import Path

from extractors.docx_tables import opens_plan_table
from extractors.layouts import detect_layout, is_section_heading
from extractors.pdf import PdfContent, PdfSettings, Predicates
from extractors.pdf import read_pdf as _read_pdf
from extractors.records import TableGrid
from extractors.targets import parse_target


def is_plan_table(grid: TableGrid) -> bool:
    return detect_layout(grid) is not None


def is_whole_target(text: str) -> bool:
    """A target cell complete on its own: one target with a number (``120个以上``,
    ``≤5%``, ``18至21%``), not a comparator word cut from its number (``下降到``)."""
    parsed = parse_target(text)
    return len(parsed) == 1 and parsed[0].value is not None


PLAN = Predicates(is_plan_table=is_plan_table, is_heading=is_section_heading,
                  opens_table=opens_plan_table, is_whole_value=is_whole_target)


def read_pdf(path: str | Path, settings: PdfSettings | None = None) -> PdfContent:
    """Tables (stitched, with section and page of each row), title and first lines of a PDF."""
    return _read_pdf(path, PLAN, settings)


__all__ = ["PLAN", "PdfContent", "PdfSettings", "read_pdf"]
