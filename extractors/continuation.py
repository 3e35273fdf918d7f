"""Tables continued by geometry, for the PDF and the DOCX readers alike.

A table that follows another (the next PDF page, the next Word table after an
empty paragraph, a page or a section break) with the same column structure
continues it, whether or not its header is repeated:

- *follows*: nothing but blank space, page/section breaks, running heads and
  feet, or a ``续表`` label lies between the two (the reader decides this);
- *same column structure*: as many columns, and their edges within
  ``edge_tol`` (``"same"``), or all widths within ``edge_tol`` with the whole
  table shifted (``"shifted"``, e.g. mirrored page margins);
- a repeated header (its leading rows equal the grid's first rows, a cell cut
  short allowed) is dropped and noted in ``TableGrid.dropped``;
- a row broken across the break (the continuation's first row has an empty
  序号/first column and text elsewhere) is joined to the row above.

Ambiguous cases are decided conservatively and said: same column count but
edges off and no repeated header (not joined), a header that is like the
grid's but differs (a new table), a repeated header over other columns (a new
table). Each decision that joins writes a note in ``TableGrid.continuations``;
each doubt returns a warning the plan reader turns into an ingest issue.

Pure functions over ``TableGrid``/``GridCell``; what a header *means* comes in
as the predicate ``opens_table`` (the plan layouts), never imported here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from extractors.records import GridCell, TableGrid

# A label written above a continued table (续表, 续表1, (续上表), 表1(续), 续前表).
CONTINUED_LABEL = re.compile(r"^[(（]?(?:续表\s*\d*|续上表|续前表|表\s*\d+\s*[(（]续[)）])[)）]?[:：]?$")


def is_continued_label(text: str) -> bool:
    return CONTINUED_LABEL.match(text.strip()) is not None


@dataclass(frozen=True)
class StitchSettings:
    edge_tol: float = 3.0  # points: column edges (or widths, when shifted) that are the same
    max_repeated_rows: int = 3  # at most this many leading rows are tried as a repeated header


@dataclass
class Part:
    """One piece of a table: the rows of a PDF page's table, or one Word table."""

    rows: list[list[GridCell]]
    edges: list[float]  # column boundaries in points, left to right (n_cols + 1)
    where: str  # "page 3", "Word table 5": for notes and warnings
    page: int | None = None  # the rows' page (PDF), None for DOCX
    follows: bool = False  # nothing but blank space/breaks/running heads/续表 since the last part
    # PDF: for each column of the previous part's last row, whether its cell ended with
    # room for another line above the bottom rule (True: complete there) or its text
    # runs down to the rule (False: cut, or a row exactly as tall as that cell); a
    # column whose cell is empty is absent. None without geometry (DOCX).
    room_above: dict[int, bool] | None = None
    # a cell text that is a whole value on its own (a plan target with a number); the
    # reader's meaning, passed in. With geometry, such cells above and below the break
    # in the same column back up a new row.
    complete: Callable[[str], bool] | None = None


@dataclass
class Decision:
    join: bool
    repeated: int = 0  # leading rows of the part that repeat the grid's header
    geometry: str = "other"
    shift: float = 0.0
    warning: str | None = None


# --------------------------------------------------------------------------- geometry


def compare_edges(a: list[float], b: list[float], tol: float) -> tuple[str, float]:
    """('same' | 'shifted' | 'coarser' | 'off' | 'other', largest difference): how the
    column edges ``b`` of a following table relate to ``a``. 'coarser': fewer edges,
    each one of ``a``'s, outer edges equal (every row there merges some columns, so a
    rule is never drawn); 'off': the same count of columns with edges (and widths)
    further apart than ``tol``; 'other' anything else."""
    if len(a) < 2 or len(b) < 2:
        return "other", 0.0
    if len(b) < len(a) and column_map(b, a, tol) is not None:
        return "coarser", 0.0
    if len(a) != len(b):
        return "other", 0.0
    diff = max(abs(x - y) for x, y in zip(a, b, strict=True))
    if diff <= tol:
        return "same", diff
    widths = max(abs((a[i + 1] - a[i]) - (b[i + 1] - b[i])) for i in range(len(a) - 1))
    if widths <= tol:
        return "shifted", b[0] - a[0]
    return "off", max(diff, widths)


