"""Reference data: districts, metrics, indicator-to-metric mappings (CONTRACT §2), and
the optional plan revisions (plan_revisions.csv, extractors.revisions).

Loaders validate the files in ``raw/reference/`` and raise ``BadReference``
with the file, the row and the reason. ``DistrictResolver`` turns the names
found in statistics files (official names, aliases, short forms, historical
names, codes) into the district version in force in a given year.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from extractors.records import (
    RULE_DISTRICT_VALID,
    BadReference,
    District,
    IndicatorMetric,
    IngestIssue,
    Metric,
)
from extractors.revisions import PlanRevision, read_plan_revisions

DISTRICT_COLUMNS = (
    "district_code",
    "district_name",
    "district_type",
    "parent_code",
    "valid_from",
    "valid_to",
    "aliases",
)
METRIC_COLUMNS = (
    "metric_code",
    "name",
    "unit",
    "aggregation",
    "numerator",
    "denominator",
    "scale",
    "direction",
)
INDICATOR_METRIC_COLUMNS = ("pattern", "metric_code")
# optional files (docs/time.md, "Restated boundaries")
LINEAGE_FILE = "district_lineage.csv"
LINEAGE_COLUMNS = ("year", "old_code", "new_code", "kind")  # old_name, new_name: readability
LINEAGE_KINDS = ("rename", "merge", "split")
SPLIT_WEIGHTS_FILE = "split_weights.csv"
SPLIT_WEIGHT_COLUMNS = ("old_code", "new_code", "metric_code", "weight")  # year, note: optional
ALL_METRICS = "*"
WEIGHT_SUM_TOLERANCE = Decimal("0.000001")
DISTRICT_TYPES = ("city", "district", "county", "county_city")
NAME_SUFFIXES = "区县市"  # district, county, county-level city
_CODE_RE = re.compile(r"\d{6}")
_METRIC_CODE_RE = re.compile(r"[a-z][a-z0-9_]*")
_REGEX_CHARS = re.compile(r"[.^$*+?{}\[\]\\|()]")


def normalise_name(text: str) -> str:
    """NFKC, all whitespace removed: the key under which names are compared."""
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


def short_form(name: str) -> str:
    """上城区 -> 上城; names of two characters keep their suffix (e.g. 东区)."""
    return name[:-1] if len(name) > 2 and name[-1] in NAME_SUFFIXES else name


# --------------------------------------------------------------------------- loading


@dataclass
class ReferenceData:
    """The three files of raw/reference, validated."""

    districts: list[District]
    metrics: dict[str, Metric]
    indicator_metrics: list[IndicatorMetric]
    lineage: list[LineageLink] = field(default_factory=list)
    split_weights: list[SplitWeight] = field(default_factory=list)
    # rows of split_weights.csv that cannot be used (one ingest_issues row each)
    weight_issues: list[IngestIssue] = field(default_factory=list)
    # plan_revisions.csv (optional): its valid rows and an issue per bad row
    revisions: list[PlanRevision] = field(default_factory=list)
    revision_issues: list[IngestIssue] = field(default_factory=list)

    @property
    def resolver(self) -> DistrictResolver:
        return DistrictResolver(self.districts)


def read_reference(reference_dir: str | Path) -> ReferenceData:
    """Load and validate districts.csv, metrics.csv and indicator_metrics.csv (every
    mapped metric_code must be in metrics.csv); ``BadReference`` on the first error.
    The optional district_lineage.csv (``BadReference`` when it contradicts districts.csv)
    and split_weights.csv (a row that cannot be used is an issue, not a failure) are
    read too. ``planwh check``, the assets, the sensor and ``planwh run`` all read it here."""
    reference_dir = Path(reference_dir)
    metrics = load_metrics(reference_dir / "metrics.csv")
    districts = load_districts(reference_dir / "districts.csv")
    lineage = load_lineage(reference_dir / LINEAGE_FILE, districts)
    weights, issues = load_split_weights(reference_dir / SPLIT_WEIGHTS_FILE, metrics, lineage)
    revisions, revision_issues = read_plan_revisions(reference_dir)
    return ReferenceData(
        districts=districts,
        metrics=metrics,
        indicator_metrics=load_indicator_metrics(reference_dir / "indicator_metrics.csv", metrics),
        lineage=lineage,
        split_weights=weights,
        weight_issues=issues,
        revisions=revisions,
        revision_issues=revision_issues,
    )


def _read_csv(path: str | Path, required: Iterable[str]) -> tuple[str, list[dict[str, str]]]:
    path = Path(path)
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise BadReference(name, "file not found") from None
    except UnicodeDecodeError as e:
        raise BadReference(name, f"not UTF-8: {e}") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise BadReference(name, f"missing column(s) {', '.join(missing)}", "row 1")
    reader.fieldnames = header
    rows = [{k: (v or "").strip() for k, v in r.items() if k is not None} for r in reader]
    return name, rows


def _date(value: str, source: str, where: str, column: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadReference(source, f"{column} {value!r} is not an ISO date", where) from None


def parse_district_rows(rows: list[dict[str, str]], source: str) -> list[District]:
    """Validate rows of districts.csv (dicts of strings) into District versions."""
    out: list[District] = []
    for i, r in enumerate(rows, start=2):
        where = f"row {i}"
        code, name, kind = r["district_code"], r["district_name"], r["district_type"]
        if not _CODE_RE.fullmatch(code):
            raise BadReference(source, f"district_code {code!r} is not a 6-digit code", where)
        if not name:
            raise BadReference(source, "empty district_name", where)
        if kind not in DISTRICT_TYPES:
            raise BadReference(source, f"district_type {kind!r} not in {DISTRICT_TYPES}", where)
        parent = r["parent_code"] or None
        if parent is not None and not _CODE_RE.fullmatch(parent):
            raise BadReference(source, f"parent_code {parent!r} is not a 6-digit code", where)
        start = _date(r["valid_from"], source, where, "valid_from")
        end = _date(r["valid_to"], source, where, "valid_to")
        if start and end and end < start:
            raise BadReference(source, f"valid_to {end} before valid_from {start}", where)
        aliases = tuple(a for a in (normalise_name(x) for x in r["aliases"].split("|")) if a)
        out.append(District(code, name, kind, parent, start, end, aliases))
    by_code: dict[str, list[District]] = {}
    for d in out:
        by_code.setdefault(d.code, []).append(d)
    for code, versions in by_code.items():
        versions.sort(key=lambda d: d.valid_from or date.min)
        for a, b in zip(versions, versions[1:], strict=False):
            if a.valid_to is None or (b.valid_from or date.min) <= a.valid_to:
                raise BadReference(source, f"versions of {code} overlap ({a.valid_from}..)")
    return out


def load_districts(path: str | Path) -> list[District]:
    """districts.csv -> one District per version; BadReference when invalid."""
    source, rows = _read_csv(path, DISTRICT_COLUMNS)
    if not rows:
        raise BadReference(source, "no districts")
    return parse_district_rows(rows, source)


def _decimal(value: str, source: str, where: str, column: str) -> Decimal | None:
    if not value:
        return None
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise BadReference(source, f"{column} {value!r} is not a number", where) from None
    if not d.is_finite():
        raise BadReference(source, f"{column} {value!r} is not a number", where)
    return d


def load_metrics(path: str | Path) -> dict[str, Metric]:
    """metrics.csv -> {metric_code: Metric}; ratio metrics must name existing
    numerator and denominator metrics."""
    source, rows = _read_csv(path, METRIC_COLUMNS)
    metrics: dict[str, Metric] = {}
    names: set[str] = set()
    for i, r in enumerate(rows, start=2):
        where = f"row {i}"
        code = r["metric_code"]
        if not _METRIC_CODE_RE.fullmatch(code):
            raise BadReference(source, f"metric_code {code!r} is not snake_case", where)
        if code in metrics:
            raise BadReference(source, f"duplicate metric_code {code!r}", where)
        name = normalise_name(r["name"])
        if not name or name in names:
            raise BadReference(source, f"empty or duplicate name {r['name']!r}", where)
        agg = r["aggregation"]
        if agg not in ("sum", "ratio"):
            raise BadReference(source, f"aggregation {agg!r} is not sum or ratio", where)
        num, den = r["numerator"] or None, r["denominator"] or None
        if agg == "ratio" and not (num and den):
            raise BadReference(source, "a ratio metric needs numerator and denominator", where)
        if agg == "sum" and (num or den):
            raise BadReference(source, "a sum metric has no numerator/denominator", where)
        scale = _decimal(r["scale"], source, where, "scale")
        if agg == "ratio" and scale is None:
            scale = Decimal(1)
        direction = r["direction"] or "up"
        if direction not in ("up", "down"):
            raise BadReference(source, f"direction {direction!r} is not up or down", where)
        tolerance = _decimal(r.get("tolerance", ""), source, where, "tolerance")
        if tolerance is not None and not (0 <= tolerance < 1):
            raise BadReference(source, f"tolerance {tolerance} is not a fraction", where)
        names.add(name)
        metrics[code] = Metric(
            code, r["name"], r["unit"] or None, agg, num, den, scale, direction, tolerance
        )
    for i, m in enumerate(metrics.values(), start=2):
        for part in (m.numerator, m.denominator):
            if part is not None and (part not in metrics or metrics[part].aggregation != "sum"):
                raise BadReference(source, f"{m.code}: {part!r} is not a sum metric", f"row {i}")
    return metrics


def load_indicator_metrics(
    path: str | Path, metrics: Mapping[str, Metric] | None = None
) -> list[IndicatorMetric]:
    """indicator_metrics.csv -> mappings in file order (first match wins).
    With ``metrics``, every metric_code must be in the catalogue."""
    source, rows = _read_csv(path, INDICATOR_METRIC_COLUMNS)
    out = []
    for i, r in enumerate(rows, start=2):
        if not r["pattern"] or not r["metric_code"]:
            raise BadReference(source, "empty pattern or metric_code", f"row {i}")
        if metrics is not None and r["metric_code"] not in metrics:
            raise BadReference(source, f"unknown metric_code {r['metric_code']!r}", f"row {i}")
        out.append(IndicatorMetric(r["pattern"], r["metric_code"]))
    return out


# --------------------------------------------------------------------------- lineage


@dataclass(frozen=True)
class LineageLink:
    """Land of ``old_code`` (its version ending 31 Dec of year - 1) passes to ``new_code``
    (its version beginning 1 Jan of year): a rename, a merge or a split."""

    year: int
    old_code: str
    new_code: str
    kind: str
    old_valid_from: date | None = None
    new_valid_from: date | None = None


@dataclass(frozen=True)
class SplitWeight:
    """Share of a split district's figure of one metric (or ``*``) that lies in new_code."""

    year: int
    old_code: str
    new_code: str
    metric_code: str
    weight: Decimal
    row: int


