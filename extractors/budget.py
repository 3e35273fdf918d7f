"""Every reader runs under a budget: a worker process with a wall-time and a memory limit.

A hostile or broken document can make a parser loop forever (a PDF whose
stream ``/Length`` refers to itself) or allocate without bound (a DOCX cell
spanning two billion columns, a one-line CSV of a gigabyte). planwh therefore
reads each plan document and each statistics file in a forked worker process:

- the worker's memory in use (its resident set, ``VmRSS`` of
  ``/proc/<pid>/status``, polled by the parent every 50 ms) may grow by at most
  ``PLANWH_READ_MEMORY_MB`` (default 2048 MB) over the parent's at the fork;
  beyond it the worker is killed. Address space is not the measure: pyarrow's
  and numpy's allocators reserve virtual memory they never touch, so a 5M-row
  CSV needing 1.5 GB in use reserves well over 2 GB. ``RLIMIT_AS`` stays only
  as a backstop (:data:`ADDRESS_SPACE_FACTOR` times the budget, at least
  :data:`ADDRESS_SPACE_MIN_MB` MB over the inherited size), for an allocation
  faster than the poll;
- the worker is killed after ``PLANWH_READ_TIMEOUT`` seconds (default 300).

Exceeding either is :class:`ReaderBudgetExceeded` (for a plan document, the
subclass :class:`PlanBudgetExceeded`, which is also an ``UnreadableDocument``),
whose reason says which budget was exceeded; no traceback. The worker sends
its result back pickled (a ``PlanDocument`` or a ``StatsResult``), written to
the pipe as it is pickled and unpickled from the pipe as it arrives (no whole
copy of the pickle on either side).

Setting both variables to 0 reads in-process without any limit (debugging);
a worker never forks another worker. Platforms without ``fork`` read in-process.

A small DOCX is read in-process too (:func:`reads_in_process`), because the worker's
fixed cost (the fork, the child's first touches of the heap it shares with the parent,
the pickled result: ≈ 0.05–0.1 s) is most of what reading it costs. The pre-flight reads
only the zip's central directory: a regular file of at most ``PLANWH_READ_INPROCESS_MB``
(default 8 MB) that is a zip archive, unencrypted, stored or deflated members only, at
most :data:`INPROCESS_MAX_MEMBERS` members whose declared uncompressed sizes add up to at
most ``PLANWH_READ_INPROCESS_MB``. What the in-process read can then cost is bounded
without the worker: ``zipfile`` inflates a member no further than its declared size and
checks its CRC (a member lying about its size is a corrupt DOCX, not a bomb), the XML
parser resolves no entities and refuses any DTD (``extractors.docx_tables``), and the
grid of a table is bounded (``MAX_GRID_POSITIONS``). The time budget does not apply to
such a read. Anything else — a larger or odd zip, a PDF, a file that is not a zip —
goes to the worker. ``PLANWH_READ_INPROCESS_MB=0`` sends every file to the worker.
:func:`read_plans` reading on several cores forks a worker per batch of such small DOCXs
(at most :data:`BATCH_FILES`, each file's outcome sent as soon as it is known) and a
worker per other file: every core, without a fork of a large parent per small file.

The worker is a bare ``os.fork`` (not ``multiprocessing``) so that it also
works inside Dagster's steps: the in-process executor and the subprocesses of
the multiprocess executor alike, daemonic or not. This module never imports
Dagster.

File names that are not valid UTF-8 (bytes left by unzipping a GBK archive)
reach Python as surrogate escapes; :func:`display_name` is the readable form
every result and issue carries instead (``\\xd1\\xf8…`` for undecodable bytes;
``extractors.files``).
"""

from __future__ import annotations

import io
import os
import pickle
import resource
import select
import signal
import sys
import tempfile
import time
import traceback
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from extractors.files import display_name, file_problem, find_input
from extractors.records import (
    IngestIssue,
    Metric,
    NoPlanTable,
    PlanDocument,
    PlanwhError,
    UnreadableDocument,
)

DEFAULT_TIMEOUT_S = 300.0
DEFAULT_MEMORY_MB = 2048
DEFAULT_INPROCESS_MB = 8
TIMEOUT_ENV = "PLANWH_READ_TIMEOUT"
MEMORY_ENV = "PLANWH_READ_MEMORY_MB"
INPROCESS_ENV = "PLANWH_READ_INPROCESS_MB"
INPROCESS_MAX_MEMBERS = 1000  # zip members of a DOCX read in-process (a plan has ~20)
BUDGET_CHECK = "reader_budget"
POLL_S = 0.05  # how often the parent measures the worker's resident set
ADDRESS_SPACE_FACTOR = 4  # RLIMIT_AS backstop: this many times the memory budget ...
ADDRESS_SPACE_MIN_MB = 4096  # ... and at least this much over the inherited size

