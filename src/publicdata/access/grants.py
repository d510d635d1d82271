"""Issuing grants (called when a usage agreement is signed) and changing their state, inside the
caller's transaction: every change is audited and the holder (and provider) told (ACC-6, ACC-9, ACC-11).

Delivery: a grant serves the holder through the records / SQL / download endpoints, with any of the
holder's tokens or a session; `POST /api/v1/grants/{id}/token` delivers an API token for it (its id is
recorded on the grant). Offline delivery is recorded and reported to the authority (grant_service)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.access import grant_model as gm
from publicdata.access.grant_tables import AccessGrant
from publicdata.audit.service import record_audit
from publicdata.catalog.tables import Dataset, DatasetField
from publicdata.datastore.tables import DatasetHead, DataVersion
from publicdata.db import utcnow
from publicdata.errors import ValidationFailed
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.notifications.service import Message, notify_organization, notify_user


def issue_grant(
    session: Session,
    *,
    actor: Principal,
    dataset_id: str,
    provider_id: str,
    user_id: str,
    fields: list[str],
    row_filter: list[dict[str, Any]],
    valid_from: date,
    valid_until: date,
    daily_quota: int,
    report_every_days: int,
    daily_row_quota: int | None = None,
    application_id: str | None = None,
    agreement_id: str | None = None,
    delivery: str = "online",
    tell_holder: bool = True,
) -> AccessGrant:
    """Create an active grant in the caller's transaction (audited, the holder told — unless the
    caller's own message of the step tells them, `tell_holder=False`). `fields` must not be empty;
    fields and row filter must name columns of the dataset (catalog or current data). Quotas per
    Shanghai day: `daily_quota` served calls, `daily_row_quota` rows delivered (None: rows unlimited)."""
    known = _known_columns(session, dataset_id)
    problems = gm.check_scope(fields, row_filter, known) if known else gm.check_scope(fields, [], fields)
    if daily_row_quota is not None and daily_row_quota < 1:
        problems.append(
            gm.ScopeProblem(
                "daily_row_quota", "the daily row quota is at least 1 row", "每日数据量上限至少为1行"
            )
        )
    if problems:
        raise ValidationFailed(
            "the grant's scope names unknown columns or operators",
            message_zh="授权范围中的字段或条件无效",
            code="invalid_grant_scope",
            details=[
                {"field": p.field, "message": p.message_en, "message_zh": p.message_zh} for p in problems
            ],
        )
    grant = AccessGrant(
        dataset_id=dataset_id,
        provider_id=provider_id,
        user_id=user_id,
        application_id=application_id,
        agreement_id=agreement_id,
        fields=list(fields),
        row_filter=list(row_filter),
        valid_from=valid_from,
        valid_until=valid_until,
        daily_quota=daily_quota,
        daily_row_quota=daily_row_quota,
        delivery=delivery,
        report_every_days=report_every_days,
        next_report_due=gm.first_report_due(valid_from, report_every_days),
    )
    session.add(grant)
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="access.grant_issue",
        subject_type="access_grant",
        subject_id=grant.id,
        organization_id=provider_id,
        details={
            "dataset_id": dataset_id,
            "user_id": user_id,
            "fields": grant.fields,
            "row_filter": grant.row_filter,
            "valid_from": valid_from.isoformat(),
            "valid_until": valid_until.isoformat(),
            "daily_quota": daily_quota,
            "daily_row_quota": daily_row_quota,
            "delivery": delivery,
            "application_id": application_id,
            "agreement_id": agreement_id,
        },
    )
    if tell_holder:
        dataset = session.get(Dataset, dataset_id)
        label = dataset.name if dataset is not None else dataset_id
        body_zh, body_en = terms_text(grant)
        notify_user(
            session,
            user_id,
            Message(
                kind="access.grant_issued",
                title_zh=f"数据使用授权已生效：{label}",
                title_en=f"Your data access grant is active: {label}",
                body_zh=body_zh,
                body_en=body_en,
                subject_type="access_grant",
                subject_id=grant.id,
                link=f"/grants/{grant.id}",
            ),
        )
    return grant


def terms_text(grant: AccessGrant) -> tuple[str, str]:
    """A grant's terms in words (Chinese, English): fields, validity, daily quotas, first report due."""
    zh = (
        f"可用字段：{'、'.join(grant.fields)}；有效期 {grant.valid_from} 至 {grant.valid_until}；"
        f"每日调用 {grant.daily_quota} 次"
    )
    en = (
        f"Fields: {', '.join(grant.fields)}; valid {grant.valid_from} to {grant.valid_until}; "
        f"{grant.daily_quota} calls a day"
    )
    if grant.daily_row_quota is not None:
        zh += f"，每日获取数据量不超过 {grant.daily_row_quota} 行"
        en += f", at most {grant.daily_row_quota} rows a day"
    zh += f"；首次使用情况报告截止 {grant.next_report_due}。"
    en += f"; first usage report due {grant.next_report_due}."
    return zh, en