def lineage_kind(n_successors: int, n_predecessors: int) -> str:
    """split: the old land is divided; merge: it passes whole to a district with several
    predecessors; rename: one to one (a recode)."""
    return "split" if n_successors > 1 else "merge" if n_predecessors > 1 else "rename"


def load_lineage(path: str | Path, districts: Iterable[District]) -> list[LineageLink]:
    """district_lineage.csv -> links; [] when the file is absent. Each link must join an
    old version ending the day before a new version begins, and its kind must be the one
    its successor and predecessor counts give."""
    if not Path(path).exists():
        return []
    source, rows = _read_csv(path, LINEAGE_COLUMNS)
    districts = list(districts)
    links: list[LineageLink] = []
    seen: set[tuple] = set()
    for i, r in enumerate(rows, start=2):
        where = f"row {i}"
        if not re.fullmatch(r"\d{4}", r["year"]):
            raise BadReference(source, f"year {r['year']!r} is not a year", where)
        year = int(r["year"])
        old, new, kind = r["old_code"], r["new_code"], r["kind"]
        for code in (old, new):
            if not _CODE_RE.fullmatch(code):
                raise BadReference(source, f"{code!r} is not a 6-digit code", where)
        if kind not in LINEAGE_KINDS:
            raise BadReference(source, f"kind {kind!r} not in {LINEAGE_KINDS}", where)
        if (year, old, new) in seen:
            raise BadReference(source, f"duplicate link {old} -> {new} in {year}", where)
        seen.add((year, old, new))
        before = [d for d in districts if d.code == old and d.valid_to == date(year - 1, 12, 31)]
        after = [d for d in districts if d.code == new and d.valid_from == date(year, 1, 1)]
        if not before:
            raise BadReference(source, f"districts.csv has no version of {old} ending "
                                       f"{year - 1}-12-31", where)
        if not after:
            raise BadReference(source, f"districts.csv has no version of {new} beginning "
                                       f"{year}-01-01", where)
        links.append(LineageLink(year, old, new, kind, before[0].valid_from,
                                 after[0].valid_from))
    for i, link in enumerate(links, start=2):
        n_succ = sum(1 for x in links if (x.year, x.old_code) == (link.year, link.old_code))
        n_pred = sum(1 for x in links if (x.year, x.new_code) == (link.year, link.new_code))
        if link.kind != (want := lineage_kind(n_succ, n_pred)):
            raise BadReference(source, f"{link.old_code} -> {link.new_code} in {link.year} is "
                                       f"a {want} ({n_succ} successor(s), {n_pred} "
                                       f"predecessor(s)), not a {link.kind}", f"row {i}")
    return links


