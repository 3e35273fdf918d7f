"""Plan documents along every axis of CONTRACT §3-4, with gold records from the spec.

``plan_spec(seed, i)`` samples one document's axis values independently (a
document is a deterministic function of the seed and its index) and builds a
``tools.plan_writer.PlanDoc``; ``gold`` holds its expected target records
(CONTRACT §4 fields that are matched and scored: indicator_name, year, scope,
comparator, target_value, target_value_high, target_unit), each carrying the
document's axis values and the record's own (``target_kind``). Nothing here
reads a rendered document back.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tools.plan_writer import (
    Cell,
    Heading,
    PageBreak,
    Paragraph,
    PlanDoc,
    Table,
    Target,
    normalise,
)
from tools.variety.targets import KINDS, kind_fits, make_target

# --------------------------------------------------------------------------- axes

# Each axis: its values. A document samples each axis independently; axes that
# do not apply to its layout are recorded as "n/a".
PLAN_AXES: dict[str, tuple] = {
    "layout": ("A", "B"),
    "header_rows": (1, 2, 3),
    "indicator_head": ("相关工作目标（指标）", "指标", "指标名称", "主要指标", "相关工作目标(指标)"),
    "task_head": ("工作任务", "重点任务", "任务", "主要任务"),
    "year_group": ("年度目标", "年度目标值", "分年度目标"),
    "status_head": ("现状（包括影响工作的主要因素）", "现状", "基础", "现状（2015年）"),
    "measures_head": ("主要工作举措或具体工作内容（包括针对性解决问题的措施）", "主要工作举措", "工作举措"),
    "year_label": ("2016年", "2016", "二〇一六年", "２０１６", "２０１６年", "2016年目标"),
    "period": ("2016-2020", "2018-2020", "2021-2025"),
    "column_order": ("standard", "indicator_early", "no_measures", "minimal"),
    "extra_columns": ("none", "备注", "责任单位", "责任单位_before_years", "both"),
    "unit_place": ("cell", "column"),
    "task_merge": ("merged", "single", "repeated"),
    "indicator_cell": ("measure", "sentence"),
    # a table split into two Word tables: the second without a header, after a page
    # break or not, after a 续表 ("table continued") line, or repeating the header
    "split": ("one_table", "word_tables_page_break", "word_tables_no_break",
              "word_tables_xubiao", "word_tables_own_header"),
    "repeat_header": ("yes", "no"),
    "text_length": ("short", "wrapped", "long"),
    "table_rows": ("short", "long"),
    "b_header": ("指标", "指标名称", "主要指标"),
    "b_target_label": ("2020年", "2020", "2020年目标", "２０２０年"),
    "b_category": ("merged", "repeated", "row"),  # row: a category row spanning the table
    "b_unit_in_cell": ("no", "yes"),
    # observed, not sampled: what the reportlab page layout did (n/a for other formats)
    "rl_table_over_pages": ("yes", "no"),
    "rl_row_broken": ("yes", "no"),
}
OBSERVED = ("rl_table_over_pages", "rl_row_broken")
# axes of one record (not of its document): the grammar rule its cell exercises, which
# Word table of a split table holds it, whether a reportlab page break put it on a
# continuation page
RECORD_AXES = ("target_kind", "word_table", "rl_page")
LAYOUT_A_ONLY = ("indicator_head", "task_head", "year_group", "status_head", "measures_head",
                 "year_label", "period", "column_order", "extra_columns", "unit_place",
                 "task_merge", "indicator_cell")
LAYOUT_B_ONLY = ("b_header", "b_target_label", "b_category", "b_unit_in_cell")

CN_DIGITS = "〇一二三四五六七八九"

# indicators: (name, unit, direction)
INDICATORS = [
    ("每千名老年人拥有养老床位数", "张", "up"), ("居家养老服务照料中心覆盖率", "%", "up"),
    ("养老机构护理型床位占比", "%", "up"), ("社区居家养老服务站数量", "个", "up"),
    ("民办养老机构数", "家", "up"), ("老年电大办学点", "所", "up"),
    ("享受养老服务补贴老年人数", "人", "up"), ("养老服务业投入资金", "万元", "up"),
    ("人均预期寿命", "岁", "up"), ("PM2.5年均浓度控制", "微克/立方米", "down"),
    ("城镇登记失业率", "%", "down"), ("婴儿死亡率", "%", "down"),
    ("单位生产总值能耗降低", "%", "down"), ("化学需氧量排放减少", "%", "down"),
    ("城乡社区老年活动室覆盖率", "%", "up"), ("医养结合机构数", "家", "up"),
    ("家庭医生签约服务率", "%", "up"), ("老年人健康管理率", "%", "up"),
    ("社会养老服务设施项目", "项", "up"), ("养老护理员持证上岗率", "%", "up"),
    ("农村幸福院数量", "个", "up"), ("智慧养老服务平台接入人数", "人", "up"),
    ("老年大学在校学员人数", "人", "up"), ("公办养老机构床位数", "张", "up"),
    ("失能老人护理床位数", "张", "up"), ("老年食堂数量", "家", "up"),
    ("空气质量优良天数比例", "%", "up"), ("地表水达标率", "%", "up"),
    ("生活垃圾无害化处理率", "%", "up"), ("新增城镇就业人数", "人", "up"),
    ("养老服务专项资金", "万元", "up"), ("社区卫生服务中心数量", "所", "up"),
]  # fmt: skip
TASKS = [
    "构建事业产业协同发展的大养老体系", "完善居家养老服务网络", "推进医养结合", "提升机构养老服务能力",
    "加强养老服务人才队伍建设", "推进智慧养老", "改善生态环境质量", "促进就业创业", "发展老年教育",
    "健全养老服务补贴制度", "推进农村养老服务", "强化养老服务监管",
]  # fmt: skip
SECTIONS = ["1.构建事业产业协同发展的大养老体系", "2.完善养老服务设施网络", "3.提升养老服务质量",
            "（一）主要发展指标", "二、重点任务", "第三章 保障措施"]  # fmt: skip
FILLER = ("全市老年人口持续增长，养老服务需求日益多样化，服务供给总量不足、结构不优，"
          "农村养老服务基础薄弱，专业护理人才短缺，")
MEASURES = ("加大财政投入力度，完善政策扶持体系，推动社会力量参与，建立考核评价机制，"
            "整合社区服务资源，强化部门协同配合，")


def year_label(style: str, year: int) -> str:
    if style == "2016年":
        return f"{year}年"
    if style == "2016":
        return str(year)
    if style == "二〇一六年":
        return "".join(CN_DIGITS[int(d)] for d in str(year)) + "年"
    if style == "２０１６":
        return "".join(chr(0xFF10 + int(d)) for d in str(year))
    if style == "２０１６年":
        return "".join(chr(0xFF10 + int(d)) for d in str(year)) + "年"
    if style == "2016年目标":
        return f"{year}年目标"
    raise ValueError(style)


@dataclass
class Spec:
    """One generated plan document: its PlanDoc, axis values and gold records."""

    stem: str
    fmt: str
    doc: PlanDoc
    axes: dict
    gold: list[dict] = field(default_factory=list)

    @property
    def file_name(self) -> str:
        return f"{self.stem}.{'docx' if self.fmt == 'docx' else 'pdf'}"


def sample_axes(rng: random.Random, fmt: str) -> dict:
    axes = {name: rng.choice(values) for name, values in PLAN_AXES.items()
            if name not in OBSERVED}
    axes["format"] = fmt
    if axes["layout"] == "B":
        axes["header_rows"] = rng.choice((1, 2))
        for a in LAYOUT_A_ONLY:
            axes[a] = "n/a"
    else:
        for a in LAYOUT_B_ONLY:
            axes[a] = "n/a"
        if axes["header_rows"] == 1:
            axes["year_group"] = "n/a"
        if axes["column_order"] in ("no_measures", "minimal"):
            axes["measures_head"] = "n/a"
        if axes["column_order"] == "minimal":
            axes["status_head"] = "n/a"
    if fmt == "docx":
        axes["repeat_header"] = "n/a"  # a DOCX has no pages: the header is not redrawn
    axes["rl_table_over_pages"] = axes["rl_row_broken"] = "n/a"  # set after a reportlab layout
    return axes


# --------------------------------------------------------------------------- layout A


def _long(rng: random.Random, base: str, length: str) -> str:
    if length == "short":
        return base[: rng.randint(6, 12)].rstrip("，")
    n = rng.randint(18, 30) if length == "wrapped" else rng.randint(60, 110)
    text = (base * 4)[:n].rstrip("，")
    return text + "。"


def _pick_kind(rng: random.Random, unit: str, direction: str, unit_in_cell: bool) -> str:
    while True:
        kind = rng.choice(KINDS)
        if direction == "down" and kind in ("ge_prefix", "ge_suffix", "full", "scope_split",
                                            "n_done", "wan", "cn_numeral"):
            continue
        if direction == "down" and kind == "relative":  # 增长X% of a rate meant to fall
            continue
        if direction == "up" and kind in ("le_prefix", "le_suffix"):
            continue
        if kind_fits(kind, unit, unit_in_cell):
            return kind


def _target_cell(rng, kind, unit, indicator, unit_in_cell, unit_column) -> tuple[Cell, list]:
    text, exp = make_target(rng, kind, unit, indicator, unit_in_cell, unit_column)
    targets = tuple(Target(c, v, h, u, scope) for scope, c, v, h, u in exp) or None
    return Cell(text, targets=targets), exp


FONT_SIZES = (7.5, 6.5, 5.5)  # table font sizes tried in turn until the columns fit


def _widths(roles: list[str], total: float = 475.0) -> tuple[list[float], float]:
    """Column widths (points) for A4 portrait and the table's font size: the
    largest of FONT_SIZES at which every column holds its longest unbreakable
    text (years, ranges such as 92.5～95.5%, 各区、县（市）政府)."""
    fixed = {"no": 20.0, "unit": 44.0, "indicator": 56.0, "remark": 36.0, "dept": 60.0,
             "year": 48.0, "category": 30.0, "growth": 44.0, "binding": 36.0, "base": 44.0}
    flex = {"task": 2.0, "status": 3.0, "measures": 4.0}
    least = {"task": 40.0, "status": 48.0, "measures": 40.0}
    for size in FONT_SIZES:
        k = size / FONT_SIZES[0]
        used = sum(fixed[r] * k for r in roles if r in fixed)
        weights = sum(flex[r] for r in roles if r in flex)
        rest = total - used
        widths = [fixed[r] * k if r in fixed else rest * flex[r] / weights for r in roles]
        if all(w >= least[r] * k for w, r in zip(widths, roles, strict=True) if r in flex) \
                and rest >= 0:
            return widths, size
    raise ValueError("too many columns for A4 portrait")


def layout_a_tables(rng: random.Random, axes: dict, names: list, first_task: int) -> list[dict]:
    """The layout-A table(s) of one section: rows, gold, and how to split."""
    y0, y1 = (int(x) for x in axes["period"].split("-"))
    years = list(range(y0, y1 + 1))
    unit_col = axes["unit_place"] == "column"
    lead = {
        "standard": ["no", "task", "status", "measures", "indicator"],
        "indicator_early": ["no", "task", "indicator", "status", "measures"],
        "no_measures": ["no", "task", "status", "indicator"],
        "minimal": ["no", "task", "indicator"],
    }[axes["column_order"]]
    if unit_col:
        lead = lead[: lead.index("indicator") + 1] + ["unit"] + lead[lead.index("indicator") + 1 :]
    extra = axes["extra_columns"]
    before = ["dept"] if extra == "责任单位_before_years" else []
    after = {"备注": ["remark"], "责任单位": ["dept"], "both": ["dept", "remark"]}.get(extra, [])
    roles = lead + before + ["year"] * len(years) + after
    widths, size = _widths(roles)
    heads = {
        "no": "序号", "task": axes["task_head"], "status": axes["status_head"],
        "measures": axes["measures_head"], "indicator": axes["indicator_head"], "unit": "单位",
        "dept": "责任单位", "remark": "备注",
    }
    labels = [year_label(axes["year_label"], y) for y in years]
    n_rows_h = axes["header_rows"]
    year_cols = [i for i, r in enumerate(roles) if r == "year"]
    yc0, ny = year_cols[0], len(year_cols)
    header: list[list[Cell | None]] = [[None] * len(roles) for _ in range(n_rows_h)]
    if n_rows_h == 1:
        for i, r in enumerate(roles):
            header[0][i] = Cell(labels[year_cols.index(i)] if r == "year" else heads[r])
    elif n_rows_h == 2:
        for i, r in enumerate(roles):
            if r != "year":
                header[0][i] = Cell(heads[r], rowspan=2)
        header[0][yc0] = Cell(axes["year_group"], colspan=ny)
        for k, i in enumerate(year_cols):
            header[1][i] = Cell(labels[k])
    else:  # 3 rows: 目标 over (indicator [unit] | year group over years)
        ind = roles.index("indicator")
        between = set(roles[ind:yc0])
        span_start = ind if between <= {"indicator", "unit"} else yc0
        spanned = list(range(span_start, yc0 + ny))
        for i, r in enumerate(roles):
            if i not in spanned:
                header[0][i] = Cell(heads[r], rowspan=3)
        header[0][span_start] = Cell("目标", colspan=len(spanned))
        for i in spanned:
            if roles[i] != "year":
                header[1][i] = Cell(heads[roles[i]], rowspan=2)
        header[1][yc0] = Cell(axes["year_group"], colspan=ny)
        for k, i in enumerate(year_cols):
            header[2][i] = Cell(labels[k])

    n_tasks = rng.randint(2, 4) if axes["table_rows"] == "short" else rng.randint(6, 10)
    body: list[list[Cell | None]] = []
    gold: list[dict] = []
    groups: list[tuple[int, int]] = []  # body row ranges of one task
    used_sentence = False
    for t in range(n_tasks):
        task_no = str(first_task + t + 1)
        task_name = TASKS[(first_task + t) % len(TASKS)]
        merge = axes["task_merge"]
        k = 1 if merge == "single" else rng.randint(2, 3)
        sentence = axes["indicator_cell"] == "sentence" and k == 1
        used_sentence = used_sentence or sentence
        status = _long(rng, FILLER, axes["text_length"])
        measures = _long(rng, MEASURES, axes["text_length"])
        g0 = len(body)
        for j in range(k):
            name, unit, direction = names.pop()
            row: list[Cell | None] = [None] * len(roles)
            lead_cells = {"no": task_no, "task": task_name, "status": status, "measures": measures}
            for i, r in enumerate(roles):
                if r in lead_cells:
                    if merge == "merged" and k > 1:
                        row[i] = Cell(lead_cells[r], rowspan=k) if j == 0 else None
                    else:
                        row[i] = Cell(lead_cells[r])
            if sentence:
                ind_text = f"{name}稳步提升，达到全省先进水平。"
            else:
                ind_text = name
            row[roles.index("indicator")] = Cell(ind_text)
            if unit_col:
                row[roles.index("unit")] = Cell(unit)
            for i, r in enumerate(roles):
                if r == "dept":
                    row[i] = Cell(rng.choice(["市民政局", "市卫健委", "市财政局、市民政局", "各区、县（市）政府"]))
                elif r == "remark":
                    row[i] = Cell(rng.choice(["", "新增指标", "约束性", "—"]))
            indicator_name = normalise(task_name if sentence else name)
            for k_y, col in enumerate(year_cols):
                kind = _pick_kind(rng, unit, direction, not unit_col)
                cell, exp = _target_cell(rng, kind, unit, indicator_name, not unit_col,
                                         unit if unit_col else None)
                row[col] = cell
                for scope, c, v, h, u in exp:
                    gold.append(dict(indicator_name=indicator_name, year=years[k_y], scope=scope,
                                     comparator=c, target_value=v, target_value_high=h,
                                     target_unit=u, target_text=normalise(cell.text),
                                     task_no=task_no, target_kind=kind, _body_row=len(body)))
            body.append(row)
        groups.append((g0, len(body)))
    if axes["indicator_cell"] == "sentence" and not used_sentence:
        axes["indicator_cell"] = "measure"  # no single-indicator task: say what was written
    return [dict(header=header, body=body, widths=widths, gold=gold, groups=groups,
                 columns={"task_no": roles.index("no")}, font_size=size)]


# --------------------------------------------------------------------------- layout B


def layout_b_tables(rng: random.Random, axes: dict, names: list, first_no: int) -> list[dict]:
    base_year, target_year = rng.choice([(2015, 2020), (2020, 2025)])
    widths, size = _widths(["category", "no", "task", "unit", "base", "year", "growth", "binding"])
    target_label = axes["b_target_label"].replace("2020", str(target_year)).replace(
        "２０２０", "".join(chr(0xFF10 + int(d)) for d in str(target_year)))
    heads = ["类别", "序号", axes["b_header"], "单位", f"{base_year}年", target_label,
             "年均增长[累计]", "属性"]
    if axes["header_rows"] == 1:
        header = [[Cell(h) for h in heads]]
    else:
        header = [
            [Cell(h, rowspan=2) for h in heads[:4]] + [Cell("规划目标", colspan=2), None]
            + [Cell(h, rowspan=2) for h in heads[6:]],
            [None] * 4 + [Cell(heads[4]), Cell(heads[5])] + [None, None],
        ]
    in_cell = axes["b_unit_in_cell"] == "yes"
    n_cat = rng.randint(1, 2) if axes["table_rows"] == "short" else rng.randint(3, 5)
    body: list[list[Cell | None]] = []
    gold: list[dict] = []
    groups = []
    no = first_no
    cat_row = axes["b_category"] == "row"
    for cat in range(n_cat):
        k = rng.randint(2, 4) if axes["table_rows"] == "short" else rng.randint(3, 6)
        cat_name = ["经济发展", "民生福祉", "资源环境", "社会保障", "公共服务"][cat % 5]
        g0 = len(body)
        if cat_row:  # 一、经济发展 across the table (no 类别 column): no record
            body.append([Cell(f"{'一二三四五'[cat]}、{cat_name}", colspan=7)] + [None] * 6)
        for j in range(k):
            name, unit, direction = names.pop()
            no += 1
            if axes["b_category"] == "merged":
                category = Cell(cat_name, rowspan=k) if j == 0 else None
            else:
                category = Cell(cat_name)
            kind = _pick_kind(rng, unit, direction, in_cell)
            cell, exp = _target_cell(rng, kind, unit, normalise(name), in_cell, unit)
            base_text, _ = rng.choice([("85", 1), ("4.1", 1), ("—", 0), ("1200", 1)])
            growth = rng.choice(["[5]", "3.5%", "—", "〔10〕"])
            binding = rng.choice(["约束性", "预期性"])
            row = [category, Cell(str(no)), Cell(name), Cell(unit), Cell(base_text), cell,
                   Cell(growth), Cell(binding)]
            body.append(row[1:] if cat_row else row)
            for scope, c, v, h, u in exp:
                gold.append(dict(indicator_name=normalise(name), year=target_year, scope=scope,
                                 comparator=c, target_value=v, target_value_high=h,
                                 target_unit=u, target_text=normalise(cell.text),
                                 task_no=str(no), target_kind=kind, _body_row=len(body) - 1))
        if axes["b_category"] == "repeated":
            groups += [(r, r + 1) for r in range(g0, len(body))]
        else:  # merged 类别, or a category row: the group is split only before it
            groups.append((g0, len(body)))
    if cat_row:
        header = [[c for c in row[1:]] for row in header]
        freed, widths = widths[0], widths[1:]
        widths[1] += freed  # the 类别 column's width goes to 指标
    return [dict(header=header, body=body, widths=widths, gold=gold, groups=groups,
                 columns={"task_no": 0 if cat_row else 1}, font_size=size)]


# --------------------------------------------------------------------------- document


def plan_spec(seed: int, index: int, formats: tuple[str, ...]) -> Spec:
    """Document ``index`` of ``seed``: deterministic, independent of the others.

    The axes are drawn once; when the content drawn for them cannot be laid
    out (the reportlab writer refuses a merged group taller than a page), only
    the content is drawn again, so that no axis value is favoured by the
    retries. Axes are drawn anew only when no content fits them."""
    fmt = formats[(seed + index) % len(formats)]  # formats in turn: each equally often
    for round_ in range(10):
        axes0 = sample_axes(random.Random(f"plan-axes:{seed}:{index}:{round_}"), fmt)
        for attempt in range(12):
            rng = random.Random(f"plan:{seed}:{index}:{round_}:{attempt}")
            axes = dict(axes0)
            try:
                spec = _build(rng, seed, index, fmt, axes)
                if fmt == "rl-pdf":
                    _check_pdf_layout(spec)
            except (ValueError, IndexError):
                continue
            for g in spec.gold:
                g.setdefault("rl_page", "n/a")
                for k in ("_block", "_first_block", "_grid_row"):
                    del g[k]
            return spec
    raise RuntimeError(f"no valid spec for seed {seed} document {index}")


def _build(rng: random.Random, seed: int, index: int, fmt: str, axes: dict) -> Spec:
    names = list(INDICATORS)
    rng.shuffle(names)
    n_tables = 1 if axes["table_rows"] == "long" else rng.randint(1, 2)
    blocks: list = [Paragraph("为贯彻落实上级部署，结合本市实际，制定本计划。各项目标如下表所示。")]
    gold: list[dict] = []
    t_index = 0
    first = 0
    n_split = 0
    for t in range(n_tables):
        section = SECTIONS[(index + t) % len(SECTIONS)]
        blocks.append(Heading(section, level=1))
        if axes["layout"] == "A":
            parts = layout_a_tables(rng, axes, names, first)
        else:
            parts = layout_b_tables(rng, axes, names, first)
        part = parts[0]
        first += len(part["groups"])
        tables, cut = _split(rng, axes, part)
        n_split += len(tables) > 1
        first_block = sum(isinstance(b, Table) for b in blocks)
        for k, tbl in enumerate(tables):
            if k > 0 and axes["split"] != "word_tables_no_break":
                blocks.append(PageBreak())
            if k > 0 and axes["split"] == "word_tables_xubiao":
                blocks.append(Paragraph("续表", indent=False))
            blocks.append(tbl)
        n_head = len(part["header"])
        for g in part["gold"]:
            g = dict(g, section=normalise(section), table_part=t_index)
            row = g.pop("_body_row")
            second = cut is not None and row >= cut
            own = axes["split"] == "word_tables_own_header"
            g["word_table"] = ("n/a" if cut is None else "first" if not second
                               else "second (own header)" if own else "second (no header)")
            # where the row is, for the reportlab page layout (see _check_pdf_layout)
            g["_first_block"] = first_block
            g["_block"] = first_block + second
            g["_grid_row"] = row - cut + (n_head if own else 0) if second else n_head + row
            gold.append(g)
        t_index += 1
        blocks.append(Paragraph("注：以上目标为约束性或预期性指标，由各责任单位分解落实。"))
    if not n_split:
        axes["split"] = "one_table"  # too few tasks to split: say what was written
    stem = f"v{seed}_{index:04d}_{axes['layout']}"
    spec = Spec(stem, fmt, PlanDoc(f"某市养老服务体系建设计划（样本{index}）", blocks), axes)
    keys = set()
    for g in gold:
        key = (g["indicator_name"], g["year"], g["scope"])
        if key in keys:
            raise ValueError(f"duplicate gold key {key}")
        keys.add(key)
        g["source_file"] = spec.file_name
    spec.gold = gold
    return spec


def _split(rng: random.Random, axes: dict, part: dict) -> list[Table]:
    """One Table, or two Word tables (the second without a header) split at a task boundary."""
    repeat = axes["repeat_header"] != "no"
    header, body, widths, groups = part["header"], part["body"], part["widths"], part["groups"]
    kw = dict(layout=None, columns=part["columns"], repeat_header=repeat,
              font_size=part["font_size"],
              split_rows=axes["text_length"] == "long")
    if axes["split"] == "one_table" or len(groups) < 2:
        return [Table(header, body, widths, **kw)], None
    cut = groups[rng.randint(1, len(groups) - 1)][0]
    second_header = header if axes["split"] == "word_tables_own_header" else []
    return [Table(header, body[:cut], widths, **kw),
            Table(second_header, body[cut:], widths, **kw)], cut


def _check_pdf_layout(spec: Spec) -> None:
    """The reportlab writer refuses some layouts (a merged group taller than a
    page, a broken row losing its 序号): find out now, so the spec is re-drawn."""
    import os
    import tempfile

    from tools.plan_writer import write_pdf

    fd, tmp = tempfile.mkstemp(suffix=".pdf")
    os.close(fd)
    try:
        layout = write_pdf(spec.doc, tmp)
    finally:
        os.unlink(tmp)
    # what the page layout did (known for reportlab only: the writer decides the pages)
    spec.axes["rl_table_over_pages"] = "yes" if any(a != b for a, b in layout.table_pages) else "no"
    spec.axes["rl_row_broken"] = "yes" if layout.split_rows else "no"
    for g in spec.gold:
        page = layout.row_pages[g["_block"]][g["_grid_row"]]
        head = layout.row_pages[g["_first_block"]][0]
        g["rl_page"] = "continuation page" if page > head else "header page"


def sample_plans(seed: int, n: int, formats: tuple[str, ...]) -> list[Spec]:
    return [plan_spec(seed, i, formats) for i in range(n)]
