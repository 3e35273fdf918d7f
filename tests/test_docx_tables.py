"""DOCX reader: merged cells, nested tables, headings, title, bounds on hostile XML."""

from __future__ import annotations

import zipfile

import docx
import pytest

import extractors.docx_tables as docx_tables
from extractors.docx_tables import read_docx
from extractors.plans import extract_plan
from extractors.records import UnreadableDocument

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
RELS = (
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
STYLES = (
    f'<w:styles xmlns:w="{W_NS}">'
    '<w:style w:type="paragraph" w:styleId="1"><w:name w:val="heading 1"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="a3"><w:name w:val="Title"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="Lvl"><w:name w:val="my level"/>'
    '<w:pPr><w:outlineLvl w:val="1"/></w:pPr></w:style>'
    '<w:style w:type="paragraph" w:styleId="Sub"><w:name w:val="sub"/><w:basedOn w:val="1"/></w:style>'
    "</w:styles>"
)


def p(text: str, style: str | None = None, outline: int | None = None) -> str:
    ppr = ""
    if style or outline is not None:
        ppr = "<w:pPr>" + (f'<w:pStyle w:val="{style}"/>' if style else "") + (
            f'<w:outlineLvl w:val="{outline}"/>' if outline is not None else "") + "</w:pPr>"
    runs = "".join(
        f"<w:r><w:t xml:space=\"preserve\">{part}</w:t></w:r>" + ("<w:r><w:br/></w:r>" if i < n else "")
        for parts in [text.split("\n")] for n in [len(parts) - 1] for i, part in enumerate(parts)
    )
    return f"<w:p>{ppr}{runs}</w:p>"


def tc(text: str = "", span: int = 1, vmerge: str | None = None, inner: str = "") -> str:
    pr = ""
    if span > 1 or vmerge:
        pr = "<w:tcPr>" + (f'<w:gridSpan w:val="{span}"/>' if span > 1 else "") + (
            ("<w:vMerge/>" if vmerge == "continue" else f'<w:vMerge w:val="{vmerge}"/>')
            if vmerge else "") + "</w:tcPr>"
    return f"<w:tc>{pr}{p(text)}{inner}</w:tc>"


def tr(*cells: str, before: int = 0, after: int = 0) -> str:
    pr = ""
    if before or after:
        pr = "<w:trPr>" + (f'<w:gridBefore w:val="{before}"/>' if before else "") + (
            f'<w:gridAfter w:val="{after}"/>' if after else "") + "</w:trPr>"
    return f"<w:tr>{pr}{''.join(cells)}</w:tr>"


def tbl(*rows: str, cols: int) -> str:
    grid = "<w:tblGrid>" + "<w:gridCol/>" * cols + "</w:tblGrid>"
    return f"<w:tbl>{grid}{''.join(rows)}</w:tbl>"


def write_docx(path, body: str, styles: bool = True, prolog: str = "") -> None:
    xml = f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CT)
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("word/document.xml", xml)
        if styles:
            zf.writestr("word/styles.xml", STYLES)


def texts(grid) -> list[list[str]]:
    return [[c.text for c in row] for row in grid.rows]


def test_gridspan_vmerge_gridbefore_after(tmp_path):
    f = tmp_path / "m.docx"
    write_docx(f, tbl(
        tr(tc("序号", vmerge="restart"), tc("年度目标", span=2), tc("备注")),
        tr(tc(vmerge="continue"), tc("2016年"), tc("2017年"), tc("")),
        tr(tc("1"), tc("不低于 4 张", span=2), after=1),
        tr(tc("x"), tc("y"), before=2),
        cols=4,
    ))
    (grid,) = read_docx(f).tables
    assert texts(grid) == [
        ["序号", "年度目标", "年度目标", "备注"],
        ["序号", "2016年", "2017年", ""],
        ["1", "不低于4张", "不低于4张", ""],
        ["", "", "x", "y"],
    ]
    rows = grid.rows
    assert rows[0][0] is rows[1][0] and rows[0][0].rowspan == 2 and rows[1][0].origin == (0, 0)
    assert rows[0][1] is rows[0][2] and rows[0][1].colspan == 2
    assert rows[2][1].raw == "不低于 4 张"  # raw kept, text normalised
    assert rows[3][0] is not rows[3][1] and rows[3][0].origin == (3, 0)  # gridBefore: own empty cells
    assert grid.strategy == "docx" and grid.row_pages is None and grid.page_of(0) is None


def test_nested_table_text_goes_into_its_cell(tmp_path):
    f = tmp_path / "n.docx"
    inner = tbl(tr(tc("内1"), tc("内2")), cols=2)
    write_docx(f, tbl(tr(tc("a"), tc("b", inner=inner)), tr(tc("c"), tc("d")), cols=2)
               + p("after") + tbl(tr(tc("t2")), cols=1))
    content = read_docx(f)
    assert len(content.tables) == 2  # the nested table is not counted
    assert [g.table_index for g in content.tables] == [0, 1]
    first = content.tables[0]
    assert first.n_rows == 2 and first.rows[0][1].text == "b内1内2"  # Latin|CJK break joined
    assert first.rows[0][1].raw == "b\n内1\n内2"


