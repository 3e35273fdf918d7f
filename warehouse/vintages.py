"""The rules statistics vintages keep (docs/time.md, Vintages), as one SQL check on
either back-end: the ``stat_versions`` asset check of fct_district_stat, and the tests.

- versions of one metric x district x year never overlap in load time (so at most one
  is current: valid_to NULL);
- every version belongs to a vintage (stat_vintage), and is valid from that vintage's
  load (a figure carried over unchanged keeps the vintage that first gave it).
"""

from __future__ import annotations

# Versions whose validity overlaps the next version of the same key ({where}: which rows
# are looked at).
_OVERLAPS = """
SELECT metric_code, district_code, year, valid_from, valid_to, next_from
FROM (
    SELECT metric_code, district_code, year, valid_from, valid_to,
           LEAD(valid_from) OVER (PARTITION BY metric_code, district_code, year
                                  ORDER BY valid_from) AS next_from
    FROM fct_district_stat{where}
) v
WHERE next_from IS NOT NULL AND (valid_to IS NULL OR valid_to > next_from)
ORDER BY metric_code, district_code, year, valid_from
"""
OVERLAPS_SQL = _OVERLAPS.format(where="")
# The same over the keys with a version not valid from :t only. Two overlapping versions
# of a key start at different moments (valid_from is in the key), so at most one of them
# starts at :t: the other puts the key in the list, whatever :t is. With :t the latest
# vintage's load, a first load has no such key (the window over every version sorted
# 5M rows for nothing, issue #13); the hash join with an empty list reads no row twice.
OVERLAPS_FROM_SQL = _OVERLAPS.format(where="""
    WHERE (metric_code, district_code, year) IN (
        SELECT metric_code, district_code, year FROM fct_district_stat
        WHERE valid_from <> :t)""")

# Versions without their vintage, or not valid from its load.
ORPHANS_SQL = """
SELECT s.metric_code, s.district_code, s.year, s.valid_from, s.vintage_id
FROM fct_district_stat s
LEFT JOIN stat_vintage v ON v.vintage_id = s.vintage_id
WHERE v.vintage_id IS NULL OR v.loaded_at <> s.valid_from
ORDER BY s.metric_code, s.district_code, s.year, s.valid_from
"""

# Every (vintage_id, valid_from) pair of the versions, and whether it breaks the rule
# above: one row per vintage when none is broken. The row-by-row queries run only when a
# pair says they can find something (each read 5M rows for 1-3 s, issue #13).
VERSION_GROUPS_SQL = """
SELECT g.valid_from, (v.vintage_id IS NULL OR v.loaded_at <> g.valid_from) AS orphan
FROM (SELECT vintage_id, valid_from FROM fct_district_stat GROUP BY vintage_id, valid_from) g
LEFT JOIN stat_vintage v ON v.vintage_id = g.vintage_id
"""


def stat_version_problems(engine, limit: int = 5) -> list[str]:
    """What breaks the rules above, one line per offending version (at most ``limit``
    of each kind); [] when none."""
    import sqlalchemy as sa

    out: list[str] = []
    with engine.connect() as cx:
        latest = cx.exec_driver_sql("SELECT MAX(loaded_at) FROM stat_vintage").scalar()
        groups = cx.exec_driver_sql(VERSION_GROUPS_SQL).all()
        starts = {start for start, _ in groups}
        # every version valid from the latest load (a first load): no key has two
        if latest is None or not starts <= {latest}:
            overlaps = (cx.exec_driver_sql(OVERLAPS_SQL) if latest is None else
                        cx.execute(sa.text(OVERLAPS_FROM_SQL), {"t": latest}))
            for m, d, y, start, end, nxt in overlaps.fetchmany(limit):
                out.append(f"{m} {d} {y}: version valid from {start} to {end or 'now'} "
                           f"overlaps the next one (from {nxt})")
        orphans = (cx.exec_driver_sql(ORPHANS_SQL).fetchmany(limit)
                   if any(orphan for _, orphan in groups) else [])
        for m, d, y, start, vid in orphans:
            out.append(f"{m} {d} {y}: version valid from {start} has no vintage {vid} "
                       "loaded at that moment")
    return out
