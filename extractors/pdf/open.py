"""Opening a PDF: the text-layer check (PDFium, fast) and the PDFium repair."""

from __future__ import annotations

from pathlib import Path

import pypdfium2

from extractors.records import UnreadableDocument


class Refused(Exception):
    """pdfminer (under pdfplumber) cannot open the file at all."""


def check_text_layer(path: Path, source: str) -> int:
    """Page count; raises for encrypted, corrupt or image-only PDFs."""
    try:
        pdf = pypdfium2.PdfDocument(str(path))
    except pypdfium2.PdfiumError as exc:
        msg = str(exc)
        if "password" in msg.lower():
            raise UnreadableDocument(source, "encrypted PDF (password required)") from None
        raise UnreadableDocument(source, f"corrupt PDF ({msg})") from None
    try:
        n = len(pdf)
        if n == 0:
            raise UnreadableDocument(source, "PDF without pages")
        for i in range(n):
            page = pdf[i]
            textpage = page.get_textpage()
            chars = textpage.count_chars()
            textpage.close()
            page.close()
            if chars > 0:
                return n
        raise UnreadableDocument(source, "no text layer (scanned PDF?)")
    finally:
        pdf.close()


def repaired_copy(path: Path, folder: str, source: str, why: str) -> Path:
    """The PDF re-saved by PDFium (which rebuilds a broken cross-reference, reads
    linearized files with bytes after ``%%EOF``, ...) into ``folder``."""
    out = Path(folder) / "repaired.pdf"
    try:
        pdf = pypdfium2.PdfDocument(str(path))
        try:
            pdf.save(str(out))
        finally:
            pdf.close()
    except pypdfium2.PdfiumError as exc:
        raise UnreadableDocument(source, f"corrupt PDF ({why}; PDFium: {exc})") from None
    return out
