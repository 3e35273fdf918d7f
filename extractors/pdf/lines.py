"""Text outside tables: visual lines, running heads and page numbers, headings, title."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from pdfplumber.utils import extract_text_simple

from extractors.pdf.settings import PdfSettings
from extractors.text import normalise_text

_PAGE_NUMBER = re.compile(r"^(?:[-—–\s]*\d{1,4}[-—–\s]*|第\d+页(?:/?共\d+页)?|\d+/\d+)$")


@dataclass
class Line:
    text: str
    top: float
    bottom: float
    x1: float
    size: float
    page: int


def text_lines(chars: list[dict], page_no: int, s: PdfSettings) -> list[Line]:
    """Chars clustered into visual lines, top to bottom."""
    lines: list[Line] = []
    cluster: list[dict] = []
    for ch in sorted(chars, key=lambda ch: ch["top"]):
        if cluster and ch["top"] - cluster[0]["top"] > s.y_tol:
            lines.append(make_line(cluster, page_no, s))
            cluster = []
        cluster.append(ch)
    if cluster:
        lines.append(make_line(cluster, page_no, s))
    return [ln for ln in lines if ln.text]


def make_line(chars: list[dict], page_no: int, s: PdfSettings | None = None) -> Line:
    s = s or PdfSettings()
    raw = extract_text_simple(chars, x_tolerance=s.x_tol, y_tolerance=s.y_tol)
    return Line(
        text=normalise_text(raw), top=min(c["top"] for c in chars),
        bottom=max(c["bottom"] for c in chars), x1=max(c["x1"] for c in chars),
        size=max(c.get("size", 0) for c in chars), page=page_no,
    )


def in_margin(line: Line, height: float, s: PdfSettings) -> bool:
    """The line lies in the top or bottom margin band, where running heads/feet live."""
    return line.top < s.margin * height or line.bottom > (1 - s.margin) * height


def is_running(line: Line, height: float, is_heading: Callable[[str], bool],
               s: PdfSettings) -> bool:
    """Page numbers and short running heads/feet in the page margins (a longer line
    there is kept as text, but no gap between a table and its continuation)."""
    if _PAGE_NUMBER.match(line.text):
        return True
    return in_margin(line, height, s) and len(line.text) <= 12 and not is_heading(line.text)


def is_heading_line(line: Line, right_edge: float, is_heading: Callable[[str], bool]) -> bool:
    """A section heading, not a full-width body line that happens to start with 1."""
    full_width = line.x1 >= right_edge - 1.5 * line.size and len(line.text) >= 20
    return is_heading(line.text) and not full_width


def title(lines: list[Line], is_heading: Callable[[str], bool]) -> str | None:
    """The first line of page 1, with the lines of its size that follow it."""
    page1 = [ln for ln in lines if ln.page == 1]
    if not page1:
        return None
    first = page1[0]
    parts = [first.text]
    for prev, ln in zip(page1, page1[1:], strict=False):
        if abs(ln.size - first.size) > 0.5 or ln.top - prev.bottom > first.size:
            break
        if is_heading(ln.text):
            break
        parts.append(ln.text)
    # body text: the lines after the title (a title over two lines is half of the few
    # lines outside tables on a page that is mostly table)
    rest = sorted(ln.size for ln in page1[len(parts):] or page1)
    if len(parts) > 1 and first.size <= rest[len(rest) // 2]:
        parts = parts[:1]
    return normalise_text("\n".join(parts)) or None
