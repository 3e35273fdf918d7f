"""PDFs exported by LibreOffice (tools/make_libreoffice_pdfs.py) read like their DOCX.

Our own fixture PDFs are drawn by reportlab; real plans are exported by office
suites, which repeat headers, wrap rows over pages and wrap numbers in narrow
columns their own way. Every record must come out the same as from the DOCX the
PDF was rendered from: all fields but the file, page and extraction method.
"""

from pathlib import Path

import pytest

from tests.helpers import FIXTURES, RAW, extracted

LO_DIR = FIXTURES / "plans" / "libreoffice"
PAIRS = [
    (pdf, next(p for p in [FIXTURES / "plans" / f"{pdf.stem}.docx", RAW / "plans" / f"{pdf.stem}.docx",
                           LO_DIR / "sources" / f"{pdf.stem}.docx"] if p.exists()))
    for pdf in sorted(LO_DIR.glob("*.pdf"))
]


def content(path: Path) -> list[tuple]:
    return [
        (r.source_table, r.source_row, r.section, r.task_no, r.task_name, r.indicator_name,
         r.year, r.scope, r.target_text, r.comparator, r.target_value, r.target_value_high,
         r.target_unit, r.baseline_value, r.baseline_year, r.binding, r.indicator_unit)
        for r in extracted(path).records
    ]


def test_every_docx_fixture_has_a_libreoffice_rendering():
    assert len(PAIRS) >= 8
    assert any(p.stem == "three_line_table" for p, _ in PAIRS)  # no vertical rules


@pytest.mark.parametrize("pdf,docx", PAIRS, ids=[p.stem for p, _ in PAIRS])
def test_libreoffice_pdf_reads_like_its_docx(pdf, docx):
    expected = content(docx)
    got = content(pdf)
    assert expected, docx
    missing = [r for r in expected if r not in got]
    extra = [r for r in got if r not in expected]
    assert not missing and not extra, f"missing {missing[:3]}\nextra {extra[:3]}"
    assert got == expected  # same order too
    pages = {r.source_page for r in extracted(pdf).records}
    assert None not in pages and min(pages) >= 1
