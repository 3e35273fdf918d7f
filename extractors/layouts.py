"""Table grids -> target records, columns found by meaning (CONTRACT section 3).

Layout A (annual-target table): 序号 | 工作任务 | 现状 | 主要工作举措 | 相关工作目标(指标)
| 年度目标 -> 2016年 ... 2020年: one record per (row, year, scope).
Layout B (key-indicator table): 类别 | 序号 | 指标 | 单位 | <base>年 | <target>年 |
年均增长 | 属性: one record per row for the target year.

Also home of the section-heading convention shared by the DOCX and PDF readers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractors.records import GridCell, TableGrid, TargetRecord
from extractors.targets import parse_target

# --------------------------------------------------------------------------- headings

_HEADING_NUMBER = re.compile(
    r"^(?:\d{1,2}[.、](?!\d)"  # 1.  1、
    r"|\((?:[一二三四五六七八九十]{1,3}|\d{1,2})\)"  # (一)  (1)   (NFKC of （一）)
    r"|[一二三四五六七八九十]{1,3}、"  # 一、
    r"|第[一二三四五六七八九十百\d]{1,4}[章节篇部分])"  # 第一章
)
MAX_HEADING_CHARS = 40
_SENTENCE_PUNCT = re.compile(r"[。;!?]")


def is_section_heading(text: str) -> bool:
    """A short normalised line that starts with a section number (conventions)."""
    return (
        0 < len(text) <= MAX_HEADING_CHARS
        and _HEADING_NUMBER.match(text) is not None
        and _SENTENCE_PUNCT.search(text) is None
        and len(_HEADING_NUMBER.sub("", text, count=1).strip()) > 0
    )


# --------------------------------------------------------------------------- headers

_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_BASE_WORDS = ("基数", "基期", "现状", "基准", "实际")
_NOT_YEAR_WORDS = ("增长", "累计", "年均", "至", "-", "~", "～", "—")
_HEADER_WORDS = (
    "序号", "编号", "任务", "现状", "举措", "目标", "指标", "单位", "属性", "类别",
    "增长", "累计", "基数", "基期", "备注", "内容", "名称", "年度", "责任", "性质",
)
_HEADER_YEAR = re.compile(r"^(?:19|20)\d{2}年?(?:目标值?|基数|基期|现状|预期)?$")
MAX_HEADER_ROWS = 3
MAX_INDICATOR_CHARS = 30
_LIST_START = re.compile(r"^(?:[一二三四五六七八九十]+是|[0-9一二三四五六七八九十]+[.、)]|\([一二三四五六七八九十\d]{1,3}\))")


# A year in Chinese numerals (二〇一六年, 二零二〇年度), as formal headers write it.
_CN_YEAR = re.compile(r"[一二][〇零○O一二三四五六七八九]{3}(?=年)")
_CN_YEAR_DIGITS = str.maketrans("〇零○O一二三四五六七八九", "0000123456789")


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _header_text(text: str) -> str:
    """A header cell without whitespace, years in Chinese numerals as digits."""
    t = _compact(text)
    return _CN_YEAR.sub(lambda m: m.group().translate(_CN_YEAR_DIGITS), t) if "年" in t else t


def _is_header_like(text: str) -> bool:
    t = _header_text(text)
    if not t or len(t) > 40:
        return False
    return _HEADER_YEAR.match(t) is not None or any(w in t for w in _HEADER_WORDS)


def _new_cells(row: list[GridCell], r: int) -> list[GridCell]:
    """Cells that start in row ``r`` (each merged cell once)."""
    out: list[GridCell] = []
    for cell in row:
        if cell.origin[0] == r and (not out or out[-1] is not cell):
            out.append(cell)
    return out


def _header_span(grid: TableGrid) -> tuple[int, int]:
    """(first header row, number of header rows); (0, 0) when there is none."""
    for start in range(min(MAX_HEADER_ROWS, grid.n_rows)):
        cells = [c for c in _new_cells(grid.rows[start], start) if c.text]
        if sum(_is_header_like(c.text) for c in cells) >= 2:
            break
    else:
        return 0, 0
    end = start + 1
    while end < min(grid.n_rows, start + MAX_HEADER_ROWS):
        cells = [c for c in _new_cells(grid.rows[end], end) if c.text]
        if not cells or not all(_is_header_like(c.text) for c in cells):
            break
        end += 1
    return start, end - start


def header_paths(grid: TableGrid, start: int, count: int) -> list[str]:
    """Each column's header flattened into a path, e.g. ``年度目标/2016年``."""
    paths: list[str] = []
    for c in range(grid.n_cols):
        parts: list[str] = []
        prev: GridCell | None = None
        for r in range(start, start + count):
            cell = grid.rows[r][c]
            if cell is not prev and cell.text:
                parts.append(_header_text(cell.text))
            prev = cell
        paths.append("/".join(parts))
    return paths


