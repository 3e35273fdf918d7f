"""Decorator defaults shared by every planwh asset."""

OWNERS = ["team:performance-office"]


def asset_defaults(domain: str, *kinds: str) -> dict:
    """Group, owners, tags and kinds of an asset of ``domain``. Every planwh asset opens
    the warehouse, and an embedded DuckDB file admits one process at a time, so all of
    them share the pool ``warehouse``."""
    return {"group_name": domain, "owners": OWNERS, "tags": {"domain": domain},
            "kinds": set(kinds), "pool": "warehouse"}
