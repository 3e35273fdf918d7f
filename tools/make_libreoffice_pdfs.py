"""Render the DOCX plan fixtures (and the seed) to PDF with LibreOffice.

Real plans reach the office as PDFs exported by Word or LibreOffice, not by our
own reportlab writer; these renderings test the PDF reader against that layout
engine (repeated headers, rows and numbers wrapped where LibreOffice decides).
The test compares each PDF's records with its DOCX source's, provenance aside,
so no gold file is needed. Needs `soffice` (Debian: libreoffice-writer-nogui
fonts-noto-cjk); the PDFs are committed, so the tests do not.

    .venv/bin/python tools/make_libreoffice_pdfs.py [STEM ...]   # all, or only these
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "plans" / "libreoffice"
SOURCES = (
    sorted((ROOT / "tests" / "fixtures" / "plans").glob("*.docx"))
    + sorted((ROOT / "raw" / "plans").glob("*.docx"))
    + sorted((OUT / "sources").glob("*.docx"))  # documents made for this corpus only
)


def main(only: set[str] | None = None) -> int:
    """Render every source, or only those whose stem is in ``only``."""
    soffice = shutil.which("soffice")
    if not soffice:
        print("soffice not found: apt-get install libreoffice-writer-nogui fonts-noto-cjk",
              file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for src in SOURCES:
            if only and src.stem not in only:
                continue
            subprocess.run([soffice, "--headless", "--convert-to", "pdf", "--outdir", tmp,
                            str(src)], check=True, capture_output=True, timeout=300)
            pdf = Path(tmp) / (src.stem + ".pdf")
            shutil.copy(pdf, OUT / pdf.name)
            print(f"{src.relative_to(ROOT)} -> {(OUT / pdf.name).relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(set(sys.argv[1:]) or None))
