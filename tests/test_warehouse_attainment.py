"""The attainment build through the loaders, on DuckDB and PostgreSQL: hand-computed rows,
the view, every comparator, missing statistics (the build SQL's given/expect cases:
test_sql_fct_attainment.py)."""

from __future__ import annotations

import pytest

from tests.helpers import (
    DISTRICTS,
    MAPPINGS,
    METRICS,
    STATS,
    attainment,
    fetch,
    make_plan,
    rec,
    stats_frame,
)
from warehouse import load as wl
from warehouse.attainment import build_attainment

# --------------------------------------------------------------------------- attainment


def test_attainment_hand_computed(loaded):
    a = attainment(loaded)
    assert len(a) == 16
    # city ratio = sum(numerators) / sum(denominators) x 100 over the districts valid in 2020:
    # (45 + 20 + 85) / (50 + 40 + 100) = 150/190 = 78.947...%, not the mean of rates (75%)
    level, actual, attained, gap = a[("社区覆盖率", "330100", 2020)]
    assert level == "city" and actual == pytest.approx(150 / 190 * 100)
    assert attained is False and gap == pytest.approx(150 / 190 * 100 - 90)
    # 2021: 江干区 330104 no longer exists; its stray 2021 statistics are ignored
    assert ("社区覆盖率", "330104", 2021) not in a
    assert a[("社区覆盖率", "330100", 2021)][1] == pytest.approx(155 / 170 * 100)
    # district figures: num/den, float noise does not flip >= 90
    assert a[("社区覆盖率", "330102", 2020)][1:3] == (pytest.approx(90.0), True)
    # a district's own figure wins; between is inclusive; gap = distance to the nearest bound
    assert a[("社区覆盖率", "330106", 2021)][1:] == (96.0, False, pytest.approx(-1.0))
    assert a[("社区覆盖率", "330100", 2021)][3] == pytest.approx(95 - 155 / 170 * 100)
    # sum metric: the city row only; district sum 1050 in 2020; the city's own 1250 in 2021
    assert a[("养老床位数", "330100", 2020)] == ("city", 1050.0, True, 50.0)
    assert ("养老床位数", "330102", 2020) not in a
    # about 1200 with tolerance 5%: |1250 - 1200| <= 60; gap = 60 - 50 = margin left
    assert a[("养老床位数", "330100", 2021)][1:3] == (1250.0, True)
    assert a[("养老床位数", "330100", 2021)][3] == pytest.approx(10.0)
    # <= : gap = target - actual
    assert a[("城镇登记失业率", "330100", 2020)][1:] == (4.0, False, pytest.approx(-0.5))
    assert a[("城镇登记失业率", "330102", 2020)][1:] == (3.0, True, pytest.approx(0.5))
    # milestone: attained NULL, text kept; unmapped indicators are not evaluated
    text = fetch(loaded, "SELECT DISTINCT target, target_text, attained, gap FROM v_attainment "
                         "WHERE comparator = 'milestone'")
    assert text == [("试点启动", "试点启动", None, None)]
    assert not any(k[0] == "智慧养老试点" for k in a)


def test_view_reads_like_the_plan(loaded):
    rows = fetch(loaded, "SELECT indicator_name, district_name, year, target, actual, attained "
                         "FROM v_attainment WHERE district_code = '330100' ORDER BY year, target")
    targets = {(r[0], r[2]): r[3] for r in rows}
    assert targets == {
        ("社区覆盖率", 2020): ">= 90 %", ("养老床位数", 2020): ">= 1000 张",
        ("城镇登记失业率", 2020): "<= 3.5 %", ("社区覆盖率", 2021): "80-95 %",
        ("养老床位数", 2021): "about 1200 张", ("城镇登记失业率", 2021): "试点启动",
    }
    assert {r[1] for r in rows} == {"杭州市"}


@pytest.mark.parametrize(
    "comparator,value,high,actual,attained,gap",
    [
        (">", 10, None, 10, False, 0), (">", 10, None, 11, True, 1),
        ("<", 10, None, 9, True, 1), ("=", 10, None, 10, True, 0),
        ("=", 10, None, 11, False, -1), ("between", 5, 10, 5, True, 0),
        ("between", 5, 10, 4, False, -1), ("about", 100, None, 105, True, 0),
        ("about", 100, None, 106, False, -1), ("<=", 10, None, 12, False, -2),
    ],
)
def test_every_comparator(engine, comparator, value, high, actual, attained, gap):
    wl.load_reference(engine, DISTRICTS, METRICS)
    plan = make_plan()
    plan.records = [rec(3, "养老床位数", 2020, comparator, value, high, unit="张", text="t")]
    wl.load_plan(engine, plan, MAPPINGS)
    wl.load_stats(engine, stats_frame([("beds", "330100", 2020, actual)]))
    assert build_attainment(engine) == 1
    row = attainment(engine)[("养老床位数", "330100", 2020)]
    assert row[2] is attained and row[3] == pytest.approx(gap)


def test_missing_statistics_give_null(engine):
    wl.load_reference(engine, DISTRICTS, METRICS)
    wl.load_plan(engine, make_plan(), MAPPINGS)
    # 西湖区 has no denominator: its figure and the city's sum are not evaluable
    rows = [r for r in STATS if not (r[0] == "communities" and r[1] == "330106" and r[2] == 2020)]
    wl.load_stats(engine, stats_frame(rows))
    build_attainment(engine)
    a = attainment(engine)
    assert a[("社区覆盖率", "330106", 2020)][1:] == (None, None, None)
    assert a[("社区覆盖率", "330100", 2020)][1:] == (None, None, None)
    assert a[("社区覆盖率", "330102", 2020)][2] is True
