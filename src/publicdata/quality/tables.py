"""Quality tables: one report per data version, the per-dataset check configuration, sample links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from publicdata.db import Base, new_id, utcnow

__all__ = ["Base", "QualityConfig", "QualityReport", "SampleLink"]


class QualityReport(Base):
    """The quality report of one data version (written in the version's commit transaction)."""

    __tablename__ = "quality_reports"
    __table_args__ = (
        UniqueConstraint("dataset_id", "version", name="uq_quality_reports_version"),
        Index("ix_quality_reports_dataset_created", "dataset_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    score: Mapped[int] = mapped_column(Integer)
    breakdown: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # columns checked, update info
    row_count: Mapped[int] = mapped_column(BigInteger)
    work_order_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QualityConfig(Base):
    """Key columns and declared constraints a provider sets for its dataset's checks."""

    __tablename__ = "quality_configs"

    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    key_columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    constraints: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SampleLink(Base):
    """A conditional dataset and the unconditional sample dataset drawn from it (ACC-7)."""

    __tablename__ = "quality_samples"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    source_dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), unique=True)
    sample_dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), unique=True)
    source_version: Mapped[int] = mapped_column(Integer)
    sample_version: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    strata: Mapped[list[str]] = mapped_column(JSON, default=list)
    seed: Mapped[int] = mapped_column(Integer)
    comparison: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
