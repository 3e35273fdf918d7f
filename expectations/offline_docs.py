"""Great Expectations Data Docs that work without a network.

GX's page templates load jQuery, Bootstrap, bootstrap-table, Font Awesome,
Vega and a few more from CDNs; offline, a site's index lists nothing (its
tables are drawn by bootstrap-table) and the status icons are gone. Offices
that run planwh often have no internet, so :func:`make_offline` rewrites a
built site:

- jQuery, Bootstrap 4 (its bundle carries Popper) and Font Awesome (with its
  web fonts) are copied from the maintained XStatic packages on PyPI into
  ``<site>/static/vendor/`` and every page points there (relative links, so the
  site can be moved or mailed as a folder);
- bootstrap-table has no PyPI package: a small renderer of our own
  (:data:`TABLE_JS`, ~50 lines) draws the same ``columns``/``data`` the pages hand
  to ``$(..).bootstrapTable`` as a plain Bootstrap table, rows clickable when GX
  makes them links (the index);
- GX's logo, fetched from its web-asset bucket, points at the copy GX ships in
  the site's own ``static/images``;
- every other remote ``<script>``/``<link>``/image (Vega, the date picker, the
  dark theme) is removed, so a page never asks the network.

Pure: no Dagster. ``make_offline`` is idempotent and returns what it did.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

VENDOR = "static/vendor"

# Remote URL (prefix) -> (xstatic module, file inside its data dir, local name under VENDOR)
_XSTATIC = [
    ("https://code.jquery.com/jquery-", "xstatic.pkg.jquery", "jquery.min.js", "jquery.min.js"),
    ("https://stackpath.bootstrapcdn.com/bootstrap/", "xstatic.pkg.bootstrap",
     "js/bootstrap.bundle.min.js", "bootstrap/js/bootstrap.bundle.min.js"),
    ("https://maxcdn.bootstrapcdn.com/bootstrap/", "xstatic.pkg.bootstrap",
     "css/bootstrap.min.css", "bootstrap/css/bootstrap.min.css"),
    ("https://cdnjs.cloudflare.com/ajax/libs/font-awesome/", "xstatic.pkg.font_awesome",
     "css/all.min.css", "font-awesome/css/all.min.css"),
]
# Popper comes inside Bootstrap's bundle; bootstrap-table's scripts are replaced by TABLE_JS.
_POPPER = "https://cdnjs.cloudflare.com/ajax/libs/popper.js/"
_TABLE_SCRIPT = "https://unpkg.com/bootstrap-table@"
TABLE_JS_NAME = "planwh-table.js"

TABLE_JS = r"""/* planwh: draws what GX hands to bootstrap-table ($(el).bootstrapTable({columns, data}))
   as a plain Bootstrap table, for Data Docs read without a network. */
