"""Render plan specs as DOCX (python-docx), reportlab PDF and LibreOffice PDF.

LibreOffice documents are written as DOCX first and converted in one
``soffice --headless --convert-to pdf`` call for the whole batch (starting
the office suite costs seconds; a call per file would dominate the run).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from tools.plan_writer import write_docx, write_pdf
from tools.variety.plans import Spec


def render_plans(specs: list[Spec], out: Path) -> list[Path]:
    """Write every spec into ``out`` in its format; return the document paths."""
    out.mkdir(parents=True, exist_ok=True)
    lo = [s for s in specs if s.fmt == "lo-pdf"]
    paths = []
    for s in specs:
        if s.fmt == "docx":
            write_docx(s.doc, out / s.file_name)
        elif s.fmt == "rl-pdf":
            write_pdf(s.doc, out / s.file_name)
    if lo:
        soffice = shutil.which("soffice") or shutil.which("libreoffice")
        if not soffice:
            raise RuntimeError("lo-pdf needs soffice (apt-get install libreoffice-writer-nogui "
                               "fonts-noto-cjk), or pass --formats docx,rl-pdf")
        with tempfile.TemporaryDirectory(prefix="variety-lo-") as tmp:
            srcs = []
            for s in lo:
                src = Path(tmp) / f"{s.stem}.docx"
                write_docx(s.doc, src)
                srcs.append(str(src))
            profile = Path(tmp) / "profile"
            subprocess.run(
                [soffice, f"-env:UserInstallation=file://{profile}", "--headless",
                 "--convert-to", "pdf", "--outdir", str(out), *srcs],
                check=True, capture_output=True, timeout=60 + 20 * len(srcs),
            )
    for s in specs:
        p = out / s.file_name
        if not p.exists():
            raise RuntimeError(f"{p.name} was not written")
        paths.append(p)
    return paths
