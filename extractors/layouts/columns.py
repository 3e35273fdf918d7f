"""Header rows and column roles of a plan table, found by meaning.

A column's role comes from its header words (``extractors.vocabulary``: the
longest word of a role found in the header path wins) and, where the header
names no role, from what the column holds: target-grammar cells, years,
numbers, short names, long sentences, sequence numbers. Year columns need a
year-like header word (``vocabulary.year_word``: ``2016``, ``2016年``,
``二〇一六年``, ``2020年目标值``; not ``备注1950``). Header rows of any depth
resolve to leaf columns with their full header path (``年度目标/2016年``).

Layout A (annual targets: 工作任务, 现状, 主要工作举措, 相关工作目标(指标) or
指标名称, years) and layout B (key indicators: 指标, 单位, base year, target
years, 年均增长, 属性) are the two readings of the same column roles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractors.layouts.headings import SENTENCE_PUNCT
from extractors.numbers import find_numbers, unit_in_parentheses
from extractors.records import GridCell, TableGrid
from extractors.vocabulary import (
    PLAN_ROLES,
    best_role,
    has_year,
    role_word,
    score_roles,
    year_word,
)

MAX_HEADER_START = 3  # title rows tolerated above the header
MAX_HEADER_ROWS = 6  # header depth
MAX_HEADER_CHARS = 40
MAX_INDICATOR_CHARS = 30

# A year in Chinese numerals (二〇一六年, 二零二〇年度), as formal headers write it.
_CN_YEAR = re.compile(r"[一二][〇零○O一二三四五六七八九]{3}(?=年)")
_CN_YEAR_DIGITS = str.maketrans("〇零○O一二三四五六七八九", "0000123456789")
_SEQ = re.compile(r"^(?:\d{1,3}|[一二三四五六七八九十]{1,3}|\(?[一二三四五六七八九十\d]{1,3}[).、]?)$")
_DASH = re.compile(r"^[\s\-‐‑‒–—―─━−﹣/\\…⋯.·]+$")
# Comparator words a target cell is written with (before or after its number).
_TARGET_WORDS = re.compile(
    r"不低于|不少于|不高于|不超过|不小于|不大于|达到|达|提高|提升|控制在|降至|降到|下降|以上|以下|以内|左右"
    r"|全覆盖|[≥≤<>%‰]"
)
_A_INDICATOR_WORDS = ("工作目标", "目标(指标)", "目标指标")


def compact(text: str) -> str:
    return "".join(text.split())


def header_text(text: str) -> str:
    """A header cell without whitespace, years in Chinese numerals as digits."""
    t = compact(text)
    return _CN_YEAR.sub(lambda m: m.group().translate(_CN_YEAR_DIGITS), t) if "年" in t else t


def is_header_like(text: str) -> bool:
    """A header word of some role, or a year header."""
    t = header_text(text)
    if not t or len(t) > MAX_HEADER_CHARS:
        return False
    return year_word(t) is not None or best_role(t, PLAN_ROLES) is not None


def is_target_like(text: str) -> bool:
    """A short cell written in the target grammar: a number with a comparator
    word, a percent sign or a unit (不低于90%, 48微克/立方米以下, 5张), or 全覆盖."""
    if not text or len(text) > 40:
        return False
    if "全覆盖" in text:
        return True
    nums = [n for n in find_numbers(text) if n.kind == "number"]
    if not nums:
        return False
    return bool(_TARGET_WORDS.search(text)) or any(n.unit for n in nums)


def new_cells(row: list[GridCell], r: int) -> list[GridCell]:
    """Cells that start in row ``r`` (each merged cell once)."""
    out: list[GridCell] = []
    for cell in row:
        if cell.origin[0] == r and (not out or out[-1] is not cell):
            out.append(cell)
    return out


def header_span(grid: TableGrid) -> tuple[int, int]:
    """(first header row, number of header rows); (0, 0) when there is none.

    The header opens at the first of the top rows with two header-like cells
    and goes on while every cell that starts in the next row is header-like.
    """
    for start in range(min(MAX_HEADER_START, grid.n_rows)):
        cells = [c for c in new_cells(grid.rows[start], start) if c.text]
        if sum(is_header_like(c.text) for c in cells) >= 2:
            break
    else:
        return 0, 0
    end = start + 1
    while end < min(grid.n_rows, start + MAX_HEADER_ROWS):
        cells = [c for c in new_cells(grid.rows[end], end) if c.text]
        if not cells or not all(is_header_like(c.text) for c in cells):
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
                parts.append(header_text(cell.text))
            prev = cell
        paths.append("/".join(parts))
    return paths


# --------------------------------------------------------------------------- content


@dataclass
class Profile:
    """What a column's body holds (shares of its non-empty cells)."""

    cells: int = 0
    target: float = 0.0
    seq: float = 0.0
    long_text: float = 0.0
    short_name: float = 0.0
    dates: float = 0.0
    numbers: float = 0.0

    def kind(self) -> str | None:
        """The column's role from content alone, or None when it says nothing."""
        if not self.cells:
            return None
        return next((role for share, least, role in _ROLE_RULES
                     if getattr(self, share) >= least), None)


