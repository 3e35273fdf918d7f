"""Plain data types shared by the extractors, the warehouse loaders and the checks.

Everything here is a dataclass over builtin types (and ``Decimal`` for exact
numbers) so that the core stays free of Dagster and of any database.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal

from extractors.ledger import Ledger

COMPARATORS = (">=", "<=", ">", "<", "=", "between", "about", "milestone")
NUMERIC_COMPARATORS = tuple(c for c in COMPARATORS if c != "milestone")
CITY_SCOPE = "全市"  # whole city: the default target scope
# Columns of a statistics frame (extractors.stats -> expectations -> warehouse.load).
STAT_FRAME_COLUMNS = ("metric_code", "district_code", "year", "value", "unit", "source_file",
                      "location")


# --------------------------------------------------------------------------- errors


class PlanwhError(Exception):
    """Base class: a failure with a file and, where known, a location."""

    def __init__(self, source_file: str, reason: str, location: str | None = None):
        self.source_file = source_file
        self.reason = reason
        self.location = location
        where = f"{source_file}" + (f" ({location})" if location else "")
        super().__init__(f"{where}: {reason}")


class UnreadableDocument(PlanwhError):
    """A plan document that cannot be opened or has no text layer."""


class NoPlanTable(PlanwhError):
    """A readable plan document without any recognisable plan table."""


class UnreadableStatsFile(PlanwhError):
    """A statistics file that cannot be opened or has no recognisable layout."""


class UnknownDistrict(PlanwhError):
    """A district name that resolves to no district valid in the row's year."""


class BadReference(PlanwhError):
    """A reference file (districts, metrics, indicator_metrics) that is invalid."""


# --------------------------------------------------------------------------- tables


@dataclass
class GridCell:
    """One position of a table grid.

    A merged region repeats the same ``GridCell`` object in every position it
    covers; ``origin`` is the (row, col) of its top-left position, so a covered
    position is one whose ``origin`` differs from its own index.
    """

    text: str  # normalised (NFKC, CJK line-wrap spaces removed, stripped)
    raw: str  # as read from the document
    origin: tuple[int, int]
    rowspan: int = 1
    colspan: int = 1


@dataclass
class TableGrid:
    """A table of a document as a rectangular grid, tables continued across
    pages already stitched into one grid."""

    rows: list[list[GridCell]]
    table_index: int  # 0-based index of the table in the document
    section: str | None = None  # nearest heading above the table
    row_pages: list[int] | None = None  # 1-based page where each row starts (PDF only)
    strategy: str = "docx"  # "docx", "lines" or "text" (pdfplumber fallback)
    context: str = ""  # text of the paragraphs between the heading and the table
    # Cells the reader removed while stitching parts into this grid (a repeated
    # header on a continuation page or Word table): (page or None, text, why).
    # The cell ledger counts them as seen and structural.
    dropped: list[tuple[int | None, str, str]] = field(default_factory=list)
    # How the grid was assembled, in words, for `planwh explain`
    # (e.g. "page 3: continues table 2 (same 7 column edges, header not repeated)").
    continuations: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_cols(self) -> int:
        return len(self.rows[0]) if self.rows else 0

    def text(self, r: int, c: int) -> str:
        return self.rows[r][c].text

    def page_of(self, r: int) -> int | None:
        return self.row_pages[r] if self.row_pages else None


# --------------------------------------------------------------------------- targets


@dataclass(frozen=True)
class ParsedTarget:
    """What one target cell (or one scope of it) means."""

    comparator: str
    value: Decimal | None
    value_high: Decimal | None
    unit: str | None
    scope: str = CITY_SCOPE
    text: str = ""
    # a relative target (extractors.relative, docs/progress.md): a change against a
    # reference the warehouse resolves per district; None for a level target
    relative_kind: str | None = None  # multiple, percent, points, annual_rate
    relative_value: Decimal | None = None  # factor or signed change
    relative_reference: str | None = None  # baseline or previous_year


