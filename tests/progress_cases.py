"""Failing and near-miss frames for each rule of the ``progress`` suite
(expectations/progress_suite.py), merged into tests/test_expectations.py's CASES."""

from __future__ import annotations

import pandas as pd


def prog(**kw) -> dict:
    row = dict(indicator_id="i1", district_code="330102", year=2018, status="on track",
               baseline_value=50.0, actual_value=72.0, required_value=74.0,
               progress_ratio=0.92, anticipated_value=88.0, end_target_value=90.0,
               schedule_year=2017, schedule_position=-1)
    row.update(kw)
    return row


def prog_frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame([prog(), prog(year=2019, actual_value=82.0, schedule_year=2018)]
                        + list(rows))


_INSUFFICIENT = dict(status="insufficient data", progress_ratio=None, required_value=None)

# rule -> (suite, failing frame, passing near-miss frame, context)
PROGRESS_CASES = {
    "progress.status_in_vocabulary": (
        "progress", prog_frame(prog(district_code="330106", status="on schedule")),
        prog_frame(prog(district_code="330106", status="deteriorating")), {}),
    "progress.ratios_finite": (
        "progress", prog_frame(prog(district_code="330106", progress_ratio=float("inf"))),
        prog_frame(prog(district_code="330106", progress_ratio=None,
                        status="deteriorating")), {}),
    "progress.status_needs_baseline": (
        "progress", prog_frame(prog(district_code="330106", baseline_value=None)),
        prog_frame(prog(district_code="330106", baseline_value=None, **_INSUFFICIENT)), {}),
    "progress.status_needs_actual": (
        "progress", prog_frame(prog(district_code="330106", actual_value=None)),
        prog_frame(prog(district_code="330106", actual_value=None, **_INSUFFICIENT)), {}),
    "progress.schedule_consistent": (
        "progress", prog_frame(prog(district_code="330106", schedule_position=-2)),
        prog_frame(prog(district_code="330106", schedule_year=None,
                        schedule_position=None)), {}),
    "progress.unique_indicator_district_year": (
        "progress", prog_frame(prog()), prog_frame(prog(district_code="330106")), {}),
}