def column_map(coarse: list[float], fine: list[float], tol: float) -> list[tuple[int, int]] | None:
    """For each column of ``coarse``, the range of ``fine`` columns it covers, when
    every edge of ``coarse`` is one of ``fine``'s (outer edges included); else None."""
    idx: list[int] = []
    for x in coarse:
        j = min(range(len(fine)), key=lambda k: abs(fine[k] - x))
        if abs(fine[j] - x) > tol or (idx and j <= idx[-1]):
            return None
        idx.append(j)
    if idx[0] != 0 or idx[-1] != len(fine) - 1:
        return None
    return [(idx[k], idx[k + 1]) for k in range(len(idx) - 1)]


def widen(rows: list[list[GridCell]], spans: list[tuple[int, int]]) -> list[list[GridCell]]:
    """Rows of a coarser part on the finer grid: each cell covers the columns its own
    column spans there (a merged cell: origin column and colspan mapped)."""
    n = spans[-1][1]
    copies: dict[int, GridCell] = {}  # the part's own cells stay as they are
    out: list[list[GridCell]] = []
    for row in rows:
        new: list[GridCell] = [row[0]] * n
        for j, cell in enumerate(row):
            copy = copies.get(id(cell))
            if copy is None:
                c0 = min(cell.origin[1], len(spans) - 1)
                last = min(c0 + cell.colspan - 1, len(spans) - 1)
                copy = copies[id(cell)] = replace(
                    cell, origin=(cell.origin[0], spans[c0][0]),
                    colspan=spans[last][1] - spans[c0][0])
            a, b = spans[j]
            new[a:b] = [copy] * (b - a)
        out.append(new)
    return out


# --------------------------------------------------------------------------- headers


def texts(row: list[GridCell]) -> list[str]:
    return [cell.text for cell in row]


def repeats(part_row: list[GridCell], grid_row: list[GridCell]) -> bool:
    """``part_row`` repeats ``grid_row``: equal texts, except that a repeated header cell
    may be cut short (its last line overflowing into the row below, as LibreOffice
    draws a repeated header that is lower than its text)."""
    if len(part_row) != len(grid_row):
        return False
    pairs = [(a.text, b.text) for a, b in zip(part_row, grid_row, strict=True)]
    return any(a for a, _ in pairs) and all(a == b or (a and b.startswith(a)) for a, b in pairs)


def overflow(part_row: list[GridCell], grid_row: list[GridCell]) -> dict[int, str]:
    """Column -> the text a cut-short repeated header cell lost."""
    return {c: b.text[len(a.text):] for c, (a, b) in enumerate(zip(part_row, grid_row, strict=True))
            if a.text != b.text and b.text.startswith(a.text)}


def repeated_rows(grid: TableGrid, rows: list[list[GridCell]], s: StitchSettings) -> int:
    """How many leading ``rows`` repeat the grid's first rows."""
    k = 0
    while k < min(s.max_repeated_rows, len(rows), grid.n_rows) and repeats(rows[k], grid.rows[k]):
        k += 1
    return k


def header_like_grid(row: list[GridCell], header: list[GridCell]) -> bool:
    """``row`` shares at least two cells with the grid's header but does not repeat it:
    the header of another table of the same kind (other years, other labels)."""
    if len(row) != len(header) or repeats(row, header):
        return False
    return sum(1 for a, b in zip(row, header, strict=True) if a.text and a.text == b.text) >= 2


# --------------------------------------------------------------------------- decisions


def decide(grid: TableGrid, last: Part, part: Part, opens_table: Callable[[list[str]], bool],
           s: StitchSettings) -> Decision:
    """Whether ``part`` continues ``grid`` (whose last part is ``last``)."""
    if not part.follows or not part.rows or not grid.rows:
        return Decision(False)
    geometry, diff = compare_edges(last.edges, part.edges, s.edge_tol)
    if geometry == "coarser":
        if grid.n_cols != len(last.edges) - 1:
            return Decision(False)
        spans = column_map(part.edges, last.edges, s.edge_tol)
        assert spans is not None
        widened = widen(part.rows, spans)
        if any(opens_table(texts(row)) for row in widened[:1]):
            return Decision(False, 0, geometry)
        part.rows, part.edges = widened, list(last.edges)  # joined or not, only this Part
    rep = repeated_rows(grid, part.rows, s)
    k = grid.table_index
    n = len(part.edges)  # (a coarser part now has the grid's edges)
    if geometry == "other":
        warning = None
        header = [t for t in texts(grid.rows[0]) if t]
        if len(header) >= 2 and [t for t in texts(part.rows[0]) if t] == header:
            warning = (f"{part.where}: repeats the header of table {k} but has other columns "
                       f"({n - 1} instead of {len(last.edges) - 1}): read as a new table")
        elif (abs(part.edges[0] - last.edges[0]) <= s.edge_tol
              and abs(part.edges[-1] - last.edges[-1]) <= s.edge_tol
              and not opens_table(texts(part.rows[0]))):
            warning = (f"{part.where}: a table right after table {k}, as wide, with {n - 1} "
                       f"columns instead of {len(last.edges) - 1} and no header: not joined (if "
                       f"it continues table {k}, its rows are not read as plan rows)")
        return Decision(False, rep, geometry, warning=warning)
    first = part.rows[0]
    if any(len(row) != grid.n_cols for row in part.rows):  # a grid wider than its edges say
        return Decision(False, 0, geometry)
    if not rep and header_like_grid(first, grid.rows[0]):
        return Decision(False, 0, geometry, warning=(
            f"{part.where}: right after table {k}, with its {n - 1} columns, but a header that "
            f"differs from table {k}'s: read as a new table"))
    if not rep and opens_table(texts(first)):
        return Decision(False, 0, geometry)  # a table of its own, with its own header
    if geometry == "off":
        if rep:
            return Decision(True, rep, geometry, diff, warning=(
                f"{part.where}: joined to table {k} (header repeated) although its column "
                f"edges are off by up to {diff:.0f} pt"))
        return Decision(False, 0, geometry, diff, warning=(
            f"{part.where}: a table right after table {k} with the same {n - 1} columns but "
            f"column edges off by up to {diff:.0f} pt and no header: not joined (if it "
            f"continues table {k}, its rows are not read as plan rows)"))
    return Decision(True, rep, geometry, diff)


