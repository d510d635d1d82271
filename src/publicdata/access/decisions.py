"""The center's completeness check, the provider's decision and the expert committee's opinions on an
application (ACC-3, ACC-4), each through the application's work orders."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from publicdata.access import rules, workflow
from publicdata.access.app_schemas import (
    ApplicationOut,
)
from publicdata.access.applications import application_out, find_application, order_of
from publicdata.access.model import AppState
from publicdata.db import utcnow
from publicdata.errors import Conflict
from publicdata.identity.model import Role
from publicdata.identity.permissions import SYSTEM, Principal
from publicdata.identity.service import require
from publicdata.notifications.service import Message, notify_organization
from publicdata.platform import Platform
from publicdata.workdays.service import calendar_from_session
from publicdata.workorders import engine

# ---------------------------------------------------------------------------------------------
# Center check, provider decision, experts
# ---------------------------------------------------------------------------------------------


def _act(
    platform: Platform,
    *,
    actor: Principal,
    application_id: str,
    which: str,
    action: str,
    note: str = "",
    details: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> ApplicationOut:
    now = now or utcnow()
    with platform.db.transaction() as session:
        app = find_application(session, application_id, for_update=True)
        if which == "check":
            require(rules.can_check(actor))
            order = order_of(session, app.check_order_id)
        else:
            require(rules.can_decide(actor, app.provider_id))
            order = order_of(session, app.decision_order_id)
        if order is None or order.closed_at is not None:
            raise Conflict(
                "the application is not waiting for this step",
                message_zh="该申请当前不在此办理环节",
                code="invalid_state",
            )
        calendar = calendar_from_session(session)
        engine.act(
            session,
            actor=actor,
            order=order,
            action=action,
            calendar=calendar,
            now=now,
            note=note,
            details=dict(details or {}),
        )
        return application_out(session, app, calendar, now)


def accept_application(
    platform: Platform, *, actor: Principal, application_id: str, note: str = "", now: datetime | None = None
) -> ApplicationOut:
    """The center finds the application complete and forwards it to the provider (ACC-3)."""
    return _act(
        platform,
        actor=actor,
        application_id=application_id,
        which="check",
        action="accept",
        note=note,
        now=now,
    )


def return_incomplete(
    platform: Platform,
    *,
    actor: Principal,
    application_id: str,
    problems: list[dict[str, str]],
    note: str = "",
    now: datetime | None = None,
) -> ApplicationOut:
    """The center refuses with every missing or wrong item in one notice (ACC-3)."""
    return _act(
        platform,
        actor=actor,
        application_id=application_id,
        which="check",
        action="return_incomplete",
        note=note,
        details={"problems": problems},
        now=now,
    )


def approve_application(
    platform: Platform,
    *,
    actor: Principal,
    application_id: str,
    scope: Mapping[str, Any] | None = None,
    note: str = "",
    now: datetime | None = None,
) -> ApplicationOut:
    """The provider approves, optionally narrowing fields, period or daily quota (ACC-4)."""
    return _act(
        platform,
        actor=actor,
        application_id=application_id,
        which="decision",
        action="approve",
        note=note,
        details=dict(scope or {}),
        now=now,
    )


def refuse_application(
    platform: Platform,
    *,
    actor: Principal,
    application_id: str,
    problems: list[dict[str, str]],
    note: str = "",
    now: datetime | None = None,
) -> ApplicationOut:
    """The provider refuses with every reason at once; the applicant may amend and resubmit (ACC-4)."""
    return _act(
        platform,
        actor=actor,
        application_id=application_id,
        which="decision",
        action="refuse",
        note=note,
        details={"problems": problems},
        now=now,
    )


def refer_to_experts(
    platform: Platform,
    *,
    actor: Principal,
    application_id: str,
    note: str,
    experts_needed: int = 1,
    now: datetime | None = None,
) -> ApplicationOut:
    """Large or one-off bulk requests go to the expert committee; the decision clock pauses."""
    return _act(
        platform,
        actor=actor,
        application_id=application_id,
        which="decision",
        action="refer",
        note=note,
        details={"experts_needed": experts_needed},
        now=now,
    )


def give_opinion(
    platform: Platform,
    *,
    actor: Principal,
    application_id: str,
    recommendation: str,
    opinion: str,
    now: datetime | None = None,
) -> ApplicationOut:
    """An expert's opinion; when the opinions asked for are in, the decision clock resumes."""
    now = now or utcnow()
    require(rules.can_give_opinion(actor))
    with platform.db.transaction() as session:
        app = find_application(session, application_id, for_update=True)
        if app.state != AppState.EXPERT_REVIEW.value:
            raise Conflict(
                "the application is not with the experts",
                message_zh="该申请不在专家评议阶段",
                code="invalid_state",
            )
        order = order_of(session, app.decision_order_id)
        if order is None:
            raise Conflict("no decision order", message_zh="无审核工单", code="invalid_state")
        referral = int((order.payload or {}).get("referral_round", 1))
        opinions = list(app.expert_opinions or [])
        if any(o["expert_id"] == actor.user_id and o.get("referral") == referral for o in opinions):
            raise Conflict(
                "you already gave an opinion", message_zh="您已出具评议意见", code="opinion_exists"
            )
        entry = {
            "expert_id": actor.user_id,
            "expert_name": actor.username,
            "recommendation": recommendation,
            "opinion": opinion,
            "at": now.isoformat(),
            "referral": referral,
        }
        app.expert_opinions = [*opinions, entry]
        workflow.audit_app(
            session, actor, app, "expert_opinion", {"recommendation": recommendation, "referral": referral}
        )
        notify_organization(
            session,
            app.provider_id,
            Role.PROVIDER_STAFF,
            Message(
                kind="access.expert_opinion",
                title_zh="专家委员会已出具评议意见",
                title_en="The expert committee gave an opinion",
                body_zh=opinion,
                body_en=opinion,
                subject_type=workflow.SUBJECT,
                subject_id=app.id,
                link=f"/access/applications/{app.id}/decide",
            ),
        )
        calendar = calendar_from_session(session)
        this_round = [o for o in app.expert_opinions if o.get("referral") == referral]
        if len(this_round) >= int((order.payload or {}).get("experts_needed") or 1):
            engine.act(
                session,
                actor=SYSTEM,
                order=order,
                action="resume",
                calendar=calendar,
                now=now,
                note="专家意见已齐 / expert opinions received",
            )
        return application_out(session, app, calendar, now)
