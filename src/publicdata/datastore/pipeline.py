"""Steps other domains add to the making of a data version, without the data store naming them.

The architecture's flow is: read ─► infer types ─► column stats ─► privacy.scan ─► quality.check.
Ingest (and `derive_version`) run, in this order, for every new version:

1. **transforms** on the freshly written Parquet, before statistics: each may write a new temp
   Parquet (e.g. desensitization) that replaces the one to be served; the raw file is kept only where
   `settings.privacy_keep_raw` allows, next to the version as ``<n>.raw.parquet``, and never served;
2. **analyzers** on the file that will be served, after statistics, outside any transaction (slow work:
   scans, quality checks); each returns a payload;
3. **recorders** inside the one transaction that commits the version: each stores its payload (its own
   tables) — so a version and its scan / quality report appear together or not at all.

`PIPELINE_MODULES` lists the modules that register steps; they are imported on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from publicdata.catalog.tables import Dataset
    from publicdata.datastore.tables import DataVersion
    from publicdata.platform import Platform

PIPELINE_MODULES: tuple[str, ...] = ("publicdata.privacy.pipeline", "publicdata.quality.pipeline")


@dataclass
class VersionDraft:
    """A version being made: its dataset, the Parquet file that will be served, and what steps found."""

    dataset_id: str
    dataset_code: str
    provider_id: str
    parquet: Path  # the temp file that will become `<n>.parquet`
    con: duckdb.DuckDBPyConnection  # the ingest's DuckDB cursor (settings already applied)
    temps: list[Path]  # append any temp file you create: removed when the ingest ends
    columns: list[dict[str, Any]] = field(default_factory=list)  # after statistics
    row_count: int = 0
    statistics: dict[str, Any] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)  # analyzer name -> payload
    raw_parquet: Path | None = None  # set by ingest when a transform replaced the raw file
    withhold: list[str] = field(default_factory=list)  # analyzers' reasons not to serve this version

    def temp_path(self, suffix: str) -> Path:
        """A temp file next to the draft, cleaned up with the ingest (and by crash recovery)."""
        path = self.parquet.with_name(self.parquet.name.removesuffix(".parquet") + suffix)
        self.temps.append(path)
        return path


Transform = Callable[["Platform", VersionDraft], Path | None]
Analyzer = Callable[["Platform", VersionDraft], Any]
Recorder = Callable[[Session, "Dataset", "DataVersion", Any], None]


@dataclass(frozen=True)
class _Step:
    name: str
    analyze: Analyzer
    record: Recorder


_TRANSFORMS: dict[str, Transform] = {}
_STEPS: dict[str, _Step] = {}
_loaded = False


def register_transform(name: str, transform: Transform) -> None:
    """transform(platform, draft) -> path of a new Parquet to serve instead, or None to keep it."""
    _TRANSFORMS[name] = transform


def register_analyzer(name: str, analyze: Analyzer, record: Recorder) -> None:
    """analyze(platform, draft) -> payload (outside transactions); record(session, dataset, version,
    payload) stores it in the version's commit transaction."""
    _STEPS[name] = _Step(name, analyze, record)


def ensure_loaded() -> None:
    global _loaded
    if _loaded:
        return
    for module in PIPELINE_MODULES:
        importlib.import_module(module)
    _loaded = True


def transforms() -> list[tuple[str, Transform]]:
    ensure_loaded()
    return list(_TRANSFORMS.items())


def analyzers() -> list[tuple[str, Analyzer]]:
    ensure_loaded()
    return [(s.name, s.analyze) for s in _STEPS.values()]


def record_all(session: Session, dataset: Dataset, version: DataVersion, results: dict[str, Any]) -> None:
    ensure_loaded()
    for name, step in _STEPS.items():
        if name in results:
            step.record(session, dataset, version, results[name])
