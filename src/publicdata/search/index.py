"""Keep the search index in step with the catalog, inside the caller's transaction.

`reindex_dataset(session, dataset)` is called by every catalog use-case that changes an entry
(create, update, publish, state change, reviewed changes), so a committed change is searchable at
once and a rolled-back one never is. The document holds the pre-segmented text plus copies of the
filter/facet/sort columns (state, provider, domain, open class, frequency, district, formats,
dates), so visibility and facets are evaluated on the index alone. Downloads are counted live from
the audit log (`downloads()`), so no download path needs a hook.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    Subquery,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session

from publicdata.audit.tables import AuditRecord
from publicdata.catalog import model as catalog_model
from publicdata.catalog.tables import Dataset, Resource
from publicdata.identity.tables import Organization
from publicdata.reference.divisions import full_name
from publicdata.search import model
from publicdata.search.tables import SearchDocument

ANALYZER = "jieba-bigram-1"
DOWNLOAD_ACTIONS = ("resource.download", "datastore.download")
FTS_TABLE = "search_fts"

_FTS_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(title, body, "
    "content='search_documents', content_rowid='id', prefix='1 2', "
    "tokenize=\"unicode61 remove_diacritics 0 tokenchars '.'\")",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON search_documents BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON search_documents BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF title, body ON search_documents "
    f"BEGIN INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, body) "
    "VALUES ('delete', old.id, old.title, old.body); "
    f"INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.id, new.title, new.body); END",
)
# Indexes for SQLite's broad-query fast path (search.service): the hidden entries among the matches
# are counted from `state`, and a first page in relevance order is read walking `updated_at`. Like
# the FTS table they are derived, SQLite-only structures, created with it (search_fts* names).
_FAST_PATH_DDL = (
    "CREATE INDEX IF NOT EXISTS search_fts_ix_state ON search_documents (state)",
    "CREATE INDEX IF NOT EXISTS search_fts_ix_recent ON search_documents (updated_at, state, code)",
)
_SQLITE_STRUCTURES = (FTS_TABLE, "search_fts_ix_state", "search_fts_ix_recent")
_loaded_dictionaries: set[int] = set()


def is_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


# ---------------------------------------------------------------------------------------------
# The segmenter's custom dictionary: domain taxonomy and provider names.
# ---------------------------------------------------------------------------------------------


def taxonomy_words() -> list[str]:
    labels = [zh for zh, _en in catalog_model.DOMAIN_LABELS.values()]
    return labels + [zh for zh, _en in catalog_model.OPEN_CLASS_LABELS.values()]


def provider_words(org: Organization) -> list[str]:
    return [w for w in (org.name, org.short_name) if w]


def ensure_dictionary(session: Session) -> None:
    """Load taxonomy labels and every organization name into jieba once per database."""
    key = id(session.get_bind())
    if key in _loaded_dictionaries:
        return
    model.add_words(taxonomy_words())
    for name, short_name in session.execute(select(Organization.name, Organization.short_name)):
        model.add_words([name, short_name or ""])
    _loaded_dictionaries.add(key)


# ---------------------------------------------------------------------------------------------
# SQLite FTS5 (derived; created on first use, rebuilt from search_documents when missing)
# ---------------------------------------------------------------------------------------------


def fts_exists(session: Session) -> bool:
    found = session.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": FTS_TABLE}
    ).first()
    return found is not None


_STRUCTURES_PRESENT = text("SELECT count(*) FROM sqlite_master WHERE name IN :names").bindparams(
    bindparam("names", expanding=True)
)


def fts_ready(session: Session) -> bool:
    """Whether the FTS5 table and the fast-path indexes all exist (SQLite)."""
    names = list(_SQLITE_STRUCTURES)
    return bool(session.execute(_STRUCTURES_PRESENT, {"names": names}).scalar_one() == len(names))


def ensure_fts(session: Session) -> bool:
    """Create the FTS5 table and its sync triggers if missing and fill it, and the fast-path
    indexes; True if the FTS5 table was created."""
    if not is_sqlite(session):
        return False
    for statement in _FAST_PATH_DDL:
        session.execute(text(statement))
    if fts_exists(session):
        return False
    for statement in _FTS_DDL:
        session.execute(text(statement))
    session.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))
    return True


def drop_fts(session: Session) -> None:
    if is_sqlite(session):
        for suffix in ("ai", "ad", "au"):
            session.execute(text(f"DROP TRIGGER IF EXISTS {FTS_TABLE}_{suffix}"))
        session.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))


# ---------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------


def _area_name(code: str) -> str:
    try:
        return full_name(code)
    except KeyError:
        return ""


def document_texts(dataset: Dataset) -> tuple[str, str]:
    """(title, body) index texts of a dataset: names, summary, tags, field labels, provider."""
    provider = dataset.provider
    return texts_for(
        name=dataset.name,
        summary=dataset.summary,
        tags=list(dataset.tags),
        labels=[f.label for f in dataset.fields]
        + [f.label_en for f in dataset.fields if f.label_en]
        + [f.description for f in dataset.fields],
        provider_names=provider_words(provider) if provider else [],
        code=dataset.code,
        name_en=dataset.name_en,
        keywords_en=list(dataset.keywords_en),
        domain=dataset.domain,
        area_code=dataset.area_code,
    )


def texts_for(
    *,
    name: str,
    summary: str,
    tags: list[str],
    labels: list[str],
    provider_names: list[str],
    code: str,
    name_en: str,
    keywords_en: list[str],
    domain: str,
    area_code: str,
) -> tuple[str, str]:
    """The index texts from plain values (also used by bulk loaders and the benchmark)."""
    try:
        domain_label = catalog_model.DOMAIN_LABELS[catalog_model.Domain(domain)][0]
    except ValueError:
        domain_label = ""
    body_parts = [
        summary,
        " ".join(tags),
        " ".join(labels),
        " ".join(provider_names),
        code,
        name_en,
        " ".join(keywords_en),
        domain_label,
        _area_name(area_code),
    ]
    return model.analyze(name), model.analyze(*body_parts)


def facet_values(dataset: Dataset) -> dict[str, Any]:
    """The dataset's filter/facet/sort columns as copied into its search document."""
    return {
        "state": dataset.state,
        "provider_id": dataset.provider_id,
        "domain": dataset.domain,
        "open_class": dataset.open_class,
        "update_frequency": dataset.update_frequency,
        "area_code": dataset.area_code,
        "formats": formats_text(dataset.formats),
        "code": dataset.code,
        "published_at": dataset.published_at,
        "updated_at": dataset.updated_at,
    }


