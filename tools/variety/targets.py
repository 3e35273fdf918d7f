"""Target cells as people write them, each with the record(s) CONTRACT §4 says it gives.

Every generator returns ``(text, expected, kind)``: the cell text, a list of
expected parses ``(scope, comparator, value, high, unit)`` (decimal strings,
empty for a cell that gives no record) and the axis value ``kind`` (which
grammar rule the cell exercises). The expectation is written from the rule,
never by parsing the text.
"""

from __future__ import annotations

import random
from decimal import Decimal

CITY = "全市"

# Chinese numerals for small counts (written form, value)
CN_NUMERALS = [
    ("三", 3), ("五", 5), ("八", 8), ("十", 10), ("十二", 12), ("十五", 15), ("二十", 20),
    ("三十", 30), ("五十", 50), ("一百", 100), ("一百二十", 120),
]  # fmt: skip

# Indicator names that make a bare number a ceiling (CONTRACT §4)
DOWN_WORDS = ("降低", "下降", "减少", "控制", "失业率", "死亡率", "能耗", "排放")


def _dec(x) -> str | None:
    """A decimal string without exponent or trailing zeros: 70, 92.5."""
    if x is None:
        return None
    d = Decimal(str(x)).normalize()
    return format(d, "f")


def _num(rng: random.Random, unit: str, down: bool = False) -> tuple[str, str]:
    """A plausible number for ``unit``: (as written, decimal string)."""
    if unit == "%" and down:
        v = rng.choice([3.5, 4, 5, 8, 15, 18])
    elif unit == "%":
        v = rng.choice([60, 70, 80, 85, 90, 92.5, 95, 98, 99])
    elif unit in ("万元",):
        v = rng.choice([500, 1200, 3000, 10.5, 2.8])
    elif unit == "微克/立方米":
        v = rng.choice([35, 42, 48, 55])
    elif unit == "岁":
        v = rng.choice([78, 79.5, 80])
    else:
        v = rng.choice([4, 6, 12, 30, 45, 120, 350, 1500, 67293])
    d = Decimal(str(v))
    text = f"{d:,}" if d >= 10000 and rng.random() < 0.5 else str(d)
    return text, _dec(d)


def _u(unit: str, written: bool) -> str:
    return unit if written else ""


def make_target(rng: random.Random, kind: str, unit: str, indicator: str,
                unit_in_cell: bool, unit_column: str | None) -> tuple[str, list[tuple]]:
    """The cell text of ``kind`` for an indicator measured in ``unit``.

    ``unit_in_cell``: the unit is written in the cell; else it comes from the
    table's 单位 column (``unit_column``) or is absent. The expected unit is
    the unit written in the cell, else the 单位 column's (docs/ARCHITECTURE.md,
    layout B; the same convention is expected of layout A)."""
    default = unit_column  # unit when the cell has none
    u = _u(unit, unit_in_cell)
    exp_unit = unit if unit_in_cell else default
    t, v = _num(rng, unit, any(w in indicator for w in DOWN_WORDS))
    if kind == "ge_prefix":
        w = rng.choice(["不低于", "不少于", "达到", "达", "提高到", "≥"])
        return f"{w}{t}{u}", [(CITY, ">=", v, None, exp_unit)]
    if kind == "ge_suffix":
        return f"{t}{u}以上", [(CITY, ">=", v, None, exp_unit)]
    if kind == "le_prefix":
        w = rng.choice(["不高于", "不超过", "下降到", "降至", "≤"])
        return f"{w}{t}{u}", [(CITY, "<=", v, None, exp_unit)]
    if kind == "le_suffix":  # 控制在55微克/立方米以内, 48微克/立方米以下
        if rng.random() < 0.5:
            return f"控制在{t}{u}以内", [(CITY, "<=", v, None, exp_unit)]
        return f"{t}{u}以下", [(CITY, "<=", v, None, exp_unit)]
    if kind == "between":
        lo = Decimal(v)
        if lo >= 1000:  # keep a range narrow enough for a year column: 30-36
            lo = Decimal(rng.choice([30, 45, 120, 350]))
        if unit == "%":
            hi = lo + 3
        elif unit == "岁":
            hi = lo + 2
        else:
            hi = lo + max(Decimal(2), (lo / 5).to_integral_value())
        if unit == "%" and hi > 100:
            lo, hi = Decimal(95), Decimal(98)
        sep = rng.choice(["-", "～", "至"])
        if unit_in_cell and unit == "%" and sep == "-" and rng.random() < 0.5:
            text = f"{lo}%-{hi}%"  # 95%-98%
        else:
            text = f"{lo}{sep}{hi}{u}"
        return text, [(CITY, "between", _dec(lo), _dec(hi), exp_unit)]
    if kind == "about":
        if rng.random() < 0.5:
            return f"约{t}{u}", [(CITY, "about", v, None, exp_unit)]
        return f"{t}{u}左右", [(CITY, "about", v, None, exp_unit)]
    if kind == "full":
        return "全覆盖", [(CITY, ">=", "100", None, "%")]
    if kind == "milestone":
        text = rng.choice(["试点启动", "全面推开", "完成验收", "建立长效机制", "出台实施意见"])
        return text, [(CITY, "milestone", None, None, None)]
    if kind == "bare":
        cmp_ = "<=" if any(w in indicator for w in DOWN_WORDS) else ">="
        return f"{t}{u}", [(CITY, cmp_, v, None, exp_unit)]
    if kind == "cn_numeral":
        cn, n = rng.choice(CN_NUMERALS)
        w = rng.choice(["不少于", "达到", "新增"])
        if w == "新增":  # no comparator word: a bare number
            cmp_ = "<=" if any(x in indicator for x in DOWN_WORDS) else ">="
        else:
            cmp_ = ">="
        return f"{w}{cn}{u}", [(CITY, cmp_, str(n), None, exp_unit)]
    if kind == "wan":  # 10.5万人以上 -> 105000 人 (万 multiplies; 万元 stays)
        x = rng.choice(["10.5", "2", "1.2", "35"])
        value = _dec(Decimal(x) * 10000)
        unit_w = "人"
        return f"{x}万{unit_w}以上", [(CITY, ">=", value, None, unit_w)]
    if kind == "n_done":  # N个区、县(市)完成 -> >= N 个
        n = rng.choice([5, 8, 10, 13])
        return f"{n}个区、县（市）完成", [(CITY, ">=", str(n), None, "个")]
    if kind == "scope_split":  # 城市全覆盖，农村90% -> two records
        p = rng.choice([80, 85, 90])
        return f"城市全覆盖，农村{p}%", [("城市", ">=", "100", None, "%"),
                                     ("农村", ">=", str(p), None, "%")]
    if kind == "relative":  # a change against the base year (extractors/relative.py)
        return _relative(rng, unit, indicator)
    if kind == "dash":
        return rng.choice(["—", ""]), []
    raise ValueError(kind)


