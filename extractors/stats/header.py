"""Finding the header of a table: its rows, the region column, the year column
and the metric columns (wide) or the tidy columns."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from extractors.records import Metric
from extractors.reference import normalise_name
from extractors.stats.units import clean_unit
from extractors.stats.values import OK, parse_value
from extractors.vocabulary import (
    CODE_HEADERS,
    DISTRICT_HEADERS,
    IGNORED_HEADERS,
    METRIC_HEADERS,
    UNIT_HEADERS,
    VALUE_HEADERS,
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
    return None, None


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


def _column_letter(i: int) -> str:
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s
