"""The data-quality suites, as code: targets, district_stats, attainment.

A suite is one or more *parts*; a part is a GX ``ExpectationSuite`` validated
against one pandas frame:

- a ``rows`` part validates the input frame itself (plus helper columns), so a
  failing element is an input row the pipeline can quarantine;
- a ``coverage`` part validates a grid of expected keys (left-joined to the
  input), so a failing element is a *missing* row: nothing to quarantine.

Rules that GX's pandas datasource cannot state directly (it has no SQL, hence
no ``UnexpectedRowsExpectation``) are computed first as boolean helper columns
named after the rule (``year_in_plan_period`` ...) and checked with
``expect_column_values_to_be_in_set([True])``. Rules GX can state (value sets,
ranges with a row condition, compound uniqueness) use the native expectation.

Every expectation carries ``meta = {"name": "<suite>.<rule>", "severity":
"error"|"warning"}``; the runner reads results back by that name.

Frames (documented columns):

targets
    ``TargetRecord.to_dict()`` rows (``indicator_id`` included) plus
    ``period_start``, ``period_end`` of the plan (null = unknown).
district_stats
    ``metric_code, district_code, year, value, unit, source_file, location``;
    context: ``districts`` (list[District] or a districts.csv frame) and
    ``metrics`` (dict[str, Metric] or a metrics.csv frame; optional
    ``min_value``/``max_value`` columns give a metric's plausible range).
attainment
    ``fct_attainment`` rows ``indicator_id, district_code, year, comparator,
    target_value, actual_value, attained``; context: ``expected_keys``, a frame
    ``indicator_id, district_code, year`` (see ``EXPECTED_ATTAINMENT_KEYS_SQL``).

``district_stats`` is run as set-based SQL over a staging table
(``expectations.stats_sql``) with these same rules; ``prepare_district_stats`` and
``district_coverage_grid`` remain as the pandas reference it is tested against
(``runner.run_suite_pandas``).

GX is imported inside the builders only (it costs seconds to import).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd

from extractors.records import (
    COMPARATORS,
    NUMERIC_COMPARATORS,
    RULE_DISTRICT_VALID,
    RULE_METRIC_KNOWN,
    RULE_NON_NEGATIVE,
    RULE_UNIQUE_KEY,
    STAT_FRAME_COLUMNS,
    District,
    Metric,
)
from warehouse.sql import district_in_force

ROW = "_row"  # positional index of the input row, added before validation
PRESENT = "present"  # coverage parts: the expected key has a row


@dataclass(frozen=True)
class Rule:
    """One expectation: its stable name, severity and what it means."""

    name: str  # "<suite>.<rule>"
    severity: str  # "error" or "warning"
    description: str
    columns: tuple[str, ...]  # input columns shown in samples and issue reasons
    build: Callable[[], Any]  # -> a GX Expectation (built lazily)


@dataclass(frozen=True)
class Part:
    """One GX suite validated against one frame."""

    name: str  # GX suite name
    kind: str  # "rows" or "coverage"
    prepare: Callable[..., pd.DataFrame]  # (frame, **context) -> frame to validate
    rules: tuple[Rule, ...]


# --------------------------------------------------------------------------- builders


def _gx_severity(severity: str):
    from great_expectations.expectations.metadata_types import FailureSeverity

    return FailureSeverity.CRITICAL if severity == "error" else FailureSeverity.WARNING


def _meta(name: str, severity: str) -> dict:
    return {"name": name, "severity": severity}


def _helper_rule(name: str, severity: str, description: str, columns: tuple[str, ...]) -> Rule:
    """A rule computed as the boolean helper column named after the rule."""
    column = name.split(".", 1)[1]

    def build():
        import great_expectations.expectations as gxe

        return gxe.ExpectColumnValuesToBeInSet(
            column=column, value_set=[True], meta=_meta(name, severity),
            description=description, severity=_gx_severity(severity),
        )

    return Rule(name, severity, description, columns, build)


def _native_rule(
    name: str, severity: str, description: str, columns: tuple[str, ...],
    expectation: str, **kwargs: Any,
) -> Rule:
    """A rule GX states directly (``expectation`` is a class of gx.expectations)."""

    def build():
        import great_expectations.expectations as gxe

        kw = dict(kwargs)
        cond = kw.pop("where", None)
        if cond is not None:  # (column, value): the rule applies where column == value
            from great_expectations.expectations.row_conditions import Column

            kw["row_condition"] = Column(cond[0]) == cond[1]
            kw["condition_parser"] = "great_expectations"
        return getattr(gxe, expectation)(
            meta=_meta(name, severity), description=description,
            severity=_gx_severity(severity), **kw,
        )

    return Rule(name, severity, description, columns, build)


def build_suite(part: Part):
    """The GX ``ExpectationSuite`` of one part."""
    import great_expectations as gx

    return gx.ExpectationSuite(name=part.name, expectations=[r.build() for r in part.rules])


# --------------------------------------------------------------------------- helpers


def _to_float(series: pd.Series) -> pd.Series:
    """Decimal/str/None -> float64 (NaN for missing), for range comparisons."""
    def conv(v):
        if v is None or (isinstance(v, float) and v != v):
            return float("nan")
        if isinstance(v, (int, float, Decimal)):
            return float(v)
        try:
            return float(str(v))
        except ValueError:
            return float("nan")

    return series.map(conv).astype("float64")


def _with_row(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.reset_index(drop=True).copy()
    out[ROW] = range(len(out))
    return out


def _ensure(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    for c in columns:
        if c not in frame.columns:
            frame[c] = None
    return frame


def _blank(series: pd.Series) -> pd.Series:
    return series.isna() | (series.astype(str).str.strip() == "")


# --------------------------------------------------------------------------- targets

TARGET_COLUMNS = (
    "plan_id", "source_file", "source_page", "source_table", "source_row", "indicator_id",
    "indicator_name", "year", "scope", "comparator", "target_value", "target_value_high",
    "target_unit", "period_start", "period_end",
)


def prepare_targets(frame: pd.DataFrame, **_: Any) -> pd.DataFrame:
    df = _ensure(_with_row(frame), TARGET_COLUMNS)
    year = pd.to_numeric(df["year"], errors="coerce")
    start = pd.to_numeric(df["period_start"], errors="coerce")
    end = pd.to_numeric(df["period_end"], errors="coerce")
    value = _to_float(df["target_value"])
    high = _to_float(df["target_value_high"])
    comp = df["comparator"]
    known = comp.isin(COMPARATORS)
    numeric = comp.isin(NUMERIC_COMPARATORS)
    between = comp == "between"
    pct = df["target_unit"] == "%"

    # an unknown period (null) cannot be checked: not a failure of this rule
    df["year_in_plan_period"] = year.notna() & (start.isna() | (year >= start)) & (
        end.isna() | (year <= end))
    df["comparator"] = comp.where(comp.notna(), "<null>")
    # an unknown comparator is reported by comparator_in_contract_set only
    df["value_present_iff_numeric"] = ~known | (numeric == value.notna())
    df["between_bounds"] = (between & value.notna() & high.notna() & (high > value)) | (
        ~between & high.isna())
    df["percentage_within_0_100"] = ~pct | (
        (value.isna() | value.between(0, 100)) & (high.isna() | high.between(0, 100)))
    df["provenance_present"] = ~(
        _blank(df["plan_id"]) | _blank(df["source_file"])
        | df["source_table"].isna() | df["source_row"].isna())
    return df


_KEY_T = ("indicator_name", "year", "scope")
TARGET_RULES = (
    _helper_rule(
        "targets.year_in_plan_period", "error",
        "the target year lies inside the plan period (period_start..period_end)",
        _KEY_T + ("period_start", "period_end")),
    _native_rule(
        "targets.comparator_in_contract_set", "error",
        "the comparator is one of >= <= > < = between about milestone",
        _KEY_T + ("comparator", "target_text"),
        "ExpectColumnValuesToBeInSet", column="comparator", value_set=list(COMPARATORS)),
    _helper_rule(
        "targets.value_present_iff_numeric", "error",
        "target_value is present exactly when the comparator is numeric (not milestone)",
        _KEY_T + ("comparator", "target_value", "target_text")),
    _helper_rule(
        "targets.between_bounds", "error",
        "a `between` target has target_value_high > target_value; no other target has a high value",
        _KEY_T + ("comparator", "target_value", "target_value_high", "target_text")),
    _helper_rule(
        "targets.percentage_within_0_100", "error",
        "a target in % lies within 0..100",
        _KEY_T + ("target_value", "target_value_high", "target_unit", "target_text")),
    _native_rule(
        "targets.unique_indicator_year_scope", "error",
        "one target per (indicator, year, scope) of a plan file",
        ("indicator_id",) + _KEY_T,
        # source_file: a frame of many plan files is validated at once (planwh run)
        "ExpectCompoundColumnsToBeUnique",
        column_list=["source_file", "indicator_id", "year", "scope"]),
    _helper_rule(
        "targets.provenance_present", "error",
        "plan_id, source_file, source_table and source_row are present",
        ("plan_id", "source_file", "source_table", "source_row") + _KEY_T),
)


# --------------------------------------------------------------------------- district statistics

STATS_COLUMNS = STAT_FRAME_COLUMNS


def districts_of(districts: Iterable[District] | pd.DataFrame) -> list[District]:
    """list[District] from a list or from a districts.csv-shaped frame."""
    if isinstance(districts, pd.DataFrame):
        def day(v):
            if v is None or (isinstance(v, float) and v != v) or str(v).strip() == "":
                return None
            return v if isinstance(v, date) else date.fromisoformat(str(v)[:10])

        return [
            District(
                code=str(r["district_code"]), name=str(r.get("district_name", "")),
                district_type=str(r.get("district_type", "district")),
                parent_code=r.get("parent_code") or None,
                valid_from=day(r.get("valid_from")), valid_to=day(r.get("valid_to")),
            )
            for r in districts.to_dict("records")
        ]
    return list(districts)


def metric_table(metrics: Mapping[str, Metric] | pd.DataFrame) -> pd.DataFrame:
    """One row per metric: metric_code, aggregation, unit, min_value, max_value."""
    if isinstance(metrics, pd.DataFrame):
        t = metrics.copy()
    else:
        t = pd.DataFrame([
            {"metric_code": m.code, "aggregation": m.aggregation, "unit": m.unit,
             "min_value": getattr(m, "min_value", None), "max_value": getattr(m, "max_value", None)}
            for m in metrics.values()
        ], columns=["metric_code", "aggregation", "unit", "min_value", "max_value"])
    t = _ensure(t, ["metric_code", "aggregation", "unit", "min_value", "max_value"])
    t["metric_code"] = t["metric_code"].astype(str)
    t["min_value"] = _to_float(t["min_value"])
    t["max_value"] = _to_float(t["max_value"])
    return t[["metric_code", "aggregation", "unit", "min_value", "max_value"]]


def plausible_range(metric_unit: str | None, min_value: float, max_value: float) -> tuple:
    """(low, high) of a ratio metric: % -> 0..100, else metrics.csv min/max, else >= 0."""
    if min_value == min_value or max_value == max_value:  # either given (not NaN)
        return (min_value if min_value == min_value else None,
                max_value if max_value == max_value else None)
    if (metric_unit or "").strip() == "%":
        return (0.0, 100.0)
    return (0.0, None)


def prepare_district_stats(
    frame: pd.DataFrame, *, districts: Iterable[District] | pd.DataFrame,
    metrics: Mapping[str, Metric] | pd.DataFrame, **_: Any,
) -> pd.DataFrame:
    df = _ensure(_with_row(frame), STATS_COLUMNS)
    dists = districts_of(districts)
    year = pd.to_numeric(df["year"], errors="coerce")
    by_code: dict[str, list[District]] = {}
    for d in dists:
        by_code.setdefault(d.code, []).append(d)
    df["district_valid_in_year"] = [
        y == y and any(d.valid_in_year(int(y)) for d in by_code.get(str(c), ()))
        for c, y in zip(df["district_code"], year, strict=True)
    ]
    mt = metric_table(metrics).set_index("metric_code")
    code = df["metric_code"].astype(str)
    df["metric_known"] = code.isin(mt.index)
    df["aggregation"] = code.map(mt["aggregation"]).where(df["metric_known"], "<unknown>")
    value = _to_float(df["value"])
    df["value"] = value
    # one plausible range per metric, mapped onto the rows (never one lookup per row)
    ranges = {c: plausible_range(u, lo, hi) for c, u, lo, hi in zip(
        mt.index, mt["unit"], mt["min_value"], mt["max_value"], strict=True)}
    lo = code.map({c: r[0] for c, r in ranges.items()}).astype("float64")
    hi = code.map({c: r[1] for c, r in ranges.items()}).astype("float64")
    lo.index = hi.index = df.index
    df["ratio_within_plausible_range"] = (df["aggregation"] != "ratio") | value.isna() | (
        (lo.isna() | (value >= lo)) & (hi.isna() | (value <= hi)))
    return df


COVERAGE_COLUMNS = ["metric_code", "year", "file", "districts_reported", "districts_missing",
                    "missing", PRESENT]
MISSING_SHOWN = 5  # district names listed in a summary warning


def district_coverage_grid(
    frame: pd.DataFrame, *, districts: Iterable[District] | pd.DataFrame,
    metrics: Mapping[str, Metric] | pd.DataFrame | None = None, **_: Any,
) -> pd.DataFrame:
    """One row per (metric, year) present in the statistics, summarising which
    non-city districts valid in that year have no value (a ``ratio`` metric
    counts as present through both its numerator and denominator, CONTRACT
    §6); ``present`` is False when some are missing, so a failing row is one
    summary warning per (file, metric, year), never one per district.

    A (metric, year) that only has the city total is normal: it fails (one
    warning) only when the same file gives that metric by district in
    another year; a metric that a file gives at city level only raises
    nothing. ``file`` names the file(s) holding the (metric, year)."""
    df = _ensure(frame.copy(), STATS_COLUMNS)
    all_dists = districts_of(districts)
    city_codes = {d.code for d in all_dists if d.district_type == "city"}
    dists = [d for d in all_dists if d.district_type != "city"]
    parts: dict[str, tuple[str, str]] = {}
    if metrics is not None:
        t = metrics.copy() if isinstance(metrics, pd.DataFrame) else pd.DataFrame(
            [{"metric_code": m.code, "aggregation": m.aggregation, "numerator": m.numerator,
              "denominator": m.denominator} for m in metrics.values()])
        t = _ensure(t, ["metric_code", "aggregation", "numerator", "denominator"])
        for r in t.to_dict("records"):
            if r["aggregation"] == "ratio" and r["numerator"] and r["denominator"]:
                parts[str(r["metric_code"])] = (str(r["numerator"]), str(r["denominator"]))
    metric_s = df["metric_code"].astype(str)
    code_s = df["district_code"].astype(str)
    year_s = pd.to_numeric(df["year"], errors="coerce")
    file_s = df["source_file"].astype(str)
    have = set(zip(metric_s, code_s, year_s, strict=True))
    files_of: dict[tuple, set[str]] = {}
    by_district_in_file: set[tuple[str, str]] = set()  # (file, metric) with a non-city row
    for m, c, y, f in zip(metric_s, code_s, year_s, file_s, strict=True):
        if y == y:
            files_of.setdefault((m, y), set()).add(f)
        if c not in city_codes:
            by_district_in_file.add((f, m))

    def present(metric: str, code: str, y) -> bool:
        if (metric, code, y) in have:
            return True
        num_den = parts.get(metric)
        return bool(num_den) and all((m, code, y) in have for m in num_den)

    rows = []
    for metric, y in sorted(files_of):
        expected = [d for d in dists if d.valid_in_year(int(y))]
        missing = [d for d in expected if not present(metric, d.code, y)]
        files = sorted(files_of[(metric, y)])
        reported = len(expected) - len(missing)
        ok = not missing
        if missing and reported == 0:
            # only the city total: a finding only when the file(s) give this
            # metric by district in another year
            ok = not any((f, metric) in by_district_in_file for f in files)
        names = ", ".join(d.name for d in missing[:MISSING_SHOWN])
        if len(missing) > MISSING_SHOWN:
            names += f" … (+{len(missing) - MISSING_SHOWN})"
        rows.append({
            "metric_code": metric, "year": int(y), "file": ", ".join(files),
            "districts_reported": reported, "districts_missing": len(missing),
            "missing": ("only the city total" if reported == 0 else names) if missing else "",
            PRESENT: ok,
        })
    return pd.DataFrame(rows, columns=COVERAGE_COLUMNS)


def issue_counts(issues: Iterable[Any]) -> dict[str, int]:
    """Ingest issues counted apart: ``rejected`` (error: input held back or
    not loaded) and ``warnings`` (reported, nothing held back, e.g. the
    completeness summaries), for a run summary."""
    counts = {"rejected": 0, "warnings": 0}
    for i in issues:
        counts["rejected" if getattr(i, "severity", "error") == "error" else "warnings"] += 1
    return counts


_KEY_S = ("metric_code", "district_code", "year")
STATS_RULES = (
    _helper_rule(
        RULE_DISTRICT_VALID, "error",
        "the district code names a district valid in the row's year (districts.csv)",
        _KEY_S + ("source_file", "location")),
    _helper_rule(
        RULE_METRIC_KNOWN, "error",
        "the metric code is defined in metrics.csv",
        _KEY_S + ("source_file", "location")),
    _native_rule(
        RULE_NON_NEGATIVE, "error",
        "a `sum` metric (a count or amount) is >= 0",
        _KEY_S + ("value", "source_file", "location"),
        "ExpectColumnValuesToBeBetween", column="value", min_value=0,
        where=("aggregation", "sum")),
    _helper_rule(
        "district_stats.ratio_within_plausible_range", "error",
        "a `ratio` metric lies in its plausible range (% -> 0..100, else metrics.csv "
        "min_value/max_value, else >= 0)",
        _KEY_S + ("value", "unit", "source_file", "location")),
    _native_rule(
        RULE_UNIQUE_KEY, "error",
        "one value per (metric, district, year)",
        _KEY_S + ("value", "source_file", "location"),
        "ExpectCompoundColumnsToBeUnique", column_list=list(_KEY_S)),
)
STATS_COVERAGE_RULES = (
    _native_rule(
        "district_stats.every_district_present", "warning",
        "every district valid in the year has a value for each metric and year in the statistics "
        "(a ratio metric: its value, or its numerator and denominator); one summary per "
        "(file, metric, year); a metric a file gives at city level only is not a finding",
        ("metric_code", "year", "file", "districts_missing", "missing"),
        "ExpectColumnValuesToBeInSet", column=PRESENT, value_set=[True]),
)


# --------------------------------------------------------------------------- attainment

ATTAINMENT_COLUMNS = ("indicator_id", "district_code", "year", "comparator", "target_value",
                      "actual_value", "attained", "target_resolved", "note")
_KEY_A = ("indicator_id", "district_code", "year")


def prepare_attainment(frame: pd.DataFrame, **_: Any) -> pd.DataFrame:
    """Evaluable: a level target with a numeric comparator, a target and an actual; a
    relative target (its row has a resolved level or a note saying why not) with a
    resolved level and an actual."""
    df = _ensure(_with_row(frame), ATTAINMENT_COLUMNS)
    target = _to_float(df["target_value"])
    actual = _to_float(df["actual_value"])
    resolved = _to_float(df["target_resolved"])
    relative = resolved.notna() | df["note"].notna()
    level = ~relative & df["comparator"].isin(NUMERIC_COMPARATORS) & target.notna()
    df["attained_when_evaluable"] = ~(
        (level | (relative & resolved.notna())) & actual.notna()
    ) | df["attained"].notna()
    return df


def attainment_coverage_grid(
    frame: pd.DataFrame, *, expected_keys: pd.DataFrame, **_: Any,
) -> pd.DataFrame:
    """The expected (indicator, district, year) keys; ``present`` when fct_attainment has it."""
    keys = _ensure(expected_keys.copy(), _KEY_A)[list(_KEY_A)].drop_duplicates()
    keys["year"] = pd.to_numeric(keys["year"], errors="coerce").astype("Int64")
    df = _ensure(frame.copy(), _KEY_A)
    have = set(zip(df["indicator_id"].astype(str), df["district_code"].astype(str),
                   pd.to_numeric(df["year"], errors="coerce"), strict=True))
    keys[PRESENT] = [
        (str(i), str(d), y) in have
        for i, d, y in zip(keys["indicator_id"], keys["district_code"], keys["year"], strict=True)
    ]
    return keys.reset_index(drop=True)


# The (indicator, district, year) grid fct_attainment must cover (CONTRACT section 6), to
# run on the warehouse (pipeline) or on planwh check's throwaway one, independently of the
# attainment SQL: 全市 (whole-city) targets of indicators mapped to a metric; a ratio
# metric at every district version valid on 31 December of the year plus the city, a sum
# metric at the city only.
EXPECTED_ATTAINMENT_KEYS_SQL = f"""
SELECT DISTINCT t.indicator_id, d.district_code, t.year
FROM fct_target t
JOIN dim_indicator i ON i.indicator_id = t.indicator_id
JOIN dim_metric m ON m.metric_code = i.metric_code
JOIN dim_district d
  ON {district_in_force("d", "t.year")}
