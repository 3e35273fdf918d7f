"""The target grammar: one target cell -> comparator, value(s), unit and scope.

Implements the parsing rules of CONTRACT section 4. ``parse_target`` never
raises: a cell it cannot read is a ``milestone`` that keeps its text.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache

from extractors.numbers import (
    COMPARATOR_WORDS,
    MULTIPLIERS,
    SUFFIX_WORDS,
    NumberMatch,
    find_numbers,
    tidy,
)
from extractors.records import CITY_SCOPE, ParsedTarget
from extractors.relative import with_relative
from extractors.text import normalise_text
from extractors.vocabulary import is_down_indicator

# A cell of dashes, slashes or dots only means "no target": no record.
_DASH_CELL = re.compile(r"[\s\-‐‑‒–—―─━−﹣/\\…⋯.·]+")
# Footnote markers, which are no part of the target: enclosed numbers (①) and
# superscript digits (kept so by normalise_text; the readers write a number set in
# superscript so), * and ※ unless between two digits (2*3), and 注1 / (注1) at the
# end of the cell or of a clause, unless 注 ends a word (关注10: "attend to 10").
_FOOTNOTE = re.compile(
    r"[\u2460-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf"
    r"\u00b9\u00b2\u00b3\u2070\u2074-\u2079]+|(?<!\d)[*※]+|[*※]+(?!\d)"
    r"|\(注\s*\d{1,2}\)|(?<![关标备附投专倾灌])注\d{1,2}(?=$|[,;。)\s])"
)

# Scope words a cell may split on (城市 city / 农村 rural, 城镇 towns, 市区 urban
# districts / 县(市) counties), each opening a part separated by , ; or 。.
_SCOPE_WORDS = ("县(市)", "城市", "农村", "城镇", "乡村", "市区", "县市", "主城区", "城区")
_SEGMENT = re.compile(r"[^,;。]+[,;。]*|[,;。]+")
_PART_TRIM = ",;。、 "

# Comparator words before a number (longest alternatives first). Words of one
# character or symbol must touch the number; longer words may be separated from
# it by a few words (不低于当年户籍老年人口的6%), but not by punctuation.
_PREFIX_WORDS = COMPARATOR_WORDS
_PREFIX_CMP = dict(_PREFIX_WORDS)
_PREFIX_RE = re.compile(  # longest first: 不低于 before 低于
    "|".join(re.escape(w) for w in sorted(_PREFIX_CMP, key=len, reverse=True))
)
_TOUCHING = {w for w in _PREFIX_CMP if len(w) == 1 or not w[0].isalpha()}
_MAX_GAP = 16
_GAP_STOP = re.compile(r"[,;。:!?]")
_SUFFIX_CMP = SUFFIX_WORDS
_SUFFIX_RE = re.compile(r"\s*(?:及|或)?(" + "|".join(SUFFIX_WORDS) + ")")
_RANGE_SEP = re.compile(r"\s*(?:-|~|〜|—{1,2}|–|−|至|到)\s*")
_FROM = ("从", "由")

# 全覆盖 (full coverage), 所有…完成 / 全部…完成 (all … completed): 100 %.
_FULL_COVERAGE = re.compile(r"全覆盖|所有.*?完成|全部.*?完成")
# A number followed by these counts up even for a "down" indicator (N个…完成).
_UP_CONTEXT = re.compile(r"完成|覆盖|建成|实现")
# Indicator names whose bare-number target is a ceiling (降低 lower, 下降 fall,
# 减少 reduce, 控制 control, 失业率 unemployment, 死亡率 mortality, 能耗 energy
# use, 排放 emissions).

_HUNDRED = Decimal(100)


def parse_target(
    text: str, indicator_name: str = "", default_unit: str | None = None
) -> list[ParsedTarget]:
    """Read one target cell: one ``ParsedTarget`` per scope, [] for a blank or dash cell.

    ``default_unit`` (layout B's 单位 column) is used when the cell writes no
    unit. 万/亿 multiply the value (``10.5万人`` -> 105000 人) except in money
    units written as such (``10.5万元`` -> 10.5 万元) or when the default unit
    itself starts with the multiplier (``10.5万人`` under 单位 ``万人`` -> 10.5 万人).
    Never raises: anything unexpected gives a ``milestone`` keeping the text.
    """
    try:
        unit = default_unit or None
        if isinstance(text, str) and (unit is None or isinstance(unit, str)):
            parts = _parse_cached(text, unit)
        else:
            parts = _parse(text, unit)
        return [_with_indicator(pt, implicit, indicator_name or "") for pt, implicit in parts]
    except Exception:  # the grammar must never stop an extraction
        kept = str(text).strip() if text is not None else ""
        if not kept:
            return []
        return [ParsedTarget("milestone", None, None, None, CITY_SCOPE, kept)]


def _with_indicator(pt: ParsedTarget, implicit: bool, indicator_name: str) -> ParsedTarget:
    """Apply the indicator name where the cell itself does not decide the comparator."""
    if implicit and is_down_indicator(indicator_name):
        return replace(pt, comparator="<=")
    return pt


def _parse(text: str, default_unit: str | None) -> tuple[tuple[ParsedTarget, bool], ...]:
    """The cell's targets, each with True when its comparator depends on the indicator
    name (a bare number: ``>=`` here, ``<=`` for a "down" indicator)."""
    norm = normalise_text(text if isinstance(text, str) else str(text or ""))
    norm = _FOOTNOTE.sub("", norm).strip()
    if not norm or _DASH_CELL.fullmatch(norm):
        return ()
    parts = split_scopes(norm) or [(CITY_SCOPE, norm)]
    # hook: a relative form (翻一番, 增长10%, 年均增长7%) is read beside the level
    # reading, before a number-less cell is left a plain milestone (extractors.relative)
    return tuple(with_relative(*_parse_part(part, scope, default_unit)) for scope, part in parts)


# Target cells repeat a lot (不低于90%, 全覆盖, the same value every year) and the
# parse does not depend on the indicator name: cache it per (text, default unit).
# Results are immutable (frozen ParsedTarget, Decimal, tuples).
_parse_cached = lru_cache(maxsize=8192)(_parse)


def split_scopes(text: str) -> list[tuple[str, str]] | None:
    """``城市…,农村…`` -> [("城市", "城市…"), ("农村", "农村…")]; None when unsplit.

    Splits only when the text opens with a scope word and at least two
    different scope words open parts separated by , ; or 。; a part without a
    scope word belongs to the part before it.
    """
    groups: list[list[str]] = []
    scopes: list[str] = []
    for seg in _SEGMENT.findall(text):
        seg = seg.lstrip()
        word = next((w for w in _SCOPE_WORDS if seg.startswith(w)), None)
        if word is not None:
            scopes.append(word)
            groups.append([seg])
        elif groups:
            groups[-1].append(seg)
        else:
            return None
    if len(scopes) < 2 or len(set(scopes)) != len(scopes):
        return None
    return [(s, "".join(g).strip(_PART_TRIM)) for s, g in zip(scopes, groups, strict=True)]


def _parse_part(
    text: str, scope: str, default_unit: str | None
) -> tuple[ParsedTarget, bool]:
    nums = [n for n in find_numbers(text) if n.kind == "number"]
    if not nums:
        if _FULL_COVERAGE.search(text):
            return ParsedTarget(">=", _HUNDRED, None, "%", scope, text), False
        return ParsedTarget("milestone", None, None, None, scope, text), False
    rng = _first_range(nums, text)
    explicit = _first_explicit(nums, text)
    if rng is not None and (explicit is None or rng <= explicit[0]):
        low, high, unit = _range_values(nums[rng], nums[rng + 1], default_unit)
        return ParsedTarget("between", low, high, unit, scope, text), False
    implicit = False
    if explicit is not None:
        idx, comparator = explicit
    else:
        idx = _bare_target_index(nums, text)
        # a bare number: a floor, unless the indicator is a "down" one (_with_indicator)
        comparator = ">="
        implicit = _UP_CONTEXT.search(text, nums[idx].unit_end) is None
    value, unit = _resolve(nums[idx], default_unit)
    return ParsedTarget(comparator, value, None, unit, scope, text), implicit


def _bare_target_index(nums: list[NumberMatch], text: str) -> int:
    """Without a comparator word: the first number with a unit that is not a
    starting point (从3%到5%: from 3% to 5%), else the last starting point's
    successor, else the first number."""
    starts = [n.start > 0 and text[n.start - 1] in _FROM for n in nums]
    candidates = [i for i, n in enumerate(nums) if not starts[i]]
    if not candidates:
        return 0
    return next((i for i in candidates if nums[i].unit), candidates[0])


def _first_explicit(nums: list[NumberMatch], text: str) -> tuple[int, str] | None:
    """Index and comparator of the first number a comparator word is attached to."""
    prev_end = 0
    for i, n in enumerate(nums):
        comparator = _comparator_of(n, text, prev_end)
        if comparator is not None:
            return i, comparator
        prev_end = n.unit_end
    return None


def _comparator_of(n: NumberMatch, text: str, prev_end: int) -> str | None:
    suffix = _SUFFIX_RE.match(text, n.unit_end)
    if suffix:
        return _SUFFIX_CMP[suffix.group(1)]
    words = list(_PREFIX_RE.finditer(text, prev_end, n.start))
    if not words:
        return None
    word = words[-1].group()
    gap = text[words[-1].end() : n.start]
    if word in _TOUCHING:
        return None if gap.strip() else _PREFIX_CMP[word]
    if len(gap) > _MAX_GAP or _GAP_STOP.search(gap):
        return None
    return _PREFIX_CMP[word]


def _first_range(nums: list[NumberMatch], text: str) -> int | None:
    """Index of the first number opening an ``X-Y``/``X~Y``/``X至Y`` range.

    ``从3%到5%`` (from 3% to 5%) is a change, not a range.
    """
    for i in range(len(nums) - 1):
        x, y = nums[i], nums[i + 1]
        if _RANGE_SEP.fullmatch(text, x.unit_end, y.digits_start) and (
            x.start == 0 or text[x.start - 1] not in _FROM
        ):
            return i
    return None


def _range_values(
    x: NumberMatch, y: NumberMatch, default_unit: str | None
) -> tuple[Decimal, Decimal, str | None]:
    """Low, high and unit of ``X-Y``; the unit and multiplier may be written once."""
    high, y_unit = _resolve(y, default_unit)
    high = abs(high)  # the dash of 4张-5张 is no minus sign
    low, x_unit = _resolve(x, default_unit)
    if (
        x.unit is None
        and x.multiplier is None
        and y.multiplier is not None
        and not _keeps_multiplier(y, default_unit)
    ):
        low = tidy(low * MULTIPLIERS[y.multiplier])  # 3-5万 is 30000-50000
    unit = y_unit if (y.unit or y.multiplier) else x_unit
    return (low, high, unit) if low <= high else (high, low, unit)


def _keeps_multiplier(n: NumberMatch, default_unit: str | None) -> bool:
    """True when 万/亿 belongs to the default unit (10.5万人 under 单位 万人)."""
    return bool(
        n.multiplier
        and default_unit
        and default_unit.startswith(n.multiplier)
        and (n.unit is None or n.multiplier + n.unit == default_unit)
    )


def _resolve(n: NumberMatch, default_unit: str | None) -> tuple[Decimal, str | None]:
    """Value and unit of a number, applying the default unit and the 万/亿 rule."""
    if _keeps_multiplier(n, default_unit):
        return n.base, default_unit
    return n.value, n.unit or default_unit
