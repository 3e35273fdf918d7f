"""The graph's asset specs equal the committed snapshot (tests/snapshots/asset_specs.json).
A failure is a change to the graph: if intended, update the snapshot with
``PYTHONPATH=$PWD python -m tests.asset_snapshot --update`` and commit the diff."""

from __future__ import annotations

import difflib
import json

from tests.asset_snapshot import SNAPSHOT, render


def test_asset_specs_match_snapshot():
    now = render()
    before = SNAPSHOT.read_text(encoding="utf-8")
    diff = "".join(difflib.unified_diff(before.splitlines(True), now.splitlines(True),
                                        "snapshot", "graph now"))
    assert now == before, ("the asset graph changed; if intended run "
                           "`python -m tests.asset_snapshot --update`:\n" + diff)


def test_snapshot_holds_the_graph():
    specs = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert specs["assets"]["plan_targets"]["partitions"].endswith("(plan_files)")
    assert "targets_quality" in specs["assets"]["plan_targets"]["checks"]
    assert "plan_targets" in specs["jobs"]["plan_job"]
