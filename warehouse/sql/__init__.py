"""The warehouse's build SQL as files, one per grain, readable on their own
(portable: DuckDB and PostgreSQL). Placeholders are ``{name}``, filled by ``render``;
values are never placeholders (they are bound as parameters)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent

# exact_sum: values of at most this magnitude are summed exactly (their integer part as a
# BIGINT, which holds 9.2e18); 2**62 scales the fraction of a double to an integer
EXACT_SUM_BOUND = "1e18"
_FRACTION_SCALE = "4611686018427387904"  # 2**62: a fraction (|f| < 1) times it fits a BIGINT


@cache
def sql_file(name: str) -> str:
    """The statement of ``<name>.sql`` without its header comment."""
    lines = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8").splitlines()
    while lines and lines[0].startswith("--"):
        lines.pop(0)
    return "\n".join(lines).strip()


def render(name: str, **parts: str) -> str:
    """``<name>.sql`` with each ``{key}`` replaced by ``parts[key]``; every placeholder
    must be given."""
    text = sql_file(name)
    for key, value in parts.items():
        if "{" + key + "}" not in text:
            raise KeyError(f"{name}.sql has no placeholder {{{key}}}")
        text = text.replace("{" + key + "}", str(value))
    return text


def district_in_force(district: str = "d", year: str = "y.year") -> str:
    """The rule "the version of ``district`` (a dim_district alias) in force on
    31 December of ``year`` (an SQL expression)" as an SQL condition."""
    return render("district_in_force", district=district, year=year)


def target_in_force(target: str = "ft", year: str = "a.year") -> str:
    """The rule "the fct_target row ``target`` is the one in force for ``year``" (its
    validity holds 31 December of the year: plan revisions, docs/time.md)."""
    return render("target_in_force", target=target, year=year)


def exact_sum(x: str) -> str:
    """``SUM(x)`` of a DOUBLE expression that gives the same bits whatever order the rows
    are summed in (DuckDB sums in parallel, in no fixed order: a plain double sum differs
    in its last digits from run to run, and a re-run must reproduce its rows).

    Each value is split into its integer part and its fraction, both summed as integers,
    exactly (``SUM`` of a BIGINT is a HUGEINT on DuckDB, a NUMERIC on PostgreSQL): the
    integer part as a BIGINT, the fraction times 2**62 as a BIGINT. For ``|x| >= 1`` that
    product is an integer (a double has 52 bits below its leading one), so the value is
    represented exactly; below 1 it is rounded to a multiple of 2**-62 (an absolute error
    under 1.1e-19: below the double's own precision down to ``|x|`` of about 1e-3). The
    two exact sums become one double at the end: the result is within a few units in the
    last place of the true sum (a plain double sum of n values drifts by up to n of them)
    and independent of the order. Cheaper than ``SUM(x ORDER BY …)``, which
    sorts every group. A group holding a value beyond ``EXACT_SUM_BOUND`` (1e18, no real
    statistic) falls back to the plain ``SUM(x)``: then only the order-free bits are lost,
    never the build. NULLs are ignored, and a group of NULLs only is NULL, as for
    ``SUM``."""
    bounded = f"CASE WHEN ABS({x}) < {EXACT_SUM_BOUND} THEN {x} END"
    return (f"CASE WHEN MAX(ABS({x})) < {EXACT_SUM_BOUND} THEN "
            f"CAST(SUM(CAST(TRUNC({bounded}) AS BIGINT)) AS DOUBLE PRECISION) + "
            f"CAST(SUM(CAST(({bounded} - TRUNC({bounded})) * {_FRACTION_SCALE} AS BIGINT)) "
            f"AS DOUBLE PRECISION) / {_FRACTION_SCALE} "
            f"ELSE SUM({x}) END")
