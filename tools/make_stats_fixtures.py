"""Write tests/fixtures/stats/: one statistics file per shape and encoding of
CONTRACT §5, and gold.json with what each must load and which issues it must
raise.

The gold is written from the same specification as the files (each cell is
declared with its expected outcome below), never by reading the files back.
Expected outcomes: ok(metric, code, year, value, unit) loads one row; MISS is a
missing marker (nothing, no issue); issue(reason) is an ingest issue at the
cell's location; SAME is a duplicate with an equal value (dropped silently).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "stats"

MISS = ("miss",)
SAME = ("same",)


def ok(metric: str, code: str, year: int, value: float, unit: str) -> tuple:
    return ("ok", metric, code, year, value, unit)


def issue(reason: str) -> tuple:
    return ("issue", reason)


# ----------------------------------------------------------------------------- tidy
# (地区 district, 年份 year, 指标 metric, 数值 value, 单位 unit), expected
TIDY = [
    (("上城区", "2017", "养老机构床位数", "1,234", "张"), ok("elderly_care_beds", "330102", 2017, 1234, "张")),
    (("上城", "2017", "户籍老年人口", "10.5万", "人"), ok("elderly_population", "330102", 2017, 105000, "人")),
    (("临安市", "2018", "养老机构床位数", "５６７", "张"), ok("elderly_care_beds", "330112", 2018, 567, "张")),
    (("临安", "2016", "城乡社区数", "290", "个"), ok("communities", "330185", 2016, 290, "个")),
    (("全市", "2017", "居家养老服务照料中心覆盖率", "98.5%", "%"), ok("care_centre_coverage", "330100", 2017, 98.5, "%")),
    (("西湖区", "2017", "养老机构床位数", "—", "张"), MISS),
    (("滨江区", "2017", "养老机构床位数", "-", "张"), MISS),
    (("萧山区", "2017", "养老机构床位数", "…", "张"), MISS),
    (("余杭区", "2017", "养老机构床位数", "", "张"), MISS),
    (("富阳区", "2017", "养老机构床位数", "暂无", "张"), issue("not a number: '暂无'")),
    (("桐庐县", "2017", "养老机构床位数", "-5", "张"), issue("negative value -5 for sum metric elderly_care_beds")),
    (("未知区", "2017", "养老机构床位数", "100", "张"), issue("unknown district '未知区'")),
    (("钱塘区", "2019", "养老机构床位数", "300", "张"), issue("'钱塘区' not valid in 2019")),
    (("下城区", "2022", "养老机构床位数", "100", "张"), issue("'下城区' not valid in 2022")),
    (("上城区", "2017", "养老机构床位数", "1234", "张"), SAME),
    (("上城区", "2017", "养老机构床位数", "1300", "张"), issue(
        "conflicting value 1300 for elderly_care_beds 330102 2017: first value 1234 at row 2 kept")),
    (("淳安县", "2017", "护理员数", "12", "人"), issue("unknown metric '护理员数'")),
    (("建德市", "2017", "每百名老人拥有养老机构床位数", "4.1", "张/百人"), ok("beds_per_100_elderly", "330182", 2017, 4.1, "张")),
    (("拱墅区", "2021", "elderly_care_beds", "2500", "张"), ok("elderly_care_beds", "330105", 2021, 2500, "张")),
    (("临平区", "2021", "享受养老服务补贴老年人数", "1.2", "万人"), ok("subsidised_elderly", "330113", 2021, 12000, "人")),
    (("杭州市西湖区", "2018", "城乡社区数（个）", "250", ""), ok("communities", "330106", 2018, 250, "个")),
    (("滨江区", "2018", "养老机构床位数", "12.5", "个"), issue("unit '个' does not match elderly_care_beds (unit '张')")),
    (("滨江区", "2018", "户籍老年人口", "12.5%", "人"), issue("percentage for elderly_population, whose unit is '人'")),
]  # fmt: skip
TIDY_HEADER = ("地区", "年份", "指标", "数值", "单位")

# English headers, metric codes, a code as district, a title line and a blank line
ENGLISH_TITLE = "Hangzhou elderly care statistics (export)"
ENGLISH_HEADER = ("district", "year", "metric", "value", "unit", "note")
ENGLISH = [
    (("330106", "2019", "elderly_care_beds", "7800", "张", ""), ok("elderly_care_beds", "330106", 2019, 7800, "张")),
    (("西湖区", "2019", "elderly_population", "150000", "", "x"), ok("elderly_population", "330106", 2019, 150000, "人")),
    (("临安区", "2016", "communities", '1,000', "个", ""), ok("communities", "330185", 2016, 1000, "个")),
    None,  # a blank line: row numbers stay those a spreadsheet shows
    (("萧山区", "2020", "care_centre_coverage", "12.5%", "%", ""), ok("care_centre_coverage", "330109", 2020, 12.5, "%")),
    (("萧山", "2021", "care_centre_coverage", "９９．５", "%", ""), ok("care_centre_coverage", "330109", 2021, 99.5, "%")),
    (("江干区", "2021", "elderly_care_beds", "100", "张", ""), issue("'江干区' not valid in 2021")),
    (("余杭区", "2019年", "elderly_population", "１２３４５６", "人", ""), ok("elderly_population", "330110", 2019, 123456, "人")),
    (("余杭区", "20x9", "elderly_population", "1", "人", ""), issue("bad year '20x9'")),
    (("Total", "2019", "elderly_care_beds", "70000", "张", ""), issue("unknown district 'Total'")),
    (("合计", "2019", "elderly_care_beds", "70000", "张", ""), ok("elderly_care_beds", "330100", 2019, 70000, "张")),
    (("建德市", "2019", "subsidised_elderly", "0.6万", "人", ""), ok("subsidised_elderly", "330182", 2019, 6000, "人")),
    (("建德市", "2019", "nurses", "..", "人", ""), MISS),
]  # fmt: skip

# ----------------------------------------------------------------------------- wide
# header cells; rows: (district cell, expected code or issue, cells); each cell is
# (text, expected) with expected a value (float), MISS or issue(...)
WIDE_HEADER = [
    "地区",
    "城乡社区数（个）",
    "养老机构床位数（张）",
    "户籍老年人口（人）",
    "护理员数（人）",
]
WIDE_METRICS = [
    ("communities", "个"),
    ("elderly_care_beds", "张"),
    ("elderly_population", "人"),
    (None, None),
]
def unknown_column(path: str, letter: str, cells: int) -> tuple:
    """The one issue of a column whose header path names no metric."""
    return issue(
        f"unknown metric {path!r}: column {letter} names no metric of metrics.csv; "
        f"{cells} value{'s' if cells > 1 else ''} not loaded"
    )


UNKNOWN_NURSES = ("unknown column",)  # a cell of the 护理员数 column: one issue per column


def wide_sheet(year: int, linan: str, linan_code: str, extra: int) -> list:
    """Rows of a yearbook sheet for ``year``; ``extra`` varies the figures."""
    return [
        ("上城区", "330102", [("190", 190), (f"{4700 + extra}", 4700 + extra), ("95,000", 95000), ("—", MISS)]),
        ("下城", "330103", [("210", 210), ("…", MISS), ("121000", 121000), ("", MISS)]),
        (linan, linan_code, [("290", 290), ("暂无", issue("not a number: '暂无'")), ("121000", 121000), ("12", UNKNOWN_NURSES)]),
        ("合计", "330100", [("3330", 3330), (f"{67293 + extra}", 67293 + extra), ("-", MISS), ("", MISS)]),
    ]  # fmt: skip


# wide CSV, GB18030, year only in the file name, blank top-left header cell
WIDE_CSV_NAME = "杭州市各区县养老服务统计_2019.csv"
WIDE_CSV_HEADER = [
    "",
    "居家养老服务照料中心数（家）",
    "每百名老人拥有养老机构床位数（张）",
    "享受养老服务补贴老年人数占比（%）",
]
WIDE_CSV_METRICS = [
    ("care_centres", "家"),
    ("beds_per_100_elderly", "张"),
    ("subsidised_elderly_share", "%"),
]
WIDE_CSV_ROWS = [
    ("拱墅", "330105", [("180", 180), ("4.52", 4.52), ("6.9", 6.9)]),
    ("江干区", "330104", [("260", 260), ("3.61", 3.61), ("6.4%", 6.4)]),
    ("钱塘区", issue("'钱塘区' not valid in 2019"), [("20", None), ("4", None), ("", MISS)]),
    ("某某区", issue("unknown district '某某区'"), [("1", None), ("", MISS), ("", MISS)]),
    ("桐庐县", "330122", [("-3", issue("negative value -3 for sum metric care_centres")), ("-", MISS), ("6.0", 6.0)]),
    ("注：数据为示例。", None, [("", MISS), ("", MISS), ("", MISS)]),
]  # fmt: skip

# legacy XLS (2020): title row, a units row under the header, a percent-formatted
# cell, a duplicate district with a conflicting value
XLS_NAME = "legacy_2020.xls"
XLS_SHEET = "2020年"
XLS_TITLE = "2020年杭州市各区县养老服务统计"
XLS_HEADER = [
    "区、县（市）",
    "城乡社区数",
    "居家养老服务照料中心覆盖率",
    "享受养老服务补贴老年人数",
]
XLS_UNITS = ["单位", "个", "%", "人"]
XLS_METRICS = [("communities", "个"), ("care_centre_coverage", "%"), ("subsidised_elderly", "人")]
XLS_ROWS = [
    ("滨江区", "330108", [(85, 85), (0.988, 98.8), ("5,000", 5000)]),
    ("淳安", "330127", [(231, 231), ("..", MISS), (7000, 7000)]),
    ("上城区", "330102", [(195, 195), (1.0, 100), (7300, 7300)]),
    ("上城", "330102", [(195, SAME), (1.0, SAME), (7400, "conflict")]),
    ("建德市", "330182", [(-1, issue("negative value -1 for sum metric communities")), (0.97, 97), (6600, 6600)]),
]  # fmt: skip


# ----------------------------------------------------------------------------- writers


def _csv_text(rows: list[list[str] | None]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")  # as Excel writes it
    for row in rows:
        if row is None:
            buf.write("\r\n")
        else:
            w.writerow(row)
    return buf.getvalue()


class Gold:
    def __init__(self) -> None:
        self.files: dict[str, dict[str, list]] = {}

    def file(self, name: str) -> dict[str, list]:
        return self.files.setdefault(name, {"rows": [], "issues": []})

    def cell(self, name: str, location: str, expected: tuple) -> None:
        g = self.file(name)
        if expected[0] == "ok":
            _, metric, code, year, value, unit = expected
            g["rows"].append([metric, code, year, float(value), unit, location])
        elif expected[0] == "issue":
            g["issues"].append([location, expected[1]])


def write_tidy(gold: Gold) -> None:
    rows = [list(TIDY_HEADER)] + [list(cells) for cells, _ in TIDY]
    text = _csv_text(rows)
    files = {
        "tidy_utf8.csv": text.encode("utf-8"),
        "tidy_utf8_bom.csv": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "tidy_gbk.csv": text.encode("gbk"),
    }
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        for i, (_cells, expected) in enumerate(TIDY, start=2):
            gold.cell(name, f"row {i}", expected)


def write_english(gold: Gold) -> None:
    name = "tidy_english.csv"
    rows: list[list[str] | None] = [[ENGLISH_TITLE], list(ENGLISH_HEADER)]
    rows += [list(r[0]) if r else None for r in ENGLISH]
    (OUT / name).write_text(_csv_text(rows), encoding="utf-8")
    for i, spec in enumerate(ENGLISH, start=3):
        if spec:
            gold.cell(name, f"row {i}", spec[1])


def _wide_gold(gold, name, sheet, year, header_row, rows, metrics) -> None:
    prefix = f"sheet {sheet}, " if sheet else ""
    unknown: dict[int, int] = {}  # column -> its non-empty cells
    for r, (_label, district, cells) in enumerate(rows, start=header_row + 1):
        for c, ((text, expected), (metric, unit)) in enumerate(zip(cells, metrics, strict=True)):
            loc = f"{prefix}row {r}, column {chr(66 + c)}"
            if metric is None:
                unknown[c] = unknown.get(c, 0) + bool(str(text).strip())
                continue
            if expected == MISS or expected == SAME or district is None:
                continue
            if isinstance(district, tuple):
                gold.cell(name, loc, district)
            elif isinstance(expected, tuple):
                gold.cell(name, loc, expected)
            else:
                gold.cell(name, loc, ok(metric, district, year, expected, unit))
    for c, count in unknown.items():
        if count:
            gold.cell(name, f"{prefix}column {chr(66 + c)}", unknown_column("护理员数（人）", chr(66 + c), count))


def write_xlsx(gold: Gold) -> None:
    import openpyxl

    name = "wide_2016-2018.xlsx"
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheets = [
        ("2016", 2016, "2016年杭州市各区县养老服务统计", wide_sheet(2016, "临安市", "330185", 0)),
        (
            "2017年",
            2017,
            "2017年杭州市各区县养老服务统计",
            wide_sheet(2017, "临安市", "330112", 10),
        ),
        ("2018", 2018, None, wide_sheet(2018, "临安区", "330112", 20)),
    ]
    for sheet, year, title, rows in sheets:
        ws = wb.create_sheet(sheet)
        if title:
            ws.append([title])
            ws.append([])  # a blank row between title and header
        ws.append(WIDE_HEADER)
        header_row = ws.max_row
        for label, _code, cells in rows:
            ws.append([label] + [_xlsx_value(text) for text, _ in cells])
        ws.append(["注：护理员数为示例列。"])
        _wide_gold(gold, name, sheet, year, header_row, rows, WIDE_METRICS)
    wb.create_sheet("Sheet4")  # an empty sheet: ignored
    wb.save(OUT / name)


def _xlsx_value(text: str):
    """Numbers as number cells (as a yearbook would hold them), text as text."""
    try:
        return int(text)
    except ValueError:
        return text


def write_wide_csv(gold: Gold) -> None:
    rows = [WIDE_CSV_HEADER] + [
        [label] + [t for t, _ in cells] for label, _c, cells in WIDE_CSV_ROWS
    ]
    (OUT / WIDE_CSV_NAME).write_bytes(_csv_text(rows).encode("gb18030"))
    spec = [(label, code, [(t, e) for t, e in cells]) for label, code, cells in WIDE_CSV_ROWS]
    _wide_gold(gold, WIDE_CSV_NAME, None, 2019, 1, spec, WIDE_CSV_METRICS)


def write_xls(gold: Gold) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(XLS_SHEET)
    pct = xlwt.easyxf(num_format_str="0.0%")
    ws.write(0, 0, XLS_TITLE)
    for c, h in enumerate(XLS_HEADER):
        ws.write(1, c, h)
    for c, u in enumerate(XLS_UNITS):
        ws.write(2, c, u)
    for r, (label, _code, cells) in enumerate(XLS_ROWS, start=3):
        ws.write(r, 0, label)
        for c, (value, _e) in enumerate(cells, start=1):
            if c == 2 and isinstance(value, float):
                ws.write(r, c, value, pct)
            else:
                ws.write(r, c, value)
    wb.save(str(OUT / XLS_NAME))
    rows = []
    for label, code, cells in XLS_ROWS:
        out = []
        for value, expected in cells:
            if expected == "conflict":
                expected = issue(
                    f"conflicting value {value} for subsidised_elderly {code} 2020: first value "
                    f"7300 at sheet {XLS_SHEET}, row 6, column D kept"
                )
            out.append((value, expected))
        rows.append((label, code, out))
    _wide_gold(gold, XLS_NAME, XLS_SHEET, 2020, 3, rows, XLS_METRICS)


def write_broken(gold: Gold) -> None:
    """Files that cannot be read: one issue each, location 'file' (or the sheet)."""
    broken = {
        "empty.csv": (b"", "empty file"),
        "broken.xlsx": (b"PK\x03\x04 not really a zip", "not a readable XLSX workbook: *"),
        "not_text.csv": (
            b"district,year\r\n\x80\xff\xfe\r\n",
            "text encoding is not UTF-8 or GB18030",
        ),
        "unknown_layout.csv": (
            b"a,b,c\r\n1,2,3\r\n",
            "unknown layout: no region column: looked for *",
        ),
        "no_year.csv": (
            "地区,养老机构床位数（张）\r\n上城区,100\r\n".encode(),
            "no year: no year column, and none in a title row, the sheet name or the file name",
        ),
    }
    for name, (data, reason) in broken.items():
        (OUT / name).write_bytes(data)
        gold.file(name)["issues"].append(["file", reason])  # "…*": a prefix of the reason


# ----------------------------------------------------------------------------- yearbook variants
# Files as statistics offices publish them (found by probing the reader with
# realistic files). Each spec: file name -> (sheets, expected), sheets a list of
# (sheet name or None for CSV, rows, merged ranges); expected a list of
# (location, outcome) written by hand. Cells: str -> text cell, int/float ->
# number cell, None -> empty.
VARIANTS: dict[str, tuple[list, list]] = {
    # two-row header (names, then units in brackets); 其中 (of which) before a
    # metric name; units written 名称/张 and （单位：万人）
    "header_units.xlsx": (
        [("2019年", [
            ["地区", "城乡社区数", "其中：建有居家养老服务照料中心的社区数", "养老机构床位数/张", "户籍老年人口（单位：万人）"],
            [None, "（个）", "（个）", None, None],
            ["上城区", 190, 188, 4700, 9.5],
            ["建德市", "300", "280", "2,100", "6.1"],
        ], [])],
        [
            ("sheet 2019年, row 3, column B", ok("communities", "330102", 2019, 190, "个")),
            ("sheet 2019年, row 3, column C", ok("communities_with_care_centre", "330102", 2019, 188, "个")),
            ("sheet 2019年, row 3, column D", ok("elderly_care_beds", "330102", 2019, 4700, "张")),
            ("sheet 2019年, row 3, column E", ok("elderly_population", "330102", 2019, 95000, "人")),
            ("sheet 2019年, row 4, column B", ok("communities", "330182", 2019, 300, "个")),
            ("sheet 2019年, row 4, column C", ok("communities_with_care_centre", "330182", 2019, 280, "个")),
            ("sheet 2019年, row 4, column D", ok("elderly_care_beds", "330182", 2019, 2100, "张")),
            ("sheet 2019年, row 4, column E", ok("elderly_population", "330182", 2019, 61000, "人")),
        ],
    ),
    # a 单位：万人 line above the table: the unit of the columns it fits
    "unit_line.xlsx": (
        [("2020年", [
            ["杭州市各区县老年人口情况"],
            [None, None, None, "单位：万人"],
            ["地区", "户籍老年人口", "享受养老服务补贴老年人数", "享受养老服务补贴老年人数占比（%）", "养老机构床位数"],
            ["上城区", 12.3, 0.8, 6.5, 4700],
            ["滨江区", "5.1", "0.25", "4.9", "2,900"],
        ], [])],
        [
            ("sheet 2020年, row 4, column B", ok("elderly_population", "330102", 2020, 123000, "人")),
            ("sheet 2020年, row 4, column C", ok("subsidised_elderly", "330102", 2020, 8000, "人")),
            ("sheet 2020年, row 4, column D", ok("subsidised_elderly_share", "330102", 2020, 6.5, "%")),
            ("sheet 2020年, row 4, column E", ok("elderly_care_beds", "330102", 2020, 4700, "张")),
            ("sheet 2020年, row 5, column B", ok("elderly_population", "330108", 2020, 51000, "人")),
            ("sheet 2020年, row 5, column C", ok("subsidised_elderly", "330108", 2020, 2500, "人")),
            ("sheet 2020年, row 5, column D", ok("subsidised_elderly_share", "330108", 2020, 4.9, "%")),
            ("sheet 2020年, row 5, column E", ok("elderly_care_beds", "330108", 2020, 2900, "张")),
        ],
    ),
    # a unit line that fits no column: every value is an issue, none is read in
    # the wrong unit
    "unit_line_mismatch_2018.csv": (
        [(None, [["单位：张"], ["地区", "城乡社区数"], ["上城区", "190"]], [])],
        [("row 3, column B", issue("unit '张' does not match communities (unit '个')"))],
    ),
    # spellings of the district header, a diagonal corner cell (指标＼地区)
    "district_headers.xlsx": (
        [
            (str(year), [["", head, "城乡社区数（个）"], ["", "上城区", 190 + year - 2016]], [])
            for year, head in (
                (2016, "区（县、市）"), (2017, "区县名称"), (2018, "District Name"),
                (2019, "地区＼指标"), (2020, "          指标\n地区"),
            )
        ],
        [
            (f"sheet {year}, row 2, column C", ok("communities", "330102", year, 190 + year - 2016, "个"))
            for year in range(2016, 2021)
        ],
    ),
    # tidy export with 时间 (time) as the year header
    "tidy_time_header.csv": (
        [(None, [
            ["地区", "时间", "指标名称", "计量单位", "数值"],
            ["上城区", "2019年", "养老机构床位数", "张", "4700"],
            ["上城区", "2020年", "养老机构床位数", "（张）", "4800"],
        ], [])],
        [
            ("row 2", ok("elderly_care_beds", "330102", 2019, 4700, "张")),
            ("row 3", ok("elderly_care_beds", "330102", 2020, 4800, "张")),
        ],
    ),
    # the year in sheet names with words around it
    "sheet_names.xlsx": (
        [
            (sheet, [["地区", "养老机构床位数（张）"], ["上城区", beds]], [])
            for sheet, beds in (("2017年度", 4500), ("2018年数据", 4600), ("表3 2019年", 4700))
        ],
        [
            ("sheet 2017年度, row 2, column B", ok("elderly_care_beds", "330102", 2017, 4500, "张")),
            ("sheet 2018年数据, row 2, column B", ok("elderly_care_beds", "330102", 2018, 4600, "张")),
            ("sheet 表3 2019年, row 2, column B", ok("elderly_care_beds", "330102", 2019, 4700, "张")),
        ],
    ),
    # a notes sheet first (no figure: skipped without an issue), then the data;
    # a third sheet with figures but no header is still an issue
    "cover_sheet.xlsx": (
        [
            ("说明", [
                ["杭州市各区县养老服务统计"],
                ["编制单位：杭州市民政局"],
                ["说明：本表数据为年末数，2019年起含民办机构。"],
            ], ["A1:D1"]),
            ("2019", [["地区", "居家养老服务照料中心数（家）"], ["淳安县", 210]], []),
            ("附表", [["上城区", 12, 15], ["西湖区", 8, 9]], []),
        ],
        [
            ("sheet 2019, row 2, column B", ok("care_centres", "330127", 2019, 210, "家")),
            ("sheet 附表", issue("unknown layout: no region column: looked for *")),
        ],
    ),
    # a two-row header: a group header merged over three columns, the other
    # metrics merged down both rows
    "group_header.xlsx": (
        [("2018", [
            ["2018年各区县养老服务设施"],
            ["地区", "养老服务设施", None, None, "户籍老年人口（人）"],
            [None, "养老机构床位数（张）", "居家养老服务照料中心数（家）", "护理员数（人）", None],
            ["上城区", 4700, 120, 35, 95000],
            ["下城区", 5200, "—", None, 121000],
        ], ["A2:A3", "B2:D2", "E2:E3"])],
        [
            ("sheet 2018, row 4, column B", ok("elderly_care_beds", "330102", 2018, 4700, "张")),
            ("sheet 2018, row 4, column C", ok("care_centres", "330102", 2018, 120, "家")),
            ("sheet 2018, column D", unknown_column("养老服务设施 > 护理员数（人）", "D", 1)),
            ("sheet 2018, row 4, column E", ok("elderly_population", "330102", 2018, 95000, "人")),
            ("sheet 2018, row 5, column B", ok("elderly_care_beds", "330103", 2018, 5200, "张")),
            ("sheet 2018, row 5, column E", ok("elderly_population", "330103", 2018, 121000, "人")),
        ],
    ),
    # two years stacked in one table, each under its title; the header repeated
    # at a page break (no title: the year stays)
    "stacked_years_gbk.csv": (
        [(None, [
            ["2018年各区县养老机构床位"],
            ["地区", "养老机构床位数（张）"],
            ["上城区", "4600"],
            ["西湖区", "6100"],
            [],
            ["2019年各区县养老机构床位"],
            ["地区", "养老机构床位数（张）"],
            ["上城区", "4700"],
            ["地区", "养老机构床位数（张）"],
            ["西湖区", "6200"],
            ["注：2019年为快报数。"],
        ], [])],
        [
            ("row 3, column B", ok("elderly_care_beds", "330102", 2018, 4600, "张")),
            ("row 4, column B", ok("elderly_care_beds", "330106", 2018, 6100, "张")),
            ("row 8, column B", ok("elderly_care_beds", "330102", 2019, 4700, "张")),
            ("row 10, column B", ok("elderly_care_beds", "330106", 2019, 6200, "张")),
        ],
    ),
    # two years stacked, a footnote naming another year (2017) under the first
    # table: the second table still takes the year of its own title
    "stacked_footnote.csv": (
        [(None, [
            ["2018年各区县养老机构床位"],
            ["地区", "养老机构床位数（张）"],
            ["上城区", "4600"],
            ["西湖区", "5100"],
            ["注：2017年起含民办机构床位"],
            [],
            ["2019年各区县养老机构床位"],
            ["地区", "养老机构床位数（张）"],
            ["上城区", "4700"],
            ["西湖区", "5200"],
        ], [])],
        [
            ("row 3, column B", ok("elderly_care_beds", "330102", 2018, 4600, "张")),
            ("row 4, column B", ok("elderly_care_beds", "330106", 2018, 5100, "张")),
            ("row 9, column B", ok("elderly_care_beds", "330102", 2019, 4700, "张")),
            ("row 10, column B", ok("elderly_care_beds", "330106", 2019, 5200, "张")),
        ],
    ),
    # a total computed by a formula that the writing program (openpyxl, like
    # many exporters) never calculated: an issue, not a silently missing figure
    "formula_total.xlsx": (
        [("2019年", [
            ["地区", "养老机构床位数（张）"],
            ["上城区", 4700],
            ["西湖区", 6200],
            ["合计", "=SUM(B2:B3)"],
        ], [])],
        [
            ("sheet 2019年, row 2, column B", ok("elderly_care_beds", "330102", 2019, 4700, "张")),
            ("sheet 2019年, row 3, column B", ok("elderly_care_beds", "330106", 2019, 6200, "张")),
            ("sheet 2019年, row 4, column B", issue(
                "formula =SUM(B2:B3) has no computed value: the program that wrote the file "
                "did not calculate it (open and save it in Excel or LibreOffice)")),
        ],
    ),
    # transposed layouts outside CONTRACT §5: one issue that says what is wrong
    "years_across.csv": (
        [(None, [["地区", "指标", "2017年", "2018年", "2019年"], ["上城区", "养老机构床位数", "4500", "4600", "4700"]], [])],
        [("file", issue(
            "unknown layout: years across the columns (2017年, 2018年, 2019年, …) are not read; "
            "give one year per file or sheet, or a year column"))],
    ),
    "districts_across_2019.csv": (
        [(None, [["指标", "计量单位", "全市", "上城区", "西湖区"], ["养老机构床位数", "张", "67293", "4700", "6200"]], [])],
        [("file", issue(
            "unknown layout: districts across the columns (全市, 上城区, 西湖区, …) are not read; "
            "put districts down the first column and metrics across"))],
    ),
}  # fmt: skip


def write_variants(gold: Gold) -> None:
    import openpyxl
    import xlwt

    for name, (sheets, expected) in VARIANTS.items():
        path = OUT / name
        if name.endswith(".xlsx"):
            wb = openpyxl.Workbook()
            wb.remove(wb.active)
            for sheet, rows, merged in sheets:
                ws = wb.create_sheet(sheet)
                for r, row in enumerate(rows, start=1):
                    for c, value in enumerate(row, start=1):
                        if value is not None:
                            ws.cell(r, c, value)
                for cells in merged:
                    ws.merge_cells(cells)
            wb.save(path)
        elif name.endswith(".xls"):
            book = xlwt.Workbook(encoding="utf-8")
            for sheet, rows, _merged in sheets:
                ws = book.add_sheet(sheet)
                for r, row in enumerate(rows):
                    for c, value in enumerate(row):
                        if value is not None:
                            ws.write(r, c, value)
            book.save(str(path))
        else:
            ((_sheet, rows, _merged),) = sheets
            text = _csv_text([["" if v is None else str(v) for v in row] for row in rows])
            path.write_bytes(text.encode("gbk" if "gbk" in name else "utf-8"))
        gold.file(name)
        for location, outcome in expected:
            gold.cell(name, location, outcome)


# ----------------------------------------------------------------------------- Excel formulas
# Written part by part (openpyxl cannot write cached formula results): cells as
# Excel stores them. A computed result is a <v> after the <f>; an empty text
# result (=IF(x,"",…)) is t="str" with an empty <v>: a computed blank, missing,
# no issue. A formula without <v> was never computed: an issue. The sheet parts
# are not in sheet order (2019年 is sheet2.xml, 2018年 /xl/worksheets/sheet1.xml),
# one row and its cells have no r attribute, and C2:C3 is a shared formula.
EXCEL_FORMULAS_NAME = "excel_formulas.xlsx"
_NOT_COMPUTED = (
    "has no computed value: the program that wrote the file did not calculate it "
    "(open and save it in Excel or LibreOffice)"
)
EXCEL_FORMULAS_EXPECTED = [
    ("sheet 2019年, row 2, column B", ok("communities", "330102", 2019, 10, "个")),
    ("sheet 2019年, row 2, column C", ok("elderly_care_beds", "330102", 2019, 4600, "张")),
    ("sheet 2019年, row 3, column B", ok("communities", "330106", 2019, 12, "个")),
    ("sheet 2019年, row 3, column C", MISS),  # =IF(B3>100,B3,""): computed blank
    ("sheet 2019年, row 4, column B", ok("communities", "330100", 2019, 22, "个")),
    ("sheet 2019年, row 4, column C", issue(f"formula =SUM(C2:C3) {_NOT_COMPUTED}")),
    ("sheet 2018年, row 2, column B", ok("communities", "330102", 2018, 9, "个")),
    ("sheet 2018年, row 2, column C", issue(f"formula =B2*500 {_NOT_COMPUTED}")),
    ("sheet 2018年, row 3, column B", ok("communities", "330106", 2018, 11, "个")),
    ("sheet 2018年, row 3, column C", issue(f"formula =B3*500 {_NOT_COMPUTED}")),
]
_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _inline(ref: str | None, text: str) -> str:
    r = f' r="{ref}"' if ref else ""
    return f'<c{r} t="inlineStr"><is><t>{text}</t></is></c>'


def _sheet_xml(rows: list[str]) -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_MAIN_NS}" '
        f'xmlns:r="{_R_NS}"><sheetData>{"".join(rows)}</sheetData></worksheet>'
    )


def excel_formulas_parts() -> dict[str, str]:
    head = "".join(
        _inline(ref, text)
        for ref, text in (("A1", "地区"), ("B1", "城乡社区数（个）"), ("C1", "养老机构床位数（张）"))
    )
    sheet_2019 = _sheet_xml([
        f'<row r="1">{head}</row>',
        f'<row r="2">{_inline("A2", "上城区")}<c r="B2"><v>10</v></c><c r="C2"><v>4600</v></c></row>',
        f'<row r="3">{_inline("A3", "西湖区")}<c r="B3"><v>12</v></c>'
        '<c r="C3" t="str"><f>IF(B3&gt;100,B3,"")</f><v></v></c></row>',
        f'<row r="4">{_inline("A4", "合计")}<c r="B4"><f>SUM(B2:B3)</f><v>22</v></c>'
        '<c r="C4"><f>SUM(C2:C3)</f></c></row>',
    ])  # fmt: skip
    sheet_2018 = _sheet_xml([
        f'<row r="1">{head}</row>',
        f'<row r="2">{_inline("A2", "上城区")}<c r="B2"><v>9</v></c>'
        '<c r="C2"><f t="shared" ref="C2:C3" si="0">B2*500</f></c></row>',
        f'<row>{_inline(None, "西湖区")}<c><v>11</v></c><c><f t="shared" si="0"/></c></row>',
    ])  # fmt: skip
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg = "http://schemas.openxmlformats.org/package/2006"
    return {
        "[Content_Types].xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{pkg}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="{ct}.worksheet+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{pkg}/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN_NS}" '
            f'xmlns:r="{_R_NS}"><sheets>'
            '<sheet name="2019年" sheetId="1" r:id="rId1"/>'
            '<sheet name="2018年" sheetId="2" r:id="rId2"/>'
            "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{pkg}/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet2.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/worksheet" Target="/xl/worksheets/sheet1.xml"/>'
            "</Relationships>"
        ),
        "xl/worksheets/sheet1.xml": sheet_2018,
        "xl/worksheets/sheet2.xml": sheet_2019,
    }


def write_zip_parts(path: Path, parts: dict[str, str]) -> None:
    """A zip with a fixed timestamp, so the bytes do not change between runs."""
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in parts.items():
            z.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), text.encode("utf-8"))


def write_excel_formulas(gold: Gold) -> None:
    write_zip_parts(OUT / EXCEL_FORMULAS_NAME, excel_formulas_parts())
    gold.file(EXCEL_FORMULAS_NAME)
    for location, outcome in EXCEL_FORMULAS_EXPECTED:
        gold.cell(EXCEL_FORMULAS_NAME, location, outcome)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        if old.is_file():
            old.unlink()
    gold = Gold()
    write_tidy(gold)
    write_english(gold)
    write_xlsx(gold)
    write_wide_csv(gold)
    write_xls(gold)
    write_broken(gold)
    write_variants(gold)
    write_excel_formulas(gold)
    (OUT / "gold.json").write_text(
        json.dumps(gold.files, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"wrote {len(gold.files)} fixture files and gold.json to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
