"""Build raw/reference/districts.csv for Hangzhou from the GB/T 2260 code history.

Input: ../shared/reference/gb2260-history.csv beside the repository (yescallop/areacodes, CC0), or
the path given as the first argument. Output: raw/reference/districts.csv with
the city (330100) and every county-level division of Hangzhou in use at any
time in WINDOW, one row per *version* of a code.

Rules (documented in raw/reference/README.md):
- A record is in use from 启用时间 (start year, inclusive) to 变更/弃用时间
  (end year, exclusive). valid_from = 1 January of the start year; valid_to =
  31 December of the year before the end year (empty when still in use).
- A code whose territory changed while it kept its code gets a new version in
  the year of the change (only versions overlapping WINDOW are written, so
  the first one starts at the last change before 2016). Changes are read from the 新代码 (successor) links:
  code X changes in year Y when X gave land away (``code[Y]`` in X's own
  新代码), received land (X listed as ``X[Y]`` by another record), or received
  the territory of a record abolished in Y (X listed without a year).
- Types: the city is ``city``; names ending in 区 -> district, 县 -> county,
  市 -> county_city.
- Aliases: the short form (name minus its 区/县/市 suffix); the city gets
  全市|合计|总计|杭州 (全市 = whole city, 合计/总计 = total rows). 市区 (the urban
  area) is deliberately NOT an alias of the city.

Successors of renamed divisions (临安市 330185 -> 临安区 330112) are not stored
here: the resolver derives them from the versions (see extractors.reference);
this script checks that every derived rename agrees with the 新代码 links.

It also writes raw/reference/district_lineage.csv, the lineage of every change in
WINDOW (year, old code -> new code, kind), read from the same 新代码 links:
- a record abolished in Y passes its land to its links without a year;
- a record with ``X[Y]`` gives part of its land to X in Y and keeps the rest;
- a record that only received land in Y passes its old land whole to its new version.
An old version with several successors is a ``split`` (its figures restate only with
weights, raw/reference/split_weights.csv); one successor that has several
predecessors is a ``merge``; one successor with one predecessor a ``rename`` (recode).
"""

from __future__ import annotations

import csv
import re
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from extractors.reference import DISTRICT_COLUMNS  # noqa: E402

DEFAULT_SOURCE = ROOT.parent / "shared" / "reference" / "gb2260-history.csv"
OUT = ROOT / "raw" / "reference" / "districts.csv"
LINEAGE_OUT = ROOT / "raw" / "reference" / "district_lineage.csv"

CITY_CODE = "330100"
CITY_ALIASES = ("全市", "合计", "总计", "杭州")
WINDOW = (2016, 2025)  # inclusive years of interest
COLUMNS = list(DISTRICT_COLUMNS)  # CONTRACT section 2, as the loader reads them
LINEAGE_COLUMNS = ["year", "old_code", "new_code", "kind", "old_name", "new_name"]


@dataclass
class Record:
    code: str
    name: str
    start: int
    end: int | None  # exclusive
    links: list[tuple[str, int | None]]  # (successor code, year or None)


def parse_links(text: str) -> list[tuple[str, int | None]]:
    links = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        m = re.fullmatch(r"(\d{6})(?:\[(\d{4})\])?", part)
        if not m:
            raise ValueError(f"unexpected 新代码 entry {part!r}")
        links.append((m.group(1), int(m.group(2)) if m.group(2) else None))
    return links


def read_history(path: Path) -> list[Record]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    out = []
    for r in rows:
        code = r["代码"]
        if not (code == CITY_CODE or (code.startswith("3301") and code != CITY_CODE)):
            continue
        end = r["变更/弃用时间"].strip()
        out.append(
            Record(
                code=code,
                name=r["名称"].strip(),
                start=int(r["启用时间"]),
                end=int(end) if end else None,
                links=parse_links(r["新代码"]),
            )
        )
    return out


def in_window(rec: Record) -> bool:
    lo, hi = WINDOW
    return rec.start <= hi and (rec.end is None or rec.end > lo)


