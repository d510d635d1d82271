"""Usage reports (ACC-9): the holder files them through the platform; overdue ones are reminded and,
after `access_report_grace_working_days` working days, suspend the grant until the report comes in."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.access import grant_model as gm
from publicdata.access import grant_rules as rules
from publicdata.access.grant_service import grant_out, load_grant
from publicdata.access.grant_tables import AccessGrant, UsageReport
from publicdata.access.grants import resume_grant, suspend_grant
from publicdata.audit.service import record_audit
from publicdata.db import utcnow
from publicdata.errors import Conflict, ValidationFailed
from publicdata.identity.model import Role
from publicdata.identity.permissions import SYSTEM, Principal
from publicdata.identity.service import require
from publicdata.notifications.service import Message, notify_organization, notify_user
from publicdata.platform import Platform
from publicdata.workdays.model import WorkdayCalendar


def report_out(report: UsageReport) -> dict[str, Any]:
    return {
        "id": report.id,
        "grant_id": report.grant_id,
        "user_id": report.user_id,
        "due_on": report.due_on,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "contents": report.contents,
        "submitted_at": report.submitted_at,
    }


def file_report(
    platform: Platform,
    *,
    actor: Principal,
    grant_id: str,
    contents: dict[str, Any],
    now: datetime | None = None,
) -> dict[str, Any]:
    """File a usage report with every ACC-9 section; advances the due date and lifts a suspension
    that an overdue report caused."""
    problems = gm.report_problems(contents)
    if problems:
        raise ValidationFailed(
            "the usage report misses required contents",
            message_zh="使用情况报告缺少必填内容",
            details=[
                {"field": p.field, "message": p.message_en, "message_zh": p.message_zh} for p in problems
            ],
        )
    now = now or utcnow()
    today = gm.shanghai_day(now)
    with platform.db.transaction() as session:
        grant = load_grant(session, grant_id)
        require(rules.can_act_as_holder(actor, holder_id=grant.user_id))
        if grant.state == gm.GrantState.CLOSED:
            raise Conflict("this grant is closed", message_zh="该授权已关闭", code="grant_closed")
        due = grant.next_report_due
        last = session.scalar(
            select(UsageReport.period_end)
            .where(UsageReport.grant_id == grant.id)
            .order_by(UsageReport.submitted_at.desc())
            .limit(1)
        )
        start = (last + timedelta(days=1)) if last is not None else grant.valid_from
        report = UsageReport(
            grant_id=grant.id,
            user_id=grant.user_id,
            due_on=due,
            period_start=min(start, today),
            period_end=today,
            contents={k: contents[k] for k in gm.REPORT_SECTIONS}
            | {k: v for k, v in contents.items() if k not in gm.REPORT_SECTIONS},
            submitted_at=now,
        )
        session.add(report)
        grant.next_report_due = gm.next_report_due(due, today, grant.report_every_days)
        grant.reminded_at = None
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="access.usage_report",
            subject_type="access_grant",
            subject_id=grant.id,
            organization_id=grant.provider_id,
            details={
                "report_id": report.id,
                "due_on": due.isoformat() if due else None,
                "late": bool(due and today > due),
                "next_report_due": grant.next_report_due.isoformat(),
            },
        )
        if grant.state == gm.GrantState.SUSPENDED and grant.suspension_cause == gm.SuspensionCause.REPORT:
            resume_grant(session, grant, actor=actor, reason="usage report filed / 已提交使用情况报告")
        notify_organization(
            session,
            grant.provider_id,
            Role.PROVIDER_STAFF,
            Message(
                kind="access.usage_report",
                title_zh="收到数据使用情况报告",
                title_en="A usage report was filed",
                subject_type="access_grant",
                subject_id=grant.id,
                link=f"/grants/{grant.id}",
            ),
        )
        return {"report": report_out(report), "grant": grant_out(session, grant, now)}


def list_reports(platform: Platform, *, actor: Principal, grant_id: str) -> list[dict[str, Any]]:
    with platform.db.reading() as session:
        grant = load_grant(session, grant_id)
        require(rules.can_view_grant(actor, holder_id=grant.user_id, provider_id=grant.provider_id))
        rows = session.scalars(
            select(UsageReport).where(UsageReport.grant_id == grant_id).order_by(UsageReport.submitted_at)
        )
        return [report_out(r) for r in rows]


def suspension_day(calendar: WorkdayCalendar, due: Any, grace_working_days: int) -> Any:
    """The last day the report may still come in without suspension: `grace` working days after the
    due date; the grant is suspended from the day after."""
    return calendar.add_working_days(due, grace_working_days).day


def report_duties(
    session: Session, *, now: datetime, calendar: WorkdayCalendar, grace_working_days: int
) -> dict[str, int]:
    """Remind holders of due reports; suspend grants whose report is overdue beyond the grace period."""
    today = gm.shanghai_day(now)
    reminded = suspended = 0
    grants = session.scalars(
        select(AccessGrant).where(
            AccessGrant.state == gm.GrantState.ACTIVE.value,
            AccessGrant.next_report_due.is_not(None),
            AccessGrant.next_report_due <= today,
        )
    )
    for grant in grants:
        due = grant.next_report_due
        assert due is not None
        last_day = suspension_day(calendar, due, grace_working_days)
        if today > last_day:
            reason = (
                f"usage report due {due} is overdue beyond {grace_working_days} working days / "
                f"使用情况报告（{due} 到期）逾期超过 {grace_working_days} 个工作日"
            )
            if suspend_grant(session, grant, actor=SYSTEM, cause=gm.SuspensionCause.REPORT, reason=reason):
                suspended += 1
            continue
        if grant.reminded_at is None or gm.shanghai_day(grant.reminded_at) < due:
            grant.reminded_at = now
            notify_user(
                session,
                grant.user_id,
                Message(
                    kind="access.usage_report_due",
                    title_zh=f"请提交数据使用情况报告（{due} 到期）",
                    title_en=f"Your usage report is due ({due})",
                    body_zh=f"逾期超过 {grace_working_days} 个工作日（{last_day} 之后）授权将被暂停。",
                    body_en=f"The grant is suspended if the report is still missing after {last_day} "
                    f"({grace_working_days} working days).",
                    subject_type="access_grant",
                    subject_id=grant.id,
                    link=f"/grants/{grant.id}/report",
                    dedupe_key=f"usage-report-due:{grant.id}:{due}",
                ),
            )
            record_audit(
                session,
                actor=SYSTEM,
                action="access.usage_report_remind",
                subject_type="access_grant",
                subject_id=grant.id,
                organization_id=grant.provider_id,
                details={"due_on": due.isoformat(), "suspend_after": last_day.isoformat()},
            )
            reminded += 1
    return {"reminded": reminded, "suspended": suspended}
