"""Revised plans: revision links on dim_plan, dim_indicator as a type-2 slowly changing
dimension, target validity on fct_target, ref_plan_revision, v_attainment shows the target
in force for the year and v_attainment_versions every version (docs/time.md)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 10:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Frozen copies at this revision (0005's view, unchanged by 0006, serves the downgrade).
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
    a.note,
    i.indicator_key
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
  AND (ft.valid_from IS NULL OR ft.valid_from <= make_date(a.year, 12, 31))
AND (ft.valid_to IS NULL OR ft.valid_to >= make_date(a.year, 12, 31))  -- the target in force for the year (revisions)
'''
V_ATTAINMENT_COMMENT = "Attainment for analysts: plan, indicator, district, year, readable target, actual, attained (each plan once: identical renderings of a plan, see dim_plan.duplicate_of, are left out); a relative target shows its wording and the level it asks of the district; each target as in force for its year: a revised target shows its revision's verdict"
V_ATTAINMENT_VERSIONS_SQL = '''
CREATE OR REPLACE VIEW v_attainment_versions AS
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
    ((ft.valid_from IS NULL OR ft.valid_from <= make_date(a.year, 12, 31))
AND (ft.valid_to IS NULL OR ft.valid_to >= make_date(a.year, 12, 31))) AS in_force,
    ft.valid_from AS target_valid_from,
    ft.valid_to AS target_valid_to,
    i.indicator_key,
    i.is_current,
    p.effective_from AS plan_effective_from,
    p.revises_plan_id,
    p.lineage_id,
    a.level,
    a.district_code,
    a.indicator_id,
    i.metric_code,
    a.comparator,
    a.target_value,
    a.target_value_high,
    i.plan_id,
    p.source_file,
    ft.relative_kind,
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
# v_attainment_restated (revision 0006) shows the target in force too
V_ATTAINMENT_RESTATED_SQL = '''
CREATE OR REPLACE VIEW v_attainment_restated AS
SELECT
    p.title AS plan_title,
    i.section,
    i.indicator_name,
    d.district_name,
    a.year,
    a.restate_year,
    CASE
        WHEN a.comparator = 'milestone' THEN ft.target_text
        WHEN a.comparator = 'between'
            THEN RTRIM(RTRIM(CAST(CAST(a.target_value AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || '-' || RTRIM(RTRIM(CAST(CAST(a.target_value_high AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || COALESCE(' ' || ft.target_unit, '')
        WHEN a.comparator = 'about' THEN 'about ' || RTRIM(RTRIM(CAST(CAST(a.target_value AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || COALESCE(' ' || ft.target_unit, '')
        ELSE a.comparator || ' ' || RTRIM(RTRIM(CAST(CAST(a.target_value AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || COALESCE(' ' || ft.target_unit, '')
    END AS target,
    a.actual_value AS actual,
    a.attained,
    a.gap,
    a.restated,
    a.target_resolved,
    a.note,
    a.level,
    a.district_code,
    a.indicator_id,
    i.metric_code,
    a.comparator,
    a.target_value,
    a.target_value_high,
    i.plan_id
FROM fct_attainment_restated a
JOIN dim_indicator i ON i.indicator_id = a.indicator_id
JOIN dim_plan p ON p.plan_id = i.plan_id
JOIN fct_target ft
    ON ft.indicator_id = a.indicator_id AND ft.year = a.year AND ft.scope = '全市'
LEFT JOIN dim_district d
    ON d.district_code = a.district_code
   AND d.valid_from <= make_date(a.restate_year, 12, 31)
AND (d.valid_to IS NULL OR d.valid_to >= make_date(a.restate_year, 12, 31))
WHERE p.duplicate_of IS NULL  -- a plan delivered as DOCX and PDF is shown once
  AND (ft.valid_from IS NULL OR ft.valid_from <= make_date(a.year, 12, 31))
AND (ft.valid_to IS NULL OR ft.valid_to >= make_date(a.year, 12, 31))  -- as v_attainment: the target in force (revisions)
'''
V_ATTAINMENT_VERSIONS_COMMENT = 'Every version of every target (a plan and the revisions of it) with its verdicts; in_force marks the one v_attainment shows for the year'
# Every plan its own lineage; every indicator and target version open and current.
BACKFILL = (
    'UPDATE dim_plan SET lineage_id = plan_id WHERE lineage_id IS NULL',
    '''UPDATE dim_indicator
SET indicator_key = v.indicator_key, valid_from = v.valid_from, valid_to = v.valid_to,
    is_current = v.valid_to IS NULL
FROM (
    SELECT k.indicator_id, k.indicator_key, k.valid_from,
           LEAD(k.valid_from) OVER (PARTITION BY k.indicator_key
                                    ORDER BY k.valid_from NULLS FIRST, k.plan_id) - 1
               AS valid_to
    FROM (
        SELECT i.indicator_id, i.plan_id, p.effective_from AS valid_from,
               SUBSTR(MD5(COALESCE(p.lineage_id, p.plan_id) || ':' || i.indicator_name || ':'
                          || CAST(ROW_NUMBER() OVER (PARTITION BY i.plan_id, i.indicator_name
                                                     ORDER BY i.source_table, i.source_row)
                                  AS VARCHAR)), 1, 16) AS indicator_key
        FROM dim_indicator i
        JOIN dim_plan p ON p.plan_id = i.plan_id
    ) k
) v
WHERE dim_indicator.indicator_id = v.indicator_id
  AND (dim_indicator.indicator_key IS DISTINCT FROM v.indicator_key
       OR dim_indicator.valid_from IS DISTINCT FROM v.valid_from
       OR dim_indicator.valid_to IS DISTINCT FROM v.valid_to
       OR dim_indicator.is_current IS DISTINCT FROM (v.valid_to IS NULL))''',
    '''UPDATE fct_target
SET valid_from = v.valid_from, valid_to = v.valid_to
FROM (
    SELECT t.indicator_id, t.year, t.scope, p.effective_from AS valid_from,
           LEAD(p.effective_from) OVER (PARTITION BY i.indicator_key, t.year, t.scope
                                        ORDER BY p.effective_from NULLS FIRST, p.plan_id) - 1
               AS valid_to
    FROM fct_target t
    JOIN dim_indicator i ON i.indicator_id = t.indicator_id
    JOIN dim_plan p ON p.plan_id = t.plan_id
) v
WHERE fct_target.indicator_id = v.indicator_id AND fct_target.year = v.year
  AND fct_target.scope = v.scope
  AND (fct_target.valid_from IS DISTINCT FROM v.valid_from
       OR fct_target.valid_to IS DISTINCT FROM v.valid_to)''',
)
ADDED = {
    'dim_plan': [
        sa.Column('declared_revises', sa.Text(), nullable=True, comment='the plan this document says it revises, as named in its text (《…》)'),
        sa.Column('declared_effective_from', sa.Date(), nullable=True, comment='the date the document says its targets take force (自…起执行)'),
        sa.Column('revises_plan_id', sa.String(length=16), nullable=True, comment='plan_id of the plan this one revises (NULL: revises none; docs/time.md)'),
        sa.Column('effective_from', sa.Date(), nullable=True, comment="first day this revision's targets are in force (NULL: not a revision)"),
        sa.Column('revision_source', sa.String(length=9), nullable=True, comment='where the revision was read: document or reference (plan_revisions.csv)'),
        sa.Column('lineage_id', sa.String(length=16), nullable=True, comment="plan_id of the first plan of this plan's revision chain (itself when it revises none)"),
    ],
    'dim_indicator': [
        sa.Column('indicator_key', sa.String(length=16), nullable=True, comment='natural key, the same for every version of the indicator across a plan and its revisions: md5(lineage_id:indicator_name:n)[:16]'),
        sa.Column('valid_from', sa.Date(), nullable=True, comment='first day this version is in force (NULL: since the plan began)'),
        sa.Column('valid_to', sa.Date(), nullable=True, comment='last day this version is in force, inclusive (NULL: still in force)'),
        sa.Column('is_current', sa.Boolean(), nullable=True, comment='the version in force today (no later revision replaced it)'),
    ],
    'fct_target': [
        sa.Column('valid_from', sa.Date(), nullable=True, comment='first day this target is the one in force for its year (NULL: open)'),
        sa.Column('valid_to', sa.Date(), nullable=True, comment='last day, inclusive, before a revision replaced it (NULL: not replaced); in force for its year when 31 December of the year is in the range'),
    ],
}
INDICATOR_COMMENT = 'One version of one indicator (table row) of one plan: a type-2 slowly changing dimension over a plan and its revisions (indicator_key, valid_from/valid_to)'
INDICATOR_COMMENT_0004 = 'One indicator (table row) of one plan'
INDICATOR_ID_COMMENT = 'surrogate key of this version: sha256(plan_id:table:row)[:16] (records.indicator_id)'
INDICATOR_ID_COMMENT_0004 = 'sha256(plan_id:table:row)[:16] (records.indicator_id)'

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DROP VIEW IF EXISTS v_attainment")
    for table, columns in ADDED.items():
        for column in columns:
            op.add_column(table, column)
    op.create_check_constraint(
        op.f("ck_dim_plan_revision_source"), "dim_plan",
        "revision_source IS NULL OR revision_source IN ('document', 'reference')")
    op.create_check_constraint(
        op.f("ck_dim_indicator_validity"), "dim_indicator",
        "valid_from IS NULL OR valid_to IS NULL OR valid_to >= valid_from")
    op.create_table_comment("dim_indicator", INDICATOR_COMMENT,
                            existing_comment=INDICATOR_COMMENT_0004)
    op.alter_column("dim_indicator", "indicator_id", existing_type=sa.String(16),
                    existing_nullable=False, comment=INDICATOR_ID_COMMENT,
                    existing_comment=INDICATOR_ID_COMMENT_0004)
    op.create_table(
        "ref_plan_revision",
        sa.Column('plan', sa.Text(), nullable=False, comment='the revising plan: its file name, title or plan_id'),
        sa.Column('revises', sa.Text(), nullable=False, comment='the revised plan: its file name, title or plan_id'),
        sa.Column('effective_from', sa.Date(), nullable=False, comment="first day the revising plan's targets are in force"),
        sa.Column('source_row', sa.Integer(), nullable=False, comment='1-based line in the file'),
        sa.PrimaryKeyConstraint("plan", name=op.f("pk_ref_plan_revision")),
        comment='Plan revisions declared in raw/reference/plan_revisions.csv (valid rows only; they win over what a document says)',
    )
    for stmt in BACKFILL:
        op.execute(stmt)
    op.execute(V_ATTAINMENT_SQL)
    op.execute("COMMENT ON VIEW v_attainment IS "
               + "'" + V_ATTAINMENT_COMMENT.replace("'", "''") + "'")
    op.execute(V_ATTAINMENT_VERSIONS_SQL)
    op.execute("COMMENT ON VIEW v_attainment_versions IS "
               + "'" + V_ATTAINMENT_VERSIONS_COMMENT.replace("'", "''") + "'")
    op.execute(V_ATTAINMENT_RESTATED_SQL)  # CREATE OR REPLACE: its comment stays


def downgrade() -> None:
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location(
        "planwh_rev_0005", Path(__file__).with_name("0005_relative_attainment.py"))
    r0005 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(r0005)
    spec = importlib.util.spec_from_file_location(
        "planwh_rev_0006", Path(__file__).with_name("0006_restated_boundaries.py"))
    r0006 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(r0006)
    op.execute("DROP VIEW IF EXISTS v_attainment_versions")
    op.execute("DROP VIEW IF EXISTS v_attainment_restated")
    op.execute("DROP VIEW IF EXISTS v_attainment")
    op.drop_table("ref_plan_revision")
    op.drop_constraint(op.f("ck_dim_indicator_validity"), "dim_indicator", type_="check")
    op.drop_constraint(op.f("ck_dim_plan_revision_source"), "dim_plan", type_="check")
    for table, columns in ADDED.items():
        for column in columns:
            op.drop_column(table, column.name)
    op.create_table_comment("dim_indicator", INDICATOR_COMMENT_0004,
                            existing_comment=INDICATOR_COMMENT)
    op.alter_column("dim_indicator", "indicator_id", existing_type=sa.String(16),
                    existing_nullable=False, comment=INDICATOR_ID_COMMENT_0004,
                    existing_comment=INDICATOR_ID_COMMENT)
    op.execute(r0005.V_ATTAINMENT_SQL)
    op.execute("COMMENT ON VIEW v_attainment IS "
               + "'" + r0005.V_ATTAINMENT_COMMENT.replace("'", "''") + "'")
    op.execute(r0006.V_ATTAINMENT_RESTATED_SQL)
    op.execute("COMMENT ON VIEW v_attainment_restated IS "
               + "'" + r0006.V_ATTAINMENT_RESTATED_COMMENT.replace("'", "''") + "'")
