"""`planwh check` writes its Data Docs to a folder of its own, offline."""

from __future__ import annotations

import argparse
import shutil

from expectations.offline_docs import remote_references
from tests.helpers import ROOT


def test_check_writes_its_own_offline_docs(tmp_path, monkeypatch, capsys):
    from planwh import check_cmd

    raw = tmp_path / "raw"
    shutil.copytree(ROOT / "raw", raw)
    pipeline_site = tmp_path / "data" / "docs" / "targets" / "index.html"
    pipeline_site.parent.mkdir(parents=True)
    pipeline_site.write_text("the pipeline's site")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANWH_DOCS_DIR", raising=False)
    check_cmd.run(argparse.Namespace(raw=str(raw)))
    out = capsys.readouterr().out
    own = tmp_path / "data" / "docs" / "check"
    sites = sorted(p.parent.name for p in own.glob("*/index.html"))
    assert "targets" in sites and "district_stats" in sites
    assert pipeline_site.read_text() == "the pipeline's site"  # untouched
    assert f"Data Docs: {own.resolve()}" in out
    assert remote_references(own) == []
    assert (own / "index.html").is_file()
