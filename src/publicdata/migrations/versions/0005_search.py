"""search index: pre-segmented documents (FTS5 on SQLite is derived, created on first use)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 13:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TSVECTOR_SQL = (
    "(setweight(to_tsvector('simple'::regconfig, title), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'B'))"
)


def upgrade() -> None:
    op.create_table(
        "search_documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("dataset_id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("analyzer", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("provider_id", sa.String(length=32), nullable=False),
        sa.Column("domain", sa.String(length=30), nullable=False),
        sa.Column("open_class", sa.String(length=20), nullable=False),
        sa.Column("update_frequency", sa.String(length=20), nullable=False),
        sa.Column("area_code", sa.String(length=12), nullable=False),
        sa.Column("formats", sa.String(length=200), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_search_documents_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_documents")),
        sa.UniqueConstraint("dataset_id", name=op.f("uq_search_documents_dataset_id")),
    )
    op.create_index(
        "ix_search_documents_hits",
        "search_documents",
        [
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
        ],
        unique=False,
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_search_documents_tsv ON search_documents USING gin ({TSVECTOR_SQL})")
    # Index the datasets that already exist (same analyzer as the application).
    from publicdata.search.index import backfill

    backfill(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for suffix in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS search_fts_{suffix}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_search_documents_tsv")
    op.drop_index("ix_search_documents_hits", table_name="search_documents")
    op.drop_table("search_documents")
