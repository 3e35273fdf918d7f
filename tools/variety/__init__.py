"""Variety generator: plan documents and statistics files written as others write
them, along every axis of CONTRACT §3-5, with gold from the spec (never from
parsing). ``generate`` is used by ``tools/make_variety.py``, ``bench/accuracy.py``
and ``tests/test_accuracy_seed.py``."""

from __future__ import annotations

import json
from pathlib import Path

FORMATS = ("docx", "lo-pdf", "rl-pdf")
REFERENCE = Path(__file__).resolve().parents[2] / "raw" / "reference"


def generate(seed: int, n: int, m: int = 0, formats=FORMATS, out: Path | None = None,
             reference: Path = REFERENCE) -> dict:
    """Gold for ``n`` plan documents and ``m`` statistics files of ``seed``;
    with ``out``, the files are written there too and ``gold.json`` beside them.
    The gold depends only on (seed, n, m, formats) and the reference folder."""
    from tools.variety.plans import sample_plans
    from tools.variety.stats import stats_spec, write_stats

    specs = sample_plans(seed, n, tuple(formats))
    sspecs = [stats_spec(seed, i, reference) for i in range(m)]
    from tools.plan_writer import FONT

    gold = {
        "seed": seed,
        # reportlab layouts (which specs fit, rl_* axes) depend on the font's metrics
        "rl_font": FONT,
        "formats": list(formats),
        "plans": [dict(source_file=s.file_name, axes=s.axes, gold=s.gold) for s in specs],
        "stats": [dict(source_file=s.file_name, axes=s.axes, expect_issue_rows=s.expect_issue_rows,
                       gold=s.gold) for s in sspecs],
    }
    if out is not None:
        from tools.variety.render import render_plans

        out = Path(out)
        render_plans(specs, out)
        for s in sspecs:
            write_stats(s, out)
        write_gold(gold, out / "gold.json")
    return gold


def dumps(gold: dict) -> str:
    return json.dumps(gold, ensure_ascii=False, indent=1, sort_keys=True)


def write_gold(gold: dict, path: Path) -> None:
    Path(path).write_text(dumps(gold) + "\n", encoding="utf-8")
