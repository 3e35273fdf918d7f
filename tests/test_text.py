"""extractors.text: NFKC and the joining of line-wrapped CJK text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractors.text import normalise_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("居家养 老服务", "居家养老服务"),
        ("微克\n/立方米", "微克/立方米"),  # a compound unit wrapped before its slash
        ("万元 / 人", "万元/人"),
        ("居家养\n老服务\n照料中心", "居家养老服务照料中心"),
        ("居家养\u3000老服务", "居家养老服务"),
        ("城市全 覆盖,农村 90%全 覆盖。", "城市全覆盖,农村90%全覆盖。"),
        ("覆盖 率达 100%", "覆盖率达100%"),
        ("2016 年", "2016年"),
        ("不低于 4 张", "不低于4张"),
        ("4个区、 县 (市)完成", "4个区、县(市)完成"),
        ("1. 分层分类", "1.分层分类"),
        ("“三位 一体” 的", "“三位一体”的"),
        ("90 %", "90%"),
    ],
)
def test_wrapped_cjk_text_is_joined(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("全覆盖①", "全覆盖①"),  # NFKC would give 全覆盖1, read as a quantity
        ("不低于４张 ②", "不低于4张②"),
        ("①养老 ②救助", "①养老②救助"),
        ("试点⑴", "试点(1)"),  # ⑴ numbers a list item: NFKC
        ("全覆盖²", "全覆盖²"),
    ],
)
def test_enclosed_numbers_are_kept(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("２０１６年", "2016年"),
        ("（包括影响工作的主要因素）", "(包括影响工作的主要因素)"),
        ("不低于４张；覆盖率达１００％", "不低于4张;覆盖率达100%"),
        ("３～５个", "3~5个"),
    ],
)
def test_nfkc_turns_full_width_forms_into_ascii(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("20 16年", "20 16年"),  # two digits: not CJK, the space stays
        ("社区  APP\t等", "社区 APP 等"),  # next to Latin words: one space
        ("  PM   浓度 ", "PM 浓度"),
        ("PM2.5 浓度", "PM2.5浓度"),  # a digit and CJK: joined
        ("a\n\nb", "a b"),
    ],
)
def test_other_whitespace_collapses_to_one_space(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


@pytest.mark.parametrize("raw", [None, "", " ", "\n\t\u3000", "\u200b"])
def test_blank_gives_empty_string(raw: str | None) -> None:
    assert normalise_text(raw) == ""


def test_zero_width_characters_are_dropped() -> None:
    assert normalise_text("养\u200b老\ufeff服务") == "养老服务"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_normalise_is_idempotent_and_stripped(s: str) -> None:
    once = normalise_text(s)
    assert normalise_text(once) == once
    assert once == once.strip()
    assert "  " not in once and "\n" not in once


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("万元GDP\n能耗", "万元GDP能耗"),  # Latin | CJK wrapped by the layout
        ("单位\nGDP能耗", "单位GDP能耗"),
        ("97%-\n99%", "97%-99%"),  # a range wrapped after its dash
        ("600~\n700张", "600~700张"),
        ("万元 GDP", "万元 GDP"),  # a real space next to Latin stays
        ("Hangzhou\nCity", "Hangzhou City"),  # between Latin words a break is a space
        ("1\n2016", "1 2016"),  # two numbers across a break never fuse
    ],
)
def test_line_breaks_from_layout(raw, expected):
    assert normalise_text(raw) == expected
