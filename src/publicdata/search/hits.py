"""A page of search results as API hits, read with one narrow query (no ORM entities).

`catalog.views.dataset_summary` shapes a summary from a `Dataset`; a page of hits needs only the
columns it reads, the provider, and the newest resource's time (for the update status), so those
are read into `_Listed` rows instead of loading full entities with their fields and resources.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Select, bindparam, func, select

from publicdata.catalog.tables import Dataset, Resource
from publicdata.catalog.views import dataset_summary
from publicdata.identity.tables import Organization
from publicdata.search import index, model
from publicdata.search.schemas import SearchHit

SNIPPET_WIDTH = 120


@dataclass(frozen=True)
class PageRow:
    id: str
    score: float | None


@dataclass(frozen=True)
class _Provider:
    id: str
    code: str
    name: str
    name_en: str
    kind: str


@dataclass(frozen=True)
class _Created:
    created_at: datetime


@dataclass(frozen=True)
class _Listed:
    """The attributes of a Dataset that dataset_summary reads."""

    id: str
    code: str
    name: str
    name_en: str
    summary: str
    domain: str
    open_class: str
    formats: list[str]
    update_frequency: str
    state: str
    tags: list[str]
    updated_at: datetime
    published_at: datetime | None
    provider: _Provider
    resources: list[_Created]  # the newest resource only: all the update status needs


_COLUMNS: tuple[str, ...] = ("id", "code", "name", "name_en", "summary", "domain", "open_class")
_COLUMNS += ("formats", "update_frequency", "state", "tags", "updated_at", "published_at")


@functools.cache
def _page_statement() -> Select[Any]:
    newest = select(func.max(Resource.created_at)).where(Resource.dataset_id == Dataset.id)
    return (
        select(
            *(getattr(Dataset, c) for c in _COLUMNS),
            Organization.id,
            Organization.code,
            Organization.name,
            Organization.name_en,
            Organization.kind,
            newest.scalar_subquery(),
        )
        .join(Organization, Organization.id == Dataset.provider_id)
        .where(Dataset.id.in_(bindparam("page_ids", expanding=True)))
    )


def _listed(session: Any, ids: Sequence[str]) -> dict[str, _Listed]:
    found: dict[str, _Listed] = {}
    width = len(_COLUMNS)
    for row in session.execute(_page_statement(), {"page_ids": list(ids)}):
        values = dict(zip(_COLUMNS, row[:width], strict=True))
        newest = row[width + 5]
        found[row[0]] = _Listed(
            **values,
            provider=_Provider(*row[width : width + 5]),
            resources=[_Created(newest)] if newest is not None else [],
        )
    return found


def page_hits(
    session: Any, page: list[PageRow], query: model.Query
) -> tuple[list[SearchHit], dict[str, dict[str, str]]]:
    """The page's datasets as search hits (summary, score, downloads, highlights), in page order."""
    if not page:
        return [], {}
    page_ids = [r.id for r in page]
    download_counts = index.download_counts(session, page_ids)
    loaded = _listed(session, page_ids)
    items: list[SearchHit] = []
    highlights: dict[str, dict[str, str]] = {}
    for row in page:
        dataset = loaded[row.id]
        marks = {
            "name": model.highlight(dataset.name, query),
            "summary": model.highlight(dataset.summary, query, width=SNIPPET_WIDTH),
        }
        highlights[dataset.id] = marks
        summary = dataset_summary(cast(Dataset, dataset))
        # The summary is validated already; its fields and the hit's own are taken as they are.
        items.append(
            SearchHit.model_construct(
                **dict(summary),
                score=float(row.score) if row.score is not None and not query.empty else None,
                download_count=download_counts.get(row.id, 0),
                highlight=marks if not query.empty else None,
            )
        )
    return items, highlights
