"""Search use-cases: search the catalog with facets and highlights; rebuild the index."""

from __future__ import annotations

import weakref
from collections.abc import Hashable, Iterator, Sequence
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
from publicdata.catalog.model import VISIBLE_STATES
from publicdata.catalog.tables import Dataset
from publicdata.catalog.visibility import visibility_clause
from publicdata.errors import ValidationFailed
from publicdata.identity import permissions as rules
from publicdata.identity.permissions import Principal
from publicdata.identity.service import find_organization, require
from publicdata.identity.tables import Organization
from publicdata.platform import Platform
from publicdata.search import index, model
from publicdata.search.hits import PageRow, page_hits
from publicdata.search.schemas import FacetValue, SearchHit
from publicdata.search.tables import SEARCH_TSVECTOR, SearchDocument

SearchSort = Literal["relevance", "newest", "downloads", "updated", "name", "published"]
FACETS = ("domain", "provider", "open_class", "format", "update_frequency", "area_code")

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


_READY: weakref.WeakSet[Any] = weakref.WeakSet()  # engines whose index structures are in place


def _ready(platform: Platform) -> None:
    """Load the segmenter's dictionary and, on SQLite, create the FTS5 table and its indexes if
    missing (checked once per engine: afterwards they are only ever rebuilt in one transaction)."""
    if platform.db.engine in _READY:
        return
    with platform.db.reading() as session:
        index.ensure_dictionary(session)
        missing = index.is_sqlite(session) and not index.fts_ready(session)
    if missing:
        with platform.db.transaction() as session:
            index.ensure_fts(session)
    _READY.add(platform.db.engine)


_FACET_COLUMNS: dict[str, Any] = {
    "domain": _sd.c.domain.label("domain"),
    "provider": _sd.c.provider_id.label("provider"),
    "open_class": _sd.c.open_class.label("open_class"),
    "update_frequency": _sd.c.update_frequency.label("update_frequency"),
    "area_code": _sd.c.area_code.label("area_code"),
}


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
_FTS_COUNT = text(f"SELECT count(*) FROM {_FTS} WHERE {_FTS} MATCH :match")
_STATEMENTS_MAX = 512  # built statements kept per cache (shapes; actors' visibilities)
# The filters that take a value; each becomes a named parameter of the cached statement.
_FILTERS = ("domain", "provider", "open_class", "state", "fmt", "frequency", "area_code", "tag")


def _fts_hits(broad: bool) -> Subquery:
    """(doc_id, score) of the FTS5 matches: bm25 for selective queries (parameter :match); for
    broad ones a cheap rank, 1.0 for a match in the name and 0.0 otherwise, read as two disjoint
    match sets (:title_match, :other_match) rather than testing every match against the first."""
    fts = f"FROM {_FTS} WHERE {_FTS} MATCH"
    if broad:
        sql = f"SELECT rowid AS doc_id, 1.0 AS score {fts} :title_match "
        sql += f"UNION ALL SELECT rowid, 0.0 {fts} :other_match"
    else:
        sql = f"SELECT rowid AS doc_id, -bm25({_FTS}, 10.0, 1.0) AS score {fts} :match"
    return text(sql).columns(doc_id=Integer, score=Float).subquery("fts")


def _broad_matches(match: str) -> dict[str, str]:
    """The two disjoint match sets of the cheap rank: in the name, and elsewhere only."""
    return {"title_match": f"{{title}} : ({match})", "other_match": f"({match}) NOT {{title}} : ({match})"}


@dataclass(frozen=True)
class _FastStatements:
    counts: Any  # (matches, hidden matches if over :broad else 0) of :match
    walk: Any  # the visible matches of a match set, newest first, up to :top_n


_FAST: dict[Hashable, _FastStatements] = {}


