"""District statistics: every file of raw/stats into one tidy frame, bad rows quarantined."""

import dagster as dg
import pandas as pd

from pipelines.assets.common import asset_defaults
from pipelines.checks import check_result
from pipelines.metadata import table_metadata
from pipelines.reference_data import read_reference
from pipelines.resources import RawFolder, WarehouseResource, data_path

STATS_CHECK = "district_stats_quality"
STATS_SCOPE = "stats"


@dg.asset(
    **asset_defaults("stats", "csv", "excel", "pandas"),
    deps=["reference"],
    check_specs=[
        dg.AssetCheckSpec(
            STATS_CHECK, asset="district_stats", blocking=True,
            description="The `district_stats` expectation suite. Rows failing an error-severity "
                        "expectation are quarantined to ingest_issues (WARN); the check blocks "
                        "the load only if what remains still fails.",
        )
    ],
    description="District statistics from raw/stats (CSV in UTF-8/GBK, XLSX, XLS; tidy or "
                "yearbook-wide) with district names resolved to the GB/T 2260 code valid in "
                "the row's year. Rows that cannot be read or resolved go to ingest_issues.",
)
def district_stats(context: dg.AssetExecutionContext, raw: RawFolder, warehouse: WarehouseResource):
    from expectations.runner import issues_from, run_suite, write_data_docs
    from extractors.budget import read_stats_folder
    from extractors.files import input_files
    from extractors.stats import STATS_SUFFIXES
    from pipelines.stats_guard import (
        file_states,
        held_back_files,
        held_back_issues,
        kept_rows_per_file,
        shrunk_files,
    )
    from warehouse.load import replace_issues, stats_rows_loaded

    raw.require_layout()
    ref = read_reference(raw.reference_dir)
    paths = input_files(raw.stats_dir, STATS_SUFFIXES)
    before = file_states(paths)
    result = read_stats_folder(raw.stats_dir, ref.resolver, ref.metrics)
    after = file_states(paths)
    frame = result.frame.reset_index(drop=True)
    engine = warehouse.get_engine()
    previous = stats_rows_loaded(engine)
    # unreadable or still changing: held back whole, before the suite looks at its rows
    held = held_back_files(paths, before, after, frame, result.issues)
    if held:
        frame = frame[~frame["source_file"].isin(held)].reset_index(drop=True)
    suite = run_suite("district_stats", frame, districts=ref.districts, metrics=ref.metrics,
                      docs_dir=None)
    bad = suite.failing_positions("error")
    issues = list(result.issues) + issues_from(suite, frame)
    clean = frame.drop(index=bad).reset_index(drop=True) if bad else frame
    # sharply smaller than its last good load (after quarantine: what would be loaded)
    present = {p.name for p in paths}
    shrunk = shrunk_files(kept_rows_per_file(clean),
                          {f: n for f, n in previous.items() if f in present and f not in held},
                          raw.shrink_accepted)
    if shrunk:
        clean = clean[~clean["source_file"].isin(shrunk)].reset_index(drop=True)
        held.update(shrunk)
    if bad or shrunk:
        if bad:
            context.log.warning(f"{len(bad)} statistics rows quarantined by expectations")
        suite = run_suite("district_stats", clean, districts=ref.districts, metrics=ref.metrics,
                          docs_dir=None)
    issues += held_back_issues(held, previous)
    for name, why in sorted(held.items()):
        context.log.warning(f"{name}: held back whole, previous rows kept: {why}")
    suite.docs_path = str(write_data_docs(suite, data_path("docs")))
    replace_issues(engine, STATS_SCOPE, issues)
    files = sorted(clean["source_file"].unique()) if len(clean) else []
    yield dg.Output(
        clean,
        metadata={
            "files": len(files),
            "held_back": ", ".join(sorted(held)) or "-",
            "issues": len(issues),
            "quarantined_rows": len(bad),
            "metrics": int(clean["metric_code"].nunique()) if len(clean) else 0,
            "years": ", ".join(str(y) for y in sorted(clean["year"].unique())) if len(clean) else "-",
            **table_metadata(clean),
        },
    )
    yield check_result(STATS_CHECK, suite, quarantined=len(bad) + len(result.issues) + len(held))


@dg.asset(
    **asset_defaults("warehouse", "sql"),
    description="fct_district_stat: metric x district x year, replaced per source file in one "
                "transaction from district_stats (an unchanged file's rows are untouched; a "
                "held-back file keeps its previous rows).",
)
def fct_district_stat(context: dg.AssetExecutionContext, district_stats: pd.DataFrame,
                      warehouse: WarehouseResource) -> dg.MaterializeResult:
    from pipelines.stats_guard import HELD_BACK_CHECK
    from warehouse.load import held_back_stats_files, load_stats

    engine = warehouse.get_engine()
    kept = held_back_stats_files(engine, HELD_BACK_CHECK)
    status = load_stats(engine, district_stats, keep_files=kept)
    return dg.MaterializeResult(metadata={"status": str(status),
                                          "held_back": ", ".join(sorted(kept)) or "-",
                                          **table_metadata(district_stats)})
