"""Tables continued by geometry (issue #11 item 4), DOCX and LibreOffice PDF alike.

Fixtures: tests/fixtures/plans/continued/ (tools/make_continued_plans.py). Each
document has a ``<stem>.spec.json`` written from the generator's spec, never
from parsing: the logical tables (rows of cell texts, header included) and the
target records a careful reader finds.

The grid-level tests hold the continuation rules (one table however many pages
or Word tables it spans, header not repeated, rows broken across a page joined,
the same ``source_row`` in DOCX and PDF) and do not depend on how the layouts
read a header. The record-level tests compare with the spec's records,
including the single-header-row table (指标名称/现状/主要工作举措 and years in
one header row, no 单位 or 任务 column).
"""

from __future__ import annotations

import functools
import json
import zipfile
from pathlib import Path

import pytest

from extractors.continuation import (
    Decision,
    Part,
    StitchSettings,
    append,
    compare_edges,
    decide,
    is_continued_label,
)
from extractors.docx_tables import read_docx
from extractors.pdf_tables import read_pdf
from extractors.plans import extract_plan
from extractors.records import GridCell, TableGrid
from extractors.text import normalise_text
from tests.helpers import FIXTURES, extracted

CONTINUED = FIXTURES / "plans" / "continued"
STEMS = sorted(p.name[: -len(".spec.json")] for p in CONTINUED.glob("*.spec.json"))
DOCS = [CONTINUED / f"{stem}.{ext}" for stem in STEMS for ext in ("docx", "pdf")]

# The lead sets this once extractors.layouts reads a single header row
# 序号 | 指标名称 | 现状 | 主要工作举措 | 2016 … (an annual table keyed by 指标名称, with no
# 单位 and no 工作任务 column); that document's records are then compared too.


def spec(stem: str) -> dict:
    return json.loads((CONTINUED / f"{stem}.spec.json").read_text(encoding="utf-8"))


@functools.cache
def read(path: Path):
    """The document's tables, read once per test process (the tests only look at them)."""
    return read_pdf(path) if path.suffix == ".pdf" else read_docx(path)


def grid_texts(grid: TableGrid) -> list[list[str]]:
    return [[cell.text for cell in row] for row in grid.rows]


def spec_texts(table: list[list[str]]) -> list[list[str]]:
    return [[normalise_text(t) for t in row] for row in table]


def test_fixtures_are_there():
    assert {"annual_no_repeat", "annual_no_repeat_2016", "annual_centred_running_head",
            "indicator_single_header", "split_word_tables"} <= set(STEMS)
    for doc in DOCS:
        assert doc.exists(), doc


# --------------------------------------------------------------------------- grids


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_every_table_reads_as_one_grid_with_the_spec_rows(doc):
    """Each logical table is one grid, its rows exactly the spec's: header once, rows
    broken over a page joined, split Word tables joined, controls left apart."""
    want = spec(doc.name.rsplit(".", 1)[0])
    content = read(doc)
    assert [grid_texts(g) for g in content.tables] == [spec_texts(t) for t in want["tables"]]
    assert [g.table_index for g in content.tables] == list(range(len(want["tables"])))
    for g in content.tables:  # origins renumbered: every cell's origin row is its own row
        for r, row in enumerate(g.rows):
            for c, cell in enumerate(row):
                assert cell.origin[0] <= r and cell.origin[1] <= c
                assert g.rows[cell.origin[0]][cell.origin[1]] is cell


@pytest.mark.parametrize("stem", [s for s in STEMS if spec(s).get("min_pages")])
def test_pdf_table_over_pages_without_repeated_header(stem):
    want = spec(stem)
    content = read(CONTINUED / f"{stem}.pdf")
    assert len(content.tables) == 1
    grid = content.tables[0]
    pages = grid.row_pages
    assert pages == sorted(pages) and pages[0] == 1
    assert len(set(pages)) >= want["min_pages"]
    # one note per page the table goes on to (the last may hold only the rest of a broken
    # row, so no row starts there), in words, and no header dropped
    noted = [int(n.split(":")[0].removeprefix("page ")) for n in grid.continuations]
    assert noted == list(range(2, len(noted) + 2)) and len(noted) >= max(pages) - 1
    assert all("continues table 0" in n and "header not repeated" in n
               for n in grid.continuations)
    assert grid.dropped == []
    assert not any("not joined" in w or "new table" in w for w in content.warnings)


