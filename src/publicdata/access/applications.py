"""Use-cases of applications for conditional data (ACC-2..ACC-4, ACC-8): materials per dataset, submit
(idempotent), the center's check, the provider's decision, expert opinions, amend and resubmit, lists."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from publicdata.access import credit, model, rules, workflow
from publicdata.access.app_schemas import (
    AgreementOut,
    ApplicationIn,
    ApplicationOut,
)
from publicdata.access.model import AppState
from publicdata.access.requirements import conditional_only, effective_requirement
from publicdata.access.tables import AccessApplication, AccessRequirement, UsageAgreement
from publicdata.catalog import service as catalog
from publicdata.catalog.tables import Dataset
from publicdata.db import new_id, utcnow
from publicdata.errors import Conflict, NotFound, ValidationFailed
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.identity.tables import Organization, User
from publicdata.platform import Platform
from publicdata.workdays.model import WorkdayCalendar, shanghai_date
from publicdata.workdays.service import calendar_from_session
from publicdata.workorders import engine
from publicdata.workorders.schemas import order_summary
from publicdata.workorders.tables import WorkOrder

# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def order_of(session: Session, order_id: str | None) -> WorkOrder | None:
    return session.get(WorkOrder, order_id) if order_id else None


def application_out(
    session: Session, app: AccessApplication, calendar: WorkdayCalendar, now: datetime
) -> ApplicationOut:
    dataset = session.get(Dataset, app.dataset_id)
    provider = session.get(Organization, app.provider_id)
    applicant = session.get(User, app.applicant_id)
    check = order_of(session, app.check_order_id)
    decision = order_of(session, app.decision_order_id)
    check_out = order_summary(check, calendar, now) if check else None
    decision_out = order_summary(decision, calendar, now) if decision else None
    current = None
    if app.state in (AppState.SUBMITTED.value, AppState.INCOMPLETE.value):
        current = check_out
    elif app.state in (AppState.FORWARDED.value, AppState.EXPERT_REVIEW.value):
        current = decision_out
    agreement = session.scalar(select(UsageAgreement).where(UsageAgreement.application_id == app.id))
    agreement_out = None
    if agreement is not None:
        from publicdata.access.grant_tables import AccessGrant

        grant_id = session.scalar(select(AccessGrant.id).where(AccessGrant.application_id == app.id))
        agreement_out = AgreementOut(
            id=agreement.id,
            text=agreement.text,
            sha256=agreement.sha256,
            signer_name=agreement.signer_name,
            term_start=agreement.term_start,
            term_end=agreement.term_end,
            signed_at=agreement.signed_at,
            grant_id=grant_id,
        )
    zh, en = model.STATE_LABELS[AppState(app.state)]
    return ApplicationOut(
        id=app.id,
        dataset_id=app.dataset_id,
        dataset_code=dataset.code if dataset else "",
        dataset_name=dataset.name if dataset else "",
        provider_id=app.provider_id,
        provider_name=provider.name if provider else "",
        applicant_id=app.applicant_id,
        applicant_name=(applicant.real_name or applicant.username) if applicant else "",
        state=app.state,
        state_label=zh,
        state_label_en=en,
        purpose=app.purpose,
        scenario=app.scenario,
        fields=list(app.fields),
        period_start=app.period_start,
        period_end=app.period_end,
        security_measures=app.security_measures,
        expected_rows=app.expected_rows,
        one_off_bulk=app.one_off_bulk,
        expert_review_required=workflow.expert_review_required(session, app),
        daily_quota=app.daily_quota,
        materials=dict(app.materials),
        problems=list(app.problems or []),
        expert_opinions=list(app.expert_opinions or []),
        approved_scope=app.approved_scope,
        decision_note=app.decision_note,
        rounds=app.rounds,
        check_order=check_out,
        decision_order=decision_out,
        current_order=current,
        agreement=agreement_out,
        created_at=app.created_at,
        updated_at=app.updated_at,
        decided_at=app.decided_at,
    )


def find_application(session: Session, application_id: str, *, for_update: bool = False) -> AccessApplication:
    query = select(AccessApplication).where(AccessApplication.id == application_id)
    if for_update:
        query = query.with_for_update()
    app = session.scalar(query)
    if app is None:
        raise NotFound("application not found", message_zh="数据申请不存在")
    return app


def _visible(actor: Principal, app: AccessApplication) -> AccessApplication:
    if not rules.can_view_application(actor, applicant_id=app.applicant_id, provider_id=app.provider_id):
        raise NotFound("application not found", message_zh="数据申请不存在")
    return app


# ---------------------------------------------------------------------------------------------
# Submit and resubmit
# ---------------------------------------------------------------------------------------------


def _materials(session: Session, actor: Principal, raw: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Texts as {"text"}, uploads as their attachment record (the caller's own uploads only)."""
    out: dict[str, dict[str, Any]] = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if value.strip():
                out[str(key)] = {"text": value.strip()}
        elif isinstance(value, Mapping) and value.get("upload_id"):
            out[str(key)] = engine.resolve_attachments(session, [str(value["upload_id"])], actor)[0]
        elif isinstance(value, Mapping) and str(value.get("text") or "").strip():
            out[str(key)] = {"text": str(value["text"]).strip()}
    return out


