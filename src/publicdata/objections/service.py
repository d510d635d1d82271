"""Objection use-cases (QUA-3): submit, list (per dataset with the pending marker, mine, the center's
queue, the provider's), mark, forward, decide, record the correction. Complaints are in complaints.py."""

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
from publicdata.notifications.service import notify_user
from publicdata.objections import model, rules, workflow
from publicdata.objections.model import ObjectionKind, ObjectionStatus, Outcome
from publicdata.objections.schemas import (
    ClockOut,
    DatasetObjectionsOut,
    ObjectionOut,
    PublicObjectionOut,
)
from publicdata.objections.tables import Objection
from publicdata.platform import Platform
from publicdata.workdays.model import WorkdayCalendar, shanghai_date
from publicdata.workdays.service import calendar_from_session
from publicdata.workorders import engine, registry
from publicdata.workorders import model as wo_model
from publicdata.workorders import service as workorders
from publicdata.workorders.tables import WorkOrder

Scope = Literal["mine", "center", "provider", "all"]


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def order_clock(calendar: WorkdayCalendar, order: WorkOrder, now: datetime) -> ClockOut:
    standing = wo_model.standing(calendar, engine.clock_of(order), now)
    return ClockOut(
        order_id=order.id,
        due_at=order.due_at,
        due_date=shanghai_date(order.due_at),
        remaining_working_days=standing.remaining_working_days,
        overdue=standing.overdue,
        overdue_working_days=standing.overdue_working_days,
        closed=order.closed_at is not None,
    )


def deadline_clock(calendar: WorkdayCalendar, due_at: datetime, now: datetime) -> ClockOut:
    countdown = calendar.countdown(due_at, now)
    return ClockOut(
        due_at=due_at,
        due_date=shanghai_date(due_at),
        remaining_working_days=countdown.remaining_working_days,
        overdue=countdown.overdue,
        overdue_working_days=countdown.overdue_working_days,
    )


def public_out(o: Objection) -> PublicObjectionOut:
    kind, status = ObjectionKind(o.kind), ObjectionStatus(o.status)
    return PublicObjectionOut(
        id=o.id,
        kind=kind,
        kind_label=model.OBJECTION_KIND_LABELS[kind][0],
        kind_label_en=model.OBJECTION_KIND_LABELS[kind][1],
        status=status,
        status_label=model.OBJECTION_STATUS_LABELS[status][0],
        status_label_en=model.OBJECTION_STATUS_LABELS[status][1],
        pending=status in model.MARKER_STATES,
        received_at=o.received_at,
        marked_at=o.marked_at,
        field_hints=list(o.field_hints or []),
        outcome=o.outcome,
        decided_at=o.decided_at,
        correction_version=o.correction_version,
    )


def my_actions(actor: Principal, o: Objection) -> list[str]:
    status = ObjectionStatus(o.status)
    actions: list[str] = []
    if actor.is_anonymous:
        return actions
    center = actor.is_admin or actor.has_role(Role.CENTER)
    if status in model.CENTER_DECIDES_FROM and center:
        actions += ([] if o.marked_at else ["mark"]) + ["forward", "uphold", "dismiss"]
    if status is ObjectionStatus.FORWARDED and actor.has_role(Role.PROVIDER_STAFF, o.provider_id):
        actions += ["uphold", "dismiss"]
    if status is ObjectionStatus.UPHELD and rules.can_record_correction(actor, o.provider_id):
        actions.append("correct")
    return actions


def objection_out(
    session: Session, o: Objection, calendar: WorkdayCalendar, now: datetime, actor: Principal
) -> ObjectionOut:
    dataset = session.get(Dataset, o.dataset_id)
    user = session.get(User, o.objector_id)
    active_id = o.verification_order_id or o.review_order_id
    active = session.get(WorkOrder, active_id) if active_id else None
    mark_late = (o.marked_at is None and now > o.mark_due_at) or (
        o.marked_at is not None and o.marked_at > o.mark_due_at
    )
    return ObjectionOut(
        **public_out(o).model_dump(),
        dataset_id=o.dataset_id,
        dataset_code=o.dataset_code,
        dataset_name=dataset.name if dataset else "",
        provider_id=o.provider_id,
        objector_id=o.objector_id,
        objector=user.username if user else "",
        description=o.description,
        row_hints=o.row_hints,
        evidence=list(o.evidence or []),
        data_version=o.data_version,
        mark_due_at=o.mark_due_at,
        mark_due_date=shanghai_date(o.mark_due_at),
        mark_clock=None if o.marked_at else deadline_clock(calendar, o.mark_due_at, now),
        mark_late=mark_late,
        mark_overdue_at=o.mark_overdue_at,
        decision_clock=order_clock(calendar, active, now) if active is not None else None,
        review_order_id=o.review_order_id,
        verification_order_id=o.verification_order_id,
        forwarded_at=o.forwarded_at,
        decided_by=o.decided_by,
        result=o.result,
        correction_order_id=o.correction_order_id,
        corrected_at=o.corrected_at,
        my_actions=my_actions(actor, o),
        revision=o.revision,
    )