def note(part: Part, grid: TableGrid, d: Decision, kind: str | None) -> str:
    n = len(part.edges)
    if d.geometry == "same":
        how = f"same {n} column edges"
    elif d.geometry == "coarser":
        how = f"its column edges among these {n}, merged cells widened to them"
    elif d.geometry == "shifted":
        how = f"same {n - 1} column widths, shifted {d.shift:+.0f} pt"
    else:
        how = f"{n - 1} columns, edges off by up to {d.shift:.0f} pt"
    header = (f"header repeated ({d.repeated} row{'s' if d.repeated > 1 else ''} dropped)"
              if d.repeated else "header not repeated")
    text = f"{part.where}: continues table {grid.table_index} ({how}, {header})"
    if kind == "split":
        text += (f"; its first row is a new row under the cells of row {grid.n_rows - 1} that "
                 f"run over the break (their rest joined, the cells merged down over it)")
    elif kind == "broken":
        text += f"; its first row continues row {grid.n_rows - 1} broken across the break"
    elif kind == "group":
        text += (f"; its first row is a row of its own under the cells merged down from "
                 f"row {grid.n_rows - 1} (序号 not repeated)")
    return text


# --------------------------------------------------------------------------- joining


def seq_column(rows: list[list[GridCell]]) -> int:
    """The 序号 column (the first column when there is none)."""
    for row in rows[:3]:
        for c, cell in enumerate(row):
            if "序号" in cell.text:
                return c
    return 0


def is_broken_row(row: list[GridCell], seq: int) -> bool:
    """The first row of a continuation is the rest of the row above: no 序号 (or first
    column) of its own, and text elsewhere."""
    return not row[seq].text and any(cell.text for cell in row)


def group_columns(grid: TableGrid, first_body: int = 3) -> set[int]:
    """Columns whose body cells are merged down over several rows somewhere in the grid
    (序号, 工作任务, 现状, 举措 over a task's indicators); the first rows (headers merged
    down) are left out."""
    out: set[int] = set()
    for row in grid.rows[first_body:]:
        for c, cell in enumerate(row):
            if cell.rowspan > 1 and cell.colspan == 1 and cell.origin[0] >= first_body:
                out.add(c)
    return out


def new_row_columns(grid: TableGrid, first: list[GridCell], room_above: dict[int, bool] | None,
                    groups: set[int]) -> set[int]:
    """Columns (outside the merged-down group columns) where the continuation's first row
    has text of its own although the cell above it ended with room to spare before the
    break: a complete cell cannot overflow, so the text starts a new row (its own unit,
    its own target under a target that already ended above)."""
    if not room_above:
        return set()
    last = grid.rows[-1]
    r = grid.n_rows - 1
    out: set[int] = set()
    for c, cell in enumerate(first):
        if (cell.text and c not in groups and c < len(last) and last[c].text
                and last[c].origin[0] == r and room_above.get(c) is True):
            out.add(c)
    return out


