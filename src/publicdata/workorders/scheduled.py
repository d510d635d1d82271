"""Timed duties (`publicdata tick`): overdue work orders, escalation, the workflows' own jobs, mail.

`tick` is idempotent: an order is marked overdue once and escalated to the authority once; the
workflows' jobs de-duplicate their own reminders. `serve` runs it in-process every few minutes
(`start_ticker`); several app servers may run it at once — each order is locked while marked.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select

from publicdata.db import utcnow
from publicdata.identity.permissions import SYSTEM
from publicdata.notifications.mailer import Mailer
from publicdata.notifications.service import deliver_outbox
from publicdata.platform import Platform
from publicdata.workdays.model import shanghai_date
from publicdata.workdays.service import calendar_from_session
from publicdata.workorders import engine, registry
from publicdata.workorders.tables import WorkOrder

log = logging.getLogger("publicdata.tick")


def mark_overdue(platform: Platform, *, now: datetime) -> dict[str, int]:
    counts = {"overdue": 0, "escalated": 0, "notified": 0}
    with platform.db.transaction() as session:
        due = session.scalars(
            select(WorkOrder)
            .where(
                WorkOrder.closed_at.is_(None),
                WorkOrder.paused_at.is_(None),
                WorkOrder.due_at < now,
                (WorkOrder.overdue_at.is_(None)) | (WorkOrder.escalated_at.is_(None)),
            )
            .order_by(WorkOrder.due_at, WorkOrder.id)
            .with_for_update()
        )
        for order in list(due):
            due_day = shanghai_date(order.due_at).isoformat()
            if order.overdue_at is None:
                order.overdue_at = now
                counts["overdue"] += 1
                details = {"due_at": order.due_at.isoformat(), "state": order.state}
                engine.add_event(session, order, actor=SYSTEM, action="overdue", at=now, details=details)
                engine.audit_order(session, SYSTEM, order, "overdue", details)
                counts["notified"] += engine.notify_responsible(
                    session,
                    order,
                    engine.order_message(
                        order,
                        "workorder.overdue",
                        "工单已超期",
                        "Work order overdue",
                        f"办理期限{due_day}已过，请尽快办理。",
                        f"It was due on {due_day}; please handle it now.",
                    ),
                )
            if order.escalated_at is None:
                order.escalated_at = now
                counts["escalated"] += 1
                escalation: dict[str, str | None] = {
                    "due_at": order.due_at.isoformat(),
                    "responsible_org_id": order.responsible_org_id,
                }
                engine.add_event(session, order, actor=SYSTEM, action="escalate", at=now, details=escalation)
                engine.audit_order(session, SYSTEM, order, "escalate", escalation)
                counts["notified"] += engine.notify_authority(
                    session,
                    engine.order_message(
                        order,
                        "workorder.escalated",
                        "超期工单督办",
                        "Overdue work order escalated",
                        f"该工单办理期限为{due_day}，已超期。",
                        f"This order was due on {due_day} and is overdue.",
                    ),
                )
    return counts


def tick(platform: Platform, now: datetime | None = None, *, mailer: Mailer | None = None) -> dict[str, int]:
    """Run every timed duty once; returns counts (overdue, escalated, notified, each job's, mail)."""
    now = now or utcnow()
    counts = mark_overdue(platform, now=now)
    for name, job in sorted(registry.scheduled_jobs().items()):
        try:
            with platform.db.transaction() as session:
                context = registry.JobContext(
                    now=now,
                    calendar=calendar_from_session(session),
                    jurisdiction=platform.settings.jurisdiction.value,
                    settings=platform.settings,
                )
                result = job(session, context)
        except Exception:  # one failing duty must not stop the others; it is retried next tick
            log.exception("scheduled job %s failed", name)
            counts[f"{name}.failed"] = 1
            continue
        for key, value in result.items():
            counts[f"{name}.{key}"] = value
    for key, value in deliver_outbox(platform, mailer=mailer).items():
        counts[f"mail.{key}"] = value
    log.info("tick at %s: %s", now.isoformat(), counts)
    return counts


def start_ticker(
    platform: Platform,
    *,
    interval_seconds: float | None = None,
    on_error: Callable[[Exception], None] | None = None,
) -> threading.Event:
    """Run `tick` in a daemon thread every interval (default: settings.tick_interval_minutes).

    Returns an Event; set it to stop the thread (e.g. in the app's lifespan shutdown).
    """
    stop = threading.Event()
    interval = (
        interval_seconds if interval_seconds is not None else platform.settings.tick_interval_minutes * 60
    )
    if interval <= 0:  # tick_interval_minutes = 0 disables the in-process ticker
        stop.set()
        return stop

    def loop() -> None:
        while not stop.wait(interval):
            try:
                tick(platform)
            except Exception as exc:  # keep ticking; the next run retries
                log.exception("tick failed")
                if on_error is not None:
                    on_error(exc)

    threading.Thread(target=loop, name="publicdata-tick", daemon=True).start()
    return stop
