"""Whole-process benchmark (by hand, not CI): `planwh run` / `planwh extract` as a user runs
them, against bare library baselines on the same inputs, in the same session.

    .venv/bin/python bench/run.py            # the sizes of issue #13 (an hour or more)
    .venv/bin/python bench/run.py --small    # every scenario, small sizes (~10 min on a busy 2-core machine)
    .venv/bin/python bench/run.py --only a,b --plans 20 --runs 3

Every figure is a child process timed from outside: wall time, CPU time (user + system
of the process and the children it waited for) and peak RSS of its whole process tree
(psutil, sampled every 20 ms: Dagster's step subprocesses included), and its peak PSS
(every 100 ms: pages a forked reader worker shares with its parent counted once, where
the RSS sum counts them in both). planwh and its
baseline alternate within each round, ``--runs`` rounds (at least 3); the tables give
the median of each side and the ratio of the medians.

Scenarios (goals from issue #13):

a. no-op re-run: ``planwh run`` over N generated plans (+ raw/'s sample statistics) into a
   fresh DuckDB warehouse and a fresh DAGSTER_HOME, then again with nothing changed.
   Ratio: second run / first run (goal <= 0.05).
b. one changed plan: after (a), one plan file gets new content; ratio of that run to the
   first run (goal <= 0.15).
c. M statistics rows into DuckDB: ``planwh run`` over one generated CSV (bench/stats.py's
   generator and synthetic reference, no plans) vs a DuckDB ``CREATE TABLE AS SELECT *
   FROM read_csv(...)`` of the same file in a fresh process (goal <= 10x, planwh peak RSS
   <= 1 GB).
d. the same into PostgreSQL (a throwaway database per run) vs ``COPY ... FROM STDIN`` of
   the file into a table of text columns (goal <= 10x).
e. N plans, full run: the first run of (a) vs the sum of bare ``planwh extract FILE``
   process times over the same N files divided by the core count (goal <= 1.5).
f. a ~P-page PDF: ``planwh extract`` vs one bare pdfplumber ``extract_tables`` pass over
   every page, each in a fresh process (goal: ratio < 1 on 2 cores).

Generated inputs are kept in bench/out/ and reused (delete them to regenerate); the
work folders of each run are made under a temporary directory and removed.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/ holds warehouse.py (another benchmark): keep it from shadowing the package
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
OUT = ROOT / "bench" / "out"
PG_ADMIN_URL = os.environ.get("PLANWH_BENCH_PG_ADMIN_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
CORES = os.cpu_count() or 1
SCENARIOS = "abcdef"

SMALL = {"plans": 3, "plan_tables": 1, "rows": 50_000, "pages": 20, "runs": 3}
FULL = {"plans": 100, "plan_tables": 1, "rows": 5_009_840, "pages": 202, "runs": 3}


def _load(name: str, file: str):
    """Import a sibling bench script as a module (their data generators are reused)."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / file)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# --------------------------------------------------------------------------- measuring


@dataclass
class Sample:
    wall: float  # s
    cpu: float  # s, user + system of the process and its waited-for children
    rss_mb: float  # peak RSS of the process tree, MB
    pss_mb: float = 0.0  # peak PSS of the process tree, MB (pages shared after a fork counted once)


def measure(cmd: list[str], cwd: Path | None = None, env: dict | None = None,
            label: str = "") -> Sample:
    """Run ``cmd`` to completion; its wall time, CPU time and the peak RSS of its tree."""
    import resource

    import psutil

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    err = tempfile.TemporaryFile()
    t0 = time.perf_counter()
    proc = psutil.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
    peak = peak_pss = 0
    tick = 0
    while proc.poll() is None:
        rss = pss = 0
        try:
            procs = [proc, *proc.children(recursive=True)]
        except psutil.NoSuchProcess:
            procs = []
        for p in procs:
            try:
                rss += p.memory_info().rss
                if tick % 5 == 0:  # PSS reads smaps_rollup: every 100 ms
                    pss += p.memory_full_info().pss
            except (psutil.NoSuchProcess, psutil.AccessDenied, AttributeError):
                pass
        peak = max(peak, rss)
        peak_pss = max(peak_pss, pss)
        tick += 1
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        err.seek(0)
        tail = err.read().decode(errors="replace")[-3000:]
        raise SystemExit(f"{label or cmd[:4]} exited {proc.returncode}:\n{tail}")
    err.close()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Sample(wall, cpu, peak / 2**20, peak_pss / 2**20)