def _fast_statements(session: Session, actor: Principal) -> _FastStatements:
    """SQLite statements for relevance queries without filters or facets: when broad they would
    otherwise read every match's search document. The total is the FTS5 count minus the hidden
    matches (found from the few non-visible entries through the state index), and the page walks
    the entries newest first, keeping those in the cheap rank's match sets, until it is full."""
    key = _visibility_key(actor)
    found = _FAST.get(key)
    if found is not None:
        return found
    clause = visibility_clause(actor, literal_column("state"), literal_column("provider_id"))
    match = f"IN (SELECT rowid FROM {_FTS} WHERE {_FTS} MATCH :match)"
    counts = f"SELECT count(*), 0 FROM {_FTS} WHERE {_FTS} MATCH :match"
    visible = ""
    if clause is not None:
        compiled = clause.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
        visible = f"({compiled}) AND "
        # Whoever else may see an entry, it is one in a non-visible state: those bound the scan.
        states = ", ".join(f"'{s.value}'" for s in catalog_model.DatasetState if s not in VISIBLE_STATES)
        hidden = (
            "SELECT count(*) FROM search_documents INDEXED BY search_fts_ix_state "
            f"WHERE state IN ({states}) AND NOT ({compiled}) AND +id IN m"
        )
        # The matches are read once; the hidden ones are only counted for a broad query.
        counts = (
            f"WITH m AS MATERIALIZED (SELECT rowid AS id FROM {_FTS} WHERE {_FTS} MATCH :match) "
            f"SELECT n, CASE WHEN n > :broad THEN ({hidden}) ELSE 0 END FROM (SELECT count(*) AS n FROM m)"
        )
    walk = (
        "SELECT dataset_id FROM search_documents INDEXED BY search_fts_ix_recent "
        f"WHERE {visible}id {match} ORDER BY updated_at DESC, code LIMIT :top_n"
    )
    if len(_FAST) >= _STATEMENTS_MAX:
        _FAST.clear()
    found = _FAST[key] = _FastStatements(text(counts), text(walk))
    return found


def _broad_page(session: Session, actor: Principal, match: str, offset: int, limit: int) -> list[PageRow]:
    """The page of a broad relevance query without filters or facets (see _fast_statements), the
    same as the general statement gives."""
    statements = _fast_statements(session, actor)
    rows: list[PageRow] = []
    sets = _broad_matches(match)
    for score, match_set in ((1.0, sets["title_match"]), (0.0, sets["other_match"])):
        wanted = offset + limit - len(rows)
        if wanted <= 0:
            break
        found = session.execute(statements.walk, {"match": match_set, "top_n": wanted})
        rows.extend(PageRow(id=dataset_id, score=score) for (dataset_id,) in found)
    return rows[offset : offset + limit]


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


@dataclass(frozen=True)
class _Shape:
    """Everything that changes the text of the search statement (values are parameters), so a
    statement is built once per shape and reused: building it costs more than running it for
    most queries."""

    sqlite: bool
    visibility: Hashable  # what visibility_clause reads of the actor
    filters: frozenset[str]  # the _FILTERS that are set
    text_query: bool
    broad: bool
    sort: str
    facets: tuple[str, ...]


_STATEMENTS: dict[_Shape, Any] = {}


def _visibility_key(actor: Principal) -> Hashable:
    return actor.is_system, actor.roles


def _filter_clauses(filters: frozenset[str]) -> list[ColumnElement[bool]]:
    columns = {
        "domain": _sd.c.domain,
        "provider": _sd.c.provider_id,
        "open_class": _sd.c.open_class,
        "state": _sd.c.state,
        "frequency": _sd.c.update_frequency,
        "area_code": _sd.c.area_code,
    }
    chosen = [f for f in _FILTERS if f in filters and f in columns]
    where = [columns[f] == bindparam(f"f_{f}", type_=String) for f in chosen]
    if "fmt" in filters:
        where.append(_sd.c.formats.like(bindparam("f_fmt", type_=String)))
    if "tag" in filters:
        where.append(cast(_d.c.tags, String).like(bindparam("f_tag", type_=String)))
    return where


