"""The report's figures (matplotlib, PNG bytes; no Dagster types).

Colours are told apart by people with red-green colour blindness: met is blue,
missed is orange *and* hatched, no statistics is white with dots, a milestone
is light grey with an "M" (Okabe-Ito blue/orange; every state also differs in
pattern, so a grey-scale print still works).
"""

from __future__ import annotations

import io

import pandas as pd

MET, MISSED, NO_STATS, MILESTONE = "met", "missed", "no statistics", "milestone (not evaluable)"
STYLE = {  # state -> (face colour, hatch, mark in the cell)
    MET: ("#0072B2", "", ""),
    MISSED: ("#E69F00", "////", ""),
    NO_STATS: ("#ffffff", "..", ""),
    MILESTONE: ("#dddddd", "", "M"),
}
CITY_COLOUR, TARGET_COLOUR, DISTRICT_COLOUR = "#0072B2", "#D55E00", "#9a9a9a"
REQUIRED_COLOUR = "#CC79A7"  # Okabe-Ito reddish purple: the required path of fct_progress

# fct_progress statuses (warehouse.schema.PROGRESS_STATUSES) -> (background, text colour,
# border style): Okabe-Ito colours, ordered blue (good) to vermillion (bad), and
# ``insufficient data`` white with a dashed border, so it never reads as a colour state.
# The status word is always printed in the cell too.
PROGRESS_STYLE = {
    "achieved": ("#0072B2", "#ffffff", "solid"),
    "on track": ("#56B4E9", "#000000", "solid"),
    "moderate": ("#F0E442", "#000000", "solid"),
    "limited": ("#E69F00", "#000000", "solid"),
    "deteriorating": ("#D55E00", "#ffffff", "solid"),
    "insufficient data": ("#ffffff", "#555555", "dashed"),
}


def cjk_font():
    """A font with Chinese glyphs: Noto Sans CJK SC from the mplfonts package."""
    import os

    import mplfonts
    from matplotlib import font_manager

    path = os.path.join(os.path.dirname(mplfonts.__file__), "fonts", "NotoSansCJKsc-Regular.otf")
    if os.path.exists(path):
        font_manager.fontManager.addfont(path)
        return font_manager.FontProperties(fname=path)
    return font_manager.FontProperties()


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    _plt().close(fig)
    return buf.getvalue()


def milestone_rows(frame: pd.DataFrame) -> pd.Series:
    """Rows of v_attainment whose target is a milestone in words: not a relative target
    (翻一番 has no number in the grammar, but a level resolved per district)."""
    relative = frame["relative_kind"].notna() if "relative_kind" in frame else False
    return (frame["comparator"] == "milestone") & ~relative


def target_levels(frame: pd.DataFrame) -> pd.Series:
    """The level each row's target asks: the resolved level of a relative target (增长10%
    is not 10), else target_value."""
    if "target_resolved" not in frame:
        return frame["target_value"]
    return frame["target_resolved"].where(frame["relative_kind"].notna(), frame["target_value"])


def state(row) -> str:
    if pd.notna(row["attained"]):
        return MET if bool(row["attained"]) else MISSED
    if row.get("comparator") == "milestone" and pd.isna(row.get("relative_kind")):
        return MILESTONE
    return NO_STATS


def district_order(frame: pd.DataFrame) -> list[str]:
    """District names, the city first, then by code."""
    f = frame.drop_duplicates("district_name")
    if "district_code" in f.columns:
        key = f.assign(_c=(f.get("level", "") != "city"))
        f = key.sort_values(["_c", "district_code"])
    return list(f["district_name"])


def _legend(ax, font, states=(MET, MISSED, NO_STATS, MILESTONE)):
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(facecolor=STYLE[s][0], hatch=STYLE[s][1], edgecolor="#555555",
                             label=s + (" (M)" if STYLE[s][2] else "")) for s in states],
              loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=8, frameon=False, prop=font)


