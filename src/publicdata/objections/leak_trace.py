"""Leak trace (QUA-4): every user who downloaded or called a complained-about dataset since its
publication, read from the audit log — not from any counter that could be edited.

What counts as an access (each is an audit entry written by the serving code):

- `datastore.download` (subject: the dataset) — every download in any format, any class;
- `datastore.query` (subject: the dataset) — records and SQL queries on conditional data;
- `resource.download` (subject: a resource of the dataset) — attached files;
- `api.call` (PLT-5; calls made with API tokens) whose path reads the dataset's data
  (`/api/v1/datasets/{code or id}/records|download…|versions…|resources…`) and succeeded (status < 400);
- `access.grant_offline_delivery` — data handed over offline under a grant (the recipient user).

Anonymous downloads have no user: they are grouped by the salted IP hash the audit log keeps (or as
one "unknown" group where no address was recorded). The trace itself is audited (`complaint.leak_trace`).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.audit.service import record_audit
from publicdata.audit.tables import AuditRecord
from publicdata.catalog.tables import Dataset, Resource
from publicdata.db import utcnow
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.identity.tables import User
from publicdata.objections import rules
from publicdata.objections.complaints import find_complaint
from publicdata.objections.model import AccessEvent, api_path_reads_dataset, summarize_access
from publicdata.objections.schemas import AccessorOut, LeakTraceOut
from publicdata.platform import Platform

DATASET_READ_ACTIONS = ("datastore.download", "datastore.query")
RESOURCE_READ_ACTIONS = ("resource.download",)
OFFLINE_DELIVERY = "access.grant_offline_delivery"
CSV_COLUMNS = (
    "username",
    "kind",
    "user_kind",
    "user_id",
    "ip_hash",
    "first_access",
    "last_access",
    "total",
    "counts",
    "versions",
    "via_token",
)


def _details(record: AuditRecord) -> dict[str, Any]:
    try:
        parsed = json.loads(record.details)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _version(details: dict[str, Any]) -> int | None:
    value = details.get("version")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def access_events(session: Session, dataset: Dataset, since: datetime | None) -> list[AccessEvent]:
    def window(query: Any) -> Any:
        return query.where(AuditRecord.occurred_at >= since) if since is not None else query

    events: list[AccessEvent] = []
    direct = window(
        select(AuditRecord).where(
            AuditRecord.subject_type == "dataset",
            AuditRecord.subject_id == dataset.id,
            AuditRecord.action.in_(DATASET_READ_ACTIONS),
        )
    )
    for r in session.scalars(direct):
        events.append(AccessEvent(r.occurred_at, r.actor_kind, r.actor_id, r.action, _version(_details(r))))
    resource_ids = list(session.scalars(select(Resource.id).where(Resource.dataset_id == dataset.id)))
    if resource_ids:
        files = window(
            select(AuditRecord).where(
                AuditRecord.subject_type == "resource",
                AuditRecord.subject_id.in_(resource_ids),
                AuditRecord.action.in_(RESOURCE_READ_ACTIONS),
            )
        )
        for r in session.scalars(files):
            events.append(AccessEvent(r.occurred_at, r.actor_kind, r.actor_id, r.action))
    refs = (dataset.code, dataset.id)
    calls = window(
        select(AuditRecord).where(
            AuditRecord.action == "api.call",
            AuditRecord.details.contains(dataset.code) | AuditRecord.details.contains(dataset.id),
        )
    )
    for r in session.scalars(calls):
        d = _details(r)
        status = d.get("status")
        if api_path_reads_dataset(str(d.get("path", "")), refs) and isinstance(status, int) and status < 400:
            events.append(AccessEvent(r.occurred_at, r.actor_kind, r.actor_id, r.action))
    offline = window(
        select(AuditRecord).where(
            AuditRecord.action == OFFLINE_DELIVERY, AuditRecord.details.contains(dataset.id)
        )
    )
    for r in session.scalars(offline):
        d = _details(r)
        if d.get("dataset_id") == dataset.id and d.get("user_id"):
            events.append(AccessEvent(r.occurred_at, "user", str(d["user_id"]), r.action))
    return events


def leak_trace(
    platform: Platform, *, actor: Principal, complaint_id: str, now: datetime | None = None
) -> LeakTraceOut:
    """Who read the dataset since its publication, per user (and per anonymous IP hash)."""
    now = now or utcnow()
    with platform.db.transaction() as session:
        complaint = find_complaint(session, complaint_id, actor)
        require(rules.can_trace_leaks(actor, complaint.provider_id))
        dataset = session.get(Dataset, complaint.dataset_id)
        assert dataset is not None  # the complaint's foreign key
        since = dataset.published_at
        summaries = summarize_access(access_events(session, dataset, since))
        user_ids = [s.actor_id for s in summaries if s.actor_kind == "user" and s.actor_id]
        users = (
            {u.id: u for u in session.scalars(select(User).where(User.id.in_(user_ids)))} if user_ids else {}
        )
        items: list[AccessorOut] = []
        for s in summaries:
            user = users.get(s.actor_id or "") if s.actor_kind == "user" else None
            anonymous = s.actor_kind == "anonymous"
            items.append(
                AccessorOut(
                    user_id=None if anonymous else s.actor_id,
                    username=user.username if user else ("anonymous" if anonymous else (s.actor_id or "")),
                    kind="anonymous" if anonymous else "user",
                    user_kind=user.kind if user else None,
                    ip_hash=s.actor_id if anonymous else None,
                    first_access=s.first_access,
                    last_access=s.last_access,
                    total=s.total,
                    counts=dict(sorted(s.counts.items())),
                    versions=sorted(s.versions),
                    via_token=s.via_token,
                )
            )
        result = LeakTraceOut(
            complaint_id=complaint.id,
            dataset_code=dataset.code,
            since=since,
            until=now,
            users=sum(1 for i in items if i.kind == "user"),
            anonymous_callers=sum(1 for i in items if i.kind == "anonymous"),
            accesses=sum(i.total for i in items),
            items=items,
        )
        record_audit(
            session,
            actor=actor,
            action="complaint.leak_trace",
            subject_type="rights_complaint",
            subject_id=complaint.id,
            organization_id=complaint.provider_id,
            details={
                "dataset": dataset.code,
                "since": since.isoformat() if since else None,
                "users": result.users,
                "anonymous_callers": result.anonymous_callers,
                "accesses": result.accesses,
            },
        )
        return result


def _cell(value: str) -> str:
    """Neutralize spreadsheet formulas in text cells (usernames are user-chosen)."""
    return "'" + value if value.startswith(("=", "+", "-", "@", "\t", "\r")) else value


def leak_trace_csv(trace: LeakTraceOut) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for i in trace.items:
        writer.writerow(
            [
                _cell(i.username),
                i.kind,
                i.user_kind or "",
                i.user_id or "",
                i.ip_hash or "",
                i.first_access.isoformat(),
                i.last_access.isoformat(),
                i.total,
                ";".join(f"{k}={v}" for k, v in i.counts.items()),
                ";".join(str(v) for v in i.versions),
                "yes" if i.via_token else "no",
            ]
        )
    return out.getvalue()
