"""warehouse.load.load_plans: a batch of plans in one set-based transaction gives the
warehouse that loading them one by one with load_plan gives (renamed copies, duplicate
renderings, a revision chain, changed and unchanged files among the batch), on DuckDB
and PostgreSQL; a plan the database refuses is held back alone, the others load."""

from __future__ import annotations

import dataclasses
import shutil
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from extractors.plans import extract_plan
from extractors.records import STAT_FRAME_COLUMNS
from extractors.reference import read_reference
from tests.helpers import FIXTURES, PG_ADMIN_URL, RAW, create_database, drop_database, fetch
from warehouse import load as wl
from warehouse.schema import create_schema, make_engine, metadata

DOCS = FIXTURES / "plans" / "revisions"
PLAN = "five_year_plan.docx"
ADJUSTMENT = "mid_term_adjustment.docx"  # revises PLAN from 2018-01-01
UNDECLARED = "beds_2019_2020.docx"
ANNUAL = "annual_plan_2018.docx"
CITY = "330100"


@pytest.fixture
def twin(url, tmp_path):
    """A second empty warehouse on the engine of ``url``."""
    if url.startswith("duckdb"):
        eng = make_engine(f"duckdb:///{tmp_path / 'twin.duckdb'}")
        create_schema(eng)
        yield eng
        eng.dispose()
        return
    name = f"planwh_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    create_database(admin, name)
    eng = make_engine(PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name)
    try:
        create_schema(eng)
        yield eng
    finally:
        eng.dispose()
        drop_database(admin, name)
        admin.dispose()


def _base(engine):
    """Reference, the city's statistics and two stored plans: PLAN (unchanged in the
    batch) and ANNUAL's content under two names (one changes, one is renamed)."""
    ref = read_reference(RAW / "reference")
    wl.load_reference(engine, ref.districts, ref.metrics, revisions=[])
    stats = pd.DataFrame(
        [{"metric_code": "beds_per_100_elderly", "district_code": CITY, "year": y,
          "value": 4.0 + y / 10000, "unit": None, "source_file": "city.csv",
          "location": f"row {y}"} for y in range(2016, 2021)],
        columns=list(STAT_FRAME_COLUMNS))
    wl.load_stats(engine, stats)
    return ref.indicator_metrics


def _files(tmp_path):
    """The batch's files: real DOCX fixtures, renamed, copied, or with a byte appended
    (another sha256, hence another plan_id, but the same content: a duplicate rendering)."""
    d = tmp_path / "plans"
    d.mkdir(parents=True, exist_ok=True)
    for name in (PLAN, ADJUSTMENT, UNDECLARED, ANNUAL):
        shutil.copy(DOCS / name, d / name)
    shutil.copy(DOCS / ANNUAL, d / "changing.docx")  # stored as ANNUAL's content ...
    shutil.copy(DOCS / ADJUSTMENT, d / "renamed_adjustment.docx")  # byte-identical copy
    (d / "annual_copy.docx").write_bytes((DOCS / ANNUAL).read_bytes() + b"\0")  # duplicate
    (d / "old_name.docx").write_bytes((DOCS / ANNUAL).read_bytes() + b"\0\0")
    shutil.copy(d / "old_name.docx", d / "new_name.docx")  # the stored plan renamed
    return d


def _plans(d, *names):
    return [extract_plan(d / n) for n in names]


def _content(engine) -> dict[str, list[tuple]]:
    """Every table's rows without its timestamps (loaded_at, detected_at, valid_from of
    statistics: when a load ran, not what it wrote)."""
    out = {}
    with engine.connect() as cx:
        for t in metadata.sorted_tables:
            cols = [c for c in t.c if not isinstance(c.type, sa.DateTime)]
            out[t.name] = sorted((tuple(r) for r in cx.execute(sa.select(*cols))), key=repr)
    return out