@dataclass
class TargetRecord:
    """One target: indicator x year x scope, with provenance (CONTRACT section 4)."""

    plan_id: str
    source_file: str
    source_page: int | None
    source_table: int
    source_row: int
    section: str | None
    task_no: str | None
    task_name: str | None
    indicator_name: str
    year: int
    scope: str
    target_text: str
    comparator: str
    target_value: Decimal | None
    target_value_high: Decimal | None
    target_unit: str | None
    # indicator-level attributes (layout B gives them; layout A leaves them empty)
    layout: str = "A"
    indicator_unit: str | None = None
    baseline_value: Decimal | None = None
    baseline_year: int | None = None
    binding: str | None = None  # 约束性 (binding) / 预期性 (expected)
    extraction: str = "docx"  # "docx", "lines", "text"
    # a relative target (ParsedTarget's fields of the same names, passed by the reader for
    # each part of a cell; layout B's growth column too)
    relative_kind: str | None = None
    relative_value: Decimal | None = None
    relative_reference: str | None = None

    @property
    def indicator_id(self) -> str:
        """Stable id of the indicator row this target belongs to."""
        return indicator_id(self.plan_id, self.source_table, self.source_row)

    def to_dict(self) -> dict:
        # every field is a flat immutable value: a shallow copy is what asdict() gives,
        # without its recursive deep copy (a quarter of a 20,000-record frame's cost)
        d = {name: getattr(self, name) for name in _target_fields()}
        d["indicator_id"] = self.indicator_id
        return d


@functools.cache
def _target_fields() -> tuple[str, ...]:
    return tuple(f.name for f in fields(TargetRecord))


def indicator_id(plan_id: str, source_table: int, source_row: int) -> str:
    key = f"{plan_id}:{source_table}:{source_row}".encode()
    return hashlib.sha256(key).hexdigest()[:16]


@dataclass
class PlanDocument:
    """One parsed plan document (a row of dim_plan) and its target records."""

    plan_id: str
    title: str
    issuer: str | None
    period_start: int | None
    period_end: int | None
    source_file: str
    source_sha256: str
    source_format: str  # "docx" or "pdf"
    pages: int | None = None
    tables_found: int = 0  # plan tables recognised (layout A or B)
    records: list[TargetRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # e.g. text-strategy fallback
    # The cell ledger: what became of every non-empty cell of every table read
    # (extractors.ledger); its issues are also in ``issues`` and, as text, in ``warnings``.
    ledger: Ledger | None = None
    issues: list[IngestIssue] = field(default_factory=list)
    # A revision of another plan (extractors.revisions, docs/time.md): the revised plan as
    # the document names it, the date its targets take force, the sentence that says so.
    revises: str | None = None
    effective_from: date | None = None
    revision_note: str | None = None


def plan_id_from_sha256(sha256_hex: str) -> str:
    return sha256_hex[:16]


# --------------------------------------------------------------------------- reference


@dataclass(frozen=True)
class District:
    code: str
    name: str
    district_type: str  # city, district, county, county_city
    parent_code: str | None
    valid_from: date | None  # inclusive; None = open
    valid_to: date | None  # inclusive; None = open
    aliases: tuple[str, ...] = ()

    def valid_in_year(self, year: int) -> bool:
        """In force on 31 December of ``year`` (CONTRACT section 2)."""
        d = date(year, 12, 31)
        return (self.valid_from is None or self.valid_from <= d) and (
            self.valid_to is None or d <= self.valid_to
        )


@dataclass(frozen=True)
class Metric:
    code: str
    name: str
    unit: str | None
    aggregation: str  # sum or ratio
    numerator: str | None = None
    denominator: str | None = None
    scale: Decimal | None = None
    direction: str = "up"  # up or down
    tolerance: Decimal | None = None  # fraction for `about`; None = 0.05


@dataclass(frozen=True)
class IndicatorMetric:
    pattern: str  # a substring or a regex of an indicator name
    metric_code: str


# --------------------------------------------------------------------------- issues


# The district_stats suite's row rules that the statistics reader enforces itself: its
# rejections carry the rule as data (IngestIssue.check), under the suite's own names.
RULE_DISTRICT_VALID = "district_stats.district_valid_in_year"
RULE_METRIC_KNOWN = "district_stats.metric_known"
RULE_NON_NEGATIVE = "district_stats.count_non_negative"
RULE_UNIQUE_KEY = "district_stats.unique_metric_district_year"


@dataclass
class IngestIssue:
    """One rejected input item (a row of ingest_issues)."""

    source_file: str
    location: str  # e.g. "sheet 2017, row 14" or "page 3, table 1"
    severity: str  # "error" or "warning"
    reason: str
    check: str | None = None  # expectation or rule name that raised it
