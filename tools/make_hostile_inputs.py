"""Hostile inputs of issue #12 (items 4, 5 and 8): what tests/test_hostile_inputs.py feeds planwh.

Three kinds of case:

- small files, written into tests/fixtures/hostile/inputs/ and committed
  (byte-stable: the committed files only change when this script does):
  a PDF whose stream ``/Length`` is a self-referencing object (pdfminer's
  ``resolve1`` loops), a DOCX cell with ``gridSpan="2000000000"``, an XLSX whose
  dimension is ``A1:XFD1048576`` with one far cell, DOCX and XLSX parts in
  UTF-16 that declare a DTD, a DOCX with a 2 MB indicator cell, a DOCX whose
  cells begin with formula prefixes (``=``, ``+``, ``-``, ``@``), statistics
  CSVs with ``1e309``, 400-digit, ``1e-400`` and ``-0`` values and with a
  ``备注1950`` header;
- big files, generated at test time into a temporary folder (never committed):
  a 1 GiB one-line CSV and 128 MB of ``1,`` (:func:`write_big_csvs`);
- folder entries git cannot hold, made at test time (:func:`make_entries`):
  a FIFO, a symbolic link to ``/dev/zero``, dangling and looping links, a
  directory named ``x.docx``, a link leaving the raw folder, file names in
  GBK (not UTF-8) and a 243-byte file name.

    .venv/bin/python tools/make_hostile_inputs.py
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "hostile" / "inputs"
ZIP_DATE = (2017, 1, 1, 0, 0, 0)

W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
DOCX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
DOCX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
XLSX_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
XLSX_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="2019" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
HEAD = ["序号", "工作任务", "相关工作目标（指标）", "2016年", "2017年"]
TITLE = "杭州市民政局“十三五”绩效管理规划"


def _zip(parts: dict[str, bytes | str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zi = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data)
    return buf.getvalue()


def _cell(text: str, tcpr: str = "") -> str:
    return f"<w:tc>{tcpr}<w:p><w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p></w:tc>"


def _table(rows: list[list[str]]) -> str:
    return "<w:tbl>" + "".join("<w:tr>" + "".join(r) + "</w:tr>" for r in rows) + "</w:tbl>"


def _document(body: str, declaration: str = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
              prolog: str = "") -> str:
    return (f"{declaration}{prolog}<w:document {W_NS}><w:body>"
            f"<w:p><w:r><w:t>{TITLE}</w:t></w:r></w:p>{body}</w:body></w:document>")


def _docx(document: bytes | str) -> bytes:
    return _zip({"[Content_Types].xml": DOCX_TYPES, "_rels/.rels": DOCX_RELS,
                 "word/document.xml": document})


def _plan_rows(indicator: str = "每百名老人床位数", task: str = "养老床位",
               cells: tuple[str, str] = ("不低于3张", "不低于4张")) -> list[list[str]]:
    return [[_cell(h) for h in HEAD], [_cell("1"), _cell(task), _cell(indicator),
                                       _cell(cells[0]), _cell(cells[1])]]


# --------------------------------------------------------------------------- plans


def self_length_pdf() -> bytes:
    """A one-page PDF whose content stream's /Length is object 5, and object 5 is
    ``5 0 R``: pdfminer's resolve1 follows the reference forever."""
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length 5 0 R >>\nstream\nBT /F1 12 Tf 72 720 Td (x) Tj ET\nendstream",
        b"5 0 R",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
    return bytes(out)


def gridspan_docx() -> bytes:
    """A plan table whose last cell claims to span two billion grid columns."""
    rows = _plan_rows()
    rows[1][-1] = _cell("不低于4张", '<w:tcPr><w:gridSpan w:val="2000000000"/></w:tcPr>')
    return _docx(_document(_table(rows)))


