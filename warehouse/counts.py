"""One vocabulary for the counts people read: the ``planwh run`` summary, the
Dagster asset metadata and the HTML report all take their names, their one-line
meanings and their numbers from here, so "392 attainment rows" and "196 in
v_attainment" and "154 evaluated" stop looking like three answers to one question.

A plan published twice (e.g. as DOCX and as PDF) is one plan with two *plan
documents*: both are loaded (``dim_plan.duplicate_of`` names the first), both get
attainment rows, but analysts see each plan once (``v_attainment``).
"""

from __future__ import annotations

from dataclasses import dataclass

# name -> one line saying what is counted. The order is the order people read them in.
DEFINITIONS: dict[str, str] = {
    "plan documents": "files in raw/plans loaded into dim_plan (a plan issued as DOCX and "
                      "as PDF is two documents)",
    "plans": "plans shown once: plan documents that are not a second rendering of another "
             "(dim_plan.duplicate_of empty)",
    "indicators": "indicators named in the plans' tables (dim_indicator)",
    "targets": "target values written in the plan documents, one per indicator, year and "
               "scope (fct_target)",
    "attainment rows (all plan documents)": "indicator x district x year rows computed for "
                                            "every plan document (fct_attainment)",
    "attainment rows": "the same rows with each plan shown once (v_attainment): what the "
                       "report and the queries read",
    "milestone rows": "attainment rows whose target is a milestone in words: not evaluable",
    "rows without statistics": "attainment rows with a numeric or relative target but no "
                               "verdict: the statistics are missing (a relative target: the "
                               "actual or the base figure it is resolved from; its note says "
                               "why)",
    "evaluated targets": "attainment rows (plans shown once) where both the target and the "
                         "actual figure are numbers, so met/missed is known",
    "met": "evaluated targets that were met",
    "attainment rate": "met / evaluated targets",
}

COUNTS_SQL = {
    "plan documents": "SELECT COUNT(*) FROM dim_plan",
    "plans": "SELECT COUNT(*) FROM dim_plan WHERE duplicate_of IS NULL",
    "indicators": "SELECT COUNT(*) FROM dim_indicator",
    "targets": "SELECT COUNT(*) FROM fct_target",
    "attainment rows (all plan documents)": "SELECT COUNT(*) FROM fct_attainment",
    "attainment rows": "SELECT COUNT(*) FROM v_attainment",
    "milestone rows": "SELECT COUNT(*) FROM v_attainment WHERE comparator = 'milestone' "
                      "AND relative_kind IS NULL",
    "rows without statistics": "SELECT COUNT(*) FROM v_attainment WHERE attained IS NULL "
                               "AND (comparator <> 'milestone' OR relative_kind IS NOT NULL)",
    "evaluated targets": "SELECT COUNT(*) FROM v_attainment WHERE attained IS NOT NULL",
    "met": "SELECT COUNT(*) FROM v_attainment WHERE attained",
}


@dataclass
class Counts:
    values: dict[str, int]

    @property
    def rate(self) -> float | None:
        n = self.values.get("evaluated targets", 0)
        return self.values.get("met", 0) / n if n else None

    def __getitem__(self, name: str) -> int:
        return self.values[name]

    def lines(self) -> list[tuple[str, str, str]]:
        """(name, value, meaning) in reading order, the rate formatted."""
        out = []
        for name, meaning in DEFINITIONS.items():
            if name == "attainment rate":
                value = "n/a" if self.rate is None else f"{self.rate:.1%}"
            else:
                value = str(self.values.get(name, 0))
            out.append((name, value, meaning))
        return out

    def metadata(self) -> dict[str, int | float | str]:
        """Plain values keyed by name, for asset metadata (callers wrap them)."""
        out: dict[str, int | float | str] = dict(self.values)
        out["attainment rate"] = "n/a" if self.rate is None else round(self.rate, 4)
        return out


def count_all(engine) -> Counts:
    """Every count of :data:`DEFINITIONS` over the warehouse at ``engine``; a table or
    view that does not exist yet counts 0."""
    import sqlalchemy as sa

    values: dict[str, int] = {}
    with engine.connect() as cx:
        for name, sql in COUNTS_SQL.items():
            try:
                values[name] = int(cx.execute(sa.text(sql)).scalar() or 0)
            except sa.exc.DBAPIError:  # not created yet
                cx.rollback()
                values[name] = 0
    return Counts(values)


def definitions_markdown() -> str:
    """The vocabulary as a markdown list (asset descriptions, docs)."""
    return "\n".join(f"- **{name}**: {meaning}" for name, meaning in DEFINITIONS.items())


def read_frame(engine, sql: str, params: dict | None = None):
    """The rows of one SELECT as a pandas DataFrame (columns in the query's order)."""
    import pandas as pd
    import sqlalchemy as sa

    with engine.connect() as c:
        result = c.execute(sa.text(sql), params or {})
        return pd.DataFrame(result.fetchall(), columns=list(result.keys()))


def table_counts(engine) -> dict[str, int]:
    """Rows per warehouse table (here, not in warehouse.load, so that the summary of a
    no-op `planwh run` imports no pandas)."""
    import sqlalchemy as sa

    from warehouse.schema import metadata

    with engine.connect() as cx:
        return {
            t.name: cx.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in metadata.sorted_tables
        }
