"""The ``restatement`` suite: the split weights restatement uses (ref_split_weight,
raw/reference/split_weights.csv; warehouse/restate.py, docs/time.md).

Registered in ``expectations.suites.SUITES`` by one hook in expectations/__init__.py.

Frame: ``ref_split_weight`` rows (change_year, old_code, new_code, metric_code, weight).
A group (change_year, old_code, metric_code) whose weights do not sum to 1 is not used by
the restatement (an ingest_issues row says so); this suite shows it in the Data Docs and
the asset check.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from expectations.suites import Part, _ensure, _helper_rule, _native_rule, _to_float, _with_row
from extractors.reference import WEIGHT_SUM_TOLERANCE

WEIGHT_COLUMNS = ("change_year", "old_code", "new_code", "metric_code", "weight")
_GROUP = ["change_year", "old_code", "metric_code"]
_KEY = ("change_year", "old_code", "new_code", "metric_code")


def prepare_weights(frame: pd.DataFrame, **_: Any) -> pd.DataFrame:
    df = _ensure(_with_row(frame), WEIGHT_COLUMNS)
    w = _to_float(df["weight"])
    df["weight_in_range"] = w.map(lambda v: v is not None and math.isfinite(v)
                                  and 0 <= v <= 1).astype(bool)
    if len(df):
        sums = w.fillna(math.nan).groupby([df[c] for c in _GROUP]).transform("sum")
        df["weights_sum_to_one"] = ((sums - 1.0).abs() <= float(WEIGHT_SUM_TOLERANCE)).astype(bool)
    else:
        df["weights_sum_to_one"] = pd.Series(dtype=bool)
    return df


RESTATEMENT_RULES = (
    _helper_rule(
        "restatement.weights_sum_to_one", "error",
        "the split weights of one old code, change year and metric (or *) sum to 1",
        WEIGHT_COLUMNS),
    _helper_rule(
        "restatement.weight_in_range", "error", "every split weight is between 0 and 1",
        WEIGHT_COLUMNS),
    _native_rule(
        "restatement.unique_split_weight", "error",
        "one weight per (change year, old code, new code, metric)",
        _KEY, "ExpectCompoundColumnsToBeUnique", column_list=list(_KEY)),
)

RESTATEMENT_PARTS: tuple[Part, ...] = (
    Part("restatement", "rows", prepare_weights, RESTATEMENT_RULES),
)


def register() -> None:
    """Add the suite to the registry (called by expectations/__init__.py)."""
    from expectations.suites import SUITES

    SUITES["restatement"] = RESTATEMENT_PARTS
