"""The result of reading statistics: the frame of rows and the issues."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from extractors.records import STAT_FRAME_COLUMNS, IngestIssue

FRAME_COLUMNS = list(STAT_FRAME_COLUMNS)


ERROR = "error"


@dataclass
class StatsResult:
    frame: pd.DataFrame
    issues: list[IngestIssue] = field(default_factory=list)


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
