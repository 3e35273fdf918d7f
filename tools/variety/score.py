"""Score extracted records against variety gold: overall and per axis value.

Plans: a gold record matches an extracted one on (source_file, normalised
indicator_name, year, scope); it is *correct* when comparator, value(s) and
unit are equal too. recall = matched / gold, precision = matched /
extracted, value accuracy = correct / matched. An extracted record that
matches nothing counts against precision for every axis value of its
document. Statistics: a gold value matches on (source_file, metric_code,
district_code, year) and is correct when the value is equal (relative 1e-9).
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from decimal import Decimal, InvalidOperation

RECORD_AXES = ("target_kind", "word_table", "rl_page")  # as tools.variety.plans.RECORD_AXES


def norm_name(s: str | None) -> str:
    s = unicodedata.normalize("NFKC", s or "")
    return re.sub(r"\s+", "", s)


def _dec(x) -> Decimal | None:
    if x is None or x == "":
        return None
    try:
        return Decimal(str(x))
    except InvalidOperation:
        return None


def _unit(u) -> str:
    return unicodedata.normalize("NFKC", u or "").strip()


def plan_key(rec: dict) -> tuple:
    return (rec["source_file"], norm_name(rec["indicator_name"]), int(rec["year"]),
            norm_name(rec.get("scope") or "全市"))


def value_equal(gold: dict, got: dict) -> bool:
    return (
        gold["comparator"] == got["comparator"]
        and _dec(gold["target_value"]) == _dec(got["target_value"])
        and _dec(gold["target_value_high"]) == _dec(got["target_value_high"])
        and _unit(gold["target_unit"]) == _unit(got["target_unit"])
    )


class Tally:
    __slots__ = ("gold", "matched", "correct", "extracted", "docs")

    def __init__(self):
        self.gold = self.matched = self.correct = self.extracted = 0
        self.docs = 0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.matched / self.extracted if self.extracted else (1.0 if not self.gold else 0.0)

    @property
    def value_accuracy(self) -> float:
        return self.correct / self.matched if self.matched else (1.0 if not self.gold else 0.0)

    @property
    def worst(self) -> float:
        return min(self.recall, self.precision, self.value_accuracy)


def score_plans(docs: list[dict], results: dict[str, dict]) -> dict:
    """``docs``: gold documents {source_file, axes, gold: [records]};
    ``results``: source_file -> {records: [...], error: str|None, unaccounted: int|None}.
    Returns {overall: Tally, axes: {(axis, value): Tally}, failures: [...], ...}."""
    overall = Tally()
    by_axis: dict[tuple, Tally] = defaultdict(Tally)
    per_doc: dict[str, Tally] = {}
    failures: list[dict] = []
    unaccounted, ledgers, errors = 0, 0, []
    for doc in docs:
        src = doc["source_file"]
        res = results.get(src) or {"records": [], "error": "not extracted"}
        if res.get("error"):
            errors.append((src, res["error"]))
        if res.get("unaccounted") is not None:
            ledgers += 1
            unaccounted += res["unaccounted"]
        got: dict[tuple, list[dict]] = defaultdict(list)
        for r in res["records"]:
            got[plan_key(r)].append(r)
        doc_axes = [(a, str(v)) for a, v in doc["axes"].items()]
        mine = per_doc[src] = Tally()
        doc_tallies = [overall, mine] + [by_axis[k] for k in doc_axes]
        for t in doc_tallies[1:]:
            t.docs += 1
        used: set[tuple] = set()
        for g in doc["gold"]:
            key = plan_key(g)
            kind_t = [by_axis[(a, str(g[a]))] for a in RECORD_AXES if a in g]
            for t in doc_tallies + kind_t:
                t.gold += 1
            cands = got.get(key)
            if not cands or key in used:
                failures.append(dict(kind="missed", source_file=src, axes=doc["axes"], gold=g,
                                     got=None))
                continue
            used.add(key)
            r = cands[0]
            ok = value_equal(g, r)
            for t in doc_tallies + kind_t:
                t.matched += 1
                t.extracted += 1
                t.correct += ok
            if not ok:
                failures.append(dict(kind="wrong value", source_file=src, axes=doc["axes"],
                                     gold=g, got=r))
        for key, recs in got.items():
            extra = recs[1:] if key in used else recs
            for r in extra:
                for t in doc_tallies:
                    t.extracted += 1
                by_axis[("target_kind", "(unmatched extraction)")].extracted += 1
                failures.append(dict(kind="spurious", source_file=src, axes=doc["axes"], gold=None,
                                     got=r))
    return dict(overall=overall, axes=dict(by_axis), failures=failures, errors=errors,
                unaccounted=unaccounted if ledgers else None, ledgers=ledgers, per_doc=per_doc)


def score_stats(files: list[dict], results: dict[str, dict]) -> dict:
    """``files``: {source_file, axes, gold: [values], expect_issue_rows};
    ``results``: source_file -> {values: [(metric, district, year, value)], issues: int, error}."""
    overall = Tally()
    by_axis: dict[tuple, Tally] = defaultdict(Tally)
    failures, silent, noisy = [], [], []
    per_doc: dict[str, Tally] = {}
    for f in files:
        src = f["source_file"]
        res = results.get(src) or {"values": [], "issues": [], "error": "not read"}
        got: dict[tuple, list[float]] = defaultdict(list)
        for m, d, y, v in res["values"]:
            got[(m, str(d), int(y))].append(v)
        mine = per_doc[src] = Tally()
        tallies = [overall, mine] + [by_axis[(a, str(v))] for a, v in f["axes"].items()]
        for t in tallies[1:]:
            t.docs += 1
        used = set()
        for g in f["gold"]:
            key = (g["metric_code"], str(g["district_code"]), int(g["year"]))
            for t in tallies:
                t.gold += 1
            if key not in got or key in used:
                failures.append(dict(kind="missed", source_file=src, axes=f["axes"], gold=g, got=None))
                continue
            used.add(key)
            v = got[key][0]
            ok = abs(v - g["value"]) <= 1e-9 * max(1.0, abs(g["value"]))
            for t in tallies:
                t.matched += 1
                t.extracted += 1
                t.correct += ok
            if not ok:
                failures.append(dict(kind="wrong value", source_file=src, axes=f["axes"], gold=g,
                                     got=v))
        for key, vs in got.items():
            for v in (vs[1:] if key in used else vs):
                for t in tallies:
                    t.extracted += 1
                failures.append(dict(kind="spurious", source_file=src, axes=f["axes"], gold=None,
                                     got=(*key, v)))
        n_issues = len(res.get("issues") or [])
        if f.get("expect_issue_rows") and not n_issues:
            silent.append(src)
        # a file that loses gold values should say so
        lost = sum(1 for x in failures if x["source_file"] == src and x["kind"] == "missed")
        if lost and not n_issues:
            silent.append(src)
        if not f.get("expect_issue_rows") and n_issues and not lost:
            noisy.append((src, res["issues"][:3]))
    return dict(overall=overall, axes=dict(by_axis), failures=failures, silent=sorted(set(silent)),
                noisy=noisy, per_doc=per_doc)


def format_report(title: str, result: dict, top: int = 15) -> str:
    o = result["overall"]
    lines = [f"== {title}: gold {o.gold} · extracted {o.extracted} · matched {o.matched} · "
             f"correct {o.correct}",
             f"   recall {o.recall:.4f} · precision {o.precision:.4f} · "
             f"value accuracy {o.value_accuracy:.4f}"]
    if "unaccounted" in result and (o.gold or o.extracted):
        u = result["unaccounted"]
        lines.append("   ledger: " + ("absent (readers return no .ledger yet)" if u is None
                                      else f"unaccounted {u} over {result['ledgers']} document(s)"))
    per_doc = result.get("per_doc") or {}
    if per_doc:
        perfect = sum(1 for t in per_doc.values() if t.worst == 1.0)
        empty = sum(1 for t in per_doc.values() if t.gold and not t.matched)
        lines.append(f"   files read perfectly: {perfect} of {len(per_doc)}; files with no gold "
                     f"record found: {empty}")
    if result.get("errors"):
        lines.append(f"   documents refused: {len(result['errors'])}")
    if "silent" in result:
        lines.append(f"   files losing values with no issue: {len(result['silent'])}"
                     + (f" ({', '.join(result['silent'][:5])})" if result["silent"] else ""))
    unmatched = result["axes"].get(("target_kind", "(unmatched extraction)"))
    if unmatched is not None:
        lines.append(f"   extracted records matching no gold record: {unmatched.extracted}")
    axes = sorted(((k, t) for k, t in result["axes"].items()
                   if k[1] not in ("n/a", "(unmatched extraction)")),
                  key=lambda kv: (kv[1].worst, -kv[1].gold))
    lines.append(f"   {'axis = value':52} {'docs':>5} {'gold':>6} {'recall':>7} {'prec':>7} "
                 f"{'value':>7}")
    for (a, v), t in axes[:top]:
        docs = str(t.docs) if t.docs else "-"  # a record-level axis (target_kind, ...)
        lines.append(f"   {(a + ' = ' + v)[:52]:52} {docs:>5} {t.gold:>6} {t.recall:>7.3f} "
                     f"{t.precision:>7.3f} {t.value_accuracy:>7.3f}")
    if len(axes) > top:
        lines.append(f"   … {len(axes) - top} more axis values (--all-axes)")
    return "\n".join(lines)
