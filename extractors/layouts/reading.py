"""A plan table -> target records, and the fate of each of its cells.

``read_plan_table`` gives the records of one grid together with its view and
fates for the cell ledger (extractors.ledger): every non-empty cell (a merged
cell once, at its top-left position) is in a record, structural, or an issue.
A table that looks like a plan table but gives no record is an issue, cell by
cell, never silence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractors.layouts.columns import (
    MAX_INDICATOR_CHARS,
    PlanLayout,
    Reading,
    header_text,
    is_target_like,
    read_table,
)
from extractors.layouts.headings import SENTENCE_PUNCT
from extractors.ledger import Fate, Ledger, TableView
from extractors.numbers import find_numbers, unit_in_parentheses
from extractors.records import IngestIssue, TableGrid, TargetRecord
from extractors.relative import Relative, growth_column_relative
from extractors.targets import parse_target
from extractors.vocabulary import PLAN_GLOSS

_LIST_START = re.compile(r"^(?:[一二三四五六七八九十]+是|[0-9一二三四五六七八九十]+[.、)]|\([一二三四五六七八九十\d]{1,3}\))")
_DASH = re.compile(r"^[\s\-‐‑‒–—―─━−﹣/\\…⋯.·无]+$")


def indicator_name_a(indicator: str | None, task: str | None) -> str:
    """相关工作目标(指标) when it names a measure, else 工作任务 (conventions)."""
    if indicator and (
        len(indicator) <= MAX_INDICATOR_CHARS
        and not SENTENCE_PUNCT.search(indicator)
        and not _LIST_START.match(indicator)
    ):
        return indicator
    return task or indicator or ""


def _has_number(text: str) -> bool:
    return is_target_like(text) or any(n.kind == "number" for n in find_numbers(text))


def _grid_cell_text(grid: TableGrid, r: int, c: int | None, first_body: int = 0) -> str | None:
    """Text of a cell ("" when empty or when it is a header cell merged down into
    the body), None when the table has no such column."""
    if c is None:
        return None
    cell = grid.rows[r][c]
    return cell.text if cell.origin[0] >= first_body else ""


def _number(text: str | None, unit: str | None) -> object:
    """The single number of a baseline cell, else None."""
    if not text:
        return None
    parsed = parse_target(text, "", default_unit=unit)
    if len(parsed) == 1 and parsed[0].comparator not in ("milestone", "between"):
        return parsed[0].value
    return None


@dataclass
class _RowContext:
    task_no: str | None
    task_name: str | None
    indicator_name: str
    unit: str | None = None
    baseline: object = None
    binding: str | None = None
    growth: Relative | None = None  # layout B's 年均增长[累计] cell, read as a relative target


def _row_context(grid: TableGrid, layout: PlanLayout, r: int) -> tuple[_RowContext | None, str]:
    """The labels of a body row, or (None, why) for a row that is not a data row."""
    row = grid.rows[r]
    fb = layout.first_data_row
    # the unit column's cell, else a unit in parentheses after the indicator (失业率(%))
    unit = _grid_cell_text(grid, r, layout.unit_col, fb) or unit_in_parentheses(
        _grid_cell_text(grid, r, layout.indicator_col, fb)) or None
    if layout.kind == "A":
        task = _grid_cell_text(grid, r, layout.task_col, fb)
        name = indicator_name_a(_grid_cell_text(grid, r, layout.indicator_col, fb), task)
        ctx = _RowContext(_grid_cell_text(grid, r, layout.seq_col, fb), task, name, unit)
        label_cols = (layout.seq_col, layout.task_col, layout.indicator_col)
    else:
        name = _grid_cell_text(grid, r, layout.indicator_col, fb) or ""
        base_unit = unit or (layout.columns[layout.base_col].unit if layout.base_col is not None
                             and layout.base_col < len(layout.columns) else None)
        ctx = _RowContext(
            _grid_cell_text(grid, r, layout.seq_col, fb), "", name, unit,
            _number(_grid_cell_text(grid, r, layout.base_col, fb), base_unit),
            _grid_cell_text(grid, r, layout.binding_col, fb) or None,
            _growth(grid, layout, r, name, unit),
        )
        label_cols = (layout.seq_col, layout.indicator_col)
    labels = [row[c] for c in label_cols if c is not None]
    # a spanning row (category or note) covers the target columns too: not a data row
    if any(row[c] is lab for c, _ in layout.year_cols for lab in labels):
        return None, "section"
    if layout.kind == "B" and not ctx.indicator_name:
        return None, "no_name"
    return ctx, ""


def _growth(grid: TableGrid, layout: PlanLayout, r: int, name: str,
            unit: str | None) -> Relative | None:
    """The relative target of row ``r``'s growth column (年均增长, 累计), or None."""
    for col in layout.columns:
        if col.role != "growth" or col.index >= grid.n_cols:
            continue
        text = _grid_cell_text(grid, r, col.index, layout.first_data_row)
        if text and not _DASH.match(text):
            rel = growth_column_relative(text, col.path or "", name, unit)
            if rel is not None:
                return rel
    return None


