"""The engine inside a transaction: open an order, act on it, extend it — with history, audit and
notifications. Workflows call these from their own use-cases so their domain changes share the
same transaction; the API's generic actions call them through `service.py`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publicdata.audit.service import record_audit
from publicdata.errors import AppError, Conflict, NotFound, PermissionDenied, ValidationFailed
from publicdata.identity import permissions as rules
from publicdata.identity.model import Role
from publicdata.identity.permissions import OrderParties, Principal
from publicdata.identity.service import require
from publicdata.notifications.service import Message, notify_organization, notify_users, role_holders
from publicdata.workdays.model import Deadline, WorkdayCalendar
from publicdata.workdays.service import log_provisional
from publicdata.workorders import model, registry
from publicdata.workorders.model import Clock, ClockEffect, Party, WorkflowError, WorkOrderType
from publicdata.workorders.registry import ActionContext
from publicdata.workorders.tables import WorkOrder, WorkOrderEvent, WorkOrderUpload

log = logging.getLogger("publicdata.workorders")


def workflow_error(exc: WorkflowError) -> AppError:
    if exc.code == "not_your_turn":
        return PermissionDenied(exc.message_en, message_zh=exc.message_zh, code=exc.code)
    if exc.code in ("note_required", "reason_required", "extension_too_long"):
        return ValidationFailed(exc.message_en, message_zh=exc.message_zh, code=exc.code)
    return Conflict(exc.message_en, message_zh=exc.message_zh, code=exc.code)


# ---------------------------------------------------------------------------------------------
# Row <-> pure values
# ---------------------------------------------------------------------------------------------


def clock_of(order: WorkOrder) -> Clock:
    deadline = Deadline(
        due_at=order.due_at,
        due_date=model.shanghai_date(order.due_at),
        working_days=order.clock_working_days,
        provisional=order.due_provisional,
        provisional_years=tuple(order.provisional_years or ()),
    )
    return Clock(
        started_at=order.clock_started_at,
        working_days=order.clock_working_days,
        deadline=deadline,
        paused_at=order.paused_at,
        stopped_at=order.closed_at,
    )


def store_clock(order: WorkOrder, clock: Clock) -> None:
    order.clock_started_at = clock.started_at
    order.clock_working_days = clock.working_days
    order.paused_at = clock.paused_at
    order.closed_at = clock.stopped_at
    order.due_at = clock.deadline.due_at
    order.due_provisional = clock.deadline.provisional
    order.provisional_years = list(clock.deadline.provisional_years)
    # A new deadline in the future clears an earlier overdue mark (escalation stays recorded).
    if order.overdue_at is not None and clock.running and clock.deadline.due_at > order.overdue_at:
        order.overdue_at = None


def parties_of(order: WorkOrder) -> OrderParties:
    return OrderParties(
        requester_id=order.requester_id,
        requester_org_id=order.requester_org_id,
        requester_role=Role(order.requester_role) if order.requester_role else None,
        responsible_org_id=order.responsible_org_id,
        responsible_role=Role(order.responsible_role),
    )


def parties_for(actor: Principal, order: WorkOrder) -> list[Party]:
    parties = parties_of(order)
    return [p for p in Party if rules.can_act_as(actor, parties, p.value)]


def actor_kind(actor: Principal) -> str:
    if actor.is_system:
        return "system"
    return "token" if actor.token_id else "user"


def find_order(session: Session, order_id: str, *, for_update: bool = False) -> WorkOrder:
    query = select(WorkOrder).where(WorkOrder.id == order_id)
    if for_update:
        query = query.with_for_update()
    order = session.scalar(query)
    if order is None:
        raise NotFound("work order not found", message_zh="工单不存在")
    return order


def resolve_attachments(
    session: Session, upload_ids: Sequence[str], actor: Principal
) -> list[dict[str, Any]]:
    """The caller's own uploads as attachment records (someone else's upload id is refused)."""
    found: list[dict[str, Any]] = []
    for upload_id in dict.fromkeys(upload_ids):
        upload = session.get(WorkOrderUpload, upload_id)
        if upload is None or not (actor.is_system or upload.uploaded_by == actor.user_id):
            raise ValidationFailed(
                f"upload '{upload_id}' not found",
                message_zh="附件不存在，请先上传",
                details=[{"field": "attachments", "message": f"unknown upload {upload_id}"}],
            )
        found.append(
            {
                "upload_id": upload.id,
                "sha256": upload.sha256,
                "filename": upload.filename,
                "media_type": upload.media_type,
                "size": upload.size_bytes,
            }
        )
    return found


def add_event(
    session: Session,
    order: WorkOrder,
    *,
    actor: Principal,
    action: str,
    at: datetime,
    party: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    note: str = "",
    details: Mapping[str, Any] | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> WorkOrderEvent:
    last = session.scalar(select(func.max(WorkOrderEvent.seq)).where(WorkOrderEvent.order_id == order.id))
    event = WorkOrderEvent(
        order=order,  # back_populates appends it to order.events: no reload of the history needed
        seq=(last or 0) + 1,
        at=at,
        actor_kind=actor_kind(actor),
        actor_id=actor.user_id,
        actor_name=actor.username[:100],
        party=party,
        action=action,
        from_state=from_state,
        to_state=to_state,
        note=note,
        details=dict(details or {}),
        attachments=list(attachments or []),
        due_at=order.due_at,
    )
    session.add(event)
    session.flush()
    return event


def audit_order(
    session: Session, actor: Principal, order: WorkOrder, action: str, details: Mapping[str, Any]
) -> None:
    record_audit(
        session,
        actor=actor,
        action=f"workorder.{action}",
        subject_type="work_order",
        subject_id=order.id,
        organization_id=order.responsible_org_id or order.requester_org_id,
        details={"type": order.type, "subject_type": order.subject_type, "subject_id": order.subject_id}
        | dict(details),
    )


# ---------------------------------------------------------------------------------------------
# Notifications
# ---------------------------------------------------------------------------------------------


def order_message(
    order: WorkOrder, kind: str, zh: str, en: str, body_zh: str = "", body_en: str = ""
) -> Message:
    return Message(
        kind=kind,
        title_zh=f"{zh}：{order.title}",
        title_en=f"{en}: {order.title}",
        body_zh=body_zh,
        body_en=body_en,
        subject_type="work_order",
        subject_id=order.id,
        link=f"/api/v1/workorders/{order.id}",
    )


def notify_responsible(
    session: Session, order: WorkOrder, message: Message, *, skip: Collection[str] = ()
) -> int:
    """Tell the responsible side (every holder of the role in the organization), except `skip`."""
    if not skip:
        return notify_organization(session, order.responsible_org_id, order.responsible_role, message)
    users = role_holders(session, order.responsible_role, order.responsible_org_id)
    return notify_users(session, [u for u in users if u not in skip], message)


def notify_requester(
    session: Session, order: WorkOrder, message: Message, *, skip: Collection[str] = ()
) -> int:
    """Tell the requester (and its organization's role holders, for organizations' orders), except `skip`."""
    users: list[str] = [order.requester_id] if order.requester_id else []
    if order.requester_role and order.requester_org_id:
        users += role_holders(session, order.requester_role, order.requester_org_id)
    return notify_users(session, [u for u in users if u not in skip], message)


def notify_authority(session: Session, message: Message) -> int:
    return notify_organization(session, None, Role.AUTHORITY, message)


# ---------------------------------------------------------------------------------------------
# Opening and acting
# ---------------------------------------------------------------------------------------------


def open_order(
    session: Session,
    *,
    actor: Principal,
    order_type: WorkOrderType,
    subject_type: str,
    subject_id: str | None,
    title: str,
    requester_id: str | None,
    requester_org_id: str | None,
    responsible_org_id: str | None,
    jurisdiction: str,
    calendar: WorkdayCalendar,
    now: datetime,
    payload: Mapping[str, Any] | None = None,
    note: str = "",
    attachments: list[dict[str, Any]] | None = None,
) -> WorkOrder:
    """Create an order in its type's initial state, start its clock, record, audit and notify."""
    sla = order_type.sla_for(jurisdiction)
    clock = model.start_clock(calendar, now, sla)
    order = WorkOrder(
        type=order_type.name,
        state=order_type.initial_state,
        title=title[:300],
        subject_type=subject_type,
        subject_id=subject_id,
        requester_id=requester_id,
        requester_org_id=requester_org_id,
        requester_role=order_type.requester_role,
        responsible_org_id=responsible_org_id,
        responsible_role=order_type.responsible_role,
        jurisdiction=jurisdiction,
        sla_working_days=sla,
        received_at=now,
        payload=dict(payload or {}),
    )
    store_clock(order, clock)
    session.add(order)
    session.flush()
    log_provisional(clock.deadline, what=f"work order {order.id} ({order.type})")
    add_event(
        session,
        order,
        actor=actor,
        action="open",
        at=now,
        party=Party.REQUESTER.value,
        to_state=order.state,
        note=note,
        details={"sla_working_days": sla, "jurisdiction": jurisdiction},
        attachments=attachments,
    )
    audit_order(
        session,
        actor,
        order,
        "open",
        {
            "state": order.state,
            "due_at": order.due_at.isoformat(),
            "provisional": order.due_provisional,
            "sla_working_days": sla,
            "attachments": [a["sha256"] for a in attachments or []],
        },
    )
    notify_responsible(
        session,
        order,
        order_message(
            order,
            "workorder.opened",
            f"新{order_type.label_zh}",
            f"New {order_type.label_en}",
            f"请于{model.shanghai_date(order.due_at).isoformat()}前办理。",
            f"Due by {model.shanghai_date(order.due_at).isoformat()}.",
        ),
    )
    return order


