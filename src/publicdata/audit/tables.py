"""Audit tables: the append-only entries, the single head row writers lock to extend the chain, and
the signed checkpoints."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from publicdata.db import Base


class AuditRecord(Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        Index("ix_audit_entries_subject", "subject_type", "subject_id"),
        Index("ix_audit_entries_action_time", "action", "occurred_at"),
        Index("ix_audit_entries_actor", "actor_id"),
        Index("ix_audit_entries_org", "organization_id"),
    )

    # Physical insertion order, kept apart from seq so reordering can be detected.
    row_id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    occurred_at: Mapped[datetime] = mapped_column()
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    organization_id: Mapped[str | None] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(80))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    # Canonical JSON text, exactly as hashed: a JSON column could reorder keys or change numbers.
    details: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """One row: the last sequence number and hash. Writers lock it, so the chain never forks."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpointRecord(Base):
    """A signed head of the chain (`signing.Checkpoint`), stored as fields and as its exported JSON.

    Rows with `purged_through_seq` set record a retention purge: the database guard (migration 0002) lets
    DELETE on audit_entries remove only rows at or below the highest such seq, so a purge must first store
    its signed checkpoint. Append-only like the entries: UPDATE and DELETE are refused by triggers.
    """

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column()
    purged_through_seq: Mapped[int | None] = mapped_column(BigInteger)
    entry_count: Mapped[int] = mapped_column(BigInteger)
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(120))
    exported: Mapped[str] = mapped_column(Text)  # checkpoint_to_json(...), exactly as handed out
