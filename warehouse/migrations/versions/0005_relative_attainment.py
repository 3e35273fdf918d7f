"""Relative targets in attainment: fct_target keeps the relative reading, fct_attainment
judges a relative target on the level it asks of each district (docs/warehouse.md)

fct_target gains relative_kind, relative_value, relative_reference and base_year
(filled from target_text for rows already loaded; layout B's growth column reaches them
at the plan's next load). fct_attainment gains target_resolved, resolved_comparator,
base_value and note; a milestone-worded relative target (翻一番) may now be judged.
Attainment rows of targets found relative are left unjudged (attained and gap NULL, a
note) until the next build resolves them: never judged as a level.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Frozen copy of warehouse.schema.V_ATTAINMENT_SQL at this revision (0003's serves the
# downgrade).
V_ATTAINMENT_SQL = '''
CREATE OR REPLACE VIEW v_attainment AS
SELECT
    p.title AS plan_title,
    i.section,
    i.indicator_name,
    d.district_name,
    a.year,
    CASE
        WHEN ft.relative_kind IS NOT NULL
            THEN ft.target_text || COALESCE(' (' || a.resolved_comparator || ' '
                                            || RTRIM(RTRIM(CAST(CAST(a.target_resolved AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || ')', '')
        WHEN a.comparator = 'milestone' THEN ft.target_text
        WHEN a.comparator = 'between'
            THEN RTRIM(RTRIM(CAST(CAST(a.target_value AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || '-' || RTRIM(RTRIM(CAST(CAST(a.target_value_high AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || COALESCE(' ' || ft.target_unit, '')
        WHEN a.comparator = 'about' THEN 'about ' || RTRIM(RTRIM(CAST(CAST(a.target_value AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || COALESCE(' ' || ft.target_unit, '')
        ELSE a.comparator || ' ' || RTRIM(RTRIM(CAST(CAST(a.target_value AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || COALESCE(' ' || ft.target_unit, '')
    END AS target,
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
    a.note
FROM fct_attainment a
JOIN dim_indicator i ON i.indicator_id = a.indicator_id
JOIN dim_plan p ON p.plan_id = i.plan_id
JOIN fct_target ft
    ON ft.indicator_id = a.indicator_id AND ft.year = a.year AND ft.scope = '全市'
LEFT JOIN dim_district d
    ON d.district_code = a.district_code
   AND d.valid_from <= make_date(a.year, 12, 31)
AND (d.valid_to IS NULL OR d.valid_to >= make_date(a.year, 12, 31))
WHERE p.duplicate_of IS NULL  -- a plan delivered as DOCX and PDF is shown once
'''
V_ATTAINMENT_COMMENT = 'Attainment for analysts: plan, indicator, district, year, readable target, actual, attained (each plan once: identical renderings of a plan, see dim_plan.duplicate_of, are left out); a relative target shows its wording and the level it asks of the district'

TARGET_COLUMNS = (
    sa.Column("relative_kind", sa.String(12), comment='relative reading (extractors/relative.py): multiple (翻一番 x2), percent (增长X% / 下降X%), points (提高X个百分点), annual_rate (年均增长X%, compound); NULL: a level target'),
    sa.Column("relative_value", sa.Double(), comment='multiple: the factor; percent, points, annual_rate: the signed change'),
    sa.Column("relative_reference", sa.String(16),
              comment="what the change is measured against: baseline (the plan's base year) or previous_year"),
    sa.Column("base_year", sa.Integer(), comment="year whose actual a relative target is resolved from: the plan's base year (baseline), or the target year - 1 (previous_year)"),
)
ATTAINMENT_COLUMNS = (
    sa.Column("target_resolved", sa.Double(), comment='relative target (fct_target.relative_kind): the level it asks of this district in this year, resolved from its base-year actual; attained and gap are judged on it. NULL for a level target or when not evaluable'),
    sa.Column("resolved_comparator", sa.String(2),
              comment='relative target: >= (a rise) or <= (a fall, or a down-direction indicator) against target_resolved'),
    sa.Column("base_value", sa.Double(), comment='relative target: the actual in fct_target.base_year it is resolved from'),
    sa.Column("note", sa.Text(), comment='relative target: why it is not evaluable (base figure missing or not positive, district not in force or changed since the base year, no actual); NULL when judged'),
)
RELATIVE_CHECK = (
    "(relative_kind IS NULL AND relative_value IS NULL AND relative_reference IS NULL)"
    " OR (relative_kind IN ('multiple', 'percent', 'points', 'annual_rate')"
    " AND relative_value IS NOT NULL"
    " AND relative_reference IN ('baseline', 'previous_year') AND base_year IS NOT NULL)"
)
MILESTONE_0001 = "comparator <> 'milestone' OR (attained IS NULL AND gap IS NULL)"
MILESTONE = ("comparator <> 'milestone' OR target_resolved IS NOT NULL"
             " OR (attained IS NULL AND gap IS NULL)")
RESOLVED = "target_resolved IS NULL OR resolved_comparator IN ('>=', '<=')"

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from warehouse.schema import backfill_relative_targets

    op.execute("DROP VIEW IF EXISTS v_attainment")
    for col in TARGET_COLUMNS:
        op.add_column("fct_target", col)
    for col in ATTAINMENT_COLUMNS:
        op.add_column("fct_attainment", col)
    backfill_relative_targets(op.get_bind())
    op.create_check_constraint(op.f("ck_fct_target_relative"), "fct_target", RELATIVE_CHECK)
    op.drop_constraint(op.f("ck_fct_attainment_milestone_null"), "fct_attainment", type_="check")
    op.create_check_constraint(op.f("ck_fct_attainment_milestone_null"), "fct_attainment", MILESTONE)
    op.create_check_constraint(op.f("ck_fct_attainment_resolved"), "fct_attainment", RESOLVED)
    op.execute("""
        UPDATE fct_attainment a
        SET attained = NULL, gap = NULL,
            note = 'relative target: judged on its resolved level by the next attainment build'
        FROM fct_target ft
        WHERE ft.indicator_id = a.indicator_id AND ft.year = a.year AND ft.scope = '全市'
          AND ft.relative_kind IS NOT NULL
    """)
    op.execute(V_ATTAINMENT_SQL)
    op.execute("COMMENT ON VIEW v_attainment IS "
               + "'" + V_ATTAINMENT_COMMENT.replace("'", "''") + "'")


def downgrade() -> None:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "planwh_rev_0003", Path(__file__).with_name("0003_slim_attainment.py"))
    r0003 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(r0003)
    op.execute("DROP VIEW IF EXISTS v_attainment")
    op.drop_constraint(op.f("ck_fct_attainment_resolved"), "fct_attainment", type_="check")
    op.drop_constraint(op.f("ck_fct_attainment_milestone_null"), "fct_attainment", type_="check")
    op.execute("UPDATE fct_attainment SET attained = NULL, gap = NULL "
               "WHERE comparator = 'milestone'")
    op.create_check_constraint(op.f("ck_fct_attainment_milestone_null"), "fct_attainment", MILESTONE_0001)
    op.drop_constraint(op.f("ck_fct_target_relative"), "fct_target", type_="check")
    for col in ATTAINMENT_COLUMNS:
        op.drop_column("fct_attainment", col.name)
    for col in TARGET_COLUMNS:
        op.drop_column("fct_target", col.name)
    op.execute(r0003.V_ATTAINMENT_SQL)
    op.execute("COMMENT ON VIEW v_attainment IS "
               + "'" + r0003.V_ATTAINMENT_COMMENT.replace("'", "''") + "'")
