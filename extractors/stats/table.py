"""A table -> statistics rows + issues: the header's layout applied to the body."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from extractors.ledger import Ledger, TableView
from extractors.records import RULE_METRIC_KNOWN, RULE_NON_NEGATIVE, IngestIssue, Metric
from extractors.reference import DistrictResolver, Unresolved
from extractors.stats.accounts import (
    Accounts,
    describe_columns,
    explain_no_header,
    grid_size,
    non_empty_counts,
    non_empty_mask,
)
from extractors.stats.grid import Grid
from extractors.stats.header import (
    Layout,
    _column_letter,
    _find_header,
    _header_key,
    _metric_lookup,
    match_metric_header,
)
from extractors.stats.result import ERROR, empty_frame
from extractors.stats.stacking import _drop_repeated_headers
from extractors.stats.units import _check_unit, _unit_line, clean_unit
from extractors.stats.values import (
    BAD,
    MISSING,
    OK,
    PLAIN,
    RANGE,
    _dense_codes,
    _encode,
    _fmt,
    _has_number,
    _parse_values,
    _strings,
    parse_value,
)
from extractors.stats.years import _sheet_year, _year_from_text, _year_of_cell
from extractors.vocabulary import COLUMN_NUMBER_LABELS, UNIT_HEADERS


class _TableReader:
    """Reads the grids of one file into frames, appending issues and giving
    every non-empty cell it sees a fate in ``ledger`` (see ``accounts``)."""

    def __init__(
        self,
        source_file: str,
        resolver: DistrictResolver,
        metrics: Mapping[str, Metric],
        issues: list[IngestIssue],
        ledger: Ledger | None = None,
    ):
        self.source_file = source_file
        self.resolver = resolver
        self.metrics = metrics
        self.lookup = _metric_lookup(metrics)
        self.issues = issues
        self.ledger = ledger if ledger is not None else Ledger(source_file)
        self.acc = Accounts(self.ledger)
        self._t = -1  # the ledger's table index of the grid being read
        # (table, rows, columns) of each non-empty frame _rows made, in order
        self._origins: list[tuple[int, np.ndarray, np.ndarray]] = []
        # a tidy table just read: (view, layout, header rows, year), for read_more
        self.tidy_state: tuple | None = None

    def origin(self, position: int) -> tuple[int, int, int]:
        """(table, row, column) of the row at ``position`` of the file's frames
        concatenated in the order they were made."""
        for t, rows, cols in self._origins:
            if position < len(rows):
                return t, int(rows[position]), int(cols[position])
            position -= len(rows)
        raise IndexError(position)

    def _where(self, sheet: str | None, row: int | None = None, col: str | None = None) -> str:
        parts = [f"sheet {sheet}"] if sheet is not None else []
        if row is not None:
            parts.append(f"row {row}")
        if col is not None:
            parts.append(f"column {col}")
        return ", ".join(parts) or "file"

    def _issue(self, location: str, reason: str, check: str | None = None) -> None:
        """One rejection; ``check``: the district_stats rule it breaks, if any."""
        self.issues.append(IngestIssue(self.source_file, location, ERROR, str(reason), check))

    def read(self, grid: Grid) -> pd.DataFrame:
        view = self.ledger.see_table(TableView(len(self.ledger.tables), 0, sheet=grid.sheet))
        self._t = view.table
        view.non_empty, view.n_rows, view.n_cols = grid_size(grid)
        if view.non_empty == 0:
            view.kind = "empty"
            if grid.sheet is None:
                self._issue("file", "no data: the file holds only blank lines")
            return empty_frame()  # an empty sheet of a workbook with data is not an issue
        found = _find_header(grid.head, self.lookup, self._is_district_name)
        if found is None:
            if grid.sheet is not None and grid.rows is not None and not _has_number(grid.rows):
                view.kind = "cover or notes sheet (no header, no figure)"
                self.acc.grid_cells(self._t, grid, 0, None, "structural", "cover or notes text")
                return empty_frame()  # a cover, notes or contents sheet: no figure to lose
            reason = self._unknown_layout(grid.head, grid.sheet)
            view.kind = "unknown layout"
            self._issue(self._where(grid.sheet), reason)
            self.acc.grid_cells(self._t, grid, 0, None, "issue", "cell of an unread table", reason)
            return empty_frame()
        layout, header = found
        if (
            layout.kind == "wide" and not layout.metric_columns and grid.rows is not None
            and not _has_number(grid.rows)
        ):
            view.kind = "cover or notes sheet (region header, no metric, no figure)"
            self.acc.grid_cells(self._t, grid, 0, None, "structural", "cover or notes text")
            return empty_frame()
        first = header + 1 - layout.rows
        view.kind = layout.kind
        view.header_rows = tuple(range(first + 1, header + 2))
        view.columns = describe_columns(layout)
        self.acc.head_cells(self._t, grid, 0, first, "structural", "title")
        self.acc.head_cells(self._t, grid, first, header + 1, "structural", "header")
        cols, rows, over = grid.body(header, layout.width)
        masks = None
        if grid.rows is None:  # an Arrow body: its cells are counted here, once
            masks = [non_empty_mask(c) for c in cols]
            view.non_empty += int(sum(int(m.sum()) for m in masks))
        for reason in over:
            self._issue(self._where(grid.sheet), reason)
        self.acc.over_width(self._t, grid, header, layout.width)
        if layout.kind == "wide" and layout.year is None:
            self._year_column_by_content(layout, cols)
            view.columns = describe_columns(layout)
        view.notes.append("rows numbered as shown (from 1), columns from 0 (A)")
        if layout.year is not None:
            view.notes.append(f"year from column {_column_letter(layout.year)}")
        year: int | None = None
        years_in_header = layout.kind == "wide" and bool(layout.metric_columns) and all(
            j in layout.column_years for j in layout.metric_columns
        )
        if years_in_header:
            view.notes.append("year of each column from its group header")
        if layout.year is None and not years_in_header:
            titles = " ".join(c for row in grid.head[:first] for c in row if c)
            for source, found_year in (
                ("a title row", lambda: _year_from_text(titles)),
                ("the sheet name", lambda: _sheet_year(grid.sheet)),
                ("the file name", lambda: _year_from_text(Path(self.source_file).stem)),
            ):
                year = found_year()
                if year is not None:
                    view.notes.append(f"year {year} from {source}")
                    break
            if year is None:
                reason = (
                    "no year: no year column, and none in a title row, the sheet name "
                    "or the file name"
                )
                self._issue(self._where(grid.sheet), reason)
                self.acc.body_blocks(self._t, cols, rows, range(len(cols)), "issue", "value", reason)
                return empty_frame()
        header_rows = grid.head[first : header + 1]
        kept = _drop_repeated_headers(layout, header_rows, cols, rows, year)
        if kept[0] is not cols:
            self.acc.dropped(
                self._t, non_empty_counts(cols), non_empty_counts(kept[0]),
                np.setdiff1d(rows, kept[1]), "structural", "repeated header",
            )
            masks = None
        cols, rows, year = kept
        if layout.kind == "tidy":
            unit = cols[layout.unit] if layout.unit is not None else None
            frame, good, bad = self._rows(
                grid.sheet,
                rows,
                cols[layout.district],
                cols[layout.metric],
                cols[layout.value],
                unit,
                cols[layout.year] if layout.year is not None else year,
                None,
                layout.value,
            )
            self.acc.tidy(self._t, layout, cols, rows, good, bad, masks)
            # what read_more needs to read further batches of this table
            self.tidy_state = (view, layout, header_rows, year)
            return frame
        return self._wide(grid.sheet, layout, cols, rows, year, _unit_line(grid.head[:header]))

    def read_more(self, grid: Grid) -> pd.DataFrame:
        """The next batch of the tidy table :meth:`read` read last (``tidy_state``): an
        Arrow body of the same columns, its rows numbered on from the previous batch.
        The same steps as the tidy branch of ``read``, in the same ledger table.
        ``ValueError`` when this batch cannot continue the table (a stacked table
        below a repeated header would change its year)."""
        view, layout, header_rows, year = self.tidy_state
        cols, rows, _ = grid.body(grid.arrow_header_index, layout.width)
        view.n_rows += len(rows)
        masks = [non_empty_mask(c) for c in cols]
        view.non_empty += int(sum(int(m.sum()) for m in masks))
        kept = _drop_repeated_headers(layout, header_rows, cols, rows, year)
        if kept[0] is not cols:
            if kept[2] is not year:
                raise ValueError("a repeated header changes the year of the rows below it")
            self.acc.dropped(
                self._t, non_empty_counts(cols), non_empty_counts(kept[0]),
                np.setdiff1d(rows, kept[1]), "structural", "repeated header",
            )
            masks = None
        cols, rows, _ = kept
        frame, good, bad = self._rows(
            grid.sheet, rows, cols[layout.district], cols[layout.metric], cols[layout.value],
            cols[layout.unit] if layout.unit is not None else None,
            cols[layout.year] if layout.year is not None else year, None, layout.value,
        )
        self.acc.tidy(self._t, layout, cols, rows, good, bad, masks)
        return frame

    @staticmethod
    def _column_numbers(layout: Layout, cols) -> bool:
        """The first body row numbers the columns: its label is blank or 甲/乙/
        栏次…, and its figures count up by one from column to column."""
        first = [(cols[j][0].as_py() or "").strip() for j in range(len(cols))]
        label = _header_key(first[layout.district]) if layout.district < len(first) else ""
        if label and label not in COLUMN_NUMBER_LABELS:
            return False
        numbers = [c for j, c in enumerate(first) if c and j not in (layout.district, layout.year)
                   and _header_key(c) not in COLUMN_NUMBER_LABELS]
        if len(numbers) < 2 or not all(n.isdigit() for n in numbers):
            return False
        ints = [int(n) for n in numbers]
        return ints[0] >= 1 and all(b == a + 1 for a, b in zip(ints, ints[1:], strict=False))

    def _year_column_by_content(self, layout: Layout, cols) -> None:
        """A column whose header names nothing known (or is blank) but whose
        cells are all years (2019, 2019年) is the year column."""
        for j, col in enumerate(cols):
            if j == layout.district or j in layout.metric_columns or j in layout.ignored_columns:
                continue
            texts = [t for t in pc.unique(pc.utf8_trim_whitespace(col)).to_pylist() if t]
            if texts and len(texts) <= 200 and all(_year_of_cell(t) for t in texts):
                layout.year = j
                layout.unknown_columns.pop(j, None)
                layout.paths.pop(j, None)
                return

    def _unknown_layout(self, head: list[list[str]], sheet: str | None = None) -> str:
        """The reason for a table without a header; names the two transposed
        layouts outside CONTRACT §5 when a row of the head looks like one."""
        for row in head:
            cells = [c.strip() for c in row if c.strip()]
            years = [c for c in cells if _year_of_cell(c)]
            if len(years) >= 2:
                return (
                    f"unknown layout: years across the columns ({', '.join(years[:3])}, …) are "
                    "not read; give one year per file or sheet, or a year column"
                )
            districts = [c for c in cells if self._is_district_name(c)]
            if len(districts) >= 2:
                return (
                    f"unknown layout: districts across the columns ({', '.join(districts[:3])}, "
                    "…) are not read; put districts down the first column and metrics across"
                )
        return "unknown layout: " + explain_no_header(head, sheet)

    def _is_district_name(self, text: str) -> bool:
        found = self.resolver.try_resolve(text, 2000)
        return not (isinstance(found, str) and found.kind in ("unknown", "empty"))

    def _wide(self, sheet, layout: Layout, cols, rows, year, unit_line=None) -> pd.DataFrame:
        matched = {j: match_metric_header(h, self.lookup) for j, h in layout.metric_columns.items()}
        header_units = {j: unit for j, (_code, unit) in matched.items()}
        # a column-number row right below the header (甲 | 1 | 2 | 3 ...)
        if len(rows) and layout.metric_columns and self._column_numbers(layout, cols):
            before = non_empty_counts(cols)
            cols = [c[1:] for c in cols]
            dropped_rows, rows = rows[:1], rows[1:]
            self.acc.dropped(self._t, before, non_empty_counts(cols), dropped_rows, "structural",
                             "column-number row")
        # a units row right below the header (单位 | 个 | 张 ...)
        if len(rows) and layout.metric_columns:
            first = {j: cols[j][0].as_py() for j in layout.metric_columns}
            label = _header_key(cols[layout.district][0].as_py())
            if (
                label in UNIT_HEADERS | {""}
                and any(first.values())
                and all(parse_value(v)[1] != OK for v in first.values())
            ):
                for j, v in first.items():
                    if v and not header_units[j]:
                        header_units[j] = clean_unit(v)
                before = non_empty_counts(cols)
                cols = [c[1:] for c in cols]
                dropped_rows, rows = rows[:1], rows[1:]
                self.acc.dropped(self._t, before, non_empty_counts(cols), dropped_rows, "structural",
                                 "unit row")
        if unit_line:
            # 单位：万人 above the table: the unit of every metric column without
            # its own whose metric it fits; when it fits none, of them all (so
            # the mismatch is reported instead of values read in the wrong unit)
            bare = [j for j in header_units if not header_units[j] and matched[j][0]]
            fits = [
                j
                for j in bare
                if _check_unit(self.metrics[matched[j][0]], unit_line, PLAIN)[1] is None
            ]
            for j in fits or bare:
                header_units[j] = unit_line
        n = len(rows)
        parts = []
        for j, header_text in layout.metric_columns.items():
            parts.append((j, header_text))
        self._other_columns(sheet, layout, cols, rows)
        if not parts or n == 0:
            return empty_frame()
        k = len(parts)
        district = pa.chunked_array([cols[layout.district]] * k) if k else None
        metric = pa.chunked_array([pa.array([h] * n, pa.string()) for _, h in parts])
        value = pa.chunked_array([cols[j] for j, _ in parts])
        unit = pa.chunked_array(
            [pa.array([header_units[j] or ""] * n, pa.string()) for j, _ in parts]
        )
        if layout.year is not None:
            yr = pa.chunked_array([cols[layout.year]] * k)
        elif layout.column_years:  # 2019年 > 床位数 | 2020年 > 床位数: a year per column
            yr = pa.chunked_array([
                pa.array([str(layout.column_years[j])] * n, pa.string()) if j in layout.column_years
                else (pa.array([str(year)] * n, pa.string()) if isinstance(year, int) else year)
                for j, _ in parts
            ])
        else:
            yr = year if isinstance(year, int) else pa.chunked_array([year] * k)
        col_idx = np.repeat(np.array([j for j, _ in parts], dtype=np.int64), n)
        frame, good, bad = self._rows(
            sheet, np.tile(rows, k), district, metric, value, unit, yr, col_idx
        )
        self.acc.wide_values(self._t, [j for j, _ in parts], value, rows, good, bad)
        return frame

    def _other_columns(self, sheet, layout: Layout, cols, rows) -> None:
        """The fates of the body cells outside the metric columns: region and
        year labels, notes; a column whose header path names no metric, or a
        column without a header, is one issue (not one per cell)."""
        counts = non_empty_counts(cols)
        for j, c in enumerate(counts):
            if j in layout.metric_columns or not c:
                continue
            if j == layout.district:
                self.acc.block(self._t, j, rows, "structural", "region (row label)", c)
            elif j == layout.year:
                self.acc.block(self._t, j, rows, "structural", "year", c)
            elif j in layout.ignored_columns:
                self.acc.block(self._t, j, rows, "structural", "note or code column", c)
            else:
                letter = _column_letter(j)
                check = None
                if j in layout.unknown_columns:
                    path = layout.unknown_columns[j]
                    check = RULE_METRIC_KNOWN
                    reason = (
                        f"unknown metric {path!r}: column {letter} names no metric of "
                        f"metrics.csv; {c} value{'s' if c > 1 else ''} not loaded"
                    )
                else:
                    reason = (
                        f"column {letter} has no header: {c} value{'s' if c > 1 else ''} "
                        "not loaded"
                    )
                self._issue(self._where(sheet, col=letter), reason, check)
                self.acc.block(self._t, j, rows, "issue", "value", c, reason)

    def _rows(
        self, sheet, rows: np.ndarray, district, metric, value, unit, year, col_idx, value_col=0
    ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """The common core: string columns -> (frame rows, good, bad) + issues,
        with ``good``/``bad`` the elements loaded / rejected (the others are
        missing figures). ``col_idx``: the column of each element (wide), or
        None with ``value_col`` the value column (tidy). Every lookup runs once
        per distinct value (or distinct pair), then is broadcast."""
        n = len(rows)
        if n == 0:
            return empty_frame(), np.zeros(0, bool), np.zeros(0, bool)
        col_labels = None
        if col_idx is not None:
            letters = {j: _column_letter(j) for j in np.unique(col_idx).tolist()}
            col_labels = np.empty(max(letters) + 1, dtype=object)
            for j, letter in letters.items():
                col_labels[j] = letter
            col_labels = col_labels[col_idx]
        values, status, suffix = _parse_values(value)
        # years
        if isinstance(year, int):
            year_idx, year_vals = np.zeros(n, dtype=np.int64), [year]
            year_texts = [str(year)]
        else:
            year_idx, year_texts = _encode(year)
            year_vals = [_year_of_cell(t) for t in year_texts]
        ny = len(year_vals)
        year_bad_of = np.array([y is None for y in year_vals])
        years_of = np.array([y or 0 for y in year_vals], dtype=np.int64)
        # districts: one resolution per distinct (name, year)
        name_idx, names = _encode(district)
        pair_idx, pairs = _dense_codes(name_idx * ny + year_idx, len(names) * ny)
        code_list: dict[str, int] = {}
        pair_code = np.full(len(pairs), -1, dtype=np.int32)
        pair_reason: dict[int, Unresolved] = {}
        for k, key in enumerate(pairs.tolist()):
            ni, yi = divmod(key, ny)
            if year_vals[yi] is None:
                continue  # reported as a bad year
            found = self.resolver.try_resolve(names[ni], year_vals[yi])
            if isinstance(found, str):
                pair_reason[k] = found
            else:
                pair_code[k] = code_list.setdefault(found.code, len(code_list))
        # metrics
        metric_idx, metric_texts = _encode(metric)
        matched = [match_metric_header(t, self.lookup) for t in metric_texts]
        metric_of = [code for code, _u in matched]
        # units: one check per distinct (metric text, unit text, value suffix)
        if unit is not None:
            unit_idx, unit_texts = _encode(unit)
        else:
            unit_idx, unit_texts = np.zeros(n, dtype=np.int64), [""]
        nu = len(unit_texts)
        combo_idx, combos = _dense_codes(
            (metric_idx * nu + unit_idx) * 4 + suffix, len(metric_texts) * nu * 4
        )
        multiplier, unit_reason = [], []
        for key in combos.tolist():
            kind, rest = key % 4, key // 4
            mi, ui = divmod(rest, nu)
            code = metric_of[mi]
            explicit = clean_unit(unit_texts[ui]) or matched[mi][1]
            mult, reason = _check_unit(self.metrics.get(code) if code else None, explicit, kind)
            multiplier.append(mult)
            unit_reason.append(reason)
        mult_of = np.array(multiplier, dtype=np.float64)
        if (mult_of != 1.0).any():
            mult = mult_of[combo_idx]
            scaled = mult != 1.0  # 1.2 万人 -> 12000, not 12000.000000000002
            values[scaled] = np.round(values[scaled] * mult[scaled], 6)
        # failures, in order of precedence
        # masks are built only when a per-distinct table has a failure
        zeros = np.zeros(n, dtype=bool)
        has_value = status != MISSING
        yr_bad = year_bad_of[year_idx] if year_bad_of.any() else zeros
        d_bad = (pair_code < 0)[pair_idx] & ~yr_bad if (pair_code < 0).any() else zeros
        m_none = np.array([c is None for c in metric_of])
        m_bad = m_none[metric_idx] if m_none.any() else zeros
        u_none = np.array([r is not None for r in unit_reason])
        u_bad = u_none[combo_idx] if u_none.any() else zeros
        sum_of = np.array(
            [c is not None and self.metrics[c].aggregation == "sum" for c in metric_of]
        )
        negative = values < 0
        if negative.any() and not sum_of.all():
            negative &= sum_of[metric_idx]
        bad = status >= BAD  # BAD or RANGE
        for mask in (yr_bad, d_bad, m_bad, u_bad, negative):
            if mask is not zeros:
                bad |= mask
        bad &= has_value
        for i in np.flatnonzero(bad).tolist():
            check = None
            if yr_bad[i]:
                reason = f"bad year {year_texts[year_idx[i]]!r}"
            elif d_bad[i]:
                found = pair_reason[int(pair_idx[i])]
                reason, check = str(found), found.check
            elif m_bad[i]:
                reason = f"unknown metric {metric_texts[metric_idx[i]]!r}"
                check = RULE_METRIC_KNOWN
            elif status[i] == RANGE:
                reason = (
                    f"number out of range: {value[i].as_py()[:40]!r} is too large or too "
                    "small for a float64 (not stored as infinity or 0)"
                )
            elif status[i] == BAD:
                text = value[i].as_py()
                reason = (
                    f"formula {text} has no computed value: the program that wrote the "
                    "file did not calculate it (open and save it in Excel or LibreOffice)"
                    if text.startswith("=")
                    else f"not a number: {text!r}"
                )
            elif u_bad[i]:
                reason = unit_reason[combo_idx[i]]
            else:
                reason = (
                    f"negative value {_fmt(values[i])} for sum metric {metric_of[metric_idx[i]]}"
                )
                check = RULE_NON_NEGATIVE
            col = col_labels[i] if col_labels is not None else None
            self._issue(self._where(sheet, int(rows[i]), col), reason, check)
            j = int(col_idx[i]) if col_idx is not None else value_col
            self.acc.cell(self._t, int(rows[i]), j, "issue", "value", reason, value[i].as_py())
        good = has_value & ~bad
        if good.all():
            sel = None
        elif good.any():
            sel = np.flatnonzero(good)
        else:
            return empty_frame(), good, bad
        pick = (lambda a: a) if sel is None else (lambda a: a[sel])
        metric_units = [self.metrics[c].unit if c else None for c in metric_of]
        prefix = f"sheet {sheet}, row " if sheet is not None else "row "
        location = pc.binary_join_element_wise(
            prefix, pc.cast(pa.array(pick(rows)), pa.string()), ""
        )
        if col_labels is not None:
            location = pc.binary_join_element_wise(
                location, pa.array(pick(col_labels).tolist(), pa.string()), ", column "
            )
        m_sel = pa.array(pick(metric_idx))
        m = len(m_sel)
        frame = pd.DataFrame(
            {
                "metric_code": _strings(pc.take(pa.array(metric_of, pa.string()), m_sel)),
                "district_code": _strings(
                    pc.take(
                        pa.array(list(code_list), pa.string()), pa.array(pick(pair_code[pair_idx]))
                    )
                ),
                "year": pick(years_of[year_idx]),
                "value": pick(values),
                "unit": _strings(pc.take(pa.array(metric_units, pa.string()), m_sel)),
                "source_file": _strings(pa.repeat(pa.scalar(self.source_file), m)),
                "location": _strings(location),
            }
        )
        # where each row came from, for the ledger (a dropped duplicate)
        self._origins.append((
            self._t, pick(rows),
            pick(col_idx) if col_idx is not None else np.full(m, value_col, dtype=np.int64),
        ))
        return frame, good, bad
