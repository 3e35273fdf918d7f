"""Header words by role: the one vocabulary the readers find columns with.

A reader never matches a header against a fixed list of labels. It scores a
header cell against every role below (the longest word of a role found in the
header wins, so ``主要工作举措`` is *measures* although it holds ``工作``, and
``相关工作目标(指标)`` is *indicator* although it holds ``目标``), then weighs
that against what the column holds (extractors.layouts: targets, years,
numbers, short names, long sentences). An unseen label still finds its role
from its words or, failing that, from its content.

Headers are compared after NFKC and with whitespace removed (the readers'
``normalise_text``), so full-width forms need no entry of their own.

Sections: plan tables (CONTRACT section 3), region words, and at the end a
placeholder for the statistics reader's roles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache


@dataclass(frozen=True)
class Role:
    name: str
    gloss: str  # English meaning, for `planwh explain` and the docs
    words: tuple[str, ...]  # Chinese (and English) header words, any order
    exact: tuple[str, ...] = ()  # words that count only as the whole header (or its start)


def _longest_hit(header: str, role: Role) -> int:
    """Length of the longest word of ``role`` in ``header`` (0 when none)."""
    best = max((len(w) for w in role.words if w in header), default=0)
    for w in role.exact:
        if header == w or (header.startswith(w) and not header[len(w):len(w) + 1].isalnum()):
            best = max(best, len(w))
    return best


def score_roles(header: str, roles: tuple[Role, ...]) -> dict[str, int]:
    """Role name -> score (longest matching word) for one header text; roles
    without a hit are left out."""
    return dict(_scores(header, roles))


_MEMO: dict[tuple[str, int], tuple[tuple[Role, ...], tuple[tuple[str, int], ...]]] = {}
_MEMO_MAX = 8192


def _scores(header: str, roles: tuple[Role, ...]) -> tuple[tuple[str, int], ...]:
    """Memoised per (header, role set): headers repeat across tables and rows. The
    entry keeps the role tuple itself, so its id is not reused while cached."""
    key = (header, id(roles))
    entry = _MEMO.get(key)
    if entry is not None and entry[0] is roles:
        return entry[1]
    h = header.lower()
    found = tuple((role.name, s) for role in roles if (s := _longest_hit(h, role)))
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.clear()
    _MEMO[key] = (roles, found)
    return found


def role_word(header: str, role_name: str, roles: tuple[Role, ...]) -> str | None:
    """The word of role ``role_name`` found in ``header`` (the longest), for explanations."""
    h = header.lower()
    role = next((r for r in roles if r.name == role_name), None)
    if role is None:
        return None
    found = [w for w in role.words if w in h] + [w for w in role.exact if h.startswith(w)]
    return max(found, key=len) if found else None


def best_role(header: str, roles: tuple[Role, ...]) -> str | None:
    """The role whose word is longest in ``header`` (earlier roles win ties)."""
    scores = _scores(header, roles)
    if not scores:
        return None
    top = max(s for _, s in scores)
    return next(name for name, s in scores if s == top)


# --------------------------------------------------------------------------- plans

# Order matters only for ties (earlier wins).
PLAN_ROLES: tuple[Role, ...] = (
    Role("seq", "sequence number", ("序号", "编号", "序列", "no."), exact=("序", "号", "no")),
    Role("category", "category (a group of indicators)",
         ("类别", "分类", "类型", "领域", "指标类别", "板块", "维度")),
    Role("task", "task (工作任务)",
         ("工作任务", "任务", "重点任务", "主要任务", "重点工作", "工作内容", "工作项目", "项目名称",
          "task")),
    Role("status", "status quo (现状), text",
         ("现状", "基本情况", "工作基础", "现有基础", "发展基础", "存在问题", "status")),
    Role("measures", "measures (主要工作举措), text",
         ("举措", "措施", "工作举措", "主要工作举措", "实施路径", "工作措施", "主要做法", "measures")),
    Role("indicator", "indicator (指标, 相关工作目标(指标))",
         ("指标", "指标名称", "工作目标", "相关工作目标", "目标(指标)", "目标指标", "主要指标",
          "考核指标", "绩效指标", "考核内容", "评价指标", "指标项", "indicator"),
         exact=("名称", "项目")),
    Role("unit", "unit of measure",
         ("计量单位", "计算单位", "统计单位", "度量单位", "unit"), exact=("单位",)),
    Role("target_group", "targets (a group header over year columns)",
         ("年度目标", "目标值", "目标", "规划目标", "预期目标", "分年度目标", "年度计划", "target")),
    Role("base", "base-year or actual value (基数, 完成情况), not a target",
         ("基数", "基期", "基准", "基期值", "基准值", "现状值", "完成情况", "实际完成", "完成值", "实际值",
          "执行情况", "baseline")),
    Role("growth", "annual growth or cumulative change (not a target)",
         ("年均增长", "年均增速", "累计", "增长率", "增幅", "年均", "growth")),
    Role("binding", "binding (约束性/预期性)", ("属性", "指标属性", "指标性质", "性质", "约束性/预期性")),
    Role("weight", "weight or score (not a target)", ("权重", "分值", "分数", "评分", "考核分", "weight")),
    Role("note", "note", ("备注", "说明", "附注", "note"), exact=("注",)),
    Role("responsible", "responsible body",
         ("责任单位", "牵头单位", "责任部门", "牵头部门", "配合单位", "责任主体", "实施主体",
          "主责单位", "责任处室")),
)
PLAN_ROLE_NAMES = tuple(r.name for r in PLAN_ROLES)
PLAN_GLOSS = {r.name: r.gloss for r in PLAN_ROLES} | {
    "year": "target year",
    "base_year": "base-year value",
    "text": "text (no known header word; long sentences)",
    "name": "names (no known header word; short labels)",
    "dates": "years or dates in the body (a deadline, not a target year)",
    "numbers": "plain numbers under a header that names no role or year",
    "values": "target-like values under a header that names no year",
    "other": "other column",
}

# Words that qualify a year in a year header (2020年目标值, 2015年基数, 2020E).
YEAR_QUALIFIERS = (
    "年度", "年", "目标值", "目标", "预期值", "预期", "规划值", "规划", "计划", "基数", "基期值",
    "基期", "基准值", "基准", "现状值", "现状", "实际值", "实际", "完成值", "完成", "预计", "数", "值",
    "末", "底", "水平", "e", "(e)", "(预期)", "(目标)", "(基数)", "(预计)",
    "到", "至", "达到", "力争", "截至", "截止", "完成情况", "情况", "期末", "期初", "指标值",
)
BASE_WORDS = ("基数", "基期", "基准", "现状", "实际", "完成", "预计", "截至", "截止", "期初")
# A 4-digit year 1949-2100, standing alone (not inside a longer number).
YEAR_TOKEN = re.compile(r"(?<!\d)(19[5-9]\d|1949|20\d\d|2100)(?!\d)")
_QUALIFIER_RE = re.compile(
    r"十[一二三四五六七八九]五(?:规划)?(?:期)?|[“”\"'《》]|"
    + "|".join(re.escape(w) for w in sorted(YEAR_QUALIFIERS, key=len, reverse=True))
)


_PAREN_NOTE = re.compile(r"[(\[【][^()\[\]【】\d]{1,8}[)\]】]")
_BRACKETS = str.maketrans("", "", "()[]【】:: ")


@lru_cache(maxsize=4096)
def year_word(text: str) -> tuple[int, bool] | None:
    """(year, is_base) when ``text`` (a compact header, Chinese-numeral years
    already digits) is a year header: one 4-digit year 1949-2100 with nothing
    around it but year qualifiers (年, 年度, 目标, 基数, E, …) — ``2016``,
    ``2016年``, ``2020年目标值``, ``2015年基数``, ``目标2020``. ``备注1950``,
    ``2016-2020年`` and ``年均增长2016`` are not year headers."""
    t = text.lower()
    years = YEAR_TOKEN.findall(t)
    if len(years) != 1:
        return None
    rest = _PAREN_NOTE.sub("", YEAR_TOKEN.sub("", t, count=1))  # 2020年目标(%): a unit
    if _QUALIFIER_RE.sub("", rest).translate(_BRACKETS):
        return None
    return int(years[0]), any(w in rest for w in BASE_WORDS)


def has_year(text: str) -> bool:
    """A year 1949-2100 anywhere (for "this header names a period")."""
    return YEAR_TOKEN.search(text) is not None


# --------------------------------------------------------------------------- regions

REGION_ROLE = Role(
    "region", "district or region name",
    ("地区", "区域", "城市", "市县", "县(市、区)", "县(市区)", "区县", "县市区", "区、县(市)",
     "行政区", "行政区划", "district", "region", "city", "area"),
    exact=("单位", "名称", "区", "县", "市"),
)

# --- statistics
# (the statistics reader's roles go here: metric, year, value, unit line,
# total/subtotal rows, ...; REGION_ROLE above is shared.)
