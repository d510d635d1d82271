"""Grant use-cases: list and show grants, suspend / resume / close, deliver an API token, record
offline delivery (reported to the authority), the call log and unusual-use flags (ACC-6, ACC-10)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publicdata.access import grant_copies
from publicdata.access import grant_model as gm
from publicdata.access import grant_rules as rules
from publicdata.access.grant_calls import open_violation
from publicdata.access.grant_tables import AccessGrant, GrantCall
from publicdata.access.grants import close_grant, resume_grant, suspend_grant
from publicdata.audit.service import record_audit
from publicdata.catalog.tables import Dataset
from publicdata.db import utcnow
from publicdata.errors import Conflict, NotFound, ValidationFailed
from publicdata.identity import auth
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.notifications.service import Message, notify_users, role_holders
from publicdata.platform import Platform
from publicdata.workdays.model import WorkdayCalendar
from publicdata.workdays.service import calendar_from_session

Mine = Literal["mine", "provider", "all"]


def load_grant(session: Session, grant_id: str) -> AccessGrant:
    grant = session.get(AccessGrant, grant_id)
    if grant is None:
        raise NotFound("grant not found", message_zh="授权不存在", code="grant_not_found")
    return grant


def grant_out(
    session: Session, grant: AccessGrant, now: datetime, calendar: WorkdayCalendar | None = None
) -> dict[str, Any]:
    dataset = session.get(Dataset, grant.dataset_id)
    counted = session.execute(
        select(func.count(GrantCall.id), func.coalesce(func.sum(GrantCall.row_count), 0)).where(
            GrantCall.grant_id == grant.id,
            GrantCall.at >= gm.start_of_shanghai_day(now),
            GrantCall.outcome == gm.CallOutcome.SERVED.value,
        )
    ).one()
    used, rows = int(counted[0] or 0), int(counted[1] or 0)
    today = gm.shanghai_day(now)
    due = grant.next_report_due
    report: dict[str, Any] | None = None
    if due is not None:
        calendar = calendar or calendar_from_session(session)
        report = {
            "due_on": due,
            "days_left": (due - today).days,
            "overdue": today > due,
            "overdue_working_days": max(0, calendar.count_working_days(due, today)),
        }
    return {
        "id": grant.id,
        "dataset": dataset.code if dataset else grant.dataset_id,
        "dataset_name": dataset.name if dataset else "",
        "dataset_id": grant.dataset_id,
        "provider_id": grant.provider_id,
        "user_id": grant.user_id,
        "application_id": grant.application_id,
        "agreement_id": grant.agreement_id,
        "fields": list(grant.fields),
        "row_filter": list(grant.row_filter or []),
        "valid_from": grant.valid_from,
        "valid_until": grant.valid_until,
        "daily_quota": grant.daily_quota,
        "calls_today": used,
        "quota_left_today": max(0, grant.daily_quota - used),
        "daily_row_quota": grant.daily_row_quota,  # None: rows not limited
        "rows_today": rows,
        "rows_left_today": gm.rows_left_today(grant.daily_row_quota, rows),
        "delivery": grant.delivery,
        "state": grant.state,
        "state_reason": grant.state_reason,
        "suspension_cause": grant.suspension_cause or None,
        "serving": gm.grant_refusal(grant.state, grant.valid_from, grant.valid_until, today) is None,
        "token_id": grant.token_id,
        "report_every_days": grant.report_every_days,
        "next_report_due": due,
        "report": report,
        "created_at": grant.created_at,
    }


def list_grants(
    platform: Platform,
    *,
    actor: Principal,
    scope: Mine = "mine",
    state: str | None = None,
    dataset: str | None = None,
    now: datetime | None = None,
) -> list[dict[str, Any]]:
    """Mine (holder), my provider's (provider staff), or all (center / authority / admin)."""
    now = now or utcnow()
    with platform.db.reading() as session:
        query = select(AccessGrant).order_by(AccessGrant.created_at.desc())
        if scope == "mine":
            require(rules.can_view_grant(actor, holder_id=actor.user_id or "-", provider_id="-"))
            query = query.where(AccessGrant.user_id == actor.user_id)
        elif scope == "provider":
            org = actor.organization_id or "-"
            require(rules.can_view_flags(actor, provider_id=org))
            query = query.where(AccessGrant.provider_id == org)
        else:
            require(rules.can_view_flags(actor, provider_id="-"))
        if state:
            query = query.where(AccessGrant.state == state)
        if dataset:
            query = query.join(Dataset, Dataset.id == AccessGrant.dataset_id).where(
                (Dataset.code == dataset) | (Dataset.id == dataset)
            )
        calendar = calendar_from_session(session)
        return [grant_out(session, g, now, calendar) for g in session.scalars(query.limit(500))]


