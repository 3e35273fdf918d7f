"""Generate the plan-document fixture corpus in tests/fixtures/plans/ with gold records.

Six specs, each written as DOCX and as PDF (twelve documents), plus
``<file>.gold.jsonl`` per document built from the same spec (never by parsing
the documents). Every document is invented fixture data; together the target
cells cover every parsing rule of CONTRACT section 4 (see COVERAGE below and
tests/test_plan_corpus.py).

    .venv/bin/python tools/make_plan_fixtures.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))

from plan_writer import (  # noqa: E402
    TS,
    Cell,
    Heading,
    M,
    Paragraph,
    PlanDoc,
    T,
    Table,
    b_row,
    layout_a,
    layout_b,
    task_rows,
    write_pair,
)

OUT = ROOT / "tests" / "fixtures" / "plans"
WIDE = [18.0, 36.0, 60.0, 86.0, 55.0] + [44.0] * 5  # wider year columns (475pt)
WIDER = [18.0, 30.0, 48.0, 79.0, 50.0] + [50.0] * 5

# ----------------------------------------------------------------------------- filler
# Status (现状) and measures (举措) cells: invented prose that makes rows tall
# enough for tables to run over several PDF pages. Not part of any record.

_STATUS = [
    "现有工作基础较好，但区域之间发展不平衡，农村地区设施和服务相对薄弱。",
    "相关政策体系初步建立，资金投入逐年增加，专业人才队伍仍然不足。",
    "信息化水平不高，部门之间数据共享不够，服务效率有待提升。",
    "社会力量参与程度不高，市场化运营机制尚未形成。",
]
_MEASURES = [
    "完善政策制度，明确各级职责分工，建立健全考核评价机制。",
    "加大财政投入，统筹使用各类资金，提高资金使用绩效。",
    "推进信息化建设，依托智慧平台实现数据共享和业务协同。",
    "培育发展社会组织，鼓励社会力量参与，形成多元供给格局。",
    "加强专业人才培养，开展岗位培训和职业技能评价。",
    "强化监督检查，定期通报工作进展，确保各项任务落到实处。",
]


def status(k: int, n: int = 2) -> str:
    return "".join(_STATUS[(k + i) % len(_STATUS)] for i in range(n))


def measures(k: int, n: int = 3) -> str:
    return "\n".join(f"{i + 1}.{_MEASURES[(k + i) % len(_MEASURES)]}" for i in range(n))


def contacts_table() -> Table:
    """A non-plan table (responsible offices): skipped, but it counts in source_table."""
    head = [[Cell("责任处室"), Cell("联系人"), Cell("联系电话"), Cell("备注")]]
    body = [
        [Cell("养老服务处"), Cell("王丽"), Cell("0571-85100001"), Cell("牵头")],
        [Cell("社会救助处"), Cell("陈刚"), Cell("0571-85100002"), Cell("")],
        [Cell("基层政权和社区建设处"), Cell("李明"), Cell("0571-85100003"), Cell("配合")],
    ]
    return Table(head, body, [160.0, 80.0, 120.0, 115.0])


def intro(name: str) -> list:
    return [
        Paragraph(
            f"为贯彻落实全市“十三五”规划纲要，明确{name}工作的目标任务和推进措施，"
            "结合工作实际，制定本规划。规划期限为2016—2020年。"
        ),
    ]


# ----------------------------------------------------------------------------- specs


def elderly() -> tuple[PlanDoc, dict]:
    """Layout A, two-row header; >= wordings, 全覆盖, scope splits, milestones, blanks.
    PDF: the plan table runs over 3+ pages with a repeated header and a broken row."""
    rows = []
    rows += task_rows(
        "1",
        "居家养老服务照料中心全覆盖",
        status(0, 3),
        measures(0, 5),
        [
            (
                "照料中心覆盖率",
                [
                    TS(
                        "城市全覆盖，农村90%全覆盖。",
                        ("城市", ">=", 100, None, "%"),
                        ("农村", ">=", 90, None, "%"),
                    ),
                    T("全覆盖", ">=", 100, None, "%"),
                    T("覆盖率达到100%", ">=", 100, None, "%"),
                    T("覆盖率达100%", ">=", 100, None, "%"),
                    Cell("—"),
                ],
            ),
            (
                "老年助餐服务点数量",
                [
                    T("不少于500个", ">=", 500, None, "个"),
                    T("600个以上", ">=", 600, None, "个"),
                    T("≥700个", ">=", 700, None, "个"),
                    T("达800个", ">=", 800, None, "个"),
                    T("提高到900个", ">=", 900, None, "个"),
                ],
            ),
        ],
    )
    rows += task_rows(
        "2",
        "社会养老床位数不断增加",
        status(1, 3),
        measures(1, 6),
        [
            (
                "每千名老人拥有社会养老床位数",
                [
                    T("不低于45张", ">=", 45, None, "张"),
                    T("不低于46张", ">=", 46, None, "张"),
                    T("不低于４８张", ">=", 48, None, "张"),
                    T("不低于49张", ">=", 49, None, "张"),
                    T("不低于50张", ">=", 50, None, "张"),
                ],
            ),
            (
                "护理型床位占比",
                [
                    TS(
                        "城市不低于50%，农村不低于30%",
                        ("城市", ">=", 50, None, "%"),
                        ("农村", ">=", 30, None, "%"),
                    ),
                    TS(
                        "城市55%，农村35%",
                        ("城市", ">=", 55, None, "%"),
                        ("农村", ">=", 35, None, "%"),
                    ),
                    Cell(""),
                    Cell(""),
                    T("60%", ">=", 60, None, "%"),
                ],
            ),
        ],
    )
    rows += task_rows(
        "3",
        "加强养老服务人才队伍建设",
        status(2, 4),
        measures(2, 6),
        [
            (
                "养老护理员持证上岗率",
                [
                    M("建立培训制度"),
                    T("达到85%", ">=", 85, None, "%"),
                    T("达到90%", ">=", 90, None, "%"),
                    T("达到95%", ">=", 95, None, "%"),
                    T("全部培训完成", ">=", 100, None, "%"),
                ],
            )
        ],
    )
    rows += task_rows(
        "4",
        "推进医养结合",
        status(3, 4),
        measures(3, 6),
        [
            (
                "养老机构医养结合签约率",
                [
                    T("不低于80%", ">=", 80, None, "%"),
                    T("不低于85%", ">=", 85, None, "%"),
                    T("不低于90%", ">=", 90, None, "%"),
                    T("不低于95%", ">=", 95, None, "%"),
                    T("全覆盖", ">=", 100, None, "%"),
                ],
            )
        ],
    )
    rows += task_rows(
        "5",
        "发展智慧养老服务",
        status(0, 4),
        measures(4, 6),
        [
            (
                "智慧养老服务平台建设",
                [
                    M("试点启动"),
                    M("完成市级平台建设"),
                    M("平台推广应用"),
                    Cell(""),
                    M("全面推广应用"),
                ],
            )
        ],
    )
    rows += task_rows(
        "6",
        "培育养老服务产业",
        status(1, 4),
        measures(5, 6),
        [
            (
                "连锁化运营的养老服务组织",
                [
                    T("20家以上", ">=", 20, None, "家"),
                    T("25家以上", ">=", 25, None, "家"),
                    T("30家以上", ">=", 30, None, "家"),
                    T("35家以上", ">=", 35, None, "家"),
                    T("40家以上", ">=", 40, None, "家"),
                ],
            )
        ],
    )
    for k, (name, ind, word) in enumerate(
        [
            ("推进农村养老服务", "农村居家养老服务站点", "个"),
            ("提升养老机构服务质量", "星级养老机构", "家"),
            ("发展老年教育", "老年学校", "所"),
        ]
    ):
        targets = [T(f"不少于{n}{word}", ">=", n, None, word) for n in (100, 120, 140, 160, 180)]
        rows += task_rows(str(7 + k), name, status(k, 6), measures(k, 6), [(ind, targets)])
    table = layout_a(rows, widths=list(WIDE), split_rows=True, repeat_header=True)
    doc = PlanDoc(
        "杭州市养老服务体系建设“十三五”绩效规划",
        intro("养老服务")
        + [
            Heading("一、关键指标和重点工作目标", 1),
            Heading("1.构建居家社区机构相协调的养老服务体系", 2),
            Paragraph(
                "指标内容：到2020年，全面建成以居家为基础、社区为依托、机构为补充、"
                "医养相结合的养老服务体系。"
            ),
            table,
            Heading("二、责任分工", 1),
            contacts_table(),
        ],
    )
    return doc, {"min_pages": 3, "split": True}


def governance() -> tuple[PlanDoc, dict]:
    """Layout A: header variants (年度目标值, 2016 without 年, full-width digits);
    N个区、县(市)完成, N%社区完成, 所有/全部…完成, Chinese numerals; a non-plan table
    first. PDF: the first plan table runs over 3+ pages WITHOUT a repeated header."""
    rows = []
    targets = [
        (
            "社区治理创新完成率",
            [
                M("试点启动"),
                T("25%社区完成", ">=", 25, None, "%"),
                T("55%社区完成", ">=", 55, None, "%"),
                T("80%社区完成", ">=", 80, None, "%"),
                T("全部社区完成", ">=", 100, None, "%"),
            ],
        ),
        (
            "智慧社区建设",
            [
                M("试点启动"),
                T("4个区、县（市）完成", ">=", 4, None, "个"),
                T("8个区、县（市）完成", ">=", 8, None, "个"),
                T("十二个区、县（市）完成", ">=", 12, None, "个"),
                T("所有区、县（市）完成", ">=", 100, None, "%"),
            ],
        ),
        (
            "农村社区服务中心规范化建设",
            [
                T("30%社区完成", ">=", 30, None, "%"),
                T("50%社区完成", ">=", 50, None, "%"),
                T("70%社区完成", ">=", 70, None, "%"),
                T("90%社区完成", ">=", 90, None, "%"),
                T("全部完成", ">=", 100, None, "%"),
            ],
        ),
        (
            "社区减负增效",
            [
                M("制定社区工作事项准入清单"),
                T("3个区、县（市）完成", ">=", 3, None, "个"),
                T("6个区、县（市）完成", ">=", 6, None, "个"),
                T("所有区、县（市）完成", ">=", 100, None, "%"),
                M("巩固提升"),
            ],
        ),
        (
            "社会组织孵化基地",
            [
                T("不少于五个", ">=", 5, None, "个"),
                T("不少于八个", ">=", 8, None, "个"),
                T("不少于十个", ">=", 10, None, "个"),
                T("不少于十二个", ">=", 12, None, "个"),
                T("不少于十五个", ">=", 15, None, "个"),
            ],
        ),
        (
            "持证社会工作者人数",
            [
                T("不少于五千人", ">=", 5000, None, "人"),
                T("不少于六千人", ">=", 6000, None, "人"),
                Cell("—"),
                T("不少于八千人", ">=", 8000, None, "人"),
                T("不少于一万人", ">=", 10000, None, "人"),
            ],
        ),
    ]
    names = [
        "加大城乡社区治理创新力度",
        "推进智慧社区建设",
        "加强农村社区建设",
        "减轻社区工作负担",
        "培育发展社会组织",
        "加强社会工作人才队伍建设",
    ]
    for k, (name, ind) in enumerate(zip(names, targets, strict=True)):
        rows += task_rows(str(k + 1), name, status(k, 4), measures(k, 6), [ind])
    labels = ("2016", "２０１７年", "2018年", "2019", "2020年")
    table1 = layout_a(
        rows, group="年度目标值", year_labels=labels, widths=list(WIDE), repeat_header=False
    )
    # second plan table: one-row header, years only in the header row
    rows2 = task_rows(
        "1",
        "推进区划地名管理",
        status(2, 1),
        measures(2, 2),
        [
            (
                "地名标志设置完好率",
                [
                    T("达到95%", ">=", 95, None, "%"),
                    T("达到96%", ">=", 96, None, "%"),
                    T("达到97%", ">=", 97, None, "%"),
                    T("达到98%", ">=", 98, None, "%"),
                    T("达到99%", ">=", 99, None, "%"),
                ],
            )
        ],
    )
    table2 = layout_a(rows2, group=None, widths=list(WIDE))
    doc = PlanDoc(
        "杭州市基层社会治理“十三五”绩效规划",
        intro("基层社会治理")
        + [
            Heading("一、责任处室", 1),
            contacts_table(),
            Heading("二、关键指标和重点工作目标", 1),
            Heading("（一）创新基层社会治理体系", 2),
            Paragraph(
                "指标内容：以“共治+自治”为核心、以“智慧服务”为导向，深入推进城乡社区"
                "治理和服务创新。"
            ),
            table1,
            Heading("（二）优化专项社会事务服务", 2),
            table2,
        ],
    )
    return doc, {"min_pages": 3, "no_repeat": True}


def assistance() -> tuple[PlanDoc, dict]:
    """Layout A: <= wordings; bare numbers with and without a down word in the indicator
    name; explicit line breaks inside cells; a one-row header in the second table."""
    ind1 = [
        (
            "城镇登记失业率",
            [
                T("3.5%", "<=", "3.5", None, "%"),
                T("不高于3.5%", "<=", "3.5", None, "%"),
                T("不超过3.5%", "<=", "3.5", None, "%"),
                T("控制在3.5%以\n内", "<=", "3.5", None, "%"),
                T("3.5%以下", "<=", "3.5", None, "%"),
            ],
        ),
        (
            "婴儿死亡率",
            [
                T("5‰", "<=", 5, None, "‰"),
                T("≤5‰", "<=", 5, None, "‰"),
                T("下降到4.8‰", "<=", "4.8", None, "‰"),
                T("降至4.6‰", "<=", "4.6", None, "‰"),
                T("4.5‰以下", "<=", "4.5", None, "‰"),
            ],
        ),
    ]
    ind2 = [
        (
            "万元GDP能耗",
            [
                T("0.50吨标煤", "<=", "0.50", None, "吨标煤"),
                T("0.48吨标煤", "<=", "0.48", None, "吨标煤"),
                T("0.46吨标煤", "<=", "0.46", None, "吨标煤"),
                T("0.44吨标煤", "<=", "0.44", None, "吨标煤"),
                T("0.42吨标煤", "<=", "0.42", None, "吨标煤"),
            ],
        ),
        (
            "殡仪馆二氧化硫排放量",
            [
                T("3200吨", "<=", 3200, None, "吨"),
                T("3000吨", "<=", 3000, None, "吨"),
                T("2800吨", "<=", 2800, None, "吨"),
                T("2600吨", "<=", 2600, None, "吨"),
                T("2400吨", "<=", 2400, None, "吨"),
            ],
        ),
    ]
    ind3 = [
        (
            "医疗救助自付比例降低",
            [
                T("35%", "<=", 35, None, "%"),
                T("33%", "<=", 33, None, "%"),
                T("31%", "<=", 31, None, "%"),
                T("30%", "<=", 30, None, "%"),
                T("28%", "<=", 28, None, "%"),
            ],
        ),
        (
            "救助投诉率下降",
            [
                T("2%", "<=", 2, None, "%"),
                T("1.8%", "<=", "1.8", None, "%"),
                T("1.6%", "<=", "1.6", None, "%"),
                T("1.4%", "<=", "1.4", None, "%"),
                T("1.2%", "<=", "1.2", None, "%"),
            ],
        ),
        (
            "减少流浪乞讨人员",
            [
                T("300人", "<=", 300, None, "人"),
                T("280人", "<=", 280, None, "人"),
                T("260人", "<=", 260, None, "人"),
                T("240人", "<=", 240, None, "人"),
                T("220人", "<=", 220, None, "人"),
            ],
        ),
        (
            "控制低保错保率",
            [
                T("1%", "<=", 1, None, "%"),
                T("1%", "<=", 1, None, "%"),
                T("0.8%", "<=", "0.8", None, "%"),
                T("0.8%", "<=", "0.8", None, "%"),
                T("0.5%", "<=", "0.5", None, "%"),
            ],
        ),
    ]
    rows = task_rows("1", "稳定就业\n困难群体", status(0, 1), measures(0, 2), ind1)
    rows += task_rows("2", "推进绿色殡葬", status(1, 1), measures(1, 2), ind2)
    rows += task_rows("3", "完善社会救\n助体系", status(2, 2), measures(2, 3), ind3)
    table1 = layout_a(rows, widths=list(WIDE))
    # one-row header; bare numbers without a down word -> >=
    rows2 = task_rows(
        "1",
        "提高城乡低保标准",
        status(3, 1),
        measures(3, 2),
        [
            (
                "低保标准年均增幅",
                [
                    T("8%", ">=", 8, None, "%"),
                    T("8%", ">=", 8, None, "%"),
                    T("7.5%", ">=", "7.5", None, "%"),
                    T("7.5%", ">=", "7.5", None, "%"),
                    T("7%", ">=", 7, None, "%"),
                ],
            ),
            (
                "临时救助人次",
                [
                    T("1200", ">=", 1200, None, None),
                    T("1300", ">=", 1300, None, None),
                    T("1400", ">=", 1400, None, None),
                    T("1500", ">=", 1500, None, None),
                    T("1600", ">=", 1600, None, None),
                ],
            ),
        ],
    )
    table2 = layout_a(rows2, group=None, widths=list(WIDE))
    doc = PlanDoc(
        "杭州市社会救助“十三五”绩效规划",
        intro("社会救助")
        + [
            Heading("一、关键指标", 1),
            Heading("1.构建城乡一体的大社会救助体系", 2),
            table1,
            Heading("2.提高社会救助保障水平", 2),
            Paragraph("指标内容：建立低保标准动态调整机制，保障困难群众基本生活。"),
            table2,
        ],
    )
    return doc, {}


def numbers() -> tuple[PlanDoc, dict]:
    """Layout A: ranges (X-Y, X～Y, X至Y), about (X左右, 约X), number forms (67,293,
    10.5万, 百分之九十, Chinese numerals, full-width digits, 万元); a non-plan table between
    two plan tables. PDF: a row broken across a page break."""
    ind1 = [
        (
            "新增养老床位",
            [
                T("67,293张", ">=", 67293, None, "张"),
                T("5000张左右", "about", 5000, None, "张"),
                T("约5500张", "about", 5500, None, "张"),
                T("600～700张", "between", 600, 700, "张"),
                T("700至800张", "between", 700, 800, "张"),
            ],
        ),
        (
            "养老服务满意度",
            [
                T("85%-90%", "between", 85, 90, "%"),
                T("约80%", "about", 80, None, "%"),
                T("达到百分之九十", ">=", 90, None, "%"),
                T("90%左右", "about", 90, None, "%"),
                T("92%-95%", "between", 92, 95, "%"),
            ],
        ),
    ]
    ind2 = [
        (
            "享受养老服务补贴人数",
            [
                T("不少于10.5万", ">=", 105000, None, None),
                T("不少于11万", ">=", 110000, None, None),
                T("不少于11.5万", ">=", 115000, None, None),
                T("不少于12万", ">=", 120000, None, None),
                T("不少于12.5万", ">=", 125000, None, None),
            ],
        ),
        (
            "新建老年食堂",
            [
                T("不少于五十家", ">=", 50, None, "家"),
                T("不少于六十家", ">=", 60, None, "家"),
                T("不少于七十家", ">=", 70, None, "家"),
                T("不少于八十家", ">=", 80, None, "家"),
                T("不少于１００家", ">=", 100, None, "家"),
            ],
        ),
        (
            "慈善募集资金",
            [
                T("不低于500万元", ">=", 500, None, "万元"),
                T("不低于600万元", ">=", 600, None, "万元"),
                T("700-750万元", "between", 700, 750, "万元"),
                T("不低于800万元", ">=", 800, None, "万元"),
                T("不低于1,000万元", ">=", 1000, None, "万元"),
            ],
        ),
    ]
    rows = task_rows("1", "扩大养老服务供给", status(0, 4), measures(0, 6), ind1)
    rows += task_rows("2", "完善养老服务补贴制度", status(1, 6), measures(1, 6), ind2)
    long_single = task_rows(
        "3",
        "发展慈善事业",
        status(2, 8),
        measures(2, 6) + "\n" + measures(3, 6),
        [
            (
                "慈善组织数量",
                [
                    T("不少于１２０家", ">=", 120, None, "家"),
                    T("130家以上", ">=", 130, None, "家"),
                    T("140家以上", ">=", 140, None, "家"),
                    T("150家以上", ">=", 150, None, "家"),
                    T("约160家", "about", 160, None, "家"),
                ],
            )
        ],
    )
    rows += long_single
    rows += task_rows(
        "4",
        "推进志愿服务",
        status(3, 8),
        measures(4, 6) + "\n" + measures(5, 6),
        [
            (
                "注册志愿者占常住人口比例",
                [
                    T("10%～12%", "between", 10, 12, "%"),
                    T("12%～14%", "between", 12, 14, "%"),
                    T("14%至16%", "between", 14, 16, "%"),
                    T("约16%", "about", 16, None, "%"),
                    T("18%左右", "about", 18, None, "%"),
                ],
            )
        ],
    )
    table1 = layout_a(rows, widths=list(WIDER), split_rows=True)
    rows2 = task_rows(
        "1",
        "加强儿童福利保障",
        status(1, 1),
        measures(1, 2),
        [
            (
                "孤儿基本生活保障标准",
                [
                    T("每月不低于1,800元", ">=", 1800, None, "元"),
                    T("每月不低于1,900元", ">=", 1900, None, "元"),
                    T("每月不低于2,000元", ">=", 2000, None, "元"),
                    T("每月不低于2,100元", ">=", 2100, None, "元"),
                    T("每月不低于2,200元", ">=", 2200, None, "元"),
                ],
            )
        ],
    )
    table2 = layout_a(rows2, widths=list(WIDE))
    doc = PlanDoc(
        "杭州市慈善和养老服务“十三五”绩效规划",
        intro("慈善和养老服务")
        + [
            Heading("一、关键指标和重点工作目标", 1),
            Heading("（一）养老和慈善", 2),
            table1,
            Heading("（二）责任分工", 2),
            contacts_table(),
            Heading("（三）儿童福利", 2),
            table2,
        ],
    )
    return doc, {"split": True}


def five_year() -> tuple[PlanDoc, dict]:
    """Layout B, one-row header: merged 类别, baselines (numbers, 3,106, 10.5万, none),
    约束性/预期性, target cells with and without their own unit, milestone."""
    body = [
        b_row("1", "每千名老年人拥有社会养老床位数", "张", "40", "40",
              T("50", ">=", 50, None, "张"), "[10]", "预期性", Cell("养老服务", rowspan=3)),
        b_row("2", "居家养老服务照料中心覆盖率", "%", "95", "95",
              T("100", ">=", 100, None, "%"), "—", "约束性"),
        b_row("3", "护理型床位占比", "%", "30", "30",
              T("≥50", ">=", 50, None, "%"), "—", "预期性"),
        b_row("4", "城乡低保标准", "元/月", "744", "744",
              T("不低于1000", ">=", 1000, None, "元/月"), "6.1%", "约束性",
              Cell("社会救助", rowspan=2)),
        b_row("5", "低保错保率", "%", "2.1", "2.1",
              T("控制在1%以内", "<=", 1, None, "%"), "—", "约束性"),
        b_row("6", "城乡社区数", "个", "3,106", "3106",
              T("约3200", "about", 3200, None, "个"), "—", "预期性",
              Cell("社会治理", rowspan=3)),
        b_row("7", "每万人拥有社会组织数", "个", "12.5", "12.5",
              T("15左右", "about", 15, None, "个"), "[2.5]", "预期性"),
        b_row("8", "持证社会工作者人数", "人", "10.5万", "105000",
              T("不少于15万", ">=", 150000, None, "人"), "7.4%", "预期性"),
        b_row("9", "火化率", "%", "—", None,
              T("100", ">=", 100, None, "%"), "—", "约束性", Cell("专项事务", rowspan=3)),
        b_row("10", "生态安葬率", "%", "20", "20",
              T("达到百分之四十", ">=", 40, None, "%"), "[20]", "预期性"),
        b_row("11", "双拥模范城创建", "", "已命名", None,
              M("保持全国双拥模范城称号"), "—", "约束性"),
    ]  # fmt: skip
    table = layout_b(body)
    doc = PlanDoc(
        "杭州市民政事业发展第十三个五年规划",
        intro("民政事业发展")
        + [
            Heading("一、发展目标", 1),
            Paragraph(
                "到2020年，基本建成与全市经济社会发展水平相适应的现代民政事业体系。主要指标见下表。"
            ),
            Heading("（一）“十三五”民政事业发展主要指标", 2),
            table,
        ],
    )
    return doc, {}


def mixed() -> tuple[PlanDoc, dict]:
    """Both layouts in one document: layout B with a two-row header (指标名称, 发展目标
    over full-width ２０１５年 and 2020 without 年), a non-plan table, then layout A with
    年度目标值 and mixed target wordings."""
    header = [
        [Cell("类别", rowspan=2), Cell("序号", rowspan=2), Cell("指标名称", rowspan=2),
         Cell("单位", rowspan=2), Cell("发展目标", colspan=2), None,
         Cell("年均增长〔累计〕", rowspan=2), Cell("属性", rowspan=2)],
        [None, None, None, None, Cell("２０１５年"), Cell("2020"), None, None],
    ]  # fmt: skip
    body = [
        b_row("1", "城镇登记失业率", "%", "2.0", "2.0",
              T("3.5", "<=", "3.5", None, "%"), "—", "预期性", Cell("民生保障", rowspan=2)),
        b_row("2", "城乡居民最低生活保障标准", "元", "8,868", "8868",
              T("不低于12,000", ">=", 12000, None, "元"), "6.2%", "约束性"),
        b_row("3", "新增社区养老服务用房", "万平方米", "—", None,
              T("30～40", "between", 30, 40, "万平方米"), "—", "预期性",
              Cell("设施建设", rowspan=2)),
        b_row("4", "建成区、县（市）级福利中心", "个", "9", "9",
              T("13个", ">=", 13, None, "个"), "—", "约束性"),
    ]  # fmt: skip
    table_b = layout_b(body, header=header)
    rows = task_rows(
        "1",
        "提升婚姻登记服务水平",
        status(0, 2),
        measures(0, 3),
        [
            (
                "婚姻登记机关标准化建设",
                [
                    T("3个区、县（市）完成", ">=", 3, None, "个"),
                    T("6个区、县（市）完成", ">=", 6, None, "个"),
                    T("9个区、县（市）完成", ">=", 9, None, "个"),
                    T("全部完成", ">=", 100, None, "%"),
                    M("巩固提升"),
                ],
            ),
            (
                "婚姻登记群众满意率",
                [
                    T("达95%", ">=", 95, None, "%"),
                    T("不低于96%", ">=", 96, None, "%"),
                    T("约97%", "about", 97, None, "%"),
                    T("97%-99%", "between", 97, 99, "%"),
                    T("≥98%", ">=", 98, None, "%"),
                ],
            ),
        ],
    )
    rows += task_rows(
        "2",
        "加强救助管理",
        status(1, 2),
        measures(1, 3),
        [
            (
                "一是落实救助管理机构标准化建设。二是提高救助服务质量。",
                [
                    M("制定标准"),
                    T("50%机构达标", ">=", 50, None, "%"),
                    T("80%机构达标", ">=", 80, None, "%"),
                    T("不超过3个机构未达标", "<=", 3, None, "个"),
                    T("全覆盖", ">=", 100, None, "%"),
                ],
            )
        ],
    )
    table_a = layout_a(rows, group="年度目标值", widths=list(WIDE))
    doc = PlanDoc(
        "杭州市民政事业“十三五”规划实施方案",
        intro("民政事业")
        + [
            Heading("第一章 主要指标", 1),
            table_b,
            Heading("第二章 责任处室", 1),
            contacts_table(),
            Heading("第三章 年度工作目标", 1),
            Heading("一、专项社会事务", 2),
            table_a,
        ],
    )
    return doc, {}


SPECS = {
    "养老服务体系建设绩效规划": elderly,
    "community_governance_plan": governance,
    "社会救助绩效规划": assistance,
    "numbers_and_ranges_plan": numbers,
    "民政事业发展十三五规划": five_year,
    "mixed_layouts_plan": mixed,
}

COVERAGE = """\
养老服务体系建设绩效规划  A two-row header; vertical merges; 不低于 不少于 X以上 ≥ 达到 达 提高到;
                          全覆盖; 全部…完成; scope splits; milestones; blank and — cells; full-width
                          digits; contacts table after. PDF: plan table over 3+ pages, repeated
                          header, a row broken over a page break.
