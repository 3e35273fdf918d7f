"""Page tables -> document tables: continuations joined by geometry
(``extractors.continuation``), plus what only text-strategy parts need."""

from __future__ import annotations

from extractors import continuation as cont
from extractors.pdf.grid import append_text
from extractors.pdf.page import PageTable
from extractors.pdf.settings import PdfSettings, Predicates
from extractors.records import GridCell, TableGrid


def follows(last: PageTable, part: PageTable) -> bool:
    """Nothing but blank space, running heads/feet and 续表 labels lies between the two:
    the next table on the same page, or the first of the next page after the last."""
    if part.page == last.page:
        return not part.first_on_page and part.clear_above()
    if part.page == last.page + 1:
        return (last.last_on_page and last.clear_below() and part.first_on_page
                and part.clear_above())
    return False


def absorbed(part_row: list[GridCell], header: list[GridCell]) -> dict[int, str] | None:
    """Text strategy: the repeated header of a three-line table continued on this page,
    with the rest of a row broken over the page joined to it (its lines come right
    below the header and have no 序号 of their own). Column -> that rest; None when
    ``part_row`` does not repeat ``header``."""
    pairs = list(zip(part_row, header, strict=True))
    if sum(1 for a, b in pairs if b.text and a.text.startswith(b.text)) < 2:
        return None
    if not all(a.text.startswith(b.text) for a, b in pairs):
        return None
    return {c: a.text[len(b.text):] for c, (a, b) in enumerate(pairs) if a.text != b.text}


def take_absorbed(grid: TableGrid, part: PageTable) -> None:
    """Text strategy: the rest of a broken row joined to the repeated header goes back to
    the last row above the page break; the header is then a plain repeat."""
    rest = absorbed(part.rows[0], grid.rows[0]) if part.rows else None
    if not rest or grid.n_rows <= 1:
        return
    for c, text in rest.items():
        head = part.rows[0][c]
        head.text = grid.rows[0][c].text
        above = grid.rows[-1][c]
        if text and above.origin[0] == grid.n_rows - 1:
            append_text(above, GridCell(text, text, above.origin))


def _as_part(pt: PageTable, last: PageTable | None, p: Predicates | None = None) -> cont.Part:
    room = None
    if last is not None and last.bottom_room is not None and len(last.xs) == len(pt.xs):
        room = last.bottom_room
    return cont.Part(rows=pt.rows, edges=pt.xs, where=f"page {pt.page}", page=pt.page,
                     follows=last is not None and follows(last, pt), room_above=room,
                     complete=p.is_whole_value if p is not None else None)


def _decide(grid: TableGrid, last: PageTable, part: PageTable, here: cont.Part, s: PdfSettings,
            p: Predicates) -> cont.Decision:
    prev = _as_part(last, None)
    if part.strategy == last.strategy == "text":
        # columns guessed from text alignment: only a repeated header proves a continuation
        if not (here.follows and part.rows and len(part.xs) == len(last.xs)
                and absorbed(part.rows[0], grid.rows[0]) is not None):
            return cont.Decision(False)
        take_absorbed(grid, part)
        geometry, diff = cont.compare_edges(last.xs, part.xs, s.stitch.edge_tol)
        return cont.Decision(True, cont.repeated_rows(grid, part.rows, s.stitch), geometry, diff)
    return cont.decide(grid, prev, here, p.opens_table, s.stitch)


def stitch(parts: list[PageTable], s: PdfSettings, p: Predicates,
           warnings: list[str] | None = None) -> list[TableGrid]:
    """Page tables -> document tables, continued tables joined (notes in
    ``TableGrid.continuations``, doubts appended to ``warnings``)."""
    grids: list[TableGrid] = []
    last: PageTable | None = None
    for part in parts:
        here = _as_part(part, last, p)
        d = _decide(grids[-1], last, part, here, s, p) if last is not None and grids else None
        if d is not None and d.warning and warnings is not None:
            warnings.append(d.warning)
        if d is not None and d.join:
            doubt = cont.append(grids[-1], here, d, append_text)
            if doubt and warnings is not None:
                warnings.append(doubt)
            part.xs = here.edges  # a coarser part joined: the next compares with the full grid
        else:
            grids.append(TableGrid(
                rows=part.rows, table_index=len(grids), section=part.section,
                row_pages=[part.page] * len(part.rows), strategy=part.strategy,
                context=part.context,
            ))
        last = part
    return grids
