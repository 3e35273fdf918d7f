"""dim_plan: content_fingerprint and duplicate_of; v_attainment shows each plan once

A plan delivered twice (DOCX and PDF with identical targets) is two documents in
dim_plan; v_attainment and the analyst queries now count it once.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Frozen copies of the view at this revision and at 0001 (for downgrade).
V_ATTAINMENT_SQL = '''
CREATE OR REPLACE VIEW v_attainment AS
SELECT
    p.title AS plan_title,
    i.section,
    i.indicator_name,
    d.district_name,
    a.year,
    CASE
        WHEN a.comparator = 'milestone' THEN a.target_text
        WHEN a.comparator = 'between'
            THEN RTRIM(RTRIM(CAST(CAST(a.target_value AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || '-' || RTRIM(RTRIM(CAST(CAST(a.target_value_high AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || COALESCE(' ' || a.target_unit, '')
        WHEN a.comparator = 'about' THEN 'about ' || RTRIM(RTRIM(CAST(CAST(a.target_value AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || COALESCE(' ' || a.target_unit, '')
        ELSE a.comparator || ' ' || RTRIM(RTRIM(CAST(CAST(a.target_value AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || COALESCE(' ' || a.target_unit, '')
    END AS target,
    a.actual_value AS actual,
    a.attained,
    a.gap,
    a.level,
    a.district_code,
    a.indicator_id,
    a.metric_code,
    a.target_unit,
    a.comparator,
    a.target_value,
    a.target_value_high,
    i.binding,
    a.plan_id,
    p.source_file
FROM fct_attainment a
JOIN dim_indicator i ON i.indicator_id = a.indicator_id
JOIN dim_plan p ON p.plan_id = a.plan_id
LEFT JOIN dim_district d
    ON d.district_code = a.district_code
   AND d.valid_from <= make_date(a.year, 12, 31)
   AND (d.valid_to IS NULL OR d.valid_to >= make_date(a.year, 12, 31))
WHERE p.duplicate_of IS NULL  -- a plan delivered as DOCX and PDF is shown once
'''
V_ATTAINMENT_COMMENT = 'Attainment for analysts: plan, indicator, district, year, readable target, actual, attained (each plan once: identical renderings of a plan, see dim_plan.duplicate_of, are left out)'
V_ATTAINMENT_SQL_0001 = '''
CREATE OR REPLACE VIEW v_attainment AS
SELECT
    p.title AS plan_title,
    i.section,
    i.indicator_name,
    d.district_name,
    a.year,
    CASE
        WHEN a.comparator = 'milestone' THEN a.target_text
        WHEN a.comparator = 'between'
            THEN RTRIM(RTRIM(CAST(CAST(a.target_value AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || '-' || RTRIM(RTRIM(CAST(CAST(a.target_value_high AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || COALESCE(' ' || a.target_unit, '')
        WHEN a.comparator = 'about' THEN 'about ' || RTRIM(RTRIM(CAST(CAST(a.target_value AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || COALESCE(' ' || a.target_unit, '')
        ELSE a.comparator || ' ' || RTRIM(RTRIM(CAST(CAST(a.target_value AS NUMERIC(20,6)) AS VARCHAR), '0'), '.') || COALESCE(' ' || a.target_unit, '')
    END AS target,
    a.actual_value AS actual,
    a.attained,
    a.gap,
    a.level,
    a.district_code,
    a.indicator_id,
    a.metric_code,
    a.target_unit,
    a.comparator,
    a.target_value,
    a.target_value_high,
    i.binding,
    a.plan_id
FROM fct_attainment a
JOIN dim_indicator i ON i.indicator_id = a.indicator_id
JOIN dim_plan p ON p.plan_id = a.plan_id
LEFT JOIN dim_district d
    ON d.district_code = a.district_code
   AND d.valid_from <= make_date(a.year, 12, 31)
   AND (d.valid_to IS NULL OR d.valid_to >= make_date(a.year, 12, 31))
'''

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("dim_plan", sa.Column(
        "content_fingerprint", sa.String(64),
        comment="sha256 of the plan's title, period and targets without page or file: "
                "equal for two renderings (DOCX, PDF) of the same plan"))
    op.add_column("dim_plan", sa.Column(
        "duplicate_of", sa.String(16),
        comment="plan_id of the document this one renders identically (DOCX preferred); "
                "NULL for the document analysts see in v_attainment"))
    op.execute("DROP VIEW IF EXISTS v_attainment")
    op.execute(V_ATTAINMENT_SQL)
    op.execute("COMMENT ON VIEW v_attainment IS " + "'" + V_ATTAINMENT_COMMENT.replace("'", "''") + "'")


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS v_attainment")
    op.drop_column("dim_plan", "duplicate_of")
    op.drop_column("dim_plan", "content_fingerprint")
    op.execute(V_ATTAINMENT_SQL_0001)