def load_split_weights(
    path: str | Path, metrics: Mapping[str, Metric], lineage: Iterable[LineageLink]
) -> tuple[list[SplitWeight], list[IngestIssue]]:
    """split_weights.csv -> (usable weights, issues); ([], []) when the file is absent.

    Columns ``old_code,new_code,metric_code,weight`` and optional ``year`` (needed only
    when old_code was split more than once) and ``note``. ``metric_code`` is a sum metric
    or ``*`` (every sum metric without weights of its own). A row that names no split of
    the lineage, an unknown or ratio metric (ratios restate through their numerator and
    denominator), or a weight outside 0..1 is an issue. Whether the weights of one old
    code, year and metric sum to 1 is checked where they are used (warehouse.restate)
    and by the ``restatement`` expectation suite.
    """
    if not Path(path).exists():
        return [], []
    source, rows = _read_csv(path, SPLIT_WEIGHT_COLUMNS)
    splits = {(x.year, x.old_code, x.new_code) for x in lineage if x.kind == "split"}
    out: list[SplitWeight] = []
    issues: list[IngestIssue] = []
    keys: set[tuple] = set()

    def issue(where: str, reason: str) -> None:
        issues.append(IngestIssue(source, where, "error", reason, "restatement.split_weights"))

    for i, r in enumerate(rows, start=2):
        where = f"row {i}"
        old, new, metric = r["old_code"], r["new_code"], r["metric_code"] or ALL_METRICS
        year_text = r.get("year", "")
        years = sorted({y for y, o, n in splits if (o, n) == (old, new)})
        if year_text:
            if not re.fullmatch(r"\d{4}", year_text):
                issue(where, f"year {year_text!r} is not a year")
                continue
            years = [y for y in years if y == int(year_text)]
        if not years:
            issue(where, f"{old} -> {new}{' in ' + year_text if year_text else ''} is not a "
                         f"split of {LINEAGE_FILE}: weight not used")
            continue
        if len(years) > 1:
            issue(where, f"{old} -> {new} was split in {years}: give the year")
            continue
        if metric != ALL_METRICS and metric not in metrics:
            issue(where, f"unknown metric_code {metric!r}")
            continue
        if metric != ALL_METRICS and metrics[metric].aggregation != "sum":
            issue(where, f"{metric} is a ratio metric: it restates through its numerator and "
                         "denominator, a weight is not used")
            continue
        try:
            weight = Decimal(r["weight"])
        except InvalidOperation:
            weight = None
        if weight is None or not weight.is_finite() or not 0 <= weight <= 1:
            issue(where, f"weight {r['weight']!r} is not a number between 0 and 1")
            continue
        key = (years[0], old, new, metric)
        if key in keys:
            issue(where, f"a second weight for {old} -> {new}, {metric}: not used")
            continue
        keys.add(key)
        out.append(SplitWeight(years[0], old, new, metric, weight, i))
    return out, issues