def child_env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PLANWH_", "DAGSTER_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env.update(extra)
    return env


def planwh(*args: str) -> list[str]:
    return [sys.executable, "-m", "planwh.cli", *args]


def dagster_home(folder: Path) -> Path:
    """A fresh instance folder with the repository's dev instance config (pool limit 1)."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", folder / "dagster.yaml")
    return folder


def counts(url: str) -> dict[str, int]:
    """Rows of a few warehouse tables after a run (what the timed run did, for the notes)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            return {t: c.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar()
                    for t in ("dim_plan", "fct_target", "fct_district_stat", "ingest_issues")}
    finally:
        engine.dispose()


def median(samples: list[Sample], field: str = "wall") -> float:
    return statistics.median(getattr(s, field) for s in samples)


@dataclass
class Row:
    scenario: str
    what: str
    planwh: str
    baseline: str
    ratio: float
    goal: str
    ok: bool
    note: str = ""


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --------------------------------------------------------------------------- inputs


def plan_set(n: int, tables: int) -> tuple[list[Path], Path]:
    """N distinct DOCX plans (bench/extract.py's layout-A spec, each with its own title and
    first paragraph) and one changed version of the first; kept in bench/out/."""
    bx = _load("bench_extract", "extract.py")
    pw = bx.pw
    folder = OUT / f"plans_{n}x{tables}t"
    changed = folder / "changed" / "plan_000.docx"
    paths = [folder / f"plan_{i:03d}.docx" for i in range(n)]
    if all(p.exists() for p in paths) and changed.exists():
        return paths, changed
    changed.parent.mkdir(parents=True, exist_ok=True)
    base = bx.bench_doc(tables)
    t0 = time.perf_counter()
    for i, path in enumerate(paths):
        doc = pw.PlanDoc(f"性能测试规划{i:03d}",
                         [pw.Paragraph(f"第{i:03d}号性能测试规划。")] + base.blocks)
        pw.write_docx(doc, path)
    pw.write_docx(pw.PlanDoc("性能测试规划000", [pw.Paragraph("第000号性能测试规划（修订）。")]
                             + base.blocks), changed)
    print(f"generated {n} plans of {tables} table(s) in {folder.relative_to(ROOT)} "
          f"({time.perf_counter() - t0:.1f}s)", flush=True)
    return paths, changed


def stats_input(rows: int) -> tuple[Path, Path]:
    """bench/stats.py's tidy CSV of ``rows`` rows and a reference folder for its synthetic
    districts and metrics (raw/reference layout, CONTRACT section 2)."""
    import csv

    bs = _load("bench_stats", "stats.py")
    path = bs.generate(rows)
    ref = OUT / "stats_reference"
    if not (ref / "metrics.csv").exists():
        ref.mkdir(parents=True, exist_ok=True)
        districts, metrics = bs.reference()
        with (ref / "districts.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["district_code", "district_name", "district_type", "parent_code",
                        "valid_from", "valid_to", "aliases"])
            for d in districts:
                w.writerow([d.code, d.name, d.district_type, d.parent_code or "",
                            d.valid_from.isoformat() if d.valid_from else "",
                            d.valid_to.isoformat() if d.valid_to else "", "|".join(d.aliases)])
        with (ref / "metrics.csv").open("w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["metric_code", "name", "unit", "aggregation", "numerator",
                        "denominator", "scale", "direction"])
            for m in metrics.values():
                w.writerow([m.code, m.name, m.unit or "", m.aggregation, m.numerator or "",
                            m.denominator or "", "" if m.scale is None else m.scale,
                            m.direction])
        (ref / "indicator_metrics.csv").write_text("pattern,metric_code\n", encoding="utf-8")
    grid = bs.N_DISTRICTS * bs.N_YEARS * 100
    if rows > grid:
        print(f"note: bench/stats.py's grid has {grid:,} keys; its last {rows - grid:,} rows "
              "repeat keys (duplicates planwh reports as issues)", flush=True)
    return path, ref


def raw_folder(root: Path, reference: Path, plans=(), stats=()) -> Path:
    """A raw/ folder: the reference copied, plans and statistics hard-linked (or copied)."""
    shutil.copytree(reference, root / "reference")
    for sub, files in (("plans", plans), ("stats", stats)):
        (root / sub).mkdir(parents=True)
        for f in files:
            try:
                os.link(f, root / sub / f.name)
            except OSError:
                shutil.copy(f, root / sub / f.name)
    return root


# --------------------------------------------------------------------------- scenarios


