"""The warehouse star schema (CONTRACT section 6) as SQLAlchemy Core metadata.

One schema for both back-ends: DuckDB (embedded default) and PostgreSQL
(production). Numbers are DOUBLE PRECISION on both; timestamps are naive UTC.

Foreign keys are declared for PostgreSQL only: DuckDB refuses to delete a
parent row in the transaction that deleted its children (a documented DuckDB
foreign-key limitation), which would make the per-plan delete-then-insert
impossible. On DuckDB the loaders keep the same relationships, and the tests
check them on both back-ends.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from extractors.records import COMPARATORS
from extractors.reference import LINEAGE_KINDS
from extractors.relative import REFERENCES, RELATIVE_KINDS, relative_base_year
from warehouse.sql import district_in_force, render, target_in_force

YEAR_MIN, YEAR_MAX = 1900, 2100
# dim_district.valid_from is part of the key, so it cannot be NULL: an open
# start ("valid since forever") is stored as this sentinel date.
OPEN_VALID_FROM = "1900-01-01"

metadata = sa.MetaData(
    naming_convention={
        "pk": "pk_%(table_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ix": "ix_%(table_name)s_%(column_0_name)s",
    }
)

_comparator_list = ", ".join(f"'{c}'" for c in COMPARATORS)


def _in(col: str, values: tuple[str, ...]) -> str:
    return f"{col} IN ({', '.join(repr(v) for v in values)})"


def _year_check(col: str = "year") -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{col} BETWEEN {YEAR_MIN} AND {YEAR_MAX}", name=f"{col}_range")


def _indicator_key() -> sa.Column:
    """``indicator_id``, part of the table's key."""
    return sa.Column("indicator_id", Hex16, primary_key=True, comment="indicator")


def _district_key(comment: str) -> sa.Column:
    """``district_code`` (a GB/T 2260 code), part of the table's key."""
    return sa.Column("district_code", sa.String(12), primary_key=True, comment=comment)


def _year_key(comment: str) -> tuple[sa.Column, sa.CheckConstraint]:
    """``year``, part of the table's key, and its range check (``*_year_key(...)``)."""
    return (sa.Column("year", sa.Integer, primary_key=True, autoincrement=False, comment=comment),
            _year_check())


def _metric_key() -> sa.Column:
    """``metric_code``, part of the table's key."""
    return sa.Column("metric_code", sa.String(64), primary_key=True, comment="metric")


def _fact_key(head: sa.Column, district: str, year: str) -> list:
    """A fact table's key: ``head`` (:func:`_indicator_key` or :func:`_metric_key`),
    ``district_code`` and ``year`` (with its range check), commented by ``district`` and
    ``year`` (``*_fact_key(...)``)."""
    return [head, _district_key(district), *_year_key(year)]


def _restate_year(rows: str) -> sa.Column:
    """``restate_year`` of a restated table: the year whose boundaries ``rows`` are on."""
    return sa.Column("restate_year", sa.Integer, nullable=False,
                     comment=f"the year whose boundaries {rows} on")


def _fk(cols: list[str], refs: list[str]) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(cols, refs).ddl_if(dialect="postgresql")


Hex16 = sa.String(16)
Num = sa.Double()

dim_metric = sa.Table(
    "dim_metric",
    metadata,
    sa.Column("metric_code", sa.String(64), primary_key=True, comment="metric code (metrics.csv)"),
    sa.Column("name", sa.Text, nullable=False, comment="metric name"),
    sa.Column("unit", sa.Text, comment="unit of the metric's values"),
    sa.Column("aggregation", sa.String(8), nullable=False,
              comment="sum (a count or amount) or ratio (numerator/denominator x scale)"),
    sa.Column("numerator", sa.String(64), comment="ratio: metric code of the numerator"),
    sa.Column("denominator", sa.String(64), comment="ratio: metric code of the denominator"),
    sa.Column("scale", Num, comment="ratio: multiplier, e.g. 100 for a percentage"),
    sa.Column("direction", sa.String(4), nullable=False, comment="up or down: which way is better"),
    sa.Column("tolerance", Num,
              comment="fraction for the `about` comparator (NULL means the default 0.05)"),
    sa.CheckConstraint(_in("aggregation", ("sum", "ratio")), name="aggregation"),
    sa.CheckConstraint(_in("direction", ("up", "down")), name="direction"),
    sa.CheckConstraint(
        "aggregation = 'sum' OR (numerator IS NOT NULL AND denominator IS NOT NULL)",
        name="ratio_parts",
    ),
    sa.CheckConstraint("tolerance IS NULL OR tolerance >= 0", name="tolerance"),
    comment="Metric catalogue (raw/reference/metrics.csv): how a metric aggregates to the city",
)

dim_district = sa.Table(
    "dim_district",
    metadata,
    _district_key("administrative code"),
    sa.Column("valid_from", sa.Date, primary_key=True,
              comment=f"first day in force, inclusive ({OPEN_VALID_FROM} when open)"),
    sa.Column("valid_to", sa.Date, comment="last day in force, inclusive (NULL when open)"),
    sa.Column("district_name", sa.Text, nullable=False, comment="official name"),
    sa.Column("district_type", sa.String(16), nullable=False,
              comment="city, district, county or county_city"),
    sa.Column("parent_code", sa.String(12), comment="code of the parent (the city)"),
    sa.Column("aliases", sa.Text, comment="other names, separated by |"),
    sa.CheckConstraint(
        _in("district_type", ("city", "district", "county", "county_city")), name="type"
    ),
    sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity"),
    comment="One district version: a code and its validity period; the city row included",
)

dim_year = sa.Table(
    "dim_year",
    metadata,
    *_year_key("calendar year"),
    sa.Column("plan_period", sa.String(8), comment="five-year plan period, e.g. 十三五 (13th, 2016-2020)"),
    comment="One year used by a target, a statistic or a plan period",
)

dim_plan = sa.Table(
    "dim_plan",
    metadata,
    sa.Column("plan_id", Hex16, primary_key=True, comment="first 16 hex digits of the file's sha256"),
    sa.Column("title", sa.Text, nullable=False, comment="document title"),
    sa.Column("issuer", sa.Text, comment="issuing body"),
    sa.Column("period_start", sa.Integer, comment="first year of the plan period"),
    sa.Column("period_end", sa.Integer, comment="last year of the plan period"),
    sa.Column("source_file", sa.Text, nullable=False, unique=True, comment="file base name"),
    sa.Column("source_sha256", sa.String(64), nullable=False, comment="sha256 of the file bytes"),
    sa.Column("source_format", sa.String(8), nullable=False, comment="docx or pdf"),
    sa.Column("pages", sa.Integer, comment="page count (PDF)"),
    sa.Column("tables_found", sa.Integer, comment="plan tables recognised"),
    sa.Column("record_count", sa.Integer, nullable=False, comment="target records extracted"),
    sa.Column("load_fingerprint", sa.String(64), nullable=False,
              comment="sha256 of file hash + metric mappings: equal means a re-load changes nothing"),
    sa.Column("loaded_at", sa.DateTime, nullable=False, comment="when this file was loaded (UTC)"),
    sa.Column("content_fingerprint", sa.String(64),
              comment="sha256 of the plan's title, period and targets without page or file: "
                      "equal for two renderings (DOCX, PDF) of the same plan"),
    sa.Column("duplicate_of", Hex16,
              comment="plan_id of the document this one renders identically (DOCX preferred); "
                      "NULL for the document analysts see in v_attainment"),
    sa.Column("declared_revises", sa.Text,
              comment="the plan this document says it revises, as named in its text (《…》)"),
    sa.Column("declared_effective_from", sa.Date,
              comment="the date the document says its targets take force (自…起执行)"),
    sa.Column("revises_plan_id", Hex16,
              comment="plan_id of the plan this one revises (NULL: revises none; docs/time.md)"),
    sa.Column("effective_from", sa.Date,
              comment="first day this revision's targets are in force (NULL: not a revision)"),
    sa.Column("revision_source", sa.String(9),
              comment="where the revision was read: document or reference (plan_revisions.csv)"),
    sa.Column("lineage_id", Hex16,
              comment="plan_id of the first plan of this plan's revision chain (itself when it "
                      "revises none)"),
    sa.CheckConstraint(_in("source_format", ("docx", "pdf")), name="format"),
    sa.CheckConstraint("revision_source IS NULL OR " + _in("revision_source",
                                                           ("document", "reference")),
                       name="revision_source"),
    sa.CheckConstraint(
        "period_start IS NULL OR period_end IS NULL OR period_end >= period_start", name="period"
    ),
    comment="One plan document",
)