PART_ROWS = 500_000  # statistics rows per part sent back by the worker
T = TypeVar("T")
_IN_WORKER = False  # set in a worker: a worker never forks another
_EMIT: Callable[[Any], None] | None = None  # where emit() sends a part


class ReaderBudgetExceeded(PlanwhError):
    """A reader stopped because it exceeded its time or memory budget (or crashed)."""


class PlanBudgetExceeded(ReaderBudgetExceeded, UnreadableDocument):
    """A plan document whose reader exceeded its budget: also an ``UnreadableDocument``,
    so that every caller handling unreadable plans handles it."""


class BadBudgetSetting(ValueError):
    """PLANWH_READ_TIMEOUT, PLANWH_READ_MEMORY_MB or PLANWH_READ_INPROCESS_MB is not a
    number >= 0."""


# --------------------------------------------------------------------------- budget


def _env_number(var: str, default: float) -> float:
    text = os.environ.get(var, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise BadBudgetSetting(f"{var}={text!r} is not a number") from None
    if not value >= 0 or value == float("inf"):
        raise BadBudgetSetting(f"{var}={text!r} must be a finite number >= 0 (0: no limit)")
    return value


@dataclass(frozen=True)
class Budget:
    """Wall-time (seconds) and memory (MB of resident-set growth); 0 = no limit.
    ``inprocess_mb``: a DOCX up to this size is read without a worker
    (:func:`reads_in_process`; 0: never)."""

    timeout_s: float = DEFAULT_TIMEOUT_S
    memory_mb: int = DEFAULT_MEMORY_MB
    inprocess_mb: float = DEFAULT_INPROCESS_MB

    @classmethod
    def from_env(cls) -> Budget:
        """From PLANWH_READ_TIMEOUT, PLANWH_READ_MEMORY_MB and PLANWH_READ_INPROCESS_MB
        (BadBudgetSetting when invalid)."""
        return cls(_env_number(TIMEOUT_ENV, DEFAULT_TIMEOUT_S),
                   int(_env_number(MEMORY_ENV, DEFAULT_MEMORY_MB)),
                   _env_number(INPROCESS_ENV, DEFAULT_INPROCESS_MB))

    @property
    def unlimited(self) -> bool:
        return not self.timeout_s and not self.memory_mb

    def describe(self) -> str:
        time_part = f"{self.timeout_s:g} s" if self.timeout_s else "no time limit"
        mem_part = f"{self.memory_mb} MB" if self.memory_mb else "no memory limit"
        return f"{time_part}, {mem_part}"


def _address_space_bytes() -> int:
    """This process's current virtual size (Linux /proc; 0 where unknown)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def _resident_bytes(pid: int | str = "self") -> int:
    """The resident set (memory in use) of process ``pid`` (Linux /proc; 0 where unknown)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _limit_memory(memory_mb: int) -> None:
    """The address-space backstop (the budget itself is the parent's resident-set poll)."""
    if not memory_mb:
        return
    backstop_mb = max(ADDRESS_SPACE_FACTOR * memory_mb, ADDRESS_SPACE_MIN_MB)
    limit = _address_space_bytes() + backstop_mb * 1024 * 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft) if soft > 0 else limit
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def emit(part: Any) -> None:
    """Send ``part`` (it must pickle) to the ``on_part`` of :func:`run_budgeted` now,
    ahead of the result: from a worker over the pipe, in-process by a direct call."""
    if _EMIT is None:
        raise RuntimeError("emit() outside run_budgeted(..., on_part=...)")
    _EMIT(part)


def _message(fn: Callable[..., Any], args: tuple) -> tuple:
    """``fn(*args)`` as a worker reports it (:func:`_outcome` reads it back): its result,
    or what it raised: out of memory, a ``PlanwhError``, or a reader bug."""
    try:
        return ("ok", fn(*args))
    except MemoryError:
        return ("memory",)
    except PlanwhError as exc:
        return ("planwh", type(exc), exc.source_file, exc.reason, exc.location)
    except RecursionError as exc:
        return ("bug", type(exc).__name__, str(exc)[:500], "")
    except Exception as exc:  # noqa: BLE001 - a reader bug: the parent re-raises it
        return ("bug", type(exc).__name__, str(exc)[:2000], traceback.format_exc())


