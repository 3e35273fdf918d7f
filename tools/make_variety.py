"""Write a seeded variety set: plan documents (DOCX, LibreOffice PDF, reportlab
PDF) and statistics files (CSV UTF-8/BOM/GBK, XLSX) with gold.json.

    .venv/bin/python tools/make_variety.py --seed 7 --n 18 --stats 8 --out tests/fixtures/variety

Each document samples every axis of tools/variety (header words, header rows,
year labels, column order, merges, continuations, target grammar, ...)
independently; gold.json lists, per file, its axis values and its expected
records written from the spec. LibreOffice PDFs need `soffice`
(libreoffice-writer-nogui, fonts-noto-cjk); leave lo-pdf out of --formats
without it. The same seed always gives the same gold.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tools.variety import FORMATS, generate  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--n", type=int, default=12, help="plan documents")
    ap.add_argument("--stats", type=int, default=0, help="statistics files")
    ap.add_argument("--formats", default=",".join(FORMATS),
                    help="plan formats to sample from: docx,lo-pdf,rl-pdf")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--clean", action="store_true", help="empty --out first")
    a = ap.parse_args(argv)
    formats = tuple(f for f in a.formats.split(",") if f)
    bad = set(formats) - set(FORMATS)
    if bad:
        ap.error(f"unknown format(s): {', '.join(sorted(bad))}")
    if a.clean and a.out.exists():
        shutil.rmtree(a.out)
    gold = generate(a.seed, a.n, a.stats, formats, a.out)
    n_rec = sum(len(d["gold"]) for d in gold["plans"])
    n_val = sum(len(d["gold"]) for d in gold["stats"])
    print(f"{a.out}: {len(gold['plans'])} plan documents ({n_rec} gold records), "
          f"{len(gold['stats'])} statistics files ({n_val} gold values)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
