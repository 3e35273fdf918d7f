"""Data Docs once per suite and run (expectations/runner.py): keyed validations (one per
plan file) are stored, and one site shows them all, rendered incrementally."""

from __future__ import annotations

from expectations.runner import build_site, files_site, run_suite, write_data_docs
from tests.test_expectations import target, targets_frame


def pages(site):
    return sorted(p.relative_to(site).parts[2] for p in (site / "validations").rglob("*.html"))


def test_one_site_many_validations(tmp_path):
    docs = tmp_path / "docs"
    results = {k: run_suite("targets", targets_frame(target(year=y)), docs_dir=docs, docs_key=k)
               for k, y in (("a.docx", 2030), ("规划 b.pdf", 2018), ("c.docx", 2019))}
    site = files_site(docs, "targets")
    # stored, not rendered: the link every check carries names the one site
    assert {r.docs_path for r in results.values()} == {str(site.resolve() / "index.html")}
    assert not site.exists()

    index = build_site("targets", docs)
    assert index == site.resolve() / "index.html" and index.exists()
    assert pages(site) == ["a.docx", "c.docx", "规划_b.pdf"]
    assert [p.name for p in docs.iterdir() if not p.name.startswith(".")] == [site.name]
    html = index.read_text(encoding="utf-8")
    assert all(k in html for k in ("a.docx", "c.docx"))
    a_page = next((site / "validations").rglob("a.docx/*/*.html"))
    assert "year_in_plan_period" in a_page.read_text(encoding="utf-8")


def test_only_new_validations_are_rendered_and_deleted_keys_leave(tmp_path):
    docs = tmp_path / "docs"
    for k in ("a.docx", "b.docx", "c.docx"):
        run_suite("targets", targets_frame(target()), docs_dir=docs, docs_key=k)
    site = files_site(docs, "targets")
    build_site("targets", docs)
    page_of = {k: next((site / "validations").rglob(f"{k}/*/*.html")) for k in ("a.docx", "b.docx")}
    a_mtime = page_of["a.docx"].stat().st_mtime_ns

    assert build_site("targets", docs) is not None  # nothing new: nothing rendered
    assert page_of["a.docx"].stat().st_mtime_ns == a_mtime

    run_suite("targets", targets_frame(target(year=2030)), docs_dir=docs, docs_key="b.docx")
    build_site("targets", docs, keys=["a.docx", "b.docx"])  # c.docx was deleted
    assert pages(site) == ["a.docx", "b.docx"]
    assert page_of["a.docx"].exists() and page_of["a.docx"].stat().st_mtime_ns == a_mtime
    assert not page_of["b.docx"].exists()  # replaced by the new validation's page
    [b_page] = (site / "validations").rglob("b.docx/*/*.html")
    assert "year_in_plan_period" in b_page.read_text(encoding="utf-8")
    assert "c.docx" not in (site / "index.html").read_text(encoding="utf-8")


def test_sites_of_one_per_key_are_replaced(tmp_path):
    docs = tmp_path / "docs"
    res = run_suite("targets", targets_frame(target()), docs_dir=docs, docs_key="a.docx")
    old = write_data_docs(res, docs, key="a.docx")  # an earlier version's per-plan site
    assert old.exists()
    build_site("targets", docs)
    assert not old.parent.exists() and files_site(docs, "targets").exists()


def test_nothing_stored_builds_nothing(tmp_path):
    assert build_site("targets", tmp_path / "docs") is None
