"""Portal pages of grants (ACC-6, ACC-9, ACC-10, ACC-11): my grants with quota use and report due
countdown, one grant with its calls and reports and the usage report form, the provider / center
overview with unusual-use flags, the misuse report form and the public notice of violations."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from publicdata.access import grant_model as gm
from publicdata.access import grant_service, reports, violations
from publicdata.errors import AppError, NotAuthenticated
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.web.render import (
    check_form_csrf,
    error_message,
    platform_of,
    post_form,
    principal_of,
    redirect,
    render,
    twin_get,
)

router = APIRouter()
FormStr = Annotated[str, Form()]
SECTIONS = [{"key": k, "label": zh, "label_en": en} for k, (zh, en) in gm.REPORT_SECTIONS.items()]
NOTICES = {"report_filed", "misuse_reported", "suspended", "resumed", "closed"}


def _user(request: Request) -> Principal:
    principal = principal_of(request)
    if principal.is_anonymous:
        raise NotAuthenticated()
    return principal


@twin_get(router, "/notices/violations")
def violations_notice(request: Request) -> Response:
    """The public notice of published violations and measures (ACC-11); no personal details."""
    items = violations.public_violations(platform_of(request))
    return render(request, "grants/violations.html", {"items": items})


@twin_get(router, "/misuse-report")
def misuse_form(request: Request, dataset: str = "") -> Response:
    notice = request.query_params.get("notice")
    return render(
        request,
        "grants/misuse.html",
        {"dataset": dataset, "values": {}, "error": None, "notice": notice if notice in NOTICES else None},
    )


@post_form(router, "/misuse-report")
def misuse_submit(
    request: Request,
    description: FormStr = "",
    subject: FormStr = "",
    dataset: FormStr = "",
    contact: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    try:
        violations.report_misuse(
            platform_of(request),
            actor=principal,
            description=description,
            subject=subject,
            dataset=dataset.strip() or None,
            contact=contact,
        )
    except AppError as exc:
        values = {"description": description, "subject": subject, "contact": contact}
        data = {"dataset": dataset, "values": values, "error": error_message(request, exc), "notice": None}
        return render(request, "grants/misuse.html", data, status_code=exc.status_code)
    return redirect("/misuse-report?notice=misuse_reported", request)


@twin_get(router, "/grants")
def my_grants(request: Request) -> Response:
    principal = _user(request)
    items = grant_service.list_grants(platform_of(request), actor=principal, scope="mine")
    return render(request, "grants/mine.html", {"items": items})


@twin_get(router, "/grants/overview")
def overview(request: Request) -> Response:
    """Provider staff: their grants; the center: all grants; both with the flagged calls."""
    principal = _user(request)
    platform = platform_of(request)
    center = principal.is_admin or principal.has_role(Role.CENTER) or principal.has_role(Role.AUTHORITY)
    items = grant_service.list_grants(platform, actor=principal, scope="all" if center else "provider")
    flags = grant_service.list_flags(platform, actor=principal, limit=100)
    return render(request, "grants/overview.html", {"items": items, "flags": flags, "center": center})


def _detail(request: Request, principal: Principal, grant_id: str) -> dict[str, Any]:
    platform = platform_of(request)
    grant = grant_service.get_grant(platform, actor=principal, grant_id=grant_id)
    notice = request.query_params.get("notice")
    return {
        "grant": grant,
        "calls": grant_service.list_calls(platform, actor=principal, grant_id=grant_id, limit=50),
        "reports": reports.list_reports(platform, actor=principal, grant_id=grant_id),
        "sections": SECTIONS,
        "holder": principal.user_id == grant["user_id"],
        "manager": principal.is_admin
        or principal.has_role(Role.CENTER)
        or principal.has_role(Role.PROVIDER_STAFF, grant["provider_id"]),
        "values": {},
        "error": None,
        "notice": notice if notice in NOTICES else None,
    }


@twin_get(router, "/grants/{grant_id}")
def grant_detail(request: Request, grant_id: str) -> Response:
    principal = _user(request)
    return render(request, "grants/detail.html", _detail(request, principal, grant_id))


@post_form(router, "/grants/{grant_id}/report")
def file_report(
    request: Request,
    grant_id: str,
    scenarios: FormStr = "",
    service_targets: FormStr = "",
    business_model: FormStr = "",
    calls: FormStr = "",
    fields_used: FormStr = "",
    algorithms: FormStr = "",
    benefits: FormStr = "",
    quality_suggestions: FormStr = "",
    security_measures: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    given = locals()
    contents = {s["key"]: str(given[s["key"]]) for s in SECTIONS}
    try:
        reports.file_report(platform_of(request), actor=principal, grant_id=grant_id, contents=contents)
    except AppError as exc:
        data = _detail(request, principal, grant_id)
        data["values"], data["error"] = contents, error_message(request, exc)
        return render(request, "grants/detail.html", data, status_code=exc.status_code)
    return redirect(f"/grants/{grant_id}?notice=report_filed", request)


@post_form(router, "/grants/{grant_id}/state")
def change_state(
    request: Request, grant_id: str, action: FormStr = "", reason: FormStr = "", csrf_token: FormStr = ""
) -> Response:
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    if action not in ("suspend", "resume", "close"):
        action = "suspend"
    try:
        grant_service.change_state(
            platform_of(request),
            actor=principal,
            grant_id=grant_id,
            action=action,  # type: ignore[arg-type]
            reason=reason,
        )
    except AppError as exc:
        data = _detail(request, principal, grant_id)
        data["error"] = error_message(request, exc)
        return render(request, "grants/detail.html", data, status_code=exc.status_code)
    done = {"suspend": "suspended", "resume": "resumed", "close": "closed"}[action]
    return redirect(f"/grants/{grant_id}?notice={done}", request)