def _child(fn: Callable[..., Any], args: tuple, budget: Budget, wfd: int) -> None:
    """Worker side: never returns."""
    global _IN_WORKER, _EMIT
    _IN_WORKER = True
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        _limit_memory(budget.memory_mb)
        pipe = os.fdopen(wfd, "wb", buffering=1 << 20, closefd=False)
        def _emit(part: Any) -> None:  # sent now: a worker killed later keeps it sent
            pickle.dump(("part", part), pipe, protocol=pickle.HIGHEST_PROTOCOL)
            pipe.flush()

        _EMIT = _emit
        message = _message(fn, args)
        # pickled straight into the pipe: no whole bytes copy of a large frame
        with pipe:
            try:
                pickle.dump(message, pipe, protocol=pickle.HIGHEST_PROTOCOL)
            except MemoryError:  # part of the pickle may be sent: the parent sees it cut
                code = 3
    except MemoryError:
        code = 3
    except BaseException:  # noqa: BLE001 - nothing may escape a forked child
        code = 4
    finally:
        os._exit(code)


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def run_budgeted(fn: Callable[..., T], *args: Any, source_file: str,
                 budget: Budget | None = None,
                 exceeded: type[ReaderBudgetExceeded] = ReaderBudgetExceeded,
                 on_part: Callable[[Any], None] | None = None) -> T:
    """``fn(*args)`` in a forked worker under ``budget`` (default: from the environment).

    Returns what ``fn`` returns (it must pickle); each part ``fn`` sends ahead with
    :func:`emit` is given to ``on_part`` as it arrives (a large result in pieces:
    neither side holds the whole pickle). A ``PlanwhError`` raised by
    ``fn`` is raised again here (same class, file, reason, location). Running
    out of time or memory, or a worker killed by a signal, raises ``exceeded``
    with the reason. Any other exception of ``fn`` (a reader bug) is raised as
    ``RuntimeError`` with the worker's traceback in its message.
    """
    global _EMIT
    budget = budget or Budget.from_env()
    if budget.unlimited or _IN_WORKER or not hasattr(os, "fork"):
        if on_part is None:
            return fn(*args)
        outer, _EMIT = _EMIT, on_part
        try:
            return fn(*args)
        finally:
            _EMIT = outer
    rfd, wfd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the worker (its coverage is not collected)
        os.close(rfd)
        _child(fn, args, budget, wfd)
    os.close(wfd)
    pipe = _WorkerPipe(rfd, pid, budget)
    message = None
    stream = io.BufferedReader(pipe, 1 << 20)
    try:
        while True:
            try:
                message = pickle.load(stream)
            except (EOFError, pickle.UnpicklingError, ValueError, AttributeError,
                    ImportError, IndexError, TypeError):
                message = None  # cut short: the worker died or was stopped while sending
            if message is None or message[0] != "part":
                break
            if on_part is not None:
                on_part(message[1])
    except BaseException:  # Ctrl-C in the parent: the worker goes too
        _kill(pid)
        _wait(pid)
        raise
    finally:
        os.close(rfd)
    if pipe.stopped is not None:
        _kill(pid)
    _, status = _wait(pid)
    return _outcome(message, status, pipe.stopped, budget, source_file, exceeded)


def _outcome(message, status: int, stopped: str | None, budget: Budget, source_file: str,
             exceeded: type[ReaderBudgetExceeded]):
    """What a finished worker's last message (None: none came) means: its result, or the
    exception it stands for, raised."""
    if stopped == "time":
        raise exceeded(source_file, f"reading stopped: exceeded the time budget "
                                    f"({budget.timeout_s:g} s, {TIMEOUT_ENV})")
    if stopped == "memory":
        raise exceeded(source_file, f"reading stopped: exceeded the memory budget "
                                    f"({budget.memory_mb} MB, {MEMORY_ENV})")
    if message is None:
        if os.WIFSIGNALED(status):
            why = f"the reader was killed by {_signal_name(os.WTERMSIG(status))}"
        else:
            why = f"the reader stopped (exit {os.WEXITSTATUS(status)})"
        raise exceeded(source_file, f"reading stopped: {why}, probably because it exceeded "
                                    f"the memory budget ({budget.memory_mb} MB, {MEMORY_ENV})")
    kind = message[0]
    if kind == "ok":
        return message[1]
    if kind == "memory":
        raise exceeded(source_file, f"reading stopped: exceeded the memory budget "
                                    f"({budget.memory_mb} MB, {MEMORY_ENV})")
    if kind == "planwh":
        _, cls, src, reason, location = message
        raise cls(src, reason, location)
    _, name, text, tb = message
    raise RuntimeError(f"{source_file}: reader failed ({name}: {text})\n{tb}".rstrip())


