"""Applications for conditional data: per-dataset requirements, applications, agreements, credit list."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from publicdata.db import Base, new_id, utcnow


class AccessRequirement(Base):
    """What an application for one conditional dataset needs, listed once and completely (ACC-2, ACC-8)."""

    __tablename__ = "access_requirements"

    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    # [{"key", "label_zh", "label_en", "kind": "text" | "file", "required": bool, "hint_zh", "hint_en"}]
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    agreement_template: Mapped[str] = mapped_column(Text, default="")
    min_level: Mapped[str] = mapped_column(String(4), default="L1")  # L1 real name, L2 verified company
    credit_check: Mapped[bool] = mapped_column(default=True)
    expert_threshold_rows: Mapped[int | None] = mapped_column(Integer)  # bulk requests above go to experts
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AccessApplication(Base):
    """One user's application for one conditional dataset, amended and resubmitted in place (ACC-2..ACC-5)."""

    __tablename__ = "access_applications"
    __table_args__ = (
        UniqueConstraint("applicant_id", "idempotency_key", name="uq_access_applications_idempotency"),
        Index("ix_access_applications_dataset_state", "dataset_id", "state"),
        Index("ix_access_applications_applicant", "applicant_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    provider_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    applicant_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(80))
    # submitted → (center) incomplete | forwarded → (provider) expert_review | approved | refused;
    # incomplete/refused → submitted on resubmission; approved → signed; any open state → withdrawn.
    state: Mapped[str] = mapped_column(String(20), default="submitted")
    purpose: Mapped[str] = mapped_column(Text, default="")
    scenario: Mapped[str] = mapped_column(Text, default="")
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # requested columns (data items)
    row_filter: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # requested subset
    period_start: Mapped[date | None] = mapped_column()
    period_end: Mapped[date | None] = mapped_column()
    security_measures: Mapped[str] = mapped_column(Text, default="")
    expected_rows: Mapped[int | None] = mapped_column(Integer)
    one_off_bulk: Mapped[bool] = mapped_column(default=False)  # a one-off bulk request (experts decide)
    daily_quota: Mapped[int | None] = mapped_column(Integer)
    # {"material key": {"text": ...} | {"upload_id": ..., "filename": ..., "sha256": ...}}
    materials: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(
        JSON, default=list
    )  # every reason of the last refusal
    expert_opinions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    # What the provider approved: {"fields", "period_start", "period_end", "daily_quota", "row_filter"}.
    approved_scope: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    rounds: Mapped[int] = mapped_column(Integer, default=1)  # 1 + number of resubmissions
    check_order_id: Mapped[str | None] = mapped_column(String(32))  # center's completeness check
    decision_order_id: Mapped[str | None] = mapped_column(String(32))  # provider's decision
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column()


class UsageAgreement(Base):
    """The usage agreement signed online after approval (ACC-5); its text is immutable, hashed, audited."""

    __tablename__ = "usage_agreements"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    application_id: Mapped[str] = mapped_column(
        ForeignKey("access_applications.id", ondelete="CASCADE"), unique=True
    )
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    signer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    signer_name: Mapped[str] = mapped_column(String(100))
    term_start: Mapped[date] = mapped_column()
    term_end: Mapped[date] = mapped_column()
    signed_at: Mapped[datetime] = mapped_column(default=utcnow)


class CreditListEntry(Base):
    """An entity on a dishonesty or abnormal-operation list (ACC-8 credit condition), kept by the center."""

    __tablename__ = "credit_list_entries"
    __table_args__ = (UniqueConstraint("identifier", "list_kind", name="uq_credit_list_identifier_kind"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    # A unified social credit code, or the HMAC of a resident ID (as identity stores it).
    identifier: Mapped[str] = mapped_column(String(64), index=True)
    identifier_kind: Mapped[str] = mapped_column(String(20))  # credit_code | resident_id
    name: Mapped[str] = mapped_column(String(200), default="")
    list_kind: Mapped[str] = mapped_column(String(30))  # dishonest | abnormal_operation
    source: Mapped[str] = mapped_column(String(200), default="")
    listed_on: Mapped[date | None] = mapped_column()
    removed_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
