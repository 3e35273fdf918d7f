"""Attainment pictures and the HTML report (matplotlib; no Dagster types)."""

from __future__ import annotations

import base64
import html
import io
from datetime import datetime
from pathlib import Path

import pandas as pd

STATES = {"attained": 3, "missed": 2, "no statistics": 1, "milestone (not evaluable)": 0}
COLOURS = ["#f2f2f2", "#bdbdbd", "#e4572e", "#4caf50"]  # by state value


def _cjk_font():
    """A font with Chinese glyphs: Noto Sans CJK SC from the mplfonts package."""
    import os

    import mplfonts
    from matplotlib import font_manager

    path = os.path.join(os.path.dirname(mplfonts.__file__), "fonts", "NotoSansCJKsc-Regular.otf")
    if os.path.exists(path):
        font_manager.fontManager.addfont(path)
        return font_manager.FontProperties(fname=path)
    return font_manager.FontProperties()


def latest_year(frame: pd.DataFrame) -> int | None:
    """The latest year with at least one evaluated (non-null) attainment, else the latest year."""
    if frame.empty:
        return None
    evaluated = frame[frame["attained"].notna()]
    return int((evaluated if len(evaluated) else frame)["year"].max())


def _state(row) -> int:
    if pd.notna(row["attained"]):
        return STATES["attained"] if bool(row["attained"]) else STATES["missed"]
    if row.get("comparator") == "milestone":
        return STATES["milestone (not evaluable)"]
    return STATES["no statistics"]


def status_matrix(frame: pd.DataFrame, year: int) -> pd.DataFrame:
    """district x indicator -> a STATES value; rows in district-code order (the city first)."""
    f = frame[frame["year"] == year].copy()
    f["state"] = f.apply(_state, axis=1)
    m = f.pivot_table(index="district_name", columns="indicator_name", values="state", aggfunc="max")
    if "district_code" in f.columns:
        order = f.drop_duplicates("district_name").sort_values("district_code")["district_name"]
        m = m.reindex([d for d in order if d in m.index])
    return m.fillna(STATES["no statistics"]).astype(int)


def attainment_heatmap(frame: pd.DataFrame, title: str = "") -> bytes:
    """PNG heatmap for the latest evaluated year: districts down, indicators across."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    font = _cjk_font()
    year = latest_year(frame)
    m = status_matrix(frame, year) if year is not None else pd.DataFrame()
    rows, cols = max(len(m.index), 1), max(len(m.columns), 1)
    fig, ax = plt.subplots(figsize=(2.2 + 1.6 * cols, 1.2 + 0.38 * rows), dpi=100)
    if not m.empty:
        ax.imshow(m.values, cmap=ListedColormap(COLOURS), vmin=0, vmax=len(COLOURS) - 1,
                  aspect="auto")
        ax.set_xticks(range(len(m.columns)))
        ax.set_xticklabels([_wrap(c) for c in m.columns], fontproperties=font, fontsize=8)
        ax.set_yticks(range(len(m.index)))
        ax.set_yticklabels(list(m.index), fontproperties=font, fontsize=8)
    else:
        ax.text(0.5, 0.5, "no attainment rows", ha="center", va="center")
        ax.set_axis_off()
    ax.set_title(title or f"Attainment {year}", fontproperties=font, fontsize=10)
    ax.legend(
        handles=[Patch(color=COLOURS[v], label=k) for k, v in STATES.items()],
        loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False,
    )
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _wrap(text: str, width: int = 8) -> str:
    return "\n".join(text[i : i + width] for i in range(0, len(text), width))


def write_html_report(frame: pd.DataFrame, out_dir: Path) -> Path:
    """A self-contained HTML page: the heatmap plus the attainment table, newest year first."""
    out_dir.mkdir(parents=True, exist_ok=True)
    png = base64.b64encode(attainment_heatmap(frame)).decode("ascii")
    table = frame.sort_values(["year", "indicator_name", "district_name"],
                              ascending=[False, True, True])
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{html.escape('' if pd.isna(v) else str(v))}</td>" for v in r) + "</tr>"
        for r in table.itertuples(index=False)
    )
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    stamp = datetime.now().strftime("%Y-%m-%d %H:%M")
    page = f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>planwh attainment report</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px}}th{{background:#f3f3f3}}</style></head>
<body><h1>Attainment report</h1><p>Generated {stamp} by planwh.</p>
<img alt="attainment heatmap" src="data:image/png;base64,{png}">
<h2>All evaluated targets</h2><table><thead><tr>{head}</tr></thead><tbody>
{rows}
</tbody></table></body></html>"""
    path = out_dir / "attainment.html"
    path.write_text(page, encoding="utf-8")
    return path
