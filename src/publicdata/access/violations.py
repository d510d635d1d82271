"""Misuse reports (anyone, anonymous too) and violations (ACC-10, ACC-11): recording a violation
restricts (grants of the dataset) or closes (all grants, no new applications) the user's access; it
may be published on the public notice page; lifting it is a recorded decision too."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.access import grant_model as gm
from publicdata.access import grant_rules as rules
from publicdata.access.grant_calls import access_restricted, open_violation
from publicdata.access.grant_tables import AccessGrant, MisuseReport, Violation
from publicdata.access.grants import resume_grant, suspend_grant
from publicdata.audit.service import record_audit
from publicdata.catalog.service import find_dataset
from publicdata.catalog.tables import Dataset
from publicdata.db import utcnow
from publicdata.errors import Conflict, NotFound, ValidationFailed
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.identity.tables import User
from publicdata.notifications.service import Message, notify_user, notify_users, role_holders
from publicdata.platform import Platform

__all__ = ["access_restricted", "lift_violation", "public_violations", "record_violation", "report_misuse"]


def _required(**values: str) -> None:
    missing = [name for name, value in values.items() if not (value or "").strip()]
    if missing:
        raise ValidationFailed(
            f"required: {', '.join(missing)}",
            message_zh="请填写必填项",
            details=[{"field": m, "message": "required"} for m in missing],
        )


def misuse_out(report: MisuseReport) -> dict[str, Any]:
    return {
        "id": report.id,
        "reporter_id": report.reporter_id,
        "contact": report.contact,
        "dataset_id": report.dataset_id,
        "subject": report.subject,
        "description": report.description,
        "state": report.state,
        "outcome": report.outcome,
        "handled_at": report.handled_at,
        "created_at": report.created_at,
    }


def report_misuse(
    platform: Platform,
    *,
    actor: Principal,
    description: str,
    subject: str = "",
    dataset: str | None = None,
    contact: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Anyone, anonymous callers included, reports misuse of public data; the center is told."""
    _required(description=description)
    now = now or utcnow()
    with platform.db.transaction() as session:
        dataset_id = find_dataset(session, dataset).id if dataset else None
        report = MisuseReport(
            reporter_id=actor.user_id,
            contact=contact.strip()[:200],
            dataset_id=dataset_id,
            subject=subject.strip()[:200],
            description=description.strip(),
            created_at=now,
        )
        session.add(report)
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="access.misuse_report",
            subject_type="misuse_report",
            subject_id=report.id,
            details={"dataset_id": dataset_id, "subject": report.subject, "anonymous": actor.user_id is None},
        )
        notify_users(
            session,
            role_holders(session, Role.CENTER),
            Message(
                kind="access.misuse_report",
                title_zh="收到公共数据违规使用举报",
                title_en="Misuse of public data reported",
                body_zh=report.description[:500],
                body_en=report.description[:500],
                subject_type="misuse_report",
                subject_id=report.id,
                link="/center/misuse-reports",
            ),
        )
        return {"id": report.id, "state": report.state, "created_at": report.created_at}


def list_misuse_reports(
    platform: Platform, *, actor: Principal, state: str | None = None
) -> list[dict[str, Any]]:
    require(rules.can_handle_misuse_reports(actor))
    with platform.db.reading() as session:
        query = select(MisuseReport).order_by(MisuseReport.created_at.desc())
        if state:
            query = query.where(MisuseReport.state == state)
        return [misuse_out(r) for r in session.scalars(query.limit(500))]


