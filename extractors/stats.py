"""District statistics files -> tidy rows + issues (CONTRACT §5).

Accepted: tidy files (district, year, metric, value[, unit]) and yearbook
wide files (districts down, metrics across, the year in a column, a title
row, the sheet name or the file name); CSV in UTF-8 (with or without BOM),
GB18030/GBK or UTF-16, detected from the bytes; XLSX (every sheet) and
legacy XLS. Every figure either loads or becomes an ``IngestIssue`` with its
file, location and reason; missing markers (``—``, ``-``, ``…``, empty) are
skipped, never read as 0.

Yearbook tables as statistics offices publish them:

- the header is the first of the top 30 rows that has a district column and
  metric names across (or the tidy columns); title rows, a ``单位：万人`` line
  and blank rows above it are allowed. District headers: 地区, 区县, 区（县、市）,
  区县名称, District Name, a diagonal corner cell (``地区＼指标``) or a blank
  top-left cell. Year headers include 年份, 年度, 时间.
- a metric header is a metric code or name, optionally with its unit
  (``城乡社区数（个）``, ``（单位：个）``, ``/个``) and a leading 其中 ("of which").
- a wide header may take two rows: a group header merged over metric columns,
  or a units row (``单位 | 个 | （张）``) below the names.
- a unit comes from the header, the units row or the ``单位：`` line above the
  table (for the columns whose metric it fits); ``万人`` multiplies by 10^4.
- rows repeating the header are skipped; without a year column, the nearest
  line above a repeated header that names exactly one year starts that year
  (two years stacked in one sheet; a footnote of the first table naming
  another year, 注：2017年起…, is farther up and does not count).
- the year of a wide table: a year column, else a title row, the sheet name
  (``2019年``, ``2018年数据``), the file name.
- 合计/总计/全市 rows resolve to the city through its aliases in districts.csv;
  other rows that are not districts (市区, footnotes with figures) are issues;
  footnotes and titles without figures are ignored.
- a workbook sheet without a header and without a number (a cover or notes
  sheet) is skipped; an XLSX formula without a computed value (``<f>`` and no
  ``<v>``, or an empty ``<v>`` in a cell not of string type, as openpyxl
  writes it) is an issue; an empty text result as Excel stores it
  (``=IF(x,"",…)``: ``t="str"``, empty ``<v>``) is a missing figure. The
  formula cells are found by a streaming lxml parse of the sheet parts that
  hold a formula (mapped through xl/workbook.xml and its rels; no DTD, no
  entities, no network), not by a second openpyxl pass.
- years across the columns, or districts across, are not read: one issue
  names the layout.

The happy path is vectorised (pyarrow compute + numpy): names, metrics,
years and units are resolved once per distinct value, not once per row, and
large clean UTF-8 CSVs are parsed by pyarrow's multithreaded reader.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from extractors.files import input_files, unsupported_file_issues
from extractors.records import STAT_FRAME_COLUMNS, IngestIssue, Metric, UnreadableStatsFile
from extractors.reference import DistrictResolver, normalise_name

FRAME_COLUMNS = list(STAT_FRAME_COLUMNS)
STATS_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls")
FAST_PATH_BYTES = 4 << 20  # UTF-8 CSVs larger than this are parsed by pyarrow
HEAD_ROWS = 30  # rows searched for the header
ERROR = "error"

# header words by role, compared after normalise_name() and lower()
DISTRICT_HEADERS = {
    "地区", "区县", "区县(市)", "区、县(市)", "县(市、区)", "县市区", "区县市", "行政区",
    "行政区划", "行政区域", "地区名称", "区域", "区域名称", "行政区名称", "区划名称", "district", "district_name",
    "region", "area", "county", "districtname", "districts", "county/district",
    "district/county", "regionname", "areaname",
}  # fmt: skip
# 区县, 县市区, 区（县、市）, 区县名称 ...: district headers of any spelling
_DISTRICT_HEADER_RE = re.compile(r"(?=.*[区县])[区县市]{2,3}(?:名称|名|别)?")
_CORNER_WORDS = {"指标", "项目", "指标名称", "年份", "单位"}  # the other half of 地区＼指标
CODE_HEADERS = {"代码", "区划代码", "行政区划代码", "地区代码", "district_code", "code"}
YEAR_HEADERS = {
    "年份", "年度", "年", "统计年度", "统计年份", "数据年份", "时间", "统计时间", "year",
}  # fmt: skip
METRIC_HEADERS = {
    "指标",
    "指标名称",
    "指标代码",
    "项目",
    "metric",
    "metric_code",
    "metric_name",
    "indicator",
}
VALUE_HEADERS = {"数值", "数据", "值", "指标值", "统计值", "value"}
UNIT_HEADERS = {"单位", "计量单位", "unit"}
IGNORED_HEADERS = {
    "备注",
    "说明",
    "注",
    "来源",
    "数据来源",
    "note",
    "notes",
    "source",
    "序号",
    "no",
    "#",
}

_MISSING_RE = re.compile(r"[-—–―─−.…·]*")
_MISSING_WORDS = {"nan", "none", "null", "n/a", "na"}
_NUMBER_RE = re.compile(r"([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?([eE][-+]?\d+)?(%|万|亿)?")
_GROUPED_RE = r"^-?\d{1,3}(,\d{3})+(\.\d+)?$"
_PLAIN_RE = r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$"
_YEAR_CELL_RE = re.compile(r"((?:19|20)\d{2})(?:年度|年|\.0)?")
_YEAR_IN_TEXT_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_UNIT_SUFFIX_RE = re.compile(r"(.+?)[(\[]([^()\[\]]{1,8})[)\]]")
_UNIT_LABEL_RE = re.compile(r"^(?:计量)?单位[:：]?\s*")
_OF_WHICH_RE = re.compile(r"^其中[:,、]?")  # 其中：建有…的社区数 ("of which")

# value parse status
OK, MISSING, BAD = 0, 1, 2
# value suffix kinds
PLAIN, PERCENT, SCALED = 0, 1, 2


@dataclass
class StatsResult:
    frame: pd.DataFrame
    issues: list[IngestIssue] = field(default_factory=list)


def empty_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "metric_code": pd.Series(dtype="string[pyarrow]"),
            "district_code": pd.Series(dtype="string[pyarrow]"),
            "year": pd.Series(dtype="int64"),
            "value": pd.Series(dtype="float64"),
            "unit": pd.Series(dtype="string[pyarrow]"),
            "source_file": pd.Series(dtype="string[pyarrow]"),
            "location": pd.Series(dtype="string[pyarrow]"),
        }
    )


# --------------------------------------------------------------------------- entry points


def read_stats_folder(
    folder: str | Path, resolver: DistrictResolver, metrics: Mapping[str, Metric]
) -> StatsResult:
    """Every statistics file of ``folder`` (sorted by name), concatenated; a
    (metric, district, year) given again by a later file is an issue when its
    value differs and dropped silently when it is equal. A file of another type
    (not ``STATS_SUFFIXES``, not ``.md`` notes) is one issue."""
    files = input_files(folder, STATS_SUFFIXES)
    frames, issues = [], unsupported_file_issues(folder, STATS_SUFFIXES, "statistics")
    for path in files:
        result = read_stats_file(path, resolver, metrics)
        frames.append(result.frame)
        issues.extend(result.issues)
    frame = _concat(frames)
    if len(frames) > 1:
        frame = _dedupe(frame, issues)
    return StatsResult(frame, issues)


def read_stats_file(
    path: str | Path, resolver: DistrictResolver, metrics: Mapping[str, Metric]
) -> StatsResult:
    """One statistics file -> StatsResult(frame, issues). Never raises for bad
    input: an unreadable file or a file without a recognisable layout is one
    issue."""
    path = Path(path)
    issues: list[IngestIssue] = []
    reader = _TableReader(path.name, resolver, metrics, issues)
    try:
        frames = [reader.read(grid) for grid in _grids(path, reader.lookup)]
    except UnreadableStatsFile as e:
        issues.append(IngestIssue(path.name, e.location or "file", ERROR, e.reason))
        return StatsResult(empty_frame(), issues)
    frame = _dedupe(_concat(frames), issues)
    if frame.empty and not issues:
        issues.append(IngestIssue(path.name, "file", ERROR, "no statistics found"))
    return StatsResult(frame, issues)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if not f.empty]
    if not frames:
        return empty_frame()
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


def _dedupe(frame: pd.DataFrame, issues: list[IngestIssue]) -> pd.DataFrame:
    """Keep the first value of each (metric, district, year); a later different
    value is an issue, an equal one is dropped silently."""
    if len(frame) < 2:
        return frame
    key = ["metric_code", "district_code", "year"]
    combined = np.zeros(len(frame), dtype=np.int64)
    space = 1
    for column in key:
        codes, uniques = pd.factorize(frame[column])
        combined = combined * len(uniques) + codes
        space *= len(uniques)
    codes, uniques = _dense_codes(combined, space)
    dup = np.bincount(codes, minlength=len(uniques))[codes] > 1
    if not dup.any():
        return frame
    sub = frame[dup]
    first = sub.groupby(key, sort=False, observed=True).head(1)
    firsts = first.set_index(key)
    later = sub.drop(first.index)
    for row in later.itertuples(index=False):
        ref = firsts.loc[(row.metric_code, row.district_code, row.year)]
        if row.value != ref.value:
            where = (
                ref.location
                if ref.source_file == row.source_file
                else (f"{ref.source_file}, {ref.location}")
            )
            issues.append(
                IngestIssue(
                    row.source_file,
                    row.location,
                    ERROR,
                    f"conflicting value {_fmt(row.value)} for {row.metric_code} "
                    f"{row.district_code} {row.year}: first value {_fmt(ref.value)} "
                    f"at {where} kept",
                )
            )
    return frame.drop(later.index).reset_index(drop=True)


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


# --------------------------------------------------------------------------- grids


@dataclass
class Grid:
    """One table of a file: the first rows as text (header search) and a way
    to get the body below a header as string columns with row numbers."""

    sheet: str | None
    head: list[list[str]]
    rows: list[list[str]] | None = None  # every row (small tables)
    row_numbers: list[int] | None = None  # 1-based, as a spreadsheet shows them
    arrow: pa.Table | None = None  # body below the header (fast path)
    arrow_first_row: int = 0  # row number of arrow's first row
    arrow_header_index: int = -1  # header index the arrow body was read for

    def body(self, header: int, width: int) -> tuple[list[pa.Array], np.ndarray, list[str]]:
        """String columns below ``header`` (0-based), their 1-based row numbers,
        and the reasons of rows that do not fit the header."""
        if self.arrow is not None and header == self.arrow_header_index:
            cols = [self.arrow.column(i) for i in range(min(width, self.arrow.num_columns))]
            n = self.arrow.num_rows
            return cols, np.arange(self.arrow_first_row, self.arrow_first_row + n), []
        assert self.rows is not None and self.row_numbers is not None
        body = self.rows[header + 1 :]
        numbers = self.row_numbers[header + 1 :]
        cols = [
            pa.array([r[i] if i < len(r) else "" for r in body], pa.string()) for i in range(width)
        ]
        over = [
            f"row {n}: {len(r)} cells under a header of {width}"
            for r, n in zip(body, numbers, strict=True)
            if len(r) > width and any(c.strip() for c in r[width:])
        ]
        return cols, np.asarray(numbers, dtype=np.int64), over


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


def _xlsx_grids(path: Path) -> list[Grid]:
    import zipfile

    import openpyxl

    try:  # openpyxl's parser would expand entities: refuse a DTD before it reads
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith((".xml", ".rels")):
                    with z.open(name) as f:
                        _refuse_dtd(f.read(4096), name, path.name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError):
        pass  # reported below, as not a readable workbook
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # corrupt zip, not a workbook, encrypted
        raise UnreadableStatsFile(path.name, f"not a readable XLSX workbook: {e}") from None
    grids = []
    try:
        for ws in wb.worksheets:
            rows = [
                [_cell_text(c.value, getattr(c, "number_format", None)) for c in row]
                for row in ws.iter_rows(min_row=1)
            ]
            grids.append(_small_grid(ws.title, rows))
    finally:
        wb.close()
    _show_uncomputed_formulas(path, grids)
    return grids


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")
_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DOC_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL_REF_RE = re.compile(r"([A-Z]{1,3})(\d+)")


def _zip_xml(z, name: str, source: str):
    """One small package part (workbook.xml, its rels) parsed safely."""
    from lxml import etree

    from extractors.docx_tables import SAFE_XML_OPTIONS

    data = z.read(name)  # _xlsx_grids refused any part with a DTD before
    try:
        root = etree.fromstring(data, etree.XMLParser(**SAFE_XML_OPTIONS))
    except etree.XMLSyntaxError as e:
        raise UnreadableStatsFile(source, f"XLSX part {name} is not well-formed XML ({e.msg})") from None
    return root


def _refuse_dtd(head: bytes, name: str, source: str) -> None:
    head = head[:4096].lstrip(b"\xef\xbb\xbf")
    if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
        raise UnreadableStatsFile(source, f"XLSX part {name} declares a DTD or entities (refused)")


def _worksheet_parts(z, source: str) -> dict[str, str]:
    """Sheet name -> its XML part, from xl/workbook.xml and its rels (the
    part names need not follow the sheet order)."""
    import posixpath

    names = set(z.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    targets = {}
    for rel in _zip_xml(z, "xl/_rels/workbook.xml.rels", source).iter(f"{_REL_NS}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        targets[rel.get("Id")] = part
    parts = {}
    for sheet in _zip_xml(z, "xl/workbook.xml", source).iter(f"{_SHEET_NS}sheet"):
        part = targets.get(sheet.get(_DOC_REL_ID))
        if part in names and sheet.get("name") is not None:
            parts[sheet.get("name")] = part
    return parts


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _uncomputed_formulas(z, part: str, source: str) -> list[tuple[int, int, str]]:
    """(row, column, formula) of the cells of one worksheet part (1-based)
    that have a formula and no computed value, read by a streaming parse that
    keeps only those cells.

    Uncomputed: an ``<f>`` without a ``<v>``, or with an empty ``<v>`` in a
    cell that is not of string type (openpyxl writes ``<f>…</f><v></v>``).
    Excel stores an empty text result (``=IF(x,"",…)``) as ``t="str"`` with
    an empty ``<v>``: a computed blank, so a missing figure, not an issue."""
    from lxml import etree

    from extractors.docx_tables import SAFE_XML_OPTIONS

    found: list[tuple[int, int, str]] = []
    shared: dict[str, tuple[str, str]] = {}  # si -> (master formula, master cell)
    row_tag, cell_tag = f"{_SHEET_NS}row", f"{_SHEET_NS}c"
    f_tag, v_tag = f"{_SHEET_NS}f", f"{_SHEET_NS}v"
    r = 0
    with z.open(part) as f:
        # one event per row (not per cell): the rows without a formula cost
        # one C-level search; each row is dropped once read
        rows = etree.iterparse(f, events=("end",), tag=row_tag, **SAFE_XML_OPTIONS)
        try:
            for _, row in rows:
                r = int(row.get("r") or r + 1)
                if row.find(f"{cell_tag}/{f_tag}") is not None:
                    c = 0
                    for cell in row.iterchildren(cell_tag):
                        ref = cell.get("r")
                        m = _CELL_REF_RE.fullmatch(ref) if ref else None
                        c = _column_index(m.group(1)) if m else c + 1
                        formula = cell.find(f_tag)
                        if formula is None:
                            continue
                        text = formula.text or ""
                        si = formula.get("si")
                        if formula.get("t") == "shared" and si is not None:
                            here = f"{_column_letter(c - 1)}{r}"
                            if text:
                                shared[si] = (text, here)
                            elif si in shared:
                                from openpyxl.formula.translate import Translator

                                master, origin = shared[si]
                                text = Translator(f"={master}", origin).translate_formula(here)[1:]
                        value = cell.find(v_tag)
                        if value is None or (not value.text and cell.get("t") not in ("str", "inlineStr")):
                            found.append((r, c, f"={text}"))
                row.clear()
                while row.getprevious() is not None:
                    del row.getparent()[0]
        except etree.XMLSyntaxError as e:
            raise UnreadableStatsFile(source, f"XLSX part {part} is not well-formed XML ({e.msg})") from None
    return found


def _show_uncomputed_formulas(path: Path, grids: list[Grid]) -> None:
    """A formula cell holds no value when the program that wrote the file did
    not compute it (openpyxl, many exporters): give such cells the formula's
    text, so they become issues instead of silently missing figures. Only the
    worksheet parts that contain a formula tag are parsed, once, streaming."""
    import zipfile

    by_title = {g.sheet: g for g in grids}
    with zipfile.ZipFile(path) as z:
        for title, part in _worksheet_parts(z, path.name).items():
            grid = by_title.get(title)
            if grid is None or grid.rows is None or not _part_has_formulas(z, part):
                continue
            for r, c, formula in _uncomputed_formulas(z, part, path.name):
                if r <= len(grid.rows) and c <= len(grid.rows[r - 1]) and grid.rows[r - 1][c - 1] == "":
                    grid.rows[r - 1][c - 1] = formula


def _part_has_formulas(z, part: str) -> bool:
    with z.open(part) as f:
        tail = b""
        while chunk := f.read(1 << 20):
            if _FORMULA_TAG.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _xls_grids(path: Path) -> list[Grid]:
    import xlrd

    try:
        book = xlrd.open_workbook(path, formatting_info=True)
    except Exception as e:
        raise UnreadableStatsFile(path.name, f"not a readable XLS workbook: {e}") from None
    grids = []
    for sheet in book.sheets():
        rows = []
        for r in range(sheet.nrows):
            row = []
            for c in range(sheet.ncols):
                cell = sheet.cell(r, c)
                fmt = None
                if cell.ctype == xlrd.XL_CELL_NUMBER:
                    xf = book.xf_list[cell.xf_index] if cell.xf_index is not None else None
                    fmt = book.format_map[xf.format_key].format_str if xf else None
                    row.append(_cell_text(cell.value, fmt))
                elif cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(str(xlrd.xldate_as_datetime(cell.value, book.datemode)))
                elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    row.append("")
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    row.append(xlrd.error_text_from_code.get(cell.value, "#ERROR"))
                else:
                    row.append(str(cell.value))
            rows.append(row)
        grids.append(_small_grid(sheet.name, rows))
    return grids


def _cell_text(value: object, number_format: str | None) -> str:
    """A spreadsheet cell as the text a user sees: numbers exactly, cells
    formatted as percentages as ``12.5%``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        text = repr(float(value)) if isinstance(value, float) else str(value)
        if number_format and "%" in number_format:
            pct = f"{Decimal(text) * 100:f}"
            return (pct.rstrip("0").rstrip(".") if "." in pct else pct) + "%"
        return text
    return str(value)