def _batch_and_stored(d, mappings, engine, by_one: bool):
    stored = _plans(d, PLAN, "old_name.docx") + [
        dataclasses.replace(_plans(d, "changing.docx")[0])]
    for p in stored:
        assert wl.load_plan(engine, p, mappings) == "loaded"
    # "changing.docx" now holds another document
    (d / "changing.docx").write_bytes((DOCS / UNDECLARED).read_bytes())
    batch = _plans(d, PLAN, ADJUSTMENT, "changing.docx", ANNUAL, "annual_copy.docx",
                   "renamed_adjustment.docx", "new_name.docx", UNDECLARED)
    if by_one:
        return {p.source_file: wl.load_plan(engine, p, mappings) for p in batch}
    return wl.load_plans(engine, batch, mappings)


@pytest.mark.slow  # over a second: make test only
def test_a_batch_loads_what_plan_by_plan_loads(engine, twin, tmp_path):
    mappings = _base(engine)
    _base(twin)
    one = _batch_and_stored(_files(tmp_path / "a"), mappings, twin, by_one=True)
    batch = _batch_and_stored(_files(tmp_path / "b"), mappings, engine, by_one=False)
    assert batch == one == {
        PLAN: "unchanged", ADJUSTMENT: "loaded", "changing.docx": "loaded", ANNUAL: "loaded",
        "annual_copy.docx": "loaded", "renamed_adjustment.docx": "loaded",
        "new_name.docx": "loaded", UNDECLARED: "loaded"}
    got, want = _content(engine), _content(twin)
    for table in want:
        assert got[table] == want[table], table
    files = {r[0]: r[1:] for r in fetch(
        engine, "SELECT source_file, duplicate_of IS NOT NULL, revises_plan_id IS NOT NULL "
                "FROM dim_plan")}
    # the renamed copies replaced the plans of the same plan_id (changing.docx, whose new
    # content is UNDECLARED's, too); the copy of ANNUAL with a byte more is a duplicate
    # rendering; the renamed adjustment revises PLAN
    assert sorted(files) == sorted([PLAN, ANNUAL, "annual_copy.docx",
                                    "renamed_adjustment.docx", "new_name.docx", UNDECLARED])
    assert files["renamed_adjustment.docx"] == (False, True)
    assert sum(dup for dup, _ in files.values()) == 2  # annual_copy and new_name: ANNUAL's
    assert fetch(engine, "SELECT COUNT(*) FROM fct_attainment")[0][0] > 0
    assert fetch(engine, "SELECT COUNT(*) FROM fct_target WHERE valid_to IS NOT NULL")[0][0] > 0
    # loaded again: nothing changes
    d = tmp_path / "b" / "plans"
    again = wl.load_plans(engine, _plans(d, *sorted(files)), mappings)
    assert set(again.values()) == {"unchanged"}
    assert _content(engine) == got


def test_a_plan_the_database_refuses_is_held_back_alone(engine, tmp_path):
    mappings = _base(engine)
    d = _files(tmp_path)
    [annual] = _plans(d, ANNUAL)
    assert wl.load_plan(engine, annual, mappings) == "loaded"
    before = _content(engine)
    # a changed ANNUAL whose first target year is outside fct_target's year range: the
    # database's check constraint refuses the row, in the batch and alone
    bad = dataclasses.replace(annual, source_sha256="f" * 64, records=[
        dataclasses.replace(annual.records[0], year=3030), *annual.records[1:]])
    good = _plans(d, PLAN, ADJUSTMENT)
    status = wl.load_plans(engine, [good[0], bad, good[1]], mappings)
    assert status[PLAN] == status[ADJUSTMENT] == "loaded"
    assert status[ANNUAL].startswith(wl.FAILED) and "year" in status[ANNUAL].lower()
    assert sorted(r[0] for r in fetch(engine, "SELECT source_file FROM dim_plan")) == sorted(
        [PLAN, ADJUSTMENT, ANNUAL])
    # ANNUAL keeps its previous rows, exactly
    after = _content(engine)
    annual_id = annual.plan_id
    for table in ("fct_target", "dim_indicator"):
        old = [r for r in before[table] if annual_id in r]
        assert old and old == [r for r in after[table] if annual_id in r], table
    assert fetch(engine, "SELECT source_sha256 FROM dim_plan WHERE source_file = :f",
                 f=ANNUAL) == [(annual.source_sha256,)]
    # one plan alone: its failure is raised, as load_plan's
    with pytest.raises(sa.exc.DBAPIError):
        wl.load_plans(engine, [bad], mappings)