def _find(session: Session, objection_id: str, *, for_update: bool = False) -> Objection:
    query = select(Objection).where(Objection.id == objection_id)
    if for_update:
        query = query.with_for_update()
    objection = session.scalar(query)
    if objection is None:
        raise NotFound("objection not found", message_zh="异议不存在")
    return objection


def _visible(actor: Principal, o: Objection) -> None:
    if not rules.can_view_objection(actor, objector_id=o.objector_id, provider_id=o.provider_id):
        if actor.is_anonymous:
            require(rules.can_view_objection(actor, objector_id=o.objector_id, provider_id=o.provider_id))
        raise NotFound("objection not found", message_zh="异议不存在")


def pending_count(session: Session, dataset_id: str) -> int:
    """Objections that put the "objection pending" marker on the dataset (marked and not closed)."""
    return (
        session.scalar(
            select(func.count(Objection.id)).where(
                Objection.dataset_id == dataset_id,
                Objection.status.in_([s.value for s in model.MARKER_STATES]),
            )
        )
        or 0
    )


def get_objection(
    platform: Platform, *, actor: Principal, objection_id: str, now: datetime | None = None
) -> ObjectionOut:
    now = now or utcnow()
    with platform.db.reading() as session:
        o = _find(session, objection_id)
        _visible(actor, o)
        return objection_out(session, o, calendar_from_session(session), now, actor)


def dataset_objections(
    platform: Platform, *, actor: Principal, dataset_ref: str, now: datetime | None = None
) -> DatasetObjectionsOut:
    """The marker and the objections of one dataset: full for those involved, the public part for others."""
    now = now or utcnow()
    with platform.db.reading() as session:
        dataset = catalog.find_dataset(session, dataset_ref)
        if not catalog.visible_to(actor, dataset) and not _has_own(session, actor, dataset.id):
            raise NotFound(f"dataset '{dataset_ref}' not found", message_zh="数据集不存在")
        rows = session.scalars(
            select(Objection)
            .where(Objection.dataset_id == dataset.id, Objection.status != ObjectionStatus.RECEIVED.value)
            .order_by(Objection.received_at.desc(), Objection.id)
        ).all()
        own = session.scalars(
            select(Objection).where(
                Objection.dataset_id == dataset.id,
                Objection.status == ObjectionStatus.RECEIVED.value,
                Objection.objector_id == (actor.user_id or ""),
            )
        ).all()
        calendar = calendar_from_session(session)
        items: list[PublicObjectionOut | ObjectionOut] = []
        for o in [*own, *rows]:
            detailed = rules.can_see_objection_details(
                actor, objector_id=o.objector_id, provider_id=o.provider_id
            )
            items.append(objection_out(session, o, calendar, now, actor) if detailed else public_out(o))
        count = pending_count(session, dataset.id)
        return DatasetObjectionsOut(
            dataset=dataset.code, objection_pending=count > 0, pending_count=count, items=items
        )


def _has_own(session: Session, actor: Principal, dataset_id: str) -> bool:
    if actor.user_id is None:
        return False
    return bool(
        session.scalar(
            select(Objection.id).where(
                Objection.dataset_id == dataset_id, Objection.objector_id == actor.user_id
            )
        )
    )


