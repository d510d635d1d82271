"""Reads under an access grant: logging served and refused calls (with their audit entries)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from publicdata.access import grant_calls
from publicdata.audit.service import record_audit
from publicdata.datastore.access import GrantScope, ReadableDataset
from publicdata.errors import PermissionDenied
from publicdata.identity.permissions import Principal
from publicdata.platform import Platform


def refuse_outside_grant(
    platform: Platform,
    *,
    actor: Principal,
    scope: GrantScope | None,
    dataset: ReadableDataset,
    endpoint: str,
    hidden: set[str],
    now: datetime,
    details: dict[str, Any],
) -> PermissionDenied:
    """Log (and flag) a request naming columns outside the grant; the error to raise."""
    assert scope is not None
    names = sorted(hidden)
    allowed = list(scope.fields)
    with platform.db.transaction() as session:
        call = grant_calls.log_call(
            session,
            actor=actor,
            grant_id=scope.grant_id,
            endpoint=endpoint,
            fields=names,
            row_count=0,
            now=now,
            refused=True,
        )
        record_audit(
            session,
            actor=actor,
            action="datastore.query_refused",
            subject_type="dataset",
            subject_id=dataset.id,
            organization_id=dataset.provider_id,
            details={
                "code": dataset.code,
                "grant_id": scope.grant_id,
                "call_id": call.id,
                "fields_outside_grant": names,
                **details,
            },
        )
    return PermissionDenied(
        f"column(s) {', '.join(names)} are outside your access grant; allowed: {', '.join(allowed)}",
        message_zh=f"字段 {'、'.join(names)} 不在您的授权范围内；可用字段：{'、'.join(allowed)}",
        code="field_outside_grant",
        details={"fields": names, "allowed": list(scope.fields)},
    )


def log_served(
    session: Session,
    *,
    actor: Principal,
    scope: GrantScope | None,
    dataset: ReadableDataset,
    endpoint: str,
    fields: list[str],
    rows: int,
    offset: int,
    now: datetime,
    scope_rows: int,
) -> dict[str, Any]:
    """Log a served call under a grant; the audit details to add (`grant_id`, `call_id`, flags)."""
    if scope is None:
        return {}
    call = grant_calls.log_call(
        session,
        actor=actor,
        grant_id=scope.grant_id,
        endpoint=endpoint,
        fields=fields,
        row_count=rows,
        offset=offset,
        now=now,
        scope_rows=scope_rows,
    )
    return {"grant_id": scope.grant_id, "call_id": call.id, "flags": list(call.flags)}
