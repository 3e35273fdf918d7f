"""The printed report: layout rules checked on a small synthetic v_attainment frame."""

from __future__ import annotations

import base64
import html
import io
import re
from html.parser import HTMLParser

import pandas as pd
import pytest

from pipelines.report import decimals, indicator_order, render_html, write_html_report
from pipelines.report_figures import MET, MISSED, NO_STATS, STYLE
from warehouse.counts import DEFINITIONS, Counts


def _row(ind, district, code, year, target_value, actual, comparator=">=", binding=None,
         target=None, level="district"):
    attained = None if actual is None or comparator == "milestone" else actual >= target_value
    return {
        "plan_title": "某市“十四五”规划", "plan_id": "p1", "source_file": "plan.docx",
        "section": "一", "indicator_name": ind, "district_name": district,
        "district_code": code, "level": level, "year": year,
        "target": target or f">= {target_value}", "actual": actual, "attained": attained,
        "gap": None, "indicator_id": "deadbeefcafe0001", "metric_code": "m",
        "target_unit": "%", "target_text": target or "", "comparator": comparator,
        "target_value": target_value, "target_value_high": None, "binding": binding,
    }


def frame() -> pd.DataFrame:
    rows = []
    for year in (2021, 2022, 2023):
        rows.append(_row("预期指标", "某市", "330100", year, 6.5, 7.265933343078497, level="city"))
        rows.append(_row("预期指标", "甲区", "330102", year, 6.5, 5.0))
        rows.append(_row("约束指标", "某市", "330100", year, 90, 91.0, binding="约束性",
                         level="city"))
        rows.append(_row("约束指标", "甲区", "330102", year, 90, None, binding="约束性"))
        rows.append(_row("文字目标", "某市", "330100", year, None, None, comparator="milestone",
                         target=f"完成第{year}阶段工作", level="city"))
    return pd.DataFrame(rows)


def test_binding_first_and_precision():
    f = frame()
    assert indicator_order(f)[0] == "约束指标"
    assert decimals([6.5]) == 1 and decimals([90.0]) == 1 and decimals([0.125]) == 3


@pytest.mark.slow  # over a second: make test only
def test_report_layout(tmp_path):
    issues = pd.DataFrame([{"source_file": "stats.csv", "location": "row 7",
                            "severity": "error", "reason": "unknown district 乙区"},
                           {"source_file": "held_back.docx", "location": "table 1, row 3",
                            "severity": "error", "reason": "year 2031 outside the period"}])
    counts = Counts({"attainment rows": 15, "evaluated targets": 9, "met": 6})
    path = write_html_report(frame(), tmp_path, issues, counts)
    page = path.read_text(encoding="utf-8")
    # self-contained: no external resource, figures embedded and decodable PNGs
    assert not re.search(r"(src|href)=[\"']https?://", page)
    imgs = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(imgs) == 3
    from PIL import Image

    for data in imgs:
        assert Image.open(io.BytesIO(base64.b64decode(data))).size[0] > 100
    # names, not hashes; rounded to the indicator's precision; oldest year first
    assert "deadbeefcafe0001" not in page
    assert "7.3" in page and "7.26593" not in page
    head = re.search(r"<h4>1\. 约束指标.*?</thead>", page, re.S).group(0)
    assert head.index("2021") < head.index("2022") < head.index("2023")
    # binding first; milestones under their own heading, not in the indicator tables
    tables = page[page.index("<h3>Figures by indicator"):page.index("<h3>Milestones</h3>")]
    assert tables.index("约束指标 (%) · binding") < tables.index("预期指标")
    milestones = page[page.index("<h3>Milestones</h3>"):]
    assert "完成第2022阶段工作" in milestones
    assert "完成第2022阶段工作" not in tables
    # the issues that affect the figures, with their location
    issues_part = page[page.index("Issues that affect"):]
    assert "row 7" in issues_part and "unknown district 乙区" in issues_part
    assert "Targets without statistics" in issues_part and "2021, 2022, 2023" in issues_part
    # a plan document held back whole has no rows, but its issues are still listed
    held = page[page.index("Plan documents not in this report"):]
    assert "held_back.docx" in held and "table 1, row 3" in held
    # the counts' vocabulary, each with its one-line meaning
    for name, meaning in DEFINITIONS.items():
        assert f"<th>{html.escape(name)}</th><td class='num'>" in page
        assert html.escape(meaning) in page
    assert "66.7%" in page
    # A4 landscape
    assert "size: A4 landscape" in page


def test_states_differ_in_pattern_not_only_colour():
    """Red-green colour blind readers: met/missed differ in hue family (blue/orange) and
    pattern; no two states share a (colour, hatch, mark)."""
    assert len({STYLE[s] for s in STYLE}) == len(STYLE)
    assert STYLE[MET][1] != STYLE[MISSED][1] and STYLE[NO_STATS][1]
    for colour in (STYLE[MET][0], STYLE[MISSED][0]):
        r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert not (g > r and g > b), "no green for a state"