class _WorkerPipe(io.RawIOBase):
    """The read end of the worker's pipe, read under the budget: while waiting for
    bytes, the worker's resident set is measured every ``POLL_S`` and the deadline
    checked; over either, reading stops (``stopped`` says which) as at end of file."""

    def __init__(self, fd: int, pid: int, budget: Budget) -> None:
        self.fd, self.pid = fd, pid
        self.stopped: str | None = None
        self.deadline = time.monotonic() + budget.timeout_s if budget.timeout_s else None
        # the budget is growth over what the worker inherited: the parent's resident set now
        self.rss_limit = (_resident_bytes() + budget.memory_mb * 1024 * 1024
                          if budget.memory_mb else 0)
        self.peak = 0
        self.polled = 0.0

    def readable(self) -> bool:
        return True

    def _over(self) -> str | None:
        now = time.monotonic()
        if self.deadline is not None and now >= self.deadline:
            return "time"
        if self.rss_limit and now - self.polled >= POLL_S:
            self.polled = now
            rss = _resident_bytes(self.pid)
            self.peak = max(self.peak, rss)
            if rss > self.rss_limit:
                return "memory"
        return None

    def readinto(self, buffer) -> int:
        if self.stopped is not None:
            return 0
        while True:
            over = self._over()
            if over is not None:
                self.stopped = over
                _kill(self.pid)
                return 0
            wait = POLL_S
            if self.deadline is not None:
                wait = max(0.0, min(wait, self.deadline - time.monotonic()))
            ready, _, _ = select.select([self.fd], [], [], wait)
            if ready:
                return os.readv(self.fd, [buffer])


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:  # pragma: no cover - already reaped
        pass


def _wait(pid: int) -> tuple[int, int]:
    while True:
        try:
            return os.waitpid(pid, 0)
        except InterruptedError:  # pragma: no cover - PEP 475 retries already
            continue


# --------------------------------------------------------------------------- plans


@contextmanager
def _readable_path(path: Path) -> Iterator[Path]:
    """``path``, or, when its name is not valid UTF-8, a symbolic link to it in a
    temporary folder named by ``display_name`` (readers name their rows and
    issues by ``Path(path).name``, which must encode)."""
    real = os.path.basename(os.fspath(path))
    name = display_name(real)
    if name == real:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="planwh-name-") as tmp:
        link = Path(tmp) / name
        os.symlink(os.path.abspath(os.fspath(path)), link)
        yield link


def reads_in_process(path: str | os.PathLike, budget: Budget) -> bool:
    """The pre-flight: whether the plan document at ``path`` is a small, sane DOCX that is
    read in this process rather than in a worker (module docstring). Reads at most the
    file's status, its first 4 bytes and its zip central directory; any doubt (not a
    regular file, too large, not a zip, a corrupt or odd directory) is False: the worker
    reads it, under the budget, and reports what is wrong with it."""
    if (not budget.inprocess_mb or budget.unlimited or _IN_WORKER
            or not hasattr(os, "fork")):
        return False  # unlimited or no fork: run_budgeted reads in-process anyway
    limit = int(budget.inprocess_mb * 1024 * 1024)
    try:
        st = os.stat(path)
        if not (0 < st.st_size <= limit) or (st.st_mode & 0o170000) != 0o100000:
            return False
        with open(path, "rb") as f:
            if f.read(4) != b"PK\x03\x04":
                return False
            # the central directory is part of the file: at most ``limit`` bytes to parse
            with zipfile.ZipFile(f) as zf:
                infos = zf.infolist()
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zipfile.LargeZipFile):
        return False
    if not infos or len(infos) > INPROCESS_MAX_MEMBERS:
        return False
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:  # encrypted
            return False
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            return False
        total += info.file_size
    return total <= limit


