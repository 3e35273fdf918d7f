"""The variety yardstick on a small fixed seed (tests/fixtures/variety, seed 7).

The documents and gold.json there were written by
``tools/make_variety.py --seed 7 --n 18 --stats 8 --out tests/fixtures/variety``
(LibreOffice PDFs included, so CI needs no office suite). These tests hold the
generator to its promises (deterministic, gold sane, every axis value reachable,
the scorer honest) and measure the real readers against the issue #11 goals.
The accuracy goals (plans and statistics) are plain tests.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from extractors.records import COMPARATORS
from tools.variety import REFERENCE, dumps, generate
from tools.variety.plans import OBSERVED, PLAN_AXES
from tools.variety.score import plan_key, score_plans, score_stats
from tools.variety.stats import STATS_AXES

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "variety"
GOLD = json.loads((FIXTURES / "gold.json").read_text(encoding="utf-8"))
SEED, N_PLANS, N_STATS = 7, 18, 8


def _regenerate(n=N_PLANS, m=N_STATS, formats=None) -> dict:
    return generate(SEED, n, m, tuple(formats or GOLD["formats"]))


# --------------------------------------------------------------------------- the generator


def test_gold_is_deterministic_and_matches_the_committed_fixtures():
    first, second = _regenerate(), _regenerate()
    assert dumps(first) == dumps(second)
    if first["rl_font"] != GOLD["rl_font"]:
        pytest.skip(f"reportlab font {first['rl_font']} here, {GOLD['rl_font']} for the fixtures "
                    "(apt-get install fonts-wqy-zenhei): layouts differ")
    # the committed set was written by this generator: regenerate it after a change
    assert dumps(first) == dumps(GOLD), "tests/fixtures/variety is stale: rerun tools/make_variety.py"


def test_another_seed_gives_other_documents():
    other = generate(SEED + 1, 4, 2, ("docx",))
    mine = generate(SEED, 4, 2, ("docx",))
    assert [d["axes"] for d in other["plans"]] != [d["axes"] for d in mine["plans"]]


def test_every_committed_file_exists():
    for d in GOLD["plans"] + GOLD["stats"]:
        assert (FIXTURES / d["source_file"]).is_file(), d["source_file"]
    assert {d["axes"]["format"] for d in GOLD["plans"]} == set(GOLD["formats"])


def test_plan_gold_is_sane():
    for doc in GOLD["plans"]:
        axes = doc["axes"]
        for name, value in axes.items():
            assert name == "format" or value == "n/a" or value in PLAN_AXES[name], (name, value)
        keys = [plan_key(r) for r in doc["gold"]]
        assert len(keys) == len(set(keys)), f"{doc['source_file']}: duplicate match keys"
        assert doc["gold"], f"{doc['source_file']}: a plan document without records"
        for r in doc["gold"]:
            assert r["source_file"] == doc["source_file"]
            assert r["comparator"] in COMPARATORS
            assert 0 < len(r["indicator_name"]) <= 30 or axes.get("indicator_cell") == "sentence"
            assert 2015 <= r["year"] <= 2025
            if r["comparator"] == "milestone":
                assert r["target_value"] is None and r["target_unit"] is None
            else:
                assert Decimal(r["target_value"]) >= 0
            if r["comparator"] == "between":
                assert Decimal(r["target_value_high"]) > Decimal(r["target_value"])
            else:
                assert r["target_value_high"] is None
            if r["scope"] != "全市":
                assert r["target_kind"] == "scope_split"


def _districts() -> dict[str, list[dict]]:
    out = defaultdict(list)
    with open(REFERENCE / "districts.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            out[row["district_code"]].append(row)
    return out


def test_stats_gold_is_sane():
    districts = _districts()
    with open(REFERENCE / "metrics.csv", encoding="utf-8") as f:
        metrics = {row["metric_code"]: row for row in csv.DictReader(f)}
    for doc in GOLD["stats"]:
        for name, value in doc["axes"].items():
            allowed = set(STATS_AXES[name]) | {"n/a", "unit_column", "wan_unit_column"}
            assert value in allowed, (name, value)
        keys = [(r["metric_code"], r["district_code"], r["year"]) for r in doc["gold"]]
        assert len(keys) == len(set(keys)), doc["source_file"]
        for r in doc["gold"]:
            assert r["metric_code"] in metrics
            end = date(r["year"], 12, 31).isoformat()
            valid = [v for v in districts[r["district_code"]]
                     if (v["valid_from"] or "0") <= end <= (v["valid_to"] or "9")]
            assert valid, f"{r['district_code']} not valid in {r['year']}"
            assert r["value"] >= 0
            if metrics[r["metric_code"]]["unit"] == "%":
                assert r["value"] <= 100


def test_every_axis_value_is_reachable():
    """Axes vary independently: over a few hundred documents every value occurs."""
    gold = generate(SEED, 300, 200, ("docx", "lo-pdf"))  # gold only: nothing is rendered
    seen = defaultdict(set)
    for doc in gold["plans"] + gold["stats"]:
        for name, value in doc["axes"].items():
            seen[name].add(value)
    kinds = {r["target_kind"] for d in gold["plans"] for r in d["gold"]}
    for name, values in {**PLAN_AXES, **STATS_AXES}.items():
        if name in OBSERVED:  # what a reportlab layout did: not sampled
            continue
        missing = set(values) - seen[name]
        assert not missing, f"axis {name}: never generated {sorted(map(str, missing))}"
    from tools.variety.targets import KINDS

    assert set(KINDS) - {"dash"} <= kinds


# --------------------------------------------------------------------------- the scorer


def test_scoring_gold_against_itself_is_perfect_and_a_change_is_seen():
    results = {d["source_file"]: {"records": [dict(r) for r in d["gold"]], "error": None}
               for d in GOLD["plans"]}
    res = score_plans(GOLD["plans"], results)
    o = res["overall"]
    assert (o.recall, o.precision, o.value_accuracy) == (1.0, 1.0, 1.0)
    # one wrong unit, one missed record, one spurious record
    doc = next(d for d in GOLD["plans"] if len(d["gold"]) > 3)
    recs = results[doc["source_file"]]["records"]
    wrong = next(r for r in recs if r["comparator"] != "milestone")
    wrong["target_unit"] = (wrong["target_unit"] or "") + "以"
    recs.pop(-1)
    recs.append(dict(recs[0], indicator_name="不存在的指标"))
    res = score_plans(GOLD["plans"], results)
    o = res["overall"]
    assert o.gold - o.matched == 1 and o.extracted - o.matched == 1 and o.matched - o.correct == 1
    kinds = sorted(f["kind"] for f in res["failures"])
    assert kinds == ["missed", "spurious", "wrong value"]


def test_stats_scoring_counts_lost_values_as_silent_without_an_issue():
    doc = next(d for d in GOLD["stats"] if not d["expect_issue_rows"])
    values = [(r["metric_code"], r["district_code"], r["year"], r["value"]) for r in doc["gold"]]
    res = score_stats([doc], {doc["source_file"]: {"values": values, "issues": []}})
    assert res["overall"].recall == 1.0 and res["silent"] == []
    res = score_stats([doc], {doc["source_file"]: {"values": values[1:], "issues": []}})
    assert res["overall"].matched == len(values) - 1
    assert res["silent"] == [doc["source_file"]]
    # a file with a row that must be reported (a 市区 subtotal) is silent without an issue
    doc = next(d for d in GOLD["stats"] if d["expect_issue_rows"])
    values = [(r["metric_code"], r["district_code"], r["year"], r["value"]) for r in doc["gold"]]
    res = score_stats([doc], {doc["source_file"]: {"values": values, "issues": []}})
    assert res["silent"] == [doc["source_file"]]
    res = score_stats([doc], {doc["source_file"]: {"values": values, "issues": ["市区"]}})
    assert res["silent"] == []


# --------------------------------------------------------------------------- the readers

@pytest.fixture(scope="module")
def measured():
    from bench.accuracy import evaluate

    return evaluate(FIXTURES, GOLD, workers=1)


def test_plan_accuracy_goals(measured):
    o = measured["plans"]["overall"]
    assert not measured["plans"]["errors"]
    assert o.recall >= 0.995, f"recall {o.recall:.3f}"
    assert o.precision >= 0.995, f"precision {o.precision:.3f}"
    assert o.value_accuracy >= 0.99, f"value accuracy {o.value_accuracy:.3f}"


def test_plan_ledger_accounts_for_every_cell(measured):
    assert measured["plans"]["unaccounted"] == 0  # None: the readers return no ledger yet


def test_stats_every_value_loaded_or_reported(measured):
    """Issue #11's statistics goal: no file loses a value, or holds a row to
    report, without an issue; the ledger accounts for every cell."""
    s = measured["stats"]
    assert s["silent"] == []
    assert s["unaccounted"] == 0  # None: the reader returns no ledger


def test_stats_accuracy_goals(measured):
    """Every value a person reads is loaded, under the plan goals' figures."""
    o = measured["stats"]["overall"]
    assert o.recall >= 0.995, f"recall {o.recall:.3f}"
    assert o.precision >= 0.995, f"precision {o.precision:.3f}"
    assert o.value_accuracy >= 0.99, f"value accuracy {o.value_accuracy:.3f}"
