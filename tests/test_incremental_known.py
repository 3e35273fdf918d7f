"""Known.unchanged (pipelines/incremental.py) on plain values: what a launcher leaves out."""

from __future__ import annotations

from pipelines.incremental import Known, plan_fingerprint

REF = "r" * 64
SHA = "s" * 64


def test_a_byte_identical_copy_is_unchanged_while_its_holder_is_present():
    known = Known(fingerprints={"a.docx": plan_fingerprint(SHA, REF),
                                "b.docx": plan_fingerprint(SHA, REF)},
                  loaded_sha={"a.docx": SHA})
    assert known.unchanged("a.docx", SHA, REF, {"a.docx", "b.docx"})
    # b's rows are a's: not read again while a is there ...
    assert known.unchanged("b.docx", SHA, REF, {"a.docx", "b.docx"})
    assert known.unchanged("b.docx", SHA, REF)  # (no folder given: any holder counts)
    # ... read again once a is gone from the folder (its rows are about to be removed)
    assert not known.unchanged("b.docx", SHA, REF, {"b.docx"})
    # another content, or another reference, is read again whatever holds what
    assert not known.unchanged("b.docx", "t" * 64, REF, {"a.docx", "b.docx"})
    assert not known.unchanged("b.docx", SHA, "q" * 64, {"a.docx", "b.docx"})


def test_a_file_never_read_is_not_unchanged_even_if_its_content_is_loaded():
    known = Known(fingerprints={"a.docx": plan_fingerprint(SHA, REF)},
                  loaded_sha={"a.docx": SHA})
    assert not known.unchanged("c.docx", SHA, REF, {"a.docx", "c.docx"})
