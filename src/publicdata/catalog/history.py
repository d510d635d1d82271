"""An open-list entry's public change history (CAT-6, CAT-12), read back from the hash-chained audit log.

Every publication, reviewed change and state change of a dataset is audited with the entry's content
hash; the dataset page lists them so users see how the entry evolved and can check each version's hash
against the audit chain. Only catalog-level facts are shown (no reviewer names or private notes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from publicdata.audit.tables import AuditRecord
from publicdata.catalog.service import find_dataset, visible_to
from publicdata.errors import NotFound
from publicdata.identity.permissions import Principal
from publicdata.platform import Platform

PUBLIC_ACTIONS = ("dataset.publish", "dataset.update")
STATE_PREFIX = "dataset.state."


@dataclass(frozen=True)
class EntryChange:
    at: datetime
    action: str  # publish | update | state
    state: str | None
    revision: int | None
    changed: list[str]
    content_hash: str
    seq: int


def entry_history(session: Session, dataset_id: str, *, limit: int = 50) -> list[EntryChange]:
    rows = session.scalars(
        select(AuditRecord)
        .where(
            AuditRecord.subject_type == "dataset",
            AuditRecord.subject_id == dataset_id,
            or_(AuditRecord.action.in_(PUBLIC_ACTIONS), AuditRecord.action.startswith(STATE_PREFIX)),
        )
        .order_by(AuditRecord.seq.desc())
        .limit(limit)
    )
    changes = []
    for row in rows:
        details = json.loads(row.details) if row.details else {}
        if row.action.startswith(STATE_PREFIX):
            action, state = "state", row.action.removeprefix(STATE_PREFIX)
        else:
            action, state = row.action.removeprefix("dataset."), None
        changes.append(
            EntryChange(
                at=row.occurred_at,
                action=action,
                state=state if state else ("published" if action == "publish" else None),
                revision=details.get("revision"),
                changed=list(details.get("changed") or []),
                content_hash=str(details.get("content_hash") or ""),
                seq=row.seq,
            )
        )
    return changes


def get_entry_history(platform: Platform, *, actor: Principal, ref: str) -> list[EntryChange]:
    """The change history of an entry the actor may see (anyone, once it is published)."""
    with platform.db.reading() as session:
        dataset = find_dataset(session, ref)
        if not visible_to(actor, dataset):
            raise NotFound(f"dataset '{ref}' not found", message_zh="数据集不存在")
        return entry_history(session, dataset.id)
