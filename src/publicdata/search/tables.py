"""The search index: one pre-segmented document per dataset, kept in the catalog's transactions.

Text analysis: see search/model.py (jieba words + Chinese character bigrams, space-joined).

`search_documents` is an ordinary table (both databases, in the migrations). The match structures
over it are database-specific:

- PostgreSQL: a GIN index on `SEARCH_TSVECTOR` (declared here, created on PostgreSQL only).
- SQLite: the FTS5 table `search_fts` (external content = this table, rowid = `id`) with sync
  triggers, created on first use by `search.index.ensure_fts` and rebuilt from this table whenever
  it is missing. It is derived data, so it lives outside Alembic (see migrations/env.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, ForeignKey, Index, Integer, String, Text, literal_column, text
from sqlalchemy.orm import Mapped, mapped_column

from publicdata.db import Base

# setweight(title, 'A') || setweight(body, 'B'): PostgreSQL queries use this same expression, so the
# planner uses the GIN index. The index exists on PostgreSQL only (ddl_if); SQLite uses FTS5.
SEARCH_TSVECTOR_SQL = (
    "(setweight(to_tsvector('simple'::regconfig, title), 'A'::\"char\") || "
    "setweight(to_tsvector('simple'::regconfig, body), 'B'::\"char\"))"
)


class SearchDocument(Base):
    __tablename__ = "search_documents"
    __table_args__ = (
        Index(
            "ix_search_documents_hits",
            "id",
            "state",
            "provider_id",
            "domain",
            "open_class",
            "update_frequency",
            "area_code",
            "formats",
            "published_at",
            "updated_at",
            "code",
        ),
        Index("ix_search_documents_tsv", text(SEARCH_TSVECTOR_SQL), postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), unique=True)
    # Space-joined terms (search.model.analyze): the name; everything else searchable.
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # The analyzer version that produced title/body (search.index.ANALYZER).
    analyzer: Mapped[str] = mapped_column(String(20), default="")
    # Copies of the dataset's filter, facet and sort columns, so a search reads only this table (and
    # on SQLite only the covering index below) for every hit; `datasets` is read for the page alone.
    state: Mapped[str] = mapped_column(String(20))
    provider_id: Mapped[str] = mapped_column(String(32))
    domain: Mapped[str] = mapped_column(String(30))
    open_class: Mapped[str] = mapped_column(String(20))
    update_frequency: Mapped[str] = mapped_column(String(20))
    area_code: Mapped[str] = mapped_column(String(12))
    formats: Mapped[str] = mapped_column(String(200))  # " csv api " (space-delimited)
    code: Mapped[str] = mapped_column(String(40))
    published_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column()


SEARCH_TSVECTOR: ColumnElement[Any] = literal_column(
    SEARCH_TSVECTOR_SQL.replace("title)", "search_documents.title)").replace(
        "body)", "search_documents.body)"
    )
)