def test_a_row_broken_across_a_page_is_one_row():
    """The long 主要工作举措 cells of every fifth row break over a page: the PDF joins
    each rest to its row, as the notes say, and every row keeps its spec text."""
    broken_notes = 0
    for stem in ("annual_no_repeat", "annual_centred_running_head", "indicator_single_header"):
        grid = read(CONTINUED / f"{stem}.pdf").tables[0]
        broken_notes += sum("broken across the break" in n for n in grid.continuations)
    assert broken_notes >= 3


@pytest.mark.parametrize("stem", STEMS)
def test_docx_and_pdf_give_the_same_source_rows(stem):
    docx_tables = read(CONTINUED / f"{stem}.docx").tables
    pdf_tables = read(CONTINUED / f"{stem}.pdf").tables
    assert [grid_texts(g) for g in docx_tables] == [grid_texts(g) for g in pdf_tables]
    # merged cells too: 序号/工作任务 merged over a group that a page break cuts
    origins = [[[(c.origin, c.rowspan, c.colspan) for c in row] for row in g.rows]
               for g in docx_tables]
    assert origins == [[[(c.origin, c.rowspan, c.colspan) for c in row] for row in g.rows]
                       for g in pdf_tables]


def test_a_page_break_inside_a_merged_group():
    """序号 and 工作任务 merged down over a task's indicators: the page after the break
    opens with empty merged cells. A full row there is a row of its own under them,
    a rest of a row is joined to it; the notes tell which."""
    kinds = []
    for stem in ("annual_merged_groups", "annual_merged_groups_long_rows"):
        grid = read(CONTINUED / f"{stem}.pdf").tables[0]
        kinds += ["group" if "row of its own" in n else "broken" if "broken" in n else "plain"
                  for n in grid.continuations]
    assert "group" in kinds and "broken" in kinds


@pytest.mark.parametrize("ext", ["docx", "pdf"])
def test_split_word_tables(ext):
    """Empty paragraph, page break, section break: joined; a table with its own header:
    apart; same column count but other widths and no header: apart, with a warning."""
    want = spec("split_word_tables")
    content = read(CONTINUED / f"split_word_tables.{ext}")
    for k in want["continued_tables"]:
        notes = content.tables[k].continuations
        assert len(notes) == 1 and f"continues table {k}" in notes[0], notes
        assert "header not repeated" in notes[0]
    others = [g for g in content.tables if g.table_index not in want["continued_tables"]]
    assert all(not g.continuations for g in others)
    (amb,) = want["ambiguous_tables"]
    doubts = [w for w in content.warnings if "not joined" in w]
    assert len(doubts) == 1 and f"after table {amb - 1}" in doubts[0]


# --------------------------------------------------------------------------- records


def _content(records) -> list[dict]:
    keys = ("source_table", "source_row", "task_no", "indicator_name", "year", "target_text")
    return [{k: getattr(r, k) for k in keys} for r in records]


def _spec_records(stem: str) -> list[dict]:
    return [{**r, "indicator_name": normalise_text(r["indicator_name"]),
             "target_text": normalise_text(r["target_text"])} for r in spec(stem)["records"]]


@pytest.mark.parametrize("doc", DOCS, ids=[d.name for d in DOCS])
def test_records_are_the_spec_records(doc):
    stem = doc.name.rsplit(".", 1)[0]
    got = _content(extracted(doc).records)
    want = _spec_records(stem)
    missing = [r for r in want if r not in got]
    assert not missing, f"{len(missing)} of {len(want)} missing, e.g. {missing[:2]}"
    # the only other records are those of the key-indicator control table
    extra = [r for r in got if r not in want]
    assert all(r["source_table"] not in {w["source_table"] for w in want} for r in extra)


def test_ambiguous_split_is_an_ingest_warning():
    """The doubt reaches the plan's warnings (which become ingest issues)."""
    for ext in ("docx", "pdf"):
        doc = extract_plan(CONTINUED / f"split_word_tables.{ext}")
        assert any("not joined" in w for w in doc.warnings), ext


