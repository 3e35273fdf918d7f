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
    if isinstance(cx, Engine):
        with cx.begin() as c:
            return replace_issues(c, scope, issues)
    old = cx.execute(
        sa.select(ingest_issues).where(ingest_issues.c.scope == scope).order_by(
            ingest_issues.c.issue_no
        )
    ).all()
    seen: dict[tuple, list[datetime]] = {}
    for r in old:
        seen.setdefault(
            (r.source_file, r.location, r.severity, r.reason, r.check_name), []
        ).append(r.detected_at)
    now = _now()
    rows = []
    for n, i in enumerate(issues):
        stamps = seen.get(_issue_key(i))
        rows.append(
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
    old_rows = [tuple(r) for r in old]
    new_rows = [tuple(r[c.name] for c in ingest_issues.c) for r in rows]
    if old_rows == new_rows:
        return False
    cx.execute(ingest_issues.delete().where(ingest_issues.c.scope == scope))
    if rows:
        cx.execute(ingest_issues.insert(), rows)
    return True