community_governance_plan A 年度目标值, years 2016 / ２０１７年 / 2019 (no 年); N个区、县(市)完成;
                          N%社区完成; 所有/全部…完成; Chinese numerals; contacts table first; a
                          one-row-header table. PDF: table over 3+ pages, no repeated header.
社会救助绩效规划          A <= wordings 不高于 不超过 控制在…以内 X以下 ≤ 下降到 降至; bare numbers
                          with 失业率 死亡率 能耗 排放 降低 下降 减少 控制 and without; <w:br/>
                          / wrapped cells; one-row header.
numbers_and_ranges_plan   A X-Y X～Y X至Y; X左右 约X; 67,293 10.5万 百分之九十 五十 十二 full-width;
                          万元; contacts table between plan tables. PDF: broken row.
民政事业发展十三五规划    B one-row header; merged 类别; baselines 40 / 3,106 / 10.5万 / — / text;
                          约束性/预期性; unit from 单位 column; milestone.
mixed_layouts_plan        B two-row header (指标名称, 发展目标 over ２０１５年 / 2020) + contacts +
                          A 年度目标值; list-type indicator falls back to 工作任务.
"""


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for stem, make in SPECS.items():
        doc, want = make()
        res = write_pair(doc, OUT, stem)
        layout = res["pdf"][1]
        spans = [last - first + 1 for first, last in layout.table_pages]
        print(f"{stem}: pdf pages={layout.pages} table pages={spans} split={layout.split_rows}")
        if want.get("min_pages") and max(spans) < want["min_pages"]:
            raise SystemExit(f"{stem}: no table spans {want['min_pages']} pages")
        if want.get("split") and not layout.split_rows:
            raise SystemExit(f"{stem}: no row broken across a page break")


if __name__ == "__main__":
    main()
