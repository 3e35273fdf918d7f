"""ingest_issues: replace the issues of one scope (a loader's or a rule's), keeping the
first-detected time of an issue that is still there."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from extractors.records import IngestIssue
from warehouse.schema import ingest_issues


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _issue_key(i: IngestIssue) -> tuple:
    return (i.source_file, i.location, i.severity, i.reason, i.check)


def replace_issues(cx: Engine | Connection, scope: str, issues: list[IngestIssue]) -> bool:
    """Replace the issues of one scope; identical issues keep their detected_at. On an
    engine in a transaction of its own, on a connection in the caller's.

    Returns True when the stored issues changed.
    """
    return bool(replace_issues_of(cx, {scope: issues}))


def replace_issues_of(cx: Engine | Connection,
                      scopes: dict[str, list[IngestIssue]]) -> set[str]:
    """:func:`replace_issues` of many scopes at once (scope -> its issues): one read of
    the old rows, one delete and one insert, in one transaction. Returns the scopes whose
    stored issues changed."""
    if isinstance(cx, Engine):
        with cx.begin() as c:
            return replace_issues_of(c, scopes)
    if not scopes:
        return set()
    names = sorted(scopes)
    where = (ingest_issues.c.scope == names[0] if len(names) == 1
             else ingest_issues.c.scope.in_(names))
    old: dict[str, list] = {}
    for r in cx.execute(sa.select(ingest_issues).where(where).order_by(
            ingest_issues.c.scope, ingest_issues.c.issue_no)):
        old.setdefault(r.scope, []).append(r)
    now = _now()
    changed: set[str] = set()
    rows: list[dict] = []
    for scope in names:
        before = old.get(scope, [])
        seen: dict[tuple, list[datetime]] = {}
        for r in before:
            seen.setdefault(
                (r.source_file, r.location, r.severity, r.reason, r.check_name), []
            ).append(r.detected_at)
        mine = []
        for n, i in enumerate(scopes[scope]):
            stamps = seen.get(_issue_key(i))
            mine.append(
                {
                    "scope": scope,
                    "issue_no": n,
                    "source_file": i.source_file,
                    "location": i.location,
                    "severity": i.severity if i.severity in ("error", "warning") else "error",
                    "reason": i.reason,
                    "check_name": i.check,
                    "detected_at": stamps.pop(0) if stamps else now,
                }
            )
        if [tuple(r) for r in before] != [tuple(r[c.name] for c in ingest_issues.c)
                                          for r in mine]:
            changed.add(scope)
            rows += mine
    if not changed:
        return changed
    gone = sorted(changed)
    cx.execute(ingest_issues.delete().where(
        ingest_issues.c.scope == gone[0] if len(gone) == 1 else ingest_issues.c.scope.in_(gone)))
    if rows:
        cx.execute(ingest_issues.insert(), rows)
    return changed