def test_headings_title_sections_and_context(tmp_path):
    f = tmp_path / "h.docx"
    write_docx(f, "".join([
        p("杭州市民政局“十三五”绩效管理规划", style="a3"),
        p("一、总体目标", style="1"),
        p("正文段落。"),
        tbl(tr(tc("t0")), cols=1),
        p("大养老体系", outline=1),
        tbl(tr(tc("t1")), cols=1),
        p("按样式的大纲级别", style="Lvl"),
        p("基于标题样式", style="Sub"),
        tbl(tr(tc("t2")), cols=1),
        p("1.构建事业产业协同发展的大养老体系"),
        p("指标内容：推动 养老服务 供给侧改革。"),
        p("1.分层分类加强社区养老服务设施建设，社区级照料中心重特色、强覆盖。"),
        tbl(tr(tc("t3")), cols=1),
    ]))
    content = read_docx(f)
    assert content.title == "杭州市民政局“十三五”绩效管理规划"
    assert [g.section for g in content.tables] == [
        "一、总体目标", "大养老体系", "基于标题样式", "1.构建事业产业协同发展的大养老体系"]
    assert content.tables[0].context == "正文段落。"
    assert content.tables[3].context.startswith("指标内容:推动养老服务供给侧改革。\n1.分层分类")
    assert content.paragraphs[0] == content.title


def test_title_falls_back_to_first_paragraph(tmp_path):
    f = tmp_path / "t.docx"
    write_docx(f, p("") + p("杭州市民政局  规划") + tbl(tr(tc("x")), cols=1), styles=False)
    assert read_docx(f).title == "杭州市民政局规划"


def test_python_docx_merges_read_exactly(tmp_path):
    d = docx.Document()
    d.add_heading("1.构建大养老体系", level=2)
    t = d.add_table(rows=4, cols=4)
    for r, row in enumerate([["序号", "工作任务", "年度目标", ""], ["", "", "2016年", "2017年"],
                             ["1", "养老", "不低于4张", "不低于5张"], ["", "", "达到90%", "达到95%"]]):
        for c, text in enumerate(row):
            if text:
                t.cell(r, c).text = text
    t.cell(0, 0).merge(t.cell(1, 0))
    t.cell(0, 1).merge(t.cell(1, 1))
    t.cell(0, 2).merge(t.cell(0, 3))
    t.cell(2, 0).merge(t.cell(3, 0))
    t.cell(2, 1).merge(t.cell(3, 1))
    f = tmp_path / "pd.docx"
    d.save(f)
    (grid,) = read_docx(f).tables
    expected = [[c.text for c in row.cells] for row in t.rows]
    assert texts(grid) == expected
    assert grid.section == "1.构建大养老体系"
    assert grid.rows[3][1] is grid.rows[2][1] and grid.rows[3][1].rowspan == 2


def test_external_entity_is_refused_and_not_leaked(tmp_path):
    f = tmp_path / "x.docx"
    prolog = '<!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
    write_docx(f, tbl(tr(tc("&x;")), cols=1), prolog=prolog)
    with pytest.raises(UnreadableDocument, match="DTD") as exc:
        read_docx(f)
    try:
        secret = open("/etc/hostname").read().strip()
    except OSError:
        secret = ""
    assert not secret or secret not in str(exc.value)


def test_uncompressed_size_is_bounded_while_reading(tmp_path, monkeypatch):
    f = tmp_path / "big.docx"
    write_docx(f, tbl(tr(tc("x" * 5000)), cols=1))
    monkeypatch.setattr(docx_tables, "MAX_UNCOMPRESSED", 2000)
    with pytest.raises(UnreadableDocument, match="zip bomb"):
        read_docx(f)


def test_not_a_docx_zip(tmp_path):
    f = tmp_path / "z.docx"
    with zipfile.ZipFile(f, "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(UnreadableDocument, match="not a DOCX"):
        extract_plan(f)


def _big_docx(path, rows: int) -> None:
    """A 10-column table, 序号 merged over pairs of rows (vMerge), python-docx readable."""
    body = [tr(tc("序号"), *[tc(f"列{c}") for c in range(9)])]
    for r in range(rows):
        first = tc(str(r), vmerge="restart") if r % 2 == 0 else tc(vmerge="continue")
        body.append(tr(first, *[tc("单元格文字" * 3) for _ in range(9)]))
    write_docx(path, tbl(*body, cols=10))


def test_big_merged_table_reads_like_python_docx(tmp_path):
    """Same grid as python-docx's own row.cells (which repeats vertically merged cells);
    speed against that loop is measured in bench/extract.py, not here."""
    f = tmp_path / "big.docx"
    _big_docx(f, 600)
    theirs = [[c.text for c in row.cells] for row in docx.Document(f).tables[0].rows]
    ours = read_docx(f).tables[0]
    assert ours.n_rows == len(theirs) == 601
    assert [[cell.text for cell in row] for row in ours.rows] == theirs


# --------------------------------------------------------------------------- issue #12: bounds


def _bounded_run(code: str, limit_mb: int = 600, timeout: float = 20):
    """Run ``code`` in a child with an address-space limit: a span that allocates its
    value's worth of columns dies there instead of taking the machine."""
    import resource
    import subprocess
    import sys

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))

    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=timeout, preexec_fn=limit)


