"""Statistics vintages: stat_vintage, fct_district_stat versions in load time
(valid_from, valid_to, vintage_id), fct_attainment_as_of and v_attainment_as_of
(docs/time.md, Vintages)

An existing warehouse upgrades in place with its data: each statistics file's last
load (load_log) becomes its first vintage, and every row a version valid from its
loaded_at (current: valid_to NULL).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 09:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Frozen copies of warehouse.schema's SQL at this revision.
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
V_ATTAINMENT_AS_OF_SQL = '''
CREATE OR REPLACE VIEW v_attainment_as_of AS
SELECT
    a.as_of,
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
FROM fct_attainment_as_of a
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
V_ATTAINMENT_AS_OF_COMMENT = 'v_attainment as it was on the statistics known at as_of (rows built by `planwh run --as-of`; docs/time.md)'

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_ATTAINMENT_COLUMNS = [
    ('indicator_id', sa.String(length=16), False, 'indicator'),
    ('district_code', sa.String(length=12), False, 'district or the city'),
    ('year', sa.Integer(), False, 'target year'),
    ('level', sa.String(length=8), False, 'city or district'),
    ('comparator', sa.String(length=10), False, 'target comparator'),
    ('target_value', sa.Double(), True, 'target (low bound for between)'),
    ('target_value_high', sa.Double(), True, 'high bound, between only'),
    ('actual_value', sa.Double(), True, 'actual figure (NULL: no statistics)'),
    ('attained', sa.Boolean(), True, 'target met; NULL when not evaluable'),
    ('gap', sa.Double(), True, 'signed distance to the target: positive is better than target'),
    ('target_resolved', sa.Double(), True, 'relative target (fct_target.relative_kind): the level it asks of this district in this year, resolved from its base-year actual; attained and gap are judged on it. NULL for a level target or when not evaluable'),
    ('resolved_comparator', sa.String(length=2), True, 'relative target: >= (a rise) or <= (a fall, or a down-direction indicator) against target_resolved'),
    ('base_value', sa.Double(), True, 'relative target: the actual in fct_target.base_year it is resolved from'),
    ('note', sa.Text(), True, 'relative target: why it is not evaluable (base figure missing or not positive, district not in force or changed since the base year, no actual); NULL when judged'),
]


def upgrade() -> None:
    op.create_table(
        "stat_vintage",
        sa.Column("vintage_id", sa.Integer(), autoincrement=False, nullable=False,
                  comment='vintage number, in load order (1, 2, ...)'),
        sa.Column("source_file", sa.Text(), nullable=False,
                  comment='statistics file base name'),
        sa.Column("content_sha256", sa.String(length=64), nullable=False,
                  comment="fingerprint of the file's loaded rows (load_log): equal content, no new vintage"),
        sa.Column("row_count", sa.Integer(), nullable=False,
                  comment='rows the file gave'),
        sa.Column("loaded_at", sa.DateTime(), nullable=False,
                  comment='when this content was loaded (UTC): the valid_from of the values it introduced'),
        sa.Column("published_on", sa.Date(), nullable=True,
                  comment='publication date, from raw/reference/stat_publications.csv or a date in the file name (NULL: not given)'),
        sa.Column("published_from", sa.String(length=16), nullable=True,
                  comment='where published_on came from: reference or file_name'),
        sa.CheckConstraint("published_from IN ('reference', 'file_name')",
                           name=op.f("ck_stat_vintage_published_from")),
        sa.PrimaryKeyConstraint("vintage_id", name=op.f("pk_stat_vintage")),
        comment='One statistics vintage: one content of one statistics file, as loaded (docs/time.md, Vintages)',
    )
    op.execute(FIRST_VINTAGES_SQL)
    op.add_column("fct_district_stat", sa.Column(
        "valid_from", sa.DateTime(), nullable=True,
        comment='load time from which this value is the current figure (UTC, inclusive)'))
    op.add_column("fct_district_stat", sa.Column(
        "valid_to", sa.DateTime(), nullable=True,
        comment='load time at which a later vintage revised or withdrew it (UTC, exclusive); NULL: the current figure'))
    op.add_column("fct_district_stat", sa.Column(
        "vintage_id", sa.Integer(), nullable=True,
        comment='stat_vintage that first gave this value'))
    op.execute("UPDATE fct_district_stat SET valid_from = v.loaded_at, vintage_id = v.vintage_id "
               "FROM stat_vintage v WHERE v.source_file = fct_district_stat.source_file")
    op.alter_column("fct_district_stat", "valid_from", nullable=False)
    op.alter_column("fct_district_stat", "vintage_id", nullable=False)
    op.drop_constraint("pk_fct_district_stat", "fct_district_stat", type_="primary")
    op.create_primary_key("pk_fct_district_stat", "fct_district_stat",
                          ["metric_code", "district_code", "year", "valid_from"])
    op.create_check_constraint("ck_fct_district_stat_validity", "fct_district_stat",
                               "valid_to IS NULL OR valid_to > valid_from")
    for name, comment in [
        ("source_file", 'statistics file base name (of the current content giving this value)'),
        ("loaded_at", 'when this value was loaded (UTC); equals valid_from'),
    ]:
        op.alter_column("fct_district_stat", name, comment=comment)
    op.create_table_comment("fct_district_stat", 'One statistic: metric x district x year, one row per distinct value in load time (valid_to NULL: the current figure; docs/time.md, Vintages)')
    op.create_table(
        "fct_attainment_as_of",
        sa.Column("as_of", sa.DateTime(), nullable=False,
                  comment='the load time (UTC) whose current figures were used: `planwh run --as-of`; a bare date means the end of that day'),
        *[sa.Column(n, t, nullable=nullable, comment=c, autoincrement=False) if n == "year"
          else sa.Column(n, t, nullable=nullable, comment=c)
          for n, t, nullable, c in _ATTAINMENT_COLUMNS],
        sa.Column("built_at", sa.DateTime(), nullable=False,
                  comment='when these rows were built (UTC)'),
        sa.CheckConstraint("year BETWEEN 1900 AND 2100",
                           name=op.f("ck_fct_attainment_as_of_year_range")),
        sa.CheckConstraint("level IN ('city', 'district')",
                           name=op.f("ck_fct_attainment_as_of_level")),
        sa.PrimaryKeyConstraint("as_of", "indicator_id", "district_code", "year",
                                name=op.f("pk_fct_attainment_as_of")),
        comment='fct_attainment evaluated on the statistics known at a past moment: one set of rows per as_of (docs/time.md, Vintages); fct_attainment itself always uses the latest figures',
    )
    op.execute(V_ATTAINMENT_AS_OF_SQL)
    op.execute("COMMENT ON VIEW v_attainment_as_of IS "
               + "'" + V_ATTAINMENT_AS_OF_COMMENT.replace("'", "''") + "'")


def downgrade() -> None:
    """Back to one row per metric x district x year: the current figures stay, the
    closed versions and the vintages go."""
    op.execute("DROP VIEW IF EXISTS v_attainment_as_of")
    op.drop_table("fct_attainment_as_of")
    op.execute("DELETE FROM fct_district_stat WHERE valid_to IS NOT NULL")
    op.drop_constraint("ck_fct_district_stat_validity", "fct_district_stat", type_="check")
    op.drop_constraint("pk_fct_district_stat", "fct_district_stat", type_="primary")
    op.create_primary_key("pk_fct_district_stat", "fct_district_stat",
                          ["metric_code", "district_code", "year"])
    for name in ("vintage_id", "valid_to", "valid_from"):
        op.drop_column("fct_district_stat", name)
    op.drop_table("stat_vintage")