# Indicator names are a few dozen characters; a longer "name" is a text block
# swept into the indicator column. Only its first MAX_MATCH_CHARS characters
# are matched, so that a regex pattern such as 照料中心.*覆盖 (backtracking,
# quadratic in the text) stays bounded: a 2 MB cell costs what 1000 characters do.
MAX_MATCH_CHARS = 1000


@lru_cache(maxsize=1024)
def _compiled(pattern: str) -> tuple[str, re.Pattern | None]:
    """(normalised pattern, its regex or None when it has no regex syntax or does not compile)."""
    norm = normalise_name(pattern)
    if not _REGEX_CHARS.search(norm):
        return norm, None
    try:
        return norm, re.compile(norm)
    except re.error:
        return norm, None


def match_metric(indicator_name: str, mappings: Iterable[IndicatorMetric]) -> str | None:
    """Metric code of the first mapping whose pattern matches the indicator name:
    as a substring, or as a regex when the pattern has regex syntax and compiles.
    Only the first ``MAX_MATCH_CHARS`` characters of the (normalised) name are
    matched, so the cost is bounded whatever the cell holds."""
    name = normalise_name(str(indicator_name)[: MAX_MATCH_CHARS * 4])[:MAX_MATCH_CHARS]
    for m in mappings:
        pattern, regex = _compiled(m.pattern)
        if pattern in name:
            return m.metric_code
        if regex is not None and regex.search(name):
            return m.metric_code
    return None


