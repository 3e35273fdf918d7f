"""extractors.stats against the fixture files and their gold (tools/make_stats_fixtures.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from extractors import stats
from extractors.reference import DistrictResolver, load_districts, load_metrics
from extractors.stats import (
    FRAME_COLUMNS,
    MISSING,
    OK,
    PERCENT,
    SCALED,
    csvgrid,
    detect_encoding,
    parse_value,
    read_stats_file,
    read_stats_folder,
)
from tests.helpers import ROOT

FIX = ROOT / "tests" / "fixtures" / "stats"
GOLD = json.loads((FIX / "gold.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def resolver():
    return DistrictResolver(load_districts(ROOT / "raw" / "reference" / "districts.csv"))


@pytest.fixture(scope="module")
def metrics():
    return load_metrics(ROOT / "raw" / "reference" / "metrics.csv")


def _rows(frame):
    cols = ["metric_code", "district_code", "year", "value", "unit", "location"]
    return sorted(
        [m, d, int(y), float(v), u, str(loc)]
        for m, d, y, v, u, loc in frame[cols].itertuples(index=False)
    )


def _check_issues(issues, expected, name):
    got = sorted([i.location, i.reason] for i in issues)
    want = sorted(expected)
    assert len(got) == len(want), (got, want)
    for (gl, gr), (wl, wr) in zip(got, want, strict=True):
        assert gl == wl
        assert gr.startswith(wr[:-1]) if wr.endswith("*") else gr == wr
    assert all(i.source_file == name and i.severity == "error" for i in issues)


@pytest.mark.parametrize("name", sorted(GOLD))
def test_fixture_against_gold(name, resolver, metrics):
    result = read_stats_file(FIX / name, resolver, metrics)
    assert list(result.frame.columns) == FRAME_COLUMNS
    assert _rows(result.frame) == sorted(GOLD[name]["rows"])
    assert (result.frame["source_file"] == name).all()
    _check_issues(result.issues, GOLD[name]["issues"], name)


def test_every_fixture_has_gold():
    files = {p.name for p in FIX.iterdir() if p.is_file() and p.name != "gold.json"}
    assert files == set(GOLD)


def test_frame_types(resolver, metrics):
    frame = read_stats_file(FIX / "tidy_utf8.csv", resolver, metrics).frame
    assert frame["value"].dtype == np.float64
    assert frame["year"].dtype == np.int64
    assert not (frame["value"] == 0).any()  # missing markers are never 0


def test_gbk_and_utf8_twins_load_identical_rows(resolver, metrics):
    frames = [
        read_stats_file(FIX / n, resolver, metrics).frame.drop(columns="source_file")
        for n in ("tidy_utf8.csv", "tidy_utf8_bom.csv", "tidy_gbk.csv")
    ]
    assert frames[0].to_dict("records") == frames[1].to_dict("records")
    assert frames[0].to_dict("records") == frames[2].to_dict("records")
    assert detect_encoding(FIX / "tidy_gbk.csv") == "gb18030"
    assert detect_encoding(FIX / "tidy_utf8_bom.csv") == "utf-8-sig"
    assert detect_encoding(FIX / "tidy_utf8.csv") == "utf-8"


def test_folder_loads_the_rest_and_lists_every_issue(resolver, metrics):
    result = read_stats_folder(FIX, resolver, metrics)
    # files are read in name order; a figure given again by a later file is
    # dropped when equal (the three twins) and an issue when it differs
    kept, conflicts = {}, 0
    for name in sorted(GOLD):
        for m, d, y, v, u, _loc in GOLD[name]["rows"]:
            if (m, d, y) not in kept:
                kept[(m, d, y)] = [m, d, y, v, u]
            elif kept[(m, d, y)][3] != v:
                conflicts += 1
    cols = ["metric_code", "district_code", "year", "value", "unit"]
    got_rows = sorted(
        [m, d, int(y), float(v), u] for m, d, y, v, u in result.frame[cols].itertuples(index=False)
    )
    assert got_rows == sorted(kept.values())
    assert conflicts > 0
    # gold.json, the fixtures' answers, lies among them: a file type the reader does not take
    not_read = [i for i in result.issues if i.check == "file_type"]
    assert [(i.source_file, i.location) for i in not_read] == [("gold.json", "file")]
    assert len(result.issues) == sum(len(g["issues"]) for g in GOLD.values()) + conflicts + 1
    assert {i.source_file for i in result.issues} >= {"empty.csv", "broken.xlsx", "not_text.csv"}


def test_cross_file_conflict(tmp_path, resolver, metrics):
    head = "地区,年份,指标,数值,单位\n"
    (tmp_path / "a.csv").write_text(head + "上城区,2017,养老机构床位数,100,张\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(
        head + "上城,2017,养老机构床位数,120,张\n上城,2018,养老机构床位数,5,张\n", encoding="utf-8"
    )
    (tmp_path / "c.csv").write_text(head + "上城区,2017,养老机构床位数,100,张\n", encoding="utf-8")
    result = read_stats_folder(tmp_path, resolver, metrics)
    assert sorted(result.frame["value"]) == [5.0, 100.0]
    assert [(i.source_file, i.location, i.reason) for i in result.issues] == [
        (
            "b.csv",
            "row 2",
            "conflicting value 120 for elderly_care_beds 330102 2017: first value 100 "
            "at a.csv, row 2 kept",
        )
    ]


@pytest.mark.parametrize("name", ["tidy_utf8.csv", "tidy_utf8_bom.csv", "tidy_english.csv"])
def test_fast_path_gives_the_same_result(name, monkeypatch, resolver, metrics):
    used = []
    original = stats._fast_csv_grid

    def spy(*args):
        grid = original(*args)
        used.append(grid is not None)
        return grid

    monkeypatch.setattr(csvgrid, "FAST_PATH_BYTES", 0)
    monkeypatch.setattr(csvgrid, "_fast_csv_grid", spy)
    result = read_stats_file(FIX / name, resolver, metrics)
    # the English file has a blank line: the fast path declines (row numbers)
    assert used == [name != "tidy_english.csv"]
    assert _rows(result.frame) == sorted(GOLD[name]["rows"])
    _check_issues(result.issues, GOLD[name]["issues"], name)
    assert result.ledger.summary()["unaccounted"] == 0
    assert result.ledger.summary()["over_accounted"] == 0


@pytest.mark.parametrize(
    ("text", "value", "status", "suffix"),
    [
        ("1,234", 1234.0, OK, 0),
        ("１，２３４", 1234.0, OK, 0),
        ("12.5%", 12.5, OK, PERCENT),
        ("12.5 ％", 12.5, OK, PERCENT),
        ("10.5万", 105000.0, OK, SCALED),
        ("1.23万", 12300.0, OK, SCALED),
        ("2亿", 200000000.0, OK, SCALED),
        ("-5", -5.0, OK, 0),
        ("−5", -5.0, OK, 0),
        ("0", 0.0, OK, 0),
        ("—", None, MISSING, 0),
        ("——", None, MISSING, 0),
        ("-", None, MISSING, 0),
        ("…", None, MISSING, 0),
        ("..", None, MISSING, 0),
        ("", None, MISSING, 0),
        ("  ", None, MISSING, 0),
        ("nan", None, MISSING, 0),
        ("暂无", None, stats.BAD, 0),
        ("1,23", None, stats.BAD, 0),
        ("12张", None, stats.BAD, 0),
        ("1e-05", 1e-05, OK, 0),
        (".5", None, stats.BAD, 0),
        ("1e309", None, stats.RANGE, 0),
        ("9" * 400, None, stats.RANGE, 0),
        ("1e-400", None, stats.RANGE, 0),
        ("-0", 0.0, OK, 0),
        ("0e5", 0.0, OK, 0),
    ],
)
def test_parse_value(text, value, status, suffix):
    assert parse_value(text) == (value, status, suffix)


def test_value_column_vectorised_equals_scalar():
    import pyarrow as pa

    texts = ["1", "1.5", "-2", "1,234", "—", "", "暂无", "10.5万", "3%", ".5", "1e5", "1.",
             "1e309", "9" * 400, "1e-400", "-0", "0.0", "1" + ",000" * 120]
    values, status, suffix = stats._parse_values(pa.array(texts))
    for t, v, s, k in zip(texts, values, status, suffix, strict=True):
        pv, ps, pk = parse_value(t)
        assert (ps, pk) == (s, k), t
        assert np.isnan(v) if pv is None else v == pv, t


def test_year_from_title_sheet_and_file_name():
    assert stats._year_from_text("2017年杭州市各区县养老服务统计") == 2017
    assert stats._year_from_text("2016-2020年养老服务统计") is None
    assert stats._year_from_text("杭州市各区县养老服务统计_2019") == 2019
    assert stats._sheet_year("2017年") == 2017
    assert stats._sheet_year("Sheet1") is None
    assert stats._sheet_year("2018年数据") == 2018
    assert stats._sheet_year("表3 2019年") == 2019
    assert stats._sheet_year("2016-2018") is None


def test_unreadable_bytes_are_never_decoded_with_replacement(tmp_path, resolver, metrics):
    p = tmp_path / "latin1.csv"
    p.write_bytes("地区,年份,指标,数值\n".encode() + "Mérida,2017,x,1\n".encode("latin-1"))
    result = read_stats_file(p, resolver, metrics)
    assert result.frame.empty
    assert [i.reason for i in result.issues] == ["text encoding is not UTF-8 or GB18030"]


def test_tab_separated_utf16_export(tmp_path, resolver, metrics):
    p = tmp_path / "export.txt"
    p.write_bytes("地区\t年份\t指标\t数值\n上城区\t2017\t养老机构床位数\t1234\n".encode("utf-16"))
    result = read_stats_file(p, resolver, metrics)
    assert _rows(result.frame) == [["elderly_care_beds", "330102", 2017, 1234.0, "张", "row 2"]]
    assert result.issues == []


def test_large_file_with_gbk_bytes_after_an_ascii_start(tmp_path, monkeypatch, resolver, metrics):
    """The fast path must not guess UTF-8 from the first bytes: a GBK row far
    down makes pyarrow decline and the strict detection decode the file."""
    monkeypatch.setattr(csvgrid, "FAST_PATH_BYTES", 0)
    ascii_rows = "".join(f"330102,{2000 + i % 20},elderly_care_beds,{i},\n" for i in range(5000))
    body = "district,year,metric,value,unit\n" + ascii_rows + "上城区,2021,elderly_care_beds,7,张\n"
    p = tmp_path / "big_gbk.csv"
    p.write_bytes(body.encode("gbk"))
    result = read_stats_file(p, resolver, metrics)
    assert len(result.frame) == 21  # 20 distinct years of ascii rows (first kept) + 2021
    assert result.frame["district_code"].eq("330102").all()
    assert result.frame.loc[result.frame["year"] == 2021, "value"].tolist() == [7.0]
    assert len(result.issues) == 5000 - 20  # later rows conflict with the first of each year


@pytest.mark.parametrize(
    ("header", "code", "unit"),
    [
        ("城乡社区数", "communities", None),
        ("城乡社区数（个）", "communities", "个"),
        ("城乡社区数\n（个）", "communities", "个"),
        ("城乡社区数（单位：个）", "communities", "个"),
        ("养老机构床位数/张", "elderly_care_beds", "张"),
        ("其中：建有居家养老服务照料中心的社区数（个）", "communities_with_care_centre", "个"),
        ("户籍老年人口（万人）", "elderly_population", "万人"),
        ("每百名老人拥有养老机构床位数（张/百人）", "beds_per_100_elderly", "张/百人"),
        ("护理员数（人）", None, None),
    ],
)
def test_metric_header_with_its_unit(header, code, unit, metrics):
    assert stats.match_metric_header(header, stats._metric_lookup(metrics)) == (code, unit)


@pytest.mark.parametrize(
    ("text", "unit"),
    [("个", "个"), ("（个）", "个"), ("(%)", "%"), ("单位：万人", "万人"), ("计量单位:张", "张"), ("", "")],
)
def test_clean_unit(text, unit):
    assert stats.clean_unit(text) == unit


@pytest.mark.parametrize(
    ("header", "is_district"),
    [
        ("区（县、市）", True),
        ("县（市、区）", True),
        ("区县名称", True),
        ("District Name", True),
        ("地区＼指标", True),
        ("指标\n地区", True),
        ("项目/地区", True),
        ("市区", False),  # the urban area, a row label, not a header
        ("上城区", False),
        ("城乡社区数", False),
        ("指标", False),
    ],
)
def test_district_header_spellings(header, is_district):
    assert stats._is_district_header(stats._header_key(header)) is is_district


def test_repeated_header_on_the_fast_path(tmp_path, monkeypatch, resolver, metrics):
    """pyarrow's body (large UTF-8 CSVs) drops repeated headers and takes the
    year of the title above them, like the exact reader."""
    monkeypatch.setattr(csvgrid, "FAST_PATH_BYTES", 0)
    p = tmp_path / "stacked.csv"
    p.write_text(
        "2018年,\n地区,养老机构床位数（张）\n上城区,4600\n2019年,\n地区,养老机构床位数（张）\n"
        "上城区,4700\n",
        encoding="utf-8",
    )
    result = read_stats_file(p, resolver, metrics)
    assert _rows(result.frame) == [
        ["elderly_care_beds", "330102", 2018, 4600.0, "张", "row 3, column B"],
        ["elderly_care_beds", "330102", 2019, 4700.0, "张", "row 6, column B"],
    ]
    assert result.issues == []


def _rezip(src, dest, replace):
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dest, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, replace.get(item.filename, zin.read(item.filename)))


def test_excel_blank_formula_result_is_missing_not_an_issue(resolver, metrics):
    # =IF(B3>100,B3,"") as Excel stores it: t="str", <f>, an empty <v>
    result = read_stats_file(FIX / "excel_formulas.xlsx", resolver, metrics)
    locations = {i.location for i in result.issues}
    assert "sheet 2019年, row 3, column C" not in locations
    assert "sheet 2019年, row 3, column C" not in set(result.frame["location"])
    # openpyxl writes an uncomputed formula as <f>…</f><v></v> (no type): still an issue
    assert [i.location for i in read_stats_file(FIX / "formula_total.xlsx", resolver, metrics).issues] == [
        "sheet 2019年, row 4, column B"
    ]


def test_uncomputed_formulas_are_found_by_streaming_the_sheet_parts():
    import zipfile

    with zipfile.ZipFile(FIX / "excel_formulas.xlsx") as z:
        # sheet parts by workbook.xml + its rels, not by sheetN order
        parts = stats._worksheet_parts(z, "excel_formulas.xlsx")
        assert parts == {"2019年": "xl/worksheets/sheet2.xml", "2018年": "xl/worksheets/sheet1.xml"}
        assert stats._uncomputed_formulas(z, parts["2019年"], "x") == [(4, 3, "=SUM(C2:C3)")]
        # a shared formula, and a row and cells without r attributes
        assert stats._uncomputed_formulas(z, parts["2018年"], "x") == [
            (2, 3, "=B2*500"),
            (3, 3, "=B3*500"),
        ]


def test_xlsx_part_with_a_dtd_is_refused(tmp_path, resolver, metrics):
    src = FIX / "excel_formulas.xlsx"
    import zipfile

    with zipfile.ZipFile(src) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    evil = sheet.replace(
        "<worksheet ", '<!DOCTYPE worksheet [<!ENTITY d "上城区">]>\n<worksheet ', 1
    ).replace("西湖区", "&d;")
    path = tmp_path / "dtd_2018.xlsx"
    _rezip(src, path, {"xl/worksheets/sheet1.xml": evil.encode()})
    result = read_stats_file(path, resolver, metrics)
    assert result.frame.empty
    assert [(i.location, i.reason) for i in result.issues] == [
        ("file", "XLSX part xl/worksheets/sheet1.xml declares a DTD or entities (refused)")
    ]


def test_stacked_years_footnote_naming_a_year_does_not_hide_the_title(resolver, metrics):
    result = read_stats_file(FIX / "stacked_footnote.csv", resolver, metrics)
    assert result.issues == []
    years = dict(zip(result.frame["location"], result.frame["year"].astype(int), strict=True))
    assert years == {
        "row 3, column B": 2018,
        "row 4, column B": 2018,
        "row 9, column B": 2019,
        "row 10, column B": 2019,
    }


# --------------------------------------------------------------------------- the cell ledger

LEDGER_FILES = sorted(p for p in FIX.rglob("*") if p.is_file() and p.name != "gold.json") + sorted(
    (ROOT / "raw" / "stats").glob("*.csv")
)


@pytest.mark.parametrize("path", LEDGER_FILES, ids=lambda p: p.name)
def test_every_cell_has_one_fate(path, resolver, metrics):
    """The invariant of the ledger: every non-empty cell the reader saw ends
    in a record, as structure, or as an issue; none twice, none forgotten."""
    result = read_stats_file(path, resolver, metrics)
    ledger = result.ledger
    summary = ledger.summary()
    assert summary["unaccounted"] == 0, (summary, ledger.tables)
    assert summary["over_accounted"] == 0, (summary, ledger.tables)
    assert ledger.double_booked() == []
    # every loaded row is one record cell (a tidy row also books its key cells)
    if all(t.kind == "wide" for t in ledger.tables if t.kind not in ("empty",)):
        assert summary["in_records"] == len(result.frame)
    # an issue row exists whenever a cell is booked as an issue
    assert (summary["issues"] > 0) <= bool(result.issues)


def test_numbers_float64_cannot_hold_are_issues_and_minus_zero_is_zero(tmp_path, resolver, metrics):
    p = tmp_path / "range_2019.csv"
    big = "9" * 400
    p.write_text(
        f"地区,养老机构床位数（张）\n上城区,1e309\n下城区,{big}\n西湖区,1e-400\n拱墅区,-0\n",
        encoding="utf-8",
    )
    result = read_stats_file(p, resolver, metrics)
    assert result.frame["value"].tolist() == [0.0]
    assert np.signbit(result.frame["value"].to_numpy()).tolist() == [False]
    assert [i.location for i in result.issues] == [f"row {r}, column B" for r in (2, 3, 4)]
    assert all(i.reason.startswith("number out of range") for i in result.issues)
    assert result.ledger.summary()["unaccounted"] == 0


# --------------------------------------------------------------------------- the reader's own budgets


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.slow
def test_xlsx_declaring_the_whole_sheet_reads_only_the_cells_present(tmp_path, resolver, metrics):
    """A 1.6 KB workbook declaring A1:XFD1048576 with one far cell must not
    allocate the declared dimension."""
    import zipfile

    src = FIX / "excel_formulas.xlsx"
    with zipfile.ZipFile(src) as z:
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
    import re

    sheet = re.sub(r'<dimension ref="[^"]*"\s*/>', '<dimension ref="A1:XFD1048576"/>', sheet)
    if "<dimension" not in sheet:
        sheet = sheet.replace("<sheetData", '<dimension ref="A1:XFD1048576"/><sheetData', 1)
    far = '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = sheet.replace("</sheetData>", far + "</sheetData>")
    path = tmp_path / "far_2019.xlsx"
    _rezip(src, path, {"xl/worksheets/sheet2.xml": sheet.encode()})
    before = _peak_rss_mb()
    result = read_stats_file(path, resolver, metrics)
    assert _peak_rss_mb() - before < 600
    # the far cell is one cell, beyond the header: an issue, never silence
    far_fates = [f for f in result.ledger.fates if f.row == 1048576]
    assert [(f.fate, f.col) for f in far_fates] == [("issue", 16383)]
    assert result.ledger.summary()["unaccounted"] == 0


def test_one_line_csv_fails_fast_with_one_issue(tmp_path, resolver, metrics):
    import time

    p = tmp_path / "ones.csv"
    with p.open("wb") as f:
        for _ in range(64):
            f.write(b"1," * (1 << 20))  # 128 MiB of "1,"
    before, t0 = _peak_rss_mb(), time.monotonic()
    result = read_stats_file(p, resolver, metrics)
    assert time.monotonic() - t0 < 60
    assert _peak_rss_mb() - before < 400
    assert result.frame.empty
    assert [(i.location, i.reason[:25]) for i in result.issues] == [
        ("row 1", "a line longer than 1,048,")
    ]


def test_exact_csv_reader_has_a_cell_budget(tmp_path, monkeypatch, resolver, metrics):
    from extractors.stats import csvgrid as cg

    monkeypatch.setattr(cg, "MAX_CSV_CELLS", 50)
    p = tmp_path / "big_2019.csv"
    p.write_text("地区,养老机构床位数（张）\n" + "上城区,1\n\n" * 40, encoding="utf-8")
    result = read_stats_file(p, resolver, metrics)
    assert result.frame.empty
    assert len(result.issues) == 1 and "beyond the statistics reader's budget" in result.issues[0].reason


def test_utf16_xlsx_part_with_a_dtd_is_refused(tmp_path, resolver, metrics):
    import zipfile

    src = FIX / "excel_formulas.xlsx"
    with zipfile.ZipFile(src) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    evil = sheet.replace(
        "<worksheet ", '<!DOCTYPE worksheet [<!ENTITY d "上城区">]>\n<worksheet ', 1
    ).replace("西湖区", "&d;").replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = tmp_path / "dtd16_2018.xlsx"
    _rezip(src, path, {"xl/worksheets/sheet1.xml": evil.encode("utf-16")})
    result = read_stats_file(path, resolver, metrics)
    assert result.frame.empty
    assert [i.reason for i in result.issues] == [
        "XLSX part xl/worksheets/sheet1.xml declares a DTD or entities (refused)"
    ]


# --------------------------------------------------------------------------- yearbook look-alikes

LOOK = FIX / "lookalikes"
LOOK_GOLD = json.loads((LOOK / "gold.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(LOOK_GOLD))
def test_yearbook_lookalike_against_gold(name, resolver, metrics):
    """Region header 城市 (one and two header rows), a three-row header with
    group headers merged over sub-columns and a units row, a 单位：万人 line
    with years across sheets, city totals only for some years (tools/make_stats_lookalikes.py)."""
    gold = LOOK_GOLD[name]
    result = read_stats_file(LOOK / name, resolver, metrics)
    assert _rows(result.frame) == sorted(gold["rows"])
    assert sorted([i.location, i.reason] for i in result.issues) == sorted(gold["issues"])
    assert result.ledger.summary()["unaccounted"] == 0
    views = {t.sheet: t for t in result.ledger.tables}
    for sheet, header_rows in gold["header_rows"].items():
        assert list(views[sheet].header_rows) == header_rows
    for sheet, columns in gold["columns"].items():
        for j, role in columns.items():
            assert views[sheet].columns[int(j)] == role


def test_every_lookalike_has_gold():
    assert {p.name for p in LOOK.iterdir() if p.name != "gold.json"} == set(LOOK_GOLD)


def test_region_header_city_is_found_by_its_word_and_weak_words_by_content(tmp_path, resolver, metrics):
    # 单位 (reporting unit) heads the region column only when its cells are region names
    p = tmp_path / "weak_2019.csv"
    p.write_text("单位,养老机构床位数（张）,居家养老服务照料中心数（家）\n上城区,4700,120\n西湖区,6100,80\n",
                 encoding="utf-8")
    result = read_stats_file(p, resolver, metrics)
    assert len(result.frame) == 4 and result.issues == []


def test_unknown_layout_says_what_was_looked_for_where(tmp_path, resolver, metrics):
    p = tmp_path / "odd_2019.csv"
    p.write_text("标题\n省份,养老机构床位数\n浙江,100\n", encoding="utf-8")
    (issue,) = read_stats_file(p, resolver, metrics).issues
    assert issue.reason.startswith("unknown layout: no region column: looked for 地区/区县")
    assert "in rows 1-3" in issue.reason and "found row 2: 省份, 养老机构床位数" in issue.reason


def test_unheaded_column_with_values_is_one_issue(tmp_path, resolver, metrics):
    p = tmp_path / "unheaded_2019.csv"
    p.write_text("地区,养老机构床位数（张）,\n上城区,4700,5\n西湖区,6100,6\n", encoding="utf-8")
    result = read_stats_file(p, resolver, metrics)
    assert len(result.frame) == 2
    assert [(i.location, i.reason) for i in result.issues] == [
        ("column C", "column C has no header: 2 values not loaded")
    ]
    assert result.ledger.summary()["unaccounted"] == 0


def test_unseen_region_header_found_by_its_cells(tmp_path, resolver, metrics):
    """A region column headed by a word the vocabulary lacks is found by its
    content: a column of names that resolve to districts."""
    p = tmp_path / "unseen_2019.csv"
    p.write_text("行政单位,养老机构床位数（张）\n上城区,4700\n西湖区,6100\n全市,67000\n",
                 encoding="utf-8")
    result = read_stats_file(p, resolver, metrics)
    assert sorted(result.frame["district_code"]) == ["330100", "330102", "330106"]
    assert result.issues == []
    (view,) = result.ledger.tables
    assert view.columns[0] == "region" and view.header_rows == (1,)


# --------------------------------------------------------------------------- the variety generator

VARIETY_SEED, VARIETY_N = 2026, 40  # CI: small and fixed; see tools/make_stats_variety.py


def test_variety_of_yearbook_tables_is_read_exactly(tmp_path, resolver, metrics):
    """Seeded tables along every axis real yearbooks vary on (region header
    word, 1-3 header rows with merged groups, units in header / units row /
    unit line, year in title / sheet / file name / column, totals and 市区
    subtotals, notes and unknown columns, XLSX / CSV UTF-8 / GB18030): every
    row loaded with its exact value, every issue as the spec says, every cell
    accounted."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_stats_variety", ROOT / "tools" / "make_stats_variety.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    gold = mod.generate(VARIETY_SEED, VARIETY_N, tmp_path)
    axes_seen = {k: {str(g["axes"][k]) for g in gold.values()} for k in ("depth", "format", "year")}
    assert axes_seen["depth"] == {"1", "2", "3"} and len(axes_seen["format"]) == 3
    wrong = []
    for name, g in sorted(gold.items()):
        result = read_stats_file(tmp_path / name, resolver, metrics)
        got = (_rows(result.frame), sorted([i.location, i.reason] for i in result.issues))
        if got != (sorted(g["rows"]), sorted(g["issues"])):
            wrong.append((name, g["axes"]))
        summary = result.ledger.summary()
        assert summary["unaccounted"] == 0 and summary["over_accounted"] == 0, name
    assert wrong == []


