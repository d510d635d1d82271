"""The usage agreement (ACC-5): rendered from the dataset's template with the approved scope, scenario
limits, reporting duties, security measures and term; signed online, stored immutably with its SHA-256
(also in the audit record); signing issues the grant (ACC-6)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.access import grants, model, workflow
from publicdata.access.app_schemas import AgreementOut, ApplicationOut
from publicdata.access.applications import application_out, find_application
from publicdata.access.model import ApplicationError, AppState
from publicdata.access.requirements import effective_requirement
from publicdata.access.tables import AccessApplication, UsageAgreement
from publicdata.catalog import service as catalog
from publicdata.db import utcnow
from publicdata.errors import Conflict, NotFound, ValidationFailed
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.identity.tables import Organization, User
from publicdata.notifications.service import Message, notify_organization
from publicdata.platform import Platform
from publicdata.workdays.service import calendar_from_session


def _term(app: AccessApplication) -> tuple[date, date]:
    scope = app.approved_scope or {}
    return date.fromisoformat(str(scope["period_start"])), date.fromisoformat(str(scope["period_end"]))


def agreement_text(session: Session, platform: Platform, app: AccessApplication) -> tuple[str, date, date]:
    """The agreement exactly as it will be signed (deterministic for an approved application)."""
    if app.approved_scope is None:
        raise Conflict("the application is not approved", message_zh="申请尚未获同意", code="invalid_state")
    dataset = catalog.find_dataset(session, app.dataset_id)
    req, _ = effective_requirement(session, dataset)
    provider = session.get(Organization, app.provider_id)
    applicant = session.get(User, app.applicant_id)
    scope = app.approved_scope
    labels = {f.name: f.label for f in dataset.fields}
    start, end = _term(app)
    quota = scope.get("daily_quota") or platform.settings.access_default_daily_quota
    rows = scope.get("daily_row_quota")
    values: dict[str, Any] = {
        "dataset_name": dataset.name,
        "dataset_code": dataset.code,
        "provider_name": provider.name if provider else "",
        "applicant_name": (applicant.real_name or applicant.username) if applicant else "",
        "scenario": app.scenario,
        "purpose": app.purpose,
        "fields": "、".join(f"{labels.get(f, f)}（{f}）" for f in scope["fields"]),
        "daily_quota": quota,
        "daily_row_quota": model.row_quota_words(rows),
        "security_measures": app.security_measures,
        "report_every_days": platform.settings.access_report_interval_days,
        "term_start": start.isoformat(),
        "term_end": end.isoformat(),
    }
    try:
        text = model.render_agreement(req.agreement_template, values)
    except ApplicationError as exc:
        raise workflow.app_error(exc) from exc
    return model.with_row_quota_clause(req.agreement_template, text, rows), start, end


def _mine(app: AccessApplication, actor: Principal) -> None:
    if app.applicant_id != actor.user_id:
        raise NotFound("application not found", message_zh="数据申请不存在")


def preview_agreement(platform: Platform, *, actor: Principal, application_id: str) -> AgreementOut:
    with platform.db.reading() as session:
        app = find_application(session, application_id)
        signed = session.scalar(select(UsageAgreement).where(UsageAgreement.application_id == app.id))
        if signed is not None:
            if app.applicant_id != actor.user_id and not actor.has_role(Role.PROVIDER_STAFF, app.provider_id):
                _mine(app, actor)
            return AgreementOut(
                id=signed.id,
                text=signed.text,
                sha256=signed.sha256,
                signer_name=signed.signer_name,
                term_start=signed.term_start,
                term_end=signed.term_end,
                signed_at=signed.signed_at,
            )
        _mine(app, actor)
        text, start, end = agreement_text(session, platform, app)
        return AgreementOut(
            id=None,
            text=text,
            sha256=model.agreement_hash(text),
            signer_name=None,
            term_start=start,
            term_end=end,
            signed_at=None,
        )


def sign_agreement(
    platform: Platform,
    *,
    actor: Principal,
    application_id: str,
    accept: bool,
    signer_name: str,
    agreement_sha256: str | None = None,
    now: datetime | None = None,
) -> ApplicationOut:
    """The applicant accepts the agreement: text + hash stored, hash audited, grant issued."""
    now = now or utcnow()
    if not accept:
        raise ValidationFailed(
            "accept the agreement to sign it",
            message_zh="须同意协议条款方可签署",
            code="not_accepted",
            details=[{"field": "accept"}],
        )
    if not signer_name.strip():
        raise ValidationFailed(
            "the signer's name is needed", message_zh="请填写签署人姓名", details=[{"field": "signer_name"}]
        )
    with platform.db.transaction() as session:
        app = find_application(session, application_id, for_update=True)
        _mine(app, actor)
        if app.state != AppState.APPROVED.value:
            raise Conflict(
                "only an approved application is signed",
                message_zh="仅已获同意的申请可签署协议",
                code="invalid_state",
            )
        text, start, end = agreement_text(session, platform, app)
        digest = model.agreement_hash(text)
        if agreement_sha256 and agreement_sha256 != digest:
            raise Conflict(
                "the agreement changed since you read it: read it again",
                message_zh="协议内容已变更，请重新阅读后签署",
                code="agreement_changed",
            )
        agreement = UsageAgreement(
            application_id=app.id,
            text=text,
            sha256=digest,
            signer_id=actor.user_id or "",
            signer_name=signer_name.strip()[:100],
            term_start=start,
            term_end=end,
            signed_at=now,
        )
        session.add(agreement)
        workflow.move(app, "sign")
        session.flush()
        scope = app.approved_scope or {}
        grant = grants.issue_grant(
            session,
            actor=actor,
            dataset_id=app.dataset_id,
            provider_id=app.provider_id,
            user_id=app.applicant_id,
            fields=list(scope["fields"]),
            row_filter=list(scope.get("row_filter") or []),
            valid_from=start,
            valid_until=end,
            daily_quota=int(scope.get("daily_quota") or platform.settings.access_default_daily_quota),
            daily_row_quota=scope.get("daily_row_quota"),
            report_every_days=platform.settings.access_report_interval_days,
            application_id=app.id,
            agreement_id=agreement.id,
            tell_holder=False,  # the signing step's own message below carries the grant's terms
        )
        workflow.audit_app(
            session,
            actor,
            app,
            "sign",
            {
                "agreement_id": agreement.id,
                "agreement_sha256": digest,
                "signer_name": agreement.signer_name,
                "term_start": start.isoformat(),
                "term_end": end.isoformat(),
                "grant_id": grant.id,
            },
        )
        workflow.tell_applicant(
            session,
            app,
            "access.signed",
            "使用协议已签署，数据获取权限已开通",
            "Agreement signed: your access is open",
            *grants.terms_text(grant),
            subject=("access_grant", grant.id),
            link=f"/grants/{grant.id}",
        )
        notify_organization(
            session,
            app.provider_id,
            Role.PROVIDER_STAFF,
            Message(
                kind="access.signed",
                title_zh="数据使用协议已签署",
                title_en="Usage agreement signed",
                subject_type=workflow.SUBJECT,
                subject_id=app.id,
            ),
        )
        return application_out(session, app, calendar_from_session(session), now)
