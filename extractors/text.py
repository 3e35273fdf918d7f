"""CJK text normalisation for cells, headings and target text.

Plan documents wrap cell text at arbitrary points, and PDF extraction puts a
space wherever a glyph gap is wide, so "居家养 老服务" must read "居家养老服务".
``normalise_text`` runs on every cell of large documents: everything here is
precompiled.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Ideographs: CJK Unified (+ Extension A, B-G), compatibility ideographs,
# 々 (iteration mark) and 〇 (ideographic zero).
_IDEOGRAPHS = (
    "\u3005\u3007\u3021-\u3029\u3038-\u303b"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
)
# CJK punctuation that survives NFKC: 、。〈〉《》「」『』【】〔〕〖〗 etc., the
# remaining full/half-width forms, and the quotes, dashes, ellipsis and middle dot
# used in Chinese text.
_CJK_PUNCT = "\u3001-\u3004\u3008-\u3020\u3030\u303d\uff00-\uffef\u2014-\u2026\u00b7"
# Circled numbers (①–⑳, ⓪, ⓫, ⓵, ❶, ㉑ …) mark footnotes. NFKC would make them plain
# digits, which read as quantities ("全覆盖①" as 1): they are kept as written, and so
# are superscript digits (¹, ²). Parenthesised and full-stop numbers (⑴, ⒈) number
# headings and list items: NFKC makes them "(1)" and "1." as the heading patterns expect.
_ENCLOSED = "\u2460-\u2473\u24ea-\u24ff\u2776-\u2793\u3251-\u325f\u32b1-\u32bf"
# Superscript digits likewise (the readers write a superscript footnote number so).
SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SUPERSCRIPTS = "\u00b9\u00b2\u00b3\u2070\u2074-\u2079"
_ENCLOSED_RE = re.compile(f"([{_ENCLOSED}{_SUPERSCRIPTS}]+)")
# ASCII punctuation that NFKC makes out of full-width punctuation (，；：（）％ …):
# it attaches to CJK text like the full-width original did (as enclosed numbers do).
_ATTACHING = r"0-9,.;:!?()\[\]%‰" + _ENCLOSED + _SUPERSCRIPTS

_ZERO_WIDTH = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")
_SPACE_RUN = re.compile(r"\s+")
# Which side of a whitespace run lets the run be dropped (see normalise_text).
_CJK_SIDE = re.compile(f"[{_IDEOGRAPHS}{_CJK_PUNCT}]")
_ATTACHING_SIDE = re.compile(f"[{_ATTACHING}]")
_PERCENT_SIGNS = ("%", "‰")
_LATIN = re.compile("[A-Za-z]")
# A range or fraction sign that a line may end on before the next number: 97%-|99%.
_RANGE_SIGNS = "-~/—–"


def _line_break_joins(before: str, after: str) -> bool:
    """A line break that is only a wrap (PDF cells, Word/LibreOffice layout), not a space:
    between Latin and CJK ("万元GDP|能耗") and after a range sign before a number
    ("97%-|99%"). Between two Latin words a break stays a space."""
    if (_LATIN.match(before) and _CJK_SIDE.match(after)) or (
        _CJK_SIDE.match(before) and _LATIN.match(after)
    ):
        return True
    return before in _RANGE_SIGNS and "0" <= after <= "9"


def _wrap_space_joins(before: str, after: str) -> bool:
    """True when a whitespace run between ``before`` and ``after`` is a line wrap."""
    if _CJK_SIDE.match(before):
        return (_CJK_SIDE.match(after) is not None or _ATTACHING_SIDE.match(after) is not None
                or after == "/")  # a compound unit wrapped before its slash: 微克|/立方米
    if before == "/" and _CJK_SIDE.match(after):
        return True
    if _ATTACHING_SIDE.match(before):
        return _CJK_SIDE.match(after) is not None or (
            "0" <= before <= "9" and after in _PERCENT_SIGNS
        )
    return False


@lru_cache(maxsize=8192)
def normalise_text(s: str | None) -> str:
    """NFKC (enclosed numbers such as ① and superscript digits kept), then join
    line-wrapped CJK text,
    collapse other whitespace, strip.

    Whitespace (newlines and U+3000 included) is removed between two CJK
    characters, between CJK and CJK/full-width punctuation, and between a digit
    and CJK ("2016 年" -> "2016年", "不低于 4 张" -> "不低于4张"), and between CJK and a
    slash ("微克 /立方米" -> "微克/立方米": a compound unit wrapped in a narrow cell). Whitespace
    between two digits ("20 16") or next to Latin words is kept as one space,
    except that a line break is dropped between Latin and CJK ("GDP\n能耗") and
    after a range sign before a digit ("97%-\n99%"): layout wraps, not spaces.
    ``None`` gives "". Pure, and cached: table cells repeat a lot.
    """
    if not s:
        return ""
    if _ENCLOSED_RE.search(s) is None:
        s = unicodedata.normalize("NFKC", s)
    else:  # odd items: the enclosed numbers, kept
        s = "".join(part if i % 2 else unicodedata.normalize("NFKC", part)
                    for i, part in enumerate(_ENCLOSED_RE.split(s)))
    s = _ZERO_WIDTH.sub("", s)
    if _SPACE_RUN.search(s) is None:  # most target cells: nothing to join
        return s

    def join_or_collapse(m: re.Match) -> str:
        start, end = m.span()
        if start and end < len(s):
            before, after = s[start - 1], s[end]
            if _wrap_space_joins(before, after):
                return ""
            if "\n" in m.group() and _line_break_joins(before, after):
                return ""
        return " "

    return _SPACE_RUN.sub(join_or_collapse, s).strip()