def test_gbk_file_full_of_em_dashes_is_read(tmp_path, resolver, metrics):
    """— is 0xA1AA in GBK, outside Python's GB2312 mapping: a GB18030 file of
    mostly missing markers is still Chinese text, not byte soup."""
    p = tmp_path / "dashes_2019.csv"
    p.write_bytes("地区,养老机构床位数\n上城区,—\n西湖区,—\n滨江区,—\n拱墅区,10\n".encode("gb18030"))
    result = read_stats_file(p, resolver, metrics)
    assert result.issues == [] and result.frame["value"].tolist() == [10.0]


def test_year_column_found_by_its_cells(tmp_path, resolver, metrics):
    p = tmp_path / "years.csv"
    p.write_text("地区,统计期,养老机构床位数（张）\n上城区,2021,4700\n上城区,2022年,4800\n",
                 encoding="utf-8")
    result = read_stats_file(p, resolver, metrics)
    assert sorted(result.frame["year"].tolist()) == [2021, 2022] and result.issues == []
    assert result.ledger.tables[0].columns[1] == "year"
    assert result.ledger.summary()["unaccounted"] == 0


def test_column_number_row_and_chinese_numeral_year(tmp_path, resolver, metrics):
    p = tmp_path / "report.csv"
    p.write_text(
        "二〇二一年各区县养老服务统计\n地区,城乡社区数（个）,养老机构床位数（张）\n甲,1,2\n"
        "上城区,190,4700\n",
        encoding="utf-8",
    )
    result = read_stats_file(p, resolver, metrics)
    assert result.issues == []
    assert sorted(result.frame["value"].tolist()) == [190.0, 4700.0]
    assert set(result.frame["year"]) == {2021}
    roles = {f.role for f in result.ledger.fates if f.row == 3}
    assert roles == {"column-number row"}
    assert result.ledger.summary()["unaccounted"] == 0


