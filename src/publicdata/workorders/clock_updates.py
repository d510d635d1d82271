"""Recompute deadlines after a holiday schedule is loaded (called by workdays.service)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.db import utcnow
from publicdata.identity.permissions import Principal
from publicdata.workdays.model import WorkdayCalendar, shanghai_date
from publicdata.workorders import engine, model
from publicdata.workorders.tables import WorkOrder


def recompute_provisional_deadlines(
    session: Session, *, actor: Principal, calendar: WorkdayCalendar, now: datetime | None = None
) -> int:
    """Open orders whose deadline was provisional get it recomputed from their clock basis.

    Returns how many due dates moved. Each move is in the order's history, audited, and the
    responsible side is told the new date.
    """
    now = now or utcnow()
    moved = 0
    orders = session.scalars(
        select(WorkOrder)
        .where(WorkOrder.closed_at.is_(None), WorkOrder.due_provisional.is_(True))
        .order_by(WorkOrder.due_at, WorkOrder.id)
    )
    for order in list(orders):
        old = engine.clock_of(order)
        new = model.recompute(calendar, old)
        engine.store_clock(order, new)
        if new.deadline.due_at == old.deadline.due_at:
            continue
        moved += 1
        details = {
            "old_due_at": old.deadline.due_at.isoformat(),
            "due_at": new.deadline.due_at.isoformat(),
            "provisional": new.deadline.provisional,
        }
        engine.add_event(session, order, actor=actor, action="deadline_recompute", at=now, details=details)
        engine.audit_order(session, actor, order, "deadline.recompute", details)
        old_day, new_day = shanghai_date(old.deadline.due_at), shanghai_date(new.deadline.due_at)
        engine.notify_responsible(
            session,
            order,
            engine.order_message(
                order,
                "workorder.deadline_moved",
                "办理期限已按节假日安排调整",
                "Deadline moved by the holiday schedule",
                f"原期限{old_day.isoformat()}，现为{new_day.isoformat()}。",
                f"Was {old_day.isoformat()}, now {new_day.isoformat()}.",
            ),
        )
    return moved