def long_indicator_docx() -> bytes:
    """A plan whose indicator cell holds 2 MB of text (a regex pattern such as
    照料中心.*覆盖 used to take minutes on it)."""
    text = "照料中心" * (2 * 1024 * 1024 // 12)  # 3 bytes a character
    return _docx(_document(_table(_plan_rows(indicator=text))))


def utf16_dtd_docx() -> bytes:
    """document.xml in UTF-16 declaring an entity (a check that looks for
    ``<!DOCTYPE`` in the raw bytes does not see it)."""
    ents = '<!ENTITY l0 "哈哈哈哈哈哈哈哈哈哈">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 8))
    xml = _document(_table(_plan_rows(cells=("&l7;", "不低于4张"))),
                    declaration='<?xml version="1.0" encoding="UTF-16" standalone="yes"?>',
                    prolog=f"<!DOCTYPE w:document [{ents}]>")
    return _docx(xml.encode("utf-16"))


def formula_cells_docx() -> bytes:
    """A valid plan whose texts begin with spreadsheet formula prefixes."""
    rows = [[_cell(h) for h in HEAD],
            [_cell("1"), _cell("=HYPERLINK(&quot;http://x&quot;)"), _cell("@SUM(A1)"),
             _cell("+不低于3张"), _cell("-不低于4张")],
            [_cell("2"), _cell("养老床位"), _cell("=每百名老人床位数"), _cell("不低于3张"),
             _cell("不低于4张")]]
    return _docx(_document(_table(rows)))


# --------------------------------------------------------------------------- statistics


def huge_dimension_xlsx() -> bytes:
    """A worksheet declaring A1:XFD1048576, a small tidy table and one far cell."""
    def c(ref: str, text: str) -> str:
        return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'

    header = "".join(c(f"{col}1", t) for col, t in zip("ABCD", ["地区", "年份", "指标", "数值"],
                                                        strict=True))
    row2 = (c("A2", "上城区") + '<c r="B2"><v>2019</v></c>' + c("C2", "养老机构床位数")
            + '<c r="D2"><v>4500</v></c>')
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<dimension ref="A1:XFD1048576"/><sheetData>'
        f'<row r="1">{header}</row><row r="2">{row2}</row>'
        f'<row r="1048576">{c("XFD1048576", "x")}</row>'
        "</sheetData></worksheet>"
    )
    return _zip({"[Content_Types].xml": XLSX_TYPES, "_rels/.rels": XLSX_RELS,
                 "xl/workbook.xml": WORKBOOK, "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
                 "xl/worksheets/sheet1.xml": sheet})


def utf16_dtd_xlsx() -> bytes:
    """A worksheet part in UTF-16 whose DTD declares expanding entities."""
    ents = '<!ENTITY l0 "哈哈哈哈哈哈哈哈哈哈">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 8))
    sheet = (
        '<?xml version="1.0" encoding="UTF-16" standalone="yes"?>'
        f"<!DOCTYPE worksheet [{ents}]>"
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>地区</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>&l7;</t></is></c></row>'
        "</sheetData></worksheet>"
    )
    return _zip({"[Content_Types].xml": XLSX_TYPES, "_rels/.rels": XLSX_RELS,
                 "xl/workbook.xml": WORKBOOK, "xl/_rels/workbook.xml.rels": WORKBOOK_RELS,
                 "xl/worksheets/sheet1.xml": sheet.encode("utf-16")})


def nonfinite_values_csv() -> bytes:
    """Values a float cannot hold: overflow, 400 digits, underflow, negative zero."""
    rows = ["地区,年份,指标,数值,单位",
            "上城区,2019,养老机构床位数,1e309,张",
            "拱墅区,2019,养老机构床位数," + "9" * 400 + ",张",
            "西湖区,2019,养老机构床位数,1e-400,张",
            "滨江区,2019,养老机构床位数,-0,张"]
    return ("\n".join(rows) + "\n").encode()


def remark_header_csv() -> bytes:
    """A tidy table with a remark column whose header ends in four digits: not a year."""
    rows = ["地区,年份,指标,数值,单位,备注1950",
            "上城区,2019,养老机构床位数,4600,张,新建",
            "拱墅区,2019,养老机构床位数,4000,张,1200"]
    return ("\n".join(rows) + "\n").encode()


