"""Table grids -> target records, columns found by meaning (CONTRACT section 3).

- ``headings``: the section-heading convention shared by the DOCX and PDF readers;
- ``columns``: header rows, column roles (extractors.vocabulary + content) and
  the layout (A: annual targets, B: key indicators) of a grid;
- ``reading``: a grid -> target records, and the fate of each of its cells for
  the cell ledger.
"""

from extractors.layouts.columns import (
    MAX_INDICATOR_CHARS,
    Column,
    PlanLayout,
    Reading,
    detect_layout,
    header_paths,
    header_span,
    is_header_like,
    is_target_like,
    read_table,
)
from extractors.layouts.headings import MAX_HEADING_CHARS, is_section_heading
from extractors.layouts.reading import (
    PlanLedger,
    TableResult,
    indicator_name_a,
    layout_records,
    read_plan_table,
    table_records,
)

__all__ = [
    "MAX_HEADING_CHARS", "MAX_INDICATOR_CHARS", "Column", "PlanLayout", "PlanLedger", "Reading", "TableResult",
    "detect_layout", "header_paths", "header_span", "indicator_name_a", "is_header_like",
    "is_section_heading", "is_target_like", "layout_records", "read_plan_table", "read_table",
    "table_records",
]