def _small_grid(sheet: str | None, rows: list[list[str]]) -> Grid:
    return Grid(sheet, rows[:HEAD_ROWS], rows, list(range(1, len(rows) + 1)))


# --------------------------------------------------------------------------- CSV


def detect_encoding(path: Path) -> str:
    """'utf-8-sig', 'utf-16', 'utf-8' or 'gb18030', decided by strict decoding
    of the whole file; UnreadableStatsFile when none fits."""
    with path.open("rb") as f:
        start = f.read(4)
    if start.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for enc in candidates:
        decoder = codecs.getincrementaldecoder(enc)("strict")
        sample: list[str] = []
        try:
            with path.open("rb") as f:
                while chunk := f.read(16 << 20):
                    text = decoder.decode(chunk)
                    if enc == "gb18030" and sum(map(len, sample)) < 1 << 20:
                        sample.append(text)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if enc == "gb18030" and not _plausible_chinese("".join(sample)):
            continue
        return enc
    names = " or ".join("GB18030" if c == "gb18030" else c.upper() for c in candidates)
    raise UnreadableStatsFile(path.name, f"text encoding is not {names}")


def _plausible_chinese(text: str) -> bool:
    """GB18030 decodes most byte soup; real GBK statistics use common Chinese
    characters (GB2312). Reject text whose non-ASCII characters mostly are not."""
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return True
    common = 0
    for ch in non_ascii:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common >= 0.95 * len(non_ascii)


