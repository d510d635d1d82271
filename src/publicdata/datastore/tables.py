"""Data-store tables: ingest jobs, immutable data versions, and each dataset's current version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from publicdata.db import Base, new_id, utcnow


class IngestJob(Base):
    """One upload being turned into a version: queued → running → succeeded | failed (retried)."""

    __tablename__ = "ingest_jobs"
    __table_args__ = (Index("ix_ingest_jobs_state", "state", "created_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(20), default="queued")
    progress: Mapped[int] = mapped_column(Integer, default=0)
    stage: Mapped[str] = mapped_column(String(40), default="")
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=3)
    source_path: Mapped[str] = mapped_column(String(1000))
    original_name: Mapped[str] = mapped_column(String(200))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str] = mapped_column(String(64), default="")
    options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # format, encoding, sheet
    version: Mapped[int | None] = mapped_column(Integer)
    worker: Mapped[str | None] = mapped_column(String(200))  # host:pid of the process running it
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    heartbeat_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class DataVersion(Base):
    """An immutable Parquet file of a dataset's rows, with its schema and column statistics."""

    __tablename__ = "data_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "version", name="uq_data_versions_version"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(String(1000))  # relative to the data folder
    # The file before desensitization, kept only where settings.privacy_keep_raw allows; never served.
    raw_path: Mapped[str | None] = mapped_column(String(1000))
    row_count: Mapped[int] = mapped_column(BigInteger)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    source_name: Mapped[str] = mapped_column(String(200))
    source_sha256: Mapped[str] = mapped_column(String(64))
    source_format: Mapped[str] = mapped_column(String(20))
    source_encoding: Mapped[str | None] = mapped_column(String(20))
    # [{"name", "type", "storage"}]: the inferred schema; overrides {"column": "type"} are cast at read.
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    overrides: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    statistics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    job_id: Mapped[str | None] = mapped_column(String(32))
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    schema_note: Mapped[str] = mapped_column(Text, default="")
    # A retracted version (e.g. it infringed a right and was reprocessed) is never served again.
    retracted_at: Mapped[datetime | None] = mapped_column()
    retraction_reason: Mapped[str] = mapped_column(Text, default="")
    # Set when a step of version making found it must not be served yet (e.g. unprotected personal
    # data); cleared by an explicit, audited decision (a privacy override). Empty: servable.
    withheld_reason: Mapped[str] = mapped_column(Text, default="")
    # None while the version's checks (privacy scan, quality) run: only its provider may read it, and it
    # cannot become current. Set in the transaction that records the checks and switches the head.
    checked_at: Mapped[datetime | None] = mapped_column()


class DatasetHead(Base):
    """Which version of a dataset is current; switched in the same transaction that adds a version."""

    __tablename__ = "dataset_heads"

    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
