"""Relative targets: a change against a reference, not a level (docs/progress.md).

``翻一番`` (double), ``增长10%`` (grow by 10%), ``提高5个百分点`` (raise by 5
percentage points), ``下降3%`` (fall by 3%), ``年均增长7%`` (7% a year, compound)
name no level the statistics can be compared with directly: the level depends on the
district's own value in the reference year. ``parse_relative`` reads the change and
its reference; ``warehouse.progress`` resolves it per district from the statistics
(``resolve``).

Kinds (``RELATIVE_KINDS``) and what ``value`` holds:

- ``multiple``: a factor of the base (翻一番 2, 翻两番 4, 增长1倍 2).
- ``percent``: a signed percentage change (增长10% +10, 下降3% -3).
- ``points``: a signed change in percentage points (提高5个百分点 +5).
- ``annual_rate``: a signed compound annual rate in % (年均增长7% +7, layout B's
  年均增长 column).

Reference (``REFERENCES``): ``previous_year`` when the wording says so (比上年, 较上年,
同比, 每年, 逐年, 去年), else ``baseline`` (the plan's base year: 比2015年, 基期, or
nothing said). ``annual_rate`` compounds from the baseline.

The level targets stay as the grammar reads them (``增长10%`` is still ``>= 10 %`` in
fct_target, CONTRACT section 4); the relative reading is carried beside them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

from extractors.numbers import find_numbers
from extractors.text import normalise_text
from extractors.vocabulary import is_down_indicator

RELATIVE_KINDS = ("multiple", "percent", "points", "annual_rate")
REFERENCES = ("baseline", "previous_year")
# Kinds whose required path is compound (a growth of the base), not linear.
COMPOUND_KINDS = ("multiple", "percent", "annual_rate")


@dataclass(frozen=True)
class Relative:
    kind: str  # one of RELATIVE_KINDS
    value: Decimal  # factor (multiple) or signed change (percent, points, annual_rate)
    reference: str  # one of REFERENCES


_CN_DIGIT = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
# 翻一番 / 翻两番 / 翻2番 / 翻番 (doubling: 2 to the power n)
_DOUBLING = re.compile(r"翻\s*([一二两三四五1-5]?)\s*番")
_UP_VERBS = ("增长", "提高", "提升", "增加", "上升", "增速", "增幅")
_DOWN_VERBS = ("下降", "降低", "减少", "削减", "减低", "降幅")
# A change verb right before the number: 增长10%, 年均增长7%, 比上年下降3%, 增长了约5%.
# Not 提高到 / 下降至 / 降为 (a level: the grammar's >= / <=), nor 增长率达8% (a rate's level).
_VERB_BEFORE = re.compile(
    r"(年均)?(" + "|".join(_UP_VERBS + _DOWN_VERBS) + r")(?:了)?(?:约)?\s*$")
_PREVIOUS_YEAR = re.compile(r"上年|上一年|去年|前一年|同比|比上|较上|每年|逐年")
_POINTS_UNITS = ("个百分点", "百分点")


@lru_cache(maxsize=8192)
def parse_relative(text: str) -> Relative | None:
    """The relative target a cell states, or None. Never raises."""
    try:
        return _parse(normalise_text(text or ""))
    except Exception:  # the grammar must never stop an extraction
        return None


def _reference(text: str) -> str:
    return "previous_year" if _PREVIOUS_YEAR.search(text) else "baseline"


def _parse(text: str) -> Relative | None:
    if not text:
        return None
    m = _DOUBLING.search(text)
    if m:
        n = m.group(1)
        times = 1 if not n else (int(n) if n.isdigit() else _CN_DIGIT[n])
        return Relative("multiple", Decimal(2) ** times, _reference(text))
    for n in find_numbers(text):
        if n.kind != "number" or n.value < 0:
            continue
        verb = _VERB_BEFORE.search(text, 0, n.start)
        if verb is None:
            continue
        sign = -1 if verb.group(2) in _DOWN_VERBS else 1
        annual = verb.group(1) is not None
        if n.unit in _POINTS_UNITS:
            return Relative("points", sign * n.value, _reference(text))
        if n.unit == "%":
            if annual:
                return Relative("annual_rate", sign * n.value, "baseline")
            return Relative("percent", sign * n.value, _reference(text))
        if n.unit == "倍" and sign > 0 and not annual:  # 增长1倍: grows by one times itself
            return Relative("multiple", 1 + n.value, _reference(text))
    return None


# Layout B's growth column: 年均增长(%) gives a compound annual rate; 累计 (cumulative),
# or a value in brackets ([15], 〔15〕, the usual way of writing a cumulative change),
# gives a change over the whole period against the base year.
_BRACKETS = re.compile(r"^\s*[\[〔【(]\s*(.*?)\s*[\]〕】)]\s*$")


def growth_column_relative(text: str, header: str = "", indicator_name: str = "",
                           unit: str | None = None) -> Relative | None:
    """The relative target in layout B's ``年均增长[累计]`` column, or None.

    ``header`` is the column's header text, ``unit`` the row's 单位: a cumulative
    change of an indicator measured in % is in percentage points. The sign follows
    the cell's own words (下降, -3) and else the indicator's direction (its name:
    降低, 下降, 能耗...).
    """

    norm = normalise_text(text or "")
    if not norm:
        return None
    stated = _parse(norm)
    if stated is not None:
        return stated
    bracket = _BRACKETS.match(norm)
    inner = bracket.group(1) if bracket else norm
    nums = [n for n in find_numbers(inner) if n.kind == "number"]
    if len(nums) != 1:
        return None
    value = nums[0].value
    if value > 0 and is_down_indicator(indicator_name):
        value = -value
    if bracket or "累计" in header:
        kind = "points" if (unit or "").strip() == "%" else "percent"
        return Relative(kind, value, "baseline")
    return Relative("annual_rate", value, "baseline")


# 比2015年 / 较2015年 / 与2015年相比: the base year the wording names
_STATED_BASE = re.compile(r"(?:比|较|与|相比|相对)\s*((?:19|20)\d\d)\s*年")


def stated_base_year(text: str) -> int | None:
    """The base year a relative target's wording names (比2015年增长10%: 2015), or None."""
    m = _STATED_BASE.search(normalise_text(text or ""))
    return int(m.group(1)) if m else None


