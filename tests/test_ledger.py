"""The plan cell ledger: every non-empty cell of every table has exactly one fate.

Invariant over every plan fixture (tests/fixtures/plans/** and raw/plans):
unaccounted == 0, nothing counted twice, every record's cell is a ``record``
fate and every ``record`` fate's text is in a record; issues are also
``PlanDocument.issues`` and warnings (which the pipeline writes to ingest_issues).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from extractors.ledger import Ledger
from extractors.plans import extract_plan, read_plan
from extractors.records import NoPlanTable
from tests.helpers import FIXTURES, RAW

PLAN_DOCS = sorted(
    p for p in [*(FIXTURES / "plans").rglob("*"), *(RAW / "plans").glob("*")]
    if p.suffix in (".docx", ".pdf")
)
UNSEEN = FIXTURES / "plans" / "unseen"


def test_every_fixture_is_found():
    assert len(PLAN_DOCS) >= 30
    assert any(p.parent == UNSEEN for p in PLAN_DOCS)


def _grid_cells(tables) -> int:
    """Non-empty cells of the reader's grids, counted independently of the ledger."""
    n = 0
    for grid in tables:
        n += sum(1 for r, row in enumerate(grid.rows) for c, cell in enumerate(row)
                 if cell.origin == (r, c) and cell.text)
        n += sum(1 for d in grid.dropped if d[1])
    return n


@pytest.fixture
def reader_grids(monkeypatch):
    """The grids the DOCX/PDF reader gave ``read_plan``, kept as read (the real reader runs;
    the document is parsed once, not a second time for the count)."""
    import extractors.plans as plans

    read_tables, grids = plans._read_tables, []

    def keep(path, fmt):
        out = read_tables(path, fmt)
        grids.append(out[0])
        return out

    monkeypatch.setattr(plans, "_read_tables", keep)
    return grids