# --------------------------------------------------------------------------- rules


def _row(*texts: str, r: int = 0) -> list[GridCell]:
    return [GridCell(t, t, (r, c)) for c, t in enumerate(texts)]


HEAD = ("序号", "工作任务", "2016年", "2017年")


def _grid() -> TableGrid:
    return TableGrid([_row(*HEAD), _row("1", "养老", "10张", "12张", r=1)], 0)


def _part(*rows: list[GridCell], edges=(0, 40, 200, 260, 320), follows=True) -> Part:
    return Part(list(rows), list(edges), "page 2", 2, follows)


LAST = _part(edges=(0, 40, 200, 260, 320))
S = StitchSettings()


def test_compare_edges():
    assert compare_edges([0, 40, 200], [1, 41, 199], 3.0)[0] == "same"
    assert compare_edges([0, 40, 200], [20, 60, 220], 3.0) == ("shifted", 20)
    assert compare_edges([0, 40, 200], [0, 80, 200], 3.0)[0] == "off"
    assert compare_edges([0, 40, 200], [0, 40, 120, 200], 3.0)[0] == "other"


def test_decide_joins_a_headerless_continuation():
    d = decide(_grid(), LAST, _part(_row("2", "救助", "1万", "2万")), lambda _r: False, S)
    assert d.join and d.repeated == 0 and d.warning is None


def test_decide_drops_a_repeated_header():
    d = decide(_grid(), LAST, _part(_row(*HEAD), _row("2", "救助", "1", "2", r=1)),
               lambda _r: False, S)
    assert d.join and d.repeated == 1


def test_decide_nothing_between_is_required():
    d = decide(_grid(), LAST, _part(_row("2", "救助", "1", "2"), follows=False), lambda _r: True, S)
    assert not d.join and d.warning is None


def test_decide_a_header_of_its_own_is_a_new_table():
    own = _part(_row("编号", "任务", "目标", "备注"))
    assert not decide(_grid(), LAST, own, lambda row: row[0] == "编号", S).join


def test_decide_a_similar_but_different_header_is_a_new_table_with_a_warning():
    other = _part(_row("序号", "工作任务", "2021年", "2022年"))
    d = decide(_grid(), LAST, other, lambda _r: False, S)
    assert not d.join and "header that differs" in d.warning


def test_decide_edges_off_without_header_is_not_joined_with_a_warning():
    off = _part(_row("2", "救助", "1", "2"), edges=(0, 100, 200, 260, 320))
    d = decide(_grid(), LAST, off, lambda _r: False, S)
    assert not d.join and "not joined" in d.warning


def test_decide_edges_off_with_repeated_header_is_joined_with_a_warning():
    off = _part(_row(*HEAD), edges=(0, 100, 200, 260, 320))
    d = decide(_grid(), LAST, off, lambda _r: False, S)
    assert d.join and "off by up to" in d.warning


def test_decide_repeated_header_over_other_columns_warns():
    other = _part(_row("序号", "工作任务", "", "2016年", "2017年"), edges=(0, 40, 200, 230, 260, 320))
    d = decide(_grid(), LAST, other, lambda _r: False, S)
    assert not d.join and "other columns" in d.warning


@pytest.mark.parametrize("text,ok", [("续表", True), ("续表1", True), ("（续上表）", True),
                                     ("表2(续)", True), ("续表说明如下", False), ("1.养老", False)])
def test_continued_labels(text, ok):
    assert is_continued_label(normalise_text(text)) is ok


# --------------------------------------------------------------------------- DOCX by hand

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _docx(path: Path, body: str) -> None:
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{W_NS}">'
           f"<w:body>{body}</w:body></w:document>")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", xml)


def _tbl(rows: list[list[str]], widths: list[int], header: bool = False) -> str:
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    trs = []
    for i, row in enumerate(rows):
        pr = "<w:trPr><w:tblHeader/></w:trPr>" if header and i == 0 else ""
        tcs = "".join(f"<w:tc><w:p><w:r><w:t>{t}</w:t></w:r></w:p></w:tc>" for t in row)
        trs.append(f"<w:tr>{pr}{tcs}</w:tr>")
    return f"<w:tbl><w:tblGrid>{grid}</w:tblGrid>{''.join(trs)}</w:tbl>"


