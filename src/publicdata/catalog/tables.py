"""Catalog tables: datasets (open-list entries), their data items, and resources."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from publicdata.db import Base, new_id, utcnow
from publicdata.identity.tables import Organization


class Dataset(Base):
    __tablename__ = "datasets"
    __table_args__ = (
        Index("ix_datasets_state_domain", "state", "domain"),
        Index("ix_datasets_provider_state", "provider_id", "state"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # The open-list identifier, also the reference into the resource catalog (CAT-3).
    code: Mapped[str] = mapped_column(String(40), unique=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    summary: Mapped[str] = mapped_column(Text)
    domain: Mapped[str] = mapped_column(String(30))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    formats: Mapped[list[str]] = mapped_column(JSON, default=list)
    update_frequency: Mapped[str] = mapped_column(String(20))
    time_start: Mapped[date | None] = mapped_column()
    time_end: Mapped[date | None] = mapped_column()
    area_code: Mapped[str] = mapped_column(String(12), default="310000")
    relations: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Classification (CAT-4, CAT-5, ACC-8).
    open_class: Mapped[str] = mapped_column(String(20), index=True)
    grade_personal: Mapped[int] = mapped_column(Integer, default=1)
    grade_organizational: Mapped[int] = mapped_column(Integer, default=1)
    grade_object: Mapped[int] = mapped_column(Integer, default=1)
    opening_basis: Mapped[str | None] = mapped_column(String(20))
    not_open_reason: Mapped[str | None] = mapped_column(String(30))
    classification_note: Mapped[str] = mapped_column(Text, default="")
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    application_materials: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Lifecycle.
    state: Mapped[str] = mapped_column(String(20), default="draft")
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column()
    keywords_en: Mapped[list[str]] = mapped_column(JSON, default=list)

    provider: Mapped[Organization] = relationship(lazy="joined")
    fields: Mapped[list[DatasetField]] = relationship(
        back_populates="dataset",
        cascade="all, delete-orphan",
        order_by="DatasetField.position",
        lazy="selectin",
    )
    resources: Mapped[list[Resource]] = relationship(
        back_populates="dataset",
        cascade="all, delete-orphan",
        order_by="Resource.created_at",
        lazy="selectin",
    )


class DatasetField(Base):
    """A data item (数据项) of a dataset."""

    __tablename__ = "dataset_fields"
    __table_args__ = (UniqueConstraint("dataset_id", "name", name="uq_dataset_fields_name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(63))
    label: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str] = mapped_column(String(100), default="")
    type: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str] = mapped_column(String(30), default="")
    description: Mapped[str] = mapped_column(Text)
    catalog_source: Mapped[str] = mapped_column(String(200), default="")

    dataset: Mapped[Dataset] = relationship(back_populates="fields")


class Resource(Base):
    """A file, API endpoint or document attached to a dataset."""

    __tablename__ = "resources"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # file | api | document
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(String(20))
    url: Mapped[str | None] = mapped_column(String(1000))
    file_path: Mapped[str | None] = mapped_column(String(500))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    media_type: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(32))

    dataset: Mapped[Dataset] = relationship(back_populates="resources")
