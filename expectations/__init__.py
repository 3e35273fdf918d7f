"""Data-quality suites (Great Expectations 1.x, as code) and a runner returning
plain results. No Dagster here; GX itself is imported only when a suite runs.

    from expectations import run_suite, issues_from
    result = run_suite("district_stats", frame, districts=..., metrics=..., docs_dir="data/docs")
"""

# suites kept in modules of their own, and runners of their own, register on import
from expectations import progress_suite, restate_suite, stats_sql  # noqa: F401 - stats_sql registers
from expectations.runner import (
    ExpectationResult,
    SuiteResult,
    issues_from,
    run_suite,
    write_data_docs,
)

progress_suite.register()
restate_suite.register()

__all__ = ["ExpectationResult", "SuiteResult", "issues_from", "run_suite", "write_data_docs"]