def list_objections(
    platform: Platform,
    *,
    actor: Principal,
    scope: Scope = "mine",
    open_only: bool = False,
    offset: int = 0,
    limit: int = 50,
    now: datetime | None = None,
) -> tuple[int, list[ObjectionOut]]:
    """mine: my objections; center: every objection (center, authority, admins); provider: those on my
    organizations' datasets; all: center, authority and admins."""
    if actor.is_anonymous:
        require(rules.can_object(actor))
    now = now or utcnow()
    query = select(Objection)
    if scope == "mine":
        query = query.where(Objection.objector_id == actor.user_id)
    elif scope == "provider":
        orgs = sorted({org for role, org in actor.roles if role is Role.PROVIDER_STAFF and org})
        query = query.where(Objection.provider_id.in_(orgs) if orgs else Objection.id.is_(None))
    else:
        if not rules.is_supervisor(actor):
            raise NotFound("no such list", message_zh="无权查看该列表")
    if open_only:
        query = query.where(Objection.status.in_([s.value for s in model.OPEN_STATES]))
    with platform.db.reading() as session:
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(Objection.received_at.desc(), Objection.id).offset(offset).limit(limit)
        ).all()
        calendar = calendar_from_session(session)
        return total, [objection_out(session, o, calendar, now, actor) for o in rows]


# ---------------------------------------------------------------------------------------------
# Submitting
# ---------------------------------------------------------------------------------------------


def submit_objection(
    platform: Platform,
    *,
    actor: Principal,
    dataset_ref: str,
    kind: ObjectionKind,
    description: str,
    fields: list[str] | None = None,
    rows: str = "",
    attachments: list[str] | None = None,
    now: datetime | None = None,
) -> ObjectionOut:
    """Object to an error, omission or infringement (QUA-3): opens the center's order (2 working days)
    and tracks the 1-working-day marking deadline. Submitting the same objection twice returns the first."""
    require(rules.can_object(actor))
    now = now or utcnow()
    registry.ensure_loaded()
    with platform.db.transaction() as session:
        dataset = catalog.find_dataset(session, dataset_ref)
        open_or_suspended = DatasetState(dataset.state) in VISIBLE_STATES | {DatasetState.SUSPENDED}
        if not open_or_suspended or not catalog.visible_to(actor, dataset):
            raise NotFound(f"dataset '{dataset_ref}' not found", message_zh="数据集不存在")
        text, hints = workflow.checked_statement(
            description, fields, (f.name for f in dataset.fields), label_zh="异议说明"
        )
        calendar = calendar_from_session(session)
        duplicate = session.scalar(
            select(Objection).where(
                Objection.dataset_id == dataset.id,
                Objection.objector_id == actor.user_id,
                Objection.kind == kind.value,
                Objection.description == text,
                Objection.status.in_([s.value for s in model.OPEN_STATES]),
            )
        )
        if duplicate is not None:
            return objection_out(session, duplicate, calendar, now, actor)
        files = engine.resolve_attachments(session, attachments or [], actor)
        objection = Objection(
            dataset_id=dataset.id,
            dataset_code=dataset.code,
            provider_id=dataset.provider_id,
            objector_id=actor.user_id,
            kind=kind.value,
            description=text,
            field_hints=hints,
            row_hints=rows.strip(),
            evidence=files,
            status=ObjectionStatus.RECEIVED.value,
            data_version=workflow.current_version(session, dataset.id),
            received_at=now,
            mark_due_at=workflow.due_for_mark(calendar, now),
        )
        session.add(objection)
        session.flush()
        zh, _ = model.OBJECTION_KIND_LABELS[kind]
        order = engine.open_order(
            session,
            actor=actor,
            order_type=workflow.OBJECTION_REVIEW,
            subject_type="objection",
            subject_id=objection.id,
            title=f"数据异议（{zh}）：{dataset.name}（{dataset.code}）",
            requester_id=None,  # the objector follows the objection itself; results come as messages
            requester_org_id=None,
            responsible_org_id=None,  # any center staff
            jurisdiction=platform.settings.jurisdiction.value,
            calendar=calendar,
            now=now,
            payload={
                "objection_id": objection.id,
                "dataset_id": dataset.id,
                "dataset_code": dataset.code,
                "kind": kind.value,
                "mark_due_at": objection.mark_due_at.isoformat(),
            },
            note=text,
            attachments=files,
        )
        objection.review_order_id = order.id
        record_audit(
            session,
            actor=actor,
            action="objection.submit",
            subject_type="objection",
            subject_id=objection.id,
            organization_id=dataset.provider_id,
            details={
                "dataset": dataset.code,
                "kind": kind.value,
                "fields": hints,
                "evidence": [f["sha256"] for f in files],
                "review_order_id": order.id,
                "mark_due_at": objection.mark_due_at.isoformat(),
                "decision_due_at": order.due_at.isoformat(),
            },
        )
        return objection_out(session, objection, calendar, now, actor)


