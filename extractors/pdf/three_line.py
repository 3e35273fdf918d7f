"""Plan tables drawn with horizontal rules only (三线表 and kin), read by text alignment."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace

from extractors.continuation import texts
from extractors.pdf.chars import table_of
from extractors.pdf.grid import fill_text, grid_from_cells, merge_wrapped_rows
from extractors.pdf.lines import is_running, text_lines
from extractors.pdf.settings import PdfSettings, Predicates
from extractors.records import GridCell, TableGrid

Found = tuple[tuple, list[list[GridCell]], list[float]]  # (bbox, rows, column edges)


def rule_groups(page, boxes: list[tuple], s: PdfSettings) -> list[tuple[float, float, list[float]]]:
    """Long horizontal rules outside the ruled tables, grouped by their x extent:
    (x0, x1, tops) with at least two rules (a three-line table's top, header and
    bottom rules; the bottom one is missing where the table goes on over the page)."""
    rules: list[tuple[float, float, float]] = []
    for e in page.edges:
        if e["orientation"] != "h" or e["x1"] - e["x0"] < s.min_rule_share * float(page.width):
            continue
        if any(x0 - s.edge_tol <= e["x0"] and e["x1"] <= x1 + s.edge_tol
               and top - s.edge_tol <= e["top"] <= bottom + s.edge_tol
               for x0, top, x1, bottom in boxes):
            continue
        rules.append((float(e["x0"]), float(e["x1"]), float(e["top"])))
    groups: list[tuple[float, float, list[float]]] = []
    for x0, x1, y in sorted(rules, key=lambda r: r[2]):
        g = next((g for g in groups
                  if abs(g[0] - x0) <= s.rule_tol and abs(g[1] - x1) <= s.rule_tol), None)
        if g is None:
            groups.append((x0, x1, [y]))
        elif y - g[2][-1] > s.edge_tol:  # a rule drawn twice is one rule
            g[2].append(y)
    return [g for g in groups if len(g[2]) >= 2]


def text_table(page, bbox: tuple, chars: list[dict], s: PdfSettings, p: Predicates,
               rules: list[float] | None = None) -> Found | None:
    """The plan table the text strategy finds inside ``bbox``: (its bbox, rows, column
    edges), else None. ``rules``: tops of the horizontal rules across it, which no row
    crosses (see ``merge_wrapped_rows``)."""
    crop = page.crop(bbox, strict=False)
    for t in crop.find_tables(s.text_strategy):
        if not t.cells:
            continue
        grid, xs, ys = grid_from_cells(t.cells, s)
        if not grid or not grid[0]:
            continue
        inside = [ch for ch in chars if table_of(ch, [t.bbox]) is not None]
        bands = None
        if rules:
            bands = [bisect_right(rules, (ys[r] + ys[r + 1]) / 2) for r in range(len(grid))]
        rows = merge_wrapped_rows(fill_text(grid, xs, ys, inside, s), bands)
        if p.is_plan_table(TableGrid(rows, 0)):
            return t.bbox, rows, xs
    return None


def grows(small: Found, big: Found, p: Predicates) -> bool:
    """``big`` reads as ``small`` with more rows: same header and columns, ``small``'s rows
    unchanged at its head, and no plan-table header among the rows it adds (another table
    below, a heading, or body text joined to the last row, is no growth)."""
    a, b = small[1], big[1]
    if len(b) <= len(a) or len(a[0]) != len(b[0]):
        return False
    if any(texts(x) != texts(y) for x, y in zip(a, b, strict=False)):
        return False
    return not any(starts_table(b[k:], p) or is_heading_row(b[k], p) for k in range(len(a), len(b)))


def is_heading_row(row: list[GridCell], p: Predicates) -> bool:
    """A section heading between two tables, cut by the columns: no table row."""
    found = [cell.text for cell in row if cell.text]
    return len(found) <= 2 and p.is_heading("".join(found))


def starts_table(rows: list[list[GridCell]], p: Predicates) -> bool:
    """``rows`` (text strategy: no merged cells) open with a plan table's header, maybe
    cut off right below it (a row of numbers stands in for its data rows)."""
    fresh = [[replace(cell, origin=(r, c)) for c, cell in enumerate(row)]
             for r, row in enumerate(rows)]
    fresh.append([GridCell("1", "1", (len(fresh), c)) for c in range(len(rows[0]))])
    return p.is_plan_table(TableGrid(fresh, 0))


def three_line_tables(page, boxes: list[tuple], chars: list[dict], page_no: int,
                      s: PdfSettings, p: Predicates) -> list[Found]:
    """Plan tables drawn with horizontal rules only beside or without ruled tables: a
    three-line table (三线表: top, header and bottom rule), a table with a rule under
    every row, or rules between groups of rows only.

    Each run of rules with the same x extent is read from a top rule: the shortest
    stretch (to one of the next ``max_first`` rules, else to the run's last rule)
    holding a plan table with data rows is its start; the table is then the longest
    stretch, up to the run's last rule and on to the page foot (a table going on over
    the page), that reads as the same table with more rows (``grows``), found by
    bisection. When no stretch holds a table, the table has no rule below its header
    on this page: it is read from the top rule to the last line of text above the page
    foot. So a run of n rules costs O(n log n) text-strategy reads at worst, not O(n²).
    Inside a stretch the text strategy finds the columns; every wrapped line is then a
    row of its own, joined as in the whole-document fallback. Returns (bbox, rows, xs).
    """
    height = float(page.height)
    foot = (1 - s.margin) * height  # a lone number above the foot is a cell's line

    def read(x0: float, x1: float, top: float, bottom: float) -> Found | None:
        rules = [t for t in tops if top - s.edge_tol <= t <= bottom + s.edge_tol]
        return text_table(page, (x0 - 1, top - 1, x1 + 1, bottom + 1), chars, s, p, rules)

    def foot_of(x0: float, x1: float, top: float) -> float | None:
        below = [ch for ch in chars if ch["top"] > top and x0 - 1 <= ch["x0"] <= x1 + 1]
        body = [ln for ln in text_lines(below, page_no, s)
                if ln.bottom <= foot or not is_running(ln, height, p.is_heading, s)]
        return body[-1].bottom if body else None

    out: list[Found] = []
    for x0, x1, tops in rule_groups(page, boxes, s):
        last = len(tops) - 1
        i = 0
        while i < last:
            found, j = None, i
            for j in [*range(i + 1, min(i + 1 + s.max_first, last + 1)), last]:
                found = read(x0, x1, tops[i], tops[j])
                if found is not None:
                    break
            if found is None:
                end = foot_of(x0, x1, tops[i])
                found = read(x0, x1, tops[i], end) if end is not None else None
                j = last
            else:
                if j < last:
                    big = read(x0, x1, tops[i], tops[last])
                    if big is not None and grows(found, big, p):
                        found, j = big, last
                    else:  # bisect for the last rule that still grows the table
                        lo, hi = j, last
                        while hi - lo > 1:
                            mid = (lo + hi) // 2
                            cand = read(x0, x1, tops[i], tops[mid])
                            if cand is not None and grows(found, cand, p):
                                found, lo = cand, mid
                            else:
                                hi = mid
                        j = lo
                if j == last:  # on over the page: rows below the last rule
                    end = foot_of(x0, x1, tops[last])
                    if end is not None:
                        cand = read(x0, x1, tops[i], end)
                        if cand is not None and grows(found, cand, p):
                            found = cand
            if found is not None:
                out.append(found)
            i = j + 1 if found is not None else i + 1
    return out