# --------------------------------------------------------------------------- layout


@dataclass
class Layout:
    """Where the meaningful columns of a plan table are."""

    kind: str  # "A" or "B"
    header_start: int
    header_rows: int
    seq_col: int | None = None
    task_col: int | None = None
    indicator_col: int | None = None
    unit_col: int | None = None
    binding_col: int | None = None
    year_cols: list[tuple[int, int]] = field(default_factory=list)  # (column, year) targets
    base_col: int | None = None
    base_year: int | None = None

    @property
    def first_data_row(self) -> int:
        return self.header_start + self.header_rows


def _year_of(path: str) -> tuple[int | None, bool]:
    """(year, is_base) of a column header path; year None when not a year column.

    The year is the leaf's when the leaf names one (a group header over the year
    columns may name the period: ``2016-2020年年度目标/2016年``), else the path's.
    """
    leaf = path.split("/")[-1]
    where = leaf if _YEAR.search(leaf) else path
    years = set(_YEAR.findall(where))
    if len(years) != 1 or any(w in where for w in _NOT_YEAR_WORDS):
        return None, False
    return int(years.pop()), any(w in path for w in _BASE_WORDS)


def _first(paths: list[str], pred) -> int | None:
    return next((i for i, p in enumerate(paths) if p and pred(p)), None)


def _is_indicator_a(p: str) -> bool:
    return "工作目标" in p or "目标(指标)" in p or "目标指标" in p


def _is_indicator_b(p: str) -> bool:
    leaf = p.split("/")[-1]
    return "指标" in leaf and not _is_indicator_a(p) and "属性" not in leaf and not _YEAR.search(p)


def _is_unit(p: str) -> bool:
    leaf = p.split("/")[-1]
    return leaf.startswith("单位") or leaf in ("计量单位", "计算单位")


def detect_layout(grid: TableGrid) -> Layout | None:
    """Layout A or B of a grid, or None when it is not a plan table."""
    if grid.n_rows < 2 or grid.n_cols < 3:
        return None
    start, count = _header_span(grid)
    if count == 0 or start + count >= grid.n_rows:
        return None
    paths = header_paths(grid, start, count)
    years: list[tuple[int, int, bool]] = []  # (col, year, is_base)
    prev_cell: GridCell | None = None
    for c, p in enumerate(paths):
        cell = grid.rows[start + count - 1][c]
        year, is_base = _year_of(p)
        if year is not None and cell is not prev_cell:
            years.append((c, year, is_base))
        prev_cell = cell
    if not years:
        return None
    seq = _first(paths, lambda p: "序号" in p or p.split("/")[-1] == "编号")
    unit = _first(paths, _is_unit)
    ind_b = _first(paths, _is_indicator_b)
    if ind_b is not None and unit is not None:
        return _layout_b(start, count, paths, years, seq, ind_b, unit)
    task = _first(paths, lambda p: "任务" in p.split("/")[-1])
    ind_a = _first(paths, _is_indicator_a)
    targets = [(c, y) for c, y, base in years if not base]
    if targets and (task is not None or ind_a is not None):
        targets.sort(key=lambda cy: (cy[1], cy[0]))
        return Layout("A", start, count, seq_col=seq, task_col=task, indicator_col=ind_a,
                      year_cols=targets)
    return None


