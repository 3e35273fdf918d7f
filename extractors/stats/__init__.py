"""District statistics files -> tidy rows + issues (CONTRACT §5).

Accepted: tidy files (district, year, metric, value[, unit]) and yearbook
wide files (districts down, metrics across, the year in a column, a title
row, the sheet name or the file name); CSV in UTF-8 (with or without BOM),
GB18030/GBK or UTF-16, detected from the bytes; XLSX (every sheet) and
legacy XLS. Every figure either loads or becomes an ``IngestIssue`` with its
file, location and reason; missing markers (``—``, ``-``, ``…``, empty) are
skipped, never read as 0.

Yearbook tables as statistics offices publish them:

- the header is the first of the top 30 rows that has a region column and
  metric names across (or the tidy columns); title rows, a ``单位：万人`` line
  and blank rows above it are allowed. Region headers are the words of
  ``extractors.vocabulary`` (地区, 城市, 市县, 区县, 县（市、区）, 区（县、市）,
  district, region, city …), a diagonal corner cell (``地区＼指标``), a blank
  cell over region names, a weak word (单位, 名称) over region names, or no
  known word at all over a column of names that resolve to districts.
  Year headers include 年份, 年度, 时间; a column of years is a year column
  whatever its header.
- a metric header is a metric code or name, optionally with its unit
  (``城乡社区数（个）``, ``（单位：个）``, ``/个``) and a leading 其中 ("of which").
- a wide header may take any number of rows (up to 6): group headers merged
  over sub-columns, metrics merged down, a units row (``单位 | 个 | （张）``);
  each column resolves to its leaf with its full header path
  (``养老服务 > 机构养老 > 养老机构床位数``). A column whose path names no
  metric, or without a header, is one issue for the column naming its path.
  A column-number row under the header (``甲 | 1 | 2 | …``) is structure.
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
  names the layout; a table without a header is one issue saying which
  region words were looked for in which rows and what was found there.
- every non-empty cell gets one fate in ``StatsResult.ledger`` (see
  ``extractors.stats.accounts``); numbers float64 cannot hold are issues;
  the reader bounds what it allocates (see docs/ARCHITECTURE.md).

The happy path is vectorised (pyarrow compute + numpy): names, metrics,
years and units are resolved once per distinct value, not once per row, and
large clean UTF-8 CSVs are parsed by pyarrow's multithreaded reader.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from extractors.files import (  # STATS_SUFFIXES: re-exported, its home imports no pandas
    STATS_SUFFIXES,
    input_files,
    unsupported_file_issues,
)

# the package's parts, re-exported for the importers of the former module
from extractors.ledger import Ledger
from extractors.records import IngestIssue, Metric, UnreadableStatsFile
from extractors.reference import DistrictResolver
from extractors.stats.csvgrid import (  # noqa: F401
    FAST_PATH_BYTES,
    _csv_grid,
    _fast_csv_grid,
    _sniff_delimiter,
    detect_encoding,
)
from extractors.stats.dedupe import _concat, _dedupe
from extractors.stats.grid import HEAD_ROWS, Grid, _cell_text  # noqa: F401
from extractors.stats.header import (  # noqa: F401
    Layout,
    _classify,
    _column_letter,
    _find_header,
    _header_key,
    _is_district_header,
    _metric_lookup,
    match_metric_header,
)
from extractors.stats.result import ERROR, FRAME_COLUMNS, StatsResult, empty_frame  # noqa: F401
from extractors.stats.sources import _grids
from extractors.stats.table import _TableReader
from extractors.stats.units import _check_unit, _unit_line, clean_unit  # noqa: F401
from extractors.stats.values import (  # noqa: F401
    BAD,
    MISSING,
    OK,
    PERCENT,
    PLAIN,
    RANGE,
    SCALED,
    _parse_values,
    parse_value,
)
from extractors.stats.xlsx import _uncomputed_formulas, _worksheet_parts  # noqa: F401
from extractors.stats.years import _sheet_year, _year_from_text, _year_of_cell  # noqa: F401


def read_stats_folder(
    folder: str | Path, resolver: DistrictResolver, metrics: Mapping[str, Metric]
) -> StatsResult:
    """Every statistics file of ``folder`` (sorted by name), concatenated; a
    (metric, district, year) given again by a later file is an issue when its
    value differs and dropped silently when it is equal. A file of another type
    (not ``STATS_SUFFIXES``, not ``.md`` notes) is one issue."""
    files = input_files(folder, STATS_SUFFIXES)
    frames, issues = [], unsupported_file_issues(folder, STATS_SUFFIXES, "statistics")
    ledgers = []
    for path in files:
        result = read_stats_file(path, resolver, metrics)
        frames.append(result.frame)
        issues.extend(result.issues)
        ledgers.extend(result.ledgers)
    frame = _concat(frames)
    if len(frames) > 1:
        frame = _dedupe(frame, issues)
    return StatsResult(frame, issues, None, ledgers)


def read_stats_file(
    path: str | Path, resolver: DistrictResolver, metrics: Mapping[str, Metric]
) -> StatsResult:
    """One statistics file -> StatsResult(frame, issues, ledger). Never raises
    for bad input: an unreadable file or a file without a recognisable layout
    is one issue. Every non-empty cell read gets a fate in the ledger."""
    path = Path(path)
    issues: list[IngestIssue] = []
    ledger = Ledger(path.name)
    reader = _TableReader(path.name, resolver, metrics, issues, ledger)
    try:
        frames = [reader.read(grid) for grid in _grids(path, reader.lookup)]
    except UnreadableStatsFile as e:
        issues.append(IngestIssue(path.name, e.location or "file", ERROR, e.reason))
        reader.acc.close()
        return StatsResult(empty_frame(), issues, ledger, [ledger])

    def dropped(position: int, reason: str | None) -> None:
        t, r, c = reader.origin(position)
        if reason is None:
            reader.acc.move(t, r, c, "structural", "duplicate of an equal value", None)
        else:
            reader.acc.move(t, r, c, "issue", "value", reason)

    frame = _dedupe(_concat(frames), issues, dropped)
    reader.acc.close()
    if frame.empty and not issues:
        issues.append(IngestIssue(path.name, "file", ERROR, "no statistics found"))
    return StatsResult(frame, issues, ledger, [ledger])