def test_a_row_of_consecutive_figures_under_a_district_is_data(tmp_path, resolver, metrics):
    p = tmp_path / "real_2021.csv"
    p.write_text("地区,城乡社区数（个）,养老机构床位数（张）\n上城区,1,2\n", encoding="utf-8")
    assert sorted(read_stats_file(p, resolver, metrics).frame["value"].tolist()) == [1.0, 2.0]


def test_year_end_qualifier_before_a_metric_name(metrics):
    lookup = stats._metric_lookup(metrics)
    assert stats.match_metric_header("年末户籍老年人口（人）", lookup) == ("elderly_population", "人")
    assert stats.match_metric_header("2019年户籍老年人口", lookup) == (None, None)


def test_notes_sheet_with_a_region_word_and_no_figure_is_structure(tmp_path, resolver, metrics):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "说明"
    ws.append(["地区", "说明"])
    ws.append(["全市", "含民办机构"])
    data = wb.create_sheet("2019")
    data.append(["地区", "养老机构床位数（张）"])
    data.append(["上城区", 4700])
    p = tmp_path / "notes.xlsx"
    wb.save(p)
    result = read_stats_file(p, resolver, metrics)
    assert result.issues == [] and result.frame["value"].tolist() == [4700.0]
    assert result.ledger.summary()["unaccounted"] == 0
    assert result.ledger.tables[0].kind.startswith("cover or notes sheet")


