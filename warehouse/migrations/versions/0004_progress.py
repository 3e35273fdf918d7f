"""fct_progress and v_progress: progress toward end-year targets (docs/progress.md)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-07 07:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Frozen copy of warehouse.progress.V_PROGRESS_SQL at this revision.
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
V_PROGRESS_COMMENT = 'Progress for analysts: plan, indicator, district, year, status, actual vs required path, anticipated end-year value, schedule position'

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fct_progress",
        sa.Column('indicator_id', sa.String(length=16), nullable=False, comment='indicator'),
        sa.Column('district_code', sa.String(length=12), nullable=False, comment='district or the city'),
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False, comment='year of the actual (between the base year and the end year)'),
        sa.Column('level', sa.String(length=8), nullable=False, comment='city or district'),
        sa.Column('direction', sa.String(length=4), nullable=False, comment='up or down: which way progress runs (from the end-year target)'),
        sa.Column('path', sa.String(length=8), nullable=True, comment='required path from baseline to end-year target: linear or compound'),
        sa.Column('relative_kind', sa.String(length=12), nullable=True, comment='relative end-year target: multiple, percent, points, annual_rate (NULL: a level)'),
        sa.Column('relative_reference', sa.String(length=16), nullable=True, comment='what a relative target is measured against: baseline or previous_year'),
        sa.Column('baseline_year', sa.Integer(), nullable=True, comment='base year of the plan period'),
        sa.Column('baseline_value', sa.Double(), nullable=True, comment="this district's value in the base year (the city: statistics, else the plan's own base-year figure)"),
        sa.Column('end_year', sa.Integer(), nullable=True, comment='year of the end-year target'),
        sa.Column('end_target_value', sa.Double(), nullable=True, comment='end-year target as a level (relative targets resolved for this district)'),
        sa.Column('required_value', sa.Double(), nullable=True, comment='value on the required path in this year'),
        sa.Column('actual_value', sa.Double(), nullable=True, comment='actual figure (NULL: no statistics)'),
        sa.Column('progress_ratio', sa.Double(), nullable=True, comment='actual progress since the base year / required progress by this year (compound path: ratio of growth rates); NULL when undefined'),
        sa.Column('anticipated_value', sa.Double(), nullable=True, comment='end-year value projected by a time-weighted linear fit (>= 3 points)'),
        sa.Column('anticipated_meets', sa.Boolean(), nullable=True, comment='the anticipated end-year value meets the end-year target'),
        sa.Column('schedule_year', sa.Integer(), nullable=True, comment="latest plan year whose target this year's actual meets"),
        sa.Column('schedule_position', sa.Integer(), nullable=True, comment='schedule_year - year: negative is years behind, positive ahead'),
        sa.Column('rung_reached', sa.Double(), nullable=True, comment='target value of schedule_year: the numeric rung of a ladder reached'),
        sa.Column('schedule_note', sa.Text(), nullable=True, comment='schedule position in words (and qualitative rungs left unevaluated)'),
        sa.Column('status', sa.String(length=20), nullable=False, comment='one of achieved, on track, moderate, limited, deteriorating, insufficient data'),
        sa.Column('status_note', sa.Text(), nullable=True, comment='why this status (insufficient data: what is missing)'),
        sa.CheckConstraint("direction IN ('up', 'down')", name=op.f('ck_fct_progress_direction')),
        sa.CheckConstraint('year BETWEEN 1900 AND 2100', name=op.f('ck_fct_progress_year_range')),
        sa.CheckConstraint("status IN ('achieved', 'on track', 'moderate', 'limited', 'deteriorating', 'insufficient data')", name=op.f('ck_fct_progress_status')),
        sa.CheckConstraint("status = 'insufficient data' OR baseline_value IS NOT NULL", name=op.f('ck_fct_progress_status_needs_baseline')),
        sa.CheckConstraint("level IN ('city', 'district')", name=op.f('ck_fct_progress_level')),
        sa.ForeignKeyConstraint(['indicator_id'], ['dim_indicator.indicator_id'], name=op.f('fk_fct_progress_indicator_id'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('indicator_id', 'district_code', 'year', name=op.f('pk_fct_progress')),
        comment='Progress toward the end-year target of a 全市 (whole-city) indicator: indicator x district x year (ESCAP/UNSD methods, docs/progress.md)',
    )
    op.execute(V_PROGRESS_SQL)
    op.execute("COMMENT ON VIEW v_progress IS "
               + "'" + V_PROGRESS_COMMENT.replace("'", "''") + "'")


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS v_progress")
    op.drop_table("fct_progress")