def formats_text(formats: Iterable[str]) -> str:
    return " " + " ".join(formats) + " "


def downloads(dataset_ids: Sequence[str] | None = None) -> Subquery:
    """(dataset_id, n): downloads per dataset, counted live from the audit log — entries with a
    download action on one of the dataset's resources, or on the dataset itself."""
    by_resource = (
        select(Resource.dataset_id.label("dataset_id"), func.count().label("n"))
        .select_from(AuditRecord)
        .join(Resource, Resource.id == AuditRecord.subject_id)
        .where(AuditRecord.action.in_(DOWNLOAD_ACTIONS), AuditRecord.subject_type == "resource")
        .group_by(Resource.dataset_id)
    )
    by_dataset = (
        select(AuditRecord.subject_id.label("dataset_id"), func.count().label("n"))
        .where(AuditRecord.action.in_(DOWNLOAD_ACTIONS), AuditRecord.subject_type == "dataset")
        .group_by(AuditRecord.subject_id)
    )
    if dataset_ids is not None:
        by_resource = by_resource.where(Resource.dataset_id.in_(dataset_ids))
        by_dataset = by_dataset.where(AuditRecord.subject_id.in_(dataset_ids))
    both = union_all(by_resource, by_dataset).subquery("download_rows")
    return (
        select(both.c.dataset_id, func.sum(both.c.n).label("n"))
        .group_by(both.c.dataset_id)
        .subquery("downloads")
    )


@functools.cache
def _page_downloads() -> Select[Any]:
    # Built once (building the statement costs more than running it for a page of ids).
    counts = downloads(bindparam("page_ids", expanding=True))  # type: ignore[arg-type]
    return select(counts.c.dataset_id, counts.c.n)


def download_counts(session: Session, dataset_ids: Sequence[str]) -> dict[str, int]:
    """Downloads of a few datasets (a page of results), as `downloads()` counts them."""
    if not dataset_ids:
        return {}
    rows = session.execute(_page_downloads(), {"page_ids": list(dataset_ids)})
    return {dataset_id: int(n) for dataset_id, n in rows}