# ---------------------------------------------------------------------------------------------
# Handling: each step is an action on the objection's open order
# ---------------------------------------------------------------------------------------------


def _order_for(platform: Platform, objection_id: str, actor: Principal) -> tuple[Objection, str]:
    with platform.db.reading() as session:
        o = _find(session, objection_id)
        _visible(actor, o)
        if o.status == ObjectionStatus.FORWARDED.value and o.verification_order_id:
            return o, o.verification_order_id
        if o.status in (ObjectionStatus.RECEIVED.value, ObjectionStatus.MARKED.value) and o.review_order_id:
            return o, o.review_order_id
        raise Conflict(
            f"the objection is {o.status}: nothing left to decide",
            message_zh="该异议已处理完毕",
            code="objection_closed",
        )


def _act(
    platform: Platform,
    *,
    actor: Principal,
    objection_id: str,
    action: str,
    note: str,
    details: dict[str, object] | None = None,
    now: datetime | None,
) -> ObjectionOut:
    _, order_id = _order_for(platform, objection_id, actor)
    workorders.act_on_order(
        platform, actor=actor, order_id=order_id, action=action, note=note, details=details, now=now
    )
    return get_objection(platform, actor=actor, objection_id=objection_id, now=now)


def mark_objection(
    platform: Platform, *, actor: Principal, objection_id: str, note: str = "", now: datetime | None = None
) -> ObjectionOut:
    """The center marks the dataset "objection pending" (due within 1 working day of receipt)."""
    return _act(platform, actor=actor, objection_id=objection_id, action="mark", note=note, now=now)


def forward_objection(
    platform: Platform, *, actor: Principal, objection_id: str, note: str, now: datetime | None = None
) -> ObjectionOut:
    """The center forwards to the provider, who has 5 working days from now."""
    return _act(platform, actor=actor, objection_id=objection_id, action="forward", note=note, now=now)


def decide_objection(
    platform: Platform,
    *,
    actor: Principal,
    objection_id: str,
    outcome: Outcome,
    result: str,
    version: int | None = None,
    change_order_id: str | None = None,
    now: datetime | None = None,
) -> ObjectionOut:
    """Uphold or dismiss, with the result told to the objector: the center (before forwarding) or the
    provider (after). An upheld objection may name its correction at once, or later (`record_correction`)."""
    details: dict[str, object] = {}
    if version is not None:
        details["version"] = version
    if change_order_id:
        details["change_order_id"] = change_order_id
    action = "uphold" if outcome is Outcome.UPHELD else "dismiss"
    return _act(
        platform, actor=actor, objection_id=objection_id, action=action, note=result, details=details, now=now
    )


def record_correction(
    platform: Platform,
    *,
    actor: Principal,
    objection_id: str,
    version: int | None = None,
    change_order_id: str | None = None,
    note: str = "",
    now: datetime | None = None,
) -> ObjectionOut:
    """Link an upheld objection to the corrected data version and/or the open-list change order; the
    marker comes off and the objector is told."""
    now = now or utcnow()
    with platform.db.transaction() as session:
        o = _find(session, objection_id, for_update=True)
        _visible(actor, o)
        require(rules.can_record_correction(actor, o.provider_id))
        if o.status != ObjectionStatus.UPHELD.value:
            raise Conflict(
                "only an upheld objection awaits a correction",
                message_zh="仅异议成立且待更正的异议可登记更正",
                code="not_upheld",
            )
        recorded = workflow.apply_correction(
            session,
            actor=actor,
            objection=o,
            details={"version": version, "change_order_id": change_order_id},
            now=now,
        )
        dataset = session.get(Dataset, o.dataset_id)
        name = dataset.name if dataset else o.dataset_code
        link_zh = "、".join(
            p
            for p in (
                f"数据版本{recorded['correction_version']}" if recorded["correction_version"] else "",
                f"开放清单调整工单{recorded['correction_order_id']}"
                if recorded["correction_order_id"]
                else "",
            )
            if p
        )
        notify_user(
            session,
            o.objector_id,
            workflow.objection_message(
                o,
                name,
                "异议数据已更正",
                "Objected data corrected",
                f"已更正：{link_zh}。{note}",
                f"Corrected: version {recorded['correction_version']}, change order "
                f"{recorded['correction_order_id']}. {note}",
            ),
        )
        return objection_out(session, o, calendar_from_session(session), now, actor)