def get_grant(
    platform: Platform, *, actor: Principal, grant_id: str, now: datetime | None = None
) -> dict[str, Any]:
    with platform.db.reading() as session:
        grant = load_grant(session, grant_id)
        require(rules.can_view_grant(actor, holder_id=grant.user_id, provider_id=grant.provider_id))
        return grant_out(session, grant, now or utcnow())


def _need_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(
            "give a reason", message_zh="请填写理由", details=[{"field": "reason", "message": "required"}]
        )
    return reason


def change_state(
    platform: Platform,
    *,
    actor: Principal,
    grant_id: str,
    action: Literal["suspend", "resume", "close"],
    reason: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Suspend, resume or close a grant (provider staff or the center), with a reason; audited. Once a
    close is committed, the grant's cut-down copies are removed (those no other grant shares)."""
    reason = _need_reason(reason)
    now = now or utcnow()
    with platform.db.transaction() as session:
        grant = load_grant(session, grant_id)
        require(rules.can_manage_grant(actor, provider_id=grant.provider_id))
        if action == "suspend":
            cause = gm.SuspensionCause.PROVIDER
            if not actor.has_role(Role.PROVIDER_STAFF, grant.provider_id):
                cause = gm.SuspensionCause.CENTER
            changed = suspend_grant(session, grant, actor=actor, cause=cause, reason=reason)
        elif action == "resume":
            if (
                grant.state == gm.GrantState.SUSPENDED
                and grant.suspension_cause == gm.SuspensionCause.VIOLATION
            ) and open_violation(session, grant.user_id, grant.dataset_id) is not None:
                raise Conflict(
                    "a recorded violation keeps this grant suspended; lift the violation first",
                    message_zh="该授权因违规被暂停，须先解除违规处理措施",
                    code="grant_held_by_violation",
                )
            changed = resume_grant(session, grant, actor=actor, reason=reason)
        else:
            changed = close_grant(session, grant, actor=actor, reason=reason)
        if not changed:
            raise Conflict(
                f"the grant is {grant.state}; cannot {action} it",
                message_zh=f"授权当前状态为 {grant.state}，无法执行该操作",
                code="grant_state",
            )
        out = grant_out(session, grant, now)
    if action == "close":
        grant_copies.remove_unneeded(platform, dataset_id=out["dataset_id"], now=now)
    return out


def record_offline_delivery(
    platform: Platform,
    *,
    actor: Principal,
    grant_id: str,
    method: str,
    delivered_on: date,
    recipient: str,
    note: str = "",
    now: datetime | None = None,
) -> dict[str, Any]:
    """Record that data under a grant was delivered offline and report it to the authority (ACC-6)."""
    if not method.strip() or not recipient.strip():
        raise ValidationFailed(
            "say how and to whom the data was delivered",
            message_zh="请填写交付方式和接收人",
            details=[
                {"field": f} for f, v in (("method", method), ("recipient", recipient)) if not v.strip()
            ],
        )
    now = now or utcnow()
    with platform.db.transaction() as session:
        grant = load_grant(session, grant_id)
        require(rules.can_record_offline_delivery(actor, provider_id=grant.provider_id))
        grant.delivery = "offline"
        session.flush()
        dataset = session.get(Dataset, grant.dataset_id)
        label = dataset.name if dataset else grant.dataset_id
        details = {
            "method": method.strip(),
            "delivered_on": delivered_on.isoformat(),
            "recipient": recipient.strip(),
            "note": note.strip(),
            "dataset_id": grant.dataset_id,
            "user_id": grant.user_id,
        }
        record = record_audit(
            session,
            actor=actor,
            action="access.grant_offline_delivery",
            subject_type="access_grant",
            subject_id=grant.id,
            organization_id=grant.provider_id,
            details=details,
        )
        message = Message(
            kind="access.offline_delivery",
            title_zh=f"线下交付报备：{label}",
            title_en=f"Offline delivery reported: {label}",
            body_zh=f"数据开放主体于 {delivered_on} 以“{method}”方式向 {recipient} "
            f"线下交付了授权 {grant.id} 的数据。" + (f"说明：{note}" if note else ""),
            body_en=f"The provider delivered the data of grant {grant.id} offline on {delivered_on} "
            f"({method}) to {recipient}." + (f" Note: {note}" if note else ""),
            subject_type="access_grant",
            subject_id=grant.id,
            link=f"/grants/{grant.id}",
        )
        told = notify_users(
            session, role_holders(session, Role.AUTHORITY) + role_holders(session, Role.CENTER), message
        )
        return {
            **grant_out(session, grant, now),
            "offline_delivery": {**details, "audit_seq": record.seq},
            "notified": told,
        }


def deliver_token(
    platform: Platform, *, actor: Principal, grant_id: str, expires_in_days: int = 90
) -> dict[str, Any]:
    """Deliver an API token (read scope) for a grant to its holder; the token's id is recorded on the
    grant. The plaintext is shown once. (Tokens are not bound to one grant in the identity tables: any
    token of the holder reads under the grant; this one is named for it and can be revoked alone.)"""
    with platform.db.reading() as session:
        grant = load_grant(session, grant_id)
        require(rules.can_act_as_holder(actor, holder_id=grant.user_id))
        if gm.grant_refusal(grant.state, grant.valid_from, grant.valid_until, gm.shanghai_day(utcnow())):
            raise Conflict(
                "this grant does not serve now", message_zh="该授权当前不可用", code="grant_not_serving"
            )
        dataset = session.get(Dataset, grant.dataset_id)
        code = dataset.code if dataset else grant.dataset_id
        days_left = (grant.valid_until - gm.shanghai_day(utcnow())).days + 1
    days = max(1, min(expires_in_days, days_left, platform.settings.token_max_days))
    created = auth.create_token(
        platform, actor=actor, name=f"grant {code} {grant_id[:8]}", scopes=["read"], expires_in_days=days
    )
    token_id = created.id
    with platform.db.transaction() as session:
        grant = load_grant(session, grant_id)
        grant.token_id = token_id
        record_audit(
            session,
            actor=actor,
            action="access.grant_token",
            subject_type="access_grant",
            subject_id=grant.id,
            organization_id=grant.provider_id,
            details={"token_id": token_id, "expires_in_days": days},
        )
    return {"grant_id": grant_id, "token_id": token_id, "token": created.token, "expires_in_days": days}


def call_out(call: GrantCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "grant_id": call.grant_id,
        "user_id": call.user_id,
        "at": call.at,
        "endpoint": call.endpoint,
        "fields": list(call.fields),
        "row_count": call.row_count,
        "offset": call.offset,
        "outcome": call.outcome,
        "flags": list(call.flags),
    }


def list_calls(
    platform: Platform, *, actor: Principal, grant_id: str, flagged_only: bool = False, limit: int = 200
) -> list[dict[str, Any]]:
    with platform.db.reading() as session:
        grant = load_grant(session, grant_id)
        require(rules.can_view_grant(actor, holder_id=grant.user_id, provider_id=grant.provider_id))
        query = select(GrantCall).where(GrantCall.grant_id == grant_id)
        calls = session.scalars(query.order_by(GrantCall.at.desc()).limit(max(1, min(limit, 1000))))
        return [call_out(c) for c in calls if c.flags or not flagged_only]


def list_flags(platform: Platform, *, actor: Principal, limit: int = 200) -> list[dict[str, Any]]:
    """Flagged calls: all for the center, the provider's own grants for provider staff."""
    with platform.db.reading() as session:
        require(rules.can_view_flags(actor))
        query = (
            select(GrantCall, AccessGrant)
            .join(AccessGrant, AccessGrant.id == GrantCall.grant_id)
            .order_by(GrantCall.at.desc())
        )
        overseer = actor.is_admin or actor.has_role(Role.CENTER) or actor.has_role(Role.AUTHORITY)
        if not overseer:
            query = query.where(AccessGrant.provider_id == actor.organization_id)
        out: list[dict[str, Any]] = []
        for call, grant in session.execute(query.limit(5000)):
            if call.flags:
                out.append(
                    {**call_out(call), "dataset_id": grant.dataset_id, "provider_id": grant.provider_id}
                )
                if len(out) >= limit:
                    break
        return out