def layout_records(
    grid: TableGrid, layout: PlanLayout, *, plan_id: str, source_file: str
) -> list[TargetRecord]:
    """Target records of a plan table, in row, year, scope order."""
    return _records(grid, layout, plan_id, source_file)[0]


def _records(grid: TableGrid, layout: PlanLayout, plan_id: str, source_file: str):
    """(records, row contexts by row, origins of the cells that gave a record)."""
    out: list[TargetRecord] = []
    produced: set[tuple[int, int]] = set()
    contexts: dict[int, tuple[_RowContext | None, str]] = {}
    header = _header_words(grid, layout)
    col_units = {c.index: c.unit for c in layout.columns if c.unit}
    last_year = max((y for _, y in layout.year_cols), default=None)
    for r in range(layout.first_data_row, grid.n_rows):
        ctx, why = _row_context(grid, layout, r)
        if ctx is not None and _is_repeated_header(grid, layout, r, header):
            ctx, why = None, "repeated header"
        contexts[r] = (ctx, why)
        if ctx is None:
            continue
        for c, year in layout.year_cols:
            text = _grid_cell_text(grid, r, c, layout.first_data_row)
            if not text:
                continue
            unit = ctx.unit or col_units.get(c)  # else a unit the year header gives: 2020年(%)
            parsed = parse_target(text, ctx.indicator_name, default_unit=unit)
            if parsed:
                produced.add(grid.rows[r][c].origin)
            for pt in parsed:
                rel = (pt.relative_kind, pt.relative_value, pt.relative_reference)
                if rel[0] is None and _growth_applies(ctx.growth, year, last_year):
                    g = ctx.growth
                    rel = (g.kind, g.value, g.reference)
                out.append(TargetRecord(
                    plan_id=plan_id, source_file=source_file, source_page=grid.page_of(r),
                    source_table=grid.table_index, source_row=r, section=grid.section,
                    task_no=ctx.task_no, task_name=ctx.task_name,
                    indicator_name=ctx.indicator_name, year=year, scope=pt.scope,
                    target_text=text, comparator=pt.comparator, target_value=pt.value,
                    target_value_high=pt.value_high, target_unit=pt.unit, layout=layout.kind,
                    indicator_unit=unit, baseline_value=ctx.baseline,
                    baseline_year=layout.base_year if ctx.baseline is not None else None,
                    binding=ctx.binding, extraction=grid.strategy,
                    relative_kind=rel[0], relative_value=rel[1], relative_reference=rel[2],
                ))
    return out, contexts, produced


def _growth_applies(growth: Relative | None, year: int, last_year: int | None) -> bool:
    """A growth cell is the relative reading of a target cell that states none: an
    annual rate holds for every year; a change over the period for its end year only."""
    if growth is None:
        return False
    return growth.kind == "annual_rate" or year == last_year


# --------------------------------------------------------------------------- ledger


@dataclass
class TableResult:
    """One grid as read: its records (None when it is no plan table), its view and
    the fate of each of its cells, and the issues among them."""

    records: list[TargetRecord] | None
    view: TableView
    cells: list[tuple] = field(default_factory=list)  # Fate fields, built into Fates on demand
    issues: list[IngestIssue] = field(default_factory=list)  # each with issue fates
    layout: PlanLayout | None = None
    notices: list[IngestIssue] = field(default_factory=list)  # warnings about the whole table

    @property
    def fates(self) -> list[Fate]:
        return [Fate(*x) for x in self.cells]


def _cell(t: int, r: int, c: int, fate: str, role: str, text: str | None,
          reason: str | None = None) -> tuple:
    """One cell's fate as a tuple of Fate's first fields (a Fate costs ~2 µs to build and
    a large plan has hundreds of thousands of cells; see PlanLedger)."""
    return (t, r, c, fate, role, reason, text)


class PlanLedger(Ledger):
    """A ``Ledger`` whose single-cell fates are kept as tuples until first read:
    ``extract`` pays for the ledger only when someone looks at it."""

    def __init__(self, source_file: str):
        self._pending: list[tuple] = []
        self._fates: list[Fate] = []
        super().__init__(source_file)

    @property
    def fates(self) -> list[Fate]:  # type: ignore[override]
        if self._pending:
            self._fates.extend(Fate(*x) for x in self._pending)
            self._pending = []
        return self._fates

    @fates.setter
    def fates(self, value: list[Fate]) -> None:
        self._fates = list(value)

    def add_cells(self, cells: list[tuple]) -> None:
        self._pending.extend(cells)