def relative_base_year(reference: str, text: str, year: int, plan_base_year: int) -> int:
    """The year whose actual a relative target of ``year`` is resolved from (fct_target's
    base_year): the previous year, the year its wording names (比2018年增长10%), else
    the plan's base year."""
    if reference == "previous_year":
        return year - 1
    stated = stated_base_year(text)
    return stated if stated is not None and stated < year else plan_base_year


def resolve(rel: Relative, base: float, base_year: int, year: int) -> float | None:
    """The level ``rel`` asks for in ``year`` of a district whose value in ``base_year``
    is ``base``; None when it cannot be resolved (no base, a year before the base).

    A previous-year change repeats every year from the base year on: 增长5% (比上年)
    in year y asks for base x 1.05^(y - base_year), 提高1个百分点 (每年) for
    base + (y - base_year). A baseline change is reached by the target's year.
    """
    if base is None or year < base_year or not math.isfinite(base):
        return None
    years = year - base_year
    v = float(rel.value)
    if rel.kind == "multiple":
        return base * v
    if rel.kind == "annual_rate":
        return base * (1 + v / 100) ** years
    steps = years if rel.reference == "previous_year" else 1
    if rel.kind == "percent":
        return base * (1 + v / 100) ** steps
    if rel.kind == "points":
        return base + v * steps
    return None


def comparator_of(rel: Relative, direction: str = "up") -> str:
    """The comparator of a resolved relative target: a floor for a rise, a ceiling for a
    fall, and a ceiling for any change of a down-direction indicator (单位GDP能耗增长 at
    most X%). The attainment SQL (warehouse/sql/fct_attainment.sql) holds the same rule."""
    if direction == "down":
        return "<="
    if rel.kind == "multiple":
        return ">=" if rel.value >= 1 else "<="
    return ">=" if rel.value >= 0 else "<="


def with_relative(pt, implicit: bool):
    """Hook of extractors.targets: ``pt`` (a ParsedTarget) with its relative reading,
    if its text states one; ``implicit`` passes through."""
    from dataclasses import replace

    rel = parse_relative(pt.text)
    if rel is None:
        return pt, implicit
    return replace(pt, relative_kind=rel.kind, relative_value=rel.value,
                   relative_reference=rel.reference), implicit