def _run_inline(fn: Callable[..., T], *args: Any, source_file: str, budget: Budget,
                exceeded: type[ReaderBudgetExceeded]) -> T:
    """``fn(*args)`` in this process, its outcome mapped exactly as a worker's is
    (:func:`_message`, :func:`_outcome`): a ``PlanwhError`` as it is, out of memory as
    ``exceeded``, any other exception (a reader bug) as ``RuntimeError`` with the
    traceback in its message."""
    return _outcome(_message(fn, args), 0, None, budget, source_file, exceeded)


def _renamed(exc: PlanwhError, name: str) -> PlanwhError:
    return type(exc)(name, exc.reason, exc.location)


def extract_plan(path: str | os.PathLike, budget: Budget | None = None) -> PlanDocument:
    """``extractors.plans.extract_plan`` under the reader budget.

    Raises ``UnreadableDocument`` (``PlanBudgetExceeded`` when over budget, or
    for a FIFO, device, directory or dangling link) or ``NoPlanTable``; names
    that are not UTF-8 come back as :func:`display_name`.
    """
    from extractors.plans import extract_plan as _extract

    return read_plan_with(_extract, path, budget)


def read_plan_with(reader: Callable[[Path], PlanDocument], path: str | os.PathLike,
                   budget: Budget | None = None) -> PlanDocument:
    """Any plan reader (``extractors.plans.extract_plan``, or the reader behind
    ``planwh explain``) run on ``path`` under the reader budget, with the file
    checks and display names of :func:`extract_plan`. ``reader`` need not pickle
    (the worker is forked); its result must."""
    path = Path(path)
    if not os.path.lexists(path):  # listed under its display name (extractors.files)
        path = find_input(path.parent, path.name)
    name = display_name(path.name)
    problem = file_problem(path)
    if problem is not None:
        raise UnreadableDocument(name, problem)
    budget = budget or Budget.from_env()
    try:
        with _readable_path(path) as readable:
            if reads_in_process(readable, budget):
                doc = _run_inline(reader, readable, source_file=name,
                                  exceeded=PlanBudgetExceeded, budget=budget)
            else:
                doc = run_budgeted(reader, readable, source_file=name, budget=budget,
                                   exceeded=PlanBudgetExceeded)
    except (UnreadableDocument, NoPlanTable) as exc:
        if exc.source_file != name:
            raise _renamed(exc, name) from None
        raise
    if doc.source_file != name:
        doc.source_file = name
        for rec in doc.records:
            rec.source_file = name
    return doc



@dataclass
class _Job:
    """One plan file being read by its own forked worker (:func:`read_plans`)."""

    key: str
    name: str  # display name
    pid: int
    fd: int
    pipe: _WorkerPipe
    data: bytearray
    batch: list[tuple[str, str, Path]] | None = None  # a batch's (key, name, readable path)


