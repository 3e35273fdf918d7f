"""Great Expectations results (plain data from ``expectations``) as Dagster check results."""

from __future__ import annotations

import dagster as dg

_SAMPLE_ROWS = 5


def suite_metadata(suite_result) -> dict:
    """One line per expectation, plus a sample of failing rows and the Data Docs path."""
    lines = ["| expectation | severity | result | unexpected |", "|---|---|---|---|"]
    for r in suite_result.results:
        lines.append(f"| {r.name} | {r.severity} | {r.status} | {r.unexpected_count} |")
    meta: dict = {
        "expectations": dg.MetadataValue.md("\n".join(lines)),
        "unexpected_count": dg.MetadataValue.int(
            sum(r.unexpected_count or 0 for r in suite_result.failed)
        ),
    }
    samples = [
        {"expectation": r.name, **row}
        for r in suite_result.failed
        for row in (r.sample or [])[:_SAMPLE_ROWS]
    ]
    if samples:
        meta["failing_sample"] = dg.MetadataValue.json(samples[:20])
    if suite_result.docs_path:
        meta["data_docs"] = dg.MetadataValue.path(str(suite_result.docs_path))
    return meta


def check_result(check_name: str, suite_result, quarantined: int = 0) -> dg.AssetCheckResult:
    """ERROR (blocking) when an error-severity expectation fails on what would be loaded;
    WARN when only warnings failed or rows were quarantined; passed otherwise."""
    errors = [r for r in suite_result.failed if r.severity == "error"]
    warnings = [r for r in suite_result.failed if r.severity != "error"]
    meta = suite_metadata(suite_result)
    if quarantined:
        meta["quarantined_rows"] = dg.MetadataValue.int(quarantined)
    if errors:
        return dg.AssetCheckResult(
            check_name=check_name, passed=False, severity=dg.AssetCheckSeverity.ERROR,
            metadata=meta,
            description="failed: " + ", ".join(r.name for r in errors),
        )
    if warnings or quarantined:
        return dg.AssetCheckResult(
            check_name=check_name, passed=False, severity=dg.AssetCheckSeverity.WARN,
            metadata=meta,
            description="warnings: " + ", ".join(r.name for r in warnings)
            + (f"; {quarantined} rows quarantined" if quarantined else ""),
        )
    return dg.AssetCheckResult(check_name=check_name, passed=True, metadata=meta)
