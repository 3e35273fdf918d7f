"""Metadata for asset pages: row counts, column schemas, markdown previews."""

from __future__ import annotations

import base64

import dagster as dg
import pandas as pd

_DTYPES = {"i": "integer", "u": "integer", "f": "float", "b": "boolean", "M": "timestamp"}


def column_schema(frame: pd.DataFrame) -> dg.TableSchema:
    return dg.TableSchema(
        columns=[
            dg.TableColumn(name=str(c), type=_DTYPES.get(frame[c].dtype.kind, "text"))
            for c in frame.columns
        ]
    )


def preview(frame: pd.DataFrame, rows: int = 10) -> dg.MarkdownMetadataValue:
    if frame.empty:
        return dg.MetadataValue.md("_no rows_")
    return dg.MetadataValue.md(frame.head(rows).to_markdown(index=False))


def table_metadata(frame: pd.DataFrame, rows: int = 10) -> dict:
    """The standard trio for a tabular asset."""
    return {
        "dagster/row_count": dg.MetadataValue.int(len(frame)),
        "dagster/column_schema": column_schema(frame),
        "preview": preview(frame, rows),
    }


def png_markdown(png: bytes, alt: str) -> dg.MarkdownMetadataValue:
    data = base64.b64encode(png).decode("ascii")
    return dg.MetadataValue.md(f"![{alt}](data:image/png;base64,{data})")