def _layout_b(start, count, paths, years, seq, ind, unit) -> Layout | None:
    """Key-indicator table: the base-year column (marked 基数/基期/…, else the first
    year when there are only two, or when it ends a five-year period (a multiple
    of 5) and the next year has a column, as 2015 before annual targets 2016-2020)
    and one target column per other year (annual targets across the columns,
    2016年 … 2020年, give one record each; so do targets five years apart, 2025年 |
    2030年 | 2035年)."""
    base = [y for y in years if y[2]]
    others = [y for y in years if not y[2]]
    if not base and len(others) >= 2:
        first = min(others, key=lambda y: y[1])
        annual_after = any(y[1] == first[1] + 1 for y in others)
        if len(others) == 2 or (first[1] % 5 == 0 and annual_after):
            base, others = [first], [y for y in others if y is not first]
    if not others:
        return None
    by_year = {y: c for c, y, _ in sorted(others, key=lambda y: y[0])}  # a repeated year: last column
    binding = _first(paths, lambda p: "属性" in p or p.split("/")[-1] == "性质")
    return Layout(
        "B", start, count, seq_col=seq, indicator_col=ind, unit_col=unit, binding_col=binding,
        year_cols=[(c, y) for y, c in sorted(by_year.items())],
        base_col=base[0][0] if base else None, base_year=base[0][1] if base else None,
    )


# --------------------------------------------------------------------------- records


def _cell_text(grid: TableGrid, r: int, c: int | None) -> str | None:
    """Text of a cell ("" when empty), None when the table has no such column."""
    return None if c is None else grid.rows[r][c].text


def indicator_name_a(indicator: str | None, task: str | None) -> str:
    """相关工作目标(指标) when it names a measure, else 工作任务 (conventions)."""
    if indicator and (
        len(indicator) <= MAX_INDICATOR_CHARS
        and not _SENTENCE_PUNCT.search(indicator)
        and not _LIST_START.match(indicator)
    ):
        return indicator
    return task or indicator or ""


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


def _row_context(grid: TableGrid, layout: Layout, r: int) -> _RowContext | None:
    row = grid.rows[r]
    if layout.kind == "A":
        task = _cell_text(grid, r, layout.task_col)
        name = indicator_name_a(_cell_text(grid, r, layout.indicator_col), task)
        ctx = _RowContext(_cell_text(grid, r, layout.seq_col), task, name)
        label_cols = (layout.seq_col, layout.task_col, layout.indicator_col)
    else:
        unit = _cell_text(grid, r, layout.unit_col) or None
        name = _cell_text(grid, r, layout.indicator_col) or ""
        if not name:
            return None
        ctx = _RowContext(
            _cell_text(grid, r, layout.seq_col), "", name, unit,
            _number(_cell_text(grid, r, layout.base_col), unit),
            _cell_text(grid, r, layout.binding_col) or None,
        )
        label_cols = (layout.seq_col, layout.indicator_col)
    labels = [row[c] for c in label_cols if c is not None]
    # a spanning row (category or note) covers the target columns too: not a data row
    if any(row[c] is lab for c, _ in layout.year_cols for lab in labels):
        return None
    return ctx


def layout_records(
    grid: TableGrid, layout: Layout, *, plan_id: str, source_file: str
) -> list[TargetRecord]:
    """Target records of a plan table, in row, year, scope order."""
    out: list[TargetRecord] = []
    for r in range(layout.first_data_row, grid.n_rows):
        ctx = _row_context(grid, layout, r)
        if ctx is None:
            continue
        for c, year in layout.year_cols:
            text = grid.rows[r][c].text
            if not text:
                continue
            for pt in parse_target(text, ctx.indicator_name, default_unit=ctx.unit):
                out.append(TargetRecord(
                    plan_id=plan_id, source_file=source_file, source_page=grid.page_of(r),
                    source_table=grid.table_index, source_row=r, section=grid.section,
                    task_no=ctx.task_no, task_name=ctx.task_name,
                    indicator_name=ctx.indicator_name, year=year, scope=pt.scope,
                    target_text=text, comparator=pt.comparator, target_value=pt.value,
                    target_value_high=pt.value_high, target_unit=pt.unit, layout=layout.kind,
                    indicator_unit=ctx.unit, baseline_value=ctx.baseline,
                    baseline_year=layout.base_year if ctx.baseline is not None else None,
                    binding=ctx.binding, extraction=grid.strategy,
                ))
    return out


def table_records(grid: TableGrid, *, plan_id: str, source_file: str) -> list[TargetRecord] | None:
    """Records of a grid, or None when the grid is neither layout A nor B."""
    layout = detect_layout(grid)
    if layout is None:
        return None
    return layout_records(grid, layout, plan_id=plan_id, source_file=source_file)
