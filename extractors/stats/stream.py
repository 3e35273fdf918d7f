"""Large tidy CSVs read in batches: memory bounded by the batch, not by the file.

``read_stats_file`` builds a file's whole frame (a 5M-row CSV: ~1.4 GB resident). A
large UTF-8 CSV whose header makes it a tidy table (district, year, metric, value[,
unit]) is read here instead, batch by batch with pyarrow's streaming CSV reader, each
batch through the same steps as the whole table (``_TableReader.read`` for the first,
``read_more`` for the next, in one ledger table) and sent on as soon as it is read. The
within-file duplicate rule spans batches (:class:`SeenKeys`): the same rows, issues and
cell fates as the one-frame read, in the same order.

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
from extractors.stats.grid import Grid
from extractors.stats.result import ERROR, StatsResult, empty_frame
from extractors.stats.table import _TableReader
from extractors.stats.values import _fmt

BATCH_BYTES = 16 << 20  # CSV bytes per batch (~350k rows of a tidy file)


class BatchesBroken(Exception):
    """The file cannot be read on in batches after some were sent: read it whole."""


class SeenKeys:
    """The (metric, district, year) keys of the rows already sent, each with its first
    value and row number: the within-file duplicate rule of ``extractors.stats.dedupe``
    across batches (the first row of a key is kept; a later equal value is dropped, a
    later different value is an issue). Three int64/float64 arrays, sorted by key."""

    def __init__(self) -> None:
        self.ids: tuple[dict, dict] = ({}, {})  # metric code, district code -> small int
        self.keys = np.empty(0, np.int64)
        self.values = np.empty(0, np.float64)
        self.rows = np.empty(0, np.int64)

    def _key(self, frame: pd.DataFrame) -> np.ndarray:
        key = np.zeros(len(frame), np.int64)
        for ids, column, shift in ((self.ids[0], "metric_code", 42),
                                   (self.ids[1], "district_code", 20)):
            codes, uniques = pd.factorize(frame[column])
            own = np.array([ids.setdefault(u, len(ids)) for u in uniques.tolist()], np.int64)
            key |= own[codes] << shift
        return key | (frame["year"].to_numpy(np.int64) & 0xFFFFF)

    def dedupe(self, frame: pd.DataFrame, rows: np.ndarray,
               on_drop: Callable[[int, str | None], None]) -> tuple[pd.DataFrame, list]:
        """``frame`` (one batch; ``rows`` its row numbers) without its repeated keys, and
        the issues of the conflicting ones; ``on_drop(i, reason)`` is told of each row
        dropped (its position in the batch; reason None for an equal value)."""
        if not len(frame):
            return frame, []
        key = self._key(frame)
        uniq, first, inverse = np.unique(key, return_index=True, return_inverse=True)
        batch_first = first[inverse]
        if len(self.keys):
            at = np.minimum(np.searchsorted(self.keys, uniq), len(self.keys) - 1)
            seen = self.keys[at] == uniq
        else:
            at, seen = np.zeros(len(uniq), np.int64), np.zeros(len(uniq), bool)
        values = frame["value"].to_numpy(np.float64)
        earlier = seen[inverse]
        drop = (np.arange(len(frame)) != batch_first) | earlier
        issues = []
        if drop.any():
            ref_value = np.where(earlier, self.values[at[inverse]], values[batch_first])
            ref_row = np.where(earlier, self.rows[at[inverse]], rows[batch_first])
            locations = frame["location"]
            for i in np.flatnonzero(drop).tolist():
                if values[i] == ref_value[i]:
                    on_drop(i, None)
                    continue
                reason = (
                    f"conflicting value {_fmt(values[i])} for {frame['metric_code'].iat[i]} "
                    f"{frame['district_code'].iat[i]} {int(frame['year'].iat[i])}: first value "
                    f"{_fmt(ref_value[i])} at row {int(ref_row[i])} kept"
                )
                issues.append(IngestIssue(frame["source_file"].iat[i], locations.iat[i], ERROR,
                                          reason))
                on_drop(i, reason)
        new = ~seen
        where = np.searchsorted(self.keys, uniq[new])
        self.keys = np.insert(self.keys, where, uniq[new])
        self.values = np.insert(self.values, where, values[first[new]])
        self.rows = np.insert(self.rows, where, rows[first[new]])
        if drop.any():
            frame = frame[~drop].reset_index(drop=True)
        return frame, issues


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
                t, rows, cols = reader._origins.pop()

                def dropped(i: int, reason: str | None, t=t, rows=rows, cols=cols) -> None:
                    if reason is None:
                        reader.acc.move(t, int(rows[i]), int(cols[i]), "structural",
                                        "duplicate of an equal value", None)
                    else:
                        reader.acc.move(t, int(rows[i]), int(cols[i]), "issue", "value", reason)

                frame, found_issues = seen.dedupe(frame, rows, dropped)
                duplicates += found_issues
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
    return StatsResult(empty_frame(), issues, ledger, [ledger])