def _where(grid: TableGrid, r: int | None = None, c: int | None = None) -> str:
    page = grid.page_of(r if r is not None and r >= 0 else 0)
    parts = [f"page {page}"] if page is not None else []
    parts.append(f"table {grid.table_index}")
    if r is not None:
        parts.append(f"row {r}")
    if c is not None:
        parts.append(f"column {c}")
    return ", ".join(parts)


def _origins(grid: TableGrid):
    """Each non-empty cell once: (row, col, text) at its top-left position."""
    for r, row in enumerate(grid.rows):
        for c, cell in enumerate(row):
            if cell.text and cell.origin[0] == r and cell.origin[1] == c:
                yield r, c, cell.text


def _view(grid: TableGrid, reading: Reading, kind: str) -> TableView:
    pages = tuple(sorted(set(grid.row_pages))) if grid.row_pages else ()
    non_empty = sum(1 for _ in _origins(grid)) + sum(1 for d in grid.dropped if d[1])
    header_rows = tuple(range(reading.header_start, reading.header_start + reading.header_rows))
    columns = {}
    for col in reading.columns:
        role = "base_year" if col.role == "year" and col.is_base else col.role
        gloss = PLAN_GLOSS.get(role, role)
        columns[col.index] = f"{col.describe()} — {gloss}"
    return TableView(
        table=grid.table_index, non_empty=non_empty, n_rows=grid.n_rows, n_cols=grid.n_cols,
        kind=kind, pages=pages, header_rows=header_rows, columns=columns,
        continuations=list(grid.continuations),
    )


def _dropped_fates(grid: TableGrid) -> list[tuple]:
    """Cells the reader removed while stitching (repeated headers): structural."""
    out = []
    for i, (page, text, why) in enumerate(grid.dropped):
        if text:
            where = f"page {page}: " if page is not None else ""
            out.append(_cell(grid.table_index, -1, i, "structural", "dropped", text,
                             reason=f"{where}{why}"))
    return out


def _continues(grid: TableGrid, reading: Reading, previous: TableResult | None,
               previous_grid: TableGrid | None) -> PlanLayout | None:
    """The previous table's layout (without header rows) when ``grid`` reads as its
    continuation: no header of its own, right after a plan table of the same
    section with the same number of columns, and short cells (targets, not prose)
    in that table's target columns. The PDF and DOCX readers join most continued
    tables; this catches a split they left (a Word table split in two, a page
    whose table edges moved)."""
    if (reading.header_rows or previous is None or previous.layout is None
            or previous_grid is None or previous_grid.table_index != grid.table_index - 1
            or previous_grid.n_cols != grid.n_cols or previous_grid.section != grid.section):
        return None
    layout = previous.layout
    texts = [grid.rows[r][c].text for r in range(grid.n_rows) for c, _ in layout.year_cols
             if grid.rows[r][c].text]
    if not texts or not any(is_target_like(x) for x in texts) or sum(len(x) > 40 for x in texts) * 2 > len(texts):
        return None
    return PlanLayout(**{**layout.__dict__, "header_start": 0, "header_rows": 0})