(function ($) {
  if (!$ || $.fn.bootstrapTable) { return; }
  function cell(v) { return v === null || v === undefined ? "" : String(v); }
  $.fn.bootstrapTable = function (options) {
    if (typeof options === "string") { return this; }  // clearFilterControl, resetSearch, ...
    var opts = $.extend({}, this.data(), options || {});
    var columns = opts.columns || [];
    if (columns.length && Array.isArray(columns[0])) { columns = columns[columns.length - 1]; }
    var table = this.addClass("table table-sm table-hover").empty();
    var head = $("<tr>");
    columns.forEach(function (c) { head.append($("<th>").html(cell(c.title || c.field))); });
    table.append($("<thead>").append(head));
    var body = $("<tbody>");
    var rowAttributes = opts.rowAttributes;
    if (typeof rowAttributes === "string") { rowAttributes = window[rowAttributes]; }
    (opts.data || []).forEach(function (row, i) {
      var tr = $("<tr>");
      if (typeof rowAttributes === "function") { tr.attr(rowAttributes(row, i)); }
      else if (row._table_row_link_path) { tr.attr("data-href", row._table_row_link_path); }
      columns.forEach(function (c) { tr.append($("<td>").html(cell(row[c.field]))); });
      if (tr.data("href")) {
        tr.css("cursor", "pointer").on("click", function () {
          window.location = $(this).data("href");
        });
      }
      body.append(tr);
    });
    table.append(body);
    return this;
  };
})(window.jQuery);
"""

_TAG = re.compile(r"<(script|link)\b[^>]*?(?:src|href)\s*=\s*[\"'](https?://[^\"']+)[\"'][^>]*>"
                  r"(?:\s*</script>)?", re.IGNORECASE | re.DOTALL)
_IMG = re.compile(r"(<img\b[^>]*?\bsrc\s*=\s*)[\"'](https?://[^\"']+)[\"']", re.IGNORECASE)
_GX_ASSETS = "https://great-expectations-web-assets."
_GX_IMAGES = {"logo-long.png", "short-logo.png", "logo-long-vector.svg", "short-logo-vector.svg"}
_REMOTE_ATTR = re.compile(r"(?:src|href)\s*=\s*[\"']https?://", re.IGNORECASE)


@dataclass
class OfflineReport:
    pages: int = 0
    replaced: int = 0  # remote tags now pointing at a local copy
    removed: list[str] = field(default_factory=list)  # remote URLs with no local copy (dropped)


def _xstatic_dir(module: str) -> Path:
    import importlib

    return Path(importlib.import_module(module).BASE_DIR)


def copy_vendor(site: Path) -> Path:
    """Copy the XStatic files the pages use into ``site/static/vendor`` (idempotent)."""
    vendor = site / VENDOR
    for _, module, src, dst in _XSTATIC:
        target = vendor / dst
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(_xstatic_dir(module) / src, target)
    fonts = vendor / "font-awesome" / "webfonts"  # all.min.css asks for ../webfonts/*
    if not fonts.exists():
        shutil.copytree(_xstatic_dir("xstatic.pkg.font_awesome") / "webfonts", fonts)
    (vendor / TABLE_JS_NAME).write_text(TABLE_JS, encoding="utf-8")
    return vendor


def rewrite_page(text: str, prefix: str, report: OfflineReport | None = None) -> str:
    """``text`` with its remote scripts/styles pointing under ``prefix`` (the page's
    relative path to the vendor folder, ending in '/') or removed."""
    report = report if report is not None else OfflineReport()
    table_done = False

    def swap(m: re.Match) -> str:
        nonlocal table_done
        tag, url = m.group(1).lower(), m.group(2)
        for remote, _, _, local in _XSTATIC:
            if url.startswith(remote):
                report.replaced += 1
                if tag == "script":
                    return f'<script src="{prefix}{local}"></script>'
                return f'<link rel="stylesheet" href="{prefix}{local}">'
        if tag == "script" and url.startswith(_TABLE_SCRIPT) and not table_done:
            table_done = True
            report.replaced += 1
            return f'<script src="{prefix}{TABLE_JS_NAME}"></script>'
        if tag == "link" and "stylesheet" not in m.group(0).lower() \
                and "icon" not in m.group(0).lower():
            return m.group(0)  # <a>-like links are not fetched; only styles and icons are
        if not url.startswith(_POPPER) and url not in report.removed:
            report.removed.append(url)
        return ""

    text = _TAG.sub(swap, text)

    def image(m: re.Match) -> str:
        # GX's logo from its web-asset bucket: the same file ships in the site's static/images
        url = m.group(2)
        name = url.split("?")[0].rsplit("/", 1)[-1]
        if url.startswith(_GX_ASSETS) and name in _GX_IMAGES:
            report.replaced += 1
            return f'{m.group(1)}"{posixpath.normpath(prefix + "../images/" + name)}"'
        if url not in report.removed:
            report.removed.append(url)
        return f'{m.group(1)}""'

    return _IMG.sub(image, text)


def make_offline(site: str | Path) -> OfflineReport:
    """Rewrite every page of the Data Docs site under ``site`` (its index.html's folder)
    so that it loads nothing from the network."""
    site = Path(site)
    copy_vendor(site)
    report = OfflineReport()
    for page in sorted(site.rglob("*.html")):
        rel = os.path.relpath(site / VENDOR, page.parent).replace(os.sep, "/") + "/"
        text = page.read_text(encoding="utf-8")
        new = rewrite_page(text, rel, report)
        report.pages += 1
        if new != text:
            page.write_text(new, encoding="utf-8")
    return report


def remote_references(site: str | Path) -> list[tuple[str, str]]:
    """(page, tag) for every script/style/image of the site still loaded from the
    network; empty once :func:`make_offline` ran."""
    out = []
    for page in sorted(Path(site).rglob("*.html")):
        for m in re.finditer(r"<(script|link|img)\b[^>]*>", page.read_text(encoding="utf-8"),
                             re.IGNORECASE):
            tag = m.group(0)
            if _REMOTE_ATTR.search(tag) and (m.group(1).lower() != "link"
                                            or re.search(r"stylesheet|icon", tag, re.I)):
                out.append((str(page), tag))
    return out


def write_docs_home(docs_dir: str | Path) -> Path:
    """``docs_dir/index.html``: one line per Data Docs site under ``docs_dir`` (a suite,
    or a suite for one plan document), linking to its index. Plain HTML, no scripts."""
    import html

    docs = Path(docs_dir)
    sites = sorted(p.parent for p in docs.glob("*/index.html") if not p.parent.name.startswith("."))
    rows = "\n".join(
        f'<li><a href="{html.escape(s.name)}/index.html">{html.escape(s.name)}</a></li>'
        for s in sites
    )
    page = ("<!doctype html><html><head><meta charset='utf-8'><title>planwh Data Docs</title>"
            "<style>body{font-family:sans-serif;margin:2em}</style></head><body>"
            "<h1>planwh Data Docs</h1><p>One Great Expectations site per suite "
            "(<code>targets--FILE</code>: the plan document FILE).</p>"
            f"<ul>\n{rows}\n</ul></body></html>")
    out = docs / "index.html"
    out.write_text(page, encoding="utf-8")
    return out