def _known_columns(session: Session, dataset_id: str) -> set[str]:
    names = set(session.scalars(select(DatasetField.name).where(DatasetField.dataset_id == dataset_id)))
    head = session.get(DatasetHead, dataset_id)
    if head is not None:
        version = session.scalar(
            select(DataVersion).where(
                DataVersion.dataset_id == dataset_id, DataVersion.version == head.version
            )
        )
        if version is not None:
            names |= {c["name"] for c in version.columns}
    return names


def _tell(session: Session, grant: AccessGrant, kind: str, zh: str, en: str, reason: str) -> None:
    message = Message(
        kind=kind,
        title_zh=zh,
        title_en=en,
        body_zh=f"原因：{reason}" if reason else "",
        body_en=f"Reason: {reason}" if reason else "",
        subject_type="access_grant",
        subject_id=grant.id,
        link=f"/grants/{grant.id}",
    )
    notify_user(session, grant.user_id, message)
    notify_organization(session, grant.provider_id, Role.PROVIDER_STAFF, message)


def suspend_grant(
    session: Session, grant: AccessGrant, *, actor: Principal, cause: gm.SuspensionCause, reason: str
) -> bool:
    """Suspend an active grant (no-op otherwise); returns whether it changed."""
    if grant.state != gm.GrantState.ACTIVE:
        return False
    grant.state, grant.suspension_cause, grant.state_reason = (
        gm.GrantState.SUSPENDED.value,
        cause.value,
        reason,
    )
    grant.updated_at = utcnow()
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="access.grant_suspend",
        subject_type="access_grant",
        subject_id=grant.id,
        organization_id=grant.provider_id,
        details={"cause": cause.value, "reason": reason, "user_id": grant.user_id},
    )
    _tell(
        session,
        grant,
        "access.grant_suspended",
        "数据使用授权已暂停",
        "Your data access grant is suspended",
        reason,
    )
    return True


def resume_grant(session: Session, grant: AccessGrant, *, actor: Principal, reason: str) -> bool:
    """Reactivate a suspended grant (no-op otherwise); returns whether it changed."""
    if grant.state != gm.GrantState.SUSPENDED:
        return False
    previous = grant.suspension_cause
    grant.state, grant.suspension_cause, grant.state_reason = gm.GrantState.ACTIVE.value, "", ""
    grant.updated_at = utcnow()
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="access.grant_resume",
        subject_type="access_grant",
        subject_id=grant.id,
        organization_id=grant.provider_id,
        details={"previous_cause": previous, "reason": reason, "user_id": grant.user_id},
    )
    _tell(
        session,
        grant,
        "access.grant_resumed",
        "数据使用授权已恢复",
        "Your data access grant is active again",
        reason,
    )
    return True


def close_grant(session: Session, grant: AccessGrant, *, actor: Principal, reason: str) -> bool:
    if grant.state == gm.GrantState.CLOSED:
        return False
    grant.state, grant.state_reason = gm.GrantState.CLOSED.value, reason
    grant.updated_at = utcnow()
    session.flush()
    record_audit(
        session,
        actor=actor,
        action="access.grant_close",
        subject_type="access_grant",
        subject_id=grant.id,
        organization_id=grant.provider_id,
        details={"reason": reason, "user_id": grant.user_id},
    )
    _tell(
        session,
        grant,
        "access.grant_closed",
        "数据使用授权已关闭",
        "Your data access grant is closed",
        reason,
    )
    return True