def test_empty_frame_renders():
    page = render_html(frame().iloc[0:0])
    assert "No attainment rows yet" in page


# --------------------------------------------------------------------------- progress


class _Cells(HTMLParser):
    """The progress cells of a page, read from the DOM: (indicator, district) -> status,
    the status word printed in the cell, and the section's one-line note if any."""

    def __init__(self):
        super().__init__()
        self.cells, self.words, self._open, self.sections, self._h3 = {}, {}, None, [], False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "td" and "data-status" in a:
            self._open = (a["data-indicator"], a["data-district"])
            self.cells[self._open] = a["data-status"]
            self.words[self._open] = ""
        self._h3 = tag == "h3"

    def handle_endtag(self, tag):
        if tag == "td":
            self._open = None
        self._h3 = False

    def handle_data(self, data):
        if self._open:
            self.words[self._open] += data
        if self._h3:
            self.sections.append(data)


def progress_cells(page: str) -> _Cells:
    p = _Cells()
    p.feed(page)
    return p


def progress_frame() -> pd.DataFrame:
    def r(ind, district, level, year, status, actual, required, baseline=None):
        return {"plan_id": "p1", "plan_title": "某市“十四五”规划", "indicator_name": ind,
                "district_name": district, "level": level, "year": year, "status": status,
                "actual": actual, "required": required, "baseline_year": 2020,
                "baseline": baseline, "status_note": "note"}
    return pd.DataFrame([
        r("预期指标", "某市", "city", 2021, "on track", 7.2, 6.0, 5.5),
        r("预期指标", "某市", "city", 2022, "limited", 6.1, 6.2, 5.5),
        r("预期指标", "某市", "city", 2023, "insufficient data", None, 6.4, 5.5),
        r("预期指标", "甲区", "district", 2021, "moderate", 5.0, 6.0, 4.0),
        r("约束指标", "某市", "city", 2023, "achieved", 91.0, 90.0, 80.0),
        r("约束指标", "甲区", "district", 2023, "insufficient data", None, None),
    ])


def test_progress_section_statuses():
    page = render_html(frame(), progress=progress_frame())
    cells = progress_cells(page)
    assert "Progress toward the end-year target" in cells.sections
    # the latest year WITH an actual (2022 for the city, not 2023's insufficient data)
    assert cells.cells == {("预期指标", "某市"): "limited", ("预期指标", "甲区"): "moderate",
                           ("约束指标", "某市"): "achieved",
                           ("约束指标", "甲区"): "insufficient data"}
    for key, status in cells.cells.items():
        assert cells.words[key].startswith(status)  # the word is visible, not only a colour
    # insufficient data looks different from every colour state
    styles = re.findall(r"data-status='([^']+)'[^>]*style='([^']+)'", page)
    by_status = {s: st for s, st in styles}
    assert by_status["insufficient data"] not in {by_status[s] for s in by_status
                                                  if s != "insufficient data"}
    assert "dashed" in by_status["insufficient data"]
    # the small multiples get one more figure line but no new image
    assert len(re.findall(r'src="data:image/png', page)) == 3


def test_required_path_drawn():
    """The required path changes the target-vs-actual figure (and only when present)."""
    from pipelines.report_figures import _required_path, target_vs_actual

    f = frame()
    order = indicator_order(f)
    path = _required_path(progress_frame(), "预期指标")
    assert list(path.index) == [2020, 2021, 2022, 2023]
    assert list(path.values) == [5.5, 6.0, 6.2, 6.4]
    assert _required_path(progress_frame(), "文字目标") is None
    assert target_vs_actual(f, order) != target_vs_actual(f, order, progress=progress_frame())


def test_progress_section_without_rows():
    for progress in (None, progress_frame().iloc[0:0]):
        page = render_html(frame(), progress=progress)
        assert "No progress rows (fct_progress is empty or missing)." in page
        assert not progress_cells(page).cells


def test_a_relative_target_is_no_milestone():
    """翻一番 has no number in the grammar (comparator milestone) but is judged on its
    resolved level: the report counts it met/missed and draws that level, not 10 for
    增长10%."""
    from pipelines.report_figures import MILESTONE, milestone_rows, state, target_levels

    frame = pd.DataFrame([
        {"comparator": "milestone", "relative_kind": "multiple", "attained": True,
         "target_value": None, "target_resolved": 1000.0},
        {"comparator": ">=", "relative_kind": "percent", "attained": False,
         "target_value": 10.0, "target_resolved": 55.0},
        {"comparator": "milestone", "relative_kind": None, "attained": None,
         "target_value": None, "target_resolved": None},
        {"comparator": ">=", "relative_kind": None, "attained": True,
         "target_value": 90.0, "target_resolved": None},
    ])
    assert milestone_rows(frame).tolist() == [False, False, True, False]
    assert [state(r) for r in frame.to_dict("records")] == [MET, MISSED, MILESTONE, MET]
    assert target_levels(frame).tolist()[:2] == [1000.0, 55.0]
    assert target_levels(frame).tolist()[3] == 90.0