dim_indicator = sa.Table(
    "dim_indicator",
    metadata,
    sa.Column("indicator_id", Hex16, primary_key=True,
              comment="surrogate key of this version: sha256(plan_id:table:row)[:16] "
                      "(records.indicator_id)"),
    sa.Column("plan_id", Hex16, nullable=False, comment="plan the indicator belongs to"),
    sa.Column("section", sa.Text, comment="nearest heading above the table"),
    sa.Column("task_no", sa.Text, comment="序号 (item number) as written"),
    sa.Column("task_name", sa.Text, comment="工作任务 (work task), layout A"),
    sa.Column("indicator_name", sa.Text, nullable=False, comment="indicator as named in the plan"),
    sa.Column("unit", sa.Text, comment="indicator unit, else the first target unit"),
    sa.Column("metric_code", sa.String(64), comment="metric the indicator maps to (NULL: unmapped)"),
    sa.Column("direction", sa.String(4), nullable=False, comment="up or down: which way is better"),
    sa.Column("binding", sa.Text, comment="属性: 约束性 (binding) or 预期性 (expected)"),
    sa.Column("baseline_value", Num, comment="base-year value (layout B)"),
    sa.Column("baseline_year", sa.Integer, comment="base year (layout B)"),
    sa.Column("layout", sa.String(1), nullable=False, comment="A (annual targets) or B (key indicators)"),
    sa.Column("source_table", sa.Integer, nullable=False, comment="0-based table index"),
    sa.Column("source_row", sa.Integer, nullable=False, comment="0-based row index in the table"),
    sa.Column("indicator_key", Hex16,
              comment="natural key, the same for every version of the indicator across a plan "
                      "and its revisions: md5(lineage_id:indicator_name:n)[:16]"),
    sa.Column("valid_from", sa.Date,
              comment="first day this version is in force (NULL: since the plan began)"),
    sa.Column("valid_to", sa.Date,
              comment="last day this version is in force, inclusive (NULL: still in force)"),
    sa.Column("is_current", sa.Boolean,
              comment="the version in force today (no later revision replaced it)"),
    sa.CheckConstraint(_in("direction", ("up", "down")), name="direction"),
    sa.CheckConstraint(_in("layout", ("A", "B")), name="layout"),
    sa.CheckConstraint("valid_from IS NULL OR valid_to IS NULL OR valid_to >= valid_from",
                       name="validity"),
    _fk(["plan_id"], ["dim_plan.plan_id"]),
    comment="One version of one indicator (table row) of one plan: a type-2 slowly changing "
            "dimension over a plan and its revisions (indicator_key, valid_from/valid_to)",
)

fct_target = sa.Table(
    "fct_target",
    metadata,
    _indicator_key(),
    *_year_key("target year"),
    sa.Column("scope", sa.String(16), primary_key=True, comment="全市 (whole city), 城市 (urban), 农村 (rural)"),
    sa.Column("plan_id", Hex16, nullable=False, comment="plan (denormalised for per-plan reloads)"),
    sa.Column("comparator", sa.String(10), nullable=False, comment=f"one of {', '.join(COMPARATORS)}"),
    sa.Column("target_value", Num, comment="target (low bound for between); NULL for milestone"),
    sa.Column("target_value_high", Num, comment="high bound, between only"),
    sa.Column("target_unit", sa.Text, comment="unit as written"),
    sa.Column("target_text", sa.Text, nullable=False, comment="the target cell text, normalised"),
    sa.Column("source_page", sa.Integer, comment="1-based PDF page (NULL for DOCX)"),
    sa.Column("source_table", sa.Integer, nullable=False, comment="0-based table index"),
    sa.Column("source_row", sa.Integer, nullable=False, comment="0-based row index"),
    sa.Column("extraction", sa.String(8), comment="docx, lines or text (pdfplumber strategy)"),
    sa.Column("relative_kind", sa.String(12),
              comment="relative reading (extractors/relative.py): multiple (翻一番 x2), percent "
                      "(增长X% / 下降X%), points (提高X个百分点), annual_rate (年均增长X%, "
                      "compound); NULL: a level target"),
    sa.Column("relative_value", Num,
              comment="multiple: the factor; percent, points, annual_rate: the signed change"),
    sa.Column("relative_reference", sa.String(16),
              comment="what the change is measured against: baseline (the plan's base year) "
                      "or previous_year"),
    sa.Column("base_year", sa.Integer,
              comment="year whose actual a relative target is resolved from: the plan's base "
                      "year (baseline), or the target year - 1 (previous_year)"),
    sa.Column("valid_from", sa.Date,
              comment="first day this target is the one in force for its year (NULL: open)"),
    sa.Column("valid_to", sa.Date,
              comment="last day, inclusive, before a revision replaced it (NULL: not replaced); "
                      "in force for its year when 31 December of the year is in the range"),
    sa.CheckConstraint(f"comparator IN ({_comparator_list})", name="comparator"),
    sa.CheckConstraint(
        "(comparator = 'milestone' AND target_value IS NULL AND target_value_high IS NULL)"
        " OR (comparator <> 'milestone' AND target_value IS NOT NULL)",
        name="value_vs_comparator",
    ),
    sa.CheckConstraint(
        "(comparator = 'between' AND target_value_high >= target_value)"
        " OR (comparator <> 'between' AND target_value_high IS NULL)",
        name="between_bounds",
    ),
    sa.CheckConstraint(
        "(relative_kind IS NULL AND relative_value IS NULL AND relative_reference IS NULL)"
        f" OR ({_in('relative_kind', RELATIVE_KINDS)} AND relative_value IS NOT NULL"
        f" AND {_in('relative_reference', REFERENCES)} AND base_year IS NOT NULL)",
        name="relative",
    ),
    _fk(["indicator_id"], ["dim_indicator.indicator_id"]),
    _fk(["plan_id"], ["dim_plan.plan_id"]),
    comment="One target: indicator x year x scope",
)