def test_years_as_group_headers_over_metrics(tmp_path, resolver, metrics):
    """2019年 and 2020年 merged over the same metrics: each column takes its
    group's year (never the title's year for both, which would collide)."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "床位"
    ws.append(["各区县养老机构床位"])
    ws.append(["地区", "2019年", None, "2020年", None])
    ws.append([None, "养老机构床位数（张）", "城乡社区数（个）", "养老机构床位数（张）", "城乡社区数（个）"])
    ws.append(["西湖区", 6100, 200, 6200, 210])
    ws.merge_cells("B2:C2")
    ws.merge_cells("D2:E2")
    p = tmp_path / "years_grouped.xlsx"
    wb.save(p)
    result = read_stats_file(p, resolver, metrics)
    assert result.issues == []
    got = sorted(zip(result.frame["metric_code"], result.frame["year"].astype(int),
                     result.frame["value"], strict=True))
    assert got == [("communities", 2019, 200.0), ("communities", 2020, 210.0),
                   ("elderly_care_beds", 2019, 6100.0), ("elderly_care_beds", 2020, 6200.0)]
    assert result.ledger.summary()["unaccounted"] == 0


def test_total_leaf_under_a_group_names_the_group(tmp_path, resolver, metrics):
    p = tmp_path / "beds_2019.csv"
    p.write_text("地区,养老机构床位数（张）,,\n,合计,公办,民办\n上城区,4700,3000,1700\n",
                 encoding="utf-8")
    result = read_stats_file(p, resolver, metrics)
    assert result.frame["value"].tolist() == [4700.0]
    # the sub-columns name no metric: one issue each, naming their path
    assert sorted(i.location for i in result.issues) == ["column C", "column D"]
    assert "'养老机构床位数（张） > 公办'" in min(i.reason for i in result.issues)


def test_table_view_says_where_the_year_came_from(resolver, metrics):
    result = read_stats_file(FIX / "wide_2016-2018.xlsx", resolver, metrics)
    notes = {t.sheet: t.notes for t in result.ledger.tables if t.kind == "wide"}
    assert "year 2016 from a title row" in notes["2016"]
    assert "year 2018 from the sheet name" in notes["2018"]


def test_each_rejection_carries_the_rule_it_breaks(tmp_path, resolver, metrics):
    """The reader sets ``IngestIssue.check`` where it makes each issue (nothing reads
    the reason text for it): the suite rule for a district not in force or unknown, an
    unknown metric, a negative count, a conflicting repeat; none for an unreadable cell
    or an ambiguous/empty district name."""
    from extractors.budget import read_stats_folder
    from extractors.records import (
        RULE_DISTRICT_VALID,
        RULE_METRIC_KNOWN,
        RULE_NON_NEGATIVE,
        RULE_UNIQUE_KEY,
    )

    folder = tmp_path / "stats"
    folder.mkdir()
    (folder / "a_2022.csv").write_text(
        "地区,年份,指标,数值\n"
        "上城区,2022,居家养老服务照料中心数,-5\n"      # a negative count
        "下城区,2022,居家养老服务照料中心数,3\n"        # not in force in 2022
        "火星区,2022,居家养老服务照料中心数,3\n"        # unknown district
        "上城区,2022,不存在的指标,3\n"                  # unknown metric
        "上城区,2022,养老机构床位数,abc\n"              # not a number
        "上城区,2022,养老机构床位数,10\n", encoding="utf-8")
    (folder / "b_2022.csv").write_text(
        "地区,年份,指标,数值\n上城区,2022,养老机构床位数,11\n", encoding="utf-8")
    result = read_stats_folder(folder, resolver, metrics)
    got = sorted((i.source_file, i.location, i.check) for i in result.issues)
    assert got == [
        ("a_2022.csv", "row 2", RULE_NON_NEGATIVE),
        ("a_2022.csv", "row 3", RULE_DISTRICT_VALID),
        ("a_2022.csv", "row 4", RULE_DISTRICT_VALID),
        ("a_2022.csv", "row 5", RULE_METRIC_KNOWN),
        ("a_2022.csv", "row 6", None),
        ("b_2022.csv", "row 2", RULE_UNIQUE_KEY),
    ], [(i.location, i.reason, i.check) for i in result.issues]
