"""What people open, opened as they would offline: the attainment report and the GX
Data Docs in headless Chromium (Debian's ``chromium``) with every request that would
leave the machine caught by a local recording proxy. Screenshots go to
data/screenshots/ for people to look at."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
from pathlib import Path
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from tests.helpers import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SHOTS = ROOT / "data" / "screenshots"
# Chromium asks these itself whatever the page (updates, network time, sign-in), even
# with background networking disabled; the pages under test reference none of them.
BROWSER_OWN = re.compile(r"^\S+ (?:https?://)?[^/ ]*(?:\.google\.com|\.googleapis\.com|"
                         r"\.gvt1\.com)(?::443)?[/ ]")


class RecordingProxy:
    """A TCP listener Chromium is told to use as its proxy for every URL: each request
    that would leave the machine arrives here first; its first line is recorded and the
    connection closed."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests: list[str] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    first = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                except OSError:
                    first = "?"
                self.requests.append(first)

    def close(self):
        self.sock.close()

    def page_requests(self, since: int) -> list[str]:
        """Requests after ``since`` other than Chromium's own calls home (its updater,
        clock and account services, which no planwh page references). A connection that
        sent nothing before it closed (a speculative preconnect Chromium drops when it
        exits, seen once in CI) asked for nothing and is not a request."""
        return [r for r in self.requests[since:] if r and not BROWSER_OWN.search(r)]


def chromium(url: str, profile: Path, proxy: RecordingProxy, *extra: str) -> str:
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--disable-domain-reliability",
            "--no-pings", "--disable-client-side-phishing-detection",
            "--disable-features=NetworkTimeServiceQuerying,OptimizationHints,MediaRouter,"
            "Translate,AutofillServerCommunication,CertificateTransparencyComponentUpdater", f"--user-data-dir={profile}",
            f"--proxy-server=http://127.0.0.1:{proxy.port}", "--proxy-bypass-list=<-loopback>",
            "--virtual-time-budget=5000", *extra, url]
    out = subprocess.run(args, capture_output=True, text=True, timeout=120)
    return out.stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    if not CHROMIUM:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    from expectations.offline_docs import make_offline, write_docs_home
    from pipelines.report import write_report_from_warehouse
    from planwh.run_cmd import execute

    work = tmp_path_factory.mktemp("views")
    raw = work / "raw"
    shutil.copytree(ROOT / "raw", raw)
    url = f"duckdb:///{work / 'warehouse.duckdb'}"
    home = work / "dagster_home"  # as `make run` gives it: the instance `make dev` reads
    home.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home)
    old, old_home = os.getcwd(), os.environ.get("DAGSTER_HOME")
    os.chdir(work)
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        outcomes = execute(str(raw), url)
    finally:
        os.chdir(old)
        if old_home is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = old_home
    assert not [f for o in outcomes for f in o.failed]
    docs = work / "data" / "docs"
    for index in docs.glob("*/index.html"):
        make_offline(index.parent)  # idempotent: a no-op once the pipeline does it itself
    write_docs_home(docs)
    engine = sa.create_engine(url)
    report = write_report_from_warehouse(engine, work / "data" / "reports")
    engine.dispose()
    proxy = RecordingProxy()
    yield work, docs, report, proxy
    proxy.close()


def test_report_shows_its_figures_offline(site, tmp_path):
    work, _, report, proxy = site
    # a copy that writes, once loaded, how many figures the browser actually decoded
    probe = report.with_name("probe.html")
    probe.write_text(report.read_text(encoding="utf-8").replace(
        "</body>", "<script>window.addEventListener('load', function () {"
        "var imgs = Array.from(document.querySelectorAll('img.figure'));"
        "document.body.setAttribute('data-figures', imgs.length);"
        "document.body.setAttribute('data-decoded', imgs.filter(function (i) {"
        " return i.complete && i.naturalWidth > 100; }).length); });</script></body>"),
        encoding="utf-8")
    before = len(proxy.requests)
    dom = chromium(probe.as_uri(), tmp_path / "profile", proxy, "--dump-dom")
    figures = int(re.search(r'data-figures="(\d+)"', dom).group(1))
    decoded = int(re.search(r'data-decoded="(\d+)"', dom).group(1))
    plans = len(re.findall(r'<section class="plan"', dom))
    assert plans >= 1 and figures == 3 * plans and decoded == figures
    assert "Milestones" in dom and "evaluated targets" in dom
    SHOTS.mkdir(parents=True, exist_ok=True)
    chromium(report.as_uri(), tmp_path / "profile2", proxy, "--window-size=1400,4000",
             f"--screenshot={SHOTS / 'report.png'}")
    assert (SHOTS / "report.png").stat().st_size > 10_000
    assert proxy.page_requests(before) == []


