"""The warehouse's build SQL as files, one per grain, readable on their own
(portable: DuckDB and PostgreSQL). Placeholders are ``{name}``, filled by ``render``;
values are never placeholders (they are bound as parameters)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent


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
