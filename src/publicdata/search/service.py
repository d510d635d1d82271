"""Search use-cases: search the catalog with facets and highlights; rebuild the index."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import (
    Float,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, FromClause, Subquery

from publicdata.audit.service import record_audit
from publicdata.catalog import model as catalog_model
from publicdata.catalog.tables import Dataset
from publicdata.catalog.views import dataset_summary
from publicdata.catalog.visibility import visibility_clause
from publicdata.errors import ValidationFailed
from publicdata.identity import permissions as rules
from publicdata.identity.permissions import Principal
from publicdata.identity.service import find_organization, require
from publicdata.identity.tables import Organization
from publicdata.platform import Platform
from publicdata.search import index, model
from publicdata.search.schemas import FacetValue, SearchHit
from publicdata.search.tables import SEARCH_TSVECTOR, SearchDocument

SearchSort = Literal["relevance", "newest", "downloads", "updated", "name", "published"]
FACETS = ("domain", "provider", "open_class", "format", "update_frequency", "area_code")
SNIPPET_WIDTH = 120

_d = Dataset.__table__
_sd = SearchDocument.__table__


@dataclass
class SearchResult:
    """A page of hits; unpacks like list_datasets' `(total, items)` for older callers."""

    total: int
    items: list[SearchHit]
    facets: dict[str, list[FacetValue]] | None = None
    highlights: dict[str, dict[str, str]] = field(default_factory=dict)

    def __iter__(self) -> Iterator[Any]:
        yield self.total
        yield self.items


def _format_match(fmt: str) -> ColumnElement[bool]:
    return _sd.c.formats.like(f"% {fmt} %")


def _ready(platform: Platform) -> None:
    with platform.db.reading() as session:
        index.ensure_dictionary(session)
        missing = index.is_sqlite(session) and not index.fts_exists(session)
    if missing:
        with platform.db.transaction() as session:
            index.ensure_fts(session)


_FACET_COLUMNS: dict[str, Any] = {
    "domain": _sd.c.domain.label("domain"),
    "provider": _sd.c.provider_id.label("provider"),
    "open_class": _sd.c.open_class.label("open_class"),
    "update_frequency": _sd.c.update_frequency.label("update_frequency"),
    "area_code": _sd.c.area_code.label("area_code"),
}


@dataclass
class _PageRow:
    id: str
    score: float | None


def _part(kind: str, value: Any, n: Any, row_score: Any) -> Select[Any]:
    """A row shape of the combined statement: (kind, value, count or rank, score)."""
    return select(
        literal(kind, String).label("kind"),
        cast(value, String).label("value"),
        cast(n, Integer).label("n"),
        cast(row_score, Float).label("score"),
    )


def _labelled(session: Session, name: str, counts: list[tuple[str, int]]) -> list[FacetValue]:
    counts.sort(key=lambda vc: (-vc[1], vc[0]))
    labels: dict[str, tuple[str, str]] = {}
    if name == "domain":
        labels = {k.value: v for k, v in catalog_model.DOMAIN_LABELS.items()}
    elif name == "open_class":
        labels = {k.value: v for k, v in catalog_model.OPEN_CLASS_LABELS.items()}
    elif name == "update_frequency":
        labels = {k.value: v for k, v in catalog_model.FREQUENCY_LABELS.items()}
    elif name == "format":
        labels = {v: (v.upper(), v.upper()) for v, _ in counts}
    elif name == "area_code":
        labels = {v: (index.area_label(v), index.area_label(v)) for v, _ in counts}
    elif name == "provider" and counts:
        orgs = session.execute(
            select(Organization.id, Organization.code, Organization.name, Organization.name_en).where(
                Organization.id.in_([v for v, _ in counts])
            )
        )
        by_id = {oid: (code, zh, en or zh) for oid, code, zh, en in orgs}
        return [
            FacetValue(
                value=by_id.get(v, (v, v, v))[0],
                label=by_id.get(v, (v, v, v))[1],
                label_en=by_id.get(v, (v, v, v))[2],
                count=n,
            )
            for v, n in counts
        ]
    return [
        FacetValue(value=v, label=labels.get(v, (v, v))[0], label_en=labels.get(v, (v, v))[1], count=n)
        for v, n in counts
    ]


# Above this many full-text matches, bm25 (computed for every match) dominates the latency, so a
# cheap rank is used instead: name (title) matches first, then the usual recency tie-breakers.
BROAD_MATCHES = 2000
_FTS = index.FTS_TABLE


