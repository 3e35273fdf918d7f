"""DOCX -> table grids (merged cells resolved), paragraphs, headings and title.

One lxml pass over the main document part, read from the zip by hand so that
its uncompressed size is bounded and the XML parser never resolves entities
(nor reads a DTD, in whatever encoding the part is written). Spans are bounded
by the table present. A Word table continuing the one before it (a plan table
written as two Word tables) is joined to it by ``extractors.continuation``.
``Row.cells`` in python-docx rebuilds the grid on each call; this does not.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lxml import etree

from extractors.continuation import Part, StitchSettings, append, decide, is_continued_label
from extractors.layouts import detect_layout, is_section_heading
from extractors.records import GridCell, TableGrid, UnreadableDocument
from extractors.text import SUPERSCRIPT_DIGITS, normalise_text

MAX_UNCOMPRESSED = 200 * 1024 * 1024  # bytes, whole archive and any one part
# rows x grid columns of one table: far above any plan (Word allows 63 columns), far
# below what exhausts memory (a compressed part can declare a million <w:gridCol/>)
MAX_GRID_POSITIONS = 2_000_000
_CHUNK = 1 << 20

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
R_OFFICE_DOC = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument",
    "http://purl.oclc.org/ooxml/officeDocument/relationships/officeDocument",
)


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


W_P, W_TBL, W_TR, W_TC, W_T = _w("p"), _w("tbl"), _w("tr"), _w("tc"), _w("t")
W_TAB, W_BR, W_CR, W_SDT, W_SDTCONTENT = _w("tab"), _w("br"), _w("cr"), _w("sdt"), _w("sdtContent")
W_CUSTOMXML, W_VAL = _w("customXml"), _w("val")
W_NOBREAKHYPHEN = _w("noBreakHyphen")
W_TCPR, W_GRIDSPAN, W_VMERGE = _w("tcPr"), _w("gridSpan"), _w("vMerge")
W_TRPR, W_GRIDBEFORE, W_GRIDAFTER = _w("trPr"), _w("gridBefore"), _w("gridAfter")
W_RPR, W_VERTALIGN = _w("rPr"), _w("vertAlign")
_TEXT_TAGS = (W_T, W_TAB, W_BR, W_CR, W_NOBREAKHYPHEN)
# subtrees whose text is not part of the paragraph flow (or duplicated)
_STRIP = (_w("txbxContent"), _w("delText"), _w("instrText"), f"{{{MC}}}Fallback")

_HEADING_NAME = re.compile(r"^(heading|标题)\s*\d$", re.IGNORECASE)
_TITLE_NAME = re.compile(r"^(title|标题)$", re.IGNORECASE)


@dataclass
class DocxContent:
    """What a DOCX holds for plan extraction."""

    tables: list[TableGrid]
    paragraphs: list[str] = field(default_factory=list)  # normalised, non-empty, body order
    title: str | None = None
    warnings: list[str] = field(default_factory=list)  # for the plan reader's ingest issues


@dataclass(frozen=True)
class _Style:
    name: str
    outline: int | None
    based_on: str | None


# --------------------------------------------------------------------------- zip


# No DTD, no entities, no network, no huge trees: for every XML part planwh parses.
SAFE_XML_OPTIONS = {"resolve_entities": False, "no_network": True, "load_dtd": False,
                    "huge_tree": False}


def _parser() -> etree.XMLParser:
    return etree.XMLParser(**SAFE_XML_OPTIONS)


def _read_member(zf: zipfile.ZipFile, name: str, source: str) -> bytes:
    """Read one zip member, refusing to inflate more than the bound (lying headers too)."""
    out = bytearray()
    with zf.open(name) as fh:
        while chunk := fh.read(_CHUNK):
            out += chunk
            if len(out) > MAX_UNCOMPRESSED:
                raise UnreadableDocument(
                    source, f"DOCX part {name} inflates beyond {MAX_UNCOMPRESSED >> 20} MB (zip bomb?)"
                )
    return bytes(out)


_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"), (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le"), (b"\xef\xbb\xbf", "utf-8"),
    # no BOM: the first characters of "<?xml" tell the width and order (XML 1.0 App. F)
    (b"\x00\x00\x00<", "utf-32-be"), (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"), (b"<\x00?\x00", "utf-16-le"),
)
DTD_SCAN_BYTES = 16384


def declares_dtd(data: bytes) -> bool:
    """The XML document in ``data`` declares a DTD or entities, in whatever encoding it is
    written (UTF-8, UTF-16/32 with or without BOM, or an ASCII-compatible one):
    ``<!DOCTYPE`` can only come before the root element, near the start."""
    head = data[:DTD_SCAN_BYTES]
    encoding = next((enc for bom, enc in _BOMS if head.startswith(bom)), "latin-1")
    text = head.decode(encoding, errors="ignore").lstrip("\ufeff")
    return "<!DOCTYPE" in text or "<!ENTITY" in text


def _parse_xml(data: bytes, part: str, source: str) -> etree._Element:
    if declares_dtd(data):
        raise UnreadableDocument(source, f"DOCX part {part} declares a DTD or entities (refused)")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise UnreadableDocument(source, f"DOCX part {part} is not well-formed XML ({exc.msg})") from None
    if root.getroottree().docinfo.doctype:
        raise UnreadableDocument(source, f"DOCX part {part} declares a DTD or entities (refused)")
    return root


def _main_part(zf: zipfile.ZipFile, source: str) -> str:
    """Name of the main document part (word/document.xml unless the package says otherwise)."""
    names = set(zf.namelist())
    if "_rels/.rels" in names:
        rels = _parse_xml(_read_member(zf, "_rels/.rels", source), "_rels/.rels", source)
        for rel in rels:
            if rel.get("Type") in R_OFFICE_DOC:
                target = rel.get("Target", "").lstrip("/")
                if target in names:
                    return target
    if "word/document.xml" in names:
        return "word/document.xml"
    raise UnreadableDocument(source, "zip archive without a Word document part (not a DOCX)")


def _open_zip(path: Path, source: str) -> zipfile.ZipFile:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError) as exc:
        raise UnreadableDocument(source, f"corrupt or truncated DOCX ({exc})") from None
    declared = sum(i.file_size for i in zf.infolist())
    if declared > MAX_UNCOMPRESSED:
        zf.close()
        raise UnreadableDocument(
            source,
            f"DOCX too large uncompressed ({declared >> 20} MB > {MAX_UNCOMPRESSED >> 20} MB; zip bomb?)",
        )
    return zf


def _load_parts(path: Path, source: str) -> tuple[etree._Element, etree._Element | None]:
    zf = _open_zip(path, source)
    try:
        part = _main_part(zf, source)
        doc = _parse_xml(_read_member(zf, part, source), part, source)
        styles_name = str(PurePosixPath(part).parent / "styles.xml")
        styles = None
        if styles_name in zf.namelist():
            styles = _parse_xml(_read_member(zf, styles_name, source), styles_name, source)
        return doc, styles
    except (zipfile.BadZipFile, EOFError, OSError, RuntimeError) as exc:
        raise UnreadableDocument(source, f"corrupt or truncated DOCX ({exc})") from None
    finally:
        zf.close()


# --------------------------------------------------------------------------- styles


def _read_styles(styles: etree._Element | None) -> dict[str, _Style]:
    out: dict[str, _Style] = {}
    if styles is None:
        return out
    for st in styles.iter(_w("style")):
        sid = st.get(_w("styleId"))
        if not sid:
            continue
        name_el = st.find(_w("name"))
        lvl_el = st.find(f"{_w('pPr')}/{_w('outlineLvl')}")
        based_el = st.find(_w("basedOn"))
        out[sid] = _Style(
            name=(name_el.get(W_VAL, "") if name_el is not None else ""),
            outline=_int(lvl_el.get(W_VAL)) if lvl_el is not None else None,
            based_on=based_el.get(W_VAL) if based_el is not None else None,
        )
    return out


def _style_kind(style_id: str | None, styles: dict[str, _Style]) -> str | None:
    """'heading', 'title' or None for a paragraph style, following basedOn."""
    seen: set[str] = set()
    sid = style_id
    while sid and sid not in seen:
        seen.add(sid)
        st = styles.get(sid)
        name = st.name if st else ""
        if _TITLE_NAME.match(sid) or _TITLE_NAME.match(name):
            return "title"
        if _HEADING_NAME.match(sid) or _HEADING_NAME.match(name):
            return "heading"
        if st and st.outline is not None and st.outline < 9:
            return "heading"
        sid = st.based_on if st else None
    return None


def _int(v: str | None, default: int | None = None) -> int | None:
    try:
        return int(v) if v is not None else default
    except ValueError:
        return default


# --------------------------------------------------------------------------- text


def superscript_runs(root: etree._Element) -> set[etree._Element]:
    """The runs below ``root`` set in superscript (their first ``w:rPr``'s first
    ``w:vertAlign`` is ``superscript``): their digits are a footnote number
    (不低于4张¹), which :func:`_paragraph_raw` writes as superscript digits. One pass
    in C over ``root`` instead of a look at the properties of every run with digits.
    (lxml keeps one proxy per element while it is referenced: the set holds them, so
    ``t.getparent() in runs`` finds them.)"""
    runs: set[etree._Element] = set()
    for va in root.iter(W_VERTALIGN):
        if va.get(W_VAL) != "superscript":
            continue
        rpr = va.getparent()
        if rpr is None or rpr.tag != W_RPR or _child(rpr, W_VERTALIGN) is not va:
            continue
        run = rpr.getparent()
        if run is not None and _child(run, W_RPR) is rpr:
            runs.add(run)
    return runs


def _paragraph_raw(p: etree._Element, superscripts: set[etree._Element]) -> str:
    """A paragraph's text; digits of the ``superscripts`` runs as superscript digits,
    which the target grammar knows are no quantity."""
    parts: list[str] = []
    for el in p.iter(*_TEXT_TAGS):
        tag = el.tag
        if tag == W_T:
            text = el.text or ""
            if superscripts and el.getparent() in superscripts:
                text = text.translate(SUPERSCRIPT_DIGITS)
            parts.append(text)
        elif tag == W_TAB:
            parts.append("\t")
        elif tag == W_NOBREAKHYPHEN:
            parts.append("-")
        else:
            parts.append("\n")
    return "".join(parts)


def _cell_raw(tc: etree._Element, superscripts: set[etree._Element]) -> str:
    """Paragraphs of a cell, nested tables included, one per line."""
    return "\n".join([_paragraph_raw(p, superscripts) for p in tc.iter(W_P)])


def _paragraph_kind(p: etree._Element, styles: dict[str, _Style]) -> str | None:
    ppr = p.find(_w("pPr"))
    if ppr is None:
        return None
    lvl = ppr.find(_w("outlineLvl"))
    if lvl is not None and (_int(lvl.get(W_VAL), 9) or 0) < 9:
        return "heading"
    ps = ppr.find(_w("pStyle"))
    return _style_kind(ps.get(W_VAL) if ps is not None else None, styles)


# --------------------------------------------------------------------------- tables


def _row_cells(tr: etree._Element) -> list[etree._Element]:
    """Cells of a row, looking through content controls and custom XML wrappers."""
    cells: list[etree._Element] = []
    for child in tr:
        if child.tag == W_TC:
            cells.append(child)
        elif child.tag in (W_SDT, W_CUSTOMXML):
            for inner in child.iter(W_TC):
                if inner.getparent() is not None and _nearest_row(inner) is tr:
                    cells.append(inner)
    return cells


def _nearest_row(el: etree._Element) -> etree._Element | None:
    parent = el.getparent()
    while parent is not None and parent.tag != W_TR:
        parent = parent.getparent()
    return parent


def _child(el: etree._Element, tag: str) -> etree._Element | None:
    """First child with ``tag``, like ``el.find(tag)``.

    Cheap for tcPr/trPr, which come first when present: ``find`` goes through
    ElementPath's Python layer and every lxml iterator costs microseconds to set
    up, a lot over tens of thousands of cells.
    """
    if len(el) and el[0].tag == tag:
        return el[0]
    return next(el.iterchildren(tag), None)


def _tc_props(tc: etree._Element) -> tuple[int, str | None]:
    """(gridSpan, vMerge) of a cell; vMerge is 'restart', 'continue' or None."""
    pr = _child(tc, W_TCPR)
    if pr is None:
        return 1, None
    span_el = vm_el = None
    for el in pr:  # the first of each counts
        tag = el.tag
        if tag == W_GRIDSPAN:
            span_el = el if span_el is None else span_el
        elif tag == W_VMERGE and vm_el is None:
            vm_el = el
    span = max(1, _int(span_el.get(W_VAL), 1) or 1) if span_el is not None else 1
    vmerge = None if vm_el is None else (vm_el.get(W_VAL) or "continue")
    return span, vmerge


def _tr_skip(tr: etree._Element) -> tuple[int, int]:
    pr = _child(tr, W_TRPR)
    if pr is None:
        return 0, 0
    before = _child(pr, W_GRIDBEFORE)
    after = _child(pr, W_GRIDAFTER)
    return (
        (_int(before.get(W_VAL), 0) or 0) if before is not None else 0,
        (_int(after.get(W_VAL), 0) or 0) if after is not None else 0,
    )


def table_grid(tbl: etree._Element, table_index: int, warnings: list[str] | None = None,
               superscripts: set[etree._Element] | None = None) -> TableGrid:
    """A ``w:tbl`` as a rectangular grid with gridSpan/vMerge/gridBefore resolved.

    Spans and skips are bounded by the table actually present: no row is wider
    than the table's grid (``w:tblGrid``) or, without one, than its most cells in
    a row; a larger ``gridSpan``/``gridBefore``/``gridAfter`` (a 734-byte file can
    ask for two billion columns) is clamped, with a warning. ``superscripts``: the
    document's :func:`superscript_runs` (found in ``tbl`` when not given)."""
    if superscripts is None:
        superscripts = superscript_runs(tbl)
    n_grid = len(tbl.findall(f"{_w('tblGrid')}/{_w('gridCol')}"))
    trs = list(tbl.iterchildren(W_TR))
    row_cells = [_row_cells(tr) for tr in trs]
    limit = max(n_grid, max((len(cells) for cells in row_cells), default=0), 1)
    clamped: set[str] = set()

    def bounded(value: int, room: int, what: str) -> int:
        if value > room:
            clamped.add(what)
            return max(room, 0)
        return value

    specs: list[list[tuple[int, int, str | None, etree._Element]]] = []
    covered: list[tuple[int, int]] = []  # per row: the grid columns its cells cover
    width = n_grid
    for tr, cells in zip(trs, row_cells, strict=True):
        before, after = _tr_skip(tr)
        before = bounded(before, limit - len(cells), "gridBefore")
        col = before
        row: list[tuple[int, int, str | None, etree._Element]] = []
        for k, tc in enumerate(cells):
            span, vmerge = _tc_props(tc)
            # room for this cell: the cells after it keep one column each
            span = max(1, bounded(span, limit - col - (len(cells) - k - 1), "gridSpan"))
            row.append((col, span, vmerge, tc))
            col += span
        specs.append(row)
        covered.append((before, col))
        width = max(width, col + bounded(after, limit - col, "gridAfter"))
    if len(specs) * width > MAX_GRID_POSITIONS:
        raise UnreadableDocument(
            "", f"table {table_index} too large ({len(specs)} rows x {width} grid columns, "
                f"more than {MAX_GRID_POSITIONS:,} positions)")
    if clamped and warnings is not None:
        warnings.append(
            f"table {table_index}: {'/'.join(sorted(clamped))} wider than the table "
            f"({limit} grid columns) clamped to it"
        )
    rows: list[list[GridCell | None]] = [[None] * width for _ in specs]
    for r, row in enumerate(specs):
        grid_row = rows[r]
        for col, span, vmerge, tc in row:
            above = rows[r - 1][col] if r and vmerge == "continue" else None
            if above is not None and above.origin[1] == col and above.colspan == span:
                above.rowspan += 1
                cell = above
            else:
                raw = _cell_raw(tc, superscripts)
                cell = GridCell(normalise_text(raw), raw, (r, col), 1, span)
            grid_row[col : col + span] = [cell] * span
    # positions no cell covers (gridBefore/gridAfter, ragged rows) only now: a
    # vMerge continuation never merges into one of these placeholders
    for r, (first, end) in enumerate(covered):
        for c in (*range(first), *range(end, width)):
            rows[r][c] = GridCell("", "", (r, c))
    return TableGrid(rows=rows, table_index=table_index, strategy="docx")