stat_vintage = sa.Table(
    "stat_vintage",
    metadata,
    sa.Column("vintage_id", sa.Integer, primary_key=True, autoincrement=False,
              comment="vintage number, in load order (1, 2, ...)"),
    sa.Column("source_file", sa.Text, nullable=False, comment="statistics file base name"),
    sa.Column("content_sha256", sa.String(64), nullable=False,
              comment="fingerprint of the file's loaded rows (load_log): equal content, "
                      "no new vintage"),
    sa.Column("row_count", sa.Integer, nullable=False, comment="rows the file gave"),
    sa.Column("loaded_at", sa.DateTime, nullable=False,
              comment="when this content was loaded (UTC): the valid_from of the values "
                      "it introduced"),
    sa.Column("published_on", sa.Date,
              comment="publication date, from raw/reference/stat_publications.csv or a date "
                      "in the file name (NULL: not given)"),
    sa.Column("published_from", sa.String(16),
              comment="where published_on came from: reference or file_name"),
    sa.CheckConstraint(_in("published_from", ("reference", "file_name")), name="published_from"),
    comment="One statistics vintage: one content of one statistics file, as loaded "
            "(docs/time.md, Vintages)",
)

fct_district_stat = sa.Table(
    "fct_district_stat",
    metadata,
    *_fact_key(_metric_key(), "district (the version valid on 31 Dec of year)",
               "statistics year"),
    sa.Column("value", Num, nullable=False, comment="value (missing values are not stored)"),
    sa.Column("unit", sa.Text, comment="unit as given by the source"),
    sa.Column("source_file", sa.Text, nullable=False,
              comment="statistics file base name (of the current content giving this value)"),
    sa.Column("location", sa.Text, comment="sheet/row of the value in the source file"),
    sa.Column("loaded_at", sa.DateTime, nullable=False,
              comment="when this value was loaded (UTC); equals valid_from"),
    sa.Column("valid_from", sa.DateTime, primary_key=True,
              comment="load time from which this value is the current figure (UTC, inclusive)"),
    sa.Column("valid_to", sa.DateTime,
              comment="load time at which a later vintage revised or withdrew it (UTC, "
                      "exclusive); NULL: the current figure"),
    sa.Column("vintage_id", sa.Integer, nullable=False,
              comment="stat_vintage that first gave this value"),
    sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
    # no foreign key to stat_vintage: a 5M-row COPY would check it row by row (the
    # vintages suite checks the relationship on both back-ends)
    comment="One statistic: metric x district x year, one row per distinct value in load "
            "time (valid_to NULL: the current figure; docs/time.md, Vintages)",
)

def _judgement_columns(**comments: str) -> list[sa.Column]:
    """The columns of an attainment row after its key (fct_attainment, and
    fct_attainment_restated on other boundaries), in order; ``comments`` replace the
    default comment of a column by name."""
    columns = [
        sa.Column("level", sa.String(8), nullable=False, comment="city or district"),
        sa.Column("comparator", sa.String(10), nullable=False, comment="target comparator"),
        sa.Column("target_value", Num, comment="target (low bound for between)"),
        sa.Column("target_value_high", Num, comment="high bound, between only"),
        sa.Column("actual_value", Num, comment="actual figure (NULL: no statistics)"),
        sa.Column("attained", sa.Boolean, comment="target met; NULL when not evaluable"),
        sa.Column("gap", Num,
                  comment="signed distance to the target: positive is better than target"),
        sa.Column("target_resolved", Num,
                  comment="relative target (fct_target.relative_kind): the level it asks of "
                          "this district in this year, resolved from its base-year actual; "
                          "attained and gap are judged on it. NULL for a level target or when "
                          "not evaluable"),
        sa.Column("resolved_comparator", sa.String(2),
                  comment="relative target: >= (a rise) or <= (a fall, or a down-direction "
                          "indicator) against target_resolved"),
        sa.Column("base_value", Num,
                  comment="relative target: the actual in fct_target.base_year it is resolved "
                          "from"),
        sa.Column("note", sa.Text,
                  comment="relative target: why it is not evaluable (base figure missing or not "
                          "positive, district not in force or changed since the base year, no "
                          "actual); NULL when judged"),
    ]
    for column in columns:
        column.comment = comments.pop(column.name, column.comment)
    if comments:
        raise TypeError(f"no such attainment column: {sorted(comments)}")
    return columns


fct_attainment = sa.Table(
    "fct_attainment",
    metadata,
    *_fact_key(_indicator_key(), "district or the city", "target year"),
    *_judgement_columns(),
    sa.CheckConstraint(f"comparator IN ({_comparator_list})", name="comparator"),
    sa.CheckConstraint(_in("level", ("city", "district")), name="level"),
    sa.CheckConstraint(
        "comparator <> 'milestone' OR target_resolved IS NOT NULL"
        " OR (attained IS NULL AND gap IS NULL)", name="milestone_null"
    ),
    sa.CheckConstraint(
        "target_resolved IS NULL OR resolved_comparator IN ('>=', '<=')", name="resolved"),
    sa.CheckConstraint("actual_value IS NOT NULL OR attained IS NULL", name="no_actual_null"),
    _fk(["indicator_id"], ["dim_indicator.indicator_id"]),
    comment="Attainment of a 全市 (whole-city) target: indicator x district x year "
            "(target text, unit, metric and plan: v_attainment or fct_target)",
)

fct_attainment_as_of = sa.Table(
    "fct_attainment_as_of",
    metadata,
    sa.Column("as_of", sa.DateTime, primary_key=True,
              comment="the load time (UTC) whose current figures were used: "
                      "`planwh run --as-of`; a bare date means the end of that day"),
    *[c._copy() for c in fct_attainment.columns],
    sa.Column("built_at", sa.DateTime, nullable=False, comment="when these rows were built (UTC)"),
    _year_check(),
    sa.CheckConstraint(_in("level", ("city", "district")), name="level"),
    comment="fct_attainment evaluated on the statistics known at a past moment: one set of "
            "rows per as_of (docs/time.md, Vintages); fct_attainment itself always uses the "
            "latest figures",
)

# Progress toward a plan's end-year target (warehouse/progress.py, docs/progress.md).
INSUFFICIENT = "insufficient data"  # no baseline or no actual: no status to give
PROGRESS_STATUSES = ("achieved", "on track", "moderate", "limited", "deteriorating",
                     INSUFFICIENT)

