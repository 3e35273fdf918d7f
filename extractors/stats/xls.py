"""Legacy XLS workbooks (xlrd): every sheet as a grid."""

from __future__ import annotations

from pathlib import Path

from extractors.records import UnreadableStatsFile
from extractors.stats.grid import Grid, _cell_text, _small_grid


def _xls_grids(path: Path) -> list[Grid]:
    import xlrd

    try:
        book = xlrd.open_workbook(path, formatting_info=True)
    except Exception as e:
        raise UnreadableStatsFile(path.name, f"not a readable XLS workbook: {e}") from None
    grids = []
    for sheet in book.sheets():
        rows = []
        for r in range(sheet.nrows):
            row = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                fmt = None
                if cell.ctype == xlrd.XL_CELL_NUMBER:
                    xf = book.xf_list[cell.xf_index] if cell.xf_index is not None else None
                    fmt = book.format_map[xf.format_key].format_str if xf else None
                    row.append(_cell_text(cell.value, fmt))
                elif cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(str(xlrd.xldate_as_datetime(cell.value, book.datemode)))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    row.append("")
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    row.append(xlrd.error_text_from_code.get(cell.value, "#ERROR"))
                else:
                    row.append(str(cell.value))
            rows.append(row)
        grids.append(_small_grid(sheet.name, rows))
    return grids