@pytest.mark.parametrize("doc_path", PLAN_DOCS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_ledger_accounts_for_every_cell(doc_path: Path, reader_grids):
    doc = read_plan(doc_path)
    assert len(reader_grids) == 1
    ledger = doc.ledger
    assert isinstance(ledger, Ledger) and ledger.source_file == doc_path.name
    s = ledger.summary()
    assert s["unaccounted"] == 0 and s["over_accounted"] == 0, ledger.summary_line()
    assert not ledger.double_booked()
    assert s["cells"] == _grid_cells(reader_grids[0])
    assert s["cells"] == s["in_records"] + s["structural"] + s["issues"]
    assert ledger.summary_line().endswith("unaccounted 0")
    # every record's target cell is a record fate of its table, and back
    record_texts = Counter((f.table, f.text) for f in ledger.fates
                           if f.fate == "record" and f.role == "target")
    for rec in doc.records:
        assert (rec.source_table, rec.target_text) in record_texts, rec
    rec_texts = {(r.source_table, r.target_text) for r in doc.records}
    assert set(record_texts) == rec_texts
    # issues are reported, never silent
    issue_cells = sum(f.count for f in ledger.fates if f.fate == "issue")
    assert (issue_cells > 0) == bool(doc.issues)
    assert len(doc.warnings) >= len(doc.issues)
    for issue in doc.issues:
        assert issue.source_file == doc_path.name and "table" in issue.location
        assert any(issue.reason in w for w in doc.warnings)


@pytest.mark.parametrize("suffix", [".docx", ".pdf"])
def test_plan_like_table_without_indicator_is_reported(suffix):
    doc = read_plan(UNSEEN / f"key_indicators_synonyms{suffix}")
    unread = [t for t in doc.ledger.tables if t.kind == "plan-like, unread"]
    assert [t.table for t in unread] == [1]
    cells = [f for f in doc.ledger.fates if f.table == 1]
    assert cells and all(f.fate == "issue" for f in cells)
    assert len(cells) == unread[0].non_empty == 9
    assert len(doc.issues) == 1 and "looks like a plan table" in doc.issues[0].reason
    assert "9 cells not loaded" in doc.issues[0].reason
    # the key-indicator table beside it is read whole: 备注1950 is a note, not a year
    view = doc.ledger.tables[0]
    assert view.kind == "layout B" and view.columns[8].startswith("note")
    assert not [f for f in doc.ledger.fates if f.table == 0 and f.fate == "issue"]


def test_non_plan_table_is_structure():
    doc = read_plan(UNSEEN / "single_header_row_indicator_name.docx")
    other = doc.ledger.tables[1]
    assert other.kind == "not a plan table"
    fates = [f for f in doc.ledger.fates if f.table == 1]
    assert {f.fate for f in fates} == {"structural"} and len(fates) == other.non_empty == 6


def test_a_document_without_tables_has_an_empty_ledger_and_extract_refuses_it():
    path = FIXTURES / "hostile" / "no_tables.docx"
    doc = read_plan(path)
    assert doc.tables_found == 0 and doc.records == [] and doc.ledger.tables == []
    assert doc.ledger.summary_line() == (
        "cells 0 · in records 0 · structural 0 · issues 0 · unaccounted 0")
    with pytest.raises(NoPlanTable, match="the document has no tables"):
        extract_plan(path)


# ------------------------------------------------ any grid: every cell exactly once

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from extractors.layouts import read_plan_table  # noqa: E402
from extractors.records import GridCell, TableGrid  # noqa: E402
from extractors.text import normalise_text  # noqa: E402

WORDS = ["序号", "工作任务", "指标名称", "相关工作目标(指标)", "单位", "现状", "主要工作举措", "年度目标",
         "2016", "2017年", "二〇一八年", "2015年基数", "2020年目标(%)", "备注1950", "属性", "责任单位",
         "年均增长", "目标值", "不低于90%", "48微克/立方米以下", "试点启动", "—", "", "", "1", "2",
         "养老床位数", "每年评估一次。加强统筹。", "约束性", "万人", "2018年底", "60"]


@st.composite
def grids(draw):
    n_rows = draw(st.integers(1, 7))
    n_cols = draw(st.integers(1, 8))
    rows: list[list[GridCell | None]] = [[None] * n_cols for _ in range(n_rows)]
    for r in range(n_rows):
        for c in range(n_cols):
            if rows[r][c] is not None:
                continue
            rs = draw(st.integers(1, min(2, n_rows - r)))
            cs = draw(st.integers(1, min(3, n_cols - c)))
            if any(rows[r + i][c + j] is not None for i in range(rs) for j in range(cs)):
                rs = cs = 1
            text = draw(st.sampled_from(WORDS))
            cell = GridCell(normalise_text(text), text, (r, c), rs, cs)
            for i in range(rs):
                for j in range(cs):
                    rows[r + i][c + j] = cell
    dropped = [(None, draw(st.sampled_from(WORDS)), "repeated header")
               for _ in range(draw(st.integers(0, 2)))]
    return TableGrid(rows=rows, table_index=draw(st.integers(0, 3)), section="一、目标",
                     dropped=dropped)


@settings(max_examples=300, deadline=None)
@given(grids(), grids())
def test_any_grid_gives_every_cell_exactly_one_fate(first, second):
    second.table_index = first.table_index + 1
    a = read_plan_table(first, plan_id="p", source_file="f")
    b = read_plan_table(second, plan_id="p", source_file="f", previous=a, previous_grid=first)
    for grid, result in ((first, a), (second, b)):
        cells = {(r, c) for r, row in enumerate(grid.rows) for c, cell in enumerate(row)
                 if cell.origin == (r, c) and cell.text}
        fated = [(f.row, f.col) for f in result.fates if f.row >= 0]
        assert sorted(fated) == sorted(cells)  # each non-empty cell once, nothing else
        assert result.view.non_empty == len(cells) + sum(1 for d in grid.dropped if d[1])
        issue_cells = [f for f in result.fates if f.fate == "issue"]
        assert bool(issue_cells) == bool(result.issues)
        if result.records:
            assert any(f.fate == "record" for f in result.fates)
