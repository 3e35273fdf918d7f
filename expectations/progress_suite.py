"""The ``progress`` suite: fct_progress rows (warehouse/progress.py, docs/progress.md).

Registered in ``expectations.suites.SUITES`` by one hook in expectations/__init__.py.

Frame: ``fct_progress`` rows (every column of the table).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from expectations.suites import Part, _ensure, _helper_rule, _native_rule, _to_float, _with_row
from warehouse.schema import INSUFFICIENT, PROGRESS_STATUSES

PROGRESS_COLUMNS = ("indicator_id", "district_code", "year", "status", "baseline_value",
                    "actual_value", "required_value", "progress_ratio", "anticipated_value",
                    "end_target_value", "schedule_year", "schedule_position")
_KEY = ("indicator_id", "district_code", "year")
# Numbers that must be finite when present (NaN and infinities come from a division by
# zero or an overflow the build should have refused).
FINITE_COLUMNS = ("progress_ratio", "required_value", "anticipated_value", "end_target_value")


def _finite_or_null(series: pd.Series) -> pd.Series:
    def ok(v) -> bool:
        if v is None:
            return True
        try:
            return math.isfinite(float(v))
        except (TypeError, ValueError):
            return False

    return series.map(ok).astype(bool)


def prepare_progress(frame: pd.DataFrame, **_: Any) -> pd.DataFrame:
    df = _ensure(_with_row(frame), PROGRESS_COLUMNS)
    # the database returns NULL as None (object column) or NaN (float column): both null
    finite = pd.Series(True, index=df.index)
    for col in FINITE_COLUMNS:
        raw = df[col].astype(object).where(df[col].notna(), None)
        finite &= _finite_or_null(raw)
    df["ratios_finite"] = finite
    df["status_needs_baseline"] = (df["status"] == INSUFFICIENT) | df["baseline_value"].notna()
    df["status_needs_actual"] = (df["status"] == INSUFFICIENT) | df["actual_value"].notna()
    sy = _to_float(df["schedule_year"])
    pos = _to_float(df["schedule_position"])
    yr = _to_float(df["year"])
    df["schedule_consistent"] = (sy.isna() & pos.isna()) | ((sy - yr) == pos)
    return df


PROGRESS_RULES = (
    _native_rule(
        "progress.status_in_vocabulary", "error",
        f"status is one of {', '.join(PROGRESS_STATUSES)}",
        _KEY + ("status",), "ExpectColumnValuesToBeInSet", column="status",
        value_set=list(PROGRESS_STATUSES)),
    _helper_rule(
        "progress.ratios_finite", "error",
        "progress ratio, required, anticipated and end-target values are finite when present",
        _KEY + FINITE_COLUMNS),
    _helper_rule(
        "progress.status_needs_baseline", "error",
        "no status other than 'insufficient data' without a baseline value",
        _KEY + ("status", "baseline_value")),
    _helper_rule(
        "progress.status_needs_actual", "error",
        "no status other than 'insufficient data' without an actual value",
        _KEY + ("status", "actual_value")),
    _helper_rule(
        "progress.schedule_consistent", "warning",
        "schedule_position is schedule_year - year (both null when no target is met)",
        _KEY + ("schedule_year", "schedule_position")),
    _native_rule(
        "progress.unique_indicator_district_year", "error",
        "one progress row per (indicator, district, year)",
        _KEY, "ExpectCompoundColumnsToBeUnique", column_list=list(_KEY)),
)

PROGRESS_PARTS: tuple[Part, ...] = (Part("progress", "rows", prepare_progress, PROGRESS_RULES),)


def register() -> None:
    """Add the suite to the registry (called by expectations/__init__.py)."""
    from expectations.suites import SUITES

    SUITES["progress"] = PROGRESS_PARTS