def _fts_hits(session: Session, match: str) -> Subquery:
    """(doc_id, score) of the FTS5 matches: bm25 for selective queries, a cheap rank for broad
    ones (1.0 for a match in the name, 0.0 otherwise)."""
    cheap = "(rowid IN (SELECT rowid FROM {t} WHERE {t} MATCH :title_match)) * 1.0"
    count = text(f"SELECT count(*) FROM {_FTS} WHERE {_FTS} MATCH :match")
    broad = session.execute(count, {"match": match}).scalar_one() > BROAD_MATCHES
    score = cheap.format(t=_FTS) if broad else f"-bm25({_FTS}, 10.0, 1.0)"
    statement = text(f"SELECT rowid AS doc_id, {score} AS score FROM {_FTS} WHERE {_FTS} MATCH :match")
    params = {"match": match, **({"title_match": f"{{title}} : ({match})"} if broad else {})}
    return statement.bindparams(**params).columns(doc_id=Integer, score=Float).subquery("fts")


def _tune_sqlite(session: Session) -> None:
    """A larger page cache and memory-mapped reads on search connections (once per connection)."""
    info = session.connection().connection.info
    if not info.get("search_tuned"):
        for pragma in ("PRAGMA cache_size = -32768", "PRAGMA mmap_size = 268435456"):
            session.execute(text(pragma))
        info["search_tuned"] = True


