"""Acceptance (issue 17, vintages): a revised figure flips a verdict, and both verdicts
stay retrievable through `planwh run --as-of`, on DuckDB and PostgreSQL.

Two runs of the command as a user runs it over the sample raw folder (its DOCX plan):
the first loads the statistics as published; the figure behind one met city target is
then revised below the target, and the second run loads that vintage and evaluates
attainment as of a moment between the two loads and as of today.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.helpers import PG_ADMIN_URL, RAW, copy_raw, create_database, drop_database
from warehouse.queries import run_query

STATS_NAME = "hangzhou-elderly-care-2016-2020.csv"


def planwh(*args, cwd):
    return subprocess.run([sys.executable, "-m", "planwh.cli", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(params=["duckdb", "postgresql"])
def fresh_url(request, tmp_path):
    if request.param == "duckdb":
        yield f"duckdb:///{tmp_path / 'w.duckdb'}"
        return
    request.getfixturevalue("pg_url")  # skips, or fails under CI=true, without a server
    name = f"planwh_vint_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    create_database(admin, name)
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        drop_database(admin, name)
        admin.dispose()


def rows(url: str, sql: str, **params) -> list[tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as cx:
            return [tuple(r) for r in cx.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def test_revised_figure_flips_a_verdict_both_retrievable_as_of(tmp_path, fresh_url):
    raw = copy_raw(tmp_path / "raw", plans=[p for p in sorted((RAW / "plans").iterdir())
                                            if p.suffix == ".docx"])
    p = planwh("run", "--raw", str(raw), "--warehouse", fresh_url, "--quiet", cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    # a met city target whose actual is the city's own figure in the file (its row known)
    met = rows(fresh_url, """
        SELECT a.indicator_id, a.year, a.target_value, s.location, s.value
        FROM fct_attainment a
        JOIN dim_indicator i ON i.indicator_id = a.indicator_id
        JOIN fct_district_stat s ON s.metric_code = i.metric_code
         AND s.district_code = a.district_code AND s.year = a.year AND s.valid_to IS NULL
        WHERE a.level = 'city' AND a.comparator = '>=' AND a.attained
        ORDER BY a.year, a.indicator_id""")
    assert met, "the sample has a met city target read from the city's own figure"
    indicator, year, target, location, old_value = met[0]
    time.sleep(0.01)
    between = datetime.now(UTC).replace(tzinfo=None)
    # the revision: the same file, that one figure now below the target
    path = raw / "stats" / STATS_NAME
    table = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    line = int(location.split()[-1]) - 1  # "row N": the file's N-th line, header included
    revised = target / 2
    table[line][3] = f"{revised:g}"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    path.write_text(out.getvalue(), encoding="utf-8")
    time.sleep(0.01)

    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    p = planwh("run", "--raw", str(raw), "--warehouse", fresh_url, "--quiet",
               "--as-of", between.isoformat(), "--as-of", tomorrow, cwd=tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert f"v_attainment_as_of WHERE as_of = '{between.isoformat(sep=' ')}'" in p.stdout
    verdict = """SELECT attained, actual FROM {view} WHERE indicator_id = :i
                 AND year = :y AND level = 'city'{extra}"""
    # latest figures: the revised one, not met
    assert rows(fresh_url, verdict.format(view="v_attainment", extra=""),
                i=indicator, y=year) == [(False, pytest.approx(revised))]
    # as of the moment between the loads: the published figure, met
    assert rows(fresh_url, verdict.format(view="v_attainment_as_of", extra=" AND as_of = :t"),
                i=indicator, y=year, t=between) == [(True, pytest.approx(old_value))]
    # as of tomorrow (the end of that day): the revised figure
    end_of_tomorrow = datetime.combine(date.today() + timedelta(days=1), datetime.max.time())
    assert rows(fresh_url, verdict.format(view="v_attainment_as_of", extra=" AND as_of = :t"),
                i=indicator, y=year, t=end_of_tomorrow) == [(False, pytest.approx(revised))]
    # the figure's two versions and the two vintages of the file
    assert rows(fresh_url, "SELECT vintage_id, source_file FROM stat_vintage "
                           "ORDER BY vintage_id") == [(1, STATS_NAME), (2, STATS_NAME)]
    # the query of changed verdicts says which figure changed, from what to what, and when
    engine = sa.create_engine(fresh_url)
    try:
        why = [r for r in run_query(engine, "verdicts_changed_between",
                                    {"earlier": between, "later": end_of_tomorrow})
               if r["indicator_id"] == indicator and r["year"] == year
               and r["level"] == "city"]
    finally:
        engine.dispose()
    assert len(why) == 1, why
    w = why[0]
    assert (w["attained_before"], w["attained_after"]) == (True, False)
    assert w["figure_change"] == "revised"
    assert (w["value_before"], w["value_after"]) == (pytest.approx(old_value),
                                                     pytest.approx(revised))
    assert (w["vintage_before"], w["vintage_after"]) == (1, 2)
    assert w["file_before"] == w["file_after"] == STATS_NAME
