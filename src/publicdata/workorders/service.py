"""Work-order use-cases for the API and CLI: list (mine / my organization's / my queue), show with
history, act, request and decide extensions, upload attachments."""

from __future__ import annotations

from datetime import datetime
from typing import BinaryIO, Literal

from sqlalchemy import Select, func, or_, select

from publicdata.audit.service import record_audit
from publicdata.db import utcnow
from publicdata.errors import NotFound, PermissionDenied
from publicdata.identity import permissions as rules
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.platform import Platform
from publicdata.uploads import store_upload
from publicdata.workdays.service import calendar_from_session
from publicdata.workorders import engine, registry
from publicdata.workorders.schemas import (
    UploadOut,
    WorkOrderOut,
    WorkOrderSummary,
    order_out,
    order_summary,
)
from publicdata.workorders.tables import WorkOrder, WorkOrderUpload

Scope = Literal["mine", "organization", "queue", "all"]

ATTACHMENT_TYPES = {"application/pdf", "image/png", "image/jpeg", "application/zip", "text/plain"}
ATTACHMENT_MAX_BYTES = 20 * 1024 * 1024


def _scoped(actor: Principal, scope: Scope) -> Select[WorkOrder]:
    query = select(WorkOrder)
    my_orgs = sorted({org for _, org in actor.roles if org})
    if scope == "mine":
        return query.where(WorkOrder.requester_id == actor.user_id)
    if scope == "organization":
        if not my_orgs:
            return query.where(WorkOrder.id.is_(None))
        return query.where(
            or_(WorkOrder.requester_org_id.in_(my_orgs), WorkOrder.responsible_org_id.in_(my_orgs))
        )
    if scope == "queue":
        # Orders I must handle: my role in the responsible organization, or the role anywhere when the
        # order names no organization. Open ones only.
        clauses = []
        for role, org in actor.roles:
            if org is not None:
                clauses.append(
                    (WorkOrder.responsible_role == role.value) & (WorkOrder.responsible_org_id == org)
                )
            clauses.append(
                (WorkOrder.responsible_role == role.value) & WorkOrder.responsible_org_id.is_(None)
            )
        if not clauses:
            return query.where(WorkOrder.id.is_(None))
        return query.where(or_(*clauses), WorkOrder.closed_at.is_(None))
    # "all": supervisors only
    if actor.is_admin or actor.has_role(Role.AUTHORITY) or actor.has_role(Role.CENTER):
        return query
    raise PermissionDenied(
        "scope 'all' is for the center, the authority and administrators", message_zh="无权查看全部工单"
    )


def list_orders(
    platform: Platform,
    *,
    actor: Principal,
    scope: Scope = "queue",
    type: str | None = None,
    state: str | None = None,
    open_only: bool = False,
    overdue_only: bool = False,
    offset: int = 0,
    limit: int = 20,
    now: datetime | None = None,
) -> tuple[int, list[WorkOrderSummary]]:
    """Orders sorted by due date (soonest first), each with remaining working days and overdue flag."""
    if actor.is_anonymous:
        require(rules.SIGN_IN_FIRST)
    now = now or utcnow()
    with platform.db.reading() as session:
        query = _scoped(actor, scope)
        if type:
            query = query.where(WorkOrder.type == type)
        if state:
            query = query.where(WorkOrder.state == state)
        if open_only:
            query = query.where(WorkOrder.closed_at.is_(None))
        if overdue_only:
            query = query.where(
                WorkOrder.closed_at.is_(None), WorkOrder.paused_at.is_(None), WorkOrder.due_at < now
            )
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(query.order_by(WorkOrder.due_at, WorkOrder.id).offset(offset).limit(limit))
        calendar = calendar_from_session(session)
        return total, [order_summary(o, calendar, now) for o in rows]


def get_order(
    platform: Platform, *, actor: Principal, order_id: str, now: datetime | None = None
) -> WorkOrderOut:
    with platform.db.reading() as session:
        order = engine.find_order(session, order_id)
        if not rules.can_view_work_order(actor, engine.parties_of(order)):
            raise NotFound("work order not found", message_zh="工单不存在")
        return order_out(order, calendar_from_session(session), now or utcnow(), actor)


def act_on_order(
    platform: Platform,
    *,
    actor: Principal,
    order_id: str,
    action: str,
    note: str = "",
    details: dict[str, object] | None = None,
    attachments: list[str] | None = None,
    now: datetime | None = None,
) -> WorkOrderOut:
    now = now or utcnow()
    registry.ensure_loaded()
    with platform.db.transaction() as session:
        order = engine.find_order(session, order_id, for_update=True)
        if not rules.can_view_work_order(actor, engine.parties_of(order)):
            raise NotFound("work order not found", message_zh="工单不存在")
        calendar = calendar_from_session(session)
        files = engine.resolve_attachments(session, attachments or [], actor)
        engine.act(
            session,
            actor=actor,
            order=order,
            action=action,
            calendar=calendar,
            now=now,
            note=note,
            details=details or {},
            attachments=files,
        )
        return order_out(order, calendar, now, actor)


def request_extension(
    platform: Platform,
    *,
    actor: Principal,
    order_id: str,
    days: int,
    reason: str,
    now: datetime | None = None,
) -> WorkOrderOut:
    now = now or utcnow()
    with platform.db.transaction() as session:
        order = engine.find_order(session, order_id, for_update=True)
        if not rules.can_view_work_order(actor, engine.parties_of(order)):
            raise NotFound("work order not found", message_zh="工单不存在")
        engine.request_extension(session, actor=actor, order=order, days=days, reason=reason, now=now)
        return order_out(order, calendar_from_session(session), now, actor)


def decide_extension(
    platform: Platform,
    *,
    actor: Principal,
    order_id: str,
    approve: bool,
    note: str = "",
    now: datetime | None = None,
) -> WorkOrderOut:
    now = now or utcnow()
    with platform.db.transaction() as session:
        order = engine.find_order(session, order_id, for_update=True)
        calendar = calendar_from_session(session)
        engine.decide_extension(
            session, actor=actor, order=order, approve=approve, note=note, calendar=calendar, now=now
        )
        return order_out(order, calendar, now, actor)


def upload_attachment(platform: Platform, *, actor: Principal, filename: str, stream: BinaryIO) -> UploadOut:
    """Store a file (PDF, image, zip, text) to attach to a later action: returns its upload id."""
    require(rules.can_upload_work_order_file(actor))
    stored = store_upload(
        stream,
        directory=platform.uploads_dir / "workorders",
        filename=filename,
        allowed_types=ATTACHMENT_TYPES,
        max_bytes=ATTACHMENT_MAX_BYTES,
    )
    with platform.db.transaction() as session:
        upload = WorkOrderUpload(
            sha256=stored.sha256,
            path=str(stored.path),
            filename=stored.original_name,
            media_type=stored.media_type,
            size_bytes=stored.size,
            uploaded_by=actor.user_id,
        )
        session.add(upload)
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="workorder.upload",
            subject_type="work_order_upload",
            subject_id=upload.id,
            organization_id=actor.organization_id,
            details={"sha256": upload.sha256, "filename": upload.filename, "size": upload.size_bytes},
        )
        return UploadOut(
            upload_id=upload.id,
            sha256=upload.sha256,
            filename=upload.filename,
            media_type=upload.media_type,
            size=upload.size_bytes,
        )