def _fill(app: AccessApplication, data: ApplicationIn, materials: dict[str, dict[str, Any]]) -> None:
    app.purpose = data.purpose.strip()
    app.scenario = data.scenario.strip()
    app.fields = list(dict.fromkeys(data.fields))
    app.period_start = data.period_start
    app.period_end = data.period_end
    app.security_measures = data.security_measures.strip()
    app.expected_rows = data.expected_rows
    app.one_off_bulk = data.one_off_bulk
    app.daily_quota = data.daily_quota
    app.materials = materials


def _check_request(
    session: Session, dataset: Dataset, req: AccessRequirement, app: AccessApplication, today: date
) -> None:
    """Refuse at once what the applicant can see and fix themselves (every problem listed)."""
    request = model.Request(
        purpose=app.purpose,
        scenario=app.scenario,
        fields=tuple(app.fields),
        period_start=app.period_start,
        period_end=app.period_end,
        security_measures=app.security_measures,
        expected_rows=app.expected_rows,
        materials=app.materials,
    )
    problems = model.request_problems(
        request, dataset_fields=[f.name for f in dataset.fields], materials=req.materials, today=today
    )
    if problems:
        raise ValidationFailed(
            "the application is incomplete",
            message_zh="申请信息不完整",
            code="application_incomplete",
            details=[p.as_dict() for p in problems],
        )


def _credit_refusal(
    session: Session, actor: Principal, app: AccessApplication, req: AccessRequirement
) -> bool:
    """ACC-8: an applicant on the credit list is refused automatically, with the reason (audited)."""
    if not req.credit_check:
        return False
    user = session.get(User, app.applicant_id)
    hit = credit.credit_hit(session, user) if user else None
    if hit is None:
        return False
    zh_kind, en_kind = credit.LIST_KINDS.get(hit.list_kind, (hit.list_kind, hit.list_kind))
    app.state = AppState.REFUSED.value
    app.problems = [
        {
            "item": "applicant",
            "reason": f"申请主体被列入{zh_kind}（{hit.source or '信用名单'}），不符合信用要求",
            "reason_en": f"the applicant is on the {en_kind}; the credit condition is not met",
            "code": "credit_list",
        }
    ]
    app.decided_at = utcnow()
    session.flush()
    workflow.audit_app(
        session, actor, app, "refuse_credit", {"credit_entry_id": hit.id, "list_kind": hit.list_kind}
    )
    workflow.tell_applicant(
        session,
        app,
        "access.refused",
        "数据申请未获受理：不符合信用要求",
        "Data application refused: the credit condition is not met",
        app.problems[0]["reason"],
        app.problems[0]["reason_en"],
    )
    return True


def _open_check(
    session: Session,
    platform: Platform,
    actor: Principal,
    app: AccessApplication,
    dataset: Dataset,
    now: datetime,
) -> WorkOrder:
    calendar = calendar_from_session(session)
    order = engine.open_order(
        session,
        actor=actor,
        order_type=workflow.CHECK,
        subject_type=workflow.SUBJECT,
        subject_id=app.id,
        title=f"数据申请：{dataset.name}（{dataset.code}）",
        requester_id=app.applicant_id,
        requester_org_id=None,
        responsible_org_id=None,
        jurisdiction=platform.settings.jurisdiction.value,
        calendar=calendar,
        now=now,
        payload={"application_id": app.id, "dataset_code": dataset.code, "round": app.rounds},
    )
    app.check_order_id = order.id
    return order


