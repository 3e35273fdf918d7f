"""Reading raw/reference once per step (no Dagster types here)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class ReferenceData:
    districts: list
    metrics: dict
    indicator_metrics: list

    @property
    def resolver(self):
        from extractors.reference import DistrictResolver

        return DistrictResolver(self.districts)


def read_reference(reference_dir: Path) -> ReferenceData:
    """Load districts.csv, metrics.csv and indicator_metrics.csv; BadReference on errors."""
    from extractors.reference import load_districts, load_indicator_metrics, load_metrics

    return ReferenceData(
        districts=load_districts(reference_dir / "districts.csv"),
        metrics=load_metrics(reference_dir / "metrics.csv"),
        indicator_metrics=load_indicator_metrics(reference_dir / "indicator_metrics.csv"),
    )