def _build(shape: _Shape, actor: Principal) -> Any:
    """The one search statement of a shape: the matching, visible entries are materialized once
    ("hits"); the total, the requested page and every facet are then read from that small table
    (UNION ALL). Parameters: the f_* filter values, match/title_match (SQLite) or tsq
    (PostgreSQL), top_n, page_from, page_to."""
    where = _filter_clauses(shape.filters)
    visible = visibility_clause(actor, _sd.c.state, _sd.c.provider_id)
    if visible is not None:
        where.insert(0, visible)
    # `datasets` joins in only for what the copies lack: the tag filter and the name sort.
    source: FromClause = _sd
    if "tag" in shape.filters or shape.sort == "name":
        source = _sd.join(_d, _d.c.id == _sd.c.dataset_id)
    score: ColumnElement[Any] = literal_column("0.0")
    if shape.text_query:
        if shape.sqlite:
            fts = _fts_hits(shape.broad)
            source = source.join(fts, fts.c.doc_id == _sd.c.id)
            score = fts.c.score
        else:
            tsq = cast(bindparam("tsq", type_=String), TSQUERY)
            where.append(SEARCH_TSVECTOR.op("@@")(tsq))
            score = func.ts_rank(SEARCH_TSVECTOR, tsq)
    downloaded: ColumnElement[Any] = literal_column("0")
    if shape.sort == "downloads":
        counts = index.downloads()
        source = source.outerjoin(counts, counts.c.dataset_id == _sd.c.dataset_id)
        downloaded = func.coalesce(counts.c.n, 0)
    facets = shape.facets
    hits = (
        select(
            _sd.c.dataset_id.label("id"),
            score.label("score"),
            downloaded.label("downloads"),
            _sd.c.updated_at,
            _sd.c.published_at,
            *([_d.c.name] if shape.sort == "name" else []),
            _sd.c.code,
            *(_FACET_COLUMNS[f] for f in facets if f in _FACET_COLUMNS),
            *([_sd.c.formats.label("formats_text")] if "format" in facets else []),
        )
        .select_from(source)
        .where(*where)
        .cte("hits")
        .prefix_with("MATERIALIZED")
    )
    h = hits.c
    # The first offset + limit hits by a top-N sort, then numbered: no window over every hit.
    sort_columns = ["downloads", "updated_at", "published_at", *(["name"] if shape.sort == "name" else [])]
    top = (
        select(h.id, h.score, *(h[c] for c in sort_columns), h.code)
        .order_by(*_order(h, shape.sort))
        .limit(bindparam("top_n", type_=Integer))
        .subquery("top")
    )
    numbered = select(
        top.c.id, top.c.score, func.row_number().over(order_by=_order(top.c, shape.sort)).label("rn")
    ).subquery("numbered")
    parts: list[Any] = [
        _part("total", null(), func.count(), null()).select_from(hits),
        _part("page", numbered.c.id, numbered.c.rn, numbered.c.score).where(
            numbered.c.rn > bindparam("page_from", type_=Integer),
            numbered.c.rn <= bindparam("page_to", type_=Integer),
        ),
    ]
    for name in facets:
        if name == "format":  # one pass over the hits per distinct format list, split below
            parts.append(_part(name, h.formats_text, func.count(), null()).group_by(h.formats_text))
        else:
            column = h[name]
            parts.append(_part(name, column, func.count(), null()).group_by(column))
    return union_all(*parts)


def _statement(shape: _Shape, actor: Principal) -> Any:
    statement = _STATEMENTS.get(shape)
    if statement is None:
        if len(_STATEMENTS) >= _STATEMENTS_MAX:
            _STATEMENTS.clear()
        statement = _STATEMENTS[shape] = _build(shape, actor)
    return statement


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
        values: dict[str, Any] = {
            "domain": domain,
            "provider": find_organization(session, provider).id if provider else None,
            "open_class": open_class,
            "state": state,
            "fmt": f"% {fmt} %" if fmt else None,
            "frequency": frequency,
            "area_code": area_code,
            "tag": f"%{index.json_text(tag)}%" if tag else None,
        }
        if query.empty and q and q.strip():
            # Only punctuation: nothing can match.
            return SearchResult(0, [], {f: [] for f in facets} if facets else None)
        params: dict[str, Any] = {f"f_{k}": str(v) for k, v in values.items() if v}
        params.update(top_n=offset + limit, page_from=offset, page_to=offset + limit)
        broad = False
        if not query.empty:
            if sqlite:
                match = model.fts5_match(query)
                if sort == "relevance" and not facets and not any(values.values()):
                    counts = _fast_statements(session, actor).counts
                    fast_params = {"match": match, "broad": BROAD_MATCHES}
                    matches, hidden = session.execute(counts, fast_params).one()
                    if matches > BROAD_MATCHES:
                        page = _broad_page(session, actor, match, offset, limit)
                        items, highlights = page_hits(session, page, query)
                        return SearchResult(matches - hidden, items, None, highlights)
                else:
                    matches = session.execute(_FTS_COUNT, {"match": match}).scalar_one()
                broad = matches > BROAD_MATCHES
                params.update(_broad_matches(match) if broad else {"match": match})
            else:
                params["tsq"] = model.tsquery(query)
        shape = _Shape(
            sqlite=sqlite,
            visibility=_visibility_key(actor),
            filters=frozenset(k for k, v in values.items() if v),
            text_query=not query.empty,
            broad=broad,
            sort=sort,
            facets=tuple(facets),
        )
        total = 0
        page_rows: list[tuple[int, str, float | None]] = []
        facet_rows: dict[str, list[tuple[str, int]]] = {f: [] for f in facets}
        format_lists: list[tuple[str, int]] = []
        for kind, value, n, row_score in session.execute(_statement(shape, actor), params):
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
        items, highlights = page_hits(session, [PageRow(id=i, score=sc) for _, i, sc in page_rows], query)
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