def year_heatmaps(frame: pd.DataFrame, indicator_order: list[str], title: str = "") -> bytes:
    """One panel per year: districts down, indicators across, a cell per state."""
    from matplotlib.patches import Rectangle

    plt = _plt()
    font = cjk_font()
    years = sorted(frame["year"].unique())
    districts = district_order(frame)
    indicators = [i for i in indicator_order if i in set(frame["indicator_name"])]
    f = frame.assign(state=frame.apply(state, axis=1))
    cols = min(len(years), 3) or 1
    rows = (len(years) + cols - 1) // cols or 1
    w = 1.6 + 0.55 * max(len(indicators), 1)
    h = 0.9 + 0.22 * max(len(districts), 1)
    fig, axes = plt.subplots(rows, cols, figsize=(w * cols + 1.8, h * rows), squeeze=False)
    lookup = {(r.district_name, r.indicator_name, r.year): r.state for r in f.itertuples()}
    for k, ax in enumerate(axes.flat):
        if k >= len(years):
            ax.set_axis_off()
            continue
        year = years[k]
        for y, d in enumerate(districts):
            for x, ind in enumerate(indicators):
                s = lookup.get((d, ind, year))
                if s is None:
                    continue
                face, hatch, mark = STYLE[s]
                ax.add_patch(Rectangle((x, y), 1, 1, facecolor=face, hatch=hatch,
                                       edgecolor="#555555", linewidth=0.4))
                if mark:
                    ax.text(x + 0.5, y + 0.5, mark, ha="center", va="center", fontsize=6,
                            color="#333333")
        ax.set_xlim(0, max(len(indicators), 1))
        ax.set_ylim(len(districts), 0)
        ax.set_xticks([i + 0.5 for i in range(len(indicators))])
        ax.set_xticklabels([f"{i + 1}" for i in range(len(indicators))], fontsize=7)
        ax.set_yticks([i + 0.5 for i in range(len(districts))])
        ax.set_yticklabels(districts if k % cols == 0 else [], fontproperties=font, fontsize=7)
        ax.tick_params(length=0)
        ax.set_title(str(year), fontsize=9)
    _legend(axes.flat[cols - 1], font)
    if title:
        fig.suptitle(title, fontproperties=font, fontsize=10)
    fig.tight_layout()
    return _png(fig)


def rate_overview(frame: pd.DataFrame, title: str = "") -> bytes:
    """Share of evaluated targets met, districts down and years across (cividis, which
    reads the same for red-green colour blind eyes), each cell labelled met/evaluated."""
    import numpy as np

    plt = _plt()
    font = cjk_font()
    ev = frame[frame["attained"].notna()]
    years = sorted(frame["year"].unique())
    districts = district_order(frame)
    met = ev.assign(m=ev["attained"].astype(bool)).groupby(["district_name", "year"])["m"]
    n, k = met.size(), met.sum()
    grid = np.full((len(districts), len(years)), np.nan)
    fig, ax = plt.subplots(figsize=(2.4 + 0.9 * len(years), 1.0 + 0.26 * len(districts)))
    for i, d in enumerate(districts):
        for j, y in enumerate(years):
            if (d, y) in n.index:
                grid[i, j] = k[(d, y)] / n[(d, y)]
                ax.text(j, i, f"{int(k[(d, y)])}/{int(n[(d, y)])}", ha="center", va="center",
                        fontsize=7, color="white" if grid[i, j] < 0.55 else "black")
            else:
                ax.text(j, i, "–", ha="center", va="center", fontsize=7, color="#666666")
    im = ax.imshow(np.ma.masked_invalid(grid), cmap="cividis", vmin=0, vmax=1, aspect="auto")
    ax.set_xticks(range(len(years)))
    ax.set_xticklabels([str(y) for y in years], fontsize=8)
    ax.set_yticks(range(len(districts)))
    ax.set_yticklabels(districts, fontproperties=font, fontsize=8)
    bar = fig.colorbar(im, ax=ax, fraction=0.04)
    bar.set_label("share met", fontsize=8)
    ax.set_title(title or "Evaluated targets met (met/evaluated)", fontproperties=font,
                 fontsize=10)
    fig.tight_layout()
    return _png(fig)


