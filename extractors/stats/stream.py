"""Large tidy CSVs read in batches: memory bounded by the batch, not by the file.

``read_stats_file`` builds a file's whole frame (a 5M-row CSV: ~1.4 GB resident). A
large UTF-8 CSV whose header makes it a tidy table (district, year, metric, value[,
unit]) is read here instead, batch by batch with pyarrow's streaming CSV reader, each
batch through the same steps as the whole table (``_TableReader.read`` for the first,
``read_more`` for the next, in one ledger table) and sent on as soon as it is read.
The within-file duplicate rule is applied within each batch here; a key repeated across
batches is listed (:class:`SeenKeys`, ``StatsResult.repeated_keys``) and settled where
the rows are staged, as the cross-file rule is: the same rows and issues as the
one-frame read (the repeats across batches listed after the file's other issues, and
their cells, as a cross-file duplicate's, counted in the file's records by its ledger).

A file that turns out not to fit after batches were sent (ragged rows, blank lines or
quoted line breaks that shift row numbers, a stacked table changing the year) raises
:class:`BatchesBroken`; the caller drops what was sent and reads the file whole.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from extractors.ledger import Ledger
from extractors.records import IngestIssue, Metric
from extractors.reference import DistrictResolver
from extractors.stats import csvgrid
from extractors.stats.dedupe import _dedupe
from extractors.stats.grid import Grid
from extractors.stats.result import ERROR, StatsResult, empty_frame
from extractors.stats.table import _TableReader

BATCH_BYTES = 4 << 20  # CSV bytes per batch (~90k rows of a tidy file)


class BatchesBroken(Exception):
    """The file cannot be read on in batches after some were sent: read it whole."""


class SeenKeys:
    """Which (metric, district, year) keys earlier batches of a file held: one byte per
    possible key (a bool grid per year over the metric and district codes met so far,
    grown as new codes come), not per row, so the worker's memory stays bounded by the
    batch. A key met again in a later batch is listed (:attr:`repeated`); its rows all
    go on, and the rule is applied where the rows are staged
    (``expectations.stats_sql.dedupe_staged`` with these keys)."""

    def __init__(self) -> None:
        self.ids: tuple[dict, dict] = ({}, {})  # metric code, district code -> small int
        self.grids: dict[int, np.ndarray] = {}  # year -> bool[metric id, district id]
        self.repeated: set[tuple[str, str, int]] = set()

    def _ids(self, frame: pd.DataFrame, column: str, ids: dict) -> np.ndarray:
        codes, uniques = pd.factorize(frame[column])
        own = np.array([ids.setdefault(u, len(ids)) for u in uniques.tolist()], np.int64)
        return own[codes]

    def _grid(self, year: int) -> np.ndarray:
        need = (max(len(self.ids[0]), 1), max(len(self.ids[1]), 1))
        grid = self.grids.get(year)
        have = grid.shape if grid is not None else (0, 0)
        if have[0] < need[0] or have[1] < need[1]:
            # a dimension that must grow doubles (amortised copies); the other keeps its size
            grown = np.zeros(tuple(h if h >= n else max(n, 2 * h)
                                   for h, n in zip(have, need, strict=True)), bool)
            if grid is not None:
                grown[: grid.shape[0], : grid.shape[1]] = grid
            grid = self.grids[year] = grown
        return grid

    def add(self, frame: pd.DataFrame) -> None:
        """Note the keys of one batch (itself without repeated keys), listing those an
        earlier batch held."""
        if not len(frame):
            return
        metric = self._ids(frame, "metric_code", self.ids[0])
        district = self._ids(frame, "district_code", self.ids[1])
        years = frame["year"].to_numpy(np.int64)
        for year in np.unique(years).tolist():
            sel = np.flatnonzero(years == year)
            grid = self._grid(year)
            m, d = metric[sel], district[sel]
            for i in sel[grid[m, d]].tolist():
                self.repeated.add((frame["metric_code"].iat[i], frame["district_code"].iat[i],
                                   int(year)))
            grid[m, d] = True


def read_stats_batches(path: str | Path, resolver: DistrictResolver,
                       metrics: Mapping[str, Metric],
                       send: Callable[[pd.DataFrame], None]) -> StatsResult | None:
    """A large tidy UTF-8 CSV read batch by batch, each batch's rows given to ``send``
    as they are read; returns the ``StatsResult`` (empty frame, issues, ledger) or None,
    having sent nothing, when the file is not one to read in batches (small, not UTF-8,
    no tidy header in its first lines, empty body). Raises :class:`BatchesBroken` when
    it stops fitting after batches were sent."""
    import pyarrow.csv as pacsv

    path = Path(path)
    if path.stat().st_size <= csvgrid.FAST_PATH_BYTES or not csvgrid._starts_as_utf8(path):
        return None
    issues: list[IngestIssue] = []
    ledger = Ledger(path.name)
    reader = _TableReader(path.name, resolver, metrics, issues, ledger)
    found = csvgrid._fast_head(path, "utf-8-sig", reader.lookup)
    if found is None:
        return None
    head, header, width, delim = found
    physical = csvgrid.physical_lines(path)
    try:
        batches = pacsv.open_csv(path, **csvgrid._arrow_csv_options(header, width, delim,
                                                                     BATCH_BYTES))
        batch = batches.read_next_batch()
    except (pa.ArrowInvalid, pa.ArrowTypeError, StopIteration):
        return None  # the whole-file read decides (and says) what is wrong

    def grid(batch, first_row: int) -> Grid:
        return Grid(None, head[: header + 1], arrow=pa.Table.from_batches([batch]),
                    arrow_first_row=first_row, arrow_header_index=header)

    next_row = header + 2
    frame = reader.read(grid(batch, next_row))
    if reader.tidy_state is None:
        return None  # not a tidy table: nothing sent, read whole
    seen = SeenKeys()
    duplicates: list[IngestIssue] = []
    sent = 0
    try:
        while True:
            next_row += batch.num_rows
            if len(frame):
                _t, rows, cols = reader._origins.pop()

                def dropped(i: int, reason: str | None, t=_t, rows=rows, cols=cols) -> None:
                    if reason is None:
                        reader.acc.move(t, int(rows[i]), int(cols[i]), "structural",
                                        "duplicate of an equal value", None)
                    else:
                        reader.acc.move(t, int(rows[i]), int(cols[i]), "issue", "value", reason)

                frame = _dedupe(frame, duplicates, dropped)  # repeats within the batch
                seen.add(frame)
                if len(frame):
                    send(frame)
                    sent += len(frame)
            try:
                batch = batches.read_next_batch()
            except StopIteration:
                break
            frame = reader.read_more(grid(batch, next_row))
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
        raise BatchesBroken(str(exc)) from None
    if next_row - (header + 2) != physical - header - 1:  # blank lines, quoted line breaks
        raise BatchesBroken("row numbers shifted")
    reader.acc.close()
    issues.extend(duplicates)
    if not sent and not issues:
        issues.append(IngestIssue(path.name, "file", ERROR, "no statistics found"))
    return StatsResult(empty_frame(), issues, ledger, [ledger], sorted(seen.repeated))
