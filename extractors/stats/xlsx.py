"""XLSX workbooks: every sheet as a grid; DTDs refused; uncomputed formulas
found by a streaming parse of the sheet parts."""

from __future__ import annotations

import re
from pathlib import Path

from extractors.records import UnreadableStatsFile
from extractors.stats.grid import Grid, _cell_text, _small_grid
from extractors.stats.header import _column_letter


def _xlsx_grids(path: Path) -> list[Grid]:
    import zipfile

    import openpyxl

    try:  # openpyxl's parser would expand entities: refuse a DTD before it reads
        with zipfile.ZipFile(path) as z:
            for name in z.namelist():
                if name.endswith((".xml", ".rels")):
                    with z.open(name) as f:
                        _refuse_dtd(f.read(PROLOG_BYTES), name, path.name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError):
        pass  # reported below, as not a readable workbook
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # corrupt zip, not a workbook, encrypted
        raise UnreadableStatsFile(path.name, f"not a readable XLSX workbook: {e}") from None
    grids = []
    try:
        for ws in wb.worksheets:
            grids.append(_small_grid(ws.title, _sheet_rows(ws, path.name)))
    finally:
        wb.close()
    _show_uncomputed_formulas(path, grids)
    return grids


MAX_SHEET_CELLS = 5_000_000  # cells (up to each row's last non-empty one) read per sheet


def _sheet_rows(ws, source: str) -> list[list[str]]:
    """A sheet's rows as text, bounded by the cells actually present: the
    declared dimension (``A1:XFD1048576``) is ignored, each row ends at its
    last non-empty cell, and a sheet of more than MAX_SHEET_CELLS cells is
    refused (UnreadableStatsFile) instead of filling memory."""
    ws.reset_dimensions()
    rows: list[list[str]] = []
    cells = 0
    for row in ws.iter_rows(min_row=1):
        texts = [_cell_text(c.value, getattr(c, "number_format", None)) for c in row]
        while texts and not texts[-1]:
            texts.pop()
        cells += max(len(texts), 1)
        if cells > MAX_SHEET_CELLS:
            raise UnreadableStatsFile(
                source,
                f"sheet {ws.title} holds more than {MAX_SHEET_CELLS:,} cells (up to row "
                f"{len(rows) + 1}): beyond the statistics reader's budget; split the workbook",
            )
        rows.append(texts)
    while rows and not rows[-1]:
        rows.pop()
    return rows


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[ >/]")


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


_DOC_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


_CELL_REF_RE = re.compile(r"([A-Z]{1,3})(\d+)")


def _zip_xml(z, name: str, source: str):
    """One small package part (workbook.xml, its rels) parsed safely."""
    from lxml import etree

    from extractors.docx_tables import SAFE_XML_OPTIONS

    data = z.read(name)  # _xlsx_grids refused any part with a DTD before
    try:
        root = etree.fromstring(data, etree.XMLParser(**SAFE_XML_OPTIONS))
    except etree.XMLSyntaxError as e:
        raise UnreadableStatsFile(source, f"XLSX part {name} is not well-formed XML ({e.msg})") from None
    return root


_ROOT_START = re.compile(rb"<[A-Za-z_]")


def _refuse_dtd(head: bytes, name: str, source: str) -> None:
    """Refuse a part whose prolog (before the root element) declares a DTD
    or entities, in any encoding: UTF-16/32 parts are checked with their
    zero bytes removed (the markup is ASCII)."""
    for text in (head.lstrip(b"\xef\xbb\xbf"), head.replace(b"\x00", b"")):
        root = _ROOT_START.search(text)
        prolog = text[: root.start()] if root else text
        if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
            raise UnreadableStatsFile(
                source, f"XLSX part {name} declares a DTD or entities (refused)"
            )
        if root is None and len(head) >= PROLOG_BYTES:
            raise UnreadableStatsFile(
                source, f"XLSX part {name} has no root element in its first {PROLOG_BYTES} bytes"
            )


PROLOG_BYTES = 1 << 16