# A column's role from its Profile: the first (share, at least, role) that holds.
_ROLE_RULES = (("seq", 0.8, "seq"), ("dates", 0.6, "dates"), ("target", 0.6, "values"),
               ("numbers", 0.6, "numbers"), ("long_text", 0.5, "text"),
               ("short_name", 0.6, "name"))


def _seq_share(texts: list[str]) -> float:
    """Share of sequence numbers (1, 2, 3 / 一、 / (1)); plain digits count only when
    they count up (1, 2, 3 …), so a column of values (60, 45) is no sequence."""
    marks = [t for t in texts if _SEQ.match(t)]
    digits = [int(t) for t in marks if t.isdigit()]
    if digits:
        ups = sum(b == a + 1 for a, b in zip(digits, digits[1:], strict=False))
        if not (digits[0] <= 1 or (len(digits) > 1 and ups >= 0.8 * (len(digits) - 1))):
            marks = [t for t in marks if not t.isdigit()]
    return len(marks) / len(texts)


def profile(grid: TableGrid, col: int, first_row: int) -> Profile:
    texts = []
    for r in range(first_row, grid.n_rows):
        cell = grid.rows[r][col]
        if cell.origin == (r, col) and cell.text and not _DASH.match(cell.text):
            texts.append(cell.text)
    if not texts:
        return Profile()
    n = len(texts)
    found = [find_numbers(t) for t in texts]
    return Profile(
        numbers=sum(len(f) == 1 and f[0].kind == "number" and f[0].end - f[0].start >= len(t) - 1
                    for t, f in zip(texts, found, strict=True)) / n,
        dates=sum(bool(f) and all(m.kind in ("year", "date") for m in f) and len(t) <= 20
                  for t, f in zip(texts, found, strict=True)) / n,
        cells=n,
        target=sum(is_target_like(t) for t in texts) / n,
        seq=_seq_share(texts),
        long_text=sum(len(t) > MAX_INDICATOR_CHARS or SENTENCE_PUNCT.search(t) is not None
                      for t in texts) / n,
        short_name=sum(len(t) <= MAX_INDICATOR_CHARS and not SENTENCE_PUNCT.search(t)
                       and not is_target_like(t) and re.search(r"[\u4e00-\u9fffA-Za-z]", t) is not None
                       for t in texts) / n,
    )


# --------------------------------------------------------------------------- columns


@dataclass
class Column:
    """One leaf column: its header path, role, and why it has that role."""

    index: int
    path: str
    role: str  # a vocabulary role, "year", or a content role (seq, values, text, name, other)
    why: str
    year: int | None = None
    is_base: bool = False
    score: int = 0  # length of the vocabulary word that gave the role
    unit: str | None = None  # a unit the header gives in parentheses: 2020年目标(%)

    def describe(self) -> str:
        role = "base year" if self.role == "year" and self.is_base else self.role
        label = f"{role} {self.year}" if self.year is not None else role
        unit = f", unit {self.unit}" if self.unit else ""
        return f"{label} ← {self.path or '(no header)'} ({self.why}{unit})"


def _year_of(path: str) -> tuple[int, bool] | None:
    """(year, is_base) of a header path: the leaf's year word, else (when the leaf
    is a target, base or empty word) the nearest level above that is a year word."""
    parts = path.split("/") if path else []
    if not parts:
        return None
    leaf = parts[-1]
    found = year_word(leaf)
    if found is not None:
        year, base = found
        return year, base or any(best_role(p, PLAN_ROLES) == "base" for p in parts[:-1])
    leaf_role = best_role(leaf, PLAN_ROLES)
    if leaf_role not in ("target_group", "base"):
        return None
    for p in reversed(parts[:-1]):
        found = year_word(p)
        if found is not None:
            return found[0], found[1] or leaf_role == "base"
    return None