def _format_counts(format_lists: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """(format, hits) from (stored formats text " csv xlsx ", hits) pairs; formats with no hit
    are left out."""
    counts = {f.value: 0 for f in catalog_model.DataFormat}
    for formats, n in format_lists:
        for fmt in counts:
            if f" {fmt} " in formats:
                counts[fmt] += n
    return [(fmt, n) for fmt, n in counts.items() if n]


def _order(c: Any, sort: str) -> list[Any]:
    """The page order of a sort over columns `c` (hits or a subquery of them); code breaks ties."""
    orders: dict[str, list[Any]] = {
        "relevance": [c.score.desc(), c.updated_at.desc()],
        "newest": [c.published_at.desc().nulls_last(), c.updated_at.desc()],
        "downloads": [c.downloads.desc(), c.score.desc()],
        "updated": [c.updated_at.desc()],
        "name": [c.name] if sort == "name" else [],
        "published": [c.published_at.desc().nulls_last()],
    }
    return [*orders[sort], c.code]


def search_datasets(
    platform: Platform,
    *,
    actor: Principal,
    q: str | None = None,
    domain: str | None = None,
    provider: str | None = None,
    open_class: str | None = None,
    state: str | None = None,
    fmt: str | None = None,
    frequency: str | None = None,
    area_code: str | None = None,
    tag: str | None = None,
    facets: Sequence[str] = (),
    sort: SearchSort | None = None,
    offset: int = 0,
    limit: int = 20,
) -> SearchResult:
    """Full-text search (PLT-3): visible entries only, filters, facet counts, highlights."""
    unknown = [f for f in facets if f not in FACETS]
    if unknown:
        raise ValidationFailed(
            f"unknown facet {unknown[0]!r}; choose from {', '.join(FACETS)}",
            message_zh="不支持的分面",
            code="invalid_facet",
            details=[{"field": "facet", "message": f"unknown facet {f!r}"} for f in unknown],
        )
    query = model.parse_query(q or "")
    sort = sort or ("relevance" if not query.empty else "updated")
    _ready(platform)
    with platform.db.reading() as session:
        sqlite = index.is_sqlite(session)
        if sqlite:
            _tune_sqlite(session)
        where: list[ColumnElement[bool]] = []
        visible = visibility_clause(actor, _sd.c.state, _sd.c.provider_id)
        if visible is not None:
            where.append(visible)
        if provider:
            where.append(_sd.c.provider_id == find_organization(session, provider).id)
        for column, value in (
            (_sd.c.domain, domain),
            (_sd.c.open_class, open_class),
            (_sd.c.state, state),
            (_sd.c.update_frequency, frequency),
            (_sd.c.area_code, area_code),
        ):
            if value:
                where.append(column == str(value))
        if fmt:
            where.append(_format_match(str(fmt)))
        if tag:
            where.append(cast(_d.c.tags, String).like(f"%{index.json_text(tag)}%"))

        # `datasets` joins in only for what the copies lack: the tag filter and the name sort.
        source: FromClause = _sd
        if tag or sort == "name":
            source = _sd.join(_d, _d.c.id == _sd.c.dataset_id)
        score: ColumnElement[Any] = literal_column("0.0")
        if not query.empty:
            if sqlite:
                fts = _fts_hits(session, model.fts5_match(query))
                source = source.join(fts, fts.c.doc_id == _sd.c.id)
                score = fts.c.score
            else:
                tsq = cast(bindparam("tsq", model.tsquery(query), type_=String), TSQUERY)
                where.append(SEARCH_TSVECTOR.op("@@")(tsq))
                score = func.ts_rank(SEARCH_TSVECTOR, tsq)
        elif q and q.strip():
            # Only punctuation: nothing can match.
            return SearchResult(0, [], {f: [] for f in facets} if facets else None)

        ranked = source
        downloaded: ColumnElement[Any] = literal_column("0")
        if sort == "downloads":
            counts = index.downloads()
            ranked = source.outerjoin(counts, counts.c.dataset_id == _sd.c.dataset_id)
            downloaded = func.coalesce(counts.c.n, 0)
        # One statement: the matching, visible entries are materialized once ("hits"); the total,
        # the requested page and every facet are then read from that small table (UNION ALL).
        hits = (
            select(
                _sd.c.dataset_id.label("id"),
                score.label("score"),
                downloaded.label("downloads"),
                _sd.c.updated_at,
                _sd.c.published_at,
                *([_d.c.name] if sort == "name" else []),
                _sd.c.code,
                *(_FACET_COLUMNS[f] for f in facets if f in _FACET_COLUMNS),
                *([_sd.c.formats.label("formats_text")] if "format" in facets else []),
            )
            .select_from(ranked)
            .where(*where)
            .cte("hits")
            .prefix_with("MATERIALIZED")
        )
        h = hits.c
        # The first offset + limit hits by a top-N sort, then numbered: no window over every hit.
        sort_columns = ["downloads", "updated_at", "published_at", *(["name"] if sort == "name" else [])]
        top = (
            select(h.id, h.score, *(h[c] for c in sort_columns), h.code)
            .order_by(*_order(h, sort))
            .limit(offset + limit)
            .subquery("top")
        )
        numbered = select(
            top.c.id, top.c.score, func.row_number().over(order_by=_order(top.c, sort)).label("rn")
        ).subquery("numbered")
        parts: list[Any] = [
            _part("total", null(), func.count(), null()).select_from(hits),
            _part("page", numbered.c.id, numbered.c.rn, numbered.c.score).where(
                numbered.c.rn > offset, numbered.c.rn <= offset + limit
            ),
        ]
        for name in facets:
            if name == "format":  # one pass over the hits per distinct format list, split below
                parts.append(_part(name, h.formats_text, func.count(), null()).group_by(h.formats_text))
            else:
                column = h[name]
                parts.append(_part(name, column, func.count(), null()).group_by(column))
        total = 0
        page_rows: list[tuple[int, str, float | None]] = []
        facet_rows: dict[str, list[tuple[str, int]]] = {f: [] for f in facets}
        format_lists: list[tuple[str, int]] = []
        for kind, value, n, row_score in session.execute(union_all(*parts)):
            if kind == "total":
                total = int(n)
            elif kind == "page":
                page_rows.append((int(n), str(value), row_score))
            elif kind == "format":
                format_lists.append((str(value), int(n)))
            elif n:
                facet_rows[kind].append((str(value), int(n)))
        if "format" in facets:
            facet_rows["format"] = _format_counts(format_lists)
        page_rows.sort()
        page = [_PageRow(id=i, score=sc) for _, i, sc in page_rows]
        page_ids = [r.id for r in page]
        counts_sq = index.downloads(page_ids)
        download_counts = {
            k: int(n) for k, n in session.execute(select(counts_sq.c.dataset_id, counts_sq.c.n))
        }
        loaded = {
            d.id: d for d in session.scalars(select(Dataset).where(Dataset.id.in_([r.id for r in page])))
        }
        items: list[SearchHit] = []
        highlights: dict[str, dict[str, str]] = {}
        for row in page:
            dataset = loaded[row.id]
            marks = {
                "name": model.highlight(dataset.name, query),
                "summary": model.highlight(dataset.summary, query, width=SNIPPET_WIDTH),
            }
            highlights[dataset.id] = marks
            items.append(
                SearchHit(
                    **dataset_summary(dataset).model_dump(),
                    score=float(row.score) if row.score is not None and not query.empty else None,
                    download_count=download_counts.get(row.id, 0),
                    highlight=marks if not query.empty else None,
                )
            )
        facet_counts = (
            {name: _labelled(session, name, facet_rows[name]) for name in facets} if facets else None
        )
        return SearchResult(total, items, facet_counts, highlights if not query.empty else {})


def reindex_all(platform: Platform, *, actor: Principal) -> dict[str, Any]:
    """Rebuild the whole search index from the catalog (after upgrades or analyzer changes)."""
    require(rules.can_publish_dataset(actor))
    with platform.db.transaction() as session:
        result = index.reindex_all(session)
        record_audit(
            session,
            actor=actor,
            action="search.reindex",
            subject_type="search_index",
            subject_id=None,
            details=result,
        )
        return result
