"""A seeded generator of statistical-yearbook tables along the axes real
workbooks vary on, with gold written from the spec (never from parsing).

Axes, each drawn independently per file:

- ``region``: the region column's header word (地区, 区域, 城市, 市县,
  县（市、区）, 区县, 区（县、市）, 单位, 名称, district, region, city, a blank
  corner cell, 地区＼指标);
- ``depth``: header rows (1; 2: a group header merged over sub-columns;
  3: a group over sub-groups over leaves);
- ``units``: where units are written (in the header （张）; a units row under
  the header; a 单位：张 line above the table when every metric shares it;
  nowhere);
- ``year``: where the year is (a title row, the sheet name, the file name,
  a year column); ``sheets``: one or two years as sheets of one workbook;
- ``totals``: a 合计/全市 row first or last, a 市区 subtotal row (an issue
  per figure, never a district);
- ``extras``: a 备注 column (not read), a column whose header names no
  metric (one issue for the column), missing markers (—, …);
- ``format``: XLSX, CSV in UTF-8 or GB18030 (CSV: one sheet);
- ``serial_column`` (a 序号 column first), ``wrapped_header`` (line breaks in
  header cells), ``aliases`` (上城 for 上城区, names indented with full-width
  spaces), ``footnotes`` (注：…, 资料来源：… rows), ``separators`` (1,234),
  ``region_low`` (the region header word in the lowest header row),
  ``column_numbers`` (a 甲 | 1 | 2 | … row under the header), ``chinese_year``
  (二〇二一年 in the title).

    python tools/make_stats_variety.py SEED N OUT_DIR

writes N files and OUT_DIR/gold.json: per file, its rows (metric, district
code, year, value, unit, location), its issues (location, reason) and its
axes.
"""

from __future__ import annotations

import csv
import io
import json
import random
import sys
from pathlib import Path

# metric code -> (name, unit)
METRICS = {
    "communities": ("城乡社区数", "个"),
    "care_centres": ("居家养老服务照料中心数", "家"),
    "elderly_population": ("户籍老年人口", "人"),
    "elderly_care_beds": ("养老机构床位数", "张"),
    "subsidised_elderly": ("享受养老服务补贴老年人数", "人"),
    "communities_with_care_centre": ("建有居家养老服务照料中心的社区数", "个"),
}
# districts valid from 2021 on, as written -> code
DISTRICTS = {"上城区": "330102", "拱墅区": "330105", "西湖区": "330106", "滨江区": "330108",
             "萧山区": "330109", "余杭区": "330110", "富阳区": "330111", "临安区": "330112",
             "桐庐县": "330122", "淳安县": "330127", "建德市": "330182"}  # fmt: skip
CITY = "330100"
REGION_WORDS = ["地区", "区域", "城市", "市县", "县（市、区）", "区县", "区（县、市）", "单位", "名称",
                "district", "region", "city", "", "地区＼指标"]  # fmt: skip
GROUPS = ["养老服务设施", "养老服务", "主要指标"]
SUBGROUPS = ["机构", "社区", "人口"]


def _letter(j: int) -> str:
    return chr(65 + j)