def act(
    session: Session,
    *,
    actor: Principal,
    order: WorkOrder,
    action: str,
    calendar: WorkdayCalendar,
    now: datetime,
    note: str = "",
    details: Mapping[str, Any] | None = None,
    attachments: list[dict[str, Any]] | None = None,
) -> WorkOrderEvent:
    """Take `action` on `order` (state machine, permission, clock, type handler, history, audit, notify).

    The other side is told of the step with a generic notice, except the users the type's handler
    already told in a message of its own (`ActionContext.notified`): one message per step per recipient."""
    order_type = registry.get_type(order.type)
    parties = parties_of(order)
    transition = order_type.transition(order.state, action)
    if transition is not None:
        require(rules.can_act_as(actor, parties, transition.party.value))
    try:
        transition = model.apply_transition(
            order_type, state=order.state, action=action, party_ok=True, note=note
        )
        new_clock = model.next_clock(
            order_type, calendar, clock_of(order), transition, at=now, jurisdiction=order.jurisdiction
        )
    except WorkflowError as exc:
        raise workflow_error(exc) from exc
    handler = registry.handler_for(order.type)
    recorded: dict[str, Any] = {}
    told: set[str] = set()
    if handler is not None:
        ctx = ActionContext(
            actor=actor,
            order=order,
            transition=transition,
            note=note,
            details=dict(details or {}),
            attachments=list(attachments or []),
            now=now,
            calendar=calendar,
        )
        recorded = dict(handler(session, ctx) or {})
        told = ctx.notified
    before = order.state
    order.state = transition.target
    store_clock(order, new_clock)
    order.revision += 1
    if transition.clock in (ClockEffect.RESUME, ClockEffect.RESTART):
        log_provisional(new_clock.deadline, what=f"work order {order.id} ({order.type})")
    event = add_event(
        session,
        order,
        actor=actor,
        action=action,
        at=now,
        party=transition.party.value,
        from_state=before,
        to_state=order.state,
        note=note,
        details=recorded,
        attachments=attachments,
    )
    audit_order(
        session,
        actor,
        order,
        action,
        {
            "from": before,
            "to": order.state,
            "note": note,
            "clock": transition.clock.value,
            "due_at": order.due_at.isoformat(),
            "attachments": [a["sha256"] for a in attachments or []],
        }
        | recorded,
    )
    label_zh = transition.label_zh or action
    label_en = transition.label_en or action
    message = order_message(
        order,
        f"workorder.{action}",
        f"工单{label_zh}",
        f"Work order {label_en}",
        note,
        note,
    )
    if transition.party is Party.RESPONSIBLE:
        notify_requester(session, order, message, skip=told)
    else:
        notify_responsible(session, order, message, skip=told)
    return event


