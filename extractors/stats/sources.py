"""A file -> its grids, by its magic bytes."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from extractors.records import UnreadableStatsFile
from extractors.stats.csvgrid import _csv_grid
from extractors.stats.grid import Grid
from extractors.stats.xls import _xls_grids
from extractors.stats.xlsx import _xlsx_grids


def _grids(path: Path, lookup: Mapping[str, str]) -> list[Grid]:
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            magic = f.read(8)
    except OSError as e:
        raise UnreadableStatsFile(path.name, f"cannot open: {e.strerror}") from None
    if size == 0:
        raise UnreadableStatsFile(path.name, "empty file")
    if magic.startswith(b"PK\x03\x04"):
        return _xlsx_grids(path)
    if magic.startswith(b"\xd0\xcf\x11\xe0"):
        return _xls_grids(path)
    return [_csv_grid(path, size, lookup)]