def make_table(rng: random.Random, year: int, axes: dict) -> dict:
    """One table as rows of cells, with its gold relative to its first row."""
    codes = rng.sample(sorted(METRICS), rng.randint(2, 4))
    columns = [("metric", c) for c in codes]
    if axes["unknown_column"]:
        columns.insert(rng.randint(0, len(columns)), ("unknown", "护理员数"))
    if axes["note_column"]:
        columns.append(("note", "备注"))
    units = axes["units"]
    if units == "line" and len({METRICS[c][1] for c in codes}) > 1:
        units = "header"
    year_col = axes["year"] == "column"
    serial = axes.get("serial_column", False)
    lead = ["年份"] if year_col else []
    n_lead = 1 + len(lead) + serial  # columns before the metrics

    def wrap(text):
        if not axes.get("wrapped_header") or len(text) < 6:
            return text
        cut = len(text) // 2
        return text[:cut] + "\n" + text[cut:]

    def name_of(kind, code):
        if kind == "metric":
            name, unit = METRICS[code]
            return wrap(f"{name}（{unit}）" if units == "header" else name)
        if kind == "unknown":
            return "护理员数（人）" if units == "header" else "护理员数"
        return code

    depth = axes["depth"]
    base = 1 + len(lead)  # columns before the metrics, without the 序号 column
    span = 0
    header: list[list[str]] = []
    paths: list[list[str]] = []
    leaves = [name_of(k, c) for k, c in columns]
    if depth == 1:
        header.append([axes["region_word"], *lead, *leaves])
        paths = [[leaf] for leaf in leaves]
    else:
        # a group merged over the first two or three columns; the others merged down
        span = min(len(columns), rng.randint(2, 3))
        group = rng.choice(GROUPS)
        rows = [[axes["region_word"], *lead] + [""] * len(columns) for _ in range(depth)]
        for j in range(len(columns)):
            col = base + j
            if j < span:
                rows[0][col] = group if j == 0 else ""
                if depth == 3:
                    sub = SUBGROUPS[j % len(SUBGROUPS)]
                    rows[1][col] = sub  # one sub-group per column
                    rows[2][col] = leaves[j]
                    paths.append([group, sub, leaves[j]])
                else:
                    rows[1][col] = leaves[j]
                    paths.append([group, leaves[j]])
            else:
                rows[0][col] = leaves[j]  # merged down: the cells below stay blank
                paths.append([leaves[j]])
        for r in range(1, depth):  # the region and year cells are merged down
            for j in range(base):
                rows[r][j] = ""
        if axes.get("region_low"):  # written in the lowest header row instead
            rows[0][0], rows[depth - 1][0] = "", axes["region_word"]
        header = rows
    if serial:
        header = [["序号" if r == 0 else ""] + row for r, row in enumerate(header)]
    if units == "row":
        unit_cells = []
        for k, c in columns:
            unit_cells.append(METRICS[c][1] if k == "metric" else ("人" if k == "unknown" else ""))
        header.append([""] * serial + ["单位", *([""] * len(lead)), *unit_cells])
        paths = [p + [u] if u else p for p, u in zip(paths, unit_cells, strict=True)]
    above: list[list[str]] = []
    if axes["year"] == "title":
        written_year = str(year)
        if axes.get("chinese_year"):
            written_year = "".join("〇一二三四五六七八九"[int(c)] for c in written_year)
        above.append([f"{written_year}年各区县养老服务统计"])
        if rng.random() < 0.5:
            above.append([])
    if units == "line":
        above.append([f"单位：{METRICS[codes[0]][1]}"])
    body_labels = rng.sample(sorted(DISTRICTS), rng.randint(3, 6))
    aliases = axes.get("aliases", False)
    total_label = rng.choice(["合计", "全市"])
    labels = ([total_label] + body_labels) if axes["total_first"] else (body_labels + [total_label])
    if axes["subtotal"]:
        labels.insert(rng.randint(0, len(labels)), "市区")
    body = []
    gold_rows, gold_issues = [], []
    if axes.get("column_numbers"):
        numbered = [""] * serial + ["甲"] + (["乙"] if year_col else [])
        numbered += [str(k + 1) for k in range(len(columns))]
        body.append(numbered)
    first_body = len(above) + len(header) + len(body) + 1  # 1-based row of the first data row
    unknown_cells = 0
    for i, label in enumerate(labels):
        r = first_body + i
        written = label[:-1] if aliases and label in DISTRICTS and rng.random() < 0.5 else label
        if aliases and rng.random() < 0.3:
            written = "\u3000\u3000" + written  # indented with full-width spaces
        cells = ([str(i + 1)] if serial else []) + [written] + ([str(year)] if year_col else [])
        for j, (kind, code) in enumerate(columns):
            col = n_lead + j
            if kind == "note":
                cells.append(rng.choice(["", "含民办机构", "初步数"]))
                continue
            roll = rng.random()
            if roll < 0.08:
                cells.append(rng.choice(["—", "…", ""]))
                if kind == "unknown" and cells[-1]:
                    unknown_cells += 1
                continue
            value = rng.randint(1, 200_000)
            cells.append(f"{value:,}" if axes.get("separators") and value >= 1000 else value)
            if kind == "unknown":
                unknown_cells += 1
                continue
            loc = (r, col)
            if label == "市区":
                gold_issues.append([loc, f"unknown district {written!r}"])
            else:
                code_of = CITY if label in ("合计", "全市") else DISTRICTS[label]
                gold_rows.append([code, code_of, year, float(value), METRICS[code][1], loc])
        body.append(cells)
    if axes.get("footnotes"):
        body.append([""] * serial + ["注：本表数据为年末数。"])
        body.append([""] * serial + ["资料来源：杭州市民政局"])
    for j, (kind, _code) in enumerate(columns):
        if kind == "unknown" and unknown_cells:
            path = " > ".join(paths[j])
            letter = _letter(n_lead + j)
            gold_issues.append([(None, n_lead + j),
                                f"unknown metric {path!r}: column {letter} names no metric of "
                                f"metrics.csv; {unknown_cells} value"
                                f"{'s' if unknown_cells > 1 else ''} not loaded"])
    return {"rows": above + header + body, "gold_rows": gold_rows, "gold_issues": gold_issues,
            "merges": _merges(len(above), n_lead, len(columns), depth, span,
                              skip_region=bool(axes.get("region_low")), serial=serial)}