fct_progress = sa.Table(
    "fct_progress",
    metadata,
    *_fact_key(_indicator_key(), "district or the city",
               "year of the actual (between the base year and the end year)"),
    sa.Column("level", sa.String(8), nullable=False, comment="city or district"),
    sa.Column("direction", sa.String(4), nullable=False,
              comment="up or down: which way progress runs (from the end-year target)"),
    sa.Column("path", sa.String(8),
              comment="required path from baseline to end-year target: linear or compound"),
    sa.Column("relative_kind", sa.String(12),
              comment="relative end-year target: multiple, percent, points, annual_rate "
                      "(NULL: a level)"),
    sa.Column("relative_reference", sa.String(16),
              comment="what a relative target is measured against: baseline or previous_year"),
    sa.Column("baseline_year", sa.Integer, comment="base year of the plan period"),
    sa.Column("baseline_value", Num,
              comment="this district's value in the base year (the city: statistics, else "
                      "the plan's own base-year figure)"),
    sa.Column("end_year", sa.Integer, comment="year of the end-year target"),
    sa.Column("end_target_value", Num,
              comment="end-year target as a level (relative targets resolved for this district)"),
    sa.Column("required_value", Num,
              comment="value on the required path in this year"),
    sa.Column("actual_value", Num, comment="actual figure (NULL: no statistics)"),
    sa.Column("progress_ratio", Num,
              comment="actual progress since the base year / required progress by this year "
                      "(compound path: ratio of growth rates); NULL when undefined"),
    sa.Column("anticipated_value", Num,
              comment="end-year value projected by a time-weighted linear fit (>= 3 points)"),
    sa.Column("anticipated_meets", sa.Boolean,
              comment="the anticipated end-year value meets the end-year target"),
    sa.Column("schedule_year", sa.Integer,
              comment="latest plan year whose target this year's actual meets"),
    sa.Column("schedule_position", sa.Integer,
              comment="schedule_year - year: negative is years behind, positive ahead"),
    sa.Column("rung_reached", Num,
              comment="target value of schedule_year: the numeric rung of a ladder reached"),
    sa.Column("schedule_note", sa.Text,
              comment="schedule position in words (and qualitative rungs left unevaluated)"),
    sa.Column("status", sa.String(20), nullable=False,
              comment=f"one of {', '.join(PROGRESS_STATUSES)}"),
    sa.Column("status_note", sa.Text, comment="why this status (insufficient data: what is missing)"),
    sa.CheckConstraint(_in("status", PROGRESS_STATUSES), name="status"),
    sa.CheckConstraint(_in("level", ("city", "district")), name="level"),
    sa.CheckConstraint(_in("direction", ("up", "down")), name="direction"),
    sa.CheckConstraint("status = 'insufficient data' OR baseline_value IS NOT NULL",
                       name="status_needs_baseline"),
    # derived and rebuilt whole after the plans load: a plan's reload (which deletes its
    # indicators) takes the plan's progress rows with it until the next build
    sa.ForeignKeyConstraint(["indicator_id"], ["dim_indicator.indicator_id"],
                            ondelete="CASCADE").ddl_if(dialect="postgresql"),
    comment="Progress toward the end-year target of a 全市 (whole-city) indicator: "
            "indicator x district x year (ESCAP/UNSD methods, docs/progress.md)",
)

# Restated boundaries (warehouse/restate.py, docs/time.md "Restated boundaries").
RESTATE_METHODS = ("reported", "rename", "sum_of_parts", "weighted", "ratio_of_parts")

bridge_district_lineage = sa.Table(
    "bridge_district_lineage",
    metadata,
    sa.Column("change_year", sa.Integer, primary_key=True, autoincrement=False,
              comment="first year on the new boundaries"),
    sa.Column("old_code", sa.String(12), primary_key=True,
              comment="district whose version ends on 31 Dec of change_year - 1"),
    sa.Column("new_code", sa.String(12), primary_key=True,
              comment="district whose version begins on 1 Jan of change_year and receives "
                      "land of old_code"),
    sa.Column("old_valid_from", sa.Date, nullable=False,
              comment="dim_district.valid_from of the old version"),
    sa.Column("new_valid_from", sa.Date, nullable=False,
              comment="dim_district.valid_from of the new version"),
    sa.Column("kind", sa.String(8), nullable=False,
              comment="rename (one successor, one predecessor: a recode), merge (the old land "
                      "passes whole to a successor that has several predecessors) or split "
                      "(the old land is divided: figures restate only with split weights)"),
    sa.CheckConstraint(_in("kind", LINEAGE_KINDS), name="kind"),
    _year_check("change_year"),
    comment="District lineage from the GB/T 2260 history (raw/reference/district_lineage.csv): "
            "old version -> new version, with the kind of change",
)

ref_split_weight = sa.Table(
    "ref_split_weight",
    metadata,
    sa.Column("change_year", sa.Integer, primary_key=True, autoincrement=False,
              comment="year of the split (bridge_district_lineage.change_year)"),
    sa.Column("old_code", sa.String(12), primary_key=True, comment="district that was split"),
    sa.Column("new_code", sa.String(12), primary_key=True, comment="district receiving a share"),
    sa.Column("metric_code", sa.String(64), primary_key=True,
              comment="sum metric the weight applies to, or * for every sum metric "
                      "without a weight of its own"),
    sa.Column("weight", Num, nullable=False,
              comment="share of old_code's figure that lies in new_code (the weights of one "
                      "old code, year and metric sum to 1)"),
    sa.Column("source_row", sa.Integer, comment="1-based row in split_weights.csv"),
    sa.CheckConstraint("weight >= 0 AND weight <= 1", name="weight_range"),
    _year_check("change_year"),
    comment="Split weights given by the user (raw/reference/split_weights.csv); groups that do "
            "not sum to 1 are kept here but not used (an ingest_issues row says so)",
)

# The restated statistics (docs/time.md, "Restated boundaries") are the view
# fct_district_stat_restated (FCT_DISTRICT_STAT_RESTATED_SQL below) over two tables: the
# figures restated by a method, and the district x year pairs whose reported figures pass
# through unchanged (their version is the restate year's), so that the build never copies
# the millions of reported rows (issue #13).
fct_district_stat_restatement = sa.Table(
    "fct_district_stat_restatement",
    metadata,
    *_fact_key(_metric_key(), "district version in force on 31 Dec of restate_year",
               "statistics year"),
    _restate_year("every row is"),
    sa.Column("value", Num, nullable=False, comment="value on the restate_year boundaries"),
    sa.Column("restated", sa.Boolean, nullable=False,
              comment="always true here: computed by method"),
    sa.Column("method", sa.String(16), nullable=False,
              comment=f"one of {', '.join(RESTATE_METHODS[1:])}"),
    sa.Column("sources", sa.Text, comment="the reported figures used, as weight x code"),
    sa.CheckConstraint(_in("method", RESTATE_METHODS[1:]), name="method"),
    sa.CheckConstraint("restated", name="restated"),
    comment="The restated rows of fct_district_stat_restated: figures of districts merged, "
            "split or renamed since, computed on the boundaries of restate_year",
)

ref_restate_unchanged = sa.Table(
    "ref_restate_unchanged",
    metadata,
    _district_key("district whose version in force on 31 Dec of year is the one in force "
                  "on 31 Dec of restate_year"),
    *_year_key("statistics year"),
    sa.Column("restate_year", sa.Integer, nullable=False,
              comment="the year whose boundaries the pair is on"),
    comment="District x year on the boundaries of restate_year: their current reported "
            "figures are the reported rows of fct_district_stat_restated",
)

fct_attainment_restated = sa.Table(
    "fct_attainment_restated",
    metadata,
    *_fact_key(_indicator_key(),
               "district (version in force on 31 Dec of restate_year) or the city",
               "target year"),
    _restate_year("the actuals are"),
    *_judgement_columns(
        actual_value="actual on the restate_year boundaries (NULL: none)",
        target_resolved="relative target: the level it asks of this district (its base-year "
                        "figure on the same boundaries)",
        resolved_comparator="relative target: >= or <= against target_resolved",
        base_value="relative target: the base-year actual",
        note="relative target: why it is not evaluable"),
    sa.Column("restated", sa.Boolean, nullable=False,
              comment="the actual is a restated figure (fct_district_stat_restated.restated)"),
    sa.CheckConstraint(_in("level", ("city", "district")), name="level"),
    sa.ForeignKeyConstraint(["indicator_id"], ["dim_indicator.indicator_id"],
                            ondelete="CASCADE").ddl_if(dialect="postgresql"),
    comment="Attainment as fct_attainment, on the boundaries of restate_year "
            "(from fct_district_stat_restated)",
)