def _receipt(session: Session, app: AccessApplication, check: WorkOrder, *, again: bool) -> None:
    """The applicant's receipt of a (re)submission, with the day the center's check is due."""
    due = shanghai_date(check.due_at).isoformat()
    zh = f"开放数据中心将于 {due} 前完成形式审查。"
    en = f"The open-data center checks it for completeness by {due}."
    if again:
        workflow.tell_applicant(
            session,
            app,
            "access.resubmitted",
            f"数据申请已重新提交（第{app.rounds}次）",
            f"Your data application was resubmitted (round {app.rounds})",
            zh,
            en,
        )
    else:
        workflow.tell_applicant(
            session, app, "access.submitted", "数据申请已提交", "Your data application was submitted", zh, en
        )


def submit_application(
    platform: Platform,
    *,
    actor: Principal,
    data: ApplicationIn,
    idempotency_key: str | None = None,
    now: datetime | None = None,
) -> tuple[ApplicationOut, bool]:
    """Apply for a conditional dataset; returns (application, created). The same idempotency key returns
    the application it created the first time (duplicate submissions are harmless)."""
    now = now or utcnow()
    key = (idempotency_key or data.idempotency_key or "").strip() or new_id()
    if actor.user_id:
        existing = _by_key(platform, actor, key, data.dataset, now)
        if existing is not None:
            return existing, False
    try:
        with platform.db.transaction() as session:
            dataset = catalog.find_dataset(session, data.dataset)
            if not catalog.visible_to(actor, dataset):
                raise NotFound(f"dataset '{data.dataset}' not found", message_zh="数据集不存在")
            conditional_only(dataset)
            req, _ = effective_requirement(session, dataset)
            require(rules.can_apply(actor, req.min_level))
            app = AccessApplication(
                dataset_id=dataset.id,
                provider_id=dataset.provider_id,
                applicant_id=actor.user_id,
                idempotency_key=key,
                state=AppState.SUBMITTED.value,
                rounds=1,
                problems=[],
                expert_opinions=[],
                row_filter=[],
            )
            _fill(app, data, _materials(session, actor, data.materials))
            _check_request(session, dataset, req, app, now.date())
            session.add(app)
            session.flush()
            workflow.audit_app(
                session,
                actor,
                app,
                "submit",
                {"fields": app.fields, "materials": sorted(app.materials), "idempotency_key": key},
            )
            if not _credit_refusal(session, actor, app, req):
                _receipt(session, app, _open_check(session, platform, actor, app, dataset, now), again=False)
            session.flush()
            return application_out(session, app, calendar_from_session(session), now), True
    except IntegrityError:
        # A concurrent submission with the same key won the race: return its application.
        existing = _by_key(platform, actor, key, data.dataset, now)
        if existing is None:
            raise
        return existing, False


def _by_key(
    platform: Platform, actor: Principal, key: str, dataset_ref: str, now: datetime
) -> ApplicationOut | None:
    with platform.db.reading() as session:
        app = session.scalar(
            select(AccessApplication).where(
                AccessApplication.applicant_id == actor.user_id, AccessApplication.idempotency_key == key
            )
        )
        if app is None:
            return None
        dataset = session.get(Dataset, app.dataset_id)
        if dataset is None or dataset_ref not in (dataset.id, dataset.code):
            raise Conflict(
                "this idempotency key was used for another dataset",
                message_zh="该幂等键已用于其他数据集的申请",
                code="idempotency_key_reused",
            )
        return application_out(session, app, calendar_from_session(session), now)