def _p(text: str = "") -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" if text else "<w:p/>"


YEARS = ["2016年", "2017年", "2018年", "2019年", "2020年"]
HEAD_A = ["序号", "工作任务", "相关工作目标(指标)", *YEARS]
W8 = [600, 1800, 1800, 900, 900, 900, 900, 900]


def _data(n: int, no: str | None = None) -> list[str]:
    return [str(n) if no is None else no, f"任务{n}", f"指标{n}",
            *[f"不低于{n * 10 + k}张" for k in range(5)]]


def test_docx_repeated_header_dropped_and_counted(tmp_path):
    path = tmp_path / "rep.docx"
    _docx(path, _tbl([HEAD_A, _data(1)], W8) + _p("续表") + _tbl([HEAD_A, _data(2)], W8))
    (grid,) = read_docx(path).tables
    assert grid_texts(grid) == [HEAD_A, _data(1), _data(2)]
    assert grid.dropped == [(None, t, "repeated header") for t in HEAD_A]
    assert "header repeated" in grid.continuations[0]
    recs = extract_plan(path).records
    assert {(r.source_row, r.task_no) for r in recs} == {(1, "1"), (2, "2")}


def test_docx_broken_row_in_the_second_table_is_joined(tmp_path):
    path = tmp_path / "broken.docx"
    rest = ["", "(续)", "", "", "", "", "", ""]
    _docx(path, _tbl([HEAD_A, _data(1)], W8) + _p() + _tbl([rest, _data(2)], W8))
    (grid,) = read_docx(path).tables
    assert grid.n_rows == 3 and grid.rows[1][1].text.endswith("(续)")
    assert "broken across the break" in grid.continuations[0]


def test_docx_text_between_tables_keeps_them_apart(tmp_path):
    path = tmp_path / "apart.docx"
    _docx(path, _tbl([HEAD_A, _data(1)], W8) + _p("说明：下表为第二部分。")
          + _tbl([_data(2)], W8))
    tables = read_docx(path).tables
    assert len(tables) == 2 and not tables[0].continuations


def test_docx_own_header_same_widths_is_a_new_table(tmp_path):
    path = tmp_path / "own.docx"
    head_b = ["类别", "序号", "指标", "单位", "2015年", "2020年", "年均增长", "属性"]
    _docx(path, _tbl([HEAD_A, _data(1)], W8) + _p()
          + _tbl([head_b, ["福利", "1", "床位", "张", "40", "50", "—", "约束性"]], W8))
    content = read_docx(path)
    assert len(content.tables) == 2 and content.warnings == []


def test_decide_coarser_part_is_widened_to_the_grid():
    """On a page where every row merges two columns, one rule is never drawn: the
    part's edges are a subset of the grid's. It is joined, its cells widened."""
    from extractors.continuation import append

    merged = GridCell("全年保持", "全年保持", (0, 2), 1, 1)
    part = _part([GridCell("2", "2", (0, 0)), GridCell("救助", "救助", (0, 1)), merged],
                 edges=(0, 40, 200, 320))
    grid = _grid()
    d = decide(grid, LAST, part, lambda _r: False, S)
    assert d.join and d.geometry == "coarser"
    assert merged.colspan == 1  # the page's own cells are left alone until joined
    append(grid, part, d, lambda a, b: None)
    assert grid_texts(grid)[-1] == ["2", "救助", "全年保持", "全年保持"]
    cell = grid.rows[-1][2]
    assert cell is grid.rows[-1][3] and cell.colspan == 2 and cell.origin == (2, 2)
    assert "merged cells widened" in grid.continuations[0]


def test_decide_as_wide_other_columns_no_header_warns():
    other = _part(_row("2", "救助", "1", "2", "3"), edges=(0, 40, 120, 200, 260, 320))
    d = decide(_grid(), LAST, other, lambda _r: False, S)
    assert not d.join and "instead of 4 and no header" in d.warning
    narrower = _part(_row("2", "救助", "1", "2", "3"), edges=(0, 40, 120, 200, 260, 300))
    assert decide(_grid(), LAST, narrower, lambda _r: False, S).warning is None