ref_plan_revision = sa.Table(
    "ref_plan_revision",
    metadata,
    sa.Column("plan", sa.Text, primary_key=True,
              comment="the revising plan: its file name, title or plan_id"),
    sa.Column("revises", sa.Text, nullable=False,
              comment="the revised plan: its file name, title or plan_id"),
    sa.Column("effective_from", sa.Date, nullable=False,
              comment="first day the revising plan's targets are in force"),
    sa.Column("source_row", sa.Integer, nullable=False, comment="1-based line in the file"),
    comment="Plan revisions declared in raw/reference/plan_revisions.csv (valid rows only; "
            "they win over what a document says)",
)

ingest_issues = sa.Table(
    "ingest_issues",
    metadata,
    sa.Column("scope", sa.String(200), primary_key=True,
              comment="who reported it: plan:<file>, stats, check:<suite>, ..."),
    sa.Column("issue_no", sa.Integer, primary_key=True, autoincrement=False,
              comment="0-based position within the scope"),
    sa.Column("source_file", sa.Text, nullable=False, comment="input file"),
    sa.Column("location", sa.Text, comment="where in the file (sheet, row, page, table)"),
    sa.Column("severity", sa.String(8), nullable=False, comment="error or warning"),
    sa.Column("reason", sa.Text, nullable=False, comment="why it was rejected"),
    sa.Column("check_name", sa.Text, comment="rule or expectation that raised it"),
    sa.Column("detected_at", sa.DateTime, nullable=False, comment="first detected (UTC)"),
    sa.CheckConstraint(_in("severity", ("error", "warning")), name="severity"),
    comment="One rejected input item",
)

load_log = sa.Table(
    "load_log",
    metadata,
    sa.Column("load_key", sa.Text, primary_key=True, comment="what was loaded, e.g. stats:<file>"),
    sa.Column("content_sha256", sa.String(64), nullable=False, comment="fingerprint of the content"),
    sa.Column("row_count", sa.Integer, nullable=False, comment="rows loaded"),
    sa.Column("loaded_at", sa.DateTime, nullable=False, comment="when this content was loaded (UTC)"),
    comment="Fingerprints of loaded content, so an identical re-load changes nothing",
)

TABLES = [t.name for t in metadata.sorted_tables]
# Tables every attainment build rebuilds whole from the others.
DERIVED_TABLES = ("fct_attainment",)

# A number as text without trailing zeros: portable across DuckDB and PostgreSQL.
_FMT = "RTRIM(RTRIM(CAST(CAST({} AS NUMERIC(20,6)) AS VARCHAR), '0'), '.')"
_UNIT = "COALESCE(' ' || ft.target_unit, '')"

def analyst_view_head(view: str) -> str:
    """The start of an attainment view for analysts: which plan, indicator, district and
    year a row (``a``) is about (the FROM clause: :func:`analyst_view_from`)."""
    return (f"CREATE OR REPLACE VIEW {view} AS\nSELECT\n    p.title AS plan_title,\n"
            "    i.section,\n    i.indicator_name,\n    d.district_name,\n    a.year,")


def analyst_view_from(fact: str, alias: str, *joins: str, year: str | None = None) -> str:
    """The FROM clause of an analyst view over the fact table ``fact`` (as ``alias``):
    its indicator (``i``) and plan (``p``, each plan once), any other ``joins``, and the
    district version (``d``) in force in ``year`` (default: the row's year)."""
    return "\n".join([
        f"FROM {fact} {alias}",
        f"JOIN dim_indicator i ON i.indicator_id = {alias}.indicator_id",
        "JOIN dim_plan p ON p.plan_id = i.plan_id",
        *joins,
        "LEFT JOIN dim_district d",
        f"    ON d.district_code = {alias}.district_code",
        f"   AND {district_in_force('d', year or alias + '.year')}",
        "WHERE p.duplicate_of IS NULL  -- a plan delivered as DOCX and PDF is shown once",
    ]) + "\n"


# the plan's own (全市, whole-city) target row of each attainment row, as ``ft``
WHOLE_CITY_TARGET_JOIN = ("JOIN fct_target ft\n    ON ft.indicator_id = a.indicator_id "
                          "AND ft.year = a.year AND ft.scope = '全市'")


def readable_target(relative: bool) -> str:
    """An analyst view's ``target`` column: the target as a reader writes it, from an
    attainment row ``a`` and its target row ``ft`` (with ``relative``: a relative target
    is its words and the level it asks of the place)."""
    when_relative = f"""
        WHEN ft.relative_kind IS NOT NULL
            THEN ft.target_text || COALESCE(' (' || a.resolved_comparator || ' '
                                            || {_FMT.format('a.target_resolved')} || ')', '')"""
    return f"""    CASE{when_relative if relative else ""}
        WHEN a.comparator = 'milestone' THEN ft.target_text
        WHEN a.comparator = 'between'
            THEN {_FMT.format('a.target_value')} || '-' || {_FMT.format('a.target_value_high')} || {_UNIT}
        WHEN a.comparator = 'about' THEN 'about ' || {_FMT.format('a.target_value')} || {_UNIT}
        ELSE a.comparator || ' ' || {_FMT.format('a.target_value')} || {_UNIT}
    END AS target,"""
# An attainment row's level, place, indicator and target as columns of an analyst view
# (v_attainment_versions, v_attainment_restated).
ATTAINMENT_ROW_COLUMNS = """\
    a.level,
    a.district_code,
    a.indicator_id,
    i.metric_code,
    a.comparator,
    a.target_value,
    a.target_value_high,"""


V_ATTAINMENT_SQL = f"""
{analyst_view_head("v_attainment")}
{readable_target(relative=True)}
    a.actual_value AS actual,
    a.attained,
    a.gap,
    a.level,
    a.district_code,
    a.indicator_id,
    i.metric_code,
    ft.target_unit,
    ft.target_text,
    a.comparator,
    a.target_value,
    a.target_value_high,
    i.binding,
    i.plan_id,
    p.source_file,
    ft.relative_kind,
    ft.relative_reference,
    ft.base_year,
    a.base_value,
    a.target_resolved,
    a.resolved_comparator,
    a.note,
    i.indicator_key
{analyst_view_from("fct_attainment", "a", WHOLE_CITY_TARGET_JOIN)}  AND {target_in_force("ft", "a.year")}  -- the target in force for the year (revisions)
"""
# The same view over fct_attainment_as_of: one set of rows per as_of (`planwh run --as-of`).
V_ATTAINMENT_AS_OF_SQL = (
    V_ATTAINMENT_SQL.replace("VIEW v_attainment AS\nSELECT\n",
                             "VIEW v_attainment_as_of AS\nSELECT\n    a.as_of,\n", 1)
    .replace("FROM fct_attainment a\n", "FROM fct_attainment_as_of a\n", 1))
assert "a.as_of" in V_ATTAINMENT_AS_OF_SQL and "fct_attainment_as_of a" in V_ATTAINMENT_AS_OF_SQL
V_ATTAINMENT_AS_OF_COMMENT = (
    "v_attainment as it was on the statistics known at as_of (rows built by "
    "`planwh run --as-of`; docs/time.md)"
)
V_ATTAINMENT_COMMENT = (
    "Attainment for analysts: plan, indicator, district, year, readable target, actual, attained "
    "(each plan once: identical renderings of a plan, see dim_plan.duplicate_of, are left out); "
    "a relative target shows its wording and the level it asks of the district; each target "
    "as in force for its year: a revised target shows its revision's verdict"
)