def value_columns(grid: TableGrid, first: list[GridCell], complete: Callable[[str], bool] | None,
                  groups: set[int]) -> set[int]:
    """Columns (outside the group columns) where the cell above the break and the first
    row's cell each hold a whole value of their own (``不低于120个`` over ``≤5%``): two
    values, not one cut in two (``下降到`` over ``48`` is one)."""
    if complete is None:
        return set()
    last = grid.rows[-1]
    r = grid.n_rows - 1
    return {c for c, cell in enumerate(first)
            if cell.text and c not in groups and c < len(last) and last[c].text
            and last[c].origin[0] == r and complete(last[c].text) and complete(cell.text)}


def first_row_kind(grid: TableGrid, rows: list[list[GridCell]], seq: int,
                   room_above: dict[int, bool] | None = None,
                   complete: Callable[[str], bool] | None = None) -> str | None:
    """What the continuation's first row is when it has no 序号 of its own: 'broken' (the
    rest of the grid's last row, broken across the break) or 'group' (a row of its own
    whose 序号 is merged down from above, as 工作任务 over its indicators: the grid's last
    row has its 序号 from a row above it, and the first row fills every column the last
    row fills itself, so it is no rest), 'split' (a new row under cells of the last row
    that a page break cut: ``room_above`` shows a cell above that ended before the break
    under which the first row has text of its own in two columns or more, see
    ``new_row_columns``, or in one column and another column holds a whole value above
    and below the break, see ``value_columns``), 'broken?' (joined as broken, but one
    such column and nothing else: a warning);
    None for a row with its own 序号."""
    if not rows or grid.n_rows <= 1:
        return None
    def broken() -> str:  # unless the geometry shows a new row under cells cut by the break
        if room_above:
            groups = group_columns(grid)
            evidence = new_row_columns(grid, rows[0], room_above, groups)
            if len(evidence) >= 2 or (evidence and value_columns(grid, rows[0], complete, groups)
                                      - evidence):
                return "split"
            if evidence:
                return "broken?"  # joined, with a warning
        return "broken"

    if not any("序号" in cell.text for row in grid.rows[:3] for cell in row):
        return broken() if is_partial_rest(grid.rows[-1], rows[0]) else None
    if not is_broken_row(rows[0], seq):
        if room_above and cut_number(grid, rows[0], seq, room_above):
            return broken()
        return None
    last, r = grid.rows[-1], grid.n_rows - 1
    if last[seq].origin[0] < r:
        filled_above = {c for c, cell in enumerate(last) if cell.origin[0] == r and cell.text}
        filled = {c for c, cell in enumerate(rows[0]) if cell.text}
        if filled_above and filled_above <= filled:
            return "group"
    return broken()


def cut_number(grid: TableGrid, first: list[GridCell], seq: int,
               room_above: dict[int, bool]) -> bool:
    """The 序号 itself cut by the break (``1`` above, ``0`` below): the 序号 cell above
    runs down to the bottom rule, both parts are digits, and joined they make the number
    after the 序号 before it, which the part above alone does not."""
    last = grid.rows[-1]
    above, below = last[seq].text, first[seq].text
    if room_above.get(seq) is not False or not (above.isdigit() and below.isdigit()):
        return False
    before = next((row[seq].text for row in reversed(grid.rows[:-1])
                   if row[seq] is not last[seq] and row[seq].text), "")
    if not before.isdigit():
        return False
    return int(above + below) == int(before) + 1 and int(above) != int(before) + 1


def is_partial_rest(above: list[GridCell], row: list[GridCell]) -> bool:
    """A table without 序号: ``row`` is the rest of ``above`` broken across the break when
    it fills fewer than half the columns, all of them columns ``above`` fills too (the
    long cells that overflowed; a row of its own fills its short target cells)."""
    filled = {c for c, cell in enumerate(row) if cell.text}
    filled_above = {c for c, cell in enumerate(above) if cell.text}
    return bool(filled) and filled < filled_above and len(filled) * 2 < len(row)


def extend_merged(above: list[GridCell], r: int, rows: list[list[GridCell]]) -> None:
    """The cells of ``above`` merged down from earlier rows go on over the empty cells
    of the continuation's first row (and as far as those reach)."""
    seen: set[int] = set()
    for c, cell in enumerate(rows[0]):
        target = above[c]
        if id(cell) in seen or cell.text or target.origin[0] >= r or cell.colspan != target.colspan:
            continue
        seen.add(id(cell))
        target.rowspan += cell.rowspan
        for row in rows:
            for j, other in enumerate(row):
                if other is cell:
                    row[j] = target


