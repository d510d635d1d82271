"""Retracting data versions: after a rights complaint (QUA-4) is settled by withdrawal or by reprocessing,
the infringing versions must stop being served — the static history (CAT-7) keeps every other version.
Runs inside the caller's transaction; readers refuse retracted versions (`service._resolve`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.audit.service import record_audit
from publicdata.catalog.tables import Dataset
from publicdata.datastore.tables import DataVersion
from publicdata.db import utcnow
from publicdata.identity.permissions import Principal


def retract_versions(
    session: Session, *, actor: Principal, dataset: Dataset, up_to: int, reason: str
) -> list[int]:
    """Retract every not yet retracted version numbered ≤ `up_to`; returns their numbers (audited)."""
    rows = session.scalars(
        select(DataVersion).where(
            DataVersion.dataset_id == dataset.id,
            DataVersion.version <= up_to,
            DataVersion.retracted_at.is_(None),
        )
    ).all()
    now = utcnow()
    for row in rows:
        row.retracted_at = now
        row.retraction_reason = reason
    numbers = sorted(row.version for row in rows)
    if numbers:
        record_audit(
            session,
            actor=actor,
            action="datastore.retract_versions",
            subject_type="dataset",
            subject_id=dataset.id,
            organization_id=dataset.provider_id,
            details={"code": dataset.code, "versions": numbers, "reason": reason},
        )
    return numbers
