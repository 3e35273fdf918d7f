"""The section-heading convention shared by the DOCX and PDF readers."""

from __future__ import annotations

import re

_HEADING_NUMBER = re.compile(
    r"^(?:\d{1,2}[.、](?!\d)"  # 1.  1、
    r"|\((?:[一二三四五六七八九十]{1,3}|\d{1,2})\)"  # (一)  (1)   (NFKC of （一）)
    r"|[一二三四五六七八九十]{1,3}、"  # 一、
    r"|第[一二三四五六七八九十百\d]{1,4}[章节篇部分])"  # 第一章
)
MAX_HEADING_CHARS = 40
SENTENCE_PUNCT = re.compile(r"[。;!?]")


def is_section_heading(text: str) -> bool:
    """A short normalised line that starts with a section number (conventions)."""
    return (
        0 < len(text) <= MAX_HEADING_CHARS
        and _HEADING_NUMBER.match(text) is not None
        and SENTENCE_PUNCT.search(text) is None
        and len(_HEADING_NUMBER.sub("", text, count=1).strip()) > 0
    )