WHERE t.scope = '全市'
  AND (d.district_type = 'city' OR m.aggregation = 'ratio')
"""


ATTAINMENT_RULES = (
    _helper_rule(
        "attainment.attained_when_evaluable", "error",
        "attained is present when the comparator is numeric and both target and actual are numbers "
        "(a relative target: its resolved level and the actual)",
        _KEY_A + ("comparator", "target_value", "actual_value", "attained", "target_resolved",
                  "note")),
    _native_rule(
        "attainment.unique_indicator_district_year", "error",
        "one attainment row per (indicator, district, year)",
        _KEY_A, "ExpectCompoundColumnsToBeUnique", column_list=list(_KEY_A)),
)
# Target versions (plan revisions, docs/time.md): every fct_target row of the plans
# analysts see, with its natural key and validity.
TARGET_VERSIONS_SQL = """
SELECT i.indicator_key, t.year, t.scope, t.valid_from, t.valid_to, p.source_file
FROM fct_target t
JOIN dim_indicator i ON i.indicator_id = t.indicator_id
JOIN dim_plan p ON p.plan_id = t.plan_id
WHERE p.duplicate_of IS NULL
"""
_KEY_V = ("indicator_key", "year", "scope")
_OPEN_END = pd.Timestamp("2262-04-11")


def target_version_groups(
    frame: pd.DataFrame, *, target_versions: pd.DataFrame | None = None, **_: Any,
) -> pd.DataFrame:
    """One row per (indicator_key, year, scope): ``present`` when its targets' validity
    periods (NULL = open) neither overlap nor end before they start, so that at most one
    is in force on any day (31 December of the year included). Vectorised: the versions
    sorted once by key and start, each compared with the one before it in its group."""
    cols = [*_KEY_V, "versions", "files", PRESENT]
    if target_versions is None or target_versions.empty:
        return pd.DataFrame(columns=cols)
    key = list(_KEY_V)
    df = target_versions[[*key, "source_file"]].copy()
    df["_start"] = pd.to_datetime(target_versions["valid_from"]).fillna(pd.Timestamp("1900-01-01"))
    df["_end"] = pd.to_datetime(target_versions["valid_to"]).fillna(_OPEN_END)
    df = df.sort_values([*key, "_start"], kind="stable", na_position="last")
    grouped = df.groupby(key, dropna=False, sort=False)
    # a version starting on or before the previous version's end overlaps it
    prev_end = grouped["_end"].shift(1)
    df["_ok"] = (df["_end"] >= df["_start"]) & ~(prev_end.notna() & (df["_start"] <= prev_end))
    grouped = df.groupby(key, dropna=False, sort=True)
    out = grouped.agg(versions=("_ok", "size"), _ok=("_ok", "all"),
                      files=("source_file", lambda s: ", ".join(sorted(set(s))))).reset_index()
    out[PRESENT] = out.pop("_ok").astype(bool)
    return out[cols]


ATTAINMENT_VERSION_RULES = (
    _native_rule(
        "attainment.one_target_in_force", "error",
        "one target in force at a time per (indicator_key, year, scope): the validity "
        "periods a plan and its revisions give its targets neither overlap nor run backwards",
        _KEY_V, "ExpectColumnValuesToBeInSet", column=PRESENT, value_set=[True]),
)
ATTAINMENT_COVERAGE_RULES = (
    _native_rule(
        "attainment.row_per_district_per_plan_year", "error",
        "every mapped indicator with a target has a row per expected district and plan year",
        _KEY_A, "ExpectColumnValuesToBeInSet", column=PRESENT, value_set=[True]),
)


# --------------------------------------------------------------------------- registry

# Suites whose rows are checked by a runner of their own instead of GX over a pandas frame
# (district_stats: set-based SQL, expectations.stats_sql registers itself here on import).
SUITE_RUNNERS: dict[str, Callable[..., Any]] = {}

SUITES: dict[str, tuple[Part, ...]] = {
    "targets": (Part("targets", "rows", prepare_targets, TARGET_RULES),),
    "district_stats": (
        Part("district_stats", "rows", prepare_district_stats, STATS_RULES),
        Part("district_stats.coverage", "coverage", district_coverage_grid, STATS_COVERAGE_RULES),
    ),
    "attainment": (
        Part("attainment", "rows", prepare_attainment, ATTAINMENT_RULES),
        Part("attainment.coverage", "coverage", attainment_coverage_grid,
             ATTAINMENT_COVERAGE_RULES),
        Part("attainment.versions", "groups", target_version_groups, ATTAINMENT_VERSION_RULES),
    ),
}


def rules_of(suite: str) -> list[Rule]:
    """Every rule of a suite, in report order."""
    return [r for part in SUITES[suite] for r in part.rules]
