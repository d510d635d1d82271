"""Grants API (ACC-6, ACC-9, ACC-10, ACC-11, PLT-8): grants and their state, token and offline
delivery, call logs and unusual-use flags, usage reports, misuse reports, violations and the public
notice. Reads of the data itself stay on the data-store endpoints, which honour grants."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from publicdata.access import grant_service, reports, violations
from publicdata.http import PlatformDep, PrincipalDep

# No prefix: access/api.py includes this router into its own `/api/v1` router (a prefix here would
# double it to /api/v1/api/v1/...).
router = APIRouter(tags=["access"])


class ReasonIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class OfflineDeliveryIn(BaseModel):
    method: str = Field(min_length=1, max_length=200, description="e.g. encrypted disk, sandbox, courier")
    delivered_on: date
    recipient: str = Field(min_length=1, max_length=200)
    note: str = Field(default="", max_length=2000)


class TokenIn(BaseModel):
    expires_in_days: int = Field(default=90, ge=1, le=365)


class UsageReportIn(BaseModel):
    """ACC-9: every section is required."""

    scenarios: str = ""
    service_targets: str = ""
    business_model: str = ""
    calls: str = Field(default="", description="number and pattern of calls")
    fields_used: str = ""
    algorithms: str = ""
    benefits: str = ""
    quality_suggestions: str = ""
    security_measures: str = ""


class MisuseIn(BaseModel):
    description: str = Field(min_length=1, max_length=10_000)
    subject: str = Field(default="", max_length=200, description="who or what is reported")
    dataset: str | None = Field(default=None, description="dataset code or id, when known")
    contact: str = Field(default="", max_length=200)


class MisuseHandleIn(BaseModel):
    state: Literal["handled", "dismissed"]
    outcome: str = Field(min_length=1, max_length=5000)


class ViolationIn(BaseModel):
    user_id: str
    kind: Literal["platform_rules", "illegal_acquisition", "infringing_rights", "beyond_scenario", "other"]
    description: str = Field(min_length=1, max_length=10_000)
    measure: Literal["restrict", "close"]
    dataset: str | None = None
    grant_id: str | None = None
    misuse_report_id: str | None = None
    publish: bool = False
    public_summary: str = Field(default="", max_length=2000)


@router.get("/grants", operation_id="list_grants")
def list_grants(
    platform: PlatformDep,
    actor: PrincipalDep,
    scope: Literal["mine", "provider", "all"] = "mine",
    state: str | None = None,
    dataset: str | None = None,
) -> list[dict[str, Any]]:
    return grant_service.list_grants(platform, actor=actor, scope=scope, state=state, dataset=dataset)


@router.get("/grant-flags", operation_id="list_grant_flags")
def list_grant_flags(platform: PlatformDep, actor: PrincipalDep, limit: int = 200) -> list[dict[str, Any]]:
    return grant_service.list_flags(platform, actor=actor, limit=limit)


@router.get("/grants/{grant_id}", operation_id="get_grant")
def get_grant(platform: PlatformDep, actor: PrincipalDep, grant_id: str) -> dict[str, Any]:
    return grant_service.get_grant(platform, actor=actor, grant_id=grant_id)


def _state(
    platform: Any, actor: Any, grant_id: str, action: Literal["suspend", "resume", "close"], reason: str
) -> Any:
    return grant_service.change_state(platform, actor=actor, grant_id=grant_id, action=action, reason=reason)


@router.post("/grants/{grant_id}/suspend", operation_id="suspend_grant")
def suspend_grant(
    platform: PlatformDep, actor: PrincipalDep, grant_id: str, body: ReasonIn
) -> dict[str, Any]:
    return dict(_state(platform, actor, grant_id, "suspend", body.reason))


@router.post("/grants/{grant_id}/resume", operation_id="resume_grant")
def resume_grant(platform: PlatformDep, actor: PrincipalDep, grant_id: str, body: ReasonIn) -> dict[str, Any]:
    return dict(_state(platform, actor, grant_id, "resume", body.reason))


@router.post("/grants/{grant_id}/close", operation_id="close_grant")
def close_grant(platform: PlatformDep, actor: PrincipalDep, grant_id: str, body: ReasonIn) -> dict[str, Any]:
    return dict(_state(platform, actor, grant_id, "close", body.reason))


@router.post("/grants/{grant_id}/offline-delivery", operation_id="record_offline_delivery")
def record_offline_delivery(
    platform: PlatformDep, actor: PrincipalDep, grant_id: str, body: OfflineDeliveryIn
) -> dict[str, Any]:
    return grant_service.record_offline_delivery(
        platform,
        actor=actor,
        grant_id=grant_id,
        method=body.method,
        delivered_on=body.delivered_on,
        recipient=body.recipient,
        note=body.note,
    )


@router.post("/grants/{grant_id}/token", operation_id="deliver_grant_token", status_code=201)
def deliver_grant_token(
    platform: PlatformDep, actor: PrincipalDep, grant_id: str, body: TokenIn | None = None
) -> dict[str, Any]:
    days = body.expires_in_days if body else 90
    return grant_service.deliver_token(platform, actor=actor, grant_id=grant_id, expires_in_days=days)


@router.get("/grants/{grant_id}/calls", operation_id="list_grant_calls")
def list_grant_calls(
    platform: PlatformDep, actor: PrincipalDep, grant_id: str, flagged_only: bool = False, limit: int = 200
) -> list[dict[str, Any]]:
    return grant_service.list_calls(
        platform, actor=actor, grant_id=grant_id, flagged_only=flagged_only, limit=limit
    )


@router.get("/grants/{grant_id}/reports", operation_id="list_usage_reports")
def list_usage_reports(platform: PlatformDep, actor: PrincipalDep, grant_id: str) -> list[dict[str, Any]]:
    return reports.list_reports(platform, actor=actor, grant_id=grant_id)


@router.post("/grants/{grant_id}/reports", operation_id="file_usage_report", status_code=201)
def file_usage_report(
    platform: PlatformDep, actor: PrincipalDep, grant_id: str, body: UsageReportIn
) -> dict[str, Any]:
    return reports.file_report(platform, actor=actor, grant_id=grant_id, contents=body.model_dump())


@router.post("/misuse-reports", operation_id="report_misuse", status_code=201)
def report_misuse(platform: PlatformDep, actor: PrincipalDep, body: MisuseIn) -> dict[str, Any]:
    return violations.report_misuse(
        platform,
        actor=actor,
        description=body.description,
        subject=body.subject,
        dataset=body.dataset,
        contact=body.contact,
    )


@router.get("/misuse-reports", operation_id="list_misuse_reports")
def list_misuse_reports(
    platform: PlatformDep, actor: PrincipalDep, state: str | None = None
) -> list[dict[str, Any]]:
    return violations.list_misuse_reports(platform, actor=actor, state=state)


@router.post("/misuse-reports/{report_id}/handle", operation_id="handle_misuse_report")
def handle_misuse_report(
    platform: PlatformDep, actor: PrincipalDep, report_id: str, body: MisuseHandleIn
) -> dict[str, Any]:
    return violations.handle_misuse_report(
        platform, actor=actor, report_id=report_id, state=body.state, outcome=body.outcome
    )


@router.get("/violations/public", operation_id="list_public_violations")
def list_public_violations(platform: PlatformDep) -> list[dict[str, Any]]:
    return violations.public_violations(platform)


@router.get("/violations", operation_id="list_violations")
def list_violations(
    platform: PlatformDep, actor: PrincipalDep, user_id: str | None = None
) -> list[dict[str, Any]]:
    return violations.list_violations(platform, actor=actor, user_id=user_id)


@router.post("/violations", operation_id="record_violation", status_code=201)
def record_violation(platform: PlatformDep, actor: PrincipalDep, body: ViolationIn) -> dict[str, Any]:
    return violations.record_violation(
        platform,
        actor=actor,
        user_id=body.user_id,
        kind=body.kind,
        description=body.description,
        measure=body.measure,
        dataset=body.dataset,
        grant_id=body.grant_id,
        misuse_report_id=body.misuse_report_id,
        publish=body.publish,
        public_summary=body.public_summary,
    )


@router.post("/violations/{violation_id}/lift", operation_id="lift_violation")
def lift_violation(
    platform: PlatformDep, actor: PrincipalDep, violation_id: str, body: ReasonIn
) -> dict[str, Any]:
    return violations.lift_violation(platform, actor=actor, violation_id=violation_id, reason=body.reason)
