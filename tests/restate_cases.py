"""Failing and near-miss frames for each rule of the ``restatement`` suite
(expectations/restate_suite.py), merged into tests/test_expectations.py's CASES."""

from __future__ import annotations

import pandas as pd


def weight(new_code: str, value: float, old_code: str = "330104", metric: str = "*") -> dict:
    return dict(change_year=2021, old_code=old_code, new_code=new_code, metric_code=metric,
                weight=value)


def weights_frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame([weight("330102", 0.6), weight("330114", 0.4)] + list(rows))


# rule -> (suite, failing frame, passing near-miss frame, context)
RESTATE_CASES = {
    "restatement.weights_sum_to_one": (
        "restatement", weights_frame(weight("330110", 0.5, "330110")),
        weights_frame(weight("330110", 1.0, "330110")), {}),
    "restatement.weight_in_range": (
        "restatement", weights_frame(weight("330110", 1.5, "330110")),
        weights_frame(weight("330110", 1.0, "330110")), {}),
    "restatement.unique_split_weight": (
        "restatement", weights_frame(weight("330102", 0.6)),
        weights_frame(weight("330102", 1.0, metric="beds")), {}),
}
