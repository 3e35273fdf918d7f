"""CSV files: encoding detected from the bytes, delimiter sniffed; large UTF-8
files parsed by pyarrow."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa

from extractors.records import UnreadableStatsFile
from extractors.stats.grid import HEAD_ROWS, Grid
from extractors.stats.header import _find_header

FAST_PATH_BYTES = 4 << 20  # UTF-8 CSVs larger than this are parsed by pyarrow


def detect_encoding(path: Path) -> str:
    """'utf-8-sig', 'utf-16', 'utf-8' or 'gb18030', decided by strict decoding
    of the whole file; UnreadableStatsFile when none fits."""
    with path.open("rb") as f:
        start = f.read(4)
    if start.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for enc in candidates:
        decoder = codecs.getincrementaldecoder(enc)("strict")
        sample: list[str] = []
        try:
            with path.open("rb") as f:
                while chunk := f.read(16 << 20):
                    text = decoder.decode(chunk)
                    if enc == "gb18030" and sum(map(len, sample)) < 1 << 20:
                        sample.append(text)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if enc == "gb18030" and not _plausible_chinese("".join(sample)):
            continue
        return enc
    names = " or ".join("GB18030" if c == "gb18030" else c.upper() for c in candidates)
    raise UnreadableStatsFile(path.name, f"text encoding is not {names}")


def _plausible_chinese(text: str) -> bool:
    """GB18030 decodes most byte soup; real GBK statistics use common Chinese
    characters (GB2312). Reject text whose non-ASCII characters mostly are not."""
    non_ascii = [ch for ch in text if ord(ch) > 127]
    if not non_ascii:
        return True
    common = 0
    for ch in non_ascii:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            # GBK's symbol rows (A1-A9: — as 0xA1AA, which Python's GB2312 codec
            # maps to ― instead) are as common in statistics as GB2312 itself
            try:
                b = ch.encode("gbk")
            except UnicodeEncodeError:
                continue
            common += len(b) == 2 and 0xA1 <= b[0] <= 0xA9
    return common >= 0.95 * len(non_ascii)


def _starts_as_utf8(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(1 << 16)
    try:
        codecs.getincrementaldecoder("utf-8-sig")("strict").decode(head)
    except UnicodeDecodeError:
        return False
    return True


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_count = ",", 0
    for delim in (",", "\t", ";", "|"):
        count = max((line.count(delim) for line in lines), default=0)
        if count > best_count:
            best, best_count = delim, count
    return best


def _csv_grid(path: Path, size: int, lookup: Mapping[str, str]) -> Grid:
    if size > FAST_PATH_BYTES and _starts_as_utf8(path):
        # pyarrow validates UTF-8 itself (check_utf8): invalid bytes anywhere
        # make it decline, and the strict detection below takes over
        grid = _fast_csv_grid(path, "utf-8-sig", lookup)
        if grid is not None:
            return grid
    enc = detect_encoding(path)
    _check_line_lengths(path, enc)
    with path.open("rb") as raw:
        head_text = io.TextIOWrapper(raw, encoding=enc, newline="").read(1 << 16)
    delim = _sniff_delimiter(head_text.lstrip("\ufeff").splitlines()[:HEAD_ROWS])
    rows, numbers = [], []
    cells = 0
    with path.open("rb") as raw:
        stream = io.TextIOWrapper(raw, encoding=enc, newline="")
        first = stream.read(1)
        if first and first != "\ufeff":
            stream = _Prefixed(first, stream)
        reader = csv.reader(stream, delimiter=delim)
        last = 0
        try:
            for row in reader:
                cells += max(len(row), 1)
                if cells > MAX_CSV_CELLS:
                    raise UnreadableStatsFile(
                        path.name,
                        f"more than {MAX_CSV_CELLS:,} cells for the exact CSV reader (it reads "
                        "files the fast reader declines: blank lines, ragged rows, quoted line "
                        "breaks, not UTF-8): beyond the statistics reader's budget",
                        f"row {last + 1}",
                    )
                rows.append(row)
                numbers.append(last + 1)
                last = reader.line_num
        except csv.Error as e:
            raise UnreadableStatsFile(path.name, f"malformed CSV: {e}", f"row {last + 1}") from None
    return Grid(None, rows[:HEAD_ROWS], rows, numbers)


MAX_CSV_CELLS = 5_000_000  # cells the exact (Python) CSV reader holds at once
MAX_LINE_BYTES = 1 << 20  # a line longer than this is no statistics row


class _Prefixed:
    """A text stream with one character put back (the BOM check read it)."""

    def __init__(self, first: str, stream):
        self.first, self.stream = first, stream

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.stream.readline()
        if self.first:
            line, self.first = self.first + line, ""
        if not line:
            raise StopIteration
        return line


def _check_line_lengths(path: Path, enc: str) -> None:
    """Refuse, before decoding, a file with a line longer than MAX_LINE_BYTES
    (a 1 GiB one-line file, megabytes of ``1,``): one issue, in bounded
    memory (16 MiB chunks; newline positions found by numpy)."""
    if path.stat().st_size <= MAX_LINE_BYTES:
        return
    newline = b"\n\x00" if enc == "utf-16" else b"\n"
    start = 0  # offset of the current line's start
    offset = 0
    line = 1
    with path.open("rb") as f:
        while chunk := f.read(16 << 20):
            arr = np.frombuffer(chunk, dtype=np.uint8)
            ends = np.flatnonzero(arr == newline[0]) + offset
            if len(ends):
                lengths = np.diff(np.concatenate(([start], ends + 1)))
                longest = int(np.argmax(lengths))
                if lengths[longest] > MAX_LINE_BYTES:
                    line += longest
                    break
                line += len(ends)
                start = int(ends[-1]) + 1
            offset += len(chunk)
            if offset - start > MAX_LINE_BYTES:
                break
        else:
            return
    raise UnreadableStatsFile(
        path.name,
        f"a line longer than {MAX_LINE_BYTES:,} bytes: not a statistics table "
        "(refused before reading it whole)",
        f"row {line}",
    )


def _fast_head(path: Path, enc: str, lookup: Mapping[str, str]):
    """(head rows, header index, width, delimiter) of a large CSV read by pyarrow, from
    its first 64 KiB; None without a header there."""
    with path.open("rb") as f:
        head_bytes = f.read(1 << 16)
    head_text = codecs.getincrementaldecoder(enc)("strict").decode(head_bytes)  # no final: a
    # character cut at the 64 KiB boundary stays pending, and the cut line is dropped below
    head_lines = head_text.split("\n")[:-1][:HEAD_ROWS]  # complete lines only
    delim = _sniff_delimiter(head_lines)
    head = [next(csv.reader([line.rstrip("\r")], delimiter=delim), []) for line in head_lines]
    found = _find_header(head, lookup)
    if found is None:
        return None
    layout, header = found
    return head, header, layout.width, delim


def physical_lines(path: Path) -> int:
    """Lines of a file as an editor counts them (a last line without a newline counts)."""
    with path.open("rb") as f:
        newlines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(16 << 20), b""))
        f.seek(-1, 2)
        ends_with_newline = f.read(1) == b"\n"
    return newlines + (0 if ends_with_newline else 1)


def _arrow_csv_options(header: int, width: int, delim: str, block_size: int | None = None):
    """pyarrow's read, parse and convert options for the body below ``header``: every
    cell a string, nothing read as null (an empty cell stays an empty string)."""
    import pyarrow.csv as pacsv

    read = pacsv.ReadOptions(skip_rows=header + 1, column_names=[f"c{i}" for i in range(width)])
    if block_size:  # a stream of batches: one at a time, no read-ahead
        read.block_size = block_size
        read.use_threads = False
    return dict(
        read_options=read,
        parse_options=pacsv.ParseOptions(delimiter=delim),
        convert_options=pacsv.ConvertOptions(
            column_types={f"c{i}": pa.string() for i in range(width)},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _fast_csv_grid(path: Path, enc: str, lookup: Mapping[str, str]) -> Grid | None:
    """pyarrow parse of a large UTF-8 CSV; None when the file needs the exact
    (Python) reader: a header beyond the first lines, blank lines, ragged rows
    or quoted line breaks, which would shift row numbers."""
    import pyarrow.csv as pacsv

    found = _fast_head(path, enc, lookup)
    if found is None:
        return None
    head, header, width, delim = found
    physical = physical_lines(path)
    try:
        table = pacsv.read_csv(path, **_arrow_csv_options(header, width, delim))
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # ragged rows, invalid UTF-8
        return None
    if table.num_rows != physical - header - 1:
        return None
    return Grid(
        None,
        head[: header + 1],
        arrow=table,
        arrow_first_row=header + 2,
        arrow_header_index=header,
    )
