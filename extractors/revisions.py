"""Revised plans (docs/time.md, "Revised plans"): which plan a document revises, and from
when, read from its own text or from ``raw/reference/plan_revisions.csv``.

A mid-term review (中期评估) or an adjustment (调整, 修订) is a document of its own that
changes some targets of an earlier plan from an effective date. The document says so in
its title or opening paragraphs, naming the plan in 《…》 (book-title marks) and the date
as 自2018年7月1日起执行 ("in force from 1 July 2018"). The reference file says the same
for documents that do not: ``plan,revises,effective_from``. No Dagster, no database.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from extractors.records import IngestIssue

REVISIONS_FILE = "plan_revisions.csv"
REVISION_COLUMNS = ("plan", "revises", "effective_from")
CHECK = "plan_revision"

# Words that make a document a revision of another plan.
REVISION_WORDS = ("中期评估", "中期调整", "调整", "修订", "修编", "修改")
_WORDS = "|".join(REVISION_WORDS)
_NAMED = re.compile(r"《([^《》]{2,120})》")
_EFFECTIVE = re.compile(
    r"(?:自|从|于)\s*(\d{4})\s*年(?:\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*日)?)?\s*起"
    r"\s*(?:执行|施行|实施|生效)")
_SENTENCE_END = re.compile(r"[。；;！!？?\n]")
# quotes and marks that differ between the way a plan is cited and its title
_MARKS = re.compile(r"[\s《》〈〉“”\"'‘’「」『』]")


@dataclass(frozen=True)
class RevisionDeclaration:
    """What a document says about the plan it revises."""

    revises: str | None  # the revised plan as named (inside 《》)
    effective_from: date | None
    evidence: str  # the sentence or title that says so
    problem: str | None = None  # why the declaration cannot be used (then not applied)


def plan_name_key(text: str) -> str:
    """A plan name for matching: NFKC text without spaces, quotes and book-title marks."""
    import unicodedata

    return _MARKS.sub("", unicodedata.normalize("NFKC", text or ""))


def effective_date(text: str) -> date | None:
    """The date of 自2018年[7月[1日]]起执行 (first day of the year or month when not given)."""
    m = _EFFECTIVE.search(text)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return None


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def detect_revision(title: str, texts: list[str]) -> RevisionDeclaration | None:
    """The revision a document declares in its title or opening texts, else None.

    A document is a revision when its title holds a revision word (中期评估, 调整, 修订…),
    or when one sentence holds a revision word, a plan named in 《…》 and an effective
    date (so that 调整 in ordinary prose does not make a plan a revision). The revised plan is the first
    plan named in such a sentence (or in the title); the effective date is the first
    自…起执行 in the title or texts. A revision without a named plan or without a date
    comes back with ``problem`` set: it is reported, never guessed.
    """
    title = title or ""
    titled = re.search(_WORDS, title) is not None
    named = None
    evidence = None
    for sentence in [title, *(s for t in texts for s in _sentences(t))]:
        if not re.search(_WORDS, sentence):
            continue
        m = _NAMED.search(sentence)
        if (m and plan_name_key(m.group(1)) != plan_name_key(title)
                and (titled or effective_date(sentence))):
            named, evidence = m.group(1), sentence
            break
    if named is None and not titled:
        return None
    when = None
    evidence = evidence or title
    for sentence in [title, *(s for t in texts for s in _sentences(t))]:
        when = effective_date(sentence)
        if when:
            if sentence != evidence:  # the note shows both: what is revised, from when
                evidence = f"{evidence} … {sentence}"
            break
    if named is None:
        return RevisionDeclaration(None, when, evidence,
                                   "the title reads as a revision but names no revised plan "
                                   "in 《》: add it to raw/reference/plan_revisions.csv")
    if when is None:
        return RevisionDeclaration(named, None, evidence,
                                   f"revises 《{named}》 but gives no effective date "
                                   "(自YYYY年M月D日起执行): add it to "
                                   "raw/reference/plan_revisions.csv")
    return RevisionDeclaration(named, when, evidence)


# --------------------------------------------------------------------------- reference


@dataclass(frozen=True)
class PlanRevision:
    """One valid row of plan_revisions.csv."""

    plan: str  # the revising plan: its file name, title or plan_id
    revises: str  # the revised plan: file name, title or plan_id
    effective_from: date
    row: int  # 1-based line of the file (the header is line 1)


def _date_of(value: str) -> date | None:
    value = value.strip()
    if re.fullmatch(r"\d{4}", value):
        return date(int(value), 1, 1)
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def read_plan_revisions(reference_dir: str | Path) -> tuple[list[PlanRevision], list[IngestIssue]]:
    """The rows of ``plan_revisions.csv`` (optional: none when the file is absent) and an
    issue for each bad one; the good rows are used, a bad row never is.

    Columns: ``plan`` (the revising plan), ``revises`` (the revised plan), each a file name,
    a title or a plan_id; ``effective_from`` (ISO date, or a year for 1 January).
    """
    path = Path(reference_dir) / REVISIONS_FILE
    if not path.is_file():
        return [], []
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        return [], [IngestIssue(name, "file", "error", f"cannot read: {e}", CHECK)]
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REVISION_COLUMNS if c not in header]
    if missing:
        return [], [IngestIssue(name, "row 1", "error",
                                f"missing column(s) {', '.join(missing)}: no revision is "
                                "read from this file", CHECK)]
    reader.fieldnames = header
    rows: list[PlanRevision] = []
    issues: list[IngestIssue] = []
    seen: dict[str, int] = {}
    for n, raw in enumerate(reader, start=2):
        r = {k: (v or "").strip() for k, v in raw.items() if k is not None}
        if not any(r.values()):
            continue
        where = f"row {n}"

        def bad(reason: str, where: str = where) -> None:
            issues.append(IngestIssue(name, where, "error", reason, CHECK))

        if not r.get("plan") or not r.get("revises"):
            bad("plan and revises are both required")
            continue
        when = _date_of(r.get("effective_from", ""))
        if when is None:
            bad(f"effective_from {r.get('effective_from')!r} is not an ISO date or a year")
            continue
        if plan_name_key(r["plan"]) == plan_name_key(r["revises"]):
            bad(f"{r['plan']!r} cannot revise itself")
            continue
        key = plan_name_key(r["plan"])
        if key in seen:
            bad(f"{r['plan']!r} already has a revision on row {seen[key]}: one revised plan "
                "per document")
            continue
        seen[key] = n
        rows.append(PlanRevision(r["plan"], r["revises"], when, n))
    return rows, issues
