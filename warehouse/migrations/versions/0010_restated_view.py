"""fct_district_stat_restated becomes a view: the reported figures of unchanged districts
are read from fct_district_stat through ref_restate_unchanged (district x year pairs on
the restate year's boundaries), the restated ones are stored in
fct_district_stat_restatement; the build no longer copies every statistic (issue #13)

An existing warehouse upgrades in place: its restated rows and unchanged pairs move to the
new tables, and the view shows the same rows. The downgrade makes the table again from it.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 13:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Frozen copies of warehouse.schema's SQL at this revision.
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
RESTATED_TO_VIEW = (
    "INSERT INTO fct_district_stat_restatement (metric_code, district_code, year, "
    "restate_year, value, restated, method, sources) SELECT metric_code, district_code, "
    "year, restate_year, value, restated, method, sources FROM fct_district_stat_restated "
    "WHERE restated",
    "INSERT INTO ref_restate_unchanged (district_code, year, restate_year) SELECT DISTINCT "
    "district_code, year, restate_year FROM fct_district_stat_restated WHERE NOT restated",
    "DROP TABLE fct_district_stat_restated",
)
_METHODS = "'rename', 'sum_of_parts', 'weighted', 'ratio_of_parts'"

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _key_and_year(district: str, year: str) -> list:
    return [sa.Column("district_code", sa.String(length=12), nullable=False, comment=district),
            sa.Column("year", sa.Integer(), autoincrement=False, nullable=False, comment=year)]


def upgrade() -> None:
    op.create_table(
        "fct_district_stat_restatement",
        sa.Column("metric_code", sa.String(length=64), nullable=False, comment="metric"),
        *_key_and_year("district version in force on 31 Dec of restate_year",
                       "statistics year"),
        sa.Column("restate_year", sa.Integer(), nullable=False,
                  comment="the year whose boundaries every row is on"),
        sa.Column("value", sa.Double(), nullable=False,
                  comment="value on the restate_year boundaries"),
        sa.Column("restated", sa.Boolean(), nullable=False,
                  comment="always true here: computed by method"),
        sa.Column("method", sa.String(length=16), nullable=False,
                  comment="one of rename, sum_of_parts, weighted, ratio_of_parts"),
        sa.Column("sources", sa.Text(), nullable=True,
                  comment="the reported figures used, as weight x code"),
        sa.CheckConstraint(f"method IN ({_METHODS})",
                           name=op.f("ck_fct_district_stat_restatement_method")),
        sa.CheckConstraint("restated", name=op.f("ck_fct_district_stat_restatement_restated")),
        sa.CheckConstraint("year BETWEEN 1900 AND 2100",
                           name=op.f("ck_fct_district_stat_restatement_year_range")),
        sa.PrimaryKeyConstraint("metric_code", "district_code", "year",
                                name=op.f("pk_fct_district_stat_restatement")),
        comment="The restated rows of fct_district_stat_restated: figures of districts "
                "merged, split or renamed since, computed on the boundaries of restate_year",
    )
    op.create_table(
        "ref_restate_unchanged",
        *_key_and_year("district whose version in force on 31 Dec of year is the one in "
                       "force on 31 Dec of restate_year", "statistics year"),
        sa.Column("restate_year", sa.Integer(), nullable=False,
                  comment="the year whose boundaries the pair is on"),
        sa.CheckConstraint("year BETWEEN 1900 AND 2100",
                           name=op.f("ck_ref_restate_unchanged_year_range")),
        sa.PrimaryKeyConstraint("district_code", "year", name=op.f("pk_ref_restate_unchanged")),
        comment="District x year on the boundaries of restate_year: their current reported "
                "figures are the reported rows of fct_district_stat_restated",
    )
    for stmt in RESTATED_TO_VIEW:
        op.execute(stmt)
    op.execute(FCT_DISTRICT_STAT_RESTATED_SQL)
    op.execute("COMMENT ON VIEW fct_district_stat_restated IS "
               + _quoted(FCT_DISTRICT_STAT_RESTATED_COMMENT))


def downgrade() -> None:
    op.execute("ALTER VIEW fct_district_stat_restated RENAME TO fct_district_stat_restated__v")
    op.create_table(
        "fct_district_stat_restated",
        sa.Column("metric_code", sa.String(length=64), nullable=False, comment="metric"),
        *_key_and_year("district version in force on 31 Dec of restate_year",
                       "statistics year"),
        sa.Column("restate_year", sa.Integer(), nullable=False,
                  comment="the year whose boundaries every row is on"),
        sa.Column("value", sa.Double(), nullable=False,
                  comment="value on the restate_year boundaries"),
        sa.Column("restated", sa.Boolean(), nullable=False,
                  comment="false: the reported figure (same territory); true: computed by "
                          "method"),
        sa.Column("method", sa.String(length=16), nullable=False,
                  comment="one of reported, rename, sum_of_parts, weighted, ratio_of_parts"),
        sa.Column("sources", sa.Text(), nullable=True,
                  comment="restated rows: the reported figures used, as weight x code"),
        sa.CheckConstraint(f"method IN ('reported', {_METHODS})",
                           name=op.f("ck_fct_district_stat_restated_method")),
        sa.CheckConstraint("restated = (method <> 'reported')",
                           name=op.f("ck_fct_district_stat_restated_flag_vs_method")),
        sa.CheckConstraint("year BETWEEN 1900 AND 2100",
                           name=op.f("ck_fct_district_stat_restated_year_range")),
        sa.PrimaryKeyConstraint("metric_code", "district_code", "year",
                                name=op.f("pk_fct_district_stat_restated")),
        comment="Statistics on the boundaries of one year: reported figures of unchanged "
                "districts and restated ones (flagged) of districts merged, split or renamed "
                "since",
    )
    op.execute("INSERT INTO fct_district_stat_restated SELECT metric_code, district_code, "
               "year, restate_year, value, restated, method, sources "
               "FROM fct_district_stat_restated__v")
    op.execute("DROP VIEW fct_district_stat_restated__v")
    op.drop_table("ref_restate_unchanged")
    op.drop_table("fct_district_stat_restatement")
