"""Data-quality suites (Great Expectations 1.x, as code) and run_suite, returning plain results."""

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
