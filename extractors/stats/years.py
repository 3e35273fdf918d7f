"""Years: of a cell, of a title line, of a sheet name."""

from __future__ import annotations

import re
import unicodedata

from extractors.reference import normalise_name

_YEAR_CELL_RE = re.compile(r"((?:19|20)\d{2})(?:年度|年|\.0)?")


_YEAR_IN_TEXT_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")


_CN_DIGITS = {"〇": "0", "零": "0", "○": "0", "Ｏ": "0", "一": "1", "二": "2", "三": "3",
              "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
_CN_YEAR_RE = re.compile(f"[{''.join(_CN_DIGITS)}]{{4}}(?=\\s*年)")


def arabic_years(text: str) -> str:
    """Years written in Chinese numerals (二〇二一年, 二零二一年) as digits."""
    return _CN_YEAR_RE.sub(lambda m: "".join(_CN_DIGITS[c] for c in m.group(0)), text)


def _year_from_text(text: str) -> int | None:
    text = unicodedata.normalize("NFKC", arabic_years(text))
    with_nian = set(re.findall(r"((?:19|20)\d{2})\s*年(?!\s*[-~～至到])", text))
    found = with_nian or set(_YEAR_IN_TEXT_RE.findall(text))
    if len(found) == 1 and not re.search(
        r"(?:19|20)\d{2}\s*年?\s*[-~～至到—]\s*(?:19|20)\d{2}", text
    ):
        return int(found.pop())
    return None


def _sheet_year(sheet: str | None) -> int | None:
    if sheet is None:
        return None
    m = _YEAR_CELL_RE.fullmatch(normalise_name(arabic_years(sheet)))
    return int(m.group(1)) if m else _year_from_text(sheet)  # 2018年数据, 表3 2019年


def _year_of_cell(text: str) -> int | None:
    m = _YEAR_CELL_RE.fullmatch(normalise_name(arabic_years(text)))
    return int(m.group(1)) if m else None
