"""Which files of a raw folder are inputs, and which are there by mistake.

One place for the rule the readers, the pipeline's assets and its sensor share:
hidden files and office lock files (``~$…``) are not inputs; notes (``.md``) are
ignored; any other file whose type the folder does not take is reported, so
that a bureau that sent a legacy ``.doc`` learns it was not read.
"""

from __future__ import annotations

from pathlib import Path

from extractors.records import IngestIssue

NOTES_SUFFIXES = (".md",)


def _candidates(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith((".", "~$")))


def input_files(folder: str | Path, suffixes: tuple[str, ...]) -> list[Path]:
    """The files of ``folder`` with one of ``suffixes`` (lower case), sorted by name."""
    return [p for p in _candidates(Path(folder)) if p.suffix.lower() in suffixes]


def unsupported_files(folder: str | Path, suffixes: tuple[str, ...]) -> list[Path]:
    """The files of ``folder`` that are neither inputs nor notes."""
    return [p for p in _candidates(Path(folder))
            if p.suffix.lower() not in suffixes + NOTES_SUFFIXES]


def unsupported_file_issues(
    folder: str | Path, suffixes: tuple[str, ...], what: str,
) -> list[IngestIssue]:
    """One error per unsupported file: ``what`` names the folder's inputs."""
    kinds = ", ".join(s.lstrip(".").upper() for s in suffixes)
    return [
        IngestIssue(p.name, "file", "error",
                    f"not read: '{p.suffix or p.name}' is not a {what} file type "
                    f"(accepted: {kinds})", "file_type")
        for p in unsupported_files(folder, suffixes)
    ]
