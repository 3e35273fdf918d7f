"""Units: as written in a header, a units row or a ``单位：`` line, and the check
of a value's unit against its metric."""

from __future__ import annotations

import re
import unicodedata

from extractors.records import Metric
from extractors.stats.values import PERCENT, SCALED

_UNIT_LABEL_RE = re.compile(r"^(?:计量)?单位[:：]?\s*")


def clean_unit(text: str | None) -> str:
    """A unit as written -> the bare unit: NFKC, enclosing brackets and a
    单位： label removed (``（个）`` -> 个, ``单位：万人`` -> 万人)."""
    u = unicodedata.normalize("NFKC", text or "").strip()
    while len(u) >= 2 and u[0] in "([【" and u[-1] in ")]】":
        u = u[1:-1].strip()
    return _UNIT_LABEL_RE.sub("", u).strip()


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
