"""The result of reading statistics: the frame of rows and the issues."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from extractors.ledger import Ledger
from extractors.records import STAT_FRAME_COLUMNS, IngestIssue

FRAME_COLUMNS = list(STAT_FRAME_COLUMNS)


ERROR = "error"


@dataclass
class StatsResult:
    """Rows, issues, and the cell ledgers: ``ledger`` of the file (read_stats_file),
    ``ledgers`` of every file read (read_stats_folder; a file's ledger shows
    it as read alone: a value conflicting with an earlier file stays counted
    in its records there, and is an issue of the folder)."""

    frame: pd.DataFrame
    issues: list[IngestIssue] = field(default_factory=list)
    ledger: Ledger | None = None
    ledgers: list[Ledger] = field(default_factory=list)
    # (metric, district, year) keys a file read in batches repeats across its batches: the
    # duplicate rule for them is the caller's (expectations.stats_sql.dedupe_staged)
    repeated_keys: list[tuple[str, str, int]] = field(default_factory=list)


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "metric_code": pd.Series(dtype="string[pyarrow]"),
            "district_code": pd.Series(dtype="string[pyarrow]"),
            "year": pd.Series(dtype="int64"),
            "value": pd.Series(dtype="float64"),
            "unit": pd.Series(dtype="string[pyarrow]"),
            "source_file": pd.Series(dtype="string[pyarrow]"),
            "location": pd.Series(dtype="string[pyarrow]"),
        }
    )
