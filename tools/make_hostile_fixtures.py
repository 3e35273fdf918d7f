"""Write the hostile input files of tests/test_hostile.py into tests/fixtures/hostile/.

Each file is something a plan folder may really receive (an empty upload, a
truncated download, a mislabelled image, a scan, an encrypted PDF) or an attack
on the parser (a zip bomb, XML entities). All are small on disk; the output is
byte-stable so the committed files only change when this script does.

    .venv/bin/python tools/make_hostile_fixtures.py
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "hostile"
ZIP_DATE = (2017, 1, 1, 0, 0, 0)
BOMB_BYTES = 300 * 1024 * 1024  # uncompressed size of the zip bomb's document.xml

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.wordprocessingml.document.main+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _table_xml(cells: list[list[str]]) -> str:
    rows = "".join(
        "<w:tr>" + "".join(f"<w:tc><w:p><w:r><w:t>{c}</w:t></w:r></w:p></w:tc>" for c in row)
        + "</w:tr>"
        for row in cells
    )
    return f"<w:tbl>{rows}</w:tbl>"


def _plan_body(cell: str) -> str:
    """A layout-A table whose 2016 target cell holds ``cell`` (e.g. an entity reference)."""
    head = ["序号", "工作任务", "相关工作目标（指标）", "2016年", "2017年"]
    return _table_xml([head, ["1", "养老床位", "每百名老人床位数", cell, "不低于4张"]])


def _docx(parts: dict[str, bytes | str]) -> bytes:
    """A minimal DOCX package with fixed timestamps."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in {"[Content_Types].xml": CONTENT_TYPES, "_rels/.rels": RELS, **parts}.items():
            zi = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data)
    return buf.getvalue()


def _document(body: str, prolog: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{prolog}'
        f"<w:document {W_NS}><w:body>{body}</w:body></w:document>"
    )


def _para(text: str) -> str:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>"


def xxe_docx() -> bytes:
    """An external entity pointing at a local file, used inside a target cell."""
    prolog = '<!DOCTYPE w:document [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
    return _docx({"word/document.xml": _document(_para("杭州市民政局“十三五”绩效管理规划")
                                                 + _plan_body("&x;"), prolog)})


def billion_laughs_docx() -> bytes:
    """Internal entities that expand exponentially (a billion laughs)."""
    ents = '<!ENTITY l0 "哈哈哈哈哈哈哈哈哈哈">' + "".join(
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    )
    prolog = f"<!DOCTYPE w:document [{ents}]>"
    return _docx({"word/document.xml": _document(_plan_body("&l9;"), prolog)})


def zip_bomb_docx() -> bytes:
    """document.xml of ~300 MB that deflates to a few hundred KB."""
    head = _document("").split("</w:body>")[0].encode() + b"<w:p><w:r><w:t>"
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    filler = b" " * (1 << 20)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", RELS)):
            zi = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, data)
        zi = zipfile.ZipInfo("word/document.xml", date_time=ZIP_DATE)
        zi.compress_type = zipfile.ZIP_DEFLATED
        zi.file_size = BOMB_BYTES  # declared up front (honest header)
        with zf.open(zi, "w", force_zip64=True) as fh:
            fh.write(head)
            written = len(head)
            while written + len(filler) + len(tail) <= BOMB_BYTES:
                fh.write(filler)
                written += len(filler)
            fh.write(b" " * (BOMB_BYTES - written - len(tail)) + tail)
    return buf.getvalue()


def no_tables_docx() -> bytes:
    body = _para("杭州市民政局“十三五”绩效管理规划") + _para("本规划没有任何表格。") * 3
    return _docx({"word/document.xml": _document(body)})


def truncated_docx() -> bytes:
    full = _docx({"word/document.xml": _document(_para("杭州市民政局规划") + _plan_body("不低于4张"))})
    return full[: len(full) * 3 // 5]


def png_bytes(width: int = 8, height: int = 8) -> bytes:
    """A tiny grey PNG, written by hand."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes([(x * 30 + y * 7) % 256 for x in range(width)]) for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


def _canvas(buf: io.BytesIO, **kw):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return canvas.Canvas(buf, invariant=1, **kw)


def encrypted_pdf() -> bytes:
    """A text PDF that needs a user password to open."""
    from reportlab.lib.pdfencrypt import StandardEncryption

    buf = io.BytesIO()
    c = _canvas(buf, encrypt=StandardEncryption("secret", ownerPassword="owner", strength=128))
    c.setFont("STSong-Light", 14)
    c.drawString(72, 760, "杭州市民政局“十三五”绩效管理规划")
    c.rect(72, 600, 300, 100)
    c.showPage()
    c.save()
    return buf.getvalue()


def scanned_pdf() -> bytes:
    """An image-only page (a scan): no text layer at all."""
    from reportlab.lib.utils import ImageReader

    buf = io.BytesIO()
    c = _canvas(buf)
    c.drawImage(ImageReader(io.BytesIO(png_bytes(64, 32))), 72, 500, width=400, height=200)
    c.showPage()
    c.save()
    return buf.getvalue()


def text_only_pdf() -> bytes:
    """A readable PDF without any table."""
    buf = io.BytesIO()
    c = _canvas(buf)
    c.setFont("STSong-Light", 14)
    c.drawString(72, 760, "杭州市民政局“十三五”绩效管理规划")
    c.setFont("STSong-Light", 11)
    c.drawString(72, 720, "本规划正文没有任何表格。")
    c.showPage()
    c.save()
    return buf.getvalue()


FIXTURES = {
    "empty.docx": lambda: b"",
    "truncated.docx": truncated_docx,
    "image.pdf": png_bytes,  # a PNG named .pdf
    "encrypted.pdf": encrypted_pdf,
    "scanned.pdf": scanned_pdf,
    "text_only.pdf": text_only_pdf,
    "no_tables.docx": no_tables_docx,
    "zip_bomb.docx": zip_bomb_docx,
    "xxe.docx": xxe_docx,
    "billion_laughs.docx": billion_laughs_docx,
}


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for name, make in FIXTURES.items():
        data = make()
        (OUT / name).write_bytes(data)
        print(f"{OUT / name}: {len(data)} bytes")


if __name__ == "__main__":
    main()
