"""Restated boundaries: bridge_district_lineage, ref_split_weight,
fct_district_stat_restated, fct_attainment_restated and v_attainment_restated
(docs/time.md, "Restated boundaries")

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 10:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Frozen copy of warehouse.restate.V_ATTAINMENT_RESTATED_SQL at this revision.
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
'''
V_ATTAINMENT_RESTATED_COMMENT = 'Attainment on the boundaries of restate_year (docs/time.md): as v_attainment, with restated = true where the actual is a restated figure; never mixed with v_attainment'

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bridge_district_lineage',
    sa.Column('change_year', sa.Integer(), autoincrement=False, nullable=False, comment='first year on the new boundaries'),
    sa.Column('old_code', sa.String(length=12), nullable=False, comment='district whose version ends on 31 Dec of change_year - 1'),
    sa.Column('new_code', sa.String(length=12), nullable=False, comment='district whose version begins on 1 Jan of change_year and receives land of old_code'),
    sa.Column('old_valid_from', sa.Date(), nullable=False, comment='dim_district.valid_from of the old version'),
    sa.Column('new_valid_from', sa.Date(), nullable=False, comment='dim_district.valid_from of the new version'),
    sa.Column('kind', sa.String(length=8), nullable=False, comment='rename (one successor, one predecessor: a recode), merge (the old land passes whole to a successor that has several predecessors) or split (the old land is divided: figures restate only with split weights)'),
    sa.CheckConstraint("kind IN ('rename', 'merge', 'split')", name=op.f('ck_bridge_district_lineage_kind')),
    sa.CheckConstraint('change_year BETWEEN 1900 AND 2100', name=op.f('ck_bridge_district_lineage_change_year_range')),
    sa.PrimaryKeyConstraint('change_year', 'old_code', 'new_code', name=op.f('pk_bridge_district_lineage')),
    comment='District lineage from the GB/T 2260 history (raw/reference/district_lineage.csv): old version -> new version, with the kind of change'
    )
    op.create_table('fct_district_stat_restated',
    sa.Column('metric_code', sa.String(length=64), nullable=False, comment='metric'),
    sa.Column('district_code', sa.String(length=12), nullable=False, comment='district version in force on 31 Dec of restate_year'),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False, comment='statistics year'),
    sa.Column('restate_year', sa.Integer(), nullable=False, comment='the year whose boundaries every row is on'),
    sa.Column('value', sa.Double(), nullable=False, comment='value on the restate_year boundaries'),
    sa.Column('restated', sa.Boolean(), nullable=False, comment='false: the reported figure (same territory); true: computed by method'),
    sa.Column('method', sa.String(length=16), nullable=False, comment='one of reported, rename, sum_of_parts, weighted, ratio_of_parts'),
    sa.Column('sources', sa.Text(), nullable=True, comment='restated rows: the reported figures used, as weight x code'),
    sa.CheckConstraint("method IN ('reported', 'rename', 'sum_of_parts', 'weighted', 'ratio_of_parts')", name=op.f('ck_fct_district_stat_restated_method')),
    sa.CheckConstraint("restated = (method <> 'reported')", name=op.f('ck_fct_district_stat_restated_flag_vs_method')),
    sa.CheckConstraint('year BETWEEN 1900 AND 2100', name=op.f('ck_fct_district_stat_restated_year_range')),
    sa.PrimaryKeyConstraint('metric_code', 'district_code', 'year', name=op.f('pk_fct_district_stat_restated')),
    comment='Statistics on the boundaries of one year: reported figures of unchanged districts and restated ones (flagged) of districts merged, split or renamed since'
    )
    op.create_table('ref_split_weight',
    sa.Column('change_year', sa.Integer(), autoincrement=False, nullable=False, comment='year of the split (bridge_district_lineage.change_year)'),
    sa.Column('old_code', sa.String(length=12), nullable=False, comment='district that was split'),
    sa.Column('new_code', sa.String(length=12), nullable=False, comment='district receiving a share'),
    sa.Column('metric_code', sa.String(length=64), nullable=False, comment='sum metric the weight applies to, or * for every sum metric without a weight of its own'),
    sa.Column('weight', sa.Double(), nullable=False, comment="share of old_code's figure that lies in new_code (the weights of one old code, year and metric sum to 1)"),
    sa.Column('source_row', sa.Integer(), nullable=True, comment='1-based row in split_weights.csv'),
    sa.CheckConstraint('change_year BETWEEN 1900 AND 2100', name=op.f('ck_ref_split_weight_change_year_range')),
    sa.CheckConstraint('weight >= 0 AND weight <= 1', name=op.f('ck_ref_split_weight_weight_range')),
    sa.PrimaryKeyConstraint('change_year', 'old_code', 'new_code', 'metric_code', name=op.f('pk_ref_split_weight')),
    comment='Split weights given by the user (raw/reference/split_weights.csv); groups that do not sum to 1 are kept here but not used (an ingest_issues row says so)'
    )
    op.create_table('fct_attainment_restated',
    sa.Column('indicator_id', sa.String(length=16), nullable=False, comment='indicator'),
    sa.Column('district_code', sa.String(length=12), nullable=False, comment='district (version in force on 31 Dec of restate_year) or the city'),
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False, comment='target year'),
    sa.Column('restate_year', sa.Integer(), nullable=False, comment='the year whose boundaries the actuals are on'),
    sa.Column('level', sa.String(length=8), nullable=False, comment='city or district'),
    sa.Column('comparator', sa.String(length=10), nullable=False, comment='target comparator'),
    sa.Column('target_value', sa.Double(), nullable=True, comment='target (low bound for between)'),
    sa.Column('target_value_high', sa.Double(), nullable=True, comment='high bound, between only'),
    sa.Column('actual_value', sa.Double(), nullable=True, comment='actual on the restate_year boundaries (NULL: none)'),
    sa.Column('attained', sa.Boolean(), nullable=True, comment='target met; NULL when not evaluable'),
    sa.Column('gap', sa.Double(), nullable=True, comment='signed distance to the target: positive is better than target'),
    sa.Column('target_resolved', sa.Double(), nullable=True, comment='relative target: the level it asks of this district (its base-year figure on the same boundaries)'),
    sa.Column('resolved_comparator', sa.String(length=2), nullable=True, comment='relative target: >= or <= against target_resolved'),
    sa.Column('base_value', sa.Double(), nullable=True, comment='relative target: the base-year actual'),
    sa.Column('note', sa.Text(), nullable=True, comment='relative target: why it is not evaluable'),
    sa.Column('restated', sa.Boolean(), nullable=False, comment='the actual is a restated figure (fct_district_stat_restated.restated)'),
    sa.CheckConstraint("level IN ('city', 'district')", name=op.f('ck_fct_attainment_restated_level')),
    sa.CheckConstraint('year BETWEEN 1900 AND 2100', name=op.f('ck_fct_attainment_restated_year_range')),
    sa.ForeignKeyConstraint(['indicator_id'], ['dim_indicator.indicator_id'], name=op.f('fk_fct_attainment_restated_indicator_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('indicator_id', 'district_code', 'year', name=op.f('pk_fct_attainment_restated')),
    comment='Attainment as fct_attainment, on the boundaries of restate_year (from fct_district_stat_restated)'
    )
    op.execute(V_ATTAINMENT_RESTATED_SQL)
    op.execute("COMMENT ON VIEW v_attainment_restated IS "
               + "'" + V_ATTAINMENT_RESTATED_COMMENT.replace("'", "''") + "'")


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS v_attainment_restated")
    op.drop_table("fct_attainment_restated")
    op.drop_table("ref_split_weight")
    op.drop_table("fct_district_stat_restated")
    op.drop_table("bridge_district_lineage")
