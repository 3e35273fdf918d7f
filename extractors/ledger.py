"""The cell ledger: what became of every non-empty cell a reader saw.

Every reader (plans and statistics) returns a ``Ledger`` beside its records.
A reader first *sees* each table (``see_table``, with the count of non-empty
cells it holds), then gives each non-empty cell exactly one fate:

- ``record``: its value is in a target record or a statistics row;
- ``structural``: it gave the table its shape (a header, a section or task
  name, an indicator label, a unit row, a note, a total row, a district name);
- ``issue``: it was rejected, with a reason that is also an ``IngestIssue``.

A fate may cover one cell (``Fate.cell``) or a block of cells in one column
(``Fate.block``, used by the statistics reader where a column holds millions
of values). ``Ledger.summary()`` counts them; ``unaccounted`` is the number of
non-empty cells seen but given no fate, and must be 0. A cell given two fates
is counted once under the first and reported by ``double_booked``.

``planwh explain`` prints a ledger; the invariant test asserts
``unaccounted == 0`` over every fixture.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

FATES = ("record", "structural", "issue")


@dataclass(frozen=True)
class Fate:
    """The fate of one cell, or of ``count`` non-empty cells in rows
    ``row .. row_end - 1`` of one column."""

    table: int
    row: int
    col: int
    fate: str  # one of FATES
    role: str  # what the cell is: target, header, section, task, indicator, unit, value, ...
    reason: str | None = None  # why, for an issue (and optionally for structure)
    text: str | None = None  # the cell text, for single cells
    row_end: int | None = None  # exclusive end of a block; None for a single cell
    count: int = 1  # non-empty cells covered

    @staticmethod
    def cell(table: int, row: int, col: int, fate: str, role: str, text: str | None = None,
             reason: str | None = None) -> Fate:
        if fate not in FATES:
            raise ValueError(f"unknown fate {fate!r}")
        return Fate(table, row, col, fate, role, reason, text)

    @staticmethod
    def block(table: int, row: int, row_end: int, col: int, fate: str, role: str, count: int,
              reason: str | None = None) -> Fate:
        if fate not in FATES:
            raise ValueError(f"unknown fate {fate!r}")
        return Fate(table, row, col, fate, role, reason, None, row_end, count)


@dataclass
class TableView:
    """How a reader understood one table (a PDF table stitched over pages, a
    Word table, a worksheet or a CSV file)."""

    table: int
    non_empty: int  # non-empty cells the reader saw in it
    n_rows: int = 0
    n_cols: int = 0
    kind: str = ""  # e.g. "layout A", "layout B", "not a plan table", "wide", "tidy"
    sheet: str | None = None
    pages: tuple[int, ...] = ()  # PDF pages the table spans
    header_rows: tuple[int, ...] = ()
    columns: dict[int, str] = field(default_factory=dict)  # column -> role (with header path)
    continuations: list[str] = field(default_factory=list)  # how parts were joined, in words
    notes: list[str] = field(default_factory=list)


@dataclass
class Ledger:
    source_file: str
    tables: list[TableView] = field(default_factory=list)
    fates: list[Fate] = field(default_factory=list)

    def see_table(self, view: TableView) -> TableView:
        self.tables.append(view)
        return view

    def add(self, fate: Fate) -> None:
        self.fates.append(fate)

    def extend(self, fates) -> None:
        self.fates.extend(fates)

    def _single_cells(self) -> Counter:
        return Counter((f.table, f.row, f.col) for f in self.fates if f.row_end is None)

    def double_booked(self) -> list[tuple[int, int, int]]:
        """Cells given more than one single-cell fate."""
        return sorted(k for k, n in self._single_cells().items() if n > 1)

    def summary(self) -> dict[str, int]:
        seen = sum(t.non_empty for t in self.tables)
        by_fate = Counter()
        singles: set[tuple[int, int, int]] = set()
        for f in self.fates:
            if f.row_end is None:
                key = (f.table, f.row, f.col)
                if key in singles:
                    continue
                singles.add(key)
            by_fate[f.fate] += f.count
        accounted = sum(by_fate.values())
        return {
            "cells": seen,
            "in_records": by_fate["record"],
            "structural": by_fate["structural"],
            "issues": by_fate["issue"],
            "unaccounted": max(seen - accounted, 0),
            "over_accounted": max(accounted - seen, 0),
        }

    def summary_line(self) -> str:
        s = self.summary()
        line = (f"cells {s['cells']} · in records {s['in_records']} · structural {s['structural']}"
                f" · issues {s['issues']} · unaccounted {s['unaccounted']}")
        if s["over_accounted"]:
            line += f" · over-accounted {s['over_accounted']}"
        return line

    def to_dict(self) -> dict:
        return {
            "source_file": self.source_file,
            "summary": self.summary(),
            "tables": [asdict(t) for t in self.tables],
            "fates": [asdict(f) for f in self.fates],
        }
