"""Extraction benchmark: planwh's extract_plan against bare pdfplumber / python-docx loops.

Run by hand (not in CI):

    .venv/bin/python bench/extract.py [--pages 200] [--rss-pages 500] [--repeat 3]

Generates, with tools/plan_writer.py, a ~200-page PDF and the same spec as DOCX
(layout-A tables, several tables each running over many pages) and a ~500-page
PDF into bench/out/ (gitignored), then reports:

- PDF: extract_plan vs a bare ``page.extract_tables()`` loop (goal ratio <= 1.3)
- DOCX: extract_plan vs a bare ``for t in doc.tables: for row in t.rows: row.cells``
  loop (goal: planwh faster, ratio < 1)
- peak RSS of extract_plan over the ~500-page PDF in a child process
  (``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``; goal < 500 MB)

Both sides run in this process with imports warmed, interleaved (planwh,
baseline, planwh, ...) so that load from other processes hits both alike; each
figure is the best of ``--repeat`` wall times (CPU times in the note). The
extractors' lru caches are emptied before every planwh run, so a timed run
reads the document as a first extraction would and does not profit from the
cell texts of the previous run.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
# This bench compares planwh's reading work with pdfplumber's on one core (its CPU times
# are this process's): long PDFs are read serially here. Their page-parallel read
# (extractors/pdf/parallel.py) is timed as whole processes by bench/run.py (scenario f).
os.environ.setdefault("PLANWH_PDF_WORKERS", "1")
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import plan_writer as pw  # noqa: E402

ROWS_PER_TABLE = 40

_STATUS = (
    "现有工作基础较好，但区域之间发展不平衡，农村地区设施和服务相对薄弱。"
    "相关政策体系初步建立，资金投入逐年增加，专业人才队伍仍然不足。"
)
_MEASURES = (
    "1.完善政策制度，明确各级职责分工，建立健全考核评价机制。\n"
    "2.加大财政投入，统筹使用各类资金，提高资金使用绩效。\n"
    "3.推进信息化建设，依托智慧平台实现数据共享和业务协同。"
)


def _targets(k: int) -> list[pw.Cell]:
    base = 40 + k % 50
    return [
        pw.T(f"不低于{base + i}张", ">=", base + i, None, "张") if (k + i) % 4 else pw.M("试点启动")
        for i in range(5)
    ]


def bench_doc(n_tables: int) -> pw.PlanDoc:
    """Layout-A tables, every third task with two indicators (vertically merged cells)."""
    blocks: list = [pw.Paragraph("本文件为性能测试生成的规划文本，内容为虚构的测试数据。")]
    for t in range(n_tables):
        rows: list = []
        k = 0
        while len(rows) < ROWS_PER_TABLE:
            inds = [(f"指标{t + 1}-{k + 1}", _targets(k))]
            if k % 3 == 0:
                inds.append((f"指标{t + 1}-{k + 1}b", _targets(k + 7)))
            rows += pw.task_rows(str(k + 1), f"重点工作任务{k + 1}", _STATUS, _MEASURES, inds)
            k += 1
        blocks += [
            pw.Heading(f"{t + 1}.第{t + 1}项重点工作", 2),
            pw.layout_a(rows, split_rows=True, repeat_header=t % 2 == 0),
        ]
    return pw.PlanDoc("性能测试规划", blocks)


def generate(pages: int, stem: str, formats=("pdf", "docx"), out: Path = OUT) -> dict[str, Path]:
    """Write ~``pages`` pages (PDF layout) of layout-A tables into ``out`` (default
    bench/out/); reuse files already there."""
    out.mkdir(parents=True, exist_ok=True)
    paths = {fmt: out / f"{stem}.{fmt}" for fmt in formats}
    if all(p.exists() for p in paths.values()):
        return paths
    probe = pw.write_pdf(bench_doc(2), out / "_probe.pdf")
    per_table = (probe.pages - 0.5) / 2
    doc = bench_doc(max(1, math.ceil(pages / per_table)))
    for fmt, path in paths.items():
        t0 = time.perf_counter()
        if fmt == "pdf":
            layout = pw.write_pdf(doc, path)
            info = f"{layout.pages} pages"
        else:
            pw.write_docx(doc, path)
            info = f"{sum(len(b.body) for b in doc.blocks if isinstance(b, pw.Table))} body rows"
        print(f"generated {path} ({info}) in {time.perf_counter() - t0:.1f}s")
    (out / "_probe.pdf").unlink(missing_ok=True)
    return paths


def cold_caches() -> None:
    """Empty every lru cache of the extractors (normalised texts, parsed targets)."""
    for name, mod in list(sys.modules.items()):
        if name.startswith("extractors.") and mod is not None:
            for obj in list(vars(mod).values()):
                if callable(getattr(obj, "cache_clear", None)):
                    obj.cache_clear()


def best_of_interleaved(n: int, planwh, baseline) -> tuple[tuple[float, float], tuple[float, float]]:
    """Best (wall, CPU) seconds of ``planwh`` and of ``baseline`` over ``n`` rounds.

    One warm-up call each first (imports, lazily built state), then planwh and
    the baseline alternate, caches emptied before each planwh call.
    """
    planwh()
    baseline()
    best = {planwh: [math.inf, math.inf], baseline: [math.inf, math.inf]}
    for _ in range(n):
        for fn in (planwh, baseline):
            if fn is planwh:
                cold_caches()
            w0, c0 = time.perf_counter(), time.process_time()
            fn()
            w1, c1 = time.perf_counter(), time.process_time()
            best[fn][0] = min(best[fn][0], w1 - w0)
            best[fn][1] = min(best[fn][1], c1 - c0)
    return tuple(best[planwh]), tuple(best[baseline])


def bare_pdfplumber(path: Path) -> None:
    import pdfplumber

    with pdfplumber.open(str(path)) as pdf:
        for page in pdf.pages:
            page.extract_tables()
            page.close()


def bare_python_docx(path: Path) -> None:
    import docx

    d = docx.Document(str(path))
    for t in d.tables:
        for row in t.rows:
            row.cells  # noqa: B018  (the work being measured)


def planwh_extract(path: Path) -> int:
    from extractors.budget import extract_plan

    return len(extract_plan(path).records)


CHILD = """
import sys
sys.path.insert(0, {root!r})
from extractors.budget import extract_plan
print(len(extract_plan({path!r}).records))
"""


def peak_rss_mb(path: Path) -> tuple[float, float, str]:
    """Peak RSS (MB) and wall time of extract_plan(path) in a fresh child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT), path=str(path))],
        capture_output=True,
        text=True,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    if peak <= before:
        print("warning: an earlier child had a higher peak; RSS figure is an upper bound")
    return peak / 1024, wall, proc.stdout.strip()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--rss-pages", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-rss", action="store_true")
    ap.add_argument("--skip-pdf", action="store_true", help="DOCX timing only (with --skip-rss)")
    args = ap.parse_args()

    docs = generate(args.pages, f"bench_{args.pages}p")
    big = None if args.skip_rss else generate(args.rss_pages, f"bench_{args.rss_pages}p", ("pdf",))

    rows = []
    # memory first: RUSAGE_CHILDREN keeps the maximum over every child waited for
    if big:
        mb, wall, n = peak_rss_mb(big["pdf"])
        rows.append(
            (
                f"peak RSS, {args.rss_pages}-page PDF",
                f"{mb:.0f} MB",
                "—",
                "—",
                "< 500 MB",
                "PASS" if mb < 500 else "FAIL",
                f"{n} records, {wall:.1f}s",
            )
        )
    if not args.skip_pdf:
        n_pdf = planwh_extract(docs["pdf"])
        (t_plan, c_plan), (t_bare, c_bare) = best_of_interleaved(
            args.repeat, lambda: planwh_extract(docs["pdf"]), lambda: bare_pdfplumber(docs["pdf"])
        )
        ratio = t_plan / t_bare
        rows.append(
            (
                f"PDF {args.pages} pages",
                f"{t_plan:.2f}s",
                f"{t_bare:.2f}s",
                f"{ratio:.2f}",
                "<= 1.3",
                "PASS" if ratio <= 1.3 else "FAIL",
                f"{n_pdf} records; CPU {c_plan:.2f}s/{c_bare:.2f}s = {c_plan / c_bare:.2f}",
            )
        )
    n_docx = planwh_extract(docs["docx"])
    (t_plan, c_plan), (t_bare, c_bare) = best_of_interleaved(
        args.repeat, lambda: planwh_extract(docs["docx"]), lambda: bare_python_docx(docs["docx"])
    )
    ratio = t_plan / t_bare
    rows.append(
        (
            "DOCX same spec",
            f"{t_plan:.2f}s",
            f"{t_bare:.2f}s",
            f"{ratio:.2f}",
            "< 1.0",
            "PASS" if ratio < 1 else "FAIL",
            f"{n_docx} records; CPU {c_plan:.2f}s/{c_bare:.2f}s = {c_plan / c_bare:.2f}",
        )
    )

    head = ("bench", "planwh", "baseline", "ratio", "goal", "verdict", "note")
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    line = "  ".join(f"{{:<{w}}}" for w in widths)
    print()
    print(line.format(*head))
    print(line.format(*("-" * w for w in widths)))
    for r in rows:
        print(line.format(*r))
    print(
        "\nbaselines: PDF = bare pdfplumber page.extract_tables() loop; "
        "DOCX = bare python-docx rows.cells loop"
    )


if __name__ == "__main__":
    main()