# Every target version (a plan and its revisions) with its verdicts: docs/time.md.
V_ATTAINMENT_VERSIONS_SQL = f"""
{analyst_view_head("v_attainment_versions")}
{readable_target(relative=True)}
    a.actual_value AS actual,
    a.attained,
    a.gap,
    ({target_in_force("ft", "a.year")}) AS in_force,
    ft.valid_from AS target_valid_from,
    ft.valid_to AS target_valid_to,
    i.indicator_key,
    i.is_current,
    p.effective_from AS plan_effective_from,
    p.revises_plan_id,
    p.lineage_id,
{ATTAINMENT_ROW_COLUMNS}
    i.plan_id,
    p.source_file,
    ft.relative_kind,
    a.target_resolved,
    a.resolved_comparator,
    a.note
{analyst_view_from("fct_attainment", "a", WHOLE_CITY_TARGET_JOIN)}"""
V_ATTAINMENT_VERSIONS_COMMENT = (
    "Every version of every target (a plan and the revisions of it) with its verdicts; "
    "in_force marks the one v_attainment shows for the year"
)
# Statistics on the boundaries of one year (warehouse/restate.py): the current reported
# figures of the district x year pairs unchanged up to restate_year, and the restated ones.
FCT_DISTRICT_STAT_RESTATED_SQL = """
CREATE OR REPLACE VIEW fct_district_stat_restated AS
SELECT s.metric_code, s.district_code, s.year, u.restate_year, s.value,
       FALSE AS restated, CAST('reported' AS VARCHAR(16)) AS method,
       CAST(NULL AS TEXT) AS sources
FROM fct_district_stat s
JOIN ref_restate_unchanged u ON u.district_code = s.district_code AND u.year = s.year
WHERE s.valid_to IS NULL
UNION ALL
SELECT metric_code, district_code, year, restate_year, value, restated, method, sources
FROM fct_district_stat_restatement
"""
FCT_DISTRICT_STAT_RESTATED_COMMENT = (
    "Statistics on the boundaries of one year: reported figures of unchanged districts "
    "and restated ones (flagged) of districts merged, split or renamed since; a view over "
    "fct_district_stat, ref_restate_unchanged and fct_district_stat_restatement"
)
VIEWS = {"v_attainment": (V_ATTAINMENT_SQL, V_ATTAINMENT_COMMENT),
         "v_attainment_versions": (V_ATTAINMENT_VERSIONS_SQL, V_ATTAINMENT_VERSIONS_COMMENT),
         "v_attainment_as_of": (V_ATTAINMENT_AS_OF_SQL, V_ATTAINMENT_AS_OF_COMMENT),
         "fct_district_stat_restated": (FCT_DISTRICT_STAT_RESTATED_SQL,
                                        FCT_DISTRICT_STAT_RESTATED_COMMENT)}


# Progress for analysts (docs/progress.md): fct_progress holds every indicator version's
# progress; the view shows, for each year, the version whose end-year target is in force
# on 31 December of that year (the target_in_force rule of v_attainment, docs/time.md).
# Created by every progress build (warehouse.progress) and by create_schema.
END_TARGET_JOIN = ("JOIN fct_target et\n    ON et.indicator_id = g.indicator_id "
                   "AND et.year = g.end_year AND et.scope = '全市'")
V_PROGRESS_SQL = f"""
CREATE OR REPLACE VIEW v_progress AS
SELECT
    p.title AS plan_title,
    i.section,
    i.indicator_name,
    i.binding,
    d.district_name,
    g.year,
    g.status,
    g.actual_value AS actual,
    g.required_value AS required,
    g.end_year,
    g.end_target_value AS end_target,
    g.anticipated_value AS anticipated,
    g.anticipated_meets,
    g.progress_ratio,
    g.schedule_year,
    g.schedule_position,
    g.rung_reached,
    g.schedule_note,
    g.status_note,
    g.baseline_year,
    g.baseline_value AS baseline,
    g.path,
    g.relative_kind,
    g.relative_reference,
    g.direction,
    g.level,
    g.district_code,
    g.indicator_id,
    i.metric_code,
    i.plan_id,
    i.indicator_key
{analyst_view_from("fct_progress", "g", END_TARGET_JOIN)}  AND {target_in_force("et", "g.year")}  -- the version in force for the year (revisions)
"""
V_PROGRESS_COMMENT = ("Progress for analysts: plan, indicator, district, year, status, actual "
                      "vs required path, anticipated end-year value, schedule position; "
                      "each year shows the indicator version whose end-year target is in "
                      "force on 31 December of that year (fct_progress keeps every version)")


def create_progress_view(cx) -> None:
    """(Re)create v_progress with its comment, in the caller's transaction."""
    cx.exec_driver_sql(V_PROGRESS_SQL)
    cx.exec_driver_sql(f"COMMENT ON VIEW v_progress IS {_quote(V_PROGRESS_COMMENT)}")

def make_engine(url: str) -> Engine:
    """An engine for a SQLAlchemy URL; creates the folder of a DuckDB file. PostgreSQL
    connections wait at most ``PLANWH_LOCK_TIMEOUT`` seconds for a lock
    (``warehouse.locks``)."""
    u = make_url(url)
    if u.get_backend_name() == "duckdb":
        db = u.database
        if db and db != ":memory:" and not db.startswith("md:"):
            Path(db).expanduser().parent.mkdir(parents=True, exist_ok=True)
        return sa.create_engine(u, connect_args={"config": duckdb_config()})
    if u.get_backend_name() == "postgresql":
        from warehouse import locks

        engine = sa.create_engine(u, pool_pre_ping=True)
        locks.install(engine)
        return engine
    return sa.create_engine(u, pool_pre_ping=True)


DUCKDB_MEMORY_ENV = "PLANWH_DUCKDB_MEMORY_LIMIT"
DUCKDB_MEMORY_DEFAULT = "256MB"
# DuckDB's row group size: an Arrow table registered in batches of this many rows is
# scanned in parallel (one large chunk is read by one thread: bench/README.md).
ARROW_BATCH = 122_880
# PostgreSQL ``work_mem`` (SET LOCAL: that transaction only; the default 4 MB spills to
# disk): the attainment build's hashes and sorts (bench/README.md), and the statistics
# suite's hash joins and aggregates over millions of staged rows.
PG_WORK_MEM = "128MB"
PG_SUITE_WORK_MEM = "256MB"


def duckdb_config() -> dict[str, str]:
    """Settings of every warehouse connection to DuckDB: ``memory_limit`` from
    ``PLANWH_DUCKDB_MEMORY_LIMIT`` (default 256MB; DuckDB's own default is 80 % of the
    machine's RAM, which a 5M-row load filled to 1.1 GB), beyond which DuckDB spills to
    its temporary directory (``<warehouse>.tmp``) instead of growing; ``threads`` every
    core (``os.cpu_count()``)."""
    limit = os.environ.get(DUCKDB_MEMORY_ENV, "").strip() or DUCKDB_MEMORY_DEFAULT
    return {"memory_limit": limit, "threads": str(os.cpu_count() or 1)}


DUCKDB_BUILD_MEMORY_ENV = "PLANWH_DUCKDB_BUILD_MEMORY_LIMIT"
DUCKDB_BUILD_MEMORY_DEFAULT = "1GB"


