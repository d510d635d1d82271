"""Privacy tables: the scan of every data version, each dataset's desensitization rules, and the
publication overrides providers file (with a written justification, for one version)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from publicdata.db import Base, new_id, utcnow


class PrivacyScan(Base):
    """The personal-data scan of one data version (of the file that is served)."""

    __tablename__ = "privacy_scans"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("data_versions.id", ondelete="CASCADE"), unique=True)
    version: Mapped[int] = mapped_column(Integer)
    # [{"column", "detectors"}]: columns with unprotected personal data (the publication gate's input)
    blocking: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Desensitization rules applied while writing the version (as stored rule dicts).
    applied_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    report: Mapped[dict[str, Any]] = mapped_column(JSON)  # scan.scan_parquet's report: masked examples only
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PrivacyRuleSet(Base):
    """A dataset's per-column desensitization rules, applied to every new version."""

    __tablename__ = "privacy_rules"

    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_by: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PrivacyOverride(Base):
    """A provider's written decision to publish one version despite detected personal data."""

    __tablename__ = "privacy_overrides"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[str] = mapped_column(ForeignKey("data_versions.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    organization_id: Mapped[str] = mapped_column(String(32), index=True)
    justification: Mapped[str] = mapped_column(Text)
    columns: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # what it overrides
    created_by: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
