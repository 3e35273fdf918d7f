"""Plan parsing on a real distributed executor: Dagster's Celery executor, a Redis broker and
two ``dagster-celery`` worker processes on this machine, the warehouse and the Dagster
instance on PostgreSQL (docs/operations.md, "Past one machine").

The test starts everything it needs and stops it again: the two workers always, Redis only
when none answers on 127.0.0.1:6379 (then a private ``redis-server`` on a free port). Its
Redis keys carry a prefix of their own and are deleted at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from tests.helpers import PG_ADMIN_URL, ROOT, copy_raw, create_database, drop_database

pytestmark = [
    pytest.mark.slow, pytest.mark.pg, pytest.mark.e2e, pytest.mark.timeout(180),
    # dagster-celery registers its task again on every submission (harmless)
    pytest.mark.filterwarnings("ignore:Task name 'execute_plan' is already registered"),
]

try:
    import dagster_celery  # noqa: F401
    import redis
except ImportError as e:  # the distributed extra (make test installs it)
    if os.environ.get("CI") == "true":
        raise ImportError(f"CI=true: tests/test_distributed.py needs the distributed extra: {e}") from e
    pytest.skip(f"needs the distributed extra: {e}", allow_module_level=True)

WORKERS = 2
BIN = Path(sys.executable).parent  # the venv's bin: dagster-celery runs `celery` from PATH


def _unavailable(reason: str):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (CI=true: no skipping)")
    pytest.skip(reason)


def _ping(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(proc: subprocess.Popen, tree: set[int] = frozenset(), grace: float = 20) -> None:
    """SIGTERM to the process group of ``proc`` (a worker and its pool children) and to
    the processes of ``tree``; SIGKILL to whatever still runs after ``grace`` seconds."""
    import psutil

    procs = []
    for pid in {proc.pid, *tree}:
        try:
            procs.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            pass
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    for p in procs:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=grace)
    for p in alive:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=10)
    if proc.poll() is None:
        proc.wait(10)


@pytest.fixture()
def redis_url(tmp_path):
    """A Redis that answers: the machine's, or a private one this fixture starts and stops."""
    url = os.environ.get("PLANWH_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    if _ping(url):
        yield url
        return
    server = shutil.which("redis-server")
    if server is None:
        _unavailable(f"no Redis at {url} and no redis-server to start (apt-get install redis-server)")
    port = _free_port()
    proc = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 20
        while not _ping(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"redis-server did not start on port {port}")
            time.sleep(0.2)
        yield url
    finally:
        _stop(proc, grace=10)


@pytest.fixture()
def dagster_pg_instance(tmp_path, pg_url):
    """A Dagster instance on a temp DAGSTER_HOME with its storage in its own throwaway
    PostgreSQL database (the workers write their step events to it) and the `warehouse`
    pool limited to one step at a time, as in the production profile."""
    import dagster as dg
    import sqlalchemy as sa
    import yaml

    name = f"planwh_dagster_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    create_database(admin, name)
    home = tmp_path / "dagster_home"
    home.mkdir()
    storage_url = sa.make_url(PG_ADMIN_URL).set(drivername="postgresql", database=name)
    (home / "dagster.yaml").write_text(yaml.safe_dump({
        "storage": {"postgres": {"postgres_url": storage_url.render_as_string(hide_password=False)}},
        "concurrency": {"pools": {"default_limit": 1}},
        "telemetry": {"enabled": False},
    }))
    try:
        instance = dg.DagsterInstance.from_config(str(home))
        try:
            yield home, instance
        finally:
            instance.dispose()
    finally:
        drop_database(admin, name)
        admin.dispose()


def _process_tree(pid: int) -> set[int]:
    import psutil

    try:
        root = psutil.Process(pid)
        return {pid} | {p.pid for p in root.children(recursive=True)}
    except psutil.NoSuchProcess:
        return set()


def test_plan_steps_run_on_two_celery_workers(tmp_path, monkeypatch, pg_url, redis_url,
                                              dagster_pg_instance):
    import dagster as dg
    import psutil
    import sqlalchemy as sa
    from dagster_celery.cli import get_app

    from extractors.files import list_plan_files
    from extractors.plans import extract_plan
    from pipelines.assets.plans import plan_files
    from pipelines.definitions import celery_plan_job
    from pipelines.executors import celery_worker_config

    home, instance = dagster_pg_instance
    raw = copy_raw(tmp_path / "raw", stats=False)
    names = [p.name for p in list_plan_files(raw / "plans")]
    assert names, "raw/plans has no plan documents"
    work = tmp_path / "work"  # the workers' working directory (Data Docs go under data/)
    work.mkdir()

    prefix = f"planwh-test-{uuid.uuid4().hex[:8]}:"
    settings = {
        "PLANWH_EXECUTOR": "celery",
        "PLANWH_CELERY_BROKER": redis_url,
        "PLANWH_CELERY_BACKEND": redis_url,
        "PLANWH_CELERY_KEYPREFIX": prefix,
        "PLANWH_RAW_DIR": str(raw),
        "PLANWH_WAREHOUSE_URL": pg_url,
        "DAGSTER_HOME": str(home),
    }
    for key, value in settings.items():  # this process runs the run: same settings
        monkeypatch.setenv(key, value)
    worker_yaml = celery_worker_config(tmp_path / "celery.yaml")
    env = {**os.environ, **settings,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}

    tag = uuid.uuid4().hex[:6]
    node_names = [f"planwh-{tag}-w{i + 1}" for i in range(WORKERS)]
    workers: list[subprocess.Popen] = []
    _tree_of: dict[int, set[int]] = {}
    tree: set[int] = set()
    logs = []
    app = get_app(str(worker_yaml))
    try:
        for node in node_names:
            log = (tmp_path / f"{node}.log").open("w")
            logs.append(log)
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "dagster_celery.cli", "worker", "start",
                 "-A", "dagster_celery.app", "-y", str(worker_yaml), "-n", node,
                 "--loglevel", "WARNING", "--", "--concurrency=1", "--without-gossip",
                 "--without-mingle"],
                cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        # both workers answer the broker before any run starts
        deadline = time.monotonic() + 90
        answered: set[str] = set()
        while len(answered) < WORKERS:
            for w in workers:
                assert w.poll() is None, f"a worker exited:\n{_tail(tmp_path)}"
            assert time.monotonic() < deadline, f"workers did not answer:\n{_tail(tmp_path)}"
            for reply in app.control.ping(timeout=1.0) or []:
                answered |= {n.split("@", 1)[0] for n in reply} & set(node_names)
        for w in workers:
            _tree_of[w.pid] = _process_tree(w.pid)
            tree |= _tree_of[w.pid]

        instance.add_dynamic_partitions(plan_files.name, names)
        job = dg.reconstructable(celery_plan_job)
        results = {}
        for name in names:
            results[name] = dg.execute_job(job, instance, tags={"dagster/partition": name})
        for w in workers:
            tree |= _process_tree(w.pid)
        for name, result in results.items():
            assert result.success, f"{name}: run failed\n{_tail(tmp_path)}"

        # where the steps ran: the worker named in each delegation event and the pid of
        # every step event
        hosts, pids, steps = set(), set(), []
        for result in results.values():
            for entry in instance.all_logs(result.run_id):
                event = entry.dagster_event
                if event is None or not event.step_key:
                    continue
                if event.event_type_value == "STEP_START":
                    steps.append(event.step_key)
                    pids.add(event.pid)
                if event.event_type_value == "ENGINE_EVENT" and event.event_specific_data:
                    md = event.event_specific_data.metadata or {}
                    if "Celery worker" in md:
                        hosts.add(md["Celery worker"].value)
        assert sorted(steps) == sorted(["plan_targets", "plan_tables"] * len(names))
        assert os.getpid() not in pids
        assert pids <= tree, f"steps ran outside the workers: {pids - tree}"
        assert len(pids) >= 2, f"every step ran in one process: {pids}"
        assert {h.split("@", 1)[0] for h in hosts} == set(node_names), hosts

        # the warehouse got the plan rows: every plan, all its records
        engine = sa.create_engine(pg_url)
        try:
            with engine.connect() as c:
                loaded = dict(c.execute(sa.text(
                    "SELECT p.source_file, count(t.plan_id) FROM dim_plan p "
                    "LEFT JOIN fct_target t ON t.plan_id = p.plan_id GROUP BY p.source_file")).all())
        finally:
            engine.dispose()
        expected = {name: len(extract_plan(raw / "plans" / name).records) for name in names}
        assert all(expected.values()), expected
        assert loaded == expected
    finally:
        for w in workers:
            tree |= _process_tree(w.pid)
        for w in workers:
            _stop(w, _process_tree(w.pid) | _tree_of.get(w.pid, set()))
        for log in logs:
            log.close()
        client = redis.Redis.from_url(redis_url)
        try:
            keys = list(client.scan_iter(match=f"{prefix}*"))
            if keys:
                client.delete(*keys)
        finally:
            client.close()
        app.close()
        _drop_kombu_pools()
    left = [p for p in tree if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
    assert not left, f"worker processes left behind: {left}"


def _drop_kombu_pools() -> None:
    """Close and forget kombu's connection pools in this (pytest) process. Each pool
    registers a multiprocessing after-fork hook that closes its Redis connections in
    the child; a later test that forks through multiprocessing (planwh run's plan
    readers) would otherwise hang in that hook, reading a socket it shares with us."""
    import gc

    from kombu import pools

    pools.reset()
    gc.collect()


def _tail(tmp_path: Path, lines: int = 40) -> str:
    out = []
    for log in sorted(tmp_path.glob("planwh-*.log")):
        text = log.read_text(errors="replace").splitlines()[-lines:]
        out.append(f"--- {log.name}\n" + "\n".join(text))
    return "\n".join(out)
