"""PDF -> table grids (merged cells rebuilt, continued tables stitched), headings, title.

In the style of pdfplumber's ``table.py``: one settings dataclass holds every
tolerance (``settings.PdfSettings``) and small functions are chained input ->
output, one step per module:

- ``open``: the text-layer check (PDFium) and the PDFium repair of files pdfminer refuses;
- ``chars``: characters -> tables, (cid:N) glyphs, superscript digits;
- ``grid``: pdfplumber's cell rectangles -> grids with merged cells, text filled in;
- ``lines``: text outside tables -> lines, running heads, headings, title;
- ``three_line``: tables drawn with horizontal rules only, read by text alignment;
- ``page``: one page -> its tables with what lies between them;
- ``stitch``: page tables -> document tables (``extractors.continuation``);
- ``reader``: ``read_pdf``.

Plan meaning (is this a plan table, a heading, a header row) is passed in as
``settings.Predicates``; ``extractors.pdf_tables`` binds it to ``extractors.layouts``.
"""

from extractors.pdf.reader import PdfContent, read_pdf
from extractors.pdf.settings import NO_MEANING, PdfSettings, Predicates

__all__ = ["NO_MEANING", "PdfContent", "PdfSettings", "Predicates", "read_pdf"]