def plans_scenarios(args, tmp: Path, want: str) -> list[Row]:
    """(a) no-op re-run, (b) one changed plan, (e) full run vs bare extracts."""
    paths, changed = plan_set(args.plans, args.plan_tables)
    sample_stats = [p for p in (ROOT / "raw" / "stats").iterdir() if p.suffix == ".csv"]
    first, noop, change, extracts = [], [], [], []
    for r in range(args.runs):
        work = tmp / f"plans-{r}"
        raw = raw_folder(work / "raw", ROOT / "raw" / "reference", paths, sample_stats)
        env = child_env(DAGSTER_HOME=str(dagster_home(work / "dagster_home")))
        url = f"duckdb:///{work / 'warehouse.duckdb'}"
        cmd = planwh("run", "--raw", str(raw), "--warehouse", url, "--quiet")
        first.append(measure(cmd, cwd=work, env=env, label="planwh run (first)"))
        loaded = counts(url)
        if loaded["dim_plan"] != len(paths):
            raise SystemExit(f"first run loaded {loaded['dim_plan']} of {len(paths)} plans")
        noop.append(measure(cmd, cwd=work, env=env, label="planwh run (no-op)"))
        if counts(url) != loaded:  # nothing changed: nothing may have been written
            raise SystemExit(f"the no-op run changed the warehouse: {loaded} -> {counts(url)}")
        target = raw / "plans" / paths[0].name
        target.unlink()  # a hard link: replace the entry, never write through it
        shutil.copy(changed, target)
        change.append(measure(cmd, cwd=work, env=env, label="planwh run (one changed)"))
        if "e" in want:
            extracts.append(sum(
                measure(planwh("extract", str(p)), cwd=work, env=child_env(),
                        label=f"planwh extract {p.name}").wall for p in paths))
        shutil.rmtree(work)
        print(f"  plans round {r + 1}: first {first[-1].wall:.1f}s, no-op {noop[-1].wall:.1f}s, "
              f"one changed {change[-1].wall:.1f}s"
              + (f", bare extracts {extracts[-1]:.1f}s" if extracts else ""), flush=True)
    n = args.plans
    t_first = median(first)
    rows = []
    if "a" in want:
        ratio = median(noop) / t_first
        rows.append(Row("a", f"no-op re-run, {n} plans", f"{median(noop):.1f} s",
                        f"first run {t_first:.1f} s", ratio, "<= 0.05", ratio <= 0.05,
                        f"first run: peak RSS {median(first, 'rss_mb'):.0f} MB, "
                        f"{loaded['fct_target']:,} targets"))
    if "b" in want:
        ratio = median(change) / t_first
        rows.append(Row("b", f"one changed plan among {n}", f"{median(change):.1f} s",
                        f"first run {t_first:.1f} s", ratio, "<= 0.15", ratio <= 0.15))
    if "e" in want:
        per_core = statistics.median(extracts) / CORES
        ratio = t_first / per_core
        rows.append(Row("e", f"{n} plans, full run", f"{t_first:.1f} s",
                        f"bare extracts {statistics.median(extracts):.1f} s / {CORES} cores "
                        f"= {per_core:.1f} s", ratio, "<= 1.5", ratio <= 1.5,
                        f"CPU {median(first, 'cpu'):.1f} s"))
    return rows


DUCKDB_BASELINE = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
con.execute("CREATE TABLE stats AS SELECT * FROM read_csv(?)", [sys.argv[2]])
print(con.execute("SELECT count(*) FROM stats").fetchone()[0])
"""

COPY_BASELINE = """
import sys, psycopg
with psycopg.connect(sys.argv[1]) as con, con.cursor() as cur:
    with open(sys.argv[2], "rb") as f:
        cols = [c.strip('"') for c in f.readline().decode().strip().split(",")]
        f.seek(0)
        cur.execute("CREATE TABLE stats (" + ", ".join(f'"{c}" text' for c in cols) + ")")
        with cur.copy("COPY stats FROM STDIN (FORMAT csv, HEADER true)") as copy:
            while block := f.read(1 << 20):
                copy.write(block)
"""


def read_budget(args) -> dict[str, str]:
    """PLANWH_READ_MEMORY_MB when --read-memory-mb is given; else the product's default."""
    if args.read_memory_mb is None:
        return {}
    return {"PLANWH_READ_MEMORY_MB": str(args.read_memory_mb)}