def handle_misuse_report(
    platform: Platform,
    *,
    actor: Principal,
    report_id: str,
    state: str,
    outcome: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The center closes a misuse report as handled or dismissed, with the outcome."""
    require(rules.can_handle_misuse_reports(actor))
    if state not in ("handled", "dismissed"):
        raise ValidationFailed("state is handled or dismissed", message_zh="处理结果无效")
    _required(outcome=outcome)
    with platform.db.transaction() as session:
        report = session.get(MisuseReport, report_id)
        if report is None:
            raise NotFound("misuse report not found", message_zh="举报不存在")
        report.state, report.outcome = state, outcome.strip()
        report.handled_by, report.handled_at = actor.user_id, now or utcnow()
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="access.misuse_report_handle",
            subject_type="misuse_report",
            subject_id=report.id,
            details={"state": state, "outcome": report.outcome},
        )
        if report.reporter_id:
            notify_user(
                session,
                report.reporter_id,
                Message(
                    kind="access.misuse_report_handled",
                    title_zh="您的违规使用举报已处理",
                    title_en="Your misuse report was handled",
                    body_zh=report.outcome,
                    body_en=report.outcome,
                    subject_type="misuse_report",
                    subject_id=report.id,
                ),
            )
        return misuse_out(report)


def violation_out(v: Violation, *, public: bool = False) -> dict[str, Any]:
    kind_zh, kind_en = gm.VIOLATION_KIND_NAMES.get(v.kind, (v.kind, v.kind))
    measure_zh, measure_en = gm.MEASURE_NAMES.get(v.measure, (v.measure, v.measure))
    out: dict[str, Any] = {
        "id": v.id,
        "kind": v.kind,
        "kind_label": kind_zh,
        "kind_label_en": kind_en,
        "measure": v.measure,
        "measure_label": measure_zh,
        "measure_label_en": measure_en,
        "recorded_at": v.recorded_at,
        "lifted_at": v.lifted_at,
        "public_summary": v.public_summary,
    }
    if public:
        return out
    return {
        **out,
        "user_id": v.user_id,
        "dataset_id": v.dataset_id,
        "grant_id": v.grant_id,
        "misuse_report_id": v.misuse_report_id,
        "description": v.description,
        "published": v.published,
        "recorded_by": v.recorded_by,
        "lifted_by": v.lifted_by,
        "lift_reason": v.lift_reason,
    }


def _affected(session: Session, violation: Violation) -> list[AccessGrant]:
    query = select(AccessGrant).where(AccessGrant.user_id == violation.user_id)
    if violation.measure == gm.Measure.RESTRICT:
        query = query.where(AccessGrant.dataset_id == violation.dataset_id)
    return list(session.scalars(query))


def record_violation(
    platform: Platform,
    *,
    actor: Principal,
    user_id: str,
    kind: str,
    description: str,
    measure: str,
    dataset: str | None = None,
    grant_id: str | None = None,
    misuse_report_id: str | None = None,
    publish: bool = False,
    public_summary: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record a violation and apply its measure to the user's grants (ACC-11)."""
    if kind not in {k.value for k in gm.ViolationKind}:
        raise ValidationFailed(
            f"unknown kind '{kind}'", message_zh="违规类型无效", details=[{"field": "kind"}]
        )
    if measure not in {m.value for m in gm.Measure}:
        raise ValidationFailed(
            "measure is restrict or close", message_zh="处理措施无效", details=[{"field": "measure"}]
        )
    _required(description=description)
    if publish:
        _required(public_summary=public_summary)
    now = now or utcnow()
    with platform.db.transaction() as session:
        if session.get(User, user_id) is None:
            raise NotFound("user not found", message_zh="用户不存在", code="user_not_found")
        grant = session.get(AccessGrant, grant_id) if grant_id else None
        if grant_id and grant is None:
            raise NotFound("grant not found", message_zh="授权不存在", code="grant_not_found")
        target: Dataset | None = find_dataset(session, dataset) if dataset else None
        if target is None and grant is not None:
            target = session.get(Dataset, grant.dataset_id)
        if measure == gm.Measure.RESTRICT and target is None:
            raise ValidationFailed(
                "restricting access names the dataset (or grant) concerned",
                message_zh="限制访问须指明所涉数据集或授权",
                details=[{"field": "dataset"}],
            )
        require(
            rules.can_record_violation(
                actor, provider_id=target.provider_id if target else None, measure=measure
            )
        )
        violation = Violation(
            user_id=user_id,
            dataset_id=target.id if target else None,
            grant_id=grant_id,
            misuse_report_id=misuse_report_id,
            kind=kind,
            description=description.strip(),
            measure=measure,
            published=publish,
            public_summary=public_summary.strip(),
            recorded_by=actor.user_id or "system",
            recorded_at=now,
        )
        session.add(violation)
        session.flush()
        suspended = [
            g.id
            for g in _affected(session, violation)
            if suspend_grant(
                session,
                g,
                actor=actor,
                cause=gm.SuspensionCause.VIOLATION,
                reason=f"{gm.VIOLATION_KIND_NAMES[kind][0]}（{gm.MEASURE_NAMES[measure][0]}）",
            )
        ]
        record_audit(
            session,
            actor=actor,
            action="access.violation_record",
            subject_type="violation",
            subject_id=violation.id,
            organization_id=target.provider_id if target else None,
            details={
                "user_id": user_id,
                "kind": kind,
                "measure": measure,
                "dataset_id": violation.dataset_id,
                "published": publish,
                "suspended_grants": suspended,
            },
        )
        measure_zh, measure_en = gm.MEASURE_NAMES[measure]
        notify_user(
            session,
            user_id,
            Message(
                kind="access.violation",
                title_zh=f"违规处理决定：{measure_zh}",
                title_en=f"Violation decision: {measure_en}",
                body_zh=violation.description,
                body_en=violation.description,
                subject_type="violation",
                subject_id=violation.id,
            ),
        )
        return {**violation_out(violation), "suspended_grants": suspended}


def lift_violation(
    platform: Platform, *, actor: Principal, violation_id: str, reason: str, now: datetime | None = None
) -> dict[str, Any]:
    """Lift a violation's measure (a recorded decision); grants it suspended resume unless another
    open violation still covers them."""
    _required(reason=reason)
    now = now or utcnow()
    with platform.db.transaction() as session:
        violation = session.get(Violation, violation_id)
        if violation is None:
            raise NotFound("violation not found", message_zh="违规记录不存在")
        target = session.get(Dataset, violation.dataset_id) if violation.dataset_id else None
        require(
            rules.can_record_violation(
                actor, provider_id=target.provider_id if target else None, measure=violation.measure
            )
        )
        if violation.lifted_at is not None:
            raise Conflict("this violation's measure is already lifted", message_zh="该处理措施已解除")
        violation.lifted_at, violation.lifted_by, violation.lift_reason = now, actor.user_id, reason.strip()
        session.flush()
        today = gm.shanghai_day(now)
        resumed = []
        for grant in _affected(session, violation):
            if grant.suspension_cause != gm.SuspensionCause.VIOLATION:
                continue
            if open_violation(session, grant.user_id, grant.dataset_id) is not None:
                continue
            if grant.valid_until < today:
                continue
            if resume_grant(
                session, grant, actor=actor, reason=f"violation lifted / 违规处理已解除：{reason}"
            ):
                resumed.append(grant.id)
        record_audit(
            session,
            actor=actor,
            action="access.violation_lift",
            subject_type="violation",
            subject_id=violation.id,
            organization_id=target.provider_id if target else None,
            details={
                "reason": violation.lift_reason,
                "resumed_grants": resumed,
                "user_id": violation.user_id,
            },
        )
        notify_user(
            session,
            violation.user_id,
            Message(
                kind="access.violation_lifted",
                title_zh="违规处理措施已解除",
                title_en="The violation measure was lifted",
                body_zh=violation.lift_reason,
                body_en=violation.lift_reason,
                subject_type="violation",
                subject_id=violation.id,
            ),
        )
        return {**violation_out(violation), "resumed_grants": resumed}


def list_violations(
    platform: Platform, *, actor: Principal, user_id: str | None = None
) -> list[dict[str, Any]]:
    with platform.db.reading() as session:
        require(rules.can_view_flags(actor))
        query = select(Violation).order_by(Violation.recorded_at.desc())
        if user_id:
            query = query.where(Violation.user_id == user_id)
        rows = list(session.scalars(query.limit(500)))
        overseer = actor.is_admin or actor.has_role(Role.CENTER) or actor.has_role(Role.AUTHORITY)
        if not overseer:
            mine = set(
                session.scalars(select(Dataset.id).where(Dataset.provider_id == actor.organization_id))
            )
            rows = [v for v in rows if v.dataset_id in mine]
        return [violation_out(v) for v in rows]


def public_violations(platform: Platform) -> list[dict[str, Any]]:
    """The public notice (ACC-11): published violations, their measures and the center's summary only."""
    with platform.db.reading() as session:
        rows = session.scalars(
            select(Violation).where(Violation.published.is_(True)).order_by(Violation.recorded_at.desc())
        )
        out = []
        for v in rows:
            item = violation_out(v, public=True)
            dataset = session.get(Dataset, v.dataset_id) if v.dataset_id else None
            item["dataset"] = {"code": dataset.code, "name": dataset.name} if dataset else None
            out.append(item)
        return out