@contextmanager
def duckdb_build_memory(engine: Engine) -> Iterator[None]:
    """Around a warehouse build whose joins want memory (the attainment build): DuckDB's
    ``memory_limit`` raised to ``PLANWH_DUCKDB_BUILD_MEMORY_LIMIT`` (default 1GB), then
    put back. Loads stream and stay under the connection's limit (256MB); a hash join
    over 10M statistics under it spills and took twice as long (bench/README.md). The
    setting is the database's: it is put back on the same engine after the build,
    whether the build succeeded or not. PostgreSQL: nothing (the build sets its own
    ``work_mem``)."""
    if engine.dialect.name != "duckdb":
        yield
        return
    limit = os.environ.get(DUCKDB_BUILD_MEMORY_ENV, "").strip() or DUCKDB_BUILD_MEMORY_DEFAULT
    with engine.connect() as cx:
        cx.exec_driver_sql(f"SET memory_limit = {_quote(limit)}")
    try:
        yield
    finally:  # the connections' own setting (current_setting() reads back rounded)
        with engine.connect() as cx:
            cx.exec_driver_sql(f"SET memory_limit = {_quote(duckdb_config()['memory_limit'])}")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


# (pid, URL) whose schema this process has created or migrated: later calls only check
# that the tables are still there (one catalogue query), not every table's columns
_READY: set[tuple[int, str]] = set()


def _schema_key(engine: Engine) -> tuple[int, str]:
    return (os.getpid(), engine.url.render_as_string(hide_password=False))


def _still_there(engine: Engine) -> bool:
    """Every table and the view exist (a cheap catalogue query on either back-end)."""
    names = ", ".join(_quote(n) for n in [*TABLES, *VIEWS])
    sql = ("SELECT COUNT(DISTINCT table_name) FROM information_schema.tables "
           f"WHERE table_name IN ({names})")
    if is_postgres(engine):
        sql += " AND table_schema = current_schema()"
    try:
        with engine.connect() as cx:
            return cx.exec_driver_sql(sql).scalar() == len(TABLES) + len(VIEWS)
    except sa.exc.DBAPIError:
        return False


def create_schema(engine: Engine, *, force: bool = False) -> None:
    """Create every table and the view if missing, and migrate (idempotent).

    PostgreSQL: ``alembic upgrade head`` over warehouse/migrations.
    DuckDB: ``metadata.create_all`` (comments included) and the view.
    Done once per process and URL: a later call (every ``get_engine``) only checks
    that the tables still exist, and does the whole work again if not; ``force``
    always does it.
    """
    key = _schema_key(engine)
    if not force and key in _READY and _still_there(engine):
        return
    _READY.discard(key)
    _create_schema(engine)
    _READY.add(key)


def _create_schema(engine: Engine) -> None:
    if is_postgres(engine):
        from warehouse.migrate import upgrade

        upgrade(engine)
        return
    with engine.begin() as cx:
        columns = _columns_by_table(cx)  # one catalogue query, not one reflection per table
        existing = set(columns)
        _reshape_derived_tables(cx, columns)
        versioned = "fct_district_stat" in existing and _version_statistics(
            cx, columns["fct_district_stat"])
        metadata.create_all(cx, checkfirst=True)  # emits the comments of new tables
        if versioned:
            _first_vintages(cx)
        added = _add_missing_columns(cx, _columns_by_table(cx))
        if "relative_kind" in added.get("fct_target", ()):
            backfill_relative_targets(cx)
        if existing & set(TABLES):  # refresh comments of tables that were already there
            for stmt in comment_statements():
                cx.exec_driver_sql(stmt)
        if "indicator_key" in added.get("dim_indicator", ()):  # a file from before revisions
            for stmt in REVISION_BACKFILL:
                cx.exec_driver_sql(stmt)
        if "fct_district_stat_restated" in existing:  # a table before the view (0010)
            for stmt in RESTATED_TO_VIEW:
                cx.exec_driver_sql(stmt)
        for view, (sql, comment) in VIEWS.items():
            cx.exec_driver_sql(sql)
            cx.exec_driver_sql(f"COMMENT ON VIEW {view} IS {_quote(comment)}")
        create_progress_view(cx)


# A warehouse whose fct_district_stat_restated is a table of every row (Alembic 0009; a
# DuckDB file of then): its restated rows and unchanged pairs move to the tables of the
# view, then the table goes. Shared with the migration's frozen copy.
RESTATED_TO_VIEW = (
    "INSERT INTO fct_district_stat_restatement (metric_code, district_code, year, "
    "restate_year, value, restated, method, sources) SELECT metric_code, district_code, "
    "year, restate_year, value, restated, method, sources FROM fct_district_stat_restated "
    "WHERE restated",
    "INSERT INTO ref_restate_unchanged (district_code, year, restate_year) SELECT DISTINCT "
    "district_code, year, restate_year FROM fct_district_stat_restated WHERE NOT restated",
    "DROP TABLE fct_district_stat_restated",
)  # an older file's v_progress becomes today's


# A warehouse from before plan revisions (Alembic 0005; DuckDB's added columns): every
# plan is its own lineage, every indicator and target version open and current.
REVISION_BACKFILL = (
    "UPDATE dim_plan SET lineage_id = plan_id WHERE lineage_id IS NULL",
    render("indicator_versions", lineage_filter=""),
    render("target_validity", lineage_filter=""),
)


def rebuild_duckdb_table(
    cx, table: str, insert_sql: Callable[[str], str | list[str]], *, unique_key: bool = True,
) -> bool:
    """Fill a fresh copy of ``table`` with ``insert_sql(name of the copy)`` (one statement
    or several) and swap it in, in the caller's transaction; False (nothing done) when
    the catalogue looks unexpected.

    DuckDB maintains a PRIMARY KEY row by row and deletes indexed rows slowly (figures:
    bench/README.md). The copy keeps the columns, NOT NULL and CHECK constraints, and its
    key columns stay NOT NULL. With
    ``unique_key`` its key becomes a UNIQUE index built in bulk after the insert, which
    refuses a repeated key the same; without it (fct_attainment, whose every row the
    build derives with a key unique by construction) the table has no index at all.
    """
    ddl = cx.exec_driver_sql(
        f"SELECT sql FROM duckdb_tables() WHERE table_name = '{table}'"
    ).scalar()
    head = f"CREATE TABLE {table}("
    if not ddl or not ddl.startswith(head):
        return False
    body = re.sub(r",\s*PRIMARY KEY\s*\([^)]*\)", "", ddl[len(head):])
    key_columns = [c.name for c in metadata.tables[table].primary_key.columns]
    key = ", ".join(key_columns)
    cx.exec_driver_sql(f"DROP TABLE IF EXISTS {table}__new")
    cx.exec_driver_sql(f"CREATE TABLE {table}__new(" + body)
    for col in key_columns:  # the NOT NULL the primary key implied
        cx.exec_driver_sql(f'ALTER TABLE {table}__new ALTER COLUMN "{col}" SET NOT NULL')
    statements = insert_sql(f"{table}__new")
    for stmt in [statements] if isinstance(statements, str) else statements:
        cx.exec_driver_sql(stmt)
    cx.exec_driver_sql(f"DROP TABLE {table}")
    cx.exec_driver_sql(f"ALTER TABLE {table}__new RENAME TO {table}")
    if unique_key:
        cx.exec_driver_sql(
            f"CREATE UNIQUE INDEX IF NOT EXISTS uq_{table}_key ON {table} ({key})")
    for stmt in comment_statements(table):
        cx.exec_driver_sql(stmt)
    return True