# --------------------------------------------------------------------------- resolving


def derive_renames(districts: Iterable[District]) -> dict[str, str]:
    """{old code: new code} for divisions that changed code but not territory.

    A rename is a code whose last version ends the day before a *new* code
    (no earlier version) of the same parent and the same short form begins,
    e.g. 临安市 330185 (to 2016-12-31) -> 临安区 330112 (from 2017-01-01).
    Mergers and splits (下城区 -> 拱墅区) have no such twin and are not renames.
    """
    districts = list(districts)
    first: dict[str, District] = {}
    last: dict[str, District] = {}
    for d in districts:
        if d.code not in first or (d.valid_from or date.min) < (
            first[d.code].valid_from or date.min
        ):
            first[d.code] = d
        if d.code not in last or (d.valid_to or date.max) > (last[d.code].valid_to or date.max):
            last[d.code] = d
    renames = {}
    for old in last.values():
        if old.valid_to is None:
            continue
        twins = [
            new
            for new in first.values()
            if new.code != old.code
            and new.valid_from == old.valid_to + timedelta(days=1)
            and new.parent_code == old.parent_code
            and short_form(new.name) == short_form(old.name)
        ]
        if len(twins) == 1:
            renames[old.code] = twins[0].code
    return renames


class Unresolved(str):
    """Why a district name gives no district version: the reason (the text of the
    reader's issue) with its ``kind`` ("empty", "unknown", "not valid", "ambiguous")
    and the suite rule it breaks (``check``), so that no one reads the text for them."""

    kind: str

    def __new__(cls, reason: str, kind: str) -> Unresolved:
        out = super().__new__(cls, reason)
        out.kind = kind
        return out

    def __reduce__(self):
        return Unresolved, (str(self), self.kind)

    @property
    def check(self) -> str | None:
        """A district unknown or not in force that year breaks the suite's district rule;
        an empty or ambiguous name is only unreadable (``stats.readable``)."""
        return RULE_DISTRICT_VALID if self.kind in ("unknown", "not valid") else None