# --------------------------------------------------------------------------- body


def _body_blocks(container: etree._Element):
    """Paragraphs and top-level tables in reading order (through sdt/customXml)."""
    for child in container:
        tag = child.tag
        if tag in (W_P, W_TBL):
            yield child
        elif tag == W_SDT:
            content = child.find(W_SDTCONTENT)
            if content is not None:
                yield from _body_blocks(content)
        elif tag == W_CUSTOMXML:
            yield from _body_blocks(child)


def table_edges(tbl: etree._Element) -> list[float]:
    """Column boundaries of a ``w:tbl`` in points, from its grid (``w:tblGrid`` widths,
    after the table's indent): the geometry continuations are matched on. Columns
    without a width count as 0 wide (the count of columns still tells)."""
    pr = _child(tbl, _w("tblPr"))
    ind = _child(pr, _w("tblInd")) if pr is not None else None
    x = (_int(ind.get(_w("w")), 0) or 0) / 20 if ind is not None else 0.0
    edges = [x]
    for col in tbl.iterfind(f"{_w('tblGrid')}/{_w('gridCol')}"):
        x += max(_int(col.get(_w("w")), 0) or 0, 0) / 20
        edges.append(x)
    return edges


def _join_paragraphs(target: GridCell, cell: GridCell) -> None:
    """Continue ``target`` with the text of ``cell`` (a row split over two Word tables)."""
    target.raw = f"{target.raw}\n{cell.raw}" if target.raw else cell.raw
    target.text = normalise_text(target.raw)