def request_extension(
    session: Session,
    *,
    actor: Principal,
    order: WorkOrder,
    days: int,
    reason: str,
    now: datetime,
) -> WorkOrderEvent:
    order_type = registry.get_type(order.type)
    require(rules.can_act_as(actor, parties_of(order), Party.RESPONSIBLE.value))
    try:
        model.check_extension_request(
            order_type,
            days=days,
            reason=reason,
            already_requested=order.extension_state != "none",
            closed=order.closed_at is not None,
        )
    except WorkflowError as exc:
        raise workflow_error(exc) from exc
    order.extension_state = "requested"
    order.extension_days = days
    order.extension_reason = reason
    order.revision += 1
    event = add_event(
        session,
        order,
        actor=actor,
        action="extension_request",
        at=now,
        party=Party.RESPONSIBLE.value,
        note=reason,
        details={"days": days},
    )
    audit_order(session, actor, order, "extension.request", {"days": days, "reason": reason})
    notify_authority(
        session,
        order_message(
            order,
            "workorder.extension_requested",
            "延期申请待审批",
            "Extension to approve",
            f"申请延期{days}个工作日，理由：{reason}",
            f"{days} more working days requested: {reason}",
        ),
    )
    return event


def decide_extension(
    session: Session,
    *,
    actor: Principal,
    order: WorkOrder,
    approve: bool,
    note: str,
    calendar: WorkdayCalendar,
    now: datetime,
) -> WorkOrderEvent:
    require(rules.can_decide_extension(actor))
    if order.extension_state != "requested":
        raise Conflict(
            "no extension request is waiting", message_zh="没有待审批的延期申请", code="no_extension"
        )
    if order.closed_at is not None:
        raise Conflict("the order is closed", message_zh="工单已办结", code="order_closed")
    old_due = order.due_at
    if approve:
        store_clock(order, model.extend(calendar, clock_of(order), order.extension_days))
        order.extension_state = "approved"
    else:
        order.extension_state = "rejected"
    order.revision += 1
    details = {"days": order.extension_days, "approved": approve, "old_due_at": old_due.isoformat()}
    details["due_at"] = order.due_at.isoformat()
    event = add_event(
        session,
        order,
        actor=actor,
        action="extension_approve" if approve else "extension_reject",
        at=now,
        party=Party.AUTHORITY.value,
        note=note,
        details=details,
    )
    audit_order(
        session,
        actor,
        order,
        "extension.approve" if approve else "extension.reject",
        details | {"note": note},
    )
    due = model.shanghai_date(order.due_at).isoformat()
    message = order_message(
        order,
        "workorder.extension_decided",
        "延期已批准" if approve else "延期未获批准",
        "Extension approved" if approve else "Extension refused",
        f"办理期限：{due}。{note}",
        f"Due: {due}. {note}",
    )
    notify_responsible(session, order, message)
    if approve:
        notify_requester(session, order, message)  # the requester is told of the new deadline
    return event
