"""Metadata for asset pages: row counts, column schemas, markdown previews.

Column schemas read like a catalog: each column's type and description come from
the warehouse's own definition (warehouse.schema: the SQL type and the COMMENT on
every column), so ``attained`` is a boolean and ``target_value_high`` a float even
when a frame holds them as Python objects with NULLs. Previews show NULL as an
empty cell, never ``nan`` or ``None``.
"""

from __future__ import annotations

import base64

import dagster as dg
import pandas as pd
import sqlalchemy as sa

_DTYPES = {"i": "integer", "u": "integer", "f": "float", "b": "boolean", "M": "timestamp"}

# v_attainment's own column names (the view renames or joins them); the rest share a
# name with a table column and take that column's comment.
VIEW_COLUMNS: dict[str, tuple[str, str]] = {
    "plan_title": ("text", "title of the plan (dim_plan.title)"),
    "target": ("text", "the target as written for people: comparator, value and unit, or "
                       "the milestone's words"),
    "actual": ("float", "actual figure (NULL: no statistics)"),
    "district_name": ("text", "official name of the district or the city"),
    "indicator_name": ("text", "indicator as named in the plan"),
    "section": ("text", "plan section the indicator is listed under"),
}


def _sql_type(t: sa.types.TypeEngine) -> str:
    if isinstance(t, sa.Boolean):
        return "boolean"
    if isinstance(t, sa.Integer):
        return "integer"
    if isinstance(t, (sa.Float, sa.Numeric)):
        return "float"
    if isinstance(t, sa.DateTime):
        return "timestamp"
    if isinstance(t, sa.Date):
        return "date"
    return "text"


def warehouse_columns() -> dict[str, dict[str, tuple[str, str]]]:
    """table -> column -> (type, comment), from the warehouse's schema definition."""
    from warehouse.schema import metadata

    return {
        t.name: {c.name: (_sql_type(c.type), c.comment or "") for c in t.columns}
        for t in metadata.sorted_tables
    }


def _by_name(tables: dict[str, dict[str, tuple[str, str]]]) -> dict[str, tuple[str, str]]:
    """column name -> (type, comment) of the first table (facts first) defining it."""
    out: dict[str, tuple[str, str]] = {}
    for name in sorted(tables, key=lambda n: (not n.startswith("fct_"), n)):
        for col, spec in tables[name].items():
            out.setdefault(col, spec)
    out.update(VIEW_COLUMNS)
    return out


def _inferred(series: pd.Series) -> str:
    kind = series.dtype.kind
    if kind in _DTYPES:
        return _DTYPES[kind]
    values = series.dropna()
    if len(values) and all(isinstance(v, bool) for v in values):
        return "boolean"
    if len(values) and all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        return "integer"
    if len(values) and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                           for v in values):
        return "float"
    return "text"


def column_schema(frame: pd.DataFrame, table: str | None = None) -> dg.TableSchema:
    """The schema of ``frame``: types and descriptions from the warehouse table ``table``
    when given, else from any warehouse column of the same name, else inferred."""
    tables = warehouse_columns()
    own = tables.get(table or "", {})
    named = _by_name(tables)
    columns = []
    for c in frame.columns:
        spec = own.get(str(c)) or named.get(str(c))
        kind, comment = spec if spec else (_inferred(frame[c]), "")
        columns.append(dg.TableColumn(name=str(c), type=kind, description=comment or None))
    return dg.TableSchema(columns=columns)


def display_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` for people: NULL (None, NaN, NaT, pd.NA) as an empty cell."""
    out = frame.astype(object)
    return out.where(frame.notna(), "")


def preview(frame: pd.DataFrame, rows: int = 10) -> dg.MarkdownMetadataValue:
    if frame.empty:
        return dg.MetadataValue.md("_no rows_")
    return dg.MetadataValue.md(display_frame(frame.head(rows)).to_markdown(index=False))


def table_metadata(frame: pd.DataFrame, rows: int = 10, table: str | None = None) -> dict:
    """The standard trio for a tabular asset (``table``: the warehouse table it shows)."""
    return {
        "dagster/row_count": dg.MetadataValue.int(len(frame)),
        "dagster/column_schema": column_schema(frame, table),
        "preview": preview(frame, rows),
    }


def counts_metadata(engine) -> dict:
    """The warehouse's counts (warehouse.counts vocabulary) as asset metadata, with a
    markdown table saying what each one counts."""
    from warehouse.counts import count_all

    counts = count_all(engine)
    table = "| count | value | what it counts |\n|---|---|---|\n" + "\n".join(
        f"| {name} | {value} | {meaning} |" for name, value, meaning in counts.lines())
    out: dict = {}
    for name, value in counts.metadata().items():
        out[name] = dg.MetadataValue.float(value) if isinstance(value, float) else value
    out["counts"] = dg.MetadataValue.md(table)
    return out


def png_markdown(png: bytes, alt: str) -> dg.MarkdownMetadataValue:
    data = base64.b64encode(png).decode("ascii")
    return dg.MetadataValue.md(f"![{alt}](data:image/png;base64,{data})")
