"""Which files of a raw folder are inputs, and which are there by mistake.

One place for the rule the readers, the pipeline's assets and its sensor share:
hidden files and office lock files (``~$…``) are not inputs; notes (``.md``) are
ignored; any other file whose type the folder does not take is reported, so
that a bureau that sent a legacy ``.doc`` learns it was not read.

Only regular files are read. An entry with an input suffix that is not one — a
FIFO, a device, a directory named ``x.docx``, a dangling or looping symbolic
link — is one error issue, and so is a symbolic link whose target lies outside
the raw folder (the parent of ``folder``): it is refused, never followed. A
link to a regular file inside the raw folder is read. Subdirectories without
an input suffix are not inputs and are passed over, as before.

File names need not be valid UTF-8 (a GBK archive unzipped on Linux): they are
listed like any other, as an :class:`InputPath` whose ``.name`` is the
``display_name`` (undecodable bytes as ``\\xNN``) while the path itself opens
the real file, so that partition keys, issues and warehouse rows carry a name
that encodes; :func:`find_input` maps such a name back to the file. One odd
name never stops the others.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from extractors.records import IngestIssue

DEFAULT_RAW_DIR = "raw"  # the raw folder unless $PLANWH_RAW_DIR or --raw names another
# the statistics file types the reader takes (here, not in extractors.stats, so that
# listing them imports no pandas: a no-op `planwh run` decides without it)
STATS_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls")

NOTES_SUFFIXES = (".md",)
PLAN_SUFFIXES = (".docx", ".pdf")


def display_name(name: str | os.PathLike) -> str:
    """A file name fit to print and store: the undecodable bytes of a name that
    is not valid UTF-8 (surrogate-escaped by Python) shown as ``\\xNN``."""
    name = os.fspath(name)
    if isinstance(name, bytes):
        return name.decode("utf-8", "backslashreplace")
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class InputPath(type(Path())):  # type: ignore[misc]
    """The path of a file whose name is not valid UTF-8: ``.name`` is its
    :func:`display_name`; opening, ``stat()`` and ``os.fspath`` use the real name."""

    @property
    def name(self) -> str:
        return display_name(super().name)


def _listed(p: Path) -> Path:
    """``p``, as an :class:`InputPath` when its name is not valid UTF-8."""
    return p if display_name(p.name) == p.name else InputPath(p)


def find_input(folder: str | Path, name: str) -> Path:
    """The file of ``folder`` listed under ``name`` (its display name): ``folder / name``
    when that exists, else the entry whose name displays as ``name``."""
    folder = Path(folder)
    direct = folder / name
    if os.path.lexists(direct) or "\\x" not in name:
        return direct
    for p in _entries(folder):
        if display_name(p.name) == name:
            return _listed(p)
    return direct


def _kind(mode: int) -> str:
    for test, what in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return what
    return "not a file"


def file_problem(path: str | os.PathLike, root: str | os.PathLike | None = None) -> str | None:
    """Why ``path`` is not read as an input file, or None for a regular file.

    Symbolic links are followed to a regular file, except when the target lies
    outside ``root`` (when given). Reasons: a FIFO, a device, a directory, a
    dangling or looping link, a link leaving ``root``, a missing file.
    """
    path = Path(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        return ("dangling symbolic link (its target does not exist)" if path.is_symlink()
                else "no such file")
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            return "symbolic link loop"
        return f"cannot read file ({exc.strerror})"
    if root is not None and path.is_symlink():
        target = path.resolve()
        base = Path(root).resolve()
        if target != base and base not in target.parents:
            return f"symbolic link to {display_name(target)}, outside the raw folder: refused"
    if not stat.S_ISREG(st.st_mode):
        return f"not a regular file ({_kind(st.st_mode)})"
    return None


def _entries(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if not p.name.startswith((".", "~$")))


def _root(folder: Path) -> Path:
    return folder.resolve().parent


def _is_input(p: Path, suffixes: tuple[str, ...]) -> bool:
    return p.suffix.lower() in suffixes


def input_files(folder: str | Path, suffixes: tuple[str, ...]) -> list[Path]:
    """The regular files of ``folder`` with one of ``suffixes`` (lower case), sorted
    by name (links to regular files inside the raw folder count); a name that is
    not UTF-8 comes as an :class:`InputPath`."""
    folder = Path(folder)
    root = _root(folder) if folder.is_dir() else None
    return [_listed(p) for p in _entries(folder)
            if _is_input(p, suffixes) and file_problem(p, root) is None]


def unsupported_files(folder: str | Path, suffixes: tuple[str, ...]) -> list[Path]:
    """The files of ``folder`` that are neither inputs nor notes."""
    return [p for p in _entries(Path(folder))
            if p.is_file() and p.suffix.lower() not in suffixes + NOTES_SUFFIXES]


def irregular_files(folder: str | Path, suffixes: tuple[str, ...]) -> list[tuple[Path, str]]:
    """(entry, reason) for each entry of ``folder`` with an input suffix that is not
    read: not a regular file, a dangling or looping link, a link leaving the raw folder."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    root = _root(folder)
    out = []
    for p in _entries(folder):
        if _is_input(p, suffixes):
            problem = file_problem(p, root)
            if problem is not None:
                out.append((p, problem))
    return out


def unsupported_file_issues(
    folder: str | Path, suffixes: tuple[str, ...], what: str,
) -> list[IngestIssue]:
    """One error per file that is not read: a file of another type (``what`` names
    the folder's inputs), or an input name that is not a readable regular file."""
    kinds = ", ".join(s.lstrip(".").upper() for s in suffixes)
    issues = [
        IngestIssue(display_name(p.name), "file", "error",
                    f"not read: '{display_name(p.suffix or p.name)}' is not a {what} file type "
                    f"(accepted: {kinds})", "file_type")
        for p in unsupported_files(folder, suffixes)
    ]
    issues += [IngestIssue(display_name(p.name), "file", "error", f"not read: {why}", "file_type")
               for p, why in irregular_files(folder, suffixes)]
    return sorted(issues, key=lambda i: i.source_file)


# --------------------------------------------------------------------------- plans


def list_plan_files(plans_dir: str | Path) -> list[Path]:
    """The plan documents of raw/plans (``PLAN_SUFFIXES``; hidden files, office lock
    files and irregular entries are not inputs): the one listing that ``planwh check``,
    the assets, the sensor and ``planwh run`` share."""
    return input_files(plans_dir, PLAN_SUFFIXES)


def plan_file_issues(plans_dir: str | Path) -> list[IngestIssue]:
    """One error per entry of raw/plans that is not read (another file type, a FIFO, a
    link leaving the raw folder…), as the ``plans`` issues of the warehouse."""
    return unsupported_file_issues(plans_dir, PLAN_SUFFIXES, "plan document")


def file_sha256(path: str | os.PathLike) -> str:
    """The SHA-256 of a file's bytes (hex), read in blocks of 1 MiB."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