def read_columns(grid: TableGrid, start: int, count: int) -> list[Column]:
    """The role of every column under a header of ``count`` rows at ``start``."""
    paths = header_paths(grid, start, count)
    first_body = start + count
    cols: list[Column] = []
    leaf_row = grid.rows[start + count - 1]
    for c, path in enumerate(paths):
        same_header = c > 0 and leaf_row[c] is leaf_row[c - 1] and path
        year = _year_of(path)
        if year is not None and not same_header:
            cols.append(Column(c, path, "year", "year header", year[0], year[1]))
            continue
        # (a year header merged over several columns is the year of its first column;
        # the others are read by their content below: targets there are issues)
        leaf = path.split("/")[-1] if path else ""
        scored = leaf if score_roles(leaf, PLAN_ROLES) else path.replace("/", "")
        scores = score_roles(scored, PLAN_ROLES)
        role = None
        if scores and not same_header:
            top = max(scores.values())
            role = next(r.name for r in PLAN_ROLES if scores.get(r.name) == top)
            word_score = top
        content = None if role is not None else profile(grid, c, first_body).kind()
        if role is not None:
            word = role_word(scored, role, PLAN_ROLES)
            cols.append(Column(c, path, role, f"header word {word}", score=word_score))
        elif content is not None:
            cols.append(Column(c, path, content, f"content: {_CONTENT_WHY[content]}"))
        else:
            why = f"under the same header as column {c - 1}" if same_header else "no header word"
            cols.append(Column(c, path, "other", why))
    for col in cols:
        parts = col.path.split("/") if col.path else []
        col.unit = next((u for p in reversed(parts) if (u := unit_in_parentheses(p))), None)
    return cols


_CONTENT_WHY = {
    "seq": "sequence numbers",
    "dates": "years or dates (a deadline, not a target year)",
    "numbers": "plain numbers",
    "values": "cells in the target grammar",
    "text": "long sentences",
    "name": "short names",
}


# --------------------------------------------------------------------------- layout


@dataclass
class PlanLayout:
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
    columns: list[Column] = field(default_factory=list)

    @property
    def first_data_row(self) -> int:
        return self.header_start + self.header_rows

    def role_of(self, col: int) -> str:
        """What a body cell of ``col`` is (for the ledger)."""
        if col == self.base_col:
            return "base_year"
        if any(c == col for c, _ in self.year_cols):
            return "target"
        if col == self.indicator_col:
            return "indicator"
        if col == self.task_col:
            return "task"
        if col == self.seq_col:
            return "seq"
        if col == self.unit_col:
            return "unit"
        if col == self.binding_col:
            return "binding"
        role = self.columns[col].role if col < len(self.columns) else "other"
        return "other base or actual year" if role == "year" else role


@dataclass
class Reading:
    """A table as the reader understood it: a layout, or why there is none."""

    layout: PlanLayout | None
    header_start: int = 0
    header_rows: int = 0
    columns: list[Column] = field(default_factory=list)
    plan_like: str | None = None  # why the table looks like a plan table (when it does)
    why_not: str | None = None  # why no layout, when plan-like


def _first_with_role(cols: list[Column], role: str) -> Column | None:
    return next((c for c in cols if c.role == role), None)


def _best(cols: list[Column], role: str) -> Column | None:
    found = [c for c in cols if c.role == role]
    return max(found, key=lambda c: (c.score, -c.index)) if found else None


def _plan_like(grid: TableGrid, cols: list[Column], start: int, count: int) -> str | None:
    """Why a table looks like a plan table, else None: a year or target header, or
    cells in the target grammar in its body."""
    for col in cols:
        if col.role == "year":
            return f"year column {col.path!r}"
        if col.role == "target_group":
            return f"target header {col.path!r}"
    targets = 0
    for r in range(start + count, grid.n_rows):
        for cell in new_cells(grid.rows[r], r):
            if cell.text and is_target_like(cell.text) and _TARGET_WORDS.search(cell.text):
                targets += 1
    if targets >= 2:
        return f"{targets} cells in the target grammar"
    return None