def _worksheet_parts(z, source: str) -> dict[str, str]:
    """Sheet name -> its XML part, from xl/workbook.xml and its rels (the
    part names need not follow the sheet order)."""
    import posixpath

    names = set(z.namelist())
    if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
        return {}
    targets = {}
    for rel in _zip_xml(z, "xl/_rels/workbook.xml.rels", source).iter(f"{_REL_NS}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") == "External":
            continue
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        targets[rel.get("Id")] = part
    parts = {}
    for sheet in _zip_xml(z, "xl/workbook.xml", source).iter(f"{_SHEET_NS}sheet"):
        part = targets.get(sheet.get(_DOC_REL_ID))
        if part in names and sheet.get("name") is not None:
            parts[sheet.get("name")] = part
    return parts


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _uncomputed_formulas(z, part: str, source: str) -> list[tuple[int, int, str]]:
    """(row, column, formula) of the cells of one worksheet part (1-based)
    that have a formula and no computed value, read by a streaming parse that
    keeps only those cells.

    Uncomputed: an ``<f>`` without a ``<v>``, or with an empty ``<v>`` in a
    cell that is not of string type (openpyxl writes ``<f>…</f><v></v>``).
    Excel stores an empty text result (``=IF(x,"",…)``) as ``t="str"`` with
    an empty ``<v>``: a computed blank, so a missing figure, not an issue."""
    from lxml import etree

    from extractors.docx_tables import SAFE_XML_OPTIONS

    found: list[tuple[int, int, str]] = []
    shared: dict[str, tuple[str, str]] = {}  # si -> (master formula, master cell)
    row_tag, cell_tag = f"{_SHEET_NS}row", f"{_SHEET_NS}c"
    f_tag, v_tag = f"{_SHEET_NS}f", f"{_SHEET_NS}v"
    r = 0
    with z.open(part) as f:
        # one event per row (not per cell): the rows without a formula cost
        # one C-level search; each row is dropped once read
        rows = etree.iterparse(f, events=("end",), tag=row_tag, **SAFE_XML_OPTIONS)
        try:
            for _, row in rows:
                r = int(row.get("r") or r + 1)
                if row.find(f"{cell_tag}/{f_tag}") is not None:
                    c = 0
                    for cell in row.iterchildren(cell_tag):
                        ref = cell.get("r")
                        m = _CELL_REF_RE.fullmatch(ref) if ref else None
                        c = _column_index(m.group(1)) if m else c + 1
                        formula = cell.find(f_tag)
                        if formula is None:
                            continue
                        text = formula.text or ""
                        si = formula.get("si")
                        if formula.get("t") == "shared" and si is not None:
                            here = f"{_column_letter(c - 1)}{r}"
                            if text:
                                shared[si] = (text, here)
                            elif si in shared:
                                from openpyxl.formula.translate import Translator

                                master, origin = shared[si]
                                text = Translator(f"={master}", origin).translate_formula(here)[1:]
                        value = cell.find(v_tag)
                        if value is None or (not value.text and cell.get("t") not in ("str", "inlineStr")):
                            found.append((r, c, f"={text}"))
                row.clear()
                while row.getprevious() is not None:
                    del row.getparent()[0]
        except etree.XMLSyntaxError as e:
            raise UnreadableStatsFile(source, f"XLSX part {part} is not well-formed XML ({e.msg})") from None
    return found


MAX_FORMULA_COLUMN = 1024  # an uncomputed formula farther right is not padded to


def _show_uncomputed_formulas(path: Path, grids: list[Grid]) -> None:
    """A formula cell holds no value when the program that wrote the file did
    not compute it (openpyxl, many exporters): give such cells the formula's
    text, so they become issues instead of silently missing figures. Only the
    worksheet parts that contain a formula tag are parsed, once, streaming."""
    import zipfile

    by_title = {g.sheet: g for g in grids}
    with zipfile.ZipFile(path) as z:
        for title, part in _worksheet_parts(z, path.name).items():
            grid = by_title.get(title)
            if grid is None or grid.rows is None or not _part_has_formulas(z, part):
                continue
            for r, c, formula in _uncomputed_formulas(z, part, path.name):
                if r > len(grid.rows) or c > MAX_FORMULA_COLUMN:
                    continue
                row = grid.rows[r - 1]
                if c > len(row):  # rows end at their last value: an empty formula cell is past it
                    row.extend([""] * (c - len(row)))
                if row[c - 1] == "":
                    row[c - 1] = formula


def _part_has_formulas(z, part: str) -> bool:
    with z.open(part) as f:
        tail = b""
        while chunk := f.read(1 << 20):
            if _FORMULA_TAG.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False