@pytest.mark.parametrize("row", [
    tr(tc("a", span=2000000000), tc("b")),
    tr(tc("a"), tc("b"), before=2000000000),
    tr(tc("a"), tc("b"), after=2000000000),
], ids=["gridSpan", "gridBefore", "gridAfter"])
def test_huge_spans_are_clamped_to_the_table_with_a_warning(tmp_path, row):
    path = tmp_path / "span.docx"
    write_docx(path, tbl(tr(tc("序号"), tc("指标")), row, cols=2))
    assert path.stat().st_size < 2000
    code = ("from extractors.docx_tables import read_docx\n"
            f"d = read_docx({str(path)!r})\n"
            "g = d.tables[0]\n"
            "print(g.n_cols, '|'.join(c.text for c in g.rows[1]))\n"
            "print(d.warnings)\n")
    done = _bounded_run(code)
    assert done.returncode == 0, done.stderr[-500:]
    first, warnings = done.stdout.splitlines()
    n_cols, cells = first.split(" ", 1)
    assert int(n_cols) == 2
    assert "a" in cells.split("|")[0] or "a" in cells  # no text lost
    assert "b" in cells.split("|")
    assert "clamped" in warnings and "2 grid columns" in warnings


def test_spans_within_the_grid_give_no_warning(tmp_path):
    path = tmp_path / "ok.docx"
    write_docx(path, tbl(tr(tc("a", span=2), tc("b")), tr(tc("c"), tc("d"), tc("e")), cols=3))
    d = read_docx(path)
    assert d.warnings == []
    assert texts(d.tables[0]) == [["a", "a", "b"], ["c", "d", "e"]]


def test_span_warning_becomes_a_plan_warning(tmp_path):
    path = tmp_path / "plan.docx"
    years = [f"{y}年" for y in range(2016, 2021)]
    head = tr(*(tc(t) for t in ["序号", "工作任务", "相关工作目标(指标)", *years]))
    body = tr(tc("1"), tc("养老床位", span=999), *(tc(f"{n}张") for n in range(5)), tc("x"))
    write_docx(path, tbl(head, body, cols=8))
    doc = extract_plan(path)
    assert any("gridSpan" in w and "clamped" in w for w in doc.warnings)


@pytest.mark.parametrize("encoding,bom", [
    ("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff"), ("utf-16-le", b""),
    ("utf-32-le", b"\xff\xfe\x00\x00"), ("utf-8", b"\xef\xbb\xbf"),
])
def test_dtd_is_refused_in_every_encoding(tmp_path, encoding, bom):
    enc_name = encoding.split("-")[0].upper() + "-" + encoding.split("-")[1]
    xml = (f'<?xml version="1.0" encoding="{enc_name}"?>'
           '<!DOCTYPE d [<!ENTITY x "planwh-entity">]>'
           f'<w:document xmlns:w="{W_NS}"><w:body>{p("&x;")}</w:body></w:document>')
    path = tmp_path / "dtd.docx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", CT)
        zf.writestr("_rels/.rels", RELS)
        zf.writestr("word/document.xml", bom + xml.encode(encoding))
    with pytest.raises(UnreadableDocument, match="DTD"):
        read_docx(path)


def test_declares_dtd_sees_through_encodings():
    from extractors.docx_tables import declares_dtd

    doc = '<?xml version="1.0"?><!DOCTYPE a><a/>'
    for enc in ("utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32"):
        assert declares_dtd(doc.encode(enc)), enc
    assert not declares_dtd('<?xml version="1.0" encoding="UTF-16"?><a>DOCTYPE</a>'.encode("utf-16"))


def test_a_grid_too_large_for_memory_is_refused(tmp_path):
    """A compressed part can declare a million grid columns in a few KB: rows x columns
    is bounded before any row is built."""
    path = tmp_path / "wide.docx"
    rows = "".join(tr(tc(str(i))) for i in range(3000))
    write_docx(path, tbl(rows, cols=1000))
    assert path.stat().st_size < 100_000
    with pytest.raises(UnreadableDocument, match="too large") as err:
        read_docx(path)
    assert err.value.source_file == "wide.docx"
