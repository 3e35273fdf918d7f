"""Plans that revise and overlap each other (issue #17, revised plans; docs/time.md).

Written as DOCX to tests/fixtures/plans/revisions/, with gold records beside them
(``<file>.gold.jsonl``, from the spec). Every figure is invented for the tests; the
indicators map to metrics of the sample raw/reference (每百名老人拥有养老机构床位数 ->
beds_per_100_elderly, 居家养老服务照料中心覆盖率 -> care_centre_coverage).

- ``five_year_plan``: a 2016-2020 layout-A plan with two indicators (beds per 100
  elderly: 4.2, 4.3, 4.5, 4.7, 4.9; care-centre coverage: 90, 92, 95, 97, 100 %).
- ``mid_term_adjustment``: a mid-term adjustment (中期评估 / 调整) naming the plan in 《》
  and in force 自2018年1月1日起执行; its table restates only the beds indicator, lower
  from 2018 (4.4, 4.6, 4.8).
- ``beds_2019_2020``: a document that does not say it revises anything (beds 2019-2020:
  4.55, 4.7); tests map it to the five-year plan in plan_revisions.csv.
- ``annual_plan_2018``: the 2018 annual work plan, with its own coverage target (96 %)
  for a year the five-year plan also targets (95 %): shown side by side, not a revision.

    .venv/bin/python tools/make_revision_plans.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plan_writer import Heading, Paragraph, PlanDoc, T, layout_a, task_rows, write_pair  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "plans" / "revisions"

PLAN_TITLE = "杭州市民政局“十三五”养老服务绩效规划"
BEDS = "每百名老人拥有养老机构床位数"
COVERAGE = "居家养老服务照料中心覆盖率"


def widths(n_years: int) -> list[float]:
    return [18.0, 38.0, 64.0, 102.0, 43.0] + [42.0] * n_years


def beds(values: dict[int, str]) -> list:
    return [T(f"{v}张", ">=", v, unit="张") for v in values.values()]


def coverage(values: dict[int, str]) -> list:
    return [T(f"{v}%", ">=", v, unit="%") for v in values.values()]


def five_year_plan() -> PlanDoc:
    years = (2016, 2017, 2018, 2019, 2020)
    body = task_rows("1", "推进养老服务设施建设", "床位总量不足", "新建和改建养老机构", [
        (BEDS, beds(dict(zip(years, ("4.2", "4.3", "4.5", "4.7", "4.9"), strict=True)))),
    ]) + task_rows("2", "推进社区居家养老", "照料中心布局不均", "建设社区照料中心", [
        (COVERAGE, coverage(dict(zip(years, ("90", "92", "95", "97", "100"), strict=True)))),
    ])
    return PlanDoc(PLAN_TITLE, [
        Paragraph("本规划是指导“十三五”时期养老服务绩效管理工作的依据，规划期限为2016—2020年。"),
        Heading("1.构建事业产业协同发展的大养老体系", 2),
        layout_a(body, years=years, widths=widths(len(years))),
    ])


def mid_term_adjustment() -> PlanDoc:
    years = (2018, 2019, 2020)
    body = task_rows("1", "推进养老服务设施建设", "用地指标调整", "调整新建养老机构进度", [
        (BEDS, beds(dict(zip(years, ("4.4", "4.6", "4.8"), strict=True)))),
    ])
    return PlanDoc(f"杭州市民政局关于调整《{PLAN_TITLE}》部分指标的通知", [
        Paragraph(f"经中期评估，对《{PLAN_TITLE}》部分指标作如下调整，自2018年1月1日起执行；"
                  "未列出的指标仍按原规划执行。"),
        Heading("1.构建事业产业协同发展的大养老体系", 2),
        layout_a(body, years=years, widths=widths(len(years))),
    ])


def beds_2019_2020() -> PlanDoc:
    years = (2019, 2020)
    body = task_rows("1", "推进养老服务设施建设", "床位建设进度", "加快养老机构建设", [
        (BEDS, beds(dict(zip(years, ("4.55", "4.7"), strict=True)))),
    ])
    return PlanDoc("杭州市民政局养老床位建设目标（2019—2020年）", [
        Paragraph("养老床位建设目标如下。"),
        Heading("1.养老床位", 2),
        layout_a(body, years=years, widths=widths(len(years))),
    ])


def annual_plan_2018() -> PlanDoc:
    body = task_rows("1", "推进社区居家养老", "照料中心布局不均", "新建社区照料中心", [
        (COVERAGE, coverage({2018: "96"})),
    ])
    return PlanDoc("杭州市民政局2018年度养老服务工作计划", [
        Paragraph("2018年度养老服务工作目标如下。"),
        Heading("1.社区居家养老", 2),
        layout_a(body, years=(2018,), widths=widths(1)),
    ])


DOCS = {
    "five_year_plan": five_year_plan,
    "mid_term_adjustment": mid_term_adjustment,
    "beds_2019_2020": beds_2019_2020,
    "annual_plan_2018": annual_plan_2018,
}


def main() -> None:
    for stem, make in DOCS.items():
        write_pair(make(), OUT, stem, formats=("docx",))
        print(OUT / f"{stem}.docx")


if __name__ == "__main__":
    main()
