"""Big PDFs on every core: the pages of a long PDF read in parallel worker processes.

A PDF of at least ``PLANWH_PDF_PARALLEL_PAGES`` pages (default 40) is cut into one
contiguous page range per worker (``PLANWH_PDF_WORKERS``, default: the cores this
process may use; 1 reads serially). Each range but the first is read by a forked child
(``os.fork``, as the reader budget's worker: it inherits the budget's memory limit, and
it dies with its parent, so the budget's time limit stops it too); the first range is
read in this process. The pages' tables come back in page order and are stitched here,
exactly as the serial :func:`extractors.pdf.page.read_pages` would give them:

- a page's section and context depend on the headings of the pages before it: a worker
  starts with an unknown section, and the tables it placed before its first heading get
  the section and context carried over from the ranges before, here;
- the first lines (title), the pages with three-line tables and the warnings are the
  ranges' own, concatenated in page order.

Pure: no Dagster, no planwh meaning (the predicates are passed in).
"""

from __future__ import annotations

import ctypes
import os
import pickle
import signal
import sys
from pathlib import Path

from extractors.pdf.page import PageState, PageTable, read_page_range, read_pages
from extractors.pdf.settings import PdfSettings, Predicates
from extractors.records import PlanwhError

WORKERS_ENV = "PLANWH_PDF_WORKERS"
MIN_PAGES_ENV = "PLANWH_PDF_PARALLEL_PAGES"
DEFAULT_MIN_PAGES = 40
_UNSET = "\x00planwh:section-unknown"  # a worker's section before its first heading


def worker_count() -> int:
    """``PLANWH_PDF_WORKERS`` or the cores this process may run on."""
    value = os.environ.get(WORKERS_ENV, "").strip()
    if value:
        try:
            return max(1, int(value))
        except ValueError:
            pass
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def min_pages() -> int:
    value = os.environ.get(MIN_PAGES_ENV, "").strip()
    try:
        return max(2, int(value)) if value else DEFAULT_MIN_PAGES
    except ValueError:
        return DEFAULT_MIN_PAGES


def page_ranges(n_pages: int, workers: int) -> list[tuple[int, int | None]]:
    """Contiguous 1-based ranges ``(first, last)``; the last one open-ended (``None``),
    so pages the page count missed are still read."""
    workers = max(1, min(workers, n_pages))
    size, extra = divmod(n_pages, workers)
    ranges, first = [], 1
    for i in range(workers):
        last = first + size + (1 if i < extra else 0) - 1
        ranges.append((first, last))
        first = last + 1
    ranges[-1] = (ranges[-1][0], None)
    return ranges


def read_pages_parallel(path: Path, source: str, strategy: str, warnings: list[str],
                        s: PdfSettings, p: Predicates, n_pages: int,
                        workers: int | None = None,
                        serial=read_pages) -> tuple[list[PageTable], PageState]:
    """:func:`read_pages` with the pages read in parallel when the PDF is long enough
    (and ``os.fork`` exists); the same tables, state and warnings either way.
    ``serial``: the serial reader used otherwise (the caller's ``read_pages``)."""
    workers = worker_count() if workers is None else workers
    if workers < 2 or n_pages < min_pages() or not hasattr(os, "fork"):
        return serial(path, source, strategy, warnings, s, p)
    ranges = page_ranges(n_pages, workers)
    children = [_fork(path, source, strategy, s, p, first, last) for first, last in ranges[1:]]
    try:
        results = [_read_range(path, source, strategy, s, p, *ranges[0])]
        while children:
            pid, rfd = children.pop(0)  # collected (reaped) even when it raises
            results.append(_collect(pid, rfd))
    finally:
        for pid, rfd in children:  # an error here or in a worker: the others go too
            _kill(pid, rfd)
    return _merge(results, warnings, s)


def _read_range(path: Path, source: str, strategy: str, s: PdfSettings, p: Predicates,
                first: int, last: int | None) -> tuple[list[PageTable], PageState, list[str]]:
    """The tables of pages ``first``..``last`` (1-based, inclusive; None: to the end),
    read as :func:`read_pages` reads them but from an unknown section."""
    state = PageState(section=_UNSET)
    warnings: list[str] = []
    tables = read_page_range(path, source, strategy, warnings, s, p, state, first, last)
    return tables, state, warnings


def _merge(results, warnings: list[str], s: PdfSettings) -> tuple[list[PageTable], PageState]:
    """The ranges' results in page order, as one serial read would have left them."""
    section: str | None = None
    context: list[str] = []
    out = PageState()
    tables: list[PageTable] = []
    for range_tables, state, range_warnings in results:
        for t in range_tables:
            if t.section == _UNSET:  # placed before the range's first heading
                t.section = section
                t.context = "\n".join(context + ([t.context] if t.context else []))
        tables.extend(range_tables)
        if state.section != _UNSET:
            section, context = state.section, list(state.context)
        else:
            context = context + state.context
        out.first_lines.extend(state.first_lines)
        out.text_pages.extend(state.text_pages)
        warnings.extend(range_warnings)
    out.first_lines = out.first_lines[: s.first_lines]
    out.section, out.context = section, context
    return tables, out


# --------------------------------------------------------------------------- processes


def _die_with_parent() -> None:
    """Linux: SIGKILL this child when its parent dies (the budget kills the parent)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def _fork(path, source, strategy, s, p, first, last) -> tuple[int, int]:
    rfd, wfd = os.pipe()
    sys.stdout.flush()
    sys.stderr.flush()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (its coverage is not collected)
        code = 0
        try:
            os.close(rfd)
            _die_with_parent()
            if os.getppid() != parent:  # the parent died before prctl
                os._exit(1)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                message: tuple = ("ok", _read_range(path, source, strategy, s, p, first, last))
            except MemoryError:
                message = ("memory",)
            except PlanwhError as exc:  # rebuilt in the parent (its __init__ takes 3 args)
                message = ("planwh", type(exc), exc.source_file, exc.reason, exc.location)
            except Exception as exc:  # noqa: BLE001 - raised again in the parent
                message = ("error", exc)
            try:
                data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
            except MemoryError:
                data = pickle.dumps(("memory",))
            except Exception as exc:  # noqa: BLE001 - an exception that does not pickle
                data = pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
            view = memoryview(data)
            while view:
                n = os.write(wfd, view[: 1 << 20])
                view = view[n:]
        except BaseException:  # noqa: BLE001 - nothing may escape a forked child
            code = 4
        finally:
            os._exit(code)
    os.close(wfd)
    return pid, rfd


def _collect(pid: int, rfd: int):
    chunks = []
    try:
        while block := os.read(rfd, 1 << 20):
            chunks.append(block)
    finally:
        os.close(rfd)
    _, status = os.waitpid(pid, 0)
    if not chunks:
        if os.WIFSIGNALED(status):
            raise MemoryError(f"a page worker was killed by signal {os.WTERMSIG(status)}")
        raise MemoryError(f"a page worker stopped (exit {os.WEXITSTATUS(status)})")
    message = pickle.loads(b"".join(chunks))
    if message[0] == "ok":
        return message[1]
    if message[0] == "memory":
        raise MemoryError("a page worker ran out of memory")
    if message[0] == "planwh":
        _, cls, source, reason, location = message
        raise cls(source, reason, location)
    raise message[1]


def _kill(pid: int, rfd: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        os.close(rfd)
    except OSError:
        pass
    os.waitpid(pid, 0)