def read_plan_table(grid: TableGrid, *, plan_id: str, source_file: str,
                    previous: TableResult | None = None,
                    previous_grid: TableGrid | None = None) -> TableResult:
    """Records of a grid with the fate of every one of its non-empty cells.

    ``previous`` (and its grid) is the result of the table just before, for a
    table without header that continues it."""
    reading = read_table(grid)
    layout = reading.layout
    t = grid.table_index
    continued = None
    if layout is None:
        layout = continued = _continues(grid, reading, previous, previous_grid)
        if continued is not None:
            reading = Reading(continued, 0, 0, continued.columns, "continuation")
    if layout is None:
        if reading.plan_like is None:
            view = _view(grid, reading, "not a plan table")
            fates = [_cell(t, r, c, "structural", "not a plan table", text)
                     for r, c, text in _origins(grid)]
            return TableResult(None, view, fates + _dropped_fates(grid))
        reason = (f"looks like a plan table ({reading.plan_like}) but no target was read: "
                  f"{reading.why_not}")
        view = _view(grid, reading, "plan-like, unread")
        view.notes.append(reason)
        fates = [_cell(t, r, c, "issue", "unread", text, reason) for r, c, text in _origins(grid)]
        issue = IngestIssue(source_file, _where(grid), "warning",
                            f"{reason} ({len(fates)} cells not loaded)", check="plan table")
        return TableResult(None, view, fates + _dropped_fates(grid), [issue])

    records, contexts, produced = _records(grid, layout, plan_id, source_file)
    view = _view(grid, reading, f"layout {layout.kind}")
    notices: list[IngestIssue] = []
    if continued is not None:
        note = (f"no header: read as a continuation of table {t - 1} (same {grid.n_cols} columns, "
                f"same section, targets in its year columns)")
        view.kind += f", continuing table {t - 1}"
        view.continuations.append(note)
        notices.append(IngestIssue(source_file, _where(grid), "warning", note, check="continuation"))
    if layout.base_year is not None:
        view.notes.append(f"base year {layout.base_year} (column {layout.base_col})")
    rows_with_records = {rec.source_row for rec in records}
    fates: list[tuple] = []
    issues: list[IngestIssue] = []

    def issue(r: int, c: int, text: str, role: str, reason: str) -> None:
        fates.append(_cell(t, r, c, "issue", role, text, reason))
        issues.append(IngestIssue(source_file, _where(grid, r, c), "warning",
                                  f"{reason}: {text[:60]!r}", check="plan table"))

    target_cols = {c for c, _ in layout.year_cols}
    roles = [layout.role_of(c) for c in range(grid.n_cols)]
    for r, c, text in _origins(grid):
        if r < layout.header_start:
            fates.append(_cell(t, r, c, "structural", "title", text))
            continue
        if r < layout.first_data_row:
            fates.append(_cell(t, r, c, "structural", "header", text))
            continue
        if (r, c) in produced:
            fates.append(_cell(t, r, c, "record", "target", text))
            continue
        ctx, why = contexts[r]
        role = roles[c]
        if ctx is None and why == "section":
            fates.append(_cell(t, r, c, "structural", "section row", text))
            continue
        if ctx is None and why == "repeated header":
            fates.append(_cell(t, r, c, "structural", "repeated header", text))
            continue
        if role == "target" or c in target_cols:
            if _DASH.match(text):
                fates.append(_cell(t, r, c, "structural", "no target (dash)", text))
            elif ctx is None:
                issue(r, c, text, "target", "a target in a row without an indicator name")
            else:
                issue(r, c, text, "target", "a target cell that gave no record")
            continue
        if role == "base_year":
            if layout.kind == "B" and ctx is not None and ctx.baseline is not None \
                    and r in rows_with_records:
                fates.append(_cell(t, r, c, "record", "baseline", text))
            elif _DASH.match(text):
                fates.append(_cell(t, r, c, "structural", "baseline (dash)", text))
            elif layout.kind == "A":
                fates.append(_cell(t, r, c, "structural", "base-year value (layout A keeps none)",
                                       text))
            else:
                issue(r, c, text, "baseline", "base-year value not read as one number")
            continue
        if (role in ("values", "target_group") and _has_number(text)) or (
                role == "numbers" and not layout.columns[c].path):
            issue(r, c, text, "values", "a target-like value under a header that names no year "
                                        f"({layout.columns[c].path or 'no header'})")
            continue
        # any other body cell gives the row its labels (seq, task, indicator, unit,
        # binding) or is text that is no target (status quo, measures, notes, …)
        fates.append(_cell(t, r, c, "structural", role, text))
    return TableResult(records, view, fates + _dropped_fates(grid), issues, layout, notices)



def _header_words(grid: TableGrid, layout: PlanLayout) -> set[str]:
    return {header_text(grid.rows[r][c].text)
            for r in range(layout.header_start, layout.first_data_row)
            for c in range(grid.n_cols)} - {""}


def _is_repeated_header(grid: TableGrid, layout: PlanLayout, r: int, header: set[str]) -> bool:
    """A body row that repeats the header's words (a continued table's header)."""
    row = grid.rows[r]
    label = next((c for c in (layout.indicator_col, layout.task_col, layout.seq_col)
                  if c is not None and row[c].text), None)
    if label is not None and row[label].text not in header and header_text(row[label].text) not in header:
        return False  # fast path: a repeated header repeats its label column's header
    texts = [cell.text for c, cell in enumerate(row) if cell.origin == (r, c) and cell.text]
    if len(texts) < 2:
        return False
    need = max(2, len(texts) - 1)
    misses = 0
    for t in texts:
        if t not in header and header_text(t) not in header:
            misses += 1
            if len(texts) - misses < need:
                return False
    return True


def table_records(grid: TableGrid, *, plan_id: str, source_file: str) -> list[TargetRecord] | None:
    """Records of a grid, or None when the grid is neither layout A nor B."""
    layout = read_table(grid).layout
    if layout is None:
        return None
    return layout_records(grid, layout, plan_id=plan_id, source_file=source_file)