def test_without_xuhao_a_partial_first_row_is_the_rest_of_the_row_above(tmp_path):
    """No 序号 column: a first row that fills fewer than half the columns, all filled
    above too, is the rest of a row broken across the break; a full row is a row."""
    head = ["指标名称", "现状", *YEARS]
    w7 = [1800, 900, 900, 900, 900, 900, 900]
    full = ["养老床位数", "40张", "45", "46", "47", "48", "50"]
    rest = ["(含民办)", "", "", "", "", "", ""]
    path = tmp_path / "rest.docx"
    _docx(path, _tbl([head, full], w7) + _p() + _tbl([rest, ["社会组织数", "300家", "1", "2",
                                                             "3", "4", "5"]], w7))
    (grid,) = read_docx(path).tables
    assert grid.n_rows == 3 and grid.rows[1][0].text.endswith("(含民办)")
    path2 = tmp_path / "row.docx"
    _docx(path2, _tbl([head, full], w7) + _p() + _tbl([["社会组织数", "300家", "1", "2", "3",
                                                        "4", "5"]], w7))
    (grid2,) = read_docx(path2).tables
    assert grid2.n_rows == 3 and grid2.rows[2][0].text == "社会组织数"


# --------------------------------------------------------------------------- a new row under cut cells


def _merged_grid() -> TableGrid:
    """序号 | 工作任务 | 现状 | 指标 | 2016年 | 2017年, 序号/任务/现状 merged down over each
    task's two indicators; the last row (task 3) is the last on its page."""
    rows = [_row("序号", "工作任务", "现状", "指标", "2016年", "2017年")]
    for g, first in ((1, 1), (2, 3)):
        merged = [GridCell(t, t, (first, c), rowspan=2) for c, t in
                  enumerate((str(g), f"任务{g}", f"现状{g}"))]
        rows.append([*merged, *_row(f"指标{first}", "1", "2", r=first)[3:]])
        rows.append([*merged, *_row("", "", "", f"指标{first + 1}", "3", "4", r=first + 1)[3:]])
    rows.append(_row("3", "任务3", "现状3的前半", "老年食堂数量", "4左右", "5", r=5))
    return TableGrid(rows, 0)


def _join(target: GridCell, cell: GridCell) -> None:
    target.text += cell.text
    target.raw += cell.raw


def _next_page(*first: str, room: dict[int, bool] | None) -> Part:
    part = _part(_row(*first), _row("4", "任务4", "现状4", "指标9", "7", "8", r=1),
                 edges=(0, 20, 60, 120, 180, 220, 260))
    part.room_above = room
    return part


# cells of the last row on page 1: 序号, 任务 and the targets end with room to spare; the
# 现状 text runs down to the bottom rule, and so does the (two-line) indicator name
ROOM = {0: True, 1: True, 2: False, 3: False, 4: True, 5: True}


def test_a_new_row_under_cells_cut_by_the_break_is_not_glued_to_the_row_above():
    grid = _merged_grid()
    part = _next_page("", "", "的后半", "老年大学在校学员人数", "6-8", "10", room=ROOM)
    warning = append(grid, part, Decision(True, geometry="same"), _join)
    assert warning is None
    assert grid.n_rows == 8
    last_p1, first_p2 = grid.rows[5], grid.rows[6]
    assert [c.text for c in last_p1] == ["3", "任务3", "现状3的前半的后半", "老年食堂数量", "4左右", "5"]
    assert [c.text for c in first_p2] == ["3", "任务3", "现状3的前半的后半", "老年大学在校学员人数",
                                          "6-8", "10"]
    for c in (0, 1, 2):  # the cut cells go on over the new row
        assert first_p2[c] is last_p1[c] and last_p1[c].rowspan == 2
    assert first_p2[3].origin == (6, 3) and grid.rows[7][0].text == "4"
    assert "is a new row under the cells of row 5" in grid.continuations[-1]


def test_the_rest_of_a_broken_row_is_still_joined():
    """Text only under cells that ran down to the rule: the rest of the row above."""
    grid = _merged_grid()
    part = _next_page("", "", "的后半", "（含民办）", "", "", room=ROOM)
    assert append(grid, part, Decision(True, geometry="same"), _join) is None
    assert grid.n_rows == 7 and grid.rows[5][3].text == "老年食堂数量（含民办）"
    assert "broken across the break" in grid.continuations[-1]


