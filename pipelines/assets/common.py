"""Decorator defaults shared by every planwh asset."""

OWNERS = ["team:performance-office"]


def asset_defaults(domain: str, *kinds: str, writes_warehouse: bool = True) -> dict:
    """Group, owners, tags and kinds of an asset of ``domain``; assets that write the
    warehouse share the pool ``warehouse`` (DuckDB has a single writer)."""
    out = {"group_name": domain, "owners": OWNERS, "tags": {"domain": domain}, "kinds": set(kinds)}
    if writes_warehouse:
        out["pool"] = "warehouse"
    return out