def _columns_by_table(cx) -> dict[str, set[str]]:
    """Every base table of the DuckDB warehouse's current schema with its column names,
    in one query (SQLAlchemy's inspector asks once per table: about 30 ms each)."""
    out: dict[str, set[str]] = {}
    for table, column in cx.exec_driver_sql(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_schema = c.table_schema "
            "AND t.table_name = c.table_name AND t.table_catalog = c.table_catalog "
            "WHERE t.table_type = 'BASE TABLE' AND c.table_schema = current_schema() "
            "AND c.table_catalog = current_database()"):
        out.setdefault(table, set()).add(column)
    return out


def _reshape_derived_tables(cx, columns: dict[str, set[str]]) -> None:
    """DuckDB files made by an older planwh: a derived table (rebuilt whole by every
    attainment build) whose columns differ from this schema is dropped and created
    afresh; the next build fills it. fct_attainment lost its copies of the target text,
    unit, metric and plan (Alembic revision 0003 on PostgreSQL)."""
    for name in DERIVED_TABLES:
        if name not in columns:
            continue
        if columns[name] != {c.name for c in metadata.tables[name].columns}:
            for view in VIEWS:
                if view not in columns:  # (fct_district_stat_restated was a table)
                    cx.exec_driver_sql(f"DROP VIEW IF EXISTS {view}")
            cx.exec_driver_sql(f"DROP TABLE {name}")
            metadata.tables[name].create(cx)


# A warehouse loaded before statistics vintages (Alembic revision 0008 on PostgreSQL):
# each statistics file's last load (load_log) becomes its first vintage, and each current
# row a version valid from its loaded_at. Shared with the migration's frozen copy.
FIRST_VINTAGES_SQL = """
INSERT INTO stat_vintage (vintage_id, source_file, content_sha256, row_count, loaded_at)
SELECT CAST(row_number() OVER (ORDER BY loaded_at, source_file) AS INTEGER), source_file,
       content_sha256, row_count, loaded_at
FROM (
    SELECT SUBSTR(load_key, 7) AS source_file, content_sha256, row_count, loaded_at
    FROM load_log WHERE load_key LIKE 'stats:%'
    UNION ALL  -- rows without a load_log record (not expected): one vintage per file
    SELECT s.source_file, 'unknown', COUNT(*), MIN(s.loaded_at)
    FROM fct_district_stat s
    WHERE NOT EXISTS (SELECT 1 FROM load_log l WHERE l.load_key = 'stats:' || s.source_file)
    GROUP BY s.source_file
) f
"""


def _version_statistics(cx, have: set[str]) -> bool:
    """DuckDB: an fct_district_stat without validity columns (``have``: its columns) is
    renamed aside (its rows are copied back as first versions by ``_first_vintages``);
    True when so."""
    if "valid_from" in have:
        return False
    cx.exec_driver_sql("DROP VIEW IF EXISTS v_attainment")
    cx.exec_driver_sql("DROP VIEW IF EXISTS v_attainment_as_of")
    # a copy, not a RENAME: DuckDB refuses to rename a table an index depends on
    cx.exec_driver_sql("DROP TABLE IF EXISTS fct_district_stat__unversioned")
    cx.exec_driver_sql(
        "CREATE TABLE fct_district_stat__unversioned AS SELECT * FROM fct_district_stat")
    cx.exec_driver_sql("DROP TABLE fct_district_stat")
    return True


def _first_vintages(cx) -> None:
    cx.exec_driver_sql(FIRST_VINTAGES_SQL.replace(
        "FROM fct_district_stat s", "FROM fct_district_stat__unversioned s"))
    cx.exec_driver_sql(
        "INSERT INTO fct_district_stat (metric_code, district_code, year, value, unit, "
        "source_file, location, loaded_at, valid_from, valid_to, vintage_id) "
        "SELECT s.metric_code, s.district_code, s.year, s.value, s.unit, s.source_file, "
        "s.location, s.loaded_at, v.loaded_at, NULL, v.vintage_id "
        "FROM fct_district_stat__unversioned s "
        "JOIN stat_vintage v ON v.source_file = s.source_file")
    cx.exec_driver_sql("DROP TABLE fct_district_stat__unversioned")


def _add_missing_columns(cx, columns: dict[str, set[str]]) -> dict[str, list[str]]:
    """DuckDB files made by an older planwh: add nullable columns added since (the
    embedded warehouse's counterpart of the PostgreSQL Alembic revisions); ``columns``:
    the tables there are with their columns. Returns the columns added, by table."""
    added: dict[str, list[str]] = {}
    for table in metadata.sorted_tables:
        if table.name not in columns:
            continue
        have = columns[table.name]
        for col in table.columns:
            if col.name not in have and col.nullable:
                ddl = col.type.compile(dialect=cx.dialect)
                cx.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {col.name} {ddl}")
                added.setdefault(table.name, []).append(col.name)
    return added


_BACKFILL_SQL = """
SELECT ft.indicator_id, ft.year, ft.scope, ft.target_text, i.indicator_name, i.unit,
       i.baseline_year, p.period_start,
       (SELECT MIN(f2.year) FROM fct_target f2 WHERE f2.indicator_id = ft.indicator_id)
           AS first_year
FROM fct_target ft
JOIN dim_indicator i ON i.indicator_id = ft.indicator_id
JOIN dim_plan p ON p.plan_id = i.plan_id
WHERE ft.relative_kind IS NULL
"""


def backfill_relative_targets(cx) -> int:
    """fct_target rows loaded before its relative columns existed (Alembic 0005, or a
    DuckDB file of an older planwh): their relative reading from ``target_text``, the
    scope's own part of a split cell (extractors.targets.parse_target), with the base
    year the loader gives (warehouse.load.plan_base_years, extractors.relative.
    relative_base_year). Layout B's growth column is
    not in the warehouse: it reaches fct_target when the plan is next loaded (the load
    fingerprint includes the load format). Returns the rows filled."""
    from extractors.targets import parse_target

    updates = []
    for r in cx.exec_driver_sql(_BACKFILL_SQL).mappings():
        part = next((pt for pt in parse_target(r["target_text"], r["indicator_name"],
                                               default_unit=r["unit"])
                     if pt.scope == r["scope"]), None)
        if part is None or part.relative_kind is None:
            continue
        reference = part.relative_reference or "baseline"
        if r["baseline_year"] is not None:
            plan_base = r["baseline_year"]
        elif r["period_start"] is not None:
            plan_base = r["period_start"] - 1
        else:
            plan_base = r["first_year"] - 1
        base = relative_base_year(reference, r["target_text"], r["year"], plan_base)
        updates.append({"k": part.relative_kind, "v": float(part.relative_value),
                        "ref": reference, "b": base, "i": r["indicator_id"],
                        "y": r["year"], "s": r["scope"]})
    if updates:
        cx.execute(sa.text(
            "UPDATE fct_target SET relative_kind = :k, relative_value = :v, "
            "relative_reference = :ref, base_year = :b "
            "WHERE indicator_id = :i AND year = :y AND scope = :s"), updates)
    return len(updates)


def _quote(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def comment_statements(table: str | None = None) -> list[str]:
    """COMMENT ON statements for every table and column (both back-ends accept them)."""
    out = []
    for t in metadata.sorted_tables:
        if table is not None and t.name != table:
            continue
        out.append(f"COMMENT ON TABLE {t.name} IS {_quote(t.comment or '')}")
        for c in t.columns:
            out.append(f"COMMENT ON COLUMN {t.name}.{c.name} IS {_quote(c.comment or '')}")
    return out