def stats_duckdb(args, tmp: Path) -> list[Row]:
    """(c) statistics into DuckDB: planwh run vs read_csv."""
    path, ref = stats_input(args.rows)
    runs, base = [], []
    for r in range(args.runs):
        work = tmp / f"duck-{r}"
        raw = raw_folder(work / "raw", ref, stats=[path])
        env = child_env(DAGSTER_HOME=str(dagster_home(work / "dagster_home")),
                        **read_budget(args))
        url = f"duckdb:///{work / 'warehouse.duckdb'}"
        runs.append(measure(planwh("run", "--raw", str(raw), "--warehouse", url, "--quiet"),
                            cwd=work, env=env, label="planwh run (statistics, DuckDB)"))
        loaded = counts(url)
        base.append(measure([sys.executable, "-c", DUCKDB_BASELINE, str(work / "base.duckdb"),
                             str(path)], cwd=work, env=child_env(), label="duckdb read_csv"))
        shutil.rmtree(work)
        print(f"  DuckDB round {r + 1}: planwh {runs[-1].wall:.1f}s "
              f"(RSS {runs[-1].rss_mb:.0f} MB, PSS {runs[-1].pss_mb:.0f} MB), "
              f"read_csv {base[-1].wall:.2f}s", flush=True)
    ratio = median(runs) / median(base)
    rss = median(runs, "rss_mb")
    return [Row("c", f"{args.rows:,} statistics rows, DuckDB", f"{median(runs):.1f} s, "
                f"peak {rss:.0f} MB (PSS {median(runs, 'pss_mb'):.0f} MB)", f"read_csv {median(base):.2f} s, peak "
                f"{median(base, 'rss_mb'):.0f} MB", ratio, "<= 10, RSS <= 1 GB",
                ratio <= 10 and rss <= 1024,
                f"loaded {loaded['fct_district_stat']:,} rows, {loaded['ingest_issues']:,} ingest_issues rows")]


def stats_postgres(args, tmp: Path) -> list[Row]:
    """(d) statistics into PostgreSQL: planwh run vs COPY."""
    import sqlalchemy as sa

    path, ref = stats_input(args.rows)
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(sa.text("select 1"))
    except Exception as e:  # noqa: BLE001
        print(f"  skipped (d): PostgreSQL not reachable at {PG_ADMIN_URL}: {e}", flush=True)
        return []

    def fresh_db() -> tuple[str, str]:
        name = f"planwh_bench_{uuid.uuid4().hex[:10]}"
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.make_url(PG_ADMIN_URL).set(database=name)
        return name, url.render_as_string(hide_password=False)

    def drop(name: str) -> None:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    runs, base = [], []
    try:
        for r in range(args.runs):
            work = tmp / f"pg-{r}"
            raw = raw_folder(work / "raw", ref, stats=[path])
            env = child_env(DAGSTER_HOME=str(dagster_home(work / "dagster_home")),
                            **read_budget(args))
            name, url = fresh_db()
            try:
                runs.append(measure(planwh("run", "--raw", str(raw), "--warehouse", url,
                                           "--quiet"), cwd=work, env=env,
                                    label="planwh run (statistics, PostgreSQL)"))
                loaded = counts(url)
            finally:
                drop(name)
            name, url = fresh_db()
            try:
                libpq = url.replace("postgresql+psycopg://", "postgresql://")
                base.append(measure([sys.executable, "-c", COPY_BASELINE, libpq, str(path)],
                                    cwd=work, env=child_env(), label="COPY"))
            finally:
                drop(name)
            shutil.rmtree(work)
            print(f"  PostgreSQL round {r + 1}: planwh {runs[-1].wall:.1f}s "
                  f"(RSS {runs[-1].rss_mb:.0f} MB, PSS {runs[-1].pss_mb:.0f} MB), "
                  f"COPY {base[-1].wall:.2f}s", flush=True)
    finally:
        admin.dispose()
    ratio = median(runs) / median(base)
    return [Row("d", f"{args.rows:,} statistics rows, PostgreSQL",
                f"{median(runs):.1f} s, peak {median(runs, 'rss_mb'):.0f} MB "
                f"(PSS {median(runs, 'pss_mb'):.0f} MB)",
                f"COPY {median(base):.2f} s", ratio, "<= 10", ratio <= 10,
                f"loaded {loaded['fct_district_stat']:,} rows, {loaded['ingest_issues']:,} ingest_issues rows")]


PDFPLUMBER_BASELINE = """
import sys, pdfplumber
with pdfplumber.open(sys.argv[1]) as pdf:
    for page in pdf.pages:
        page.extract_tables()
        page.close()
"""


