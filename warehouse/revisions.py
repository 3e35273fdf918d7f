"""Revised plans in the warehouse (docs/time.md, "Revised plans").

``resolve_revisions`` runs in the transaction of every plan load, plan delete, reference
load and attainment build. From what each document declares (dim_plan.declared_revises,
declared_effective_from) and what ``raw/reference/plan_revisions.csv`` says
(ref_plan_revision, which wins), it links each revising plan to the plan it revises
(dim_plan.revises_plan_id, effective_from, lineage_id), then makes dim_indicator a
type-2 slowly changing dimension (warehouse/sql/indicator_versions.sql) and gives every
fct_target row its validity (warehouse/sql/target_validity.sql). What cannot be linked is
an issue row (scope ``revisions``), never a guess.

Rules: a plan is named by its file name, its title (quotes and 《》 ignored) or its
plan_id; a rendering that duplicates another (dim_plan.duplicate_of) takes no part, and a
name that finds one stands for the plan it duplicates. A revision without an effective
date, naming no loaded plan or several, closing a cycle, or sharing its effective date
with another revision of the same chain is not applied.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from extractors.records import IngestIssue
from extractors.revisions import CHECK, REVISIONS_FILE, plan_name_key
from warehouse.issues import replace_issues
from warehouse.schema import dim_plan, ref_plan_revision
from warehouse.sql import render

ISSUE_SCOPE = "revisions"
RESOLVED = ("revises_plan_id", "effective_from", "revision_source", "lineage_id")
_HEX16 = re.compile(r"^[0-9a-f]{16}$")


def _index(plans) -> dict[str, set[str]]:
    """Every name a plan answers to -> plan_ids (a duplicate rendering stands for the plan
    it duplicates)."""
    out: dict[str, set[str]] = {}
    for p in plans:
        target = p.duplicate_of or p.plan_id
        for name in (p.plan_id, p.source_file, plan_name_key(p.source_file),
                     plan_name_key(p.title)):
            if name:
                out.setdefault(name, set()).add(target)
    return out


def _find(index: dict[str, set[str]], name: str) -> set[str]:
    return index.get(name) or index.get(plan_name_key(name)) or set()


def resolve_revisions(cx: Connection, lineages: set[str] | None = None) -> list[IngestIssue]:
    """Link revisions, version indicators, date targets (in the caller's transaction);
    returns the issues, also stored under scope ``revisions``.

    ``lineages``: the revision chains (lineage_id) a plan load or delete touched, so that
    only their indicators and targets are versioned again (a load costs what its chain
    holds, not the whole warehouse); the chains of plans whose links changed are added.
    None (a build, a reference load): every chain."""
    plans = cx.execute(sa.select(
        dim_plan.c.plan_id, dim_plan.c.title, dim_plan.c.source_file, dim_plan.c.duplicate_of,
        dim_plan.c.declared_revises, dim_plan.c.declared_effective_from,
        *(dim_plan.c[c] for c in RESOLVED))).all()
    refs = cx.execute(sa.select(ref_plan_revision).order_by(ref_plan_revision.c.source_row)).all()
    index = _index(plans)
    by_id = {p.plan_id: p for p in plans}
    issues: list[IngestIssue] = []
    declared: dict[str, tuple[str, object, str, IngestIssue | None]] = {}

    for ref in refs:
        where = f"row {ref.source_row}"
        ids = _find(index, ref.plan)
        if not ids:
            issues.append(IngestIssue(REVISIONS_FILE, where, "warning",
                                      f"no loaded plan is named {ref.plan!r}: row not applied",
                                      CHECK))
        for pid in sorted(ids):
            declared[pid] = (ref.revises, ref.effective_from, "reference", where)
    for p in plans:
        if p.duplicate_of or not p.declared_revises:
            continue
        if p.plan_id in declared:
            name, when, _, where = declared[p.plan_id]
            if (plan_name_key(name), when) != (plan_name_key(p.declared_revises),
                                               p.declared_effective_from):
                issues.append(IngestIssue(
                    p.source_file, "document", "warning",
                    f"the document revises 《{p.declared_revises}》 from "
                    f"{p.declared_effective_from or 'an unstated date'}; {REVISIONS_FILE} "
                    f"{where} says {name!r} from {when}, which is applied", CHECK))
            continue
        if p.declared_effective_from is None:  # reported by the extraction (plan scope)
            continue
        declared[p.plan_id] = (p.declared_revises, p.declared_effective_from, "document",
                               "document")

    links: dict[str, tuple[str, object, str]] = {}
    for pid, (name, when, source, where) in sorted(declared.items()):
        p = by_id[pid]
        src = p.source_file if source == "document" else REVISIONS_FILE
        found = _find(index, name) - {pid}
        if not found:
            issues.append(IngestIssue(src, where, "warning",
                                      f"{p.source_file} revises {name!r}, which is not a loaded "
                                      "plan: its targets stand on their own", CHECK))
        elif len(found) > 1:
            files = ", ".join(sorted(by_id[f].source_file for f in found))
            issues.append(IngestIssue(src, where, "error",
                                      f"{p.source_file} revises {name!r}, which names several "
                                      f"plans ({files}): not applied", CHECK))
        else:
            links[pid] = (found.pop(), when, source)

    def root(pid: str) -> str | None:  # None: a cycle
        seen = {pid}
        while pid in links:
            pid = links[pid][0]
            if pid in seen:
                return None
            seen.add(pid)
        return pid

    for pid in sorted(links):
        if pid in links and root(pid) is None:
            issues.append(IngestIssue(by_id[pid].source_file, "document", "error",
                                      f"{by_id[pid].source_file} is part of a revision cycle: "
                                      "not applied", CHECK))
            del links[pid]
    seen_dates: dict[tuple, str] = {}
    for pid in sorted(links, key=lambda k: (str(links[k][1]), k)):
        key = (root(pid), links[pid][1])
        if key in seen_dates:
            issues.append(IngestIssue(
                by_id[pid].source_file, "document", "error",
                f"{by_id[pid].source_file} and {by_id[seen_dates[key]].source_file} revise the "
                f"same plan from the same day {links[pid][1]}: {by_id[pid].source_file} is not "
                "applied", CHECK))
            del links[pid]
        else:
            seen_dates[key] = pid

    scope = None if lineages is None else set(lineages)
    for p in plans:
        if p.duplicate_of or p.plan_id not in links:
            want = (None, None, None, p.plan_id)
        else:
            target, when, source = links[p.plan_id]
            want = (target, when, source, root(p.plan_id))
        if tuple(getattr(p, c) for c in RESOLVED) != want:
            cx.execute(dim_plan.update().where(dim_plan.c.plan_id == p.plan_id)
                       .values(dict(zip(RESOLVED, want, strict=True))))
            if scope is not None:
                scope |= {p.lineage_id, want[-1]} - {None}
    if scope is None:
        where = ""
    elif not scope:
        where = " AND 1 = 0"
    else:
        if not all(_HEX16.match(x) for x in scope):
            raise ValueError(f"not plan ids: {sorted(scope)!r}")
        where = f" AND p.lineage_id IN ({', '.join(repr(x) for x in sorted(scope))})"
    cx.exec_driver_sql(render("indicator_versions", lineage_filter=where))
    cx.exec_driver_sql(render("target_validity", lineage_filter=where))
    replace_issues(cx, ISSUE_SCOPE, issues)
    return issues
