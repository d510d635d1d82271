"""Rights-complaint use-cases (QUA-4): a rights-holder complains; the provider suspends opening at once,
verifies, and withdraws, restores or reprocesses. The leak trace is in leak_trace.py."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publicdata.audit.service import record_audit
from publicdata.catalog import service as catalog
from publicdata.catalog.model import VISIBLE_STATES, DatasetState
from publicdata.catalog.tables import Dataset
from publicdata.db import utcnow
from publicdata.errors import Conflict, NotFound
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.identity.tables import User
from publicdata.objections import complaint_workflow, model, rules, workflow
from publicdata.objections.model import ComplaintDecision, ComplaintStatus, RightKind
from publicdata.objections.schemas import ComplaintOut
from publicdata.objections.service import order_clock
from publicdata.objections.tables import RightsComplaint
from publicdata.platform import Platform
from publicdata.workdays.model import WorkdayCalendar
from publicdata.workdays.service import calendar_from_session
from publicdata.workorders import engine, registry
from publicdata.workorders import service as workorders
from publicdata.workorders.tables import WorkOrder

Scope = Literal["mine", "provider", "all"]


def complaint_actions(actor: Principal, c: RightsComplaint) -> list[str]:
    if actor.is_anonymous or not actor.has_role(Role.PROVIDER_STAFF, c.provider_id):
        return []
    status = ComplaintStatus(c.status)
    if status is ComplaintStatus.RECEIVED:
        return ["suspend", "withdraw", "restore", "reprocess"]
    if status is ComplaintStatus.SUSPENDED:
        return ["withdraw", "restore", "reprocess"]
    return []


def complaint_out(
    session: Session, c: RightsComplaint, calendar: WorkdayCalendar, now: datetime, actor: Principal
) -> ComplaintOut:
    dataset = session.get(Dataset, c.dataset_id)
    user = session.get(User, c.complainant_id)
    order = session.get(WorkOrder, c.order_id) if c.order_id else None
    right, status = RightKind(c.right_kind), ComplaintStatus(c.status)
    return ComplaintOut(
        id=c.id,
        dataset_id=c.dataset_id,
        dataset_code=c.dataset_code,
        dataset_name=dataset.name if dataset else "",
        dataset_state=dataset.state if dataset else "",
        provider_id=c.provider_id,
        complainant_id=c.complainant_id,
        complainant=user.username if user else "",
        right=right,
        right_label=model.RIGHT_KIND_LABELS[right][0],
        right_label_en=model.RIGHT_KIND_LABELS[right][1],
        description=c.description,
        field_hints=list(c.field_hints or []),
        evidence=list(c.evidence or []),
        status=status,
        status_label=model.COMPLAINT_STATUS_LABELS[status][0],
        status_label_en=model.COMPLAINT_STATUS_LABELS[status][1],
        received_at=c.received_at,
        data_version=c.data_version,
        suspended_at=c.suspended_at,
        state_before_suspension=c.state_before_suspension,
        version_at_suspension=c.version_at_suspension,
        decision=c.decision,
        decision_note=c.decision_note,
        reprocessed_version=c.reprocessed_version,
        decided_at=c.decided_at,
        order_id=c.order_id,
        clock=order_clock(calendar, order, now) if order is not None else None,
        my_actions=complaint_actions(actor, c),
        revision=c.revision,
    )


def find_complaint(session: Session, complaint_id: str, actor: Principal) -> RightsComplaint:
    c = session.get(RightsComplaint, complaint_id)
    if c is None:
        raise NotFound("complaint not found", message_zh="投诉不存在")
    decision = rules.can_view_complaint(actor, complainant_id=c.complainant_id, provider_id=c.provider_id)
    if not decision:
        if decision.needs_sign_in:
            require(decision)
        raise NotFound("complaint not found", message_zh="投诉不存在")
    return c


def get_complaint(
    platform: Platform, *, actor: Principal, complaint_id: str, now: datetime | None = None
) -> ComplaintOut:
    now = now or utcnow()
    with platform.db.reading() as session:
        c = find_complaint(session, complaint_id, actor)
        return complaint_out(session, c, calendar_from_session(session), now, actor)


def list_complaints(
    platform: Platform,
    *,
    actor: Principal,
    scope: Scope = "mine",
    open_only: bool = False,
    offset: int = 0,
    limit: int = 50,
    now: datetime | None = None,
) -> tuple[int, list[ComplaintOut]]:
    if actor.is_anonymous:
        require(rules.can_complain(actor))
    now = now or utcnow()
    query = select(RightsComplaint)
    if scope == "mine":
        query = query.where(RightsComplaint.complainant_id == actor.user_id)
    elif scope == "provider":
        orgs = sorted({org for role, org in actor.roles if role is Role.PROVIDER_STAFF and org})
        query = query.where(RightsComplaint.provider_id.in_(orgs) if orgs else RightsComplaint.id.is_(None))
    elif not rules.is_supervisor(actor):
        raise NotFound("no such list", message_zh="无权查看该列表")
    if open_only:
        query = query.where(RightsComplaint.status.in_([s.value for s in model.COMPLAINT_OPEN]))
    with platform.db.reading() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(RightsComplaint.received_at.desc(), RightsComplaint.id).offset(offset).limit(limit)
        ).all()
        calendar = calendar_from_session(session)
        return total, [complaint_out(session, c, calendar, now, actor) for c in rows]


def submit_complaint(
    platform: Platform,
    *,
    actor: Principal,
    dataset_ref: str,
    right: RightKind,
    description: str,
    fields: list[str] | None = None,
    attachments: list[str] | None = None,
    now: datetime | None = None,
) -> ComplaintOut:
    """A rights-holder's complaint with evidence: opens the provider's order (5 working days)."""
    require(rules.can_complain(actor))
    now = now or utcnow()
    registry.ensure_loaded()
    with platform.db.transaction() as session:
        dataset = catalog.find_dataset(session, dataset_ref)
        if DatasetState(dataset.state) not in VISIBLE_STATES:
            raise NotFound(f"dataset '{dataset_ref}' not found", message_zh="数据集不存在")
        text, hints = workflow.checked_statement(
            description, fields, (f.name for f in dataset.fields), label_zh="投诉说明"
        )
        calendar = calendar_from_session(session)
        duplicate = session.scalar(
            select(RightsComplaint).where(
                RightsComplaint.dataset_id == dataset.id,
                RightsComplaint.complainant_id == actor.user_id,
                RightsComplaint.right_kind == right.value,
                RightsComplaint.description == text,
                RightsComplaint.status.in_([s.value for s in model.COMPLAINT_OPEN]),
            )
        )
        if duplicate is not None:
            return complaint_out(session, duplicate, calendar, now, actor)
        files = engine.resolve_attachments(session, attachments or [], actor)
        complaint = RightsComplaint(
            dataset_id=dataset.id,
            dataset_code=dataset.code,
            provider_id=dataset.provider_id,
            complainant_id=actor.user_id,
            right_kind=right.value,
            description=text,
            field_hints=hints,
            evidence=files,
            status=ComplaintStatus.RECEIVED.value,
            received_at=now,
            data_version=workflow.current_version(session, dataset.id),
        )
        session.add(complaint)
        session.flush()
        zh, _ = model.RIGHT_KIND_LABELS[right]
        order = engine.open_order(
            session,
            actor=actor,
            order_type=complaint_workflow.RIGHTS_COMPLAINT,
            subject_type="rights_complaint",
            subject_id=complaint.id,
            title=f"权利人投诉（{zh}）：{dataset.name}（{dataset.code}）",
            requester_id=None,  # the complainant follows the complaint itself; results come as messages
            requester_org_id=None,
            responsible_org_id=dataset.provider_id,
            jurisdiction=platform.settings.jurisdiction.value,
            calendar=calendar,
            now=now,
            payload={"complaint_id": complaint.id, "dataset_id": dataset.id, "dataset_code": dataset.code},
            note=text,
            attachments=files,
        )
        complaint.order_id = order.id
        record_audit(
            session,
            actor=actor,
            action="complaint.submit",
            subject_type="rights_complaint",
            subject_id=complaint.id,
            organization_id=dataset.provider_id,
            details={
                "dataset": dataset.code,
                "right": right.value,
                "fields": hints,
                "evidence": [f["sha256"] for f in files],
                "order_id": order.id,
                "due_at": order.due_at.isoformat(),
            },
        )
        return complaint_out(session, complaint, calendar, now, actor)


def _act(
    platform: Platform,
    *,
    actor: Principal,
    complaint_id: str,
    action: str,
    note: str,
    details: dict[str, object] | None = None,
    now: datetime | None,
) -> ComplaintOut:
    with platform.db.reading() as session:
        c = find_complaint(session, complaint_id, actor)
        order_id, status = c.order_id, c.status
        require(rules.can_handle_complaint(actor, c.provider_id))
    if order_id is None or status not in {s.value for s in model.COMPLAINT_OPEN}:
        raise Conflict("the complaint is decided", message_zh="该投诉已处理完毕", code="complaint_closed")
    workorders.act_on_order(
        platform, actor=actor, order_id=order_id, action=action, note=note, details=details, now=now
    )
    return get_complaint(platform, actor=actor, complaint_id=complaint_id, now=now)


def suspend(
    platform: Platform, *, actor: Principal, complaint_id: str, reason: str, now: datetime | None = None
) -> ComplaintOut:
    """Suspend opening at once: the dataset leaves the open list's served states for everyone."""
    return _act(platform, actor=actor, complaint_id=complaint_id, action="suspend", note=reason, now=now)


def decide(
    platform: Platform,
    *,
    actor: Principal,
    complaint_id: str,
    decision: ComplaintDecision,
    note: str,
    version: int | None = None,
    now: datetime | None = None,
) -> ComplaintOut:
    """Withdraw, restore (gates apply on republication) or reprocess (name the newer version)."""
    details: dict[str, object] = {"version": version} if version is not None else {}
    return _act(
        platform,
        actor=actor,
        complaint_id=complaint_id,
        action=decision.value,
        note=note,
        details=details,
        now=now,
    )
