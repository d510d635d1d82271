"""Work-order tables: the orders, their history, and files attached to actions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from publicdata.db import Base, new_id, utcnow


class WorkOrder(Base):
    __tablename__ = "work_orders"
    __table_args__ = (
        Index("ix_work_orders_open_due", "closed_at", "due_at"),
        Index("ix_work_orders_subject", "subject_type", "subject_id"),
        Index("ix_work_orders_responsible", "responsible_role", "responsible_org_id"),
        Index("ix_work_orders_type_state", "type", "state"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    requester_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    requester_org_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    requester_role: Mapped[str | None] = mapped_column(String(30))
    responsible_org_id: Mapped[str | None] = mapped_column(ForeignKey("organizations.id"))
    responsible_role: Mapped[str] = mapped_column(String(30))
    jurisdiction: Mapped[str] = mapped_column(String(20))
    sla_working_days: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column()
    # The clock (see workorders/model.py): basis, pause, and the due moment computed from them.
    clock_started_at: Mapped[datetime] = mapped_column()
    clock_working_days: Mapped[int] = mapped_column(Integer)
    paused_at: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime] = mapped_column()
    due_provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    provisional_years: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Extension: requested once by the responsible side, decided by the authority.
    extension_state: Mapped[str] = mapped_column(String(20), default="none")
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str] = mapped_column(Text, default="")
    overdue_at: Mapped[datetime | None] = mapped_column()
    escalated_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    # Type-specific data (what is asked, decisions, reasons).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    events: Mapped[list[WorkOrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="WorkOrderEvent.seq", lazy="selectin"
    )


class WorkOrderEvent(Base):
    """One line of an order's history: who, when, what, note, attachments."""

    __tablename__ = "work_order_events"
    __table_args__ = (Index("ix_work_order_events_order_seq", "order_id", "seq", unique=True),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("work_orders.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(32))
    actor_name: Mapped[str] = mapped_column(String(100), default="")
    party: Mapped[str | None] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(30))
    to_state: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # [{"upload_id", "sha256", "filename", "media_type", "size"}]
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    due_at: Mapped[datetime | None] = mapped_column()

    order: Mapped[WorkOrder] = relationship(back_populates="events")


class WorkOrderUpload(Base):
    """A file uploaded to be attached to a work-order action (stored by content hash)."""

    __tablename__ = "work_order_uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    path: Mapped[str] = mapped_column(String(500))
    filename: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    uploaded_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
