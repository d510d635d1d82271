"""Objection and rights-complaint tables. The work orders carry the decision clocks; these rows carry
what was claimed, the tracked marking deadline, the decisions and their links."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from publicdata.db import Base, new_id, utcnow


class Objection(Base):
    __tablename__ = "objections"
    __table_args__ = (
        Index("ix_objections_dataset_status", "dataset_id", "status"),
        Index("ix_objections_mark_due", "marked_at", "mark_due_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    dataset_code: Mapped[str] = mapped_column(String(40))
    provider_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    objector_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    field_hints: Mapped[list[str]] = mapped_column(JSON, default=list)
    row_hints: Mapped[str] = mapped_column(Text, default="")
    # [{"upload_id", "sha256", "filename", "media_type", "size"}]
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="received")
    data_version: Mapped[int | None] = mapped_column(Integer)  # current version at receipt
    received_at: Mapped[datetime] = mapped_column()
    # The 1-working-day marking deadline, tracked here; tick sets mark_overdue_at once when missed.
    mark_due_at: Mapped[datetime] = mapped_column()
    marked_at: Mapped[datetime | None] = mapped_column()
    mark_overdue_at: Mapped[datetime | None] = mapped_column()
    review_order_id: Mapped[str | None] = mapped_column(String(32), index=True)
    verification_order_id: Mapped[str | None] = mapped_column(String(32), index=True)
    forwarded_at: Mapped[datetime | None] = mapped_column()
    decided_by: Mapped[str | None] = mapped_column(String(20))  # center | provider
    outcome: Mapped[str | None] = mapped_column(String(20))  # upheld | dismissed
    result: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column()
    correction_version: Mapped[int | None] = mapped_column(Integer)
    correction_order_id: Mapped[str | None] = mapped_column(String(32))
    corrected_at: Mapped[datetime | None] = mapped_column()
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RightsComplaint(Base):
    __tablename__ = "rights_complaints"
    __table_args__ = (Index("ix_rights_complaints_dataset_status", "dataset_id", "status"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    dataset_code: Mapped[str] = mapped_column(String(40))
    provider_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    complainant_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    right_kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    field_hints: Mapped[list[str]] = mapped_column(JSON, default=list)
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(20), default="received")
    order_id: Mapped[str | None] = mapped_column(String(32), index=True)
    received_at: Mapped[datetime] = mapped_column()
    data_version: Mapped[int | None] = mapped_column(Integer)  # current version at receipt
    suspended_at: Mapped[datetime | None] = mapped_column()
    state_before_suspension: Mapped[str | None] = mapped_column(String(20))
    version_at_suspension: Mapped[int | None] = mapped_column(Integer)
    decision: Mapped[str | None] = mapped_column(String(20))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    reprocessed_version: Mapped[int | None] = mapped_column(Integer)
    decided_at: Mapped[datetime | None] = mapped_column()
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