def _merges(offset: int, n_lead: int, n_cols: int, depth: int, span: int,
            skip_region: bool = False, serial: bool = False) -> list[str]:
    """Merged ranges as Excel holds them (XLSX only): the region and year
    cells and the leaves outside the group merged down the header's rows,
    the group merged across its columns."""
    if depth == 1:
        return []
    top, bottom = offset + 1, offset + depth
    out = [f"{_letter(j)}{top}:{_letter(j)}{bottom}" for j in range(n_lead)
           if not (skip_region and j == int(serial))]
    if span > 1:
        out.append(f"{_letter(n_lead)}{top}:{_letter(n_lead + span - 1)}{top}")
    for j in range(n_lead + span, n_lead + n_cols):
        out.append(f"{_letter(j)}{top}:{_letter(j)}{bottom}")
    return out


def draw_axes(rng: random.Random) -> dict:
    fmt = rng.choice(["xlsx", "xlsx", "csv-utf8", "csv-gbk"])
    year = rng.choice(["title", "sheet", "file", "column"])
    if fmt != "xlsx" and year == "sheet":
        year = "file"
    return {
        "format": fmt,
        "region_word": rng.choice(REGION_WORDS),
        "depth": rng.choice([1, 1, 2, 3]),
        "units": rng.choice(["header", "row", "line", "none"]),
        "year": year,
        "sheets": 2 if fmt == "xlsx" and rng.random() < 0.3 else 1,
        "total_first": rng.random() < 0.5,
        "subtotal": rng.random() < 0.3,
        "note_column": rng.random() < 0.3,
        "unknown_column": rng.random() < 0.3,
        "serial_column": rng.random() < 0.25,
        "wrapped_header": rng.random() < 0.25,
        "aliases": rng.random() < 0.3,
        "footnotes": rng.random() < 0.3,
        "separators": rng.random() < 0.3,
        "region_low": rng.random() < 0.3,
        "column_numbers": rng.random() < 0.25,
        "chinese_year": rng.random() < 0.3,
    }


def _loc(sheet: str | None, r: int | None, c: int) -> str:
    parts = [f"sheet {sheet}"] if sheet is not None else []
    if r is not None:
        parts.append(f"row {r}")
    parts.append(f"column {_letter(c)}")
    return ", ".join(parts)


def _csv_lines(rows: list[list]) -> callable:
    """Record number -> the line a CSV record starts on (a header cell with a
    line break takes two lines; the reader numbers rows as an editor shows them)."""
    starts, line = [], 1
    for row in rows:
        starts.append(line)
        line += 1 + sum(str(c).count("\n") for c in row)
    return lambda r: starts[r - 1]


def generate(seed: int, n: int, out: Path) -> dict:
    import openpyxl

    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    gold = {}
    for k in range(n):
        axes = draw_axes(rng)
        years = rng.sample([2021, 2022, 2023], axes["sheets"])
        name = f"table_{k:03d}" + (f"_{years[0]}" if axes["year"] == "file" else "")
        g = {"rows": [], "issues": [], "axes": axes}
        tables = []
        for year in years:
            sheet = f"{year}年" if axes["year"] == "sheet" else f"表{len(tables) + 1}"
            if axes["year"] == "file" and axes["sheets"] > 1:
                sheet = f"{year}年"  # the file name names one year: the sheets give theirs
            t = make_table(rng, year, axes)
            tables.append((sheet, t))
        if axes["format"] == "xlsx":
            name += ".xlsx"
            wb = openpyxl.Workbook()
            wb.remove(wb.active)
            for sheet, t in tables:
                ws = wb.create_sheet(sheet)
                for row in t["rows"]:
                    ws.append([c if c != "" else None for c in row] if row else [])
                for rng_ in t["merges"]:
                    ws.merge_cells(rng_)
            wb.save(out / name)
        else:
            name += ".csv"
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator="\r\n")
            for row in tables[0][1]["rows"]:
                w.writerow(row)
            data = buf.getvalue()
            (out / name).write_bytes(data.encode("utf-8" if axes["format"] == "csv-utf8" else "gb18030"))
        for sheet, t in tables:
            s = sheet if axes["format"] == "xlsx" else None
            line = _csv_lines(t["rows"]) if s is None else (lambda r: r)
            for m, d, y, v, u, (r, c) in t["gold_rows"]:
                g["rows"].append([m, d, y, v, u, _loc(s, line(r), c)])
            for (r, c), reason in t["gold_issues"]:
                g["issues"].append([_loc(s, line(r) if r else r, c), reason])
        gold[name] = g
    (out / "gold.json").write_text(json.dumps(gold, ensure_ascii=False, indent=1), encoding="utf-8")
    return gold


if __name__ == "__main__":
    seed, n, out = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
    generate(seed, n, out)
    print(f"wrote {n} statistics files and gold.json to {out}")
