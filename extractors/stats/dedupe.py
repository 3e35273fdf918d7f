"""Duplicate (metric, district, year) rows within and across files."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from extractors.records import RULE_UNIQUE_KEY, IngestIssue
from extractors.stats.result import ERROR, empty_frame
from extractors.stats.values import _dense_codes, _fmt


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_frame()
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


def _dedupe(
    frame: pd.DataFrame, issues: list[IngestIssue], on_drop: Callable | None = None
) -> pd.DataFrame:
    """Keep the first value of each (metric, district, year); a later different
    value is an issue, an equal one is dropped silently. ``on_drop(position,
    reason)`` is told of each dropped row (its position in ``frame``, whose
    index must be a RangeIndex; reason None for an equal value)."""
    if len(frame) < 2:
        return frame
    key = ["metric_code", "district_code", "year"]
    combined = np.zeros(len(frame), dtype=np.int64)
    space = 1
    for column in key:
        codes, uniques = pd.factorize(frame[column])
        combined = combined * len(uniques) + codes
        space *= len(uniques)
    codes, uniques = _dense_codes(combined, space)
    dup = np.bincount(codes, minlength=len(uniques))[codes] > 1
    if not dup.any():
        return frame
    sub = frame[dup]
    first = sub.groupby(key, sort=False, observed=True).head(1)
    firsts = first.set_index(key)
    later = sub.drop(first.index)
    for position, row in zip(later.index.tolist(), later.itertuples(index=False), strict=True):
        ref = firsts.loc[(row.metric_code, row.district_code, row.year)]
        if row.value == ref.value and on_drop is not None:
            on_drop(position, None)
        if row.value != ref.value:
            where = (
                ref.location
                if ref.source_file == row.source_file
                else (f"{ref.source_file}, {ref.location}")
            )
            issues.append(
                IngestIssue(
                    row.source_file,
                    row.location,
                    ERROR,
                    f"conflicting value {_fmt(row.value)} for {row.metric_code} "
                    f"{row.district_code} {row.year}: first value {_fmt(ref.value)} "
                    f"at {where} kept",
                    RULE_UNIQUE_KEY,
                )
            )
            if on_drop is not None:
                on_drop(position, issues[-1].reason)
    return frame.drop(later.index).reset_index(drop=True)
