"""Every tolerance of the PDF reader in one place, and the plan meaning it is given.

As in pdfplumber's ``table.py``: the reader is a chain of small pure functions,
each taking the settings it needs. What a table, a header or a heading *means*
for plans is not known here: it comes in as ``Predicates`` (bound to
``extractors.layouts`` by ``extractors.pdf_tables``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from extractors.continuation import StitchSettings
from extractors.records import TableGrid


def _lines() -> dict:
    return {"vertical_strategy": "lines", "horizontal_strategy": "lines"}


def _text() -> dict:
    return {"vertical_strategy": "text", "horizontal_strategy": "text"}


@dataclass(frozen=True)
class PdfSettings:
    # grids
    edge_tol: float = 2.0  # points: rectangle edges closer than this are one grid boundary
    x_tol: float = 3.0  # points: pdfplumber's x/y tolerance when joining chars into text
    y_tol: float = 3.0
    # page furniture
    margin: float = 0.08  # top/bottom share of a page where page numbers and running heads live
    cid_max_share: float = 0.05  # (cid:N) glyphs beyond this share of a page: unreadable
    first_lines: int = 40  # lines outside tables kept for the title and period
    # superscript footnote numbers
    super_size: float = 0.75  # a digit this much smaller than its cell's text, and raised,
    super_rise: float = 0.2  # its bottom above the text's bottom by this share of the size
    # three-line tables (horizontal rules only)
    min_rule_share: float = 0.3  # their rules span at least this share of the page width
    rule_tol: float = 3.0  # points: rules with the same x extent (within this) are one run
    max_first: int = 4  # rules below a table's top rule tried as the end of its first stretch
    # continued tables
    stitch: StitchSettings = field(default_factory=StitchSettings)
    # pdfplumber table settings of the two passes
    lines_strategy: dict = field(default_factory=_lines)
    text_strategy: dict = field(default_factory=_text)


@dataclass(frozen=True)
class Predicates:
    """Plan meaning, passed in."""

    is_plan_table: Callable[[TableGrid], bool]  # the grid is a plan table (a layout reads it)
    is_heading: Callable[[str], bool]  # a normalised line is a section heading
    opens_table: Callable[[list[str]], bool]  # a row's texts are a plan table's header
    # a cell text is a whole value on its own (a target with a number), see
    # extractors.continuation.value_columns
    is_whole_value: Callable[[str], bool] = lambda _t: False


NO_MEANING = Predicates(lambda _g: True, lambda _t: False, lambda _r: False)
