"""Decorator defaults shared by every planwh asset, and the shape of a checked fact table."""

import dagster as dg

OWNERS = ["team:performance-office"]


def asset_defaults(domain: str, *kinds: str) -> dict:
    """Group, owners, tags and kinds of an asset of ``domain``. Every planwh asset opens
    the warehouse, and an embedded DuckDB file admits one process at a time, so all of
    them share the pool ``warehouse``."""
    return {"group_name": domain, "owners": OWNERS, "tags": {"domain": domain},
            "kinds": set(kinds), "pool": "warehouse"}


def fact_asset(name: str, check: str, check_description: str, *, deps: list,
               description: str):
    """The decorator of a fact table rebuilt in SQL over the warehouse and validated by
    its expectation suite (asset check ``check``)."""
    return dg.asset(
        name=name, **asset_defaults("warehouse", "sql"), deps=deps,
        check_specs=[dg.AssetCheckSpec(check, asset=name, description=check_description)],
        description=description,
    )


def build_and_validate(engine, build, table: str, view: str, suite: str, **context):
    """``build(engine)`` (rows written), then ``table`` and ``view`` read back and ``table``
    validated by ``suite`` (Data Docs in data/docs): (rows, facts, view frame, result)."""
    from expectations.runner import run_suite
    from pipelines.resources import data_path
    from warehouse.counts import read_frame

    n = build(engine)
    facts = read_frame(engine, f"SELECT * FROM {table}")
    shown = read_frame(engine, f"SELECT * FROM {view}")
    result = run_suite(suite, facts, docs_dir=data_path("docs"), **context)
    return n, facts, shown, result