def big_pdf(args, tmp: Path) -> list[Row]:
    """(f) planwh extract vs a bare pdfplumber pass, both whole processes."""
    bx = _load("bench_extract", "extract.py")
    import pypdfium2

    pdf = bx.generate(args.pages, f"bench_{args.pages}p", ("pdf",))["pdf"]
    doc = pypdfium2.PdfDocument(pdf)
    n_pages = len(doc)
    doc.close()
    ours, base = [], []
    for r in range(args.runs):
        ours.append(measure(planwh("extract", str(pdf)), cwd=tmp, env=child_env(),
                            label="planwh extract (PDF)"))
        base.append(measure([sys.executable, "-c", PDFPLUMBER_BASELINE, str(pdf)], cwd=tmp,
                            env=child_env(), label="pdfplumber"))
        print(f"  PDF round {r + 1}: planwh extract {ours[-1].wall:.1f}s, "
              f"pdfplumber {base[-1].wall:.1f}s", flush=True)
    ratio = median(ours) / median(base)
    return [Row("f", f"{n_pages}-page PDF, planwh extract",
                f"{median(ours):.1f} s (CPU {median(ours, 'cpu'):.1f} s)",
                f"pdfplumber {median(base):.1f} s (CPU {median(base, 'cpu'):.1f} s)",
                ratio, "< 1", ratio < 1, f"CPU ratio {median(ours, 'cpu') / median(base, 'cpu'):.2f}")]


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="\n".join(__doc__.splitlines()[1:]))
    ap.add_argument("--small", action="store_true",
                    help=f"small sizes (minutes): {SMALL}")
    ap.add_argument("--plans", type=int, help=f"N plans for a, b, e (default {FULL['plans']})")
    ap.add_argument("--plan-tables", type=int,
                    help="40-row layout-A tables per generated plan (default 1, ~5 PDF pages)")
    ap.add_argument("--rows", type=int, help=f"M statistics rows for c, d (default {FULL['rows']:,})")
    ap.add_argument("--pages", type=int, help=f"PDF pages for f (default {FULL['pages']})")
    ap.add_argument("--read-memory-mb", type=int, default=None,
                    help="PLANWH_READ_MEMORY_MB for the statistics runs c, d (default: unset, "
                         "the product's default reader budget of 2048 MB in use)")
    ap.add_argument("--runs", type=int, help="rounds, each side once per round (default 3, min 3)")
    ap.add_argument("--only", default=SCENARIOS, help="scenarios to run, e.g. a,b,e (default all)")
    ap.add_argument("--json", type=Path, help="also write the rows and settings to this file")
    args = ap.parse_args(argv)
    sizes = SMALL if args.small else FULL
    for key, value in sizes.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.runs < 3:
        ap.error("--runs must be at least 3")
    want = {s for s in args.only.replace(",", "") if s in SCENARIOS}
    if not want:
        ap.error(f"--only: choose among {','.join(SCENARIOS)}")

    print(f"bench/run.py: plans={args.plans} (x{args.plan_tables} table), rows={args.rows:,}, "
          f"pages={args.pages}, runs={args.runs}, cores={CORES}, load average "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="planwh-bench-") as t:
        tmp = Path(t)
        if want & set("abe"):
            rows += plans_scenarios(args, tmp, "".join(sorted(want)))
        if "c" in want:
            rows += stats_duckdb(args, tmp)
        if "d" in want:
            rows += stats_postgres(args, tmp)
        if "f" in want:
            rows += big_pdf(args, tmp)
    rows.sort(key=lambda r: r.scenario)

    from tabulate import tabulate

    print()
    print(tabulate([(r.scenario, r.what, r.planwh, r.baseline, f"{r.ratio:.2f}", r.goal,
                     verdict(r.ok), r.note) for r in rows],
                   headers=["", "work", "planwh", "baseline", "ratio", "goal", "", "note"]))
    print(f"\nmedians of {args.runs} rounds; load average at the end "
          f"{' '.join(f'{x:.1f}' for x in os.getloadavg())}"
          + ("; --small: the goals are for the full sizes" if args.small else ""))
    if args.json:
        args.json.write_text(json.dumps({
            "settings": {k: getattr(args, k) for k in ("plans", "plan_tables", "rows", "pages",
                                                      "runs", "small")},
            "cores": CORES, "rows": [asdict(r) for r in rows]}, ensure_ascii=False, indent=1))
    return 0 if args.small or all(r.ok for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
