"""Numbers as written in Chinese plan documents, read exactly as ``Decimal``.

Handles thousands separators (``67,293``), the multipliers 万 (10^4) and
亿 (10^8) (``10.5万`` -> 105000), 百分之 (``百分之九十`` -> 90 percent),
Chinese numerals (``五十``, ``十二``, ``一百二十``, ``两``, ``二〇二〇``) and,
through NFKC, full-width digits. No float arithmetic anywhere: ``Decimal`` from
the written digits, then exact multiplication.

``find_numbers`` works on normalised text (``extractors.text.normalise_text``)
and reports each number with its span and the unit written right after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

CN_DIGITS = {
    "零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3,
    "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
MULTIPLIERS = {"万": Decimal(10**4), "亿": Decimal(10**8)}

# Units kept as written even though they start with a multiplier (money is
# budgeted in 万元/亿元); any other 万/亿 multiplies the value (10.5万人 -> 105000 人).
KEPT_UNITS = ("万元", "亿元", "万美元", "亿美元")

# Units known to follow a number; longest first when matching.
KNOWN_UNITS = (
    "吨标准煤", "吨标煤", "千克标准煤", "千克标煤", "个百分点", "百分点", "平方公里", "平方米", "立方米", "万美元", "亿美元", "万元", "亿元",
    "个工作日", "工作日", "个月", "小时", "分钟", "人次", "户次", "公里", "千米", "公顷", "千瓦",
    "千克", "公斤", "微克", "毫克", "张", "个", "家", "人", "名", "户", "所", "项", "次", "床",
    "台", "辆", "件", "套", "座", "处", "条", "篇", "场", "批", "支", "只", "类", "种", "倍",
    "岁", "天", "日", "周", "月", "年", "米", "亩", "吨", "元", "分", "星", "级", "期", "轮",
)
# A single CJK character after a number that is grammar, not a unit.
_NOT_UNIT = set(
    "以及的和与或至到左右上下内之等是在为了多余后前中其并且完成社区县市城农镇村街乡"
    "覆全达提降增减不低高超每新累共第约万亿千百十点号"
) | set(CN_DIGITS)

_CN_NUM_CHARS = "".join(CN_DIGITS) + "十百千万亿"
_NUM_RE = re.compile(
    r"(?P<pct>百分之)?"
    r"(?:(?P<ar>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
    rf"|(?P<cn>[{_CN_NUM_CHARS}]+(?:点[{''.join(CN_DIGITS)}]+)?))"
)
_KNOWN_UNITS_ALT = "|".join(sorted(map(re.escape, KNOWN_UNITS), key=len, reverse=True))
# A compound unit's denominator (微克/立方米, 人次/年): up to four
# CJK characters, none starting a comparator word written after the unit
# (控制在55微克/立方米以内: the unit is 微克/立方米, 以内 the comparator).
_DENOMINATOR_STOP = r"(?!以上|以下|以内|之内|左右|上下|及|或|[,;。、])"
_UNIT_RE = re.compile(
    f"(?:{_KNOWN_UNITS_ALT})(?:/(?:{_DENOMINATOR_STOP}[\u4e00-\u9fff]){{1,4}})?"
)
_CJK_CHAR = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_YEAR_AFTER = re.compile(r"\s*(?:年|[-~〜至到—–]\s*[0-9]{4}\s*年)")
_DATE_TAIL = re.compile(r"[底末份前初中]|上旬|下旬|[0-9]")
_SIGN_BLOCKERS = set("0123456789.%ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
# The target grammar's comparator words before a number (targets.py reads them from
# here too), and the words after one (五十以上, 90%左右).
COMPARATOR_WORDS: tuple[tuple[str, str], ...] = (
    ("不低于", ">="), ("不少于", ">="), ("不小于", ">="), ("不得低于", ">="),
    ("不得少于", ">="), ("大于等于", ">="), ("至少", ">="), ("达到", ">="),
    ("提高到", ">="), ("提高至", ">="), ("提升到", ">="), ("提升至", ">="),
    ("增加到", ">="), ("增加至", ">="), ("增长到", ">="), ("增长至", ">="),
    ("上升到", ">="), ("上升至", ">="), ("扩大到", ">="), ("扩大至", ">="),
    ("达", ">="), (">=", ">="), ("≥", ">="), ("⩾", ">="), ("≧", ">="),
    ("不高于", "<="), ("不超过", "<="), ("不大于", "<="), ("不多于", "<="),
    ("不得高于", "<="), ("不得超过", "<="), ("小于等于", "<="), ("控制在", "<="),
    ("下降到", "<="), ("下降至", "<="), ("降低到", "<="), ("降低至", "<="),
    ("减少到", "<="), ("减少至", "<="), ("压缩到", "<="), ("压缩至", "<="),
    ("降至", "<="), ("降到", "<="), ("至多", "<="), ("最多", "<="),
    ("<=", "<="), ("≤", "<="), ("⩽", "<="), ("≦", "<="),
    ("大于", ">"), ("超过", ">"), ("高于", ">"), ("多于", ">"), (">", ">"),
    ("小于", "<"), ("低于", "<"), ("少于", "<"), ("<", "<"),
    ("等于", "="), ("为", "="), ("=", "="),
    ("大约", "about"), ("约", "about"),
)
SUFFIX_WORDS = {"以上": ">=", "以下": "<=", "以内": "<=", "之内": "<=", "左右": "about",
                "上下": "about"}
# After a comparator word a Chinese numeral is a quantity (不低于五十张, 至少五家); 为
# ("is") is left out: before a numeral in prose it rarely sets a target (成为一个…).
_CN_LEAD = re.compile(
    "(?:"
    + "|".join(re.escape(w) for w, _ in sorted(COMPARATOR_WORDS, key=lambda x: -len(x[0]))
               if w != "为")
    + r"|(?:提高|提升|增加|增长|上升|降低|下降|减少)?[到至]"
    # verbs that count what follows (新增三张, 建成两个, 培育五家)
    + r"|新增|增加|新建|建成|建设|新设|设立|培育|创建|打造|改造|扶持|引进|新开|开设|开展|举办"
    + r"|完成|累计|共计|共|再)\s*$"
)
# Words that may directly follow a bare Chinese numeral quantity (五十以上).
_CN_TAIL_WORDS = re.compile(
    "及?(?:" + "|".join(SUFFIX_WORDS) + rf")|[至到][{''.join(CN_DIGITS)}十]"
)


@dataclass(frozen=True)
class NumberMatch:
    """One number found in a text.

    ``value`` is exact, with its sign and multiplier applied; ``base`` is the
    number as written before 万/亿 (``multiplier``). ``start``/``end`` span the
    number (sign, 百分之 and multiplier included); ``unit_end`` also covers the
    unit. ``kind`` is "number", "year" (2017年, 2016-2020年) or "date" (6月底).
    """

    value: Decimal
    base: Decimal
    multiplier: str | None
    unit: str | None
    start: int
    end: int
    unit_end: int
    digits_start: int
    kind: str = "number"

    @property
    def percent(self) -> bool:
        return self.unit == "%"


def tidy(d: Decimal) -> Decimal:
    """``d`` without a spurious exponent or trailing zeros when it is an integer."""
    if d == d.to_integral_value() and abs(d.adjusted()) < 60:
        return Decimal(int(d))
    return d


def chinese_numeral(s: str, *, implicit_hundreds: bool = False) -> Decimal | None:
    """Value of a Chinese numeral (五十, 十二, 一百零五, 两, 二〇二〇, 三点五), else None.

    A leading 百/千 without a digit (百 = 100) is accepted only with
    ``implicit_hundreds`` (after 百分之: 百分之百).
    """
    if not s:
        return None
    head, _, frac = s.partition("点")
    if frac and not all(c in CN_DIGITS for c in frac):
        return None
    whole = _cn_integer(head, implicit_hundreds)
    if whole is None:
        return None
    if frac:
        return Decimal(f"{whole}." + "".join(str(CN_DIGITS[c]) for c in frac))
    return Decimal(whole)


def _cn_integer(s: str, implicit_hundreds: bool) -> int | None:
    if not s:
        return None
    if all(c in CN_DIGITS for c in s):
        # a digit string: 二〇二〇 -> 2020 (a lone 两 is 2 too)
        return int("".join(str(CN_DIGITS[c]) for c in s))
    if s[0] in MULTIPLIERS or (s[0] in "百千" and not implicit_hundreds):
        return None
    total = section = 0
    number: int | None = None
    last_small = 10**5
    for c in s:
        if c in CN_DIGITS:
            if number:  # two non-zero digits in a row: 十三五 is a name, not a numeral
                return None
            number = CN_DIGITS[c]
        elif c in _CN_SMALL:
            unit = _CN_SMALL[c]
            if unit >= last_small:
                return None
            section += (1 if number is None else number) * unit
            number, last_small = None, unit
        elif c == "万":
            section = (section + (number or 0)) * 10**4
            total, section, number, last_small = total + section, 0, None, 10**5
        else:  # 亿
            total = (total + section + (number or 0)) * 10**8
            section, number, last_small = 0, None, 10**5
    return total + section + (number or 0)


def _arabic(s: str) -> Decimal:
    return Decimal(s.replace(",", ""))


def read_unit(text: str, pos: int) -> tuple[str | None, int]:
    """The unit written at ``text[pos:]`` and where it ends.

    ``%``/``‰``, a known unit (longest first, ``微克/立方米`` style compounds
    too), or else one CJK character that is not grammar (以上, 的, 社区 ...).
    """
    if pos >= len(text):
        return None, pos
    if text[pos] in "%‰":
        return text[pos], pos + 1
    m = _UNIT_RE.match(text, pos)
    if m:
        return m.group(), m.end()
    ch = text[pos]
    if _CJK_CHAR.match(ch) and ch not in _NOT_UNIT:
        return ch, pos + 1
    return None, pos


_PAREN_UNIT = re.compile(r"[(\[【]\s*(?:单位\s*[:：]?\s*)?([^()\[\]【】]{1,10}?)\s*[)\]】]\s*$")
_UNIT_WORDS = re.compile(rf"(?:[万亿千百]?(?:{_KNOWN_UNITS_ALT})|%|‰)(?:/[\u4e00-\u9fff]{{1,4}})?")


def unit_in_parentheses(text: str | None) -> str | None:
    """The unit a header or an indicator name gives at its end in parentheses:
    ``城镇登记失业率(%)`` -> ``%``, ``2020年目标(单位:万人)`` -> ``万人``,
    ``地区生产总值(亿元)`` -> ``亿元``; None when the parentheses hold no unit."""
    if not text:
        return None
    m = _PAREN_UNIT.search(text)
    if m is None:
        return None
    unit = m.group(1).strip()
    return unit if _UNIT_WORDS.fullmatch(unit) else None


def find_numbers(text: str) -> list[NumberMatch]:
    """Every number of a normalised text, in order, with the unit after it.

    Skipped: ordinals (第3), denominators (每千名), list markers (``1.``,
    ``2、``), numbers glued to Latin letters (PM2.5, 5G) and Chinese numerals
    that are part of words (一是, 新一轮, 十三五). Years and dates are returned
    with ``kind`` "year"/"date" so the caller can ignore them.
    """
    out: list[NumberMatch] = []
    for m in _NUM_RE.finditer(text):
        found = _to_match(text, m)
        if found is not None:
            out.append(found)
    return out


def _to_match(text: str, m: re.Match) -> NumberMatch | None:
    start, end, cn = m.start(), m.end(), ""
    before = text[start - 1] if start else ""
    if before in ("第", "每") or ("A" <= before <= "z" and before.isalpha()):
        return None
    if m["ar"]:
        base = _arabic(m["ar"])
        if end < len(text) and "A" <= text[end] <= "Z":
            return None
    else:
        cn = m["cn"]
        # 十万元: the 万 belongs to the kept unit 万元
        if len(cn) > 1 and cn[-1] in "万亿" and text.startswith(cn[-1] + "元", end - 1):
            cn, end = cn[:-1], end - 1
        cn_value = chinese_numeral(cn, implicit_hundreds=bool(m["pct"]))
        if cn_value is None or text.startswith("百分", m.start("cn")):
            return None
        base = cn_value
    multiplier = None
    if m["ar"] and end < len(text) and text[end] in MULTIPLIERS:
        if not any(text.startswith(u, end) for u in KEPT_UNITS):
            multiplier, end = text[end], end + 1
    if m["pct"]:
        unit, unit_end = "%", end
    else:
        pos = end + 1 if text[end : end + 1] in ("多", "余") else end
        unit, unit_end = read_unit(text, pos)
        if unit is None:
            unit_end = end
    if m["cn"] and not m["pct"] and not _chinese_is_quantity(text, start, cn, end, unit):
        return None
    if m["ar"] and unit is None and _is_list_marker(text, start, end):
        return None
    digits_start = start
    if start and before in "-−" and (start < 2 or text[start - 2] not in _SIGN_BLOCKERS):
        start -= 1
        base = -base
    value = tidy(base * MULTIPLIERS[multiplier]) if multiplier else tidy(base)
    kind = _kind(text, m, base, start, end, unit, unit_end)
    return NumberMatch(value, tidy(base), multiplier, unit, start, end, unit_end, digits_start, kind)


def _chinese_is_quantity(
    text: str, start: int, cn: str, end: int, unit: str | None
) -> bool:
    """A Chinese numeral counts only where it cannot be part of a word.

    It must be followed by a known unit, 以上/左右-style words, punctuation or
    the end (so not 一是, 新一轮, 三位一体, 两新), and be either led by a
    comparator word, several characters long (五十) or not glued to a
    preceding CJK character.
    """
    if unit is not None:
        if not (unit in ("%", "‰") or _UNIT_RE.fullmatch(unit)):
            return False
        if cn == "一" and unit == "批":  # 一批: "a batch", no count
            return False
    elif _CJK_CHAR.match(text[end : end + 1]) and not _CN_TAIL_WORDS.match(text, end):
        return False
    if _is_list_marker(text, start, end) and unit is None:
        return False
    if _CN_LEAD.search(text, 0, start):
        return True
    return len(cn) > 1 or start == 0 or not _CJK_CHAR.match(text[start - 1])


def _is_list_marker(text: str, start: int, end: int) -> bool:
    """``1.``, ``2、`` or ``(3)`` opening an item of a list."""
    nxt = text[end : end + 1]
    prev = text[start - 1 : start]
    if nxt == ")" and prev == "(":
        return True
    return nxt in (".", "、") and (not prev or prev in " \t。;;,,:(")


def _kind(
    text: str, m: re.Match, base: Decimal, start: int, end: int, unit: str | None, unit_end: int
) -> str:
    digits = m["ar"] or m["cn"]
    if (
        len(digits) == 4
        and "," not in digits
        and "." not in digits
        and 1900 <= base <= 2100
        and _YEAR_AFTER.match(text, end)
    ):
        return "year"
    if unit in ("月", "日") and (
        text[start - 1 : start] in ("年", "月") or _DATE_TAIL.match(text, unit_end)
    ):
        return "date"
    return "number"
