"""Issuing grants (called when a usage agreement is signed). Owned by the grants workstream, which adds
delivery (scoped tokens), enforcement through the data store's `can_read`, call logging and quotas."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from publicdata.access.grant_tables import AccessGrant
from publicdata.audit.service import record_audit
from publicdata.identity.permissions import Principal


def issue_grant(
    session: Session,
    *,
    actor: Principal,
    dataset_id: str,
    provider_id: str,
    user_id: str,
    fields: list[str],
    row_filter: list[dict[str, Any]],
    valid_from: date,
    valid_until: date,
    daily_quota: int,
    report_every_days: int,
    application_id: str | None = None,
    agreement_id: str | None = None,
    delivery: str = "online",
) -> AccessGrant:
    """Create an active grant in the caller's transaction (audited). `fields` must not be empty."""
    if not fields:
        raise ValueError("a grant names the columns it allows")
    grant = AccessGrant(
        dataset_id=dataset_id,
        provider_id=provider_id,
        user_id=user_id,
        application_id=application_id,
        agreement_id=agreement_id,
        fields=list(fields),
        row_filter=list(row_filter),
        valid_from=valid_from,
        valid_until=valid_until,
        daily_quota=daily_quota,
        delivery=delivery,
        report_every_days=report_every_days,
        next_report_due=valid_from + timedelta(days=report_every_days),
    )
    session.add(grant)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="access.grant_issue",
        subject_type="access_grant",
        subject_id=grant.id,
        organization_id=provider_id,
        details={
            "dataset_id": dataset_id,
            "user_id": user_id,
            "fields": grant.fields,
            "row_filter": grant.row_filter,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
            "daily_quota": daily_quota,
            "delivery": delivery,
            "application_id": application_id,
            "agreement_id": agreement_id,
        },
    )
    return grant