def test_data_docs_index_lists_validations_offline(site, tmp_path):
    _, docs, _, proxy = site
    before = len(proxy.requests)
    for index in sorted(docs.glob("*/index.html")):
        validations = list((index.parent / "validations").rglob("*.html"))
        dom = chromium(index.as_uri(), tmp_path / f"p-{index.parent.name}", proxy, "--dump-dom")
        listed = re.findall(r'data-href="(validations/[^"]+)"', dom)
        assert len(listed) == len(validations) > 0, index
        # links are URL-encoded (plan file names in Chinese): the files they name exist
        assert all((index.parent / unquote(href)).is_file() for href in listed), listed
    first = sorted(docs.glob("*/validations/**/*.html"))[0]
    dom = chromium(first.as_uri(), tmp_path / "pv", proxy, "--dump-dom")
    assert "<table" in dom and ("fa-check-circle" in dom or "fa-times" in dom)
    SHOTS.mkdir(parents=True, exist_ok=True)
    chromium((docs / "attainment" / "index.html").as_uri(), tmp_path / "ps", proxy,
             "--window-size=1400,900", f"--screenshot={SHOTS / 'data-docs-index.png'}")
    chromium(first.as_uri(), tmp_path / "ps2", proxy, "--window-size=1400,1400",
             f"--screenshot={SHOTS / 'data-docs-validation.png'}")
    assert proxy.page_requests(before) == []


def test_the_proxy_would_see_a_request(site, tmp_path):
    """The recorder is not blind: a page asking the network shows up in it."""
    _, _, _, proxy = site
    page = tmp_path / "online.html"
    page.write_text('<html><body><img src="http://example.invalid/x.png"></body></html>')
    before = len(proxy.requests)
    chromium(page.as_uri(), tmp_path / "po", proxy, "--dump-dom")
    assert any("example.invalid" in r for r in proxy.page_requests(before))


def test_counts_vocabulary(site):
    """The counts the summary, the asset metadata and the report use: one name each, one
    meaning each, and the numbers add up."""
    from pipelines.metadata import counts_metadata
    from warehouse.counts import DEFINITIONS, count_all

    work, _, report, _ = site
    engine = sa.create_engine(f"duckdb:///{work / 'warehouse.duckdb'}")
    try:
        counts = count_all(engine)
        meta = counts_metadata(engine)
        with engine.connect() as c:
            docs = c.execute(sa.text("SELECT COUNT(*) FROM dim_plan")).scalar()
            second = c.execute(sa.text(
                "SELECT COUNT(*) FROM dim_plan WHERE duplicate_of IS NOT NULL")).scalar()
    finally:
        engine.dispose()
    assert [n for n, _, _ in counts.lines()] == list(DEFINITIONS)
    assert set(DEFINITIONS) <= set(meta)
    assert counts["plan documents"] == docs and counts["plans"] == docs - second
    # each plan shown once: fct_attainment holds a copy per plan document
    if second:
        assert counts["attainment rows (all plan documents)"] > counts["attainment rows"]
    assert counts["attainment rows"] == (counts["evaluated targets"] + counts["milestone rows"]
                                         + counts["rows without statistics"])
    page = report.read_text(encoding="utf-8")
    for name, value, _ in counts.lines():
        assert f"<th>{name}</th><td class='num'>{value}</td>" in page


def test_queries_null_where_nothing_was_evaluated(site):
    from tests.helpers import query_header
    from warehouse.queries import list_queries, run_query

    work, _, _, _ = site
    engine = sa.create_engine(f"duckdb:///{work / 'warehouse.duckdb'}")
    try:
        rows = run_query(engine, "city_vs_district_figures")
        with engine.connect() as c:
            milestone_years = set(c.execute(sa.text(
                "SELECT DISTINCT indicator_id, year FROM v_attainment "
                "WHERE level = 'city' AND comparator = 'milestone'")).fetchall())
    finally:
        engine.dispose()
    milestones = [r for r in rows if (r["indicator_id"], r["year"]) in milestone_years]
    assert milestones, "the sample plan has milestone years"
    assert all(r["districts_met"] is None and r["districts_evaluated"] is None
               for r in milestones)
    evaluated = [r for r in rows if r not in milestones]
    assert all(r["districts_met"] is not None for r in evaluated if r["districts_evaluated"])
    for name in list_queries():
        assert "Needs:" in query_header(name), name
    assert "属性" in query_header("binding_indicators_off_target")


def test_make_run_and_make_dev_share_one_instance(site):
    """`make run` and `make dev` give the same DAGSTER_HOME, and a run made with it is
    recorded there (the UI shows it; its assets are materialised)."""
    import dagster as dg

    def home_of(target: str) -> str:
        out = subprocess.run(["make", "-n", "-C", str(ROOT), target, "STAMP="],
                             capture_output=True, text=True, env={**os.environ, "DAGSTER_HOME": ""},
                             check=True).stdout
        line = next(ln for ln in out.splitlines() if "DAGSTER_HOME=" in ln and target_cmd[target] in ln)
        return line.split("DAGSTER_HOME=", 1)[1].split(" ", 1)[0]

    target_cmd = {"run": "planwh run", "dev": "dagster dev"}
    assert home_of("run") == home_of("dev")
    assert "dagster_home" in home_of("run")
    work = site[0]
    # as `make dev` opens it: DAGSTER_HOME names the folder (its event log storage,
    # pipelines/event_storage.py, is found there)
    os.environ["DAGSTER_HOME"], old_home = str(work / "dagster_home"), os.environ.get("DAGSTER_HOME")
    try:
        instance = dg.DagsterInstance.from_config(str(work / "dagster_home"))
    finally:
        if old_home is None:
            os.environ.pop("DAGSTER_HOME")
        else:
            os.environ["DAGSTER_HOME"] = old_home
    with instance:
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"planwh/command": "run"}))
        # the statistics run and one run over the changed plans with the refresh in it
        assert len(runs) >= 2
        assert instance.get_latest_materialization_event(dg.AssetKey("fct_attainment"))