def change_years(rec: Record, records: list[Record]) -> set[int]:
    """Years in which ``rec``'s territory changed while it kept its code."""
    years = {y for _, y in rec.links if y is not None}
    for other in records:
        if other.code == rec.code:
            continue
        for code, y in other.links:
            if code != rec.code:
                continue
            if y is not None:
                years.add(y)  # received land from a record that lived on
            elif other.end is not None:
                years.add(other.end)  # received (part of) an abolished record
    return {y for y in years if y > rec.start and (rec.end is None or y < rec.end)}


def district_type(rec: Record) -> str:
    if rec.code == CITY_CODE:
        return "city"
    suffix = rec.name[-1]
    return {"区": "district", "县": "county", "市": "county_city"}[suffix]


def short_form(name: str) -> str:
    return name[:-1] if len(name) > 2 and name[-1] in "区县市" else name


def build_rows(records: list[Record]) -> list[dict[str, str]]:
    rows = []
    for rec in sorted(filter(in_window, records), key=lambda r: r.code):
        bounds = [rec.start, *sorted(change_years(rec, records)), rec.end]
        if rec.code == CITY_CODE:
            aliases = CITY_ALIASES
        else:
            aliases = (short_form(rec.name),) if short_form(rec.name) != rec.name else ()
        for start, end in zip(bounds, bounds[1:], strict=False):
            if start > WINDOW[1] or (end is not None and end <= WINDOW[0]):
                continue  # a version entirely outside the window
            rows.append(
                {
                    "district_code": rec.code,
                    "district_name": rec.name,
                    "district_type": district_type(rec),
                    "parent_code": "" if rec.code == CITY_CODE else CITY_CODE,
                    "valid_from": date(start, 1, 1).isoformat(),
                    "valid_to": date(end - 1, 12, 31).isoformat() if end else "",
                    "aliases": "|".join(aliases),
                }
            )
    return rows


def successors(rec: Record, year: int, records: list[Record]) -> list[str]:
    """Codes whose version starting in ``year`` receives land of ``rec`` (its version
    ending in ``year - 1``); empty when ``rec`` did not change in ``year``."""
    if rec.end == year:  # abolished: its land goes to the links without a year
        return sorted({c for c, y in rec.links if y is None})
    if rec.start < year and (rec.end is None or year < rec.end):
        gave = sorted({c for c, y in rec.links if y == year})
        if gave:  # gave part of its land away and kept the rest
            return [rec.code, *gave]
        if year in change_years(rec, records):  # only received land: kept all of its own
            return [rec.code]
    return []


def build_lineage(records: list[Record]) -> list[dict[str, str]]:
    """One row per (change year, old code, new code) in WINDOW (after its first year)."""
    names = {r.code: r.name for r in records}
    edges: list[tuple[int, str, str]] = []
    for year in range(WINDOW[0] + 1, WINDOW[1] + 1):
        for rec in sorted(records, key=lambda r: r.code):
            edges.extend((year, rec.code, new) for new in successors(rec, year, records))
    rows = []
    for year, old, new in edges:
        n_succ = sum(1 for y, o, _ in edges if (y, o) == (year, old))
        n_pred = sum(1 for y, _, n in edges if (y, n) == (year, new))
        kind = "split" if n_succ > 1 else "merge" if n_pred > 1 else "rename"
        rows.append({"year": str(year), "old_code": old, "new_code": new, "kind": kind,
                     "old_name": names[old], "new_name": names[new]})
    return rows


def check_renames(rows: list[dict[str, str]], records: list[Record]) -> None:
    """Every rename the resolver will derive must be a 新代码 link of the history."""
    from extractors.reference import derive_renames, parse_district_rows

    by_code = {r.code: r for r in records}
    for old, new in derive_renames(parse_district_rows(rows, "districts.csv")).items():
        links = [c for c, y in by_code[old].links if y is None]
        if links != [new]:
            raise SystemExit(f"derived rename {old}->{new} disagrees with 新代码 {links}")


def main(argv: list[str]) -> None:
    source = Path(argv[1]) if len(argv) > 1 else DEFAULT_SOURCE
    records = read_history(source)
    rows = build_rows(records)
    check_renames(rows, records)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} district versions to {OUT.relative_to(ROOT)}")
    lineage = build_lineage(records)
    with LINEAGE_OUT.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=LINEAGE_COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(lineage)
    print(f"wrote {len(lineage)} lineage links to {LINEAGE_OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main(sys.argv)
