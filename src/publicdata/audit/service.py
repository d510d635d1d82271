"""Write audit entries in the caller's transaction, extending the hash chain under a lock.

`record_audit` is called by every service that changes state (and by reads that must be traced),
inside the same transaction as the change: no change without its entry, no entry without its change.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from publicdata.audit.model import AuditDraft, ChainHead, append, canonical_details_json, salted_ip_hash
from publicdata.audit.tables import AuditHead, AuditRecord
from publicdata.config import get_settings
from publicdata.db import utcnow
from publicdata.identity.permissions import Principal


@cache
def _ip_salt(keys_dir: str) -> bytes:
    return get_settings().persisted_secret("ip_salt").encode()


def actor_fields(actor: Principal) -> tuple[str, str | None]:
    """(actor_kind, actor_id): anonymous callers are recorded by a salted hash of their IP only."""
    if actor.is_system:
        return "system", None
    if actor.user_id is not None:
        return ("token" if actor.token_id else "user"), actor.user_id
    if actor.client_ip:
        try:
            return "anonymous", salted_ip_hash(actor.client_ip, _ip_salt(str(get_settings().keys_dir)))
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
    actor_kind, actor_id = actor_fields(actor)
    enriched = dict(details)
    if actor.token_id:
        enriched.setdefault("token_id", actor.token_id)
    # Lock the head row: concurrent writers queue here, so sequence numbers have no gaps or forks.
    head_row = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    entry = append(
        ChainHead(seq=head_row.seq, hash=head_row.hash),
        AuditDraft(
            occurred_at=utcnow(),
            actor_kind=actor_kind,
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            organization_id=organization_id,
            details=enriched,
        ),
    )
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
