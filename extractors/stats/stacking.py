"""Tables stacked in one sheet: repeated headers, and the year of the title
above each."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from extractors.stats.header import Layout, _header_key
from extractors.stats.years import _year_from_text


def _drop_repeated_headers(layout: Layout, header_rows: list[list[str]], cols, rows, year):
    """(cols, rows, year) without the body rows that repeat the header: a
    header repeated at a page break, or a second table stacked below the
    first. Without a year column, a title above a repeated header that names
    a year (2019年各区县…) gives the year of the rows below it, so year
    becomes a string column: the nearest line above the header that names
    exactly one year, so a footnote of the table above (注：2017年起…) does
    not hide the title."""
    keys = [[_header_key(c) for c in h] for h in header_rows]
    n = len(rows)
    repeat = np.zeros(n, dtype=bool)
    for key in keys:
        j = next((j for j, k in enumerate(key) if k), None)
        if j is None or j >= len(cols):
            continue
        text = header_rows[keys.index(key)][j].strip()
        hits = pc.equal(pc.utf8_trim_whitespace(cols[j]), text).to_numpy(zero_copy_only=False)
        for r in np.flatnonzero(hits).tolist():
            cells = [_header_key(col[r].as_py()) for col in cols]
            if all(k == (cells[i] if i < len(cells) else "") for i, k in enumerate(key) if k):
                repeat[r] = True
    if not repeat.any():
        return cols, rows, year
    keep = pa.array(~repeat)
    if layout.year is None and year is not None:
        value_cols = list(layout.metric_columns) if layout.kind == "wide" else [layout.value]
        years = np.full(n, year, dtype=np.int64)
        for r in np.flatnonzero(repeat & ~np.roll(repeat, 1)).tolist():  # first header row
            lines, k = [], r - 1  # the lines above the header, nearest first
            while k >= 0 and not repeat[k]:
                if any((cols[j][k].as_py() or "").strip() for j in value_cols):
                    break  # a data row: the titles end here
                line = " ".join(c for col in cols if (c := (col[k].as_py() or "").strip()))
                if line:
                    lines.append(line)
                k -= 1
            # the nearest line that names one year (a footnote of the table
            # above, 注：2017年起…, is farther up); else all lines together
            found = next(
                (y for line in lines if (y := _year_from_text(line)) is not None),
                _year_from_text(" ".join(reversed(lines))),
            )
            if found is not None:
                years[r:] = found
        year = pc.filter(pa.array(years.astype(str)), keep)
    cols = [pc.filter(c, keep) for c in cols]
    return cols, rows[~repeat], year
