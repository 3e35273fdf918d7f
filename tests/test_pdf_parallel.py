"""Big PDFs on every core (extractors/pdf/parallel.py): a PDF read with its pages in
parallel worker processes gives exactly the records, warnings, title and page count of the
serial read, on every multi-page fixture PDF (with the threshold lowered so that they are
split, into 2 and 3 ranges) and on a generated 60+ page PDF at the default threshold."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pypdfium2
import pytest

from extractors.pdf.parallel import MIN_PAGES_ENV, WORKERS_ENV, page_ranges
from extractors.plans import extract_plan

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "plans"


def _pages(path: Path) -> int:
    doc = pypdfium2.PdfDocument(path)
    try:
        return len(doc)
    finally:
        doc.close()


MULTI_PAGE = sorted(p for p in FIXTURES.rglob("*.pdf") if _pages(p) >= 2)


def _producer(path: Path) -> str:
    """Who wrote the PDF: LibreOffice, a linearizer, else reportlab (tools/make_*.py)."""
    folder = path.relative_to(FIXTURES).parts[0]
    return folder if folder in ("libreoffice", "linearized") else "reportlab"


def _tiered(paths: list[Path]) -> list:
    """One PDF a producer (its fewest pages, at least 3, then its smallest) in the fast
    tier; the others in the slow tier, which ``make test`` runs too."""
    quick = {}
    for p in sorted(paths, key=lambda p: (_pages(p) < 3, _pages(p), p.stat().st_size)):
        quick.setdefault(_producer(p), p)
    return [pytest.param(p, id=str(p.relative_to(FIXTURES)),
                         marks=() if p in quick.values() else pytest.mark.slow)
            for p in paths]


TIERED = _tiered(MULTI_PAGE)


def _read(path: Path, monkeypatch, workers: int, min_pages: int | None = None):
    monkeypatch.setenv(WORKERS_ENV, str(workers))
    if min_pages is None:
        monkeypatch.delenv(MIN_PAGES_ENV, raising=False)
    else:
        monkeypatch.setenv(MIN_PAGES_ENV, str(min_pages))
    try:
        doc = extract_plan(path)
    except Exception as exc:  # noqa: BLE001 - the same failure either way is equal too
        return ("error", type(exc).__name__, str(exc))
    return ("ok", doc.title, doc.period_start, doc.period_end, doc.pages, doc.tables_found,
            list(doc.warnings), [r.to_dict() for r in doc.records])


def test_page_ranges_cover_every_page_once():
    assert page_ranges(10, 3) == [(1, 4), (5, 7), (8, None)]
    assert page_ranges(2, 5) == [(1, 1), (2, None)]
    assert page_ranges(7, 1) == [(1, None)]


def test_there_are_multi_page_fixtures():
    assert len(MULTI_PAGE) >= 5, MULTI_PAGE


@pytest.mark.parametrize("path", TIERED)
def test_parallel_read_equals_serial_read(path, monkeypatch):
    serial = _read(path, monkeypatch, workers=1)
    assert _read(path, monkeypatch, workers=2, min_pages=2) == serial
    if _pages(path) >= 3:
        assert _read(path, monkeypatch, workers=3, min_pages=2) == serial


@pytest.mark.slow
def test_generated_long_pdf_is_read_in_parallel_with_the_same_records(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("bench_extract", ROOT / "bench" / "extract.py")
    bx = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bx)
    pdf = bx.generate(64, "parallel_test_64p", ("pdf",), out=tmp_path)["pdf"]
    n = _pages(pdf)
    assert n >= 60

    import extractors.pdf.parallel as par

    forks = []
    real_fork = par._fork
    monkeypatch.setattr(par, "_fork", lambda *a: forks.append(a[-2:]) or real_fork(*a))
    serial = _read(pdf, monkeypatch, workers=1)
    assert forks == []
    parallel = _read(pdf, monkeypatch, workers=2)  # the default threshold: 40 pages
    assert forks, "a 60+ page PDF was not read in parallel"
    assert parallel == serial
    assert serial[0] == "ok" and len(serial[-1]) > 100


@pytest.mark.slow  # over a second: make test only
@pytest.mark.parametrize("path", TIERED)
def test_page_tables_before_stitching_are_the_same(path, monkeypatch):
    """Each page table's section and context (which come from headings on earlier pages)
    and every other field, compared before stitching hides them."""
    from extractors.pdf.open import Refused
    from extractors.pdf.page import read_pages
    from extractors.pdf.parallel import read_pages_parallel
    from extractors.pdf.settings import PdfSettings
    from extractors.pdf_tables import PLAN

    monkeypatch.setenv(MIN_PAGES_ENV, "2")
    s, n = PdfSettings(), _pages(path)
    for strategy in ("lines", "text"):
        warnings: list[str] = []
        try:
            tables, state = read_pages(path, path.name, strategy, warnings, s, PLAN)
        except Refused:  # pdfminer refuses the file (read_pdf repairs it first): both do
            with pytest.raises(Refused):
                read_pages_parallel(path, path.name, strategy, [], s, PLAN, n, 2)
            continue
        for workers in (2, 3):
            w2: list[str] = []
            t2, st2 = read_pages_parallel(path, path.name, strategy, w2, s, PLAN, n, workers)
            assert t2 == tables and w2 == warnings
            assert (st2.section, st2.context, st2.first_lines, st2.text_pages) == \
                   (state.section, state.context, state.first_lines, state.text_pages)


def test_an_error_in_a_page_worker_is_raised_here_as_it_was(monkeypatch):
    """A reader error in a forked range (not the one read in this process) comes back
    with its class, file, reason and location."""
    import extractors.pdf.parallel as par
    from extractors.pdf.settings import PdfSettings
    from extractors.pdf_tables import PLAN
    from extractors.records import UnreadableDocument

    path = max(MULTI_PAGE, key=_pages)
    real = par._read_range

    def failing(path, source, strategy, s, p, first, last):
        if first > 1:
            raise UnreadableDocument(source, "boom", f"page {first}")
        return real(path, source, strategy, s, p, first, last)

    monkeypatch.setattr(par, "_read_range", failing)
    monkeypatch.setenv(MIN_PAGES_ENV, "2")
    with pytest.raises(UnreadableDocument) as err:
        par.read_pages_parallel(path, path.name, "lines", [], PdfSettings(), PLAN,
                                _pages(path), 2)
    assert (err.value.source_file, err.value.reason) == (path.name, "boom")
    assert err.value.location.startswith("page ")
