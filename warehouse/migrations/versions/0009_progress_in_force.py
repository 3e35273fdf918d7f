"""v_progress shows, for each year, only the indicator version in force (the one whose
end-year target is in force on 31 December of that year, as v_attainment's target rule),
and gains indicator_key; fct_progress keeps every version (docs/time.md, Revised plans)

Nothing is stored differently: the view is re-created. Its downgrade restores 0004's.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 11:15:00
"""

from __future__ import annotations

from alembic import op

# Frozen copy of warehouse.schema.V_PROGRESS_SQL at this revision.
V_PROGRESS_SQL = '''
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
FROM fct_progress g
JOIN dim_indicator i ON i.indicator_id = g.indicator_id
JOIN dim_plan p ON p.plan_id = i.plan_id
JOIN fct_target et
    ON et.indicator_id = g.indicator_id AND et.year = g.end_year AND et.scope = '全市'
LEFT JOIN dim_district d
    ON d.district_code = g.district_code
   AND d.valid_from <= make_date(g.year, 12, 31)
AND (d.valid_to IS NULL OR d.valid_to >= make_date(g.year, 12, 31))
WHERE p.duplicate_of IS NULL  -- a plan delivered as DOCX and PDF is shown once
  AND (et.valid_from IS NULL OR et.valid_from <= make_date(g.year, 12, 31))
AND (et.valid_to IS NULL OR et.valid_to >= make_date(g.year, 12, 31))  -- the version in force for the year (revisions)
'''
V_PROGRESS_COMMENT = 'Progress for analysts: plan, indicator, district, year, status, actual vs required path, anticipated end-year value, schedule position; each year shows the indicator version whose end-year target is in force on 31 December of that year (fct_progress keeps every version)'

# 0004's view (the downgrade restores it)
V_PROGRESS_0004_SQL = '''
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
    i.plan_id
FROM fct_progress g
JOIN dim_indicator i ON i.indicator_id = g.indicator_id
JOIN dim_plan p ON p.plan_id = i.plan_id
LEFT JOIN dim_district d
    ON d.district_code = g.district_code
   AND d.valid_from <= make_date(g.year, 12, 31)
   AND (d.valid_to IS NULL OR d.valid_to >= make_date(g.year, 12, 31))
WHERE p.duplicate_of IS NULL  -- a plan delivered as DOCX and PDF is shown once
'''
V_PROGRESS_0004_COMMENT = 'Progress for analysts: plan, indicator, district, year, status, actual vs required path, anticipated end-year value, schedule position'

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def upgrade() -> None:
    op.execute(V_PROGRESS_SQL)  # a column added at the end: CREATE OR REPLACE keeps the rest
    op.execute("COMMENT ON VIEW v_progress IS " + _quoted(V_PROGRESS_COMMENT))


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS v_progress")  # a column goes: no CREATE OR REPLACE
    op.execute(V_PROGRESS_0004_SQL)
    op.execute("COMMENT ON VIEW v_progress IS " + _quoted(V_PROGRESS_0004_COMMENT))