def _starts_as_utf8(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(1 << 16)
    try:
        codecs.getincrementaldecoder("utf-8-sig")("strict").decode(head)
    except UnicodeDecodeError:
        return False
    return True


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_count = ",", 0
    for delim in (",", "\t", ";", "|"):
        count = max((line.count(delim) for line in lines), default=0)
        if count > best_count:
            best, best_count = delim, count
    return best


def _csv_grid(path: Path, size: int, lookup: Mapping[str, str]) -> Grid:
    if size > FAST_PATH_BYTES and _starts_as_utf8(path):
        # pyarrow validates UTF-8 itself (check_utf8): invalid bytes anywhere
        # make it decline, and the strict detection below takes over
        grid = _fast_csv_grid(path, "utf-8-sig", lookup)
        if grid is not None:
            return grid
    enc = detect_encoding(path)
    text = path.read_bytes().decode(enc)
    if text.startswith("\ufeff"):
        text = text[1:]
    delim = _sniff_delimiter(text.splitlines()[:HEAD_ROWS])
    rows, numbers = [], []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    last = 0
    try:
        for row in reader:
            rows.append(row)
            numbers.append(last + 1)
            last = reader.line_num
    except csv.Error as e:
        raise UnreadableStatsFile(path.name, f"malformed CSV: {e}", f"row {last + 1}") from None
    return Grid(None, rows[:HEAD_ROWS], rows, numbers)


def _fast_csv_grid(path: Path, enc: str, lookup: Mapping[str, str]) -> Grid | None:
    """pyarrow parse of a large UTF-8 CSV; None when the file needs the exact
    (Python) reader: a header beyond the first lines, blank lines, ragged rows
    or quoted line breaks, which would shift row numbers."""
    import pyarrow.csv as pacsv

    with path.open("rb") as f:
        head_bytes = f.read(1 << 16)
    head_text = codecs.getincrementaldecoder(enc)("strict").decode(head_bytes)  # no final: a
    # character cut at the 64 KiB boundary stays pending, and the cut line is dropped below
    head_lines = head_text.split("\n")[:-1][:HEAD_ROWS]  # complete lines only
    delim = _sniff_delimiter(head_lines)
    head = [next(csv.reader([line.rstrip("\r")], delimiter=delim), []) for line in head_lines]
    found = _find_header(head, lookup)
    if found is None:
        return None
    layout, header = found
    width = layout.width
    with path.open("rb") as f:
        newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(16 << 20), b""))
        f.seek(-1, 2)
        ends_with_newline = f.read(1) == b"\n"
    physical = newlines + (0 if ends_with_newline else 1)
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(
                skip_rows=header + 1, column_names=[f"c{i}" for i in range(width)]
            ),
            parse_options=pacsv.ParseOptions(delimiter=delim),
            convert_options=pacsv.ConvertOptions(
                column_types={f"c{i}": pa.string() for i in range(width)},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # ragged rows, invalid UTF-8
        return None
    if table.num_rows != physical - header - 1:
        return None
    return Grid(
        None,
        head[: header + 1],
        arrow=table,
        arrow_first_row=header + 2,
        arrow_header_index=header,
    )


# --------------------------------------------------------------------------- layout


def _header_key(text: str) -> str:
    return normalise_name(text).lower()


def _metric_lookup(metrics: Mapping[str, Metric]) -> dict[str, str]:
    lookup = {}
    for m in metrics.values():
        lookup[m.code.lower()] = m.code
        lookup[_header_key(m.name)] = m.code
    return lookup


def match_metric_header(text: str, lookup: Mapping[str, str]) -> tuple[str | None, str | None]:
    """(metric_code, unit written with it) for a metric cell or header:
    a code, a name, or a name with its unit (``城乡社区数（个）``,
    ``城乡社区数（单位：个）``, ``养老机构床位数/张``); a leading 其中 ("of
    which", a sub-item of the column before) is ignored."""
    key = _OF_WHICH_RE.sub("", _header_key(text))
    if key in lookup:
        return lookup[key], None
    m = _UNIT_SUFFIX_RE.fullmatch(key)
    if m and m.group(1) in lookup:
        return lookup[m.group(1)], clean_unit(m.group(2))
    for i, ch in enumerate(key):  # 养老机构床位数/张
        if ch == "/" and key[:i] in lookup:
            return lookup[key[:i]], clean_unit(key[i + 1 :])
    return None, None


def clean_unit(text: str | None) -> str:
    """A unit as written -> the bare unit: NFKC, enclosing brackets and a
    单位： label removed (``（个）`` -> 个, ``单位：万人`` -> 万人)."""
    u = unicodedata.normalize("NFKC", text or "").strip()
    while len(u) >= 2 and u[0] in "([【" and u[-1] in ")]】":
        u = u[1:-1].strip()
    return _UNIT_LABEL_RE.sub("", u).strip()


@dataclass
class Layout:
    kind: str  # tidy or wide
    district: int
    year: int | None = None
    metric: int | None = None
    value: int | None = None
    unit: int | None = None
    metric_columns: dict[int, str] = field(default_factory=dict)  # wide: column -> header
    width: int = 0  # cells of the header (the widest of its rows)
    rows: int = 1  # rows of the header


def _classify(row: list[str], lookup: Mapping[str, str]) -> Layout | None:
    keys = [_header_key(c) for c in row]
    roles: dict[str, int] = {}
    for role, words in (
        ("district", DISTRICT_HEADERS),
        ("code", CODE_HEADERS),
        ("year", YEAR_HEADERS),
        ("metric", METRIC_HEADERS),
        ("value", VALUE_HEADERS),
        ("unit", UNIT_HEADERS),
    ):
        for i, k in enumerate(keys):
            if role not in roles and (k in words or (role == "district" and _is_district_header(k))):
                roles[role] = i
    district = roles.get("district", roles.get("code"))
    if district is not None and "metric" in roles and "value" in roles:
        return Layout(
            "tidy",
            district,
            roles.get("year"),
            roles["metric"],
            roles["value"],
            roles.get("unit"),
            width=len(row),
        )
    known = [i for i, c in enumerate(row) if match_metric_header(c, lookup)[0] is not None]
    if not known:
        return None
    if district is None:
        if keys and keys[0] == "" and 0 not in known:
            district = 0  # yearbook tables often leave the top-left cell blank
        else:
            return None
    used = {district, roles.get("year"), roles.get("code")}
    columns = {
        i: c
        for i, (c, k) in enumerate(zip(row, keys, strict=True))
        if k and i not in used and k not in IGNORED_HEADERS and k not in CODE_HEADERS
    }
    return Layout("wide", district, roles.get("year"), metric_columns=columns, width=len(row))


def _is_district_header(key: str) -> bool:
    """A district column header beyond DISTRICT_HEADERS: any spelling of 区县
    (``区（县、市）``, ``区县名称``; not 市区, the urban area), or a diagonal
    corner cell naming the rows and the columns (``地区＼指标``, ``指标\n地区``)."""
    if key in DISTRICT_HEADERS:
        return True
    bare = re.sub(r"[()、,/\\]", "", key)
    if bare != "市区" and _DISTRICT_HEADER_RE.fullmatch(bare):
        return True
    parts = [p for p in re.split(r"[/\\|]", key) if p]
    if len(parts) == 2:
        return any(p in DISTRICT_HEADERS for p in parts) and any(p in _CORNER_WORDS for p in parts)
    for word in _CORNER_WORDS:  # 指标地区: the two words of a corner cell on two lines
        if key.startswith(word) and key[len(word) :] in DISTRICT_HEADERS:
            return True
        if key.endswith(word) and key[: -len(word)] in DISTRICT_HEADERS:
            return True
    return False


def _find_header(head: list[list[str]], lookup: Mapping[str, str]) -> tuple[Layout, int] | None:
    """(layout, index of its last row) of the first header, or None. A wide
    header may take two rows (see _second_header_row)."""
    for i, row in enumerate(head[:HEAD_ROWS]):
        layout = _classify(row, lookup)
        if layout is not None:
            if layout.kind == "wide" and i + 1 < len(head):
                two_rows = _second_header_row(layout, head[i + 1], lookup)
                if two_rows is not None:
                    return two_rows, i + 1
            return layout, i
    return None


def _second_header_row(layout: Layout, below: list[str], lookup: Mapping[str, str]) -> Layout | None:
    """The layout of a two-row wide header, or None when ``below`` is not its
    second row. Yearbooks put a group header (养老服务设施, merged over two
    columns) above metric names, with the other metrics merged down both rows
    (their lower cell blank). ``below`` continues the header when it names a
    metric where the row above names none, and holds no number."""
    cells = [c.strip() for c in below]
    if layout.district < len(cells) and cells[layout.district]:
        if not _is_district_header(_header_key(cells[layout.district])):
            return None
    if any(parse_value(c)[1] == OK for c in cells if c):
        return None
    known = {j for j, c in enumerate(cells) if c and match_metric_header(c, lookup)[0]}
    above = layout.metric_columns
    if not any(j not in above or match_metric_header(above[j], lookup)[0] is None for j in known):
        return None
    used = {layout.district, layout.year}
    columns = {}
    for j in sorted(set(above) | {j for j, c in enumerate(cells) if c}):
        key = _header_key(cells[j]) if j < len(cells) else ""
        if j in used or key in IGNORED_HEADERS or key in CODE_HEADERS:
            continue
        if j in known or (key and j not in above):
            columns[j] = cells[j]
        elif j in above and (not key or match_metric_header(above[j], lookup)[0]):
            columns[j] = above[j]  # merged down both rows, or a metric above its unit
        else:
            columns[j] = cells[j]  # an unknown name under a group header
    width = max(layout.width, len(below))
    return Layout(
        "wide", layout.district, layout.year, metric_columns=columns, width=width, rows=2
    )


def _year_from_text(text: str) -> int | None:
    text = unicodedata.normalize("NFKC", text)
    with_nian = set(re.findall(r"((?:19|20)\d{2})\s*年(?!\s*[-~～至到])", text))
    found = with_nian or set(_YEAR_IN_TEXT_RE.findall(text))
    if len(found) == 1 and not re.search(
        r"(?:19|20)\d{2}\s*年?\s*[-~～至到—]\s*(?:19|20)\d{2}", text
    ):
        return int(found.pop())
    return None


_UNIT_LINE_RE = re.compile(r"(?:计量)?单位[:：]\s*(\S{1,8})")


def _unit_line(rows: list[list[str]]) -> str | None:
    """The unit of a ``单位：万人`` line above a table (the nearest one), None
    when there is none or it names several units (单位：个、张)."""
    for row in reversed(rows):
        for cell in row:
            m = _UNIT_LINE_RE.fullmatch(unicodedata.normalize("NFKC", cell).strip())
            if m:
                unit = m.group(1)
                return None if re.search(r"[、,;]", unit) else clean_unit(unit)
    return None


def _sheet_year(sheet: str | None) -> int | None:
    if sheet is None:
        return None
    m = _YEAR_CELL_RE.fullmatch(normalise_name(sheet))
    return int(m.group(1)) if m else _year_from_text(sheet)  # 2018年数据, 表3 2019年


def _column_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


# --------------------------------------------------------------------------- values


def parse_value(text: str) -> tuple[float | None, int, int]:
    """(value, status, suffix) of one cell: status OK/MISSING/BAD; suffix
    PLAIN, PERCENT (``12.5%`` -> 12.5) or SCALED (``10.5万`` -> 105000)."""
    t = "".join(unicodedata.normalize("NFKC", text).split()).replace("−", "-")
    if _MISSING_RE.fullmatch(t) or t.lower() in _MISSING_WORDS:
        return None, MISSING, PLAIN
    m = _NUMBER_RE.fullmatch(t)
    if not m:
        return None, BAD, PLAIN
    sign, digits, frac, exponent, suffix = m.groups()
    number = Decimal(sign + digits.replace(",", "") + (frac or "") + (exponent or ""))
    if suffix == "%":
        return float(number), OK, PERCENT
    if suffix in ("万", "亿"):
        return float(number * (10_000 if suffix == "万" else 100_000_000)), OK, SCALED
    return float(number), OK, PLAIN


def _parse_values(arr: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised parse_value: plain decimals cast in C++; the few other cells
    (separators, markers, text) handled on their subset, text once per
    distinct value. Returns (values, status, suffix) arrays."""
    n = len(arr)
    plain = pc.match_substring_regex(arr, _PLAIN_RE)
    values = pc.cast(pc.if_else(plain, arr, pa.scalar(None, pa.string())), pa.float64())
    values = values.to_numpy(zero_copy_only=False)
    if not values.flags.writeable:
        values = values.copy()
    plain = plain.to_numpy(zero_copy_only=False)
    status = np.zeros(n, dtype=np.int8)  # OK
    suffix = np.zeros(n, dtype=np.int8)
    rest = np.flatnonzero(~plain)
    if not len(rest):
        return values, status, suffix
    sub = pc.take(arr, pa.array(rest))
    grouped = pc.match_substring_regex(sub, _GROUPED_RE)  # 1,234,567.5
    if pc.any(grouped).as_py():
        text = pc.if_else(grouped, pc.replace_substring(sub, ",", ""), pa.scalar(None, pa.string()))
        cast = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        g = grouped.to_numpy(zero_copy_only=False)
        values[rest[g]] = cast[g]
        rest, sub = rest[~g], pc.filter(sub, pc.invert(grouped))
    if not len(rest):
        return values, status, suffix
    encoded = pc.dictionary_encode(sub)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    parsed = [parse_value(t) for t in encoded.dictionary.to_pylist()]
    idx = encoded.indices.to_numpy(zero_copy_only=False)
    values[rest] = np.array([np.nan if v is None else v for v, _, _ in parsed])[idx]
    status[rest] = np.array([st for _, st, _ in parsed], dtype=np.int8)[idx]
    suffix[rest] = np.array([k for _, _, k in parsed], dtype=np.int8)[idx]
    return values, status, suffix


def _encode(arr: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[str]]:
    """(indices, distinct values) of a string column."""
    encoded = pc.dictionary_encode(arr)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = (
            encoded.combine_chunks()
            if encoded.num_chunks
            else pa.DictionaryArray.from_arrays(pa.array([], pa.int32()), pa.array([], pa.string()))
        )
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


def _drop_repeated_headers(layout: Layout, header_rows: list[list[str]], cols, rows, year):
    """(cols, rows, year) without the body rows that repeat the header: a
    header repeated at a page break, or a second table stacked below the
    first. Without a year column, a title above a repeated header that names
    a year (2019年各区县…) gives the year of the rows below it, so year
    becomes a string column: the nearest line above the header that names
    exactly one year, so a footnote of the table above (注：2017年起…) does
    not hide the title."""
    keys = [[_header_key(c) for c in h] for h in header_rows]
    n = len(rows)
    repeat = np.zeros(n, dtype=bool)
    for key in keys:
        j = next((j for j, k in enumerate(key) if k), None)
        if j is None or j >= len(cols):
            continue
        text = header_rows[keys.index(key)][j].strip()
        hits = pc.equal(pc.utf8_trim_whitespace(cols[j]), text).to_numpy(zero_copy_only=False)
        for r in np.flatnonzero(hits).tolist():
            cells = [_header_key(col[r].as_py()) for col in cols]
            if all(k == (cells[i] if i < len(cells) else "") for i, k in enumerate(key) if k):
                repeat[r] = True
    if not repeat.any():
        return cols, rows, year
    keep = pa.array(~repeat)
    if layout.year is None:
        value_cols = list(layout.metric_columns) if layout.kind == "wide" else [layout.value]
        years = np.full(n, year, dtype=np.int64)
        for r in np.flatnonzero(repeat & ~np.roll(repeat, 1)).tolist():  # first header row
            lines, k = [], r - 1  # the lines above the header, nearest first
            while k >= 0 and not repeat[k]:
                if any((cols[j][k].as_py() or "").strip() for j in value_cols):
                    break  # a data row: the titles end here
                line = " ".join(c for col in cols if (c := (col[k].as_py() or "").strip()))
                if line:
                    lines.append(line)
                k -= 1
            # the nearest line that names one year (a footnote of the table
            # above, 注：2017年起…, is farther up); else all lines together
            found = next(
                (y for line in lines if (y := _year_from_text(line)) is not None),
                _year_from_text(" ".join(reversed(lines))),
            )
            if found is not None:
                years[r:] = found
        year = pc.filter(pa.array(years.astype(str)), keep)
    cols = [pc.filter(c, keep) for c in cols]
    return cols, rows[~repeat], year


def _has_number(rows: list[list[str]]) -> bool:
    return any(parse_value(c)[1] == OK for row in rows for c in row if c.strip())


def _year_of_cell(text: str) -> int | None:
    m = _YEAR_CELL_RE.fullmatch(normalise_name(text))
    return int(m.group(1)) if m else None


# --------------------------------------------------------------------------- table


class _TableReader:
    """Reads the grids of one file into frames, appending issues."""

    def __init__(
        self,
        source_file: str,
        resolver: DistrictResolver,
        metrics: Mapping[str, Metric],
        issues: list[IngestIssue],
    ):
        self.source_file = source_file
        self.resolver = resolver
        self.metrics = metrics
        self.lookup = _metric_lookup(metrics)
        self.issues = issues

    def _where(self, sheet: str | None, row: int | None = None, col: str | None = None) -> str:
        parts = [f"sheet {sheet}"] if sheet is not None else []
        if row is not None:
            parts.append(f"row {row}")
        if col is not None:
            parts.append(f"column {col}")
        return ", ".join(parts) or "file"

    def _issue(self, location: str, reason: str) -> None:
        self.issues.append(IngestIssue(self.source_file, location, ERROR, reason))

    def read(self, grid: Grid) -> pd.DataFrame:
        if not any(any(c.strip() for c in row) for row in grid.head):
            if grid.sheet is None:
                self._issue("file", "no data: the file holds only blank lines")
            return empty_frame()  # an empty sheet of a workbook with data is not an issue
        found = _find_header(grid.head, self.lookup)
        if found is None:
            if grid.sheet is not None and grid.rows is not None and not _has_number(grid.rows):
                return empty_frame()  # a cover, notes or contents sheet: no figure to lose
            self._issue(self._where(grid.sheet), self._unknown_layout(grid.head))
            return empty_frame()
        layout, header = found
        cols, rows, over = grid.body(header, layout.width)
        for reason in over:
            self._issue(self._where(grid.sheet), reason)
        year: int | None = None
        if layout.year is None:
            titles = " ".join(c for row in grid.head[:header] for c in row if c)
            year = (
                _year_from_text(titles)
                or _sheet_year(grid.sheet)
                or _year_from_text(Path(self.source_file).stem)
            )
            if year is None:
                self._issue(
                    self._where(grid.sheet),
                    "no year: no year column, and none in a title row, the sheet name "
                    "or the file name",
                )
                return empty_frame()
        header_rows = grid.head[header + 1 - layout.rows : header + 1]
        cols, rows, year = _drop_repeated_headers(layout, header_rows, cols, rows, year)
        if layout.kind == "tidy":
            unit = cols[layout.unit] if layout.unit is not None else None
            return self._rows(
                grid.sheet,
                rows,
                cols[layout.district],
                cols[layout.metric],
                cols[layout.value],
                unit,
                cols[layout.year] if layout.year is not None else year,
                None,
            )
        return self._wide(grid.sheet, layout, cols, rows, year, _unit_line(grid.head[:header]))

    def _unknown_layout(self, head: list[list[str]]) -> str:
        """The reason for a table without a header; names the two transposed
        layouts outside CONTRACT §5 when a row of the head looks like one."""
        for row in head:
            cells = [c.strip() for c in row if c.strip()]
            years = [c for c in cells if _year_of_cell(c)]
            if len(years) >= 2:
                return (
                    f"unknown layout: years across the columns ({', '.join(years[:3])}, …) are "
                    "not read; give one year per file or sheet, or a year column"
                )
            districts = [c for c in cells if self._is_district_name(c)]
            if len(districts) >= 2:
                return (
                    f"unknown layout: districts across the columns ({', '.join(districts[:3])}, "
                    "…) are not read; put districts down the first column and metrics across"
                )
        return (
            "unknown layout: no header row with a district column and a metric "
            "column (tidy) or metric names across (wide)"
        )

    def _is_district_name(self, text: str) -> bool:
        found = self.resolver.try_resolve(text, 2000)
        return not (isinstance(found, str) and found.startswith(("unknown", "empty")))

    def _wide(self, sheet, layout: Layout, cols, rows, year, unit_line=None) -> pd.DataFrame:
        matched = {j: match_metric_header(h, self.lookup) for j, h in layout.metric_columns.items()}
        header_units = {j: unit for j, (_code, unit) in matched.items()}
        # a units row right below the header (单位 | 个 | 张 ...)
        if len(rows) and layout.metric_columns:
            first = {j: cols[j][0].as_py() for j in layout.metric_columns}
            label = _header_key(cols[layout.district][0].as_py())
            if (
                label in UNIT_HEADERS | {""}
                and any(first.values())
                and all(parse_value(v)[1] != OK for v in first.values())
            ):
                for j, v in first.items():
                    if v and not header_units[j]:
                        header_units[j] = clean_unit(v)
                cols = [c[1:] for c in cols]
                rows = rows[1:]
        if unit_line:
            # 单位：万人 above the table: the unit of every metric column without
            # its own whose metric it fits; when it fits none, of them all (so
            # the mismatch is reported instead of values read in the wrong unit)
            bare = [j for j in header_units if not header_units[j] and matched[j][0]]
            fits = [
                j
                for j in bare
                if _check_unit(self.metrics[matched[j][0]], unit_line, PLAIN)[1] is None
            ]
            for j in fits or bare:
                header_units[j] = unit_line
        n = len(rows)
        parts = []
        for j, header_text in layout.metric_columns.items():
            parts.append((j, header_text))
        if not parts or n == 0:
            return empty_frame()
        k = len(parts)
        district = pa.chunked_array([cols[layout.district]] * k) if k else None
        metric = pa.chunked_array([pa.array([h] * n, pa.string()) for _, h in parts])
        value = pa.chunked_array([cols[j] for j, _ in parts])
        unit = pa.chunked_array(
            [pa.array([header_units[j] or ""] * n, pa.string()) for j, _ in parts]
        )
        if layout.year is not None:
            yr = pa.chunked_array([cols[layout.year]] * k)
        else:
            yr = year if isinstance(year, int) else pa.chunked_array([year] * k)
        col_labels = np.repeat(np.array([_column_letter(j) for j, _ in parts], dtype=object), n)
        frame = self._rows(sheet, np.tile(rows, k), district, metric, value, unit, yr, col_labels)
        return frame

    def _rows(
        self, sheet, rows: np.ndarray, district, metric, value, unit, year, col_labels
    ) -> pd.DataFrame:
        """The common core: string columns -> frame rows + issues. Every lookup
        runs once per distinct value (or distinct pair), then is broadcast."""
        n = len(rows)
        if n == 0:
            return empty_frame()
        values, status, suffix = _parse_values(value)
        # years
        if isinstance(year, int):
            year_idx, year_vals = np.zeros(n, dtype=np.int64), [year]
            year_texts = [str(year)]
        else:
            year_idx, year_texts = _encode(year)
            year_vals = [_year_of_cell(t) for t in year_texts]
        ny = len(year_vals)
        year_bad_of = np.array([y is None for y in year_vals])
        years_of = np.array([y or 0 for y in year_vals], dtype=np.int64)
        # districts: one resolution per distinct (name, year)
        name_idx, names = _encode(district)
        pair_idx, pairs = _dense_codes(name_idx * ny + year_idx, len(names) * ny)
        code_list: dict[str, int] = {}
        pair_code = np.full(len(pairs), -1, dtype=np.int32)
        pair_reason: dict[int, str] = {}
        for k, key in enumerate(pairs.tolist()):
            ni, yi = divmod(key, ny)
            if year_vals[yi] is None:
                continue  # reported as a bad year
            found = self.resolver.try_resolve(names[ni], year_vals[yi])
            if isinstance(found, str):
                pair_reason[k] = found
            else:
                pair_code[k] = code_list.setdefault(found.code, len(code_list))
        # metrics
        metric_idx, metric_texts = _encode(metric)
        matched = [match_metric_header(t, self.lookup) for t in metric_texts]
        metric_of = [code for code, _u in matched]
        # units: one check per distinct (metric text, unit text, value suffix)
        if unit is not None:
            unit_idx, unit_texts = _encode(unit)
        else:
            unit_idx, unit_texts = np.zeros(n, dtype=np.int64), [""]
        nu = len(unit_texts)
        combo_idx, combos = _dense_codes(
            (metric_idx * nu + unit_idx) * 4 + suffix, len(metric_texts) * nu * 4
        )
        multiplier, unit_reason = [], []
        for key in combos.tolist():
            kind, rest = key % 4, key // 4
            mi, ui = divmod(rest, nu)
            code = metric_of[mi]
            explicit = clean_unit(unit_texts[ui]) or matched[mi][1]
            mult, reason = _check_unit(self.metrics.get(code) if code else None, explicit, kind)
            multiplier.append(mult)
            unit_reason.append(reason)
        mult_of = np.array(multiplier, dtype=np.float64)
        if (mult_of != 1.0).any():
            mult = mult_of[combo_idx]
            scaled = mult != 1.0  # 1.2 万人 -> 12000, not 12000.000000000002
            values[scaled] = np.round(values[scaled] * mult[scaled], 6)
        # failures, in order of precedence
        # masks are built only when a per-distinct table has a failure
        zeros = np.zeros(n, dtype=bool)
        has_value = status != MISSING
        yr_bad = year_bad_of[year_idx] if year_bad_of.any() else zeros
        d_bad = (pair_code < 0)[pair_idx] & ~yr_bad if (pair_code < 0).any() else zeros
        m_none = np.array([c is None for c in metric_of])
        m_bad = m_none[metric_idx] if m_none.any() else zeros
        u_none = np.array([r is not None for r in unit_reason])
        u_bad = u_none[combo_idx] if u_none.any() else zeros
        sum_of = np.array(
            [c is not None and self.metrics[c].aggregation == "sum" for c in metric_of]
        )
        negative = values < 0
        if negative.any() and not sum_of.all():
            negative &= sum_of[metric_idx]
        bad = status == BAD
        for mask in (yr_bad, d_bad, m_bad, u_bad, negative):
            if mask is not zeros:
                bad |= mask
        bad &= has_value
        for i in np.flatnonzero(bad).tolist():
            if yr_bad[i]:
                reason = f"bad year {year_texts[year_idx[i]]!r}"
            elif d_bad[i]:
                reason = pair_reason[int(pair_idx[i])]
            elif m_bad[i]:
                reason = f"unknown metric {metric_texts[metric_idx[i]]!r}"
            elif status[i] == BAD:
                text = value[i].as_py()
                reason = (
                    f"formula {text} has no computed value: the program that wrote the "
                    "file did not calculate it (open and save it in Excel or LibreOffice)"
                    if text.startswith("=")
                    else f"not a number: {text!r}"
                )
            elif u_bad[i]:
                reason = unit_reason[combo_idx[i]]
            else:
                reason = (
                    f"negative value {_fmt(values[i])} for sum metric {metric_of[metric_idx[i]]}"
                )
            col = col_labels[i] if col_labels is not None else None
            self._issue(self._where(sheet, int(rows[i]), col), reason)
        good = has_value & ~bad
        if good.all():
            sel = None
        elif good.any():
            sel = np.flatnonzero(good)
        else:
            return empty_frame()
        pick = (lambda a: a) if sel is None else (lambda a: a[sel])
        metric_units = [self.metrics[c].unit if c else None for c in metric_of]
        prefix = f"sheet {sheet}, row " if sheet is not None else "row "
        location = pc.binary_join_element_wise(
            prefix, pc.cast(pa.array(pick(rows)), pa.string()), ""
        )
        if col_labels is not None:
            location = pc.binary_join_element_wise(
                location, pa.array(pick(col_labels).tolist(), pa.string()), ", column "
            )
        m_sel = pa.array(pick(metric_idx))
        m = len(m_sel)
        return pd.DataFrame(
            {
                "metric_code": _strings(pc.take(pa.array(metric_of, pa.string()), m_sel)),
                "district_code": _strings(
                    pc.take(
                        pa.array(list(code_list), pa.string()), pa.array(pick(pair_code[pair_idx]))
                    )
                ),
                "year": pick(years_of[year_idx]),
                "value": pick(values),
                "unit": _strings(pc.take(pa.array(metric_units, pa.string()), m_sel)),
                "source_file": _strings(pa.repeat(pa.scalar(self.source_file), m)),
                "location": _strings(location),
            }
        )


def _strings(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
    """A pandas string column backed by Arrow (no Python object per row)."""
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr], pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(arr))


def _dense_codes(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct keys) of non-negative int keys below ``space``: a
    bitmap when the key space is small, hashing otherwise."""
    if space <= max(4 * len(key), 1 << 16):
        seen = np.zeros(space, dtype=bool)
        seen[key] = True
        uniques = np.flatnonzero(seen)
        remap = np.zeros(space, dtype=np.int64)
        remap[uniques] = np.arange(len(uniques))
        return remap[key], uniques
    codes, uniques = pd.factorize(key)
    return codes.astype(np.int64), np.asarray(uniques)


def _check_unit(metric: Metric | None, explicit: str | None, kind: int) -> tuple[float, str | None]:
    """(multiplier, reason) for a value of ``metric`` written with unit
    ``explicit`` and value suffix ``kind``."""
    if metric is None:
        return 1.0, None  # the row fails as an unknown metric anyway
    expected = metric.unit or ""
    u = (explicit or "").strip()
    if kind == PERCENT and expected != "%":
        return 1.0, f"percentage for {metric.code}, whose unit is {expected!r}"
    if not u or u == expected or not expected:
        return 1.0, None
    if expected == "%" and u in ("%", "百分比", "percent"):
        return 1.0, None
    if u.startswith(expected + "/"):
        return 1.0, None  # 张/百人 for 张 (per 100 elderly)
    if u == "万" + expected:
        if kind == SCALED:
            return 1.0, f"value written with 万 in a column of unit {u!r}"
        return 10_000.0, None
    return 1.0, f"unit {u!r} does not match {metric.code} (unit {expected!r})"