class DistrictResolver:
    """Resolve a district name (or code) to the version in force in a year.

    Lookup order: codes, official names and aliases; then short forms (name
    minus 区/县/市); then, for a name prefixed with its city (杭州市上城区),
    the remainder. A name whose district is not in force in the year follows
    renames forwards or backwards (临安市 in 2018 -> 临安区 330112).
    """

    def __init__(self, districts: Iterable[District]):
        self.districts = list(districts)
        self._exact: dict[str, list[District]] = {}
        self._short: dict[str, list[District]] = {}
        for d in self.districts:
            for key in (d.code, normalise_name(d.name), *d.aliases):
                self._add(self._exact, key, d)
            self._add(self._short, short_form(normalise_name(d.name)), d)
        self._renamed_to = derive_renames(self.districts)
        self._renamed_from = {new: old for old, new in self._renamed_to.items()}
        self._city_prefixes = sorted(
            {
                key
                for d in self.districts
                if d.district_type == "city"
                for key in (normalise_name(d.name), short_form(normalise_name(d.name)))
            },
            key=len,
            reverse=True,
        )
        self._cache: dict[tuple[str, int], District | Unresolved] = {}

    @staticmethod
    def _add(index: dict[str, list[District]], key: str, d: District) -> None:
        versions = index.setdefault(key, [])
        if d not in versions:
            versions.append(d)

    def try_resolve(self, name: str, year: int) -> District | Unresolved:
        """The district version named ``name`` in force on 31 December of ``year``, or
        why there is none (:class:`Unresolved`, a string: the reader's issue); cached."""
        key = (str(name), int(year))
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._resolve(*key)
        return hit

    def _resolve(self, name: str, year: int) -> District | Unresolved:
        key = normalise_name(name)
        if key.endswith(".0") and _CODE_RE.fullmatch(key[:-2]):
            key = key[:-2]  # a code read from a spreadsheet number cell
        if not key:
            return Unresolved("empty district name", "empty")
        candidates = self._candidates(key)
        if not candidates:
            return Unresolved(f"unknown district {name!r}", "unknown")
        valid = [d for d in candidates if d.valid_in_year(year)]
        if not valid:
            valid = [v for d in candidates if (v := self._follow_renames(d, year)) is not None]
        if not valid:
            return Unresolved(f"{name!r} not valid in {year}", "not valid")
        codes = {d.code for d in valid}
        if len(codes) > 1:
            return Unresolved(f"ambiguous district {name!r} in {year}: "
                              f"{', '.join(sorted(codes))}", "ambiguous")
        return valid[0]

    def _candidates(self, key: str) -> list[District]:
        for index in (self._exact, self._short):
            if key in index:
                return index[key]
        for prefix in self._city_prefixes:
            if key.startswith(prefix) and len(key) > len(prefix):
                rest = key[len(prefix) :]
                for index in (self._exact, self._short):
                    if rest in index:
                        return index[rest]
        return []

    def _version(self, code: str, year: int) -> District | None:
        for d in self.districts:
            if d.code == code and d.valid_in_year(year):
                return d
        return None

    def _follow_renames(self, d: District, year: int) -> District | None:
        end = date(year, 12, 31)
        links = (
            self._renamed_to if d.valid_to is not None and d.valid_to < end else self._renamed_from
        )
        code, seen = d.code, set()
        while code in links and code not in seen:
            seen.add(code)
            code = links[code]
            found = self._version(code, year)
            if found is not None:
                return found
        return None
