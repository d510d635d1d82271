"""Write audit entries in the caller's transaction, extending the hash chain under a lock.

`record_audit` is called by every service that changes state (and by reads that must be traced),
inside the same transaction as the change: no change without its entry, no entry without its change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from publicdata.audit.model import (
    AuditDraft,
    AuditEntry,
    ChainHead,
    append,
    canonical_details_json,
    salted_ip_hash,
)
from publicdata.audit.tables import AuditHead, AuditRecord
from publicdata.db import utcnow
from publicdata.identity.permissions import Principal

if TYPE_CHECKING:
    from publicdata.platform import Platform


def actor_fields(actor: Principal, ip_salt: bytes | None = None) -> tuple[str, str | None]:
    """(actor_kind, actor_id): anonymous callers are recorded by a salted hash of their IP only."""
    if actor.is_system:
        return "system", None
    if actor.user_id is not None:
        return ("token" if actor.token_id else "user"), actor.user_id
    if actor.client_ip and ip_salt:
        try:
            return "anonymous", salted_ip_hash(actor.client_ip, ip_salt)
        except ValueError:  # not an address (a test client, a misconfigured proxy header): record none
            return "anonymous", None
    return "anonymous", None


def record_audit(
    session: Session,
    *,
    actor: Principal,
    action: str,
    subject_type: str,
    subject_id: str | None,
    details: Mapping[str, Any],
    organization_id: str | None = None,
) -> AuditRecord:
    actor_kind, actor_id = actor_fields(actor, session.info.get("ip_salt"))
    enriched = dict(details)
    if actor.token_id:
        enriched.setdefault("token_id", actor.token_id)
    draft = AuditDraft(
        occurred_at=utcnow(),
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        organization_id=organization_id,
        details=enriched,
    )
    return append_draft(session, draft)


def append_draft(session: Session, draft: AuditDraft) -> AuditRecord:
    """Append one entry to the chain in `session`'s transaction (`record_audit` builds the draft)."""
    # Lock the head row: concurrent writers queue here, so sequence numbers have no gaps or forks.
    head_row = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    entry = append(ChainHead(seq=head_row.seq, hash=head_row.hash), draft)
    record = AuditRecord(
        seq=entry.seq,
        occurred_at=entry.occurred_at,
        actor_kind=entry.actor_kind,
        actor_id=entry.actor_id,
        organization_id=entry.organization_id,
        action=entry.action,
        subject_type=entry.subject_type,
        subject_id=entry.subject_id,
        details=canonical_details_json(entry.details),
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )
    session.add(record)
    session.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=entry.seq, hash=entry.hash))
    session.flush()
    return record


def entry_of(record: AuditRecord) -> AuditEntry:
    """The stored row as the model's entry, for verification (details parsed back from canonical text)."""
    try:
        details: Any = json.loads(record.details)
    except ValueError:
        details = {"__unparseable__": record.details}  # cannot hash as stored: verify names it edited
    return AuditEntry(
        seq=record.seq,
        occurred_at=record.occurred_at,
        actor_kind=record.actor_kind,
        actor_id=record.actor_id,
        organization_id=record.organization_id,
        action=record.action,
        subject_type=record.subject_type,
        subject_id=record.subject_id,
        details=details if isinstance(details, dict) else {"__not_an_object__": details},
        prev_hash=record.prev_hash,
        hash=record.hash,
        row_id=record.row_id,
    )


def record_api_call(
    platform: Platform, *, actor: Principal, method: str, path: str, status: int, duration_ms: float
) -> None:
    """One `api.call` entry per call made with an API token (PLT-5, PLT-8): scripts and developers are
    traced call by call; browser sessions are traced by the actions they take."""
    with platform.db.transaction() as session:
        record_audit(
            session,
            actor=actor,
            action="api.call",
            subject_type="endpoint",
            subject_id=None,
            details={"method": method, "path": path, "status": status, "duration_ms": round(duration_ms, 1)},
        )