def target_vs_actual(frame: pd.DataFrame, indicator_order: list[str], title: str = "",
                     progress: pd.DataFrame | None = None) -> bytes:
    """Small multiples, one per numeric indicator: the target (orange dashed, squares),
    the city's actual (blue, circles), each district's actual (thin grey) and, from
    fct_progress (``progress``: rows of v_progress), the city's required path from its
    baseline to the end-year target (purple dotted)."""
    plt = _plt()
    font = cjk_font()
    num = frame[~milestone_rows(frame)]
    indicators = [i for i in indicator_order if i in set(num["indicator_name"])]
    cols = min(len(indicators), 3) or 1
    rows = (len(indicators) + cols - 1) // cols or 1
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 2.9 * rows), squeeze=False)
    years = sorted(frame["year"].unique())
    for k, ax in enumerate(axes.flat):
        if k >= len(indicators):
            ax.set_axis_off()
            continue
        ind = indicators[k]
        f = num[num["indicator_name"] == ind].sort_values("year")
        for _, d in f[f["level"] != "city"].groupby("district_name"):
            ax.plot(d["year"], d["actual"], color=DISTRICT_COLOUR, linewidth=0.7, alpha=0.7)
        city = f[f["level"] == "city"]
        shown = city if len(city) else f
        targets = target_levels(shown).groupby(shown["year"]).first()
        ax.plot(targets.index, targets.values, color=TARGET_COLOUR, linestyle="--", marker="s",
                markersize=4, label="target")
        if len(city):
            ax.plot(city["year"], city["actual"], color=CITY_COLOUR, marker="o", markersize=4,
                    linewidth=2, label="city actual")
        req = _required_path(progress, ind)
        if req is not None:
            ax.plot(req.index, req.values, color=REQUIRED_COLOUR, linestyle=":", linewidth=1.6,
                    label="required path")
        ax.plot([], [], color=DISTRICT_COLOUR, linewidth=0.7, label="districts")
        unit = next((u for u in f.get("target_unit", pd.Series(dtype=str)).dropna()), "")
        ax.set_title(f"{k + 1}. {ind}" + (f" ({unit})" if unit else ""), fontproperties=font,
                     fontsize=9)
        ax.set_xticks(sorted(set(years) | (set(req.index) if req is not None else set())))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if k == 0:
            ax.legend(fontsize=7, frameon=False)
    if title:
        fig.suptitle(title, fontproperties=font, fontsize=10)
    fig.tight_layout()
    return _png(fig)


def _required_path(progress: pd.DataFrame | None, indicator: str) -> pd.Series | None:
    """The city's required value by year for ``indicator`` (its baseline first), or
    None when fct_progress has no path for it."""
    if progress is None or progress.empty:
        return None
    p = progress[(progress["indicator_name"] == indicator) & progress["required"].notna()]
    if "level" in p.columns:
        p = p[p["level"] == "city"]
    if p.empty:
        return None
    path = p.groupby("year")["required"].first().astype(float)
    base = p.dropna(subset=["baseline_year", "baseline"]) if "baseline" in p.columns else p[:0]
    if len(base):
        first = base.sort_values("baseline_year").iloc[0]
        path.loc[int(first["baseline_year"])] = float(first["baseline"])
    return path.sort_index()


def latest_heatmap(frame: pd.DataFrame, year: int, title: str = "") -> bytes:
    """One year's heatmap (the asset page's picture)."""
    order = sorted(frame["indicator_name"].unique())
    return year_heatmaps(frame[frame["year"] == year], order, title or f"Attainment {year}")