def _relative(rng: random.Random, unit: str, indicator: str) -> tuple[str, list[tuple]]:
    """翻一番/翻两番, 增长X%, 提高X个百分点, 年均增长X%, with their level reading
    (CONTRACT §4): 翻番 states no level (a milestone); the others are the number
    with the unit written in the cell (% or 个百分点), a floor, or a ceiling under
    an indicator whose name says down (the bare-number rule). The relative reading
    (multiple 2, percent 10, points 2, annual_rate 7) is extractors.relative's and
    is not in the gold: the scorer compares levels."""
    cmp_ = "<=" if any(w in indicator for w in DOWN_WORDS) else ">="
    since = rng.choice(["", "比2020年", "较基期"])
    forms = ("points", "annual") if unit == "%" else ("double", "percent", "annual")
    form = rng.choice(forms)
    if form == "double":
        word = rng.choice(["翻一番", "翻两番", "力争翻一番"])
        return f"{since}{word}", [(CITY, "milestone", None, None, None)]
    if form == "percent":
        x = rng.choice(["5", "8", "10", "15", "20", "30"])
        return f"{since}增长{x}%", [(CITY, cmp_, x, None, "%")]
    if form == "points":
        x = rng.choice(["0.5", "1", "1.5", "2", "3", "5"])
        return f"{since}提高{x}个百分点", [(CITY, cmp_, x, None, "个百分点")]
    x = rng.choice(["3", "5", "6.5", "7", "8"])
    return f"年均增长{x}%", [(CITY, cmp_, x, None, "%")]


# kinds that need a unit of a given sort
KINDS = ("ge_prefix", "ge_suffix", "le_prefix", "le_suffix", "between", "about", "full",
         "milestone", "bare", "cn_numeral", "wan", "n_done", "scope_split", "dash", "relative")
COUNT_UNITS = ("张", "个", "家", "所", "项")


def kind_fits(kind: str, unit: str, unit_in_cell: bool) -> bool:
    """Whether a cell of ``kind`` reads naturally for an indicator in ``unit``."""
    if kind == "cn_numeral":
        return unit in COUNT_UNITS
    if kind == "wan":
        return unit == "人" and unit_in_cell
    if kind in ("full", "scope_split"):
        return unit == "%" and unit_in_cell
    if kind == "n_done":  # N个区、县（市）完成: a count of districts, or of a coverage
        return unit_in_cell and unit in ("%", "个")
    return True
