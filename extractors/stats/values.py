"""Cell values: numbers as statistics offices write them (``1,234``, ``12.5%``,
``10.5万``), missing markers, and the vectorised parse of a column."""

from __future__ import annotations

import math
import re
import unicodedata
from decimal import Decimal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_MISSING_RE = re.compile(r"[-—–―─−.…·]*")


_MISSING_WORDS = {"nan", "none", "null", "n/a", "na"}


_NUMBER_RE = re.compile(r"([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?([eE][-+]?\d+)?(%|万|亿)?")


_GROUPED_RE = r"^-?\d{1,3}(,\d{3})+(\.\d+)?$"


_PLAIN_RE = r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$"


# value parse status
OK, MISSING, BAD, RANGE = 0, 1, 2, 3  # RANGE: a number float64 cannot hold
MAX_NUMBER_CHARS = 64  # longer "numbers" are out of range, not parsed digit by digit


# value suffix kinds
PLAIN, PERCENT, SCALED = 0, 1, 2


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def parse_value(text: str) -> tuple[float | None, int, int]:
    """(value, status, suffix) of one cell: status OK/MISSING/BAD; suffix
    PLAIN, PERCENT (``12.5%`` -> 12.5) or SCALED (``10.5万`` -> 105000)."""
    t = "".join(unicodedata.normalize("NFKC", text).split()).replace("−", "-")
    if _MISSING_RE.fullmatch(t) or t.lower() in _MISSING_WORDS:
        return None, MISSING, PLAIN
    m = _NUMBER_RE.fullmatch(t)
    if not m:
        return None, BAD, PLAIN
    sign, digits, frac, exponent, suffix = m.groups()
    if len(t) > MAX_NUMBER_CHARS:
        return None, RANGE, PLAIN
    number = Decimal(sign + digits.replace(",", "") + (frac or "") + (exponent or ""))
    kind = PLAIN
    if suffix == "%":
        kind = PERCENT
    elif suffix in ("万", "亿"):
        number, kind = number * (10_000 if suffix == "万" else 100_000_000), SCALED
    value = float(number)
    if not math.isfinite(value) or (value == 0.0 and number != 0):
        return None, RANGE, PLAIN  # 1e309, 400 digits: overflow; 1e-400: underflow to 0
    return value + 0.0, OK, kind  # -0 -> 0


def _out_of_range(arr, values: np.ndarray, plain: np.ndarray, status: np.ndarray) -> None:
    """Plain numbers that float64 cannot hold: overflow (1e309, 400 digits)
    and underflow to 0 of a non-zero number (1e-400) are RANGE; -0 is 0."""
    inf = np.isinf(values)
    zero = values == 0
    if zero.any():
        values[zero] = 0.0  # -0 -> 0
        idx = np.flatnonzero(zero & plain)
        if len(idx):  # only the zeros' texts are looked at: 1e-400 is not 0
            texts = pc.take(arr, pa.array(idx))
            nonzero = pc.match_substring_regex(texts, r"^[^eE]*[1-9]").to_numpy(zero_copy_only=False)
            inf[idx[nonzero]] = True
    if inf.any():
        values[inf] = np.nan
        status[inf] = RANGE


def _parse_values(arr: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vectorised parse_value: plain decimals cast in C++; the few other cells
    (separators, markers, text) handled on their subset, text once per
    distinct value. Returns (values, status, suffix) arrays."""
    n = len(arr)
    plain = pc.match_substring_regex(arr, _PLAIN_RE)
    values = pc.cast(pc.if_else(plain, arr, pa.scalar(None, pa.string())), pa.float64())
    values = values.to_numpy(zero_copy_only=False)
    if not values.flags.writeable:
        values = values.copy()
    plain = plain.to_numpy(zero_copy_only=False)
    status = np.zeros(n, dtype=np.int8)  # OK
    suffix = np.zeros(n, dtype=np.int8)
    _out_of_range(arr, values, plain, status)
    rest = np.flatnonzero(~plain)
    if not len(rest):
        return values, status, suffix
    sub = pc.take(arr, pa.array(rest))
    grouped = pc.match_substring_regex(sub, _GROUPED_RE)  # 1,234,567.5
    if pc.any(grouped).as_py():
        text = pc.if_else(grouped, pc.replace_substring(sub, ",", ""), pa.scalar(None, pa.string()))
        cast = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        g = grouped.to_numpy(zero_copy_only=False)
        cast = np.where(np.isinf(cast), np.nan, cast)
        status[rest[g & np.isnan(cast)]] = RANGE
        values[rest[g]] = cast[g]
        rest, sub = rest[~g], pc.filter(sub, pc.invert(grouped))
    if not len(rest):
        return values, status, suffix
    encoded = pc.dictionary_encode(sub)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    parsed = [parse_value(t) for t in encoded.dictionary.to_pylist()]

    idx = encoded.indices.to_numpy(zero_copy_only=False)
    values[rest] = np.array([np.nan if v is None else v for v, _, _ in parsed])[idx]
    status[rest] = np.array([st for _, st, _ in parsed], dtype=np.int8)[idx]
    suffix[rest] = np.array([k for _, _, k in parsed], dtype=np.int8)[idx]
    return values, status, suffix


def _encode(arr: pa.ChunkedArray | pa.Array) -> tuple[np.ndarray, list[str]]:
    """(indices, distinct values) of a string column."""
    encoded = pc.dictionary_encode(arr)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = (
            encoded.combine_chunks()
            if encoded.num_chunks
            else pa.DictionaryArray.from_arrays(pa.array([], pa.int32()), pa.array([], pa.string()))
        )
    return encoded.indices.to_numpy(zero_copy_only=False), encoded.dictionary.to_pylist()


def _has_number(rows: list[list[str]]) -> bool:
    return any(parse_value(c)[1] == OK for row in rows for c in row if c.strip())


def _strings(arr: pa.Array | pa.ChunkedArray) -> pd.Series:
    """A pandas string column backed by Arrow (no Python object per row)."""
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr], pa.string())
    return pd.Series(pd.arrays.ArrowStringArray(arr))


def _dense_codes(key: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """(codes, distinct keys) of non-negative int keys below ``space``: a
    bitmap when the key space is small, hashing otherwise."""
    if space <= max(4 * len(key), 1 << 16):
        seen = np.zeros(space, dtype=bool)
        seen[key] = True
        uniques = np.flatnonzero(seen)
        remap = np.zeros(space, dtype=np.int64)
        remap[uniques] = np.arange(len(uniques))
        return remap[key], uniques
    codes, uniques = pd.factorize(key)
    return codes.astype(np.int64), np.asarray(uniques)
