"""A readable PDF that pdfminer refuses: linearized, xref stream, bytes after %%EOF.

Real plans arrive as PDFs saved by Acrobat or Word ("fast web view"): linearized,
with cross-reference *streams* instead of xref tables, and often with bytes after
the last ``%%EOF`` (a download tool's padding, a mail gateway's signature). When
the ``startxref`` offset is off as well, pdfminer falls back to scanning for a
``trailer`` keyword, finds none (an xref stream has no such keyword) and gives
up with "No /Root object"; pypdfium2 (PDFium) rebuilds the cross-reference and
opens the file. planwh must read it.

This script rewrites one reportlab plan fixture (its objects kept byte for byte)
into that shape: a linearization dictionary as first object, the objects, an
uncompressed cross-reference stream holding /Root, a ``startxref`` pointing a few
bytes off, ``%%EOF`` and 2 KiB of trailing bytes. The records it must read are
those of the source fixture (its gold file, tests/test_pdf_open.py).

    .venv/bin/python tools/make_linearized_pdf.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "tests" / "fixtures" / "plans"
SOURCE = PLANS / "养老服务体系建设绩效规划.pdf"  # four pages, a table continued
OUT = PLANS / "linearized" / "养老服务体系建设绩效规划_linearized.pdf"

_OBJ = re.compile(rb"(\d+) 0 obj\r?\n(.*?)\r?\nendobj", re.S)
_TRAILER = re.compile(rb"trailer\s*<<(.*?)>>\s*startxref", re.S)


def _ref(trailer: bytes, key: bytes) -> int:
    m = re.search(rb"/" + key + rb"\s+(\d+)\s+0\s+R", trailer)
    if not m:
        raise SystemExit(f"source trailer without /{key.decode()}")
    return int(m.group(1))


def rewrite(src: bytes) -> bytes:
    objects = {int(m.group(1)): m.group(2) for m in _OBJ.finditer(src)}
    trailer = _TRAILER.search(src)
    if not objects or trailer is None:
        raise SystemExit("source is not a plain reportlab PDF (objects + xref table)")
    root, info = _ref(trailer.group(1), b"Root"), _ref(trailer.group(1), b"Info")
    lin_id = max(objects) + 1
    xref_id = lin_id + 1
    size = xref_id + 1
    first_page = next(i for i, body in sorted(objects.items()) if b"/Type /Page\n" in body
                      or re.search(rb"/Type /Page(?!s)", body))
    n_pages = sum(1 for body in objects.values() if re.search(rb"/Type /Page(?!s)", body))

    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    lin_pos = len(out)
    # /L (file length) is filled in below with a fixed width, so offsets do not move.
    lin_template = (f"{lin_id} 0 obj\n<< /Linearized 1 /L %010d /H [ 0 0 ] /O {first_page} "
                    f"/E 0 /N {n_pages} /T 0 >>\nendobj\n")
    out += (lin_template % 0).encode()
    offsets[lin_id] = lin_pos
    for i in sorted(objects):
        offsets[i] = len(out)
        out += f"{i} 0 obj\n".encode() + objects[i] + b"\nendobj\n"
    # cross-reference stream: W [1 4 2], type 1 entries, uncompressed
    xref_pos = len(out)
    offsets[xref_id] = xref_pos
    rows = bytearray(b"\x00\x00\x00\x00\x00\xff\xff")  # object 0: free
    for i in range(1, size):
        if i in offsets:
            rows += b"\x01" + offsets[i].to_bytes(4, "big") + b"\x00\x00"
        else:
            rows += b"\x00\x00\x00\x00\x00\x00\x00"
    out += (f"{xref_id} 0 obj\n<< /Type /XRef /Size {size} /W [ 1 4 2 ] /Root {root} 0 R "
            f"/Info {info} 0 R /Length {len(rows)} >>\nstream\n").encode()
    out += bytes(rows) + b"\nendstream\nendobj\n"
    out += f"startxref\n{xref_pos + 7}\n%%EOF\n".encode()  # offset off by 7 bytes: broken xref
    # trailing bytes after %%EOF (padding a transfer left behind)
    out += b"\x00" * 1024 + bytes(range(256)) * 4
    total = len(out)
    out[lin_pos:lin_pos + len(lin_template % 0)] = (lin_template % total).encode()
    return bytes(out)


def main() -> int:
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_bytes(rewrite(SOURCE.read_bytes()))
    print(f"{SOURCE.relative_to(ROOT)} -> {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
