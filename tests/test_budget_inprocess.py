"""Small DOCX files are read in-process (extractors.budget.reads_in_process): the pre-flight
over the zip's central directory sends a small, sane DOCX past the forked worker and
everything else through it; the in-process read gives the same document, and a hostile
file is still bounded on either path.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest

from extractors.budget import (
    BadBudgetSetting,
    Budget,
    extract_plan,
    read_plan_with,
    reads_in_process,
)
from extractors.records import UnreadableDocument
from tests.helpers import FIXTURES, RAW, ROOT

PLAN_DOCX = FIXTURES / "plans" / "community_governance_plan.docx"
PLAN_PDF = next(p for p in sorted((RAW / "plans").iterdir()) if p.suffix == ".pdf")
DEFAULT = Budget()  # 300 s, 2048 MB, DOCX up to 8 MB in-process


def _raw_deflate(chunks) -> tuple[bytes, int, int]:
    """(raw deflate stream, CRC-32, size) of the byte chunks, never holding them whole."""
    comp = zlib.compressobj(1, zlib.DEFLATED, -15)
    out, crc, size = bytearray(), 0, 0
    for chunk in chunks:
        crc, size = zlib.crc32(chunk, crc), size + len(chunk)
        out += comp.compress(chunk)
    out += comp.flush()
    return bytes(out), crc, size


def write_zip(path: Path, members: dict[str, tuple[bytes, int, int]],
              declared: dict[str, int] | None = None) -> Path:
    """A zip of deflated ``members`` {name: (stream, crc, size)}; ``declared`` overrides the
    uncompressed size both headers declare (a member lying about its size)."""
    declared = declared or {}
    body, central = bytearray(), bytearray()
    for name, (stream, crc, size) in members.items():
        raw = name.encode()
        size = declared.get(name, size)
        offset = len(body)
        body += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(stream),
                            size, len(raw), 0) + raw + stream
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc,
                               len(stream), size, len(raw), 0, 0, 0, 0, 0, offset) + raw
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, len(members), len(members),
                      len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))
    return path


def document_xml(text_chunks) -> tuple[bytes, int, int]:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    head = f'<w:document xmlns:w="{w}"><w:body><w:p><w:r><w:t>'.encode()
    tail = b"</w:t></w:r></w:p></w:body></w:document>"
    return _raw_deflate([head, *text_chunks, tail])


def megabytes(n: int):
    block = b"a" * (1 << 20)
    return (block for _ in range(n))


# --------------------------------------------------------------------------- the pre-flight


def test_a_small_docx_is_read_in_process_and_the_rest_by_the_worker(tmp_path):
    assert reads_in_process(PLAN_DOCX, DEFAULT)
    assert not reads_in_process(PLAN_PDF, DEFAULT)  # a PDF: always the worker
    assert not reads_in_process(PLAN_DOCX, Budget(inprocess_mb=0))  # switched off
    assert not reads_in_process(PLAN_DOCX, Budget(300, 2048, 0.1))  # 0.1 MB: too large
    assert not reads_in_process(PLAN_DOCX, Budget(0, 0))  # unlimited: in-process anyway
    # declares 300 MB in a 300 KB file: the worker (where the reader refuses it)
    assert not reads_in_process(FIXTURES / "hostile" / "zip_bomb.docx", DEFAULT)
    garbage = tmp_path / "garbage.docx"
    garbage.write_bytes(b"PK\x03\x04 not really a docx")
    assert not reads_in_process(garbage, DEFAULT)
    bz = tmp_path / "bzip2.docx"
    with zipfile.ZipFile(bz, "w", zipfile.ZIP_BZIP2) as zf:
        zf.writestr("word/document.xml", "<x/>")
    assert not reads_in_process(bz, DEFAULT)  # only stored or deflated members
    many = tmp_path / "many.docx"
    with zipfile.ZipFile(many, "w") as zf:
        for i in range(1001):
            zf.writestr(f"part{i}.xml", "")
    assert not reads_in_process(many, DEFAULT)


def test_the_in_process_size_is_a_validated_setting(monkeypatch):
    monkeypatch.setenv("PLANWH_READ_INPROCESS_MB", "lots")
    with pytest.raises(BadBudgetSetting, match="PLANWH_READ_INPROCESS_MB='lots'"):
        Budget.from_env()
    monkeypatch.setenv("PLANWH_READ_INPROCESS_MB", "0.5")
    assert Budget.from_env().inprocess_mb == 0.5
    assert not reads_in_process(PLAN_DOCX, Budget.from_env())  # ~0.8 MB uncompressed


def _reader_pid(path: Path):
    from extractors.plans import extract_plan as read

    doc = read(path)
    doc.warnings.append(f"pid {os.getpid()}")
    return doc


def test_in_process_and_worker_give_the_same_document():
    inline = read_plan_with(_reader_pid, PLAN_DOCX, DEFAULT)
    forked = read_plan_with(_reader_pid, PLAN_DOCX, Budget(inprocess_mb=0))
    assert inline.warnings[-1] == f"pid {os.getpid()}"  # read here
    assert forked.warnings[-1] != f"pid {os.getpid()}"  # read by a worker
    assert inline.records and inline.records == forked.records
    assert inline.warnings[:-1] == forked.warnings[:-1]
    assert (inline.plan_id, inline.title, inline.tables_found, inline.issues) == \
           (forked.plan_id, forked.title, forked.tables_found, forked.issues)


# --------------------------------------------------------------------------- hostile files


def test_a_small_file_declaring_much_goes_to_the_worker_and_is_stopped(tmp_path):
    # 150 MB of text (under the reader's own 200 MB bound) in a ~150 KB file: the
    # pre-flight sends it to the worker, whose memory budget stops it
    bomb = write_zip(tmp_path / "bomb.docx", {"word/document.xml": document_xml(megabytes(150))})
    assert bomb.stat().st_size < 1 << 20
    assert not reads_in_process(bomb, DEFAULT)
    # stopped by whichever limit it reaches first: the worker's memory budget, or the XML
    # parser's own bound on one text node (10 MB): a race the machine's speed decides
    with pytest.raises(UnreadableDocument,
                       match="exceeded the memory budget|Resource limit exceeded"):
        extract_plan(bomb, Budget(60, 64))


@pytest.mark.slow  # over a second: make test only
def test_a_docx_lying_about_its_sizes_fails_clearly_in_bounded_memory(tmp_path):
    # the headers declare 1,000 bytes; the deflate stream holds 1 GB: read in-process,
    # zipfile inflates no further than the declared size and the CRC check fails
    liar = write_zip(tmp_path / "liar.docx", {"word/document.xml": document_xml(megabytes(1024))},
                     declared={"word/document.xml": 1000})
    assert liar.stat().st_size < 8 << 20
    assert reads_in_process(liar, DEFAULT)
    with pytest.raises(UnreadableDocument, match=r"corrupt or truncated DOCX \(Bad CRC-32"):
        extract_plan(liar, DEFAULT)
    # and as `planwh extract` sees it: exit 2, one line, well under the size inflated
    # the peak of this process's own address space (VmHWM starts afresh at exec; getrusage's
    # ru_maxrss does not: it keeps the forking parent's, e.g. a pytest process grown by
    # earlier tests)
    script = ("import sys\n"
              "from planwh.cli import main\n"
              "code = main(['extract', sys.argv[1]])\n"
              "hwm = next(x for x in open('/proc/self/status') if x.startswith('VmHWM:'))\n"
              "print(code, int(hwm.split()[1]) // 1024)\n")
    proc = subprocess.run([sys.executable, "-c", script, str(liar)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    code, peak_mb = proc.stdout.split()[-2:]
    assert code == "2", proc.stdout + proc.stderr
    assert "Bad CRC-32" in proc.stderr and "Traceback" not in proc.stderr
    assert int(peak_mb) < 300, peak_mb