def merge_broken_row(above: list[GridCell], rows: list[list[GridCell]],
                     join_text: Callable[[GridCell, GridCell], None]) -> None:
    """Append the first row's text to ``above`` cell-wise; it then stops being a row."""
    seen: set[int] = set()
    for c, cell in enumerate(rows[0]):
        if id(cell) in seen:
            continue
        seen.add(id(cell))
        target = above[c]
        if cell.text:
            join_text(target, cell)
        if cell.rowspan > 1 and cell.colspan == target.colspan:
            target.rowspan += cell.rowspan - 1
            for row in rows[1:]:
                for j, other in enumerate(row):
                    if other is cell:
                        row[j] = target


def split_row(grid: TableGrid, rows: list[list[GridCell]], seq: int,
              room_above: dict[int, bool], join_text: Callable[[GridCell, GridCell], None]
              ) -> list[int]:
    """A new first row under cells of the grid's last row that run over the break (a
    task's 现状/举措 merged down over its indicators, cut by the page): in the group
    columns (and the 序号 column), text under a cell cut at the break is its rest and
    joins it, an empty cell is covered by the cell above; the row's other cells stay
    its own. Returns the columns whose text was joined to the cell above."""
    above = grid.rows[-1]
    groups = group_columns(grid) | {seq}
    joined: list[int] = []
    seen: set[int] = set()
    for c, cell in enumerate(rows[0]):
        if id(cell) in seen or c not in groups or c >= len(above):
            continue
        seen.add(id(cell))
        target = above[c]
        if cell.colspan != target.colspan or not target.text:
            continue
        if cell.text:
            if room_above.get(c) is not False:
                continue  # a complete cell above: this one is the new row's own
            join_text(target, cell)
            joined.append(c)
        target.rowspan += cell.rowspan
        for row in rows:
            for j, other in enumerate(row):
                if other is cell:
                    row[j] = target
    return joined


def append(grid: TableGrid, part: Part, d: Decision,
           join_text: Callable[[GridCell, GridCell], None]) -> str | None:
    """Join ``part`` to ``grid`` as ``d`` says: repeated header dropped (into
    ``grid.dropped``), a broken first row merged into the row above, the rest appended
    with origins renumbered; a note in ``grid.continuations``. Returns a warning when
    the first row's reading rests on thin evidence."""
    rows = part.rows
    skip = d.repeated
    lost: dict[int, str] = {}
    for r in range(skip):
        lost.update(overflow(rows[r], grid.rows[r]))
        seen: set[int] = set()
        for cell in rows[r]:
            if id(cell) not in seen and cell.text:
                seen.add(id(cell))
                grid.dropped.append((part.page, cell.text, "repeated header"))
    rows = rows[skip:]
    if rows and lost:  # the header's overflowing last line landed in the first row
        for c, suffix in lost.items():
            cell = rows[0][c]
            if cell.text.startswith(suffix):
                cell.text = cell.text[len(suffix):]
                cell.raw = cell.raw[len(suffix):] if cell.raw.startswith(suffix) else cell.raw
                grid.dropped.append((part.page, suffix, "repeated header"))
    own = {id(cell) for row in rows for cell in row}  # the part's cells (not the grid's)
    seq = seq_column(grid.rows)
    kind = first_row_kind(grid, rows, seq, part.room_above, part.complete)
    grid.continuations.append(note(part, grid, d, "broken" if kind == "broken?" else kind))
    warning = None
    if kind == "broken?":
        assert part.room_above is not None
        (col,) = new_row_columns(grid, rows[0], part.room_above, group_columns(grid))
        warning = (f"{part.where}: its first row was joined to row {grid.n_rows - 1} of table "
                   f"{grid.table_index} as its rest broken across the break, but its column "
                   f"{col} has text under a cell that ended before the break (a new row?); "
                   f"check that row")
        kind = "broken"
    if kind == "split":
        assert part.room_above is not None
        split_row(grid, rows, seq, part.room_above, join_text)
    elif kind == "broken":
        merge_broken_row(grid.rows[-1], rows, join_text)
        rows, skip = rows[1:], skip + 1
    elif kind == "group":
        extend_merged(grid.rows[-1], grid.n_rows - 1, rows)
    offset = grid.n_rows - skip
    moved: set[int] = set()
    for row in rows:
        for cell in row:
            if id(cell) in own and id(cell) not in moved:
                moved.add(id(cell))
                if cell.origin[0] < skip:  # began in a dropped row: begins at the first kept
                    cell.rowspan = max(1, cell.rowspan - (skip - cell.origin[0]))
                    cell.origin = (skip, cell.origin[1])
                cell.origin = (cell.origin[0] + offset, cell.origin[1])
    grid.rows.extend(rows)
    if grid.row_pages is not None:
        grid.row_pages.extend([part.page or 0] * len(rows))
    return warning
