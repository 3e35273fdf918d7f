"""The raw folder's required layout (CONTRACT section 2), checked before any step.

No Dagster import here: ``planwh run`` refuses a wrong folder before paying for it.
A run over a folder without ``plans/`` would otherwise remove every loaded plan as
"deleted from raw/plans" — a wrong ``--raw`` must change nothing.
"""

from __future__ import annotations

from pathlib import Path

RAW_PARTS = ("plans", "stats", "reference")


def raw_folder_problem(root: str | Path) -> str | None:
    """Why ``root`` is not a raw folder, in one line; None when it is."""
    root = Path(root)
    if not root.is_dir():
        return f"{root}: no such raw folder"
    missing = [p for p in RAW_PARTS if not (root / p).is_dir()]
    if missing:
        return (f"{root} is not a raw folder: {', '.join(m + '/' for m in missing)} missing "
                f"(it must hold {', '.join(p + '/' for p in RAW_PARTS)}); nothing was changed")
    return None
