"""Generate statistical-yearbook look-alikes (tests/fixtures/stats/lookalikes/)
and their gold, written from the spec (never from parsing).

Classes seen in real provincial yearbook workbooks that the reader once lost
silently (issue #11): a region column headed 城市 (simple, and over a second
header row with group headers), a three-row header with group headers
merged over sub-columns (plus a units row: four rows), a 单位：万人 line with
years across sheets, 市区 (an urban-area subtotal) and 合计 rows, and a file
holding only city totals for some years; tidy files whose region column is
headed 名称 beside a 指标 column (read by content).

Run: python tools/make_stats_lookalikes.py
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "stats" / "lookalikes"

# district name as written -> code (raw/reference/districts.csv)
CODES = {"全市": "330100", "合计": "330100", "上城区": "330102", "西湖区": "330106",
         "滨江区": "330108", "淳安县": "330127"}  # fmt: skip
UNITS = {"communities": "个", "care_centres": "家", "elderly_population": "人",
         "elderly_care_beds": "张", "beds_per_100_elderly": "张", "subsidised_elderly": "人",
         "subsidised_elderly_share": "%", "communities_with_care_centre": "个"}  # fmt: skip


def letter(j: int) -> str:
    return chr(65 + j)


class Gold:
    def __init__(self):
        self.files: dict[str, dict] = {}

    def file(self, name: str) -> dict:
        return self.files.setdefault(name, {"rows": [], "issues": [], "header_rows": {},
                                            "columns": {}})

    def row(self, name, metric, district, year, value, loc):
        self.file(name)["rows"].append(
            [metric, CODES[district], year, float(value), UNITS[metric], loc]
        )

    def issue(self, name, loc, reason):
        self.file(name)["issues"].append([loc, reason])


def _body(gold, name, ws, sheet, year, first_row, rows, columns, scale=None):
    """Write body rows and their gold. ``columns``: metric code or None (an
    unknown metric column) per value column; a row label of 市区 is an issue
    per figure (an urban-area subtotal, not a district)."""
    scale = scale or {}
    for k, (label, values) in enumerate(rows):
        r = first_row + k
        ws.append([label, *values])
        for j, (metric, v) in enumerate(zip(columns, values, strict=True), start=1):
            loc = f"sheet {sheet}, row {r}, column {letter(j)}"
            if v is None or metric is None:
                continue
            if label == "市区":
                gold.issue(name, loc, "unknown district '市区'")
            else:
                gold.row(name, metric, label, year, v * scale.get(metric, 1), loc)


def city_header_simple(gold: Gold) -> None:
    name = "city_header_simple.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2019年"
    ws.append(["2019年各城市养老服务统计"])
    ws.append(["城市", "城乡社区数（个）", "养老机构床位数（张）", "户籍老年人口（人）"])
    columns = ["communities", "elderly_care_beds", "elderly_population"]
    rows = [("全市", [3330, 67293, 1681000]), ("上城区", [190, 4700, 95000]),
            ("市区", [2100, 40000, 900000]), ("淳安县", [420, 2100, None])]  # fmt: skip
    _body(gold, name, ws, "2019年", 2019, 3, rows, columns)
    gold.file(name)["header_rows"]["2019年"] = [2]
    wb.save(OUT / name)


def city_header_two_rows(gold: Gold) -> None:
    """城市 merged down two rows; six top-level metrics merged down both rows;
    a group header over two sub-columns; the 12 top-level values must load."""
    name = "city_header_two_rows.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2020"
    ws.append(["2020年各城市养老服务主要指标"])
    top = ["城乡社区数（个）", "建有居家养老服务照料中心的社区数（个）", "居家养老服务照料中心数（家）",
           "户籍老年人口（人）", "养老机构床位数（张）", "每百名老人拥有养老机构床位数（张）"]  # fmt: skip
    ws.append(["城市", *top, "养老服务补贴", None])
    ws.append([None] * 7 + ["享受养老服务补贴老年人数（人）", "享受养老服务补贴老年人数占比（%）"])
    for j in range(1, 7):
        ws.merge_cells(start_row=2, start_column=j + 1, end_row=3, end_column=j + 1)
    ws.merge_cells("A2:A3")
    ws.merge_cells("H2:I2")
    columns = ["communities", "communities_with_care_centre", "care_centres", "elderly_population",
               "elderly_care_beds", "beds_per_100_elderly", "subsidised_elderly",
               "subsidised_elderly_share"]  # fmt: skip
    rows = [("上城区", [190, 180, 60, 95000, 4700, 4.95, 6000, 6.3]),
            ("西湖区", [240, 230, 80, 130000, 6100, 4.69, 7800, 6.0])]  # fmt: skip
    _body(gold, name, ws, "2020", 2020, 4, rows, columns)
    gold.file(name)["header_rows"]["2020"] = [2, 3]
    gold.file(name)["columns"]["2020"] = {
        "7": "metric: 养老服务补贴 > 享受养老服务补贴老年人数（人）",
    }
    wb.save(OUT / name)


def three_row_header(gold: Gold) -> None:
    """Three header rows (a group over two sub-groups over leaves) and a
    units row: four rows. One leaf names no metric: one issue for its
    column, naming the header path."""
    name = "three_row_header.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "2021年"
    ws.append(["地区", "养老服务", None, None, None, "户籍老年人口"])
    ws.append([None, "机构养老", None, "居家养老", None, None])
    ws.append([None, "养老机构床位数", "每百名老人拥有养老机构床位数", "居家养老服务照料中心数",
               "护理员数", None])  # fmt: skip
    ws.append(["单位", "张", "张", "家", "人", "人"])
    for rng in ("B1:E1", "B2:C2", "D2:E2", "F1:F3", "A1:A3"):
        ws.merge_cells(rng)
    columns = ["elderly_care_beds", "beds_per_100_elderly", "care_centres", None,
               "elderly_population"]
    rows = [("上城区", [4700, 4.9, 120, 35, 96000]), ("滨江区", [1500, 3.1, 40, 12, 48000]),
            ("合计", [70000, 4.1, 2900, 800, 1700000])]  # fmt: skip
    _body(gold, name, ws, "2021年", 2021, 5, rows, columns)
    gold.issue(name, "sheet 2021年, column E",
               "unknown metric '养老服务 > 居家养老 > 护理员数 > 人': column E names no metric "
               "of metrics.csv; 3 values not loaded")
    gold.file(name)["header_rows"]["2021年"] = [1, 2, 3, 4]
    gold.file(name)["columns"]["2021年"] = {
        "1": "metric: 养老服务 > 机构养老 > 养老机构床位数 > 张",
        "3": "metric: 养老服务 > 居家养老 > 居家养老服务照料中心数 > 家",
        "5": "metric: 户籍老年人口 > 人",
    }
    wb.save(OUT / name)


def unit_line_years_across_sheets(gold: Gold) -> None:
    """One sheet per year, each with a title and a 单位：万人 line above a
    header headed 区县; 万人 multiplies by 10^4."""
    name = "unit_line_sheets.xlsx"
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for year, rows in ((2018, [("上城区", [9.1]), ("西湖区", [12.4])]),
                       (2019, [("上城区", [9.5]), ("西湖区", [12.9])])):  # fmt: skip
        sheet = f"{year}年"
        ws = wb.create_sheet(sheet)
        ws.append([f"{year}年各区县户籍老年人口"])
        ws.append(["单位：万人"])
        ws.append(["区县", "户籍老年人口"])
        _body(gold, name, ws, sheet, year, 4, rows, ["elderly_population"],
              scale={"elderly_population": 10_000})
        gold.file(name)["header_rows"][sheet] = [3]
    wb.save(OUT / name)


def city_totals_only(gold: Gold) -> None:
    """A tidy file: beds by district for 2019, city totals only for 2016-2018
    (a summary of the years before districts were published)."""
    name = "city_totals_only.csv"
    lines = ["地区,年份,指标,数值,单位"]
    r = 2
    for year in (2016, 2017, 2018):
        lines.append(f"全市,{year},养老机构床位数,{60000 + year - 2016},张")
        gold.row(name, "elderly_care_beds", "全市", year, 60000 + year - 2016, f"row {r}")
        r += 1
    for d, v in (("全市", 67000), ("上城区", 4700), ("西湖区", 6100)):
        lines.append(f"{d},2019,养老机构床位数,{v},张")
        gold.row(name, "elderly_care_beds", d, 2019, v, f"row {r}")
        r += 1
    (OUT / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def tidy_name_header_gbk(gold: Gold) -> None:
    """A tidy GBK CSV whose region column is headed 名称 beside a 指标 column
    (名称 could name the metric): the region by its cells, which resolve to
    districts; a metric written by its code; a blank value is missing."""
    name = "tidy_name_header_gbk.csv"
    lines = ["名称,指标,单位,年份,数值"]
    r = 2
    for d, (beds, centres, share) in (("上城区", (4700, 120, 90.3)), ("西湖区", (6100, 80, 49.3)),
                                      ("滨江区", (2300, None, 73.6))):
        for metric, text, value in (("elderly_care_beds", "养老机构床位数", beds),
                                    ("care_centres", "care_centres", centres),
                                    ("subsidised_elderly_share", "享受养老服务补贴老年人数占比", share)):
            shown = "" if value is None else (f'"{value:,}"' if value >= 1000 else str(value))
            lines.append(f"{d},{text},{UNITS[metric]},2020,{shown}")
            if value is not None:
                gold.row(name, metric, d, 2020, value, f"row {r}")
            r += 1
    (OUT / name).write_bytes(("\n".join(lines) + "\n").encode("gbk"))


def tidy_name_header_wan(gold: Gold) -> None:
    """A tidy sheet headed 名称 | 指标名称 | 计量单位 | 年度 | 指标值, the unit
    column giving 万人 (scaled to 人)."""
    name = "tidy_name_header_wan.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "数据"
    ws.append(["名称", "指标名称", "计量单位", "年度", "指标值"])
    r = 2
    for d, v in (("上城区", 3.52), ("西湖区", 5.1), ("淳安县", 1.25)):
        for year, k in ((2019, 0), (2020, 0.1)):
            ws.append([d, "户籍老年人口", "万人", year, round(v + k, 2)])
            gold.row(name, "elderly_population", d, year, round((v + k) * 10_000), f"sheet 数据, row {r}")
            r += 1
    wb.save(OUT / name)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    gold = Gold()
    for make in (city_header_simple, city_header_two_rows, three_row_header,
                 unit_line_years_across_sheets, city_totals_only, tidy_name_header_gbk,
                 tidy_name_header_wan):  # fmt: skip
        make(gold)
    (OUT / "gold.json").write_text(
        json.dumps(gold.files, ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    print(f"wrote {len(gold.files)} look-alikes and gold.json to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