def reindex_dataset(session: Session, dataset: Dataset) -> None:
    """(Re)write the dataset's search document in the caller's transaction."""
    session.flush()
    if dataset.provider is not None:
        model.add_words(provider_words(dataset.provider))
    title, body = document_texts(dataset)
    doc = session.scalar(select(SearchDocument).where(SearchDocument.dataset_id == dataset.id))
    if doc is None:
        doc = SearchDocument(dataset_id=dataset.id, title=title, body=body, **facet_values(dataset))
        session.add(doc)
    elif doc.title != title or doc.body != body:
        doc.title, doc.body = title, body
    doc.analyzer = ANALYZER
    for key, value in facet_values(dataset).items():
        setattr(doc, key, value)
    session.flush()


def _batches(session: Session, size: int) -> Iterator[list[Dataset]]:
    last = ""
    while True:
        rows = list(
            session.scalars(select(Dataset).where(Dataset.id > last).order_by(Dataset.id).limit(size))
        )
        if not rows:
            return
        yield rows
        last = rows[-1].id


def reindex_all(session: Session, *, batch_size: int = 500) -> dict[str, Any]:
    """Rebuild every document (and on SQLite the FTS5 table) from the catalog."""
    ensure_dictionary(session)
    drop_fts(session)
    session.execute(delete(SearchDocument))
    count = 0
    for batch in _batches(session, batch_size):
        for dataset in batch:
            reindex_dataset(session, dataset)
            count += 1
        session.expunge_all()
    created = ensure_fts(session)
    return {"documents": count, "fts_rebuilt": created}


def insert_documents(session: Session, rows: Iterable[dict[str, Any]]) -> None:
    """Bulk insert prepared documents (benchmarks, imports); call ensure_fts afterwards."""
    session.execute(insert(SearchDocument), list(rows))


def area_label(code: str) -> str:
    return _area_name(code) or code


def json_text(value: str) -> str:
    """A string as it appears inside a stored JSON list (Chinese kept readable, see db.py)."""
    return json.dumps(value, ensure_ascii=False)


def backfill(connection: Connection) -> int:
    """Index every dataset with plain SQL over the columns that exist at migration 0005."""
    datasets = connection.execute(
        text(
            "SELECT d.id, d.name, d.summary, d.tags, d.code, d.name_en, d.keywords_en, d.domain, "
            "d.area_code, o.name, o.short_name, d.state, d.provider_id, d.open_class, "
            "d.update_frequency, d.formats, d.published_at, d.updated_at FROM datasets d "
            "JOIN organizations o ON o.id = d.provider_id"
        )
    ).all()
    labels: dict[str, list[str]] = {}
    for dataset_id, label, label_en, description in connection.execute(
        text(
            "SELECT dataset_id, label, label_en, description FROM dataset_fields "
            "ORDER BY dataset_id, position"
        )
    ):
        labels.setdefault(dataset_id, []).extend(x for x in (label, label_en, description) if x)
    rows = []
    for row in datasets:
        ds_id, name, summary, tags, code, name_en, keywords, domain, area, org, short = row[:11]
        model.add_words([org, short or ""])
        title, body = texts_for(
            name=name,
            summary=summary,
            tags=_json_list(tags),
            labels=labels.get(ds_id, []),
            provider_names=[org, short or ""],
            code=code,
            name_en=name_en or "",
            keywords_en=_json_list(keywords),
            domain=domain,
            area_code=area or "",
        )
        rows.append(
            {"dataset_id": ds_id, "title": title, "body": body, "download_count": 0, "analyzer": ANALYZER}
        )
    if rows:
        connection.execute(text(_BACKFILL_INSERT), rows)
    return len(rows)


_BACKFILL_INSERT = (
    "INSERT INTO search_documents (dataset_id, title, body, analyzer, state, provider_id, domain, "
    "open_class, update_frequency, area_code, formats, code, published_at, updated_at) VALUES "
    "(:dataset_id, :title, :body, :analyzer, :state, :provider_id, :domain, :open_class, "
    ":update_frequency, :area_code, :formats, :code, :published_at, :updated_at)"
)


def _json_list(value: Any) -> list[str]:
    if isinstance(value, str):
        value = json.loads(value) if value else []
    return [str(v) for v in value or []]
