"""Kept for importers not yet moved: the reference reader lives in
:mod:`extractors.reference` (one reader, with its validation, for check and pipeline)."""

from extractors.reference import ReferenceData, read_reference

__all__ = ["ReferenceData", "read_reference"]
