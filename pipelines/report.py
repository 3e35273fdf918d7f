"""The attainment report an analyst prints or mails: one self-contained HTML page
(figures embedded as PNG, no script, no network), laid out for A4 landscape.

For each plan (each plan once; a second rendering of a document is not repeated):
an overview of the share of evaluated targets met by district and year, a heatmap
of every year, small multiples of target vs actual per indicator (binding
indicators first), a table per indicator with years across (oldest first, values
rounded to the indicator's precision), the milestones under their own heading,
and the issues that affect the figures (held-back input, missing statistics)
with their location, and the progress toward the end-year target (fct_progress:
status per indicator × district, the required path on the small multiples). The counts use :mod:`warehouse.counts`' vocabulary.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd

from pipelines.report_figures import (
    MET,
    MILESTONE,
    MISSED,
    NO_STATS,
    PROGRESS_STYLE,
    district_order,
    latest_heatmap,
    milestone_rows,
    rate_overview,
    state,
    target_vs_actual,
    year_heatmaps,
)

BINDING = "约束性"  # a binding indicator (as opposed to 预期性, expected)
REPORT_NAME = "attainment.html"


def latest_year(frame: pd.DataFrame) -> int | None:
    """The latest year with at least one evaluated (non-null) attainment, else the latest year."""
    if frame.empty:
        return None
    evaluated = frame[frame["attained"].notna()]
    return int((evaluated if len(evaluated) else frame)["year"].max())


def attainment_heatmap(frame: pd.DataFrame, title: str = "") -> bytes:
    """PNG heatmap of the latest evaluated year (the fct_attainment asset's picture)."""
    year = latest_year(frame)
    if year is None:
        from pipelines.report_figures import _plt, _png

        fig, ax = _plt().subplots(figsize=(3, 1))
        ax.text(0.5, 0.5, "no attainment rows", ha="center", va="center")
        ax.set_axis_off()
        return _png(fig)
    return latest_heatmap(frame, year, title)


# --------------------------------------------------------------------------- helpers


def indicator_order(frame: pd.DataFrame) -> list[str]:
    """Binding indicators first, then as the plan lists them (section, then name)."""
    f = frame.drop_duplicates("indicator_name").copy()
    f["_b"] = f.get("binding", pd.Series(index=f.index, dtype=object)).ne(BINDING)
    keys = ["_b"] + [c for c in ("section", "indicator_name") if c in f.columns]
    return list(f.sort_values(keys)["indicator_name"])


def decimals(values) -> int:
    """The indicator's precision: as many decimals as its targets are written with
    (at least one, at most three)."""
    most = 0
    for v in values:
        if v is None or pd.isna(v):
            continue
        exp = Decimal(repr(float(v))).normalize().as_tuple().exponent
        most = max(most, -exp if isinstance(exp, int) and exp < 0 else 0)
    return min(max(most, 1), 3)


def fmt(v, places: int) -> str:
    return "" if v is None or pd.isna(v) else f"{float(v):,.{places}f}"


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img class="figure" alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _e(v) -> str:
    return html.escape("" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))


# --------------------------------------------------------------------------- sections


