"""Finding the header of a table: its rows, the region column, the year column
and the metric columns (wide) or the tidy columns."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from extractors.records import Metric
from extractors.reference import normalise_name
from extractors.stats.units import clean_unit
from extractors.stats.values import MISSING, OK, parse_value
from extractors.vocabulary import (
    CODE_HEADERS,
    DISTRICT_HEADERS,
    IGNORED_HEADERS,
    METRIC_HEADERS,
    UNIT_HEADERS,
    VALUE_HEADERS,
    WEAK_DISTRICT_HEADERS,
    YEAR_HEADERS,
)
from extractors.vocabulary import (
    CORNER_WORDS as _CORNER_WORDS,
)

HEAD_ROWS = 30  # rows searched for the header

# 区县, 县市区, 区（县、市）, 区县名称 ...: district headers of any spelling
_DISTRICT_HEADER_RE = re.compile(r"(?=.*[区县])[区县市]{2,3}(?:名称|名|别)?")


_UNIT_SUFFIX_RE = re.compile(r"(.+?)[(\[]([^()\[\]]{1,8})[)\]]")


_OF_WHICH_RE = re.compile(r"^其中[:,、]?")  # 其中：建有…的社区数 ("of which")


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
    bare = _TIME_QUALIFIER_RE.sub("", key)  # 年末户籍老年人口: the year-end figure
    if bare != key and bare:
        return match_metric_header(bare, lookup)
    return None, None


# a statement of when a figure is taken, before a metric name (not a year:
# 2019年床位数 beside 2020年床位数 is years across, not one metric)
_TIME_QUALIFIER_RE = re.compile(r"^(?:年末|年底|期末|年初|全年|本年|当年|年度)")


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
    # wide: column -> full header path, of every column but region and year
    paths: dict[int, tuple[str, ...]] = field(default_factory=dict)
    unknown_columns: dict[int, str] = field(default_factory=dict)  # path naming no metric
    column_years: dict[int, int] = field(default_factory=dict)  # year named by a group header
    ignored_columns: dict[int, str] = field(default_factory=dict)  # notes, codes


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
        # yearbook tables often leave the region's header cell blank: the
        # first column that is not a row number or code (checked against the
        # cells below by _region_by_cells when a resolver is at hand)
        first = next((j for j, k in enumerate(keys) if k not in IGNORED_HEADERS
                      and k not in CODE_HEADERS), None)
        if first is not None and keys[first] == "" and first not in known:
            district = first
        else:
            return None
    used = {district, roles.get("year"), roles.get("code")}
    columns = {
        i: c
        for i, (c, k) in enumerate(zip(row, keys, strict=True))
        if k and i not in used and k not in IGNORED_HEADERS and k not in CODE_HEADERS
    }
    return Layout("wide", district, roles.get("year"), metric_columns=columns, width=len(row))


def _tidy_by_content(
    row: list[str], below: list[list[str]], lookup: Mapping[str, str],
    is_region: Callable[[str], bool],
) -> Layout | None:
    """A tidy header whose region or metric column is headed by an ambiguous
    word (名称, name, 项目, 单位名称 …: a region name or a metric name): decided
    by the cells below. With a value column, the region column is the first
    such column (or a region header) whose cells resolve to districts, and the
    metric column the first (or a metric header) whose cells name metrics of
    metrics.csv."""
    keys = [_header_key(c) for c in row]
    value = next((j for j, k in enumerate(keys) if k in VALUE_HEADERS), None)
    if value is None:
        return None
    district = next((j for j, k in enumerate(keys) if _is_district_header(k)), None)
    metric = next((j for j, k in enumerate(keys) if k in METRIC_HEADERS and k not in
                   WEAK_DISTRICT_HEADERS), None)
    ambiguous = [j for j, k in enumerate(keys) if k in WEAK_DISTRICT_HEADERS and j != value]
    if district is None:
        district = next((j for j in ambiguous if j != metric and _region_cells(below, j, is_region)),
                        None)
    if metric is None:
        metric = next((j for j in ambiguous if j != district and _metric_cells(below, j, lookup)),
                      None)
    if district is None or metric is None:
        return None
    used = {district, metric, value}
    year = next((j for j, k in enumerate(keys) if k in YEAR_HEADERS and j not in used), None)
    unit = next((j for j, k in enumerate(keys) if k in UNIT_HEADERS and j not in used), None)
    return Layout("tidy", district, year, metric, value, unit, width=len(row))


def _metric_cells(rows: list[list[str]], j: int, lookup: Mapping[str, str]) -> bool:
    cells = [r[j].strip() for r in rows if j < len(r) and r[j].strip()]
    hits = sum(1 for c in cells if match_metric_header(c, lookup)[0] is not None)
    return bool(cells) and hits >= max(1, len(cells) // 2)


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


PATH_SEP = " > "  # between the levels of a header path (group > sub-column)
MAX_HEADER_ROWS = 6  # rows one header may take (group headers over sub-columns)


def _find_header(
    head: list[list[str]], lookup: Mapping[str, str], is_region: Callable[[str], bool] | None = None
) -> tuple[Layout, int] | None:
    """(layout, index of its last row) of the first header, or None.

    A header row is one with a region column (by its header word, see
    ``_region_column``) and other header cells, or the tidy columns. A wide
    header may take several rows (group headers merged over sub-columns, a
    units row): the rows below the first one that hold no figure and no
    region name belong to it, and every column resolves to its leaf with its
    full header path (``_resolve_columns``)."""
    for i, row in enumerate(head[:HEAD_ROWS]):
        layout = _classify(row, lookup)
        if (layout is None or layout.kind != "tidy") and is_region is not None:
            layout = _tidy_by_content(row, head[i + 1 : i + 9], lookup, is_region) or layout
        if layout is not None and layout.kind == "tidy":
            return layout, i
        if layout is not None and is_region is not None and not _cell(row, layout.district):
            _region_by_cells(layout, row, head[i + 1 : i + 9], lookup, is_region)
        if layout is None:
            layout = _region_anchor(row, head[i + 1 : i + 6], lookup, is_region)
        if layout is None and is_region is not None:
            layout = _region_by_content(row, head[i + 1 : i + 9], lookup, is_region)
        if layout is None:
            continue
        first = _header_top(head, i, layout)
        last = _header_block_end(head, i, layout, is_region)
        resolved = _resolve_columns(layout, head[first : last + 1], lookup)
        if resolved.metric_columns or last == i:
            return resolved, last
    return None


_UNIT_LINE_CELL_RE = re.compile(r"(?:计量)?单位[:：].*")


def _header_top(head: list[list[str]], i: int, layout: Layout) -> int:
    """The first row of a header found at row ``i``: the rows above whose
    region cell is blank, with a cell and no figure, are its upper levels
    (group headers, metrics merged down, a blank corner's upper cells), not
    titles (a title starts in the first column or is one long cell), unit
    lines or year lines."""
    d = layout.district
    if i == 0:
        return i
    top = i
    for k in range(i - 1, max(i - MAX_HEADER_ROWS, -1), -1):
        cells = [c.strip() for c in head[k]]
        if (d < len(cells) and cells[d]) or sum(1 for c in cells if c) < 1:
            break
        if any(c and parse_value(c)[1] == OK for c in cells):
            break
        filled = [j for j, c in enumerate(cells) if c]
        if len(filled) == 1 and filled[0] <= d + 1 and len(cells[filled[0]]) > 12:
            break  # a title in the cell next to the corner
        if all(_UNIT_LINE_CELL_RE.fullmatch(normalise_name(cells[j])) or _YEAR_KEY_RE.search(cells[j])
               for j in filled):
            break  # a 单位：万人 line or a date/year line at the right of the title block
        top = k
    return top


def _cell(row: list[str], j: int) -> str:
    return row[j].strip() if j < len(row) else ""


def _region_by_cells(
    layout: Layout, row: list[str], below: list[list[str]], lookup: Mapping[str, str],
    is_region: Callable[[str], bool],
) -> None:
    """A region column taken for its blank header cell must hold region
    names below; else the first other column, not a metric, that does (a 序号
    column merged down also leaves a blank cell)."""
    if _region_cells(below, layout.district, is_region):
        return
    for j in range(max(len(row), max((len(r) for r in below), default=0))):
        if j == layout.district or (_cell(row, j) and match_metric_header(row[j], lookup)[0]):
            continue
        if _region_cells(below, j, is_region):
            layout.district = j
            layout.metric_columns.pop(j, None)
            return


def _region_anchor(
    row: list[str], below: list[list[str]], lookup: Mapping[str, str],
    is_region: Callable[[str], bool] | None,
) -> Layout | None:
    """A wide header's first row that names no metric yet (group headers
    above sub-columns): a region column by its header word (a weak word such
    as 单位 or 名称 only when the cells below it are region names), other
    header cells, no figure."""
    keys = [_header_key(c) for c in row]
    if any(k and parse_value(c)[1] == OK for c, k in zip(row, keys, strict=True)):
        return None
    if sum(1 for k in keys if _YEAR_KEY_RE.fullmatch(k)) >= 2 and not (
        below and any(c.strip() and match_metric_header(c, lookup)[0] for c in below[0])
        and not any(c.strip() and parse_value(c)[1] == OK for c in below[0])
    ):
        return None  # years across the columns, no metric under them: not CONTRACT §5
    district = next((j for j, k in enumerate(keys) if k and _is_district_header(k)), None)
    if district is None and is_region is not None:
        for j, k in enumerate(keys):
            if k in WEAK_DISTRICT_HEADERS and _region_cells(below, j, is_region):
                district = j
                break
    if district is None:
        return None
    others = [j for j, k in enumerate(keys) if k and j != district]
    if not others:
        return None
    year = next((j for j, k in enumerate(keys) if k in YEAR_HEADERS and j != district), None)
    return Layout("wide", district, year, width=len(row))


_YEAR_KEY_RE = re.compile(r"(?:19|20)\d{2}(?:年度|年)?")


def _region_by_content(
    row: list[str], below: list[list[str]], lookup: Mapping[str, str],
    is_region: Callable[[str], bool],
) -> Layout | None:
    """A header row with metric names across and no region header word (an
    unseen label such as 省辖市 or 行政单位): the region column is the first
    column, not a metric, whose cells below are mostly region names."""
    if any(c.strip() and parse_value(c)[1] == OK for c in row):
        return None
    known = {j for j, c in enumerate(row) if c.strip() and match_metric_header(c, lookup)[0]}
    if not known:
        return None
    for j in range(len(row)):
        if j not in known and _region_cells(below, j, is_region):
            keys = [_header_key(c) for c in row]
            year = next((k for k, key in enumerate(keys) if key in YEAR_HEADERS and k != j), None)
            return Layout("wide", j, year, width=len(row))
    return None


def _region_cells(rows: list[list[str]], j: int, is_region: Callable[[str], bool]) -> bool:
    cells = [r[j].strip() for r in rows if j < len(r) and r[j].strip()]
    return bool(cells) and sum(map(is_region, cells)) >= max(1, len(cells) // 2)


def _header_block_end(
    head: list[list[str]], first: int, layout: Layout, is_region: Callable[[str], bool] | None
) -> int:
    """The last row of a header that starts at ``first``: the rows below that
    hold no figure, whose region cell is blank or a header word (not a region
    name), and that have a cell under a header column."""
    last = first
    for r in range(first + 1, min(first + MAX_HEADER_ROWS, len(head))):
        cells = [c.strip() for c in head[r]]
        if not any(cells):
            break
        if any(c and parse_value(c)[1] == OK for c in cells):
            break
        if any(c and parse_value(c)[1] == MISSING and c.strip("-—–―─−.…· ") == "" for c in cells):
            break  # a body row of missing markers (—, …)
        d = layout.district
        label = cells[d] if d < len(cells) else ""
        if label:
            key = _header_key(label)
            if not (
                _is_district_header(key) or key in WEAK_DISTRICT_HEADERS or key in UNIT_HEADERS
                or key in _CORNER_WORDS
            ):
                break
            if is_region is not None and is_region(label):
                break
        if not any(c for j, c in enumerate(cells) if j != d):
            break
        last = r
    return last


def _unit_like(text: str) -> bool:
    """A header cell that only gives a unit: （张）, 单位：个, /人, or a short
    unit word."""
    t = normalise_name(text)
    if not t:
        return False
    if t[0] in "([【" and t[-1] in ")]】" or _UNIT_ONLY_RE.fullmatch(t) or t.startswith("/"):
        return True
    return clean_unit(t) in _UNIT_WORDS


_UNIT_ONLY_RE = re.compile(r"(?:计量)?单位[:：].{1,8}")
_UNIT_WORDS = frozenset(
    "个 家 张 人 万人 户 所 座 间 元 万元 亿元 千元 % ‰ 平方米 万平方米 米 公里 千米 吨 岁 年 "
    "次 人次 万人次 床 张/百人 张/千人 人/千人 辆 台 项 件 名 处".split()
)


def _resolve_columns(anchor: Layout, rows: list[list[str]], lookup: Mapping[str, str]) -> Layout:
    """Every column of a wide header of ``len(rows)`` rows -> its leaf and full
    header path (a group header merged over sub-columns is written in its
    first column only: the columns to its right whose own cells start lower
    inherit it). A path names a metric by its leaf, or by its levels joined
    (养老机构 > 床位数), a level that is only a unit giving the unit. Columns
    whose path names no metric are ``unknown_columns``; notes and codes are
    ``ignored_columns``."""
    n = len(rows)
    width = max(len(r) for r in rows)
    grid = [[(r[j].strip() if j < len(r) else "") for j in range(width)] for r in rows]
    used = {anchor.district, anchor.year}
    # columns of a multi-row header that have a cell below row r
    below = [[any(grid[k][j] for k in range(r + 1, n)) for j in range(width)] for r in range(n)]
    filled = [row[:] for row in grid]
    for r in range(n - 1):
        for j in range(1, width):
            if (
                not grid[r][j] and filled[r][j - 1] and below[r][j] and below[r][j - 1]
                and j - 1 not in used and j not in used
                and not any(grid[k][j] for k in range(r))  # not a cell merged down from above
            ):
                filled[r][j] = filled[r][j - 1]
    layout = Layout(
        "wide", anchor.district, anchor.year, width=max(width, anchor.width), rows=n,
    )
    for j in range(width):
        if j in used:
            continue
        path: list[str] = []
        for r in range(n):
            text = filled[r][j]
            if text and (not path or path[-1] != text):
                path.append(text)
        if not path:
            continue
        keys = [_header_key(t) for t in path]
        if keys[-1] in YEAR_HEADERS and layout.year is None:
            layout.year = j
            continue
        if any(k in IGNORED_HEADERS or k in CODE_HEADERS for k in keys):
            layout.ignored_columns[j] = PATH_SEP.join(path)
            continue
        layout.paths[j] = tuple(path)
        years = {int(k[:4]) for k in keys[:-1] if _YEAR_KEY_RE.fullmatch(k)}
        if len(years) == 1:  # a year as a group header over its metrics (2019年 > 床位数)
            layout.column_years[j] = years.pop()
        header = _match_path(path, lookup)
        if header is None:
            layout.unknown_columns[j] = PATH_SEP.join(path)
        else:
            layout.metric_columns[j] = header
    return layout


_TOTAL_LEAVES = frozenset({"合计", "小计", "总计", "计", "总数", "合", "total", "subtotal"})


def _match_path(path: list[str], lookup: Mapping[str, str]) -> str | None:
    """The header text (as ``match_metric_header`` reads it) that names a
    metric from a header path, or None: the levels joined from the widest to
    the leaf alone; a trailing level that is only a unit is attached to the
    name as （unit）."""
    unit = None
    names = [n for n in path if not _YEAR_KEY_RE.fullmatch(_header_key(n))] or list(path)
    while len(names) > 1 and _unit_like(names[-1]):
        unit = clean_unit(names.pop())
    if len(names) > 1 and _header_key(names[-1]) in _TOTAL_LEAVES:
        names.pop()  # 床位数 > 合计: the group's own total
    for k in range(len(names)):
        text = "".join(_OF_WHICH_RE.sub("", n) if i else n for i, n in enumerate(names[k:]))
        code, own_unit = match_metric_header(text, lookup)
        if code is not None:
            if own_unit or not unit:
                return text
            return f"{text}（{unit}）"
    return None


def _column_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s