def opens_plan_table(row: list[str]) -> bool:
    """Plan meaning: the texts of one row are a plan table's header (the row, above a
    row of numbers standing in for data, reads as a plan table)."""
    if not any(row):
        return False
    head = [GridCell(t, t, (0, c)) for c, t in enumerate(row)]
    data = [GridCell("1", "1", (1, c)) for c in range(len(row))]
    return detect_layout(TableGrid([head, data], 0)) is not None


def read_docx(path: str | Path, opens_table=None,
              stitch: StitchSettings | None = None) -> DocxContent:
    """Tables (with section and context), paragraphs and title of a DOCX.

    A Word table that follows another with nothing but empty paragraphs, page or
    section breaks or a 续表 label between them, and has the same grid columns,
    continues it (``extractors.continuation``): one table, its rows numbered on.
    ``opens_table``: plan meaning, whether a row's texts are a table's own header
    (by default ``opens_plan_table``)."""
    path = Path(path)
    source = path.name
    opens = opens_table or opens_plan_table
    settings = stitch or StitchSettings()
    doc, styles_root = _load_parts(path, source)
    etree.strip_elements(doc, *_STRIP, with_tail=False)
    styles = _read_styles(styles_root)
    body = doc.find(_w("body"))
    if body is None:
        raise UnreadableDocument(source, "DOCX without a document body")
    superscripts = superscript_runs(body)
    tables: list[TableGrid] = []
    paragraphs: list[str] = []
    warnings: list[str] = []
    title: str | None = None
    section: str | None = None
    context: list[str] = []
    last: Part | None = None  # the last Word table read
    clear = False  # nothing but empty paragraphs/breaks/续表 since the last Word table
    n_word = 0
    for block in _body_blocks(body):
        if block.tag == W_TBL:
            n_word += 1
            try:
                grid = table_grid(block, len(tables), warnings, superscripts)
            except UnreadableDocument as exc:
                raise UnreadableDocument(source, exc.reason) from None
            part = Part(rows=grid.rows, edges=table_edges(block), where=f"Word table #{n_word}",
                        follows=clear and last is not None)
            d = decide(tables[-1], last, part, opens, settings) if last is not None else None
            if d is not None and d.warning:
                warnings.append(d.warning)
            if d is not None and d.join:
                append(tables[-1], part, d, _join_paragraphs)
            else:
                grid.section, grid.context = section, "\n".join(context)
                tables.append(grid)
                part = Part(rows=grid.rows, edges=table_edges(block), where=part.where)
            last, clear = part, True
            continue
        text = normalise_text(_paragraph_raw(block, superscripts))
        if not text:
            continue
        if not is_continued_label(text):
            clear = False
        kind = _paragraph_kind(block, styles)
        if kind == "title" and title is None and not tables:
            title = text
        elif kind == "heading" or is_section_heading(text):
            section, context = text, []
        else:
            context.append(text)
        paragraphs.append(text)
    if title is None and paragraphs:
        title = paragraphs[0]
    return DocxContent(tables=tables, paragraphs=paragraphs, title=title, warnings=warnings)
