"""PDFs that other readers open, planwh opens (issue #11 item 6).

tests/fixtures/plans/linearized/ (tools/make_linearized_pdf.py) holds a plan
fixture rewritten as Acrobat-style "fast web view" output: linearized, with a
cross-reference stream, a startxref a few bytes off and 2 KiB after ``%%EOF``.
pdfminer refuses it ("No /Root object"); PDFium opens it, so planwh must read it
through a PDFium re-save and give the source fixture's gold records.
"""

from __future__ import annotations

import json

import pdfplumber
import pypdfium2
import pytest

from extractors.pdf_tables import read_pdf
from extractors.plans import extract_plan
from extractors.records import UnreadableDocument
from tests.helpers import FIXTURES

PLANS = FIXTURES / "plans"
LINEARIZED = PLANS / "linearized" / "养老服务体系建设绩效规划_linearized.pdf"
SOURCE = PLANS / "养老服务体系建设绩效规划.pdf"

CONTENT = ("source_table", "source_row", "source_page", "section", "task_no", "task_name",
           "indicator_name", "year", "scope", "target_text", "comparator", "target_unit")


def test_fixture_is_what_it_claims():
    data = LINEARIZED.read_bytes()
    assert b"/Linearized 1" in data[:200]
    assert b"/Type /XRef" in data and b"trailer" not in data
    assert len(data) - (data.rindex(b"%%EOF") + 5) > 1000  # bytes after %%EOF
    with pytest.raises(Exception, match="Root"):  # pdfminer refuses it ...
        with pdfplumber.open(LINEARIZED) as pdf:
            pdf.pages  # noqa: B018
    assert len(pypdfium2.PdfDocument(str(LINEARIZED))) == 4  # ... PDFium does not


def test_linearized_pdf_with_trailing_bytes_reads_like_its_source():
    gold = [json.loads(line) for line in
            (PLANS / f"{SOURCE.name}.gold.jsonl").read_text(encoding="utf-8").splitlines() if line]
    doc = extract_plan(LINEARIZED)
    got = [{k: getattr(r, k) for k in CONTENT} for r in doc.records]
    assert got == [{k: g.get(k) for k in CONTENT} for g in gold]
    assert doc.pages == 4
    assert any("PDFium" in w and "Root" in w for w in doc.warnings)


def test_a_file_no_library_opens_is_corrupt(tmp_path):
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\n" + b"\x00garbage" * 200 + b"\n%%EOF\n")
    with pytest.raises(UnreadableDocument, match="corrupt PDF"):
        read_pdf(bad)


def test_pdfium_readable_but_unrepairable_says_corrupt_with_both_reasons(tmp_path, monkeypatch):
    """When the PDFium copy is refused too, the message names both failures."""
    import extractors.pdf.reader as reader
    from extractors.pdf.open import Refused

    def refuse(*_a, **_k):
        raise Refused("PSSyntaxError: broken")

    # every page read (serial or in parallel page ranges) goes through this entry point
    monkeypatch.setattr(reader, "read_pages_parallel", refuse)
    with pytest.raises(UnreadableDocument, match="even after repair by PDFium"):
        read_pdf(SOURCE)


def test_an_error_while_reading_a_page_is_retried_on_the_pdfium_copy(tmp_path):
    """pdfminer may fail on a broken object only when a page is read: the file is then
    re-saved by PDFium and read again, and called corrupt only if that fails too."""
    from extractors.pdf import Predicates
    from extractors.pdf import read_pdf as bare_read_pdf
    from extractors.pdf_tables import PLAN

    calls = []

    def failing_heading(text: str) -> bool:
        calls.append(text)
        raise ValueError("broken object")

    broken = Predicates(PLAN.is_plan_table, failing_heading, PLAN.opens_table)
    with pytest.raises(UnreadableDocument, match="page 1: ValueError.*even after repair"):
        bare_read_pdf(SOURCE, broken)
    assert calls  # read twice: the file, then its PDFium copy
