"""Search API documents."""

from __future__ import annotations

from pydantic import BaseModel

from publicdata.catalog.schemas import DatasetSummary


class FacetValue(BaseModel):
    value: str
    label: str
    label_en: str
    count: int


class SearchHit(DatasetSummary):
    """A dataset summary with its relevance, download count and highlighted name/summary
    (HTML-escaped text with <mark> around matches)."""

    score: float | None = None
    download_count: int = 0
    highlight: dict[str, str] | None = None
