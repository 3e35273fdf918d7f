"""The asset specs of the Dagster graph as JSON (keys, groups, kinds, owners,
partitions, checks, dependencies, descriptions), committed as
``tests/snapshots/asset_specs.json`` so that a change to the graph is a visible diff
(as dagster-open-platform does). ``tests/test_asset_snapshot.py`` regenerates and
compares it; after an intended change, update it with one command:

    PYTHONPATH=$PWD python -m tests.asset_snapshot --update
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

SNAPSHOT = Path(__file__).resolve().parent / "snapshots" / "asset_specs.json"


def _partitions(partitions_def) -> str | None:
    if partitions_def is None:
        return None
    name = getattr(partitions_def, "name", None)
    return f"{type(partitions_def).__name__}({name})" if name else type(partitions_def).__name__


def asset_specs() -> dict:
    """{asset key: its spec} over the graph ``pipelines.definitions.defs`` builds."""
    from pipelines.definitions import defs

    graph = defs.resolve_asset_graph()
    out = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        checks = sorted(c.name for c in graph.get_check_keys_for_assets([key]))
        out[key.to_user_string()] = {
            "group": node.group_name,
            "kinds": sorted(node.kinds),
            "owners": sorted(node.owners),
            "partitions": _partitions(node.partitions_def),
            "materializable": node.is_materializable,
            "deps": sorted(k.to_user_string() for k in node.parent_keys),
            "checks": checks,
            "description": node.description,
        }
    jobs = {job.name: sorted(k.to_user_string() for k in job.selection.resolve(graph))
            for job in defs.jobs or []}
    return {"assets": out, "jobs": dict(sorted(jobs.items()))}


def render() -> str:
    return json.dumps(asset_specs(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--update" in argv:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(text, encoding="utf-8")
        print(f"wrote {SNAPSHOT}")
        return 0
    same = SNAPSHOT.is_file() and SNAPSHOT.read_text(encoding="utf-8") == text
    print("asset specs match the snapshot" if same else
          "asset specs differ from the snapshot: run python -m tests.asset_snapshot --update")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
