"""Grants and what happens under them: calls, usage reports, violations, misuse reports (ACC-6, ACC-9..11)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from publicdata.db import Base, new_id, utcnow


class AccessGrant(Base):
    """The right, from a signed agreement, to read a conditional dataset within a scope (ACC-6)."""

    __tablename__ = "access_grants"
    __table_args__ = (Index("ix_access_grants_user_dataset", "user_id", "dataset_id", "state"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("organizations.id"))
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    application_id: Mapped[str | None] = mapped_column(String(32), index=True)
    agreement_id: Mapped[str | None] = mapped_column(String(32))
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)  # allowed columns; never empty when issued
    row_filter: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # [{"column","op","value"}]
    valid_from: Mapped[date] = mapped_column()
    valid_until: Mapped[date] = mapped_column()
    daily_quota: Mapped[int] = mapped_column(Integer)  # served calls per Shanghai day
    # Rows delivered per Shanghai day (records pages, SQL result rows, downloads together); None: no limit.
    daily_row_quota: Mapped[int | None] = mapped_column(BigInteger)
    delivery: Mapped[str] = mapped_column(String(20), default="online")  # online | offline
    state: Mapped[str] = mapped_column(String(20), default="active")  # active | suspended | closed
    state_reason: Mapped[str] = mapped_column(Text, default="")
    # why it is suspended: provider | center | report | violation (resuming checks the cause)
    suspension_cause: Mapped[str] = mapped_column(String(20), default="", server_default="")
    token_id: Mapped[str | None] = mapped_column(String(32))  # the scoped API token delivered with it
    report_every_days: Mapped[int] = mapped_column(Integer, default=90)
    next_report_due: Mapped[date | None] = mapped_column()
    reminded_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class GrantCall(Base):
    """One read under a grant: who, when, which endpoint, which fields, how many rows (ACC-10, PLT-8)."""

    __tablename__ = "grant_calls"
    __table_args__ = (Index("ix_grant_calls_grant_at", "grant_id", "at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    grant_id: Mapped[str] = mapped_column(ForeignKey("access_grants.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    endpoint: Mapped[str] = mapped_column(String(20))  # records | sql | download
    fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    row_count: Mapped[int] = mapped_column(BigInteger, default=0)
    offset: Mapped[int] = mapped_column(BigInteger, default=0)
    flags: Mapped[list[str]] = mapped_column(JSON, default=list)  # unusual-use flags raised by this call
    outcome: Mapped[str] = mapped_column(String(20), default="served", server_default="served")  # | refused


class UsageReport(Base):
    """A usage report under a grant with the contents ACC-9 asks for."""

    __tablename__ = "usage_reports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    grant_id: Mapped[str] = mapped_column(ForeignKey("access_grants.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[str] = mapped_column(String(32))
    due_on: Mapped[date | None] = mapped_column()
    period_start: Mapped[date] = mapped_column()
    period_end: Mapped[date] = mapped_column()
    contents: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Violation(Base):
    """A recorded violation (ACC-11) and the measure taken; lifting it is a recorded decision too."""

    __tablename__ = "violations"
    __table_args__ = (Index("ix_violations_user", "user_id", "lifted_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    dataset_id: Mapped[str | None] = mapped_column(String(32))
    grant_id: Mapped[str | None] = mapped_column(String(32))
    misuse_report_id: Mapped[str | None] = mapped_column(String(32))
    # platform_rules | illegal_acquisition | infringing_rights | beyond_scenario | other
    kind: Mapped[str] = mapped_column(String(30))
    description: Mapped[str] = mapped_column(Text)
    measure: Mapped[str] = mapped_column(String(20))  # restrict | close
    published: Mapped[bool] = mapped_column(default=False)
    public_summary: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column()
    lifted_by: Mapped[str | None] = mapped_column(String(32))
    lift_reason: Mapped[str] = mapped_column(Text, default="")


class MisuseReport(Base):
    """Anyone's report of misuse of public data (ACC-10), handled by the center."""

    __tablename__ = "misuse_reports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    reporter_id: Mapped[str | None] = mapped_column(String(32))  # None: anonymous
    contact: Mapped[str] = mapped_column(String(200), default="")
    dataset_id: Mapped[str | None] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200), default="")  # who or what is reported
    description: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open | handled | dismissed
    outcome: Mapped[str] = mapped_column(Text, default="")
    handled_by: Mapped[str | None] = mapped_column(String(32))
    handled_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