def read_plans(paths: Mapping[str, str | os.PathLike], workers: int,
               budget: Budget | None = None) -> dict[str, PlanDocument | Exception]:
    """:func:`extract_plan` of every file ``{key: path}``, up to ``workers`` at once: each
    file in a bare-forked worker under the budget (time and memory polled by this process
    for every worker, as :func:`run_budgeted` does for one): a worker of its own, or, for
    a small sane DOCX (:func:`reads_in_process`), a worker per batch of up to
    :data:`BATCH_FILES` (:func:`_finish_batch`), so that one hostile document is one
    result and the others are still read.

    Returns ``{key: PlanDocument}`` for the files read, or the exception each other file
    stands for: ``UnreadableDocument`` (``PlanBudgetExceeded`` over budget),
    ``NoPlanTable``, or ``RuntimeError`` for a reader bug. Never raises for one file.
    Bare ``os.fork`` (no ``multiprocessing`` pool): nothing runs in the workers but the
    reader, so no after-fork hook of another library (e.g. kombu's) is involved, and it
    works inside Dagster steps. One worker, no fork available, an unlimited budget, or
    inside a worker: read one after the other."""
    from extractors.plans import extract_plan as _extract
    from extractors.plans import preload_readers

    budget = budget or Budget.from_env()
    results: dict[str, PlanDocument | Exception] = {}
    if workers < 2 or len(paths) < 2 or budget.unlimited or _IN_WORKER or not hasattr(os, "fork"):
        for key, path in paths.items():
            try:
                results[key] = read_plan_with(_extract, path, budget)
            except (PlanwhError, RuntimeError) as exc:
                results[key] = exc
        return results
    preload_readers(paths.values())
    running: dict[int, _Job] = {}
    with ExitStack() as stack:
        pending: list[tuple[str, str, Path]] = []  # (key, display name, readable path)
        small: list[tuple[str, str, Path]] = []
        for key, path in paths.items():
            path = Path(path)
            if not os.path.lexists(path):  # listed under its display name
                path = find_input(path.parent, path.name)
            name = display_name(path.name)
            problem = file_problem(path)
            if problem is not None:
                results[key] = UnreadableDocument(name, problem)
                continue
            readable = stack.enter_context(_readable_path(path))
            (small if reads_in_process(readable, budget) else pending).append(
                (key, name, readable))
        # small, sane DOCX (the pre-flight's, which reads_in_process() reads in-process
        # when alone) in a few batches: a worker each, not one per file (the fork of a
        # large parent costs more than reading such a file); the others one per worker
        size = max(1, min(BATCH_FILES, -(-len(small) // (2 * workers))))
        batches = [small[i:i + size] for i in range(0, len(small), size)]
        try:
            while pending or batches or running:
                while (pending or batches) and len(running) < workers:
                    if batches:
                        job = _fork_batch(batches.pop(0), _extract, budget, running)
                    else:
                        key, name, readable = pending.pop(0)
                        job = _fork_job(key, name, _extract, readable, budget, running)
                    running[job.fd] = job
                if not running:
                    continue
                ready, _, _ = select.select(list(running), [], [], POLL_S)
                done = []
                for fd in ready:
                    chunk = os.read(fd, 1 << 20)
                    if chunk:
                        running[fd].data += chunk
                    else:
                        done.append(running[fd])
                for job in running.values():
                    if job not in done and (over := job.pipe._over()) is not None:
                        job.pipe.stopped = over
                        _kill(job.pid)
                        done.append(job)
                for job in done:
                    del running[job.fd]
                    if job.batch is None:
                        results[job.key] = _finish(job, budget)
                    else:
                        results.update(_finish_batch(job, budget, pending))
        except BaseException:  # Ctrl-C: no worker outlives the read
            for job in running.values():
                _kill(job.pid)
                _wait(job.pid)
                os.close(job.fd)
            raise
    return {key: results[key] for key in paths}


def _fork_worker(fn: Callable[..., Any], args: tuple, budget: Budget,
                 running: Mapping[int, _Job]) -> tuple[int, int]:
    """A bare-forked worker running ``fn(*args)`` (:func:`_child`): its pid and the read
    end of its pipe."""
    rfd, wfd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the worker
        os.close(rfd)
        for fd in running:  # the other workers' pipes are not this one's business
            os.close(fd)
        _child(fn, args, budget, wfd)
    os.close(wfd)
    return pid, rfd


def _fork_job(key: str, name: str, reader, readable: Path, budget: Budget,
              running: Mapping[int, _Job]) -> _Job:
    pid, rfd = _fork_worker(reader, (readable,), budget, running)
    return _Job(key, name, pid, rfd, _WorkerPipe(rfd, pid, budget), bytearray())


BATCH_FILES = 16  # at most this many small plan files per batch worker (read_plans)


def _read_batch(reader, items: list[tuple[str, str, Path]]) -> None:
    """Worker side of a batch job: each file read in turn, its outcome sent as a part
    ``(key, message)`` in the worker's message format (:func:`_message`) as soon as it
    is known. Out of memory ends the batch (the parent sends the files not reported to
    their own workers)."""
    for key, _name, readable in items:
        message = _message(reader, (readable,))
        emit((key, message))
        if message[0] == "memory":
            return


def _fork_batch(items: list[tuple[str, str, Path]], reader, budget: Budget,
                running: Mapping[int, _Job]) -> _Job:
    """A worker for a batch of small files (read_plans): the memory budget as for one
    file; the time budget once per file of the batch."""
    pid, rfd = _fork_worker(_read_batch, (reader, items), budget, running)
    pipe = _WorkerPipe(rfd, pid, budget)
    if pipe.deadline is not None:
        pipe.deadline += budget.timeout_s * (len(items) - 1)
    key, name, _ = items[0]
    return _Job(key, name, pid, rfd, pipe, bytearray(), batch=list(items))


def _decoded(message, status: int, stopped: str | None, budget: Budget,
             name: str) -> PlanDocument | Exception:
    """One file's outcome from its worker message (None: none came), under its name."""
    try:
        doc = _outcome(message, status, stopped, budget, name, PlanBudgetExceeded)
    except (UnreadableDocument, NoPlanTable) as exc:
        return _renamed(exc, name) if exc.source_file != name else exc
    except (PlanwhError, RuntimeError) as exc:
        return exc
    if doc.source_file != name:
        doc.source_file = name
        for rec in doc.records:
            rec.source_file = name
    return doc


def _messages(data: bytearray) -> tuple[list, Any]:
    """A worker's parts, and its last message (None when it was cut short)."""
    parts, message = [], None
    stream = io.BytesIO(bytes(data))
    while True:
        try:
            message = pickle.load(stream)
        except (EOFError, pickle.UnpicklingError, ValueError, AttributeError,
                ImportError, IndexError, TypeError):
            message = None  # cut short
        if message is None or message[0] != "part":
            return parts, message
        parts.append(message[1])


def _finish_batch(job: _Job, budget: Budget,
                  pending: list[tuple[str, str, Path]]) -> dict[str, PlanDocument | Exception]:
    """The outcomes of a batch worker whose pipe ended (or that was stopped). When it
    ended early (over budget, killed, out of memory), the file it was reading gets that
    outcome, and the files it had not reached go back to ``pending``, each to be read
    by its own worker."""
    os.close(job.fd)
    if job.pipe.stopped is not None:
        _kill(job.pid)
    _, status = _wait(job.pid)
    parts, last = _messages(job.data)
    names = {key: name for key, name, _ in job.batch or []}
    out = {key: _decoded(message, 0, None, budget, names[key]) for key, message in parts}
    left = [item for item in job.batch or [] if item[0] not in out]
    if left and not (last is not None and last[0] == "ok"):
        key, name, _ = left.pop(0)
        out[key] = _decoded(last, status, job.pipe.stopped, budget, name)
    pending.extend(left)
    return out


def _finish(job: _Job, budget: Budget) -> PlanDocument | Exception:
    """The result of a worker whose pipe ended (or that was stopped): reaped, decoded."""
    os.close(job.fd)
    if job.pipe.stopped is not None:
        _kill(job.pid)
    _, status = _wait(job.pid)
    return _decoded(_messages(job.data)[1], status, job.pipe.stopped, budget, job.name)


# --------------------------------------------------------------------------- statistics


def read_stats_file(path: str | os.PathLike, resolver, metrics: Mapping[str, Metric],
                    budget: Budget | None = None):
    """``extractors.stats.read_stats_file`` under the reader budget: never raises
    for bad input; a file over budget, not regular, unreadable, or on which the
    reader fails (a bug) is one issue, and the other files are still read."""
    from extractors.stats import StatsResult, empty_frame
    from extractors.stats import read_stats_file as _read

    path = Path(path)
    name = display_name(path.name)

    def one_issue(reason: str, check: str | None = None) -> StatsResult:
        return StatsResult(empty_frame(), [IngestIssue(name, "file", "error", reason, check)])

    problem = file_problem(path)
    if problem is not None:
        return one_issue(f"not read: {problem}", "file_type")
    try:
        with _readable_path(path) as readable:
            result = run_budgeted(_read, readable, resolver, metrics, source_file=name,
                                  budget=budget)
    except ReaderBudgetExceeded as exc:
        return one_issue(exc.reason, BUDGET_CHECK)
    except PlanwhError as exc:
        return one_issue(exc.reason)
    except RuntimeError as exc:  # a reader bug on this file: the others are still read
        return one_issue("not read: " + str(exc).splitlines()[0].split(": ", 1)[-1],
                         "reader_error")
    if name != path.name:
        if len(result.frame):
            result.frame["source_file"] = name
        for issue in result.issues:
            if issue.source_file == path.name:
                issue.source_file = name
    return result


def read_stats_folder(folder: str | os.PathLike, resolver, metrics: Mapping[str, Metric],
                      budget: Budget | None = None):
    """``extractors.stats.read_stats_folder`` with each file read under the budget
    (one file over budget is one issue; the others are read)."""
    from extractors import stats
    from extractors.files import input_files, unsupported_file_issues

    budget = budget or Budget.from_env()
    files = input_files(folder, stats.STATS_SUFFIXES)
    frames, ledgers = [], []
    issues = unsupported_file_issues(folder, stats.STATS_SUFFIXES, "statistics")
    for path in files:
        result = read_stats_file(path, resolver, metrics, budget)
        frames.append(result.frame)
        issues.extend(result.issues)
        ledgers.extend(getattr(result, "ledgers", None) or [])
    frame = stats._concat(frames)
    if len(frames) > 1:
        frame = stats._dedupe(frame, issues)
    out = stats.StatsResult(frame, issues)
    if hasattr(out, "ledgers"):  # the cell ledgers of the files read, when the reader keeps them
        out.ledgers = ledgers
    return out


RESTART_FILE = "planwh:restart-file"  # a part meaning: drop this file's parts sent so far


def _read_in_parts(path: Path, resolver, metrics: Mapping[str, Metric]):
    """Worker side of :func:`stream_stats_folder`: the file's rows sent back by
    :func:`emit` in parts of at most ``PART_ROWS``; the result keeps an empty frame. A
    large tidy CSV is read in batches (``extractors.stats.stream``: the worker never
    holds the whole file); any other file is read whole as
    ``extractors.stats.read_stats_file`` reads it, then sent in parts. A file that stops
    fitting the batches after some were sent is announced by ``RESTART_FILE`` and read
    whole."""
    from extractors.stats import empty_frame
    from extractors.stats import read_stats_file as _read
    from extractors.stats.stream import BatchesBroken, read_stats_batches

    def send(frame) -> None:
        for start in range(0, len(frame), PART_ROWS):
            emit(frame.iloc[start:start + PART_ROWS])

    try:
        result = read_stats_batches(path, resolver, metrics, send)
    except BatchesBroken:
        emit(RESTART_FILE)
        result = None
    if result is not None:
        return result
    result = _read(path, resolver, metrics)
    frame, result.frame = result.frame, empty_frame()
    send(frame)
    return result


def stream_stats_folder(folder: str | os.PathLike, resolver, metrics: Mapping[str, Metric],
                        sink, budget: Budget | None = None):
    """:func:`read_stats_folder` in bounded memory: each file's rows go to
    ``sink.append(frame)`` in parts of at most ``PART_ROWS`` rows as the worker sends
    them, file after file in name order, and no whole frame is kept. A file whose
    reading fails after some of its parts arrived is ``sink.discard(name)``: its rows
    must not load (its issue says why). ``sink.restart(name)``: the parts of ``name``
    sent so far must be dropped, the file is sent again from its start (a large CSV
    that could not be read on in batches). The cross-file duplicate check, and the check
    of the keys a file read in batches repeats across its batches (``repeated_keys``), are
    the caller's (``expectations.stats_sql.dedupe_staged`` on the staging table). Returns
    a ``StatsResult`` with an empty frame, the issues, the files' cell ledgers and those
    repeated keys."""
    from extractors import stats
    from extractors.files import input_files, unsupported_file_issues

    budget = budget or Budget.from_env()
    issues = unsupported_file_issues(folder, stats.STATS_SUFFIXES, "statistics")
    ledgers, repeated = [], []
    for path in input_files(folder, stats.STATS_SUFFIXES):
        name = display_name(path.name)
        sent = 0

        def on_part(frame, name=name, renamed=name != path.name) -> None:
            nonlocal sent
            if isinstance(frame, str) and frame == RESTART_FILE:
                sink.restart(name)  # the file is read again, whole: its parts so far go
                return
            if renamed:
                frame = frame.assign(source_file=name)
            sent += sink.append(frame) or 0

        problem = file_problem(path)
        if problem is not None:
            issues.append(IngestIssue(name, "file", "error", f"not read: {problem}",
                                      "file_type"))
            continue
        failed = None
        try:
            with _readable_path(path) as readable:
                result = run_budgeted(_read_in_parts, readable, resolver, metrics,
                                      source_file=name, budget=budget, on_part=on_part)
        except ReaderBudgetExceeded as exc:
            failed = IngestIssue(name, "file", "error", exc.reason, BUDGET_CHECK)
        except PlanwhError as exc:
            failed = IngestIssue(name, "file", "error", exc.reason)
        except RuntimeError as exc:  # a reader bug on this file: the others are still read
            failed = IngestIssue(name, "file", "error", "not read: "
                                 + str(exc).splitlines()[0].split(": ", 1)[-1], "reader_error")
        if failed is not None:
            if sent:
                sink.discard(name)
            issues.append(failed)
            continue
        for issue in result.issues:
            if issue.source_file == path.name:
                issue.source_file = name
        issues.extend(result.issues)
        ledgers.extend(getattr(result, "ledgers", None) or [])
        repeated.extend(result.repeated_keys)
    return stats.StatsResult(stats.empty_frame(), issues, None, ledgers, repeated)
