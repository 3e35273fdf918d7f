"""Statistics files along the axes of CONTRACT §5, with gold values from the spec.

``stats_spec(seed, i, reference)`` samples one file's axis values and its
figures; ``write_stats(spec, out)`` writes it (CSV in UTF-8, UTF-8 with BOM or
GBK, or XLSX). The gold is the list of (metric_code, district_code, year,
value) the file states, computed from the figures chosen here and the
reference folder's districts and metrics (``raw/reference/``), never by
reading the file back; rows a reader must report rather than load (a 市区
subtotal, which is no district) are counted in ``expect_issue_rows``.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

STATS_AXES: dict[str, tuple] = {
    "format": ("csv-utf8", "csv-utf8-bom", "csv-gbk", "xlsx"),
    "shape": ("wide", "tidy"),
    "region_header": ("地区", "区域", "城市", "市县", "县（市、区）", "区县", "单位", "名称", "district"),
    "header_depth": (1, 2, 3),
    "unit_style": ("in_header", "unit_line", "units_row", "none", "wan_in_header"),
    "totals": ("none", "全市_first", "合计_last", "市区_subtotal"),
    # stacked_titles: one sheet, a table per year, each under a title naming its year
    "year_place": ("title", "file_name", "sheet_name", "column", "stacked_titles"),
    "name_form": ("official", "short", "mixed"),
    "number_style": ("plain", "grouped"),
    "missing": ("none", "dashes"),
}
GROUPS = {  # group header (depth >= 2) of each metric
    "communities": "社区建设", "communities_with_care_centre": "社区建设",
    "care_centre_coverage": "社区建设", "care_centres": "养老服务设施",
    "elderly_care_beds": "养老服务设施", "beds_per_100_elderly": "养老服务设施",
    "elderly_population": "老年人口", "subsidised_elderly": "老年人口",
    "subsidised_elderly_share": "老年人口",
}


@dataclass
class StatsSpec:
    file_name: str
    axes: dict
    sheets: list[tuple[str | None, list[list[str]], list[tuple]]]  # (sheet, rows, merges)
    gold: list[dict] = field(default_factory=list)
    expect_issue_rows: int = 0


def _load_reference(ref: Path):
    with open(ref / "districts.csv", encoding="utf-8") as f:
        districts = list(csv.DictReader(f))
    with open(ref / "metrics.csv", encoding="utf-8") as f:
        metrics = list(csv.DictReader(f))
    return districts, metrics


def _valid(d: dict, year: int) -> bool:
    end = date(year, 12, 31)
    lo = date.fromisoformat(d["valid_from"]) if d["valid_from"] else date.min
    hi = date.fromisoformat(d["valid_to"]) if d["valid_to"] else date.max
    return lo <= end <= hi


def _short(d: dict) -> str:
    for a in (d["aliases"] or "").split("|"):
        if a and a not in ("全市", "合计", "总计"):
            return a
    return d["district_name"]


def sample_stats_axes(rng: random.Random) -> dict:
    axes = {k: rng.choice(v) for k, v in STATS_AXES.items()}
    if axes["shape"] == "tidy":
        if axes["region_header"] == "单位":  # a tidy file's 单位 column is the unit
            axes["region_header"] = rng.choice(("地区", "区域", "城市", "区县", "名称"))
        axes["header_depth"] = "n/a"
        axes["unit_style"] = rng.choice(("unit_column", "none", "wan_unit_column"))
        axes["year_place"] = "column"
    else:
        if axes["year_place"] == "sheet_name":
            axes["format"] = "xlsx"  # years across sheets: a workbook
        if axes["unit_style"] == "units_row":
            axes["header_depth"] = 1  # a units row sits under one row of metric names
    return axes


def _value(rng: random.Random, metric: dict, scaled: bool) -> tuple[float, float]:
    """(value in the metric's unit, value as written)."""
    unit = metric["unit"]
    if unit == "%":
        v = round(rng.uniform(40, 100), 1)
        return v, v
    if unit == "人":
        v = rng.randint(50, 3000) * 100
        return float(v), (v / 10000 if scaled else v)
    if metric["metric_code"] == "beds_per_100_elderly":
        v = round(rng.uniform(2, 8), 1)
        return v, v
    v = float(rng.randint(5, 9000))
    return v, v


def _fmt(x: float, style: str) -> str:
    if float(x).is_integer():
        x = int(x)
        return f"{x:,}" if style == "grouped" and x >= 1000 else str(x)
    return f"{x:.2f}".rstrip("0").rstrip(".") if abs(x) < 100 else f"{x}"


def stats_spec(seed: int, index: int, ref: Path) -> StatsSpec:
    rng = random.Random(f"stats:{seed}:{index}")
    districts, metrics = _load_reference(ref)
    axes = sample_stats_axes(rng)
    n_years = 1 if axes["year_place"] in ("title", "file_name") else rng.randint(1, 3)
    if axes["year_place"] == "stacked_titles":
        n_years = rng.randint(2, 3)
    if axes["shape"] == "tidy":
        n_years = rng.randint(1, 3)
    first = rng.choice(range(2015, 2023 - n_years + 1))
    years = list(range(first, first + n_years))
    if axes["unit_style"] == "unit_line":
        # one 单位： line for the table: metrics that share a unit (人 is written 万人)
        units = sorted({m["unit"] for m in metrics
                        if sum(x["unit"] == m["unit"] for x in metrics) >= 2})
        unit = rng.choice(units)
        pool = [m for m in metrics if m["unit"] == unit]
        chosen = rng.sample(pool, rng.randint(2, len(pool)))
    else:
        chosen = rng.sample(metrics, rng.randint(2, 5))
    stem = f"stats{index:05d}"
    if axes["year_place"] == "file_name":
        stem += f"_{years[0]}年"
    ext = ".xlsx" if axes["format"] == "xlsx" else ".csv"
    spec = StatsSpec(stem + ext, axes, [])
    if axes["shape"] == "tidy":
        rows, gold, issues = _tidy(rng, axes, districts, chosen, years)
        spec.sheets.append((None, rows, []))
    else:
        gold, issues = [], 0
        per_sheet = axes["year_place"] == "sheet_name"
        blocks = []
        for y in years:
            r, g, i, merges = _wide(rng, axes, districts, chosen, y)
            gold += g
            issues += i
            blocks.append((y, r, merges))
        if per_sheet:
            spec.sheets = [(f"{y}年", r, m) for y, r, m in blocks]
        elif axes["year_place"] == "stacked_titles":
            rows, merges = [], []
            for _, r, m in blocks:
                if rows:
                    rows.append([""] * len(rows[0]))
                off = len(rows)
                rows += [x for x in r if x is not None]
                merges += [(r0 + off, c0, r1 + off, c1) for r0, c0, r1, c1 in m]
            spec.sheets.append((None, rows, merges))
        elif axes["year_place"] == "column":
            # one table, a 年份 column after the region column: years stacked
            rows, merges = [], []
            for k, (_, r, m) in enumerate(blocks):
                hdr, body = r[: r.index(None)], r[r.index(None) + 1 :]
                if k == 0:
                    rows += hdr
                    merges += m
                rows += body
            spec.sheets.append((None, rows, merges))
        else:
            y, r, m = blocks[0]
            spec.sheets.append((None, [x for x in r if x is not None], m))
    for s in range(len(spec.sheets)):
        name, rows, merges = spec.sheets[s]
        spec.sheets[s] = (name, [x for x in rows if x is not None], merges)
    spec.gold = [dict(g, source_file=spec.file_name) for g in gold]
    spec.expect_issue_rows = issues
    return spec


def _district_rows(rng, axes, districts, year):
    rows = [d for d in districts if _valid(d, year) and d["district_type"] != "city"]
    city = next(d for d in districts if _valid(d, year) and d["district_type"] == "city")
    out = []
    for d in rows:
        form = axes["name_form"]
        if form == "mixed":
            form = rng.choice(("official", "short"))
        out.append((d["district_name"] if form == "official" else _short(d), d["district_code"]))
    return out, city


def _wide(rng, axes, districts, chosen, year):
    """Rows of one wide table for ``year``; a None row separates header from body
    (used to stack years); returns (rows, gold, issue rows, merges)."""
    drows, city = _district_rows(rng, axes, districts, year)
    style = axes["unit_style"]
    depth = axes["header_depth"]
    with_year_col = axes["year_place"] == "column"
    lead = [axes["region_header"]] + (["年份"] if with_year_col else [])
    names, units = [], []
    scaled = {}
    one_unit = {m["unit"] for m in chosen}
    line_wan = style == "unit_line" and one_unit == {"人"}
    for m in chosen:
        u = m["unit"]
        sc = (style == "wan_in_header" and u == "人") or line_wan
        scaled[m["metric_code"]] = sc
        if style in ("in_header", "wan_in_header"):
            names.append(f"{m['name']}（{'万人' if sc else u}）")
        else:
            names.append(m["name"])
        units.append(u)
    top = []
    if axes["year_place"] in ("title", "stacked_titles"):
        top.append([f"{year}年杭州市各区、县（市）养老服务基本情况"])
    elif rng.random() < 0.5:
        top.append(["杭州市各区、县（市）养老服务基本情况"])
    if style == "unit_line":
        # one unit for the table: only when every chosen metric has one unit, else per column
        if len(one_unit) == 1:
            top.append([f"单位：{'万人' if line_wan else next(iter(one_unit))}"])
        else:  # several units: each metric header carries its own
            names = [f"{m['name']}（{m['unit']}）" for m in chosen]
            axes["unit_style"] = "in_header"
    width = len(lead) + len(chosen)
    top = [r + [""] * (width - len(r)) for r in top]
    merges = []
    header: list[list[str]] = []
    h0 = len(top)
    if depth == 1:
        header.append(lead + names)
        if style == "units_row":
            # the row label 单位 ("unit"), unless the region column is itself headed 单位
            label = "" if axes["region_header"] == "单位" else "单位"
            header.append([label] + [""] * (len(lead) - 1) + [f"（{u}）" for u in units])
    else:
        order = sorted(range(len(chosen)), key=lambda i: GROUPS[chosen[i]["metric_code"]])
        chosen = [chosen[i] for i in order]
        names = [names[i] for i in order]
        groups = [GROUPS[m["metric_code"]] for m in chosen]
        rows_h = []
        if depth == 3:
            rows_h.append(lead + ["养老服务发展情况"] + [""] * (len(chosen) - 1))
            merges.append((h0, len(lead), h0, width - 1))
        grow = list(lead)
        c = len(lead)
        while c < width:
            g = groups[c - len(lead)]
            n = 1
            while c + n < width and groups[c + n - len(lead)] == g:
                n += 1
            grow += [g] + [""] * (n - 1)
            if n > 1:
                merges.append((h0 + len(rows_h), c, h0 + len(rows_h), c + n - 1))
            c += n
        rows_h.append(grow)
        rows_h.append([""] * len(lead) + names)
        for k in range(len(lead)):
            merges.append((h0, k, h0 + len(rows_h) - 1, k))
        for r in rows_h[1:]:
            for k in range(len(lead)):
                r[k] = ""
        header += rows_h
    body, gold, issues = [], [], 0
    values = {}
    for name, code in drows:
        row = [name] + ([str(year)] if with_year_col else [])
        for m in chosen:
            v, written = _value(rng, m, scaled[m["metric_code"]])
            if axes["missing"] == "dashes" and rng.random() < 0.1:
                row.append(rng.choice(["—", "-", "…", ""]))
                continue
            values.setdefault(m["metric_code"], []).append(v)
            row.append(_fmt(written, axes["number_style"]))
            gold.append(dict(metric_code=m["metric_code"], district_code=code, year=year,
                             value=v))
        body.append(row)
    totals = axes["totals"]
    if totals != "none":
        label = {"全市_first": "全市", "合计_last": "合计", "市区_subtotal": "全市"}[totals]
        trow = [label] + ([str(year)] if with_year_col else [])
        for m in chosen:
            v, written = _value(rng, m, scaled[m["metric_code"]])
            trow.append(_fmt(written, axes["number_style"]))
            gold.append(dict(metric_code=m["metric_code"], district_code=city["district_code"],
                             year=year, value=v))
        if totals == "全市_first":
            body.insert(0, trow)
        else:
            body.append(trow)
        if totals == "市区_subtotal":
            srow = ["市区"] + ([str(year)] if with_year_col else [])
            for m in chosen:
                _, written = _value(rng, m, scaled[m["metric_code"]])
                srow.append(_fmt(written, axes["number_style"]))
            body.insert(len(body) // 2, srow)
            issues += 1
    return top + header + [None] + body, gold, issues, merges


def _tidy(rng, axes, districts, chosen, years):
    heads = {"district": axes["region_header"], "year": "年份", "metric": "指标", "value": "数值",
             "unit": "单位"}
    cols = ["district", "year", "metric", "value"]
    if axes["unit_style"] != "none":
        cols.append("unit")
    rng.shuffle(cols)
    if cols[0] != "district" and rng.random() < 0.5:
        cols.remove("district")
        cols.insert(0, "district")
    rows = [[heads[c] for c in cols]]
    gold, issues = [], 0
    for y in years:
        drows, city = _district_rows(rng, axes, districts, y)
        extra = []
        if axes["totals"] in ("全市_first", "合计_last", "市区_subtotal"):
            extra.append(("全市" if axes["totals"] != "合计_last" else "合计", city["district_code"]))
        if axes["totals"] == "市区_subtotal":
            extra.append(("市区", None))
        for name, code in drows + extra:
            for m in chosen:
                scaled = axes["unit_style"] == "wan_unit_column" and m["unit"] == "人"
                v, written = _value(rng, m, scaled)
                if axes["missing"] == "dashes" and rng.random() < 0.1 and code is not None:
                    text = rng.choice(["—", "-", "…", ""])
                else:
                    text = _fmt(written, axes["number_style"])
                    if code is None:
                        issues += 1
                    else:
                        gold.append(dict(metric_code=m["metric_code"], district_code=code,
                                         year=y, value=v))
                metric = m["name"] if rng.random() < 0.8 else m["metric_code"]
                cells = {"district": name, "year": str(y), "metric": metric, "value": text,
                         "unit": "万人" if scaled else m["unit"]}
                rows.append([cells[c] for c in cols])
    return rows, gold, issues


def write_stats(spec: StatsSpec, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / spec.file_name
    fmt = spec.axes["format"]
    if fmt == "xlsx":
        import openpyxl

        wb = openpyxl.Workbook()
        wb.remove(wb.active)
        for k, (name, rows, merges) in enumerate(spec.sheets):
            ws = wb.create_sheet(name or f"Sheet{k + 1}")
            for r in rows:
                ws.append([_cell_value(x) for x in r])
            for r0, c0, r1, c1 in merges:
                ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1,
                               end_column=c1 + 1)
        wb.properties.created = wb.properties.modified = _FIXED
        buf = io.BytesIO()
        wb.save(buf)
        path.write_bytes(_stable(buf.getvalue()))
        return path
    (name, rows, _), = spec.sheets
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    s = text.getvalue()
    if fmt == "csv-utf8":
        path.write_bytes(s.encode("utf-8"))
    elif fmt == "csv-utf8-bom":
        path.write_bytes(s.encode("utf-8-sig"))
    else:
        path.write_bytes(s.encode("gbk"))
    return path


def _cell_value(x: str):
    """XLSX cells hold numbers as numbers (a yearbook's figures are numeric cells)."""
    if x in ("",):
        return None
    try:
        return int(x) if x.isdigit() else float(x) if "." in x and x.replace(".", "", 1).isdigit() else x
    except ValueError:
        return x


from datetime import datetime as _dt  # noqa: E402

_FIXED = _dt(2017, 1, 1, 0, 0, 0)


def _stable(data: bytes) -> bytes:
    from tools.plan_writer import _stable_zip

    return _stable_zip(data)
