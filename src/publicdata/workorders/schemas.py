"""Work-order API documents and how rows become them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from publicdata.identity.permissions import Principal
from publicdata.workdays.model import WorkdayCalendar
from publicdata.workdays.service import DeadlineOut, deadline_out
from publicdata.workorders import engine, model, registry
from publicdata.workorders.tables import WorkOrder, WorkOrderEvent


class EventOut(BaseModel):
    seq: int
    at: datetime
    actor_kind: str
    actor_id: str | None
    actor_name: str
    party: str | None
    action: str
    from_state: str | None
    to_state: str | None
    note: str
    details: dict[str, Any]
    attachments: list[dict[str, Any]]


class ActionOut(BaseModel):
    action: str
    party: str
    target: str
    label_zh: str
    label_en: str
    note_required: bool


class ExtensionOut(BaseModel):
    state: str
    days: int
    reason: str
    max_days: int


class WorkOrderSummary(BaseModel):
    id: str
    type: str
    type_label: str
    type_label_en: str
    state: str
    state_label: str
    title: str
    subject_type: str
    subject_id: str | None
    requester_id: str | None
    requester_org_id: str | None
    responsible_org_id: str | None
    responsible_role: str
    received_at: datetime
    deadline: DeadlineOut
    remaining_working_days: int
    overdue: bool
    overdue_working_days: int
    paused: bool
    closed: bool
    escalated: bool
    updated_at: datetime


class WorkOrderOut(WorkOrderSummary):
    jurisdiction: str
    sla_working_days: int
    extension: ExtensionOut
    payload: dict[str, Any]
    revision: int
    closed_at: datetime | None
    overdue_at: datetime | None
    escalated_at: datetime | None
    history: list[EventOut]
    my_actions: list[ActionOut]


class ActionIn(BaseModel):
    action: str = Field(max_length=40)
    note: str = Field(default="", max_length=5000)
    details: dict[str, Any] = Field(default_factory=dict)
    attachments: list[str] = Field(default_factory=list, max_length=20, description="upload ids")


class ExtensionIn(BaseModel):
    days: int = Field(ge=1, le=60)
    reason: str = Field(min_length=1, max_length=2000)


class ExtensionDecisionIn(BaseModel):
    approve: bool
    note: str = Field(default="", max_length=2000)


class UploadOut(BaseModel):
    upload_id: str
    sha256: str
    filename: str
    media_type: str
    size: int


def event_out(event: WorkOrderEvent) -> EventOut:
    return EventOut(
        seq=event.seq,
        at=event.at,
        actor_kind=event.actor_kind,
        actor_id=event.actor_id,
        actor_name=event.actor_name,
        party=event.party,
        action=event.action,
        from_state=event.from_state,
        to_state=event.to_state,
        note=event.note,
        details=dict(event.details or {}),
        attachments=list(event.attachments or []),
    )


def _summary_fields(order: WorkOrder, calendar: WorkdayCalendar, now: datetime) -> dict[str, Any]:
    order_type = registry.get_type(order.type)
    clock = engine.clock_of(order)
    standing = model.standing(calendar, clock, now)
    zh, _en = order_type.state_labels.get(order.state, (order.state, order.state))
    return {
        "id": order.id,
        "type": order.type,
        "type_label": order_type.label_zh,
        "type_label_en": order_type.label_en,
        "state": order.state,
        "state_label": zh,
        "title": order.title,
        "subject_type": order.subject_type,
        "subject_id": order.subject_id,
        "requester_id": order.requester_id,
        "requester_org_id": order.requester_org_id,
        "responsible_org_id": order.responsible_org_id,
        "responsible_role": order.responsible_role,
        "received_at": order.received_at,
        "deadline": deadline_out(clock.deadline),
        "remaining_working_days": standing.remaining_working_days,
        "overdue": standing.overdue,
        "overdue_working_days": standing.overdue_working_days,
        "paused": standing.paused,
        "closed": order.closed_at is not None,
        "escalated": order.escalated_at is not None,
        "updated_at": order.updated_at,
    }


def order_summary(order: WorkOrder, calendar: WorkdayCalendar, now: datetime) -> WorkOrderSummary:
    return WorkOrderSummary(**_summary_fields(order, calendar, now))


def order_out(order: WorkOrder, calendar: WorkdayCalendar, now: datetime, actor: Principal) -> WorkOrderOut:
    order_type = registry.get_type(order.type)
    mine = set(engine.parties_for(actor, order))
    actions = [
        ActionOut(
            action=t.action,
            party=t.party.value,
            target=t.target,
            label_zh=t.label_zh or t.action,
            label_en=t.label_en or t.action,
            note_required=t.note_required,
        )
        for t in order_type.actions_from(order.state)
        if t.party in mine and order.closed_at is None
    ]
    return WorkOrderOut(
        **_summary_fields(order, calendar, now),
        jurisdiction=order.jurisdiction,
        sla_working_days=order.sla_working_days,
        extension=ExtensionOut(
            state=order.extension_state,
            days=order.extension_days,
            reason=order.extension_reason,
            max_days=order_type.max_extension_days,
        ),
        payload=dict(order.payload or {}),
        revision=order.revision,
        closed_at=order.closed_at,
        overdue_at=order.overdue_at,
        escalated_at=order.escalated_at,
        history=[event_out(e) for e in order.events],
        my_actions=actions,
    )