def _indicator_tables(plan: pd.DataFrame, order: list[str]) -> str:
    """Per numeric indicator: a target row, then the city and each district, years across."""
    num = plan[~milestone_rows(plan)]
    years = sorted(plan["year"].unique())
    districts = district_order(plan)
    out = []
    for n, ind in enumerate(order, 1):
        f = num[num["indicator_name"] == ind]
        if f.empty:
            continue
        places = decimals(list(f["target_value"]) + list(f.get("target_value_high", [])))
        unit = next((u for u in f.get("target_unit", pd.Series(dtype=str)).dropna()), "")
        binding = " · binding" if (f.get("binding") == BINDING).any() else ""
        head = "".join(f"<th>{y}</th>" for y in years)
        targets = f.sort_values("level").drop_duplicates("year").set_index("year")["target"]
        rows = ["<tr class='target'><th>target</th>"
                + "".join(f"<td>{_e(targets.get(y, ''))}</td>" for y in years) + "</tr>"]

        def cell(r, _d, _y, places=places) -> str:
            s = state(r._asdict())
            mark = {MET: "✓", MISSED: "✗", NO_STATS: "no data"}.get(s, "")
            return (f"<td class='{s.split()[0]}'>{fmt(r.actual, places)} "
                    f"<span class='mark'>{mark}</span></td>")

        cells = {(r.district_name, r.year): r for r in f.itertuples()}
        rows += _grid_rows(districts, years, cells, cell)
        out.append(
            f"<h4>{n}. {_e(ind)}{' (' + _e(unit) + ')' if unit else ''}{binding}</h4>"
            f"<table class='ind'><thead><tr><th></th>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )
    return "\n".join(out)


def _grid_rows(row_keys, col_keys, cells: dict, cell) -> list[str]:
    """One ``<tr>`` per row key (its label in ``<th>``), a cell per column key:
    ``cell(r, row_key, col_key)`` for the row ``r`` of ``cells`` at that pair, an empty
    ``<td>`` where there is none."""
    out = []
    for rk in row_keys:
        tds = "".join(cell(r, rk, ck) if (r := cells.get((rk, ck))) is not None
                      else "<td></td>" for ck in col_keys)
        out.append(f"<tr><th>{_e(rk)}</th>{tds}</tr>")
    return out


def latest_progress(progress: pd.DataFrame) -> pd.DataFrame:
    """Per indicator × district: the row of the latest year with an actual (else the
    latest year, whose status is then ``insufficient data``)."""
    p = progress.assign(_has=progress["actual"].notna())
    return (p.sort_values(["_has", "year"]).groupby(["indicator_name", "district_name"],
                                                    dropna=False).tail(1).drop(columns="_has"))


def _plan_progress(progress: pd.DataFrame | None, plan: pd.DataFrame) -> pd.DataFrame | None:
    """The v_progress rows of ``plan`` (by plan_id, else by title), or None."""
    if progress is None or progress.empty:
        return None
    if "plan_id" in progress.columns and "plan_id" in plan.columns:
        p = progress[progress["plan_id"].isin(set(plan["plan_id"]))]
    else:
        p = progress[progress["plan_title"].isin(set(plan["plan_title"]))]
    return p if len(p) else None


def _progress_section(progress: pd.DataFrame | None, order: list[str],
                      districts: list[str]) -> str:
    """Status per indicator × district in the latest year with an actual (fct_progress)."""
    if progress is None or progress.empty:
        return "<p class='progress-none'>No progress rows (fct_progress is empty or missing).</p>"
    last = latest_progress(progress)
    cells = {(r.indicator_name, r.district_name): r for r in last.itertuples()}
    inds = [i for i in order if i in set(last["indicator_name"])]
    inds += sorted(set(last["indicator_name"]) - set(inds))
    dists = [d for d in districts if d in set(last["district_name"])]
    dists += sorted(set(last["district_name"].dropna()) - set(dists))
    head = "".join(f"<th>{_e(d)}</th>" for d in dists)

    def cell(r, ind, d) -> str:
        bg, fg, border = PROGRESS_STYLE.get(r.status, ("#ffffff", "#000000", "solid"))
        note = _e(getattr(r, "status_note", ""))
        return (f"<td class='status' data-indicator='{_e(ind)}' data-district='{_e(d)}' "
                f"data-year='{_e(r.year)}' data-status='{_e(r.status)}' title='{note}' "
                f"style='background:{bg};color:{fg};border:1px {border} #555'>"
                f"{_e(r.status)} <span class='yr'>{_e(r.year)}</span></td>")

    rows = _grid_rows(inds, dists, cells, cell)
    legend = "".join(
        f"<span style='background:{bg};color:{fg};border:1px {border} #555'>{_e(s)}</span>"
        for s, (bg, fg, border) in PROGRESS_STYLE.items())
    return ("<p>Status toward the end-year target in the latest year with an actual "
            "(the small number after the status is that year; docs/progress.md). Colours: "
            f"<span class='legend'>{legend}</span></p>"
            "<table class='progress'><thead><tr><th>indicator</th>"
            f"{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")


def _milestones(plan: pd.DataFrame) -> str:
    m = plan[milestone_rows(plan)]
    if m.empty:
        return "<p>This plan has no milestones in words.</p>"
    first = m.sort_values("level").drop_duplicates(["indicator_name", "year"])
    first = first.sort_values(["indicator_name", "year"])
    count = m.groupby(["indicator_name", "year"]).size()
    rows = "".join(
        f"<tr><td>{_e(r.indicator_name)}</td><td>{r.year}</td><td>{_e(r.target)}</td>"
        f"<td>{count[(r.indicator_name, r.year)]}</td></tr>"
        for r in first.itertuples()
    )
    return ("<p>Milestones are targets in words: they are listed, not evaluated.</p>"
            "<table><thead><tr><th>indicator</th><th>year</th><th>milestone</th>"
            f"<th>attainment rows</th></tr></thead><tbody>{rows}</tbody></table>")


def _issues(plan: pd.DataFrame, issues: pd.DataFrame | None) -> str:
    parts = []
    missing = plan[~milestone_rows(plan) & plan["attained"].isna()]
    if len(missing):
        g = (missing.groupby(["indicator_name", "district_name"])["year"]
             .apply(lambda s: ", ".join(str(y) for y in sorted(s))).reset_index())
        rows = "".join(f"<tr><td>{_e(r.indicator_name)}</td><td>{_e(r.district_name)}</td>"
                       f"<td>{_e(r.year)}</td></tr>" for r in g.itertuples())
        parts.append("<h4>Targets without statistics</h4><table><thead><tr><th>indicator</th>"
                     f"<th>district</th><th>years</th></tr></thead><tbody>{rows}</tbody></table>")
    if issues is not None and len(issues):
        files = set(plan.get("source_file", pd.Series(dtype=str)).dropna())
        rel = issues[issues["source_file"].isin(files) | ~_is_plan_file(issues["source_file"])]
        if len(rel):
            rows = "".join(
                f"<tr><td>{_e(r.severity)}</td><td>{_e(r.source_file)}</td><td>{_e(r.location)}"
                f"</td><td>{_e(r.reason)}</td></tr>" for r in rel.itertuples())
            parts.append("<h4>Input held back or questioned (ingest_issues)</h4><table><thead>"
                         "<tr><th>severity</th><th>file</th><th>location</th><th>reason</th>"
                         f"</tr></thead><tbody>{rows}</tbody></table>")
    return "\n".join(parts) or "<p>None: every target has its statistics and no input was " \
                                "held back.</p>"


def _is_plan_file(names: pd.Series) -> pd.Series:
    return names.str.lower().str.endswith((".docx", ".pdf"), na=False)


def _other_issues(frame: pd.DataFrame, issues: pd.DataFrame | None) -> str:
    """Issues of plan documents that have no rows in the report (a plan held back
    whole, an unreadable file): listed once, at the end, so none goes unseen."""
    if issues is None or issues.empty:
        return ""
    shown = set(frame.get("source_file", pd.Series(dtype=str)).dropna())
    rest = issues[_is_plan_file(issues["source_file"]) & ~issues["source_file"].isin(shown)]
    if rest.empty:
        return ""
    rows = "".join(
        f"<tr><td>{_e(r.severity)}</td><td>{_e(r.source_file)}</td><td>{_e(r.location)}"
        f"</td><td>{_e(r.reason)}</td></tr>" for r in rest.itertuples())
    return ("<section class='plan'><h2>Plan documents not in this report</h2>"
            "<p>Their input was held back (ingest_issues); fix the file and run again.</p>"
            "<table><thead><tr><th>severity</th><th>file</th><th>location</th><th>reason</th>"
            f"</tr></thead><tbody>{rows}</tbody></table></section>")


def _counts_block(counts) -> str:
    if counts is None:
        return ""
    rows = "".join(f"<tr><th>{_e(n)}</th><td class='num'>{_e(v)}</td><td>{_e(m)}</td></tr>"
                   for n, v, m in counts.lines())
    return f"<h2>Counts</h2><table class='counts'><tbody>{rows}</tbody></table>"


CSS = """
@page { size: A4 landscape; margin: 12mm; }
body { font-family: "Noto Sans CJK SC", "Noto Sans", sans-serif; margin: 1.5em; color: #222;
       max-width: 270mm; }
h1 { font-size: 20px; } h2 { font-size: 17px; border-bottom: 2px solid #0072B2; }
h3 { font-size: 15px; } h4 { font-size: 13px; margin: 1em 0 .3em; }
table { border-collapse: collapse; font-size: 11px; margin-bottom: .8em; max-width: 100%; }
td, th { border: 1px solid #bbb; padding: 2px 5px; text-align: left; vertical-align: top; }
thead th { background: #eef3f8; }
table.ind td { text-align: right; white-space: nowrap; }
tr.target td { text-align: left; white-space: normal; background: #fafafa; }
td.met .mark { color: #0072B2; font-weight: bold; }
td.missed { background: #fdf0d9; } td.missed .mark { color: #a35a00; font-weight: bold; }
td.no { color: #666; font-style: italic; }
td.num { text-align: right; }
table.progress td.status { white-space: nowrap; } table.progress .yr { font-size: 9px; }
td.status[data-status="insufficient data"] { font-style: italic; }
img.figure { max-width: 100%; display: block; margin: .5em 0; page-break-inside: avoid; }
.plan { page-break-before: always; } .plan:first-of-type { page-break-before: auto; }
@media print { img.figure { max-height: 170mm; width: auto; }
               tr, h4 { page-break-inside: avoid; } h3, h4 { page-break-after: avoid; } }
.legend span { display: inline-block; padding: 0 6px; margin-right: 8px; border: 1px solid #888; }
"""


def render_html(frame: pd.DataFrame, issues: pd.DataFrame | None = None, counts=None,
                generated: str | None = None, progress: pd.DataFrame | None = None) -> str:
    """The report page for the rows of v_attainment (``frame``), the ingest issues, the
    :class:`warehouse.counts.Counts` of the warehouse and the rows of v_progress
    (``progress``; None or empty: the progress section says so)."""
    stamp = generated or datetime.now().strftime("%Y-%m-%d %H:%M")
    body = []
    key = "plan_id" if "plan_id" in frame.columns else "plan_title"
    plans = list(frame.groupby(key, sort=False)) if len(frame) else []
    for n, (_, plan) in enumerate(plans, 1):
        title = plan["plan_title"].iloc[0] if "plan_title" in plan.columns else f"plan {n}"
        src = plan["source_file"].iloc[0] if "source_file" in plan.columns else ""
        order = indicator_order(plan)
        prog = _plan_progress(progress, plan)
        ev = plan["attained"].notna()
        met = int(plan.loc[ev, "attained"].astype(bool).sum())
        names = "".join(f"<li>{_e(name)}</li>" for name in order)
        body.append(f"""<section class="plan" data-plan="{_e(title)}">
<h2>{_e(title)}</h2>
<p>Source: {_e(src)} · {len(plan)} attainment rows · {int(ev.sum())} evaluated targets ·
{met} met ({(met / ev.sum()) if ev.sum() else 0:.1%}) · {len(order)} indicators,
binding ones first.</p>
<h3>Overview: evaluated targets met, by district and year</h3>
{_img(rate_overview(plan), "overview: share of evaluated targets met by district and year")}
<h3>Every year, indicator by district</h3>
<p>Indicators by number (a blank cell: no target for that district and year):</p>
<ol class="names">{names}</ol>
{_img(year_heatmaps(plan, order), "heatmap of every year")}
<h3>Target and actual over the years</h3>
<p>Dotted purple: the city's required path from its baseline to the end-year target
(fct_progress).</p>
{_img(target_vs_actual(plan, order, progress=prog), "target vs actual per indicator")}
<h3>Progress toward the end-year target</h3>
{_progress_section(prog, order, district_order(plan))}
<h3>Figures by indicator (actual; ✓ met, ✗ missed)</h3>
{_indicator_tables(plan, order)}
<h3>Milestones</h3>
{_milestones(plan)}
<h3>Issues that affect these figures</h3>
{_issues(plan, issues)}
</section>""".replace("<ol class=\"names\">", "<ol class='names' style='columns:2'>"))
    if not plans:
        body.append("<p>No attainment rows yet: load plans and statistics, then run again.</p>")
    body.append(_other_issues(frame, issues))
    legend = (f"<p class='legend'><span style='background:#0072B2;color:#fff'>{MET}</span>"
              f"<span style='background:#E69F00'>{MISSED} (hatched)</span>"
              f"<span>{NO_STATS} (dotted)</span>"
              f"<span style='background:#ddd'>{MILESTONE} (M)</span></p>")
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>planwh attainment report</title>
<style>{CSS}</style></head>
<body><h1>Attainment report</h1>
<p>Generated {stamp} by planwh from the warehouse's v_attainment (each plan once).
Colours: {legend}</p>
{_counts_block(counts)}
{"".join(body)}
</body></html>"""


def write_html_report(frame: pd.DataFrame, out_dir: Path, issues: pd.DataFrame | None = None,
                      counts=None, progress: pd.DataFrame | None = None) -> Path:
    """Write ``out_dir/attainment.html`` (see :func:`render_html`)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / REPORT_NAME
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_html(frame, issues, counts, progress=progress), encoding="utf-8")
    tmp.replace(path)
    return path


def write_report_from_warehouse(engine, out_dir: Path) -> Path:
    """Read v_attainment, ingest_issues and the counts from the warehouse at ``engine``
    and write the report (the attainment_report asset's body)."""
    import sqlalchemy as sa

    from warehouse.counts import count_all

    def read(sql: str) -> pd.DataFrame:
        with engine.connect() as c:
            result = c.execute(sa.text(sql))
            return pd.DataFrame(result.fetchall(), columns=list(result.keys()))

    view = read("SELECT * FROM v_attainment")
    issues = read("SELECT source_file, location, severity, reason FROM ingest_issues "
                  "ORDER BY source_file, location")
    try:
        progress = read("SELECT * FROM v_progress")
    except sa.exc.DBAPIError:  # a warehouse from before fct_progress: the section says so
        progress = None
    return write_html_report(view, out_dir, issues, count_all(engine), progress)