def resubmit_application(
    platform: Platform,
    *,
    actor: Principal,
    application_id: str,
    data: ApplicationIn,
    now: datetime | None = None,
) -> ApplicationOut:
    """The applicant amends an incomplete or refused application and resubmits it (same application,
    rounds + 1, back to the center's check with a fresh full period)."""
    now = now or utcnow()
    with platform.db.transaction() as session:
        app = _visible(actor, find_application(session, application_id, for_update=True))
        if app.applicant_id != actor.user_id:
            raise NotFound("application not found", message_zh="数据申请不存在")
        try:
            model.next_state(app.state, "resubmit")
        except model.ApplicationError as exc:
            raise workflow.app_error(exc) from exc
        dataset = catalog.find_dataset(session, app.dataset_id)
        req, _ = effective_requirement(session, dataset)
        require(rules.can_apply(actor, req.min_level))
        _fill(app, data, _materials(session, actor, data.materials))
        _check_request(session, dataset, req, app, now.date())
        app.rounds += 1
        app.approved_scope = None
        app.decision_note = ""
        app.decided_at = None
        calendar = calendar_from_session(session)
        check = order_of(session, app.check_order_id)
        workflow.audit_app(
            session, actor, app, "resubmit", {"fields": app.fields, "materials": sorted(app.materials)}
        )
        if _credit_refusal(session, actor, app, req):
            return application_out(session, app, calendar, now)
        if check is not None and check.state == "incomplete":
            engine.act(
                session,
                actor=actor,
                order=check,
                action="resubmit",
                calendar=calendar,
                now=now,
                note=f"第{app.rounds}次提交",
            )
        else:  # refused by the provider (or on the credit list): a new check order, a fresh period
            app.state = AppState.SUBMITTED.value
            app.problems = []
            app.decision_order_id = None
            check = _open_check(session, platform, actor, app, dataset, now)
        _receipt(session, app, check, again=True)
        session.flush()
        return application_out(session, app, calendar, now)


def withdraw_application(
    platform: Platform, *, actor: Principal, application_id: str, now: datetime | None = None
) -> ApplicationOut:
    now = now or utcnow()
    with platform.db.transaction() as session:
        app = find_application(session, application_id, for_update=True)
        if app.applicant_id != actor.user_id:
            raise NotFound("application not found", message_zh="数据申请不存在")
        calendar = calendar_from_session(session)
        for order in (order_of(session, app.decision_order_id), order_of(session, app.check_order_id)):
            if order is not None and order.closed_at is None:
                engine.act(session, actor=actor, order=order, action="withdraw", calendar=calendar, now=now)
                break
        else:
            workflow.move(app, "withdraw")
            workflow.audit_app(session, actor, app, "withdraw", {})
        return application_out(session, app, calendar, now)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


def get_application(
    platform: Platform, *, actor: Principal, application_id: str, now: datetime | None = None
) -> ApplicationOut:
    with platform.db.reading() as session:
        app = _visible(actor, find_application(session, application_id))
        return application_out(session, app, calendar_from_session(session), now or utcnow())


def list_applications(
    platform: Platform,
    *,
    actor: Principal,
    state: str | None = None,
    dataset: str | None = None,
    scope: str = "auto",
    offset: int = 0,
    limit: int = 50,
    now: datetime | None = None,
) -> tuple[int, list[ApplicationOut]]:
    """Mine (applicants); all (center, authority, experts); my organization's datasets' (provider staff).
    `scope="mine"` forces the caller's own applications."""
    if actor.is_anonymous:
        require(rules.SIGN_IN_FIRST)
    now = now or utcnow()
    with platform.db.reading() as session:
        query = select(AccessApplication)
        sees_all = rules.is_center(actor) or actor.has_role(Role.AUTHORITY) or actor.has_role(Role.EXPERT)
        provider_orgs = sorted({org for role, org in actor.roles if role is Role.PROVIDER_STAFF and org})
        if scope == "mine" or not (sees_all or provider_orgs):
            query = query.where(AccessApplication.applicant_id == actor.user_id)
        elif not sees_all:
            query = query.where(
                or_(
                    AccessApplication.provider_id.in_(provider_orgs),
                    AccessApplication.applicant_id == actor.user_id,
                )
            )
        if state:
            query = query.where(AccessApplication.state == state)
        if dataset:
            ds = catalog.find_dataset(session, dataset)
            query = query.where(AccessApplication.dataset_id == ds.id)
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.scalars(
            query.order_by(AccessApplication.created_at.desc(), AccessApplication.id)
            .offset(offset)
            .limit(limit)
        )
        calendar = calendar_from_session(session)
        return total, [application_out(session, a, calendar, now) for a in rows]