def test_thin_evidence_of_a_new_row_is_joined_with_a_warning():
    """One column only has text under a cell that ended before the break: joined as
    before (the rest of the row), but said, as an ingest warning."""
    grid = _merged_grid()
    part = _next_page("", "", "的后半", "", "6-8", "", room=ROOM)
    warning = append(grid, part, Decision(True, geometry="same"), _join)
    assert grid.n_rows == 7 and grid.rows[5][4].text == "4左右6-8"
    assert warning is not None and "column 4 has text under a cell that ended before" in warning


def test_without_geometry_the_rule_is_unchanged():
    grid = _merged_grid()
    part = _next_page("", "", "的后半", "老年大学在校学员人数", "6-8", "", room=None)
    assert append(grid, part, Decision(True, geometry="same"), _join) is None
    assert grid.n_rows == 7  # DOCX: no page geometry, joined as a broken row


def test_libreoffice_new_row_under_cut_merged_cells():
    """merged_status_groups.pdf: page breaks cut the merged 现状/举措 cells of a task;
    pages that open with the task's next indicator row keep it as a row of its own (its
    own 单位 and targets), the cut texts joined whole (the spec rows, checked above)."""
    content = read(CONTINUED / "merged_status_groups.pdf")
    (grid,) = content.tables
    assert sum("is a new row under the cells" in n for n in grid.continuations) >= 1
    want = spec("merged_status_groups")["tables"][0]
    assert [[c.text for c in row] for row in grid.rows] == spec_texts(want)
    units = [row[5].text for row in grid.rows[1:]]
    assert all(len(u) <= 1 for u in units)  # never two units glued ('家人')


def test_one_complete_cell_and_whole_values_on_both_sides_make_a_new_row():
    """Geometry shows one column only (its cell above ended early), but another column
    holds a whole target above and below the break (不低于5 over ≤8): two rows."""
    grid = _merged_grid()
    grid.rows[5][5] = GridCell("不低于5", "不低于5", (5, 5))
    part = _next_page("", "", "的后半", "城镇登记失业率", "6-8", "≤8", room={**ROOM, 5: False})
    part.complete = lambda t: any(ch.isdigit() for ch in t) and not t.isdigit()
    assert append(grid, part, Decision(True, geometry="same"), _join) is None
    assert grid.n_rows == 8 and grid.rows[6][3].text == "城镇登记失业率"
    # without the meaning passed in, the same page is joined, with a warning
    grid = _merged_grid()
    grid.rows[5][5] = GridCell("不低于5", "不低于5", (5, 5))
    part = _next_page("", "", "的后半", "城镇登记失业率", "6-8", "≤8", room={**ROOM, 5: False})
    assert append(grid, part, Decision(True, geometry="same"), _join) is not None
    assert grid.n_rows == 7


def test_whole_target_predicate():
    from extractors.pdf_tables import is_whole_target
    assert is_whole_target("120个以上") and is_whole_target("≤5%") and is_whole_target("18至21%")
    assert not is_whole_target("下降到") and not is_whole_target("出台实施意见")


def test_a_xuhao_cut_by_the_break_is_the_rest_of_its_row():
    """序号 10 printed 1 | 0 over the break (the row cut below its first line): joined
    as one row; a next number of its own (4 after 3) stays a row."""
    grid = _merged_grid()  # the task before is numbered 9, the last row's 序号 cut to 1
    grid.rows[3][0].text = grid.rows[3][0].raw = "9"
    grid.rows[5][0] = GridCell("1", "1", (5, 0))
    room = {c: False for c in range(6)}
    part = _next_page("0", "", "的后半", "（续）", "", "", room=room)
    append(grid, part, Decision(True, geometry="same"), _join)
    assert grid.n_rows == 7 and grid.rows[5][0].text == "10"
    grid = _merged_grid()
    part = _next_page("4", "任务4", "现状4", "指标8", "1", "2", room=room)
    append(grid, part, Decision(True, geometry="same"), _join)
    assert grid.n_rows == 8 and grid.rows[6][0].text == "4"
