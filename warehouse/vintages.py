"""The rules statistics vintages keep (docs/time.md, Vintages), as one SQL check on
either back-end: the ``stat_versions`` asset check of fct_district_stat, and the tests.

- versions of one metric x district x year never overlap in load time (so at most one
  is current: valid_to NULL);
- every version belongs to a vintage (stat_vintage), and is valid from that vintage's
  load (a figure carried over unchanged keeps the vintage that first gave it).
"""

from __future__ import annotations

# Versions whose validity overlaps the next version of the same key.
OVERLAPS_SQL = """
SELECT metric_code, district_code, year, valid_from, valid_to, next_from
FROM (
    SELECT metric_code, district_code, year, valid_from, valid_to,
           LEAD(valid_from) OVER (PARTITION BY metric_code, district_code, year
                                  ORDER BY valid_from) AS next_from
    FROM fct_district_stat
) v
WHERE next_from IS NOT NULL AND (valid_to IS NULL OR valid_to > next_from)
ORDER BY metric_code, district_code, year, valid_from
"""

# Versions without their vintage, or not valid from its load.
ORPHANS_SQL = """
SELECT s.metric_code, s.district_code, s.year, s.valid_from, s.vintage_id
FROM fct_district_stat s
LEFT JOIN stat_vintage v ON v.vintage_id = s.vintage_id
WHERE v.vintage_id IS NULL OR v.loaded_at <> s.valid_from
ORDER BY s.metric_code, s.district_code, s.year, s.valid_from
"""


def stat_version_problems(engine, limit: int = 5) -> list[str]:
    """What breaks the rules above, one line per offending version (at most ``limit``
    of each kind); [] when none."""
    out: list[str] = []
    with engine.connect() as cx:
        for m, d, y, start, end, nxt in cx.exec_driver_sql(OVERLAPS_SQL).fetchmany(limit):
            out.append(f"{m} {d} {y}: version valid from {start} to {end or 'now'} overlaps "
                       f"the next one (from {nxt})")
        for m, d, y, start, vid in cx.exec_driver_sql(ORPHANS_SQL).fetchmany(limit):
            out.append(f"{m} {d} {y}: version valid from {start} has no vintage {vid} "
                       "loaded at that moment")
    return out
