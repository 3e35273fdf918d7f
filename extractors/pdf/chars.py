"""Characters: which table they fall in, glyphs without Unicode, superscript digits."""

from __future__ import annotations

import re

from extractors.pdf.settings import PdfSettings
from extractors.records import UnreadableDocument
from extractors.text import SUPERSCRIPT_DIGITS

_CID = re.compile(r"^\(cid:\d+\)$")


def table_of(ch: dict, boxes: list[tuple]) -> int | None:
    """Index of the box holding the char's centre, else None."""
    cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
    for i, (x0, top, x1, bottom) in enumerate(boxes):
        if x0 <= cx <= x1 and top <= cy <= bottom:
            return i
    return None


def drop_cid(chars: list[dict], boxes: list[tuple], page_no: int, source: str,
             warnings: list[str], s: PdfSettings) -> list[dict]:
    """Chars without glyphs' Unicode (``(cid:N)``): fatal inside a table or when common."""
    cid = [ch for ch in chars if _CID.match(ch["text"])]
    if not cid:
        return chars
    in_table = any(table_of(ch, boxes) is not None for ch in cid)
    if in_table or len(cid) > s.cid_max_share * len(chars):
        raise UnreadableDocument(
            source, "glyphs without a Unicode map ((cid:N)): text cannot be read",
            location=f"page {page_no}",
        )
    warnings.append(f"page {page_no}: {len(cid)} glyph(s) without Unicode map dropped")
    return [ch for ch in chars if not _CID.match(ch["text"])]


def superscripts(chars: list[dict], s: PdfSettings) -> list[dict]:
    """Digits set in superscript (a footnote number, 不低于4张¹) as superscript digits,
    which the target grammar knows are no quantity (as the DOCX reader writes them)."""
    size = max((ch.get("size", 0) for ch in chars), default=0)
    small = [ch for ch in chars
             if ch["text"].isdigit() and ch.get("size", 0) <= s.super_size * size]
    if not small:
        return chars
    full = [ch for ch in chars if ch.get("size", 0) > s.super_size * size]
    small_ids = {id(ch) for ch in small}
    out = []
    for ch in chars:
        if id(ch) in small_ids:
            line = [f for f in full if f["top"] - size <= ch["top"] <= f["bottom"]]
            bottom = max((f["bottom"] for f in line), default=None)
            if bottom is not None and bottom - ch["bottom"] >= s.super_rise * size:
                ch = {**ch, "text": ch["text"].translate(SUPERSCRIPT_DIGITS)}
        out.append(ch)
    return out