SMALL = {
    "self_length.pdf": self_length_pdf,
    "gridspan.docx": gridspan_docx,
    "long_indicator.docx": long_indicator_docx,
    "utf16_dtd.docx": utf16_dtd_docx,
    "formula_cells.docx": formula_cells_docx,
    "huge_dimension.xlsx": huge_dimension_xlsx,
    "utf16_dtd.xlsx": utf16_dtd_xlsx,
    "nonfinite_values.csv": nonfinite_values_csv,
    "remark_header.csv": remark_header_csv,
}


# --------------------------------------------------------------------------- at test time


ONE_LINE_BYTES = 1 << 30  # 1 GiB
ONE_COMMA_BYTES = 128 << 20  # 128 MB


def write_big_csvs(folder: Path, one_line: int = ONE_LINE_BYTES,
                   ones: int = ONE_COMMA_BYTES) -> dict[str, Path]:
    """``one_line.csv``: a header and one line of ``one_line`` bytes (no line end);
    ``ones.csv``: ``ones`` bytes of ``1,``. Written in blocks (little memory)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"one_line": folder / "one_line.csv", "ones": folder / "ones.csv"}
    block = b"x" * (1 << 20)
    with paths["one_line"].open("wb") as f:
        head = "地区,年份,指标,数值\n".encode()
        f.write(head)
        left = one_line - len(head)
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)
    block = b"1," * (1 << 19)
    with paths["ones"].open("wb") as f:
        left = ones
        while left > 0:
            f.write(block[: min(left, len(block))])
            left -= len(block)
    return paths


GBK_PLAN = "养老服务规划.docx".encode("gbk")
GBK_STATS = "养老统计.csv".encode("gbk")


def long_name(suffix: str, total_bytes: int = 243) -> str:
    """A file name of exactly ``total_bytes`` UTF-8 bytes (CJK, 3 bytes each)."""
    stem_bytes = total_bytes - len(suffix.encode())
    stem = "规" * (stem_bytes // 3) + "x" * (stem_bytes % 3)
    name = stem + suffix
    assert len(name.encode()) == total_bytes
    return name


def make_entries(plans: Path, outside: Path) -> dict[str, Path]:
    """Folder entries git cannot hold, made in ``plans`` (a raw/plans folder):
    returns {case: path}. ``outside`` is a folder outside the raw folder holding
    a real plan, the target of the refused link."""
    plans.mkdir(parents=True, exist_ok=True)
    outside.mkdir(parents=True, exist_ok=True)
    secret = outside / "outside.docx"
    secret.write_bytes(_docx(_document(_table(_plan_rows()))))
    made = {
        "fifo": plans / "fifo.pdf",
        "dev_zero": plans / "zero.pdf",
        "dangling": plans / "dangling.docx",
        "loop": plans / "loop.docx",
        "directory": plans / "x.docx",
        "outside": plans / "outside_link.docx",
    }
    os.mkfifo(made["fifo"])
    os.symlink("/dev/zero", made["dev_zero"])
    os.symlink(plans / "no_such_target.docx", made["dangling"])
    os.symlink(made["loop"], made["loop"])
    made["directory"].mkdir()
    os.symlink(secret, made["outside"])
    return made


def make_odd_names(folder: Path, content: bytes, kind: str) -> dict[str, Path]:
    """A GBK-named and a 243-byte-named copy of ``content`` in ``folder``
    (``kind``: "plan" or "stats")."""
    folder.mkdir(parents=True, exist_ok=True)
    gbk = GBK_PLAN if kind == "plan" else GBK_STATS
    suffix = ".docx" if kind == "plan" else ".csv"
    raw_path = os.path.join(os.fsencode(folder), gbk)
    with open(raw_path, "wb") as f:
        f.write(content)
    long = folder / long_name(suffix)
    long.write_bytes(content)
    return {"gbk": Path(os.fsdecode(raw_path)), "long": long}


def plan_bytes() -> bytes:
    """A small valid layout-A plan (DOCX)."""
    return _docx(_document(_table(_plan_rows())))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in SMALL.items():
        (OUT / name).write_bytes(make())
        print(f"{OUT.relative_to(ROOT) / name}: {(OUT / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
