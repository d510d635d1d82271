"""Timed duties of grants, run by `publicdata tick`: usage-report reminders and suspension of grants
whose report is overdue beyond the grace period (ACC-9); removing the grants' cut-down copies no grant
needs any more (ACC-6, `grant_copies`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session

from publicdata.access.grant_copies import sweep_copies
from publicdata.access.reports import report_duties
from publicdata.db import utcnow
from publicdata.platform import Platform
from publicdata.workdays.service import calendar_from_session
from publicdata.workorders import registry
from publicdata.workorders.registry import JobContext


def usage_report_job(session: Session, ctx: JobContext) -> Mapping[str, int]:
    grace = ctx.settings.access_report_grace_working_days
    return report_duties(session, now=ctx.now, calendar=ctx.calendar, grace_working_days=grace)


def run_usage_report_duties(platform: Platform, *, now: datetime | None = None) -> Mapping[str, int]:
    """The same duty with this platform's settings (CLI, tests)."""
    with platform.db.transaction() as session:
        return report_duties(
            session,
            now=now or utcnow(),
            calendar=calendar_from_session(session),
            grace_working_days=platform.settings.access_report_grace_working_days,
        )


def grant_copies_job(session: Session, ctx: JobContext) -> Mapping[str, int]:
    """Copies of closed, expired, superseded or retracted data, and crashed writers' leftovers."""
    return sweep_copies(session, ctx.settings, now=ctx.now)


registry.register_job("access.usage_reports", usage_report_job)
registry.register_job("access.grant_copies", grant_copies_job)