def read_table(grid: TableGrid) -> Reading:
    """Header rows, column roles and layout of a grid."""
    if grid.n_rows < 2 or grid.n_cols < 2:
        return Reading(None)
    start, count = header_span(grid)
    cols = read_columns(grid, start, count) if count else []
    plan_like = _plan_like(grid, cols, start, count)
    reading = Reading(None, start, count, cols, plan_like)
    if count == 0:
        reading.why_not = "no header row (no two header words or years in the top rows)"
        return reading
    if grid.n_cols < 3:
        reading.why_not = "fewer than three columns"
        return reading
    if start + count >= grid.n_rows:
        reading.why_not = "a header without body rows"
        return reading
    years = [c for c in cols if c.role == "year"]
    if not years:
        reading.why_not = "no column headed by a year (2016, 2016年, 二〇一六年, 2020年目标…)"
        return reading
    layout, why = _layout(start, count, cols, years, grid)
    reading.layout, reading.why_not = layout, why
    return reading


def _layout(start: int, count: int, cols: list[Column], years: list[Column],
            grid: TableGrid | None = None) -> tuple[PlanLayout | None, str | None]:
    task = _first_with_role(cols, "task")
    indicator = _best(cols, "indicator")
    seq = _first_with_role(cols, "seq")
    unit = _first_with_role(cols, "unit")
    binding = _first_with_role(cols, "binding")
    a_marks = (task is not None or _first_with_role(cols, "status") is not None
               or _first_with_role(cols, "measures") is not None
               or (indicator is not None and any(w in indicator.path for w in _A_INDICATOR_WORDS)))
    if indicator is None:
        # no header names the indicator: the column of short names (under a header
        # without a known word, or a yearless target word: 主要目标) nearest before
        # the years, and after the task
        after = task.index if task is not None else -1
        names = [c for c in cols if after < c.index < years[0].index and (
            c.role == "name" or (c.role in ("target_group", "other") and grid is not None
                                 and profile(grid, c.index, start + count).kind() == "name"))]
        if names:
            indicator = names[-1]
            why = indicator.why if indicator.role == "name" else f"{indicator.why}, content: short names"
            indicator.role, indicator.why = "indicator", why + " before the year columns"
    if indicator is None and task is None:
        return None, "no indicator or task column (指标, 指标名称, 相关工作目标(指标), 工作任务 …)"
    if not a_marks and indicator is None:
        return None, "no indicator column (指标, 指标名称 …)"
    kind = "A" if a_marks else "B"
    base_marked = [y for y in years if y.is_base]
    targets = [y for y in years if not y.is_base]
    base = max(base_marked, key=lambda y: (y.year, -y.index)) if base_marked else None  # the latest
    if kind == "B" and base is None and len(targets) >= 2:
        first = min(targets, key=lambda y: y.year)
        annual_after = any(y.year == first.year + 1 for y in targets)
        if len(targets) == 2 or (first.year % 5 == 0 and annual_after):
            base, targets = first, [y for y in targets if y is not first]
            base.is_base = True
    if base is None:
        base_col = _first_with_role(cols, "base")  # 基数 without a year
    else:
        base_col = base
    if not targets:
        return None, "only base-year columns, no target year"
    if kind == "B":
        by_year = {y.year: y.index for y in sorted(targets, key=lambda y: y.index)}  # repeated: last
        year_cols = [(c, y) for y, c in sorted(by_year.items())]
    else:
        year_cols = sorted(((y.index, y.year) for y in targets), key=lambda cy: (cy[1], cy[0]))
    targeted = {c for c, _ in year_cols}
    for y in targets:
        if y.index not in targeted:
            y.role, y.why = "other", f"year {y.year} repeated: the last column of that year is read"
    return PlanLayout(
        kind, start, count,
        seq_col=seq.index if seq else None,
        task_col=task.index if task else None,
        indicator_col=indicator.index if indicator else None,
        unit_col=unit.index if unit else None,
        binding_col=binding.index if binding else None,
        year_cols=year_cols,
        base_col=base_col.index if base_col else None,
        base_year=base.year if base else None,
        columns=cols,
    ), None


def detect_layout(grid: TableGrid) -> PlanLayout | None:
    """Layout A or B of a grid, or None when it is not a plan table."""
    return read_table(grid).layout


__all__ = ["Column", "PlanLayout", "Reading", "compact", "detect_layout", "has_year", "header_paths",
           "header_span", "header_text", "is_header_like", "is_target_like", "new_cells",
           "read_table"]
