"""Portal pages of applications for conditional data (ACC-2..ACC-5): the dataset-page panel (materials,
apply), the apply / amend form, my applications with countdowns, the center's completeness queue, the
provider's decision queue, the experts' queue, one application with the actions its viewer may take, and
the agreement signing page. Every GET page has its JSON twin."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from publicdata.access import agreements, applications, decisions, requirements, rules
from publicdata.access.app_schemas import ApplicationIn, ApplicationOut
from publicdata.catalog.schemas import DatasetOut
from publicdata.errors import AppError, NotAuthenticated, ValidationFailed
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.platform import Platform
from publicdata.web.panels import Panel, register_panel
from publicdata.web.render import (
    check_form_csrf,
    error_message,
    platform_of,
    principal_of,
    redirect,
    render,
    render_error,
    twin_get,
)
from publicdata.workorders import service as workorders

router = APIRouter(prefix="/access")
DUE_SOON_DAYS = 1


# ---------------------------------------------------------------------------------------------
# Dataset-page panel
# ---------------------------------------------------------------------------------------------


def access_panel(platform: Platform, actor: Principal, dataset: DatasetOut) -> Panel | None:
    if dataset.open_class.value != "conditional":
        return None
    try:
        req = requirements.get_requirements(platform, actor=actor, dataset_ref=dataset.id)
    except AppError:
        return None
    mine: list[dict[str, Any]] = []
    if not actor.is_anonymous:
        _, items = applications.list_applications(platform, actor=actor, dataset=dataset.id, scope="mine")
        mine = [_row(a) for a in items]
    return Panel(
        name="access",
        template="panels/access.html",
        data={
            "materials": req.materials,
            "min_level": req.min_level,
            "credit_check": req.credit_check,
            "conditions": req.conditions,
            "apply_url": f"/access/apply/{dataset.code}",
            "signed_in": not actor.is_anonymous,
            "my_applications": mine,
        },
    )


register_panel("access", access_panel)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def signed_in(request: Request) -> Principal:
    principal = principal_of(request)
    if principal.is_anonymous:
        raise NotAuthenticated()
    return principal


def _row(a: ApplicationOut) -> dict[str, Any]:
    order = a.current_order
    urgency = ""
    if order is not None:
        if order.overdue:
            urgency = "overdue"
        elif not order.paused and order.remaining_working_days <= DUE_SOON_DAYS:
            urgency = "due-soon"
    return a.model_dump() | {"urgency": urgency}


def _queue(request: Request, state: set[str]) -> list[dict[str, Any]]:
    principal = principal_of(request)
    _, items = applications.list_applications(platform_of(request), actor=principal, limit=500)
    rows = [_row(a) for a in items if a.state in state]
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(
        rows, key=lambda r: ((r["current_order"] or {}).get("deadline", {}).get("due_at") or far, r["id"])
    )


def post_page(path: str) -> Callable[[Callable[..., Response]], Callable[..., Awaitable[Response]]]:
    """An async form post (field names vary: materials, reasons per item) run in the thread pool."""

    def decorate(fn: Callable[..., Response]) -> Callable[..., Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            form = await request.form()
            try:
                return await run_in_threadpool(fn, request, form, **request.path_params)
            except AppError as exc:
                return render_error(request, exc)

        endpoint.__name__ = fn.__name__
        router.add_api_route(path, endpoint, methods=["POST"], include_in_schema=False)
        return endpoint

    return decorate


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _date(form: FormData, name: str) -> date | None:
    text = _text(form, name)
    try:
        return date.fromisoformat(text) if text else None
    except ValueError as exc:
        raise ValidationFailed("dates are YYYY-MM-DD", message_zh="日期格式应为YYYY-MM-DD") from exc


def _application_in(
    platform: Platform, principal: Principal, form: FormData, dataset: str, materials: list[dict[str, Any]]
) -> ApplicationIn:
    given: dict[str, Any] = {}
    for m in materials:
        key = str(m["key"])
        upload = form.get(f"f_{key}")
        if isinstance(upload, UploadFile) and upload.filename:
            stored = workorders.upload_attachment(
                platform, actor=principal, filename=upload.filename, stream=upload.file
            )
            given[key] = {"upload_id": stored.upload_id}
        elif _text(form, f"keep_{key}"):
            given[key] = {"upload_id": _text(form, f"keep_{key}")}
        elif _text(form, f"m_{key}"):
            given[key] = _text(form, f"m_{key}")
    rows = _text(form, "expected_rows")
    return ApplicationIn(
        dataset=dataset,
        purpose=_text(form, "purpose"),
        scenario=_text(form, "scenario"),
        fields=[str(f) for f in form.getlist("fields")],
        period_start=_date(form, "period_start"),
        period_end=_date(form, "period_end"),
        security_measures=_text(form, "security_measures"),
        expected_rows=int(rows) if rows.isdigit() else None,
        materials=given,
        idempotency_key=_text(form, "idempotency_key") or None,
    )


def _problems(form: FormData) -> list[dict[str, str]]:
    """Reasons typed next to each item (`reason_<item>`), plus free lines `item: reason`."""
    problems = []
    for name, value in form.multi_items():
        if name.startswith("reason_") and isinstance(value, str) and value.strip():
            problems.append({"item": name.removeprefix("reason_"), "reason": value.strip()})
    return problems


# ---------------------------------------------------------------------------------------------
# Apply and amend
# ---------------------------------------------------------------------------------------------


def _form_page(
    request: Request,
    code: str,
    *,
    app: ApplicationOut | None = None,
    values: dict[str, Any] | None = None,
    error: Any = None,
    status_code: int = 200,
) -> Response:
    platform = platform_of(request)
    principal = signed_in(request)
    from publicdata.catalog import service as catalog

    dataset = catalog.get_dataset(platform, actor=principal, ref=code)
    req = requirements.get_requirements(platform, actor=principal, dataset_ref=code)
    decision = rules.can_apply(principal, req.min_level)
    data = {
        "dataset": {
            "code": dataset.code,
            "name": dataset.name,
            "fields": [f.model_dump() for f in dataset.fields],
        },
        "requirements": req.model_dump(),
        "may_apply": bool(decision),
        "refusal": decision.reason_en if request.query_params.get("lang") == "en" else decision.reason_zh,
        "application": app.model_dump() if app else None,
        "values": values or (app.model_dump() if app else {"fields": [f.name for f in dataset.fields]}),
        "idempotency_key": (values or {}).get("idempotency_key")
        or request.query_params.get("key")
        or _new_key(),
        "error": error,
    }
    return render(request, "access/apply.html", data, status_code=status_code)


def _new_key() -> str:
    from publicdata.db import new_id

    return new_id()


@twin_get(router, "/apply/{code}")
def apply_page(request: Request, code: str) -> Response:
    return _form_page(request, code)


@post_page("/apply/{code}")
def apply_submit(request: Request, form: FormData, code: str) -> Response:
    principal = check_form_csrf(request, dict(form))
    platform = platform_of(request)
    req = requirements.get_requirements(platform, actor=principal, dataset_ref=code)
    try:
        data = _application_in(platform, principal, form, code, req.materials)
        app, _ = applications.submit_application(platform, actor=principal, data=data)
    except AppError as exc:
        values: dict[str, Any] = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        values["fields"] = [str(f) for f in form.getlist("fields")]
        return _form_page(
            request, code, values=values, error=error_message(request, exc), status_code=exc.status_code
        )
    return redirect(f"/access/applications/{app.id}?submitted=1", request)


@twin_get(router, "/applications/{application_id}/edit")
def edit_page(request: Request, application_id: str) -> Response:
    principal = signed_in(request)
    app = applications.get_application(platform_of(request), actor=principal, application_id=application_id)
    return _form_page(request, app.dataset_code, app=app)


@post_page("/applications/{application_id}/edit")
def edit_submit(request: Request, form: FormData, application_id: str) -> Response:
    principal = check_form_csrf(request, dict(form))
    platform = platform_of(request)
    app = applications.get_application(platform, actor=principal, application_id=application_id)
    req = requirements.get_requirements(platform, actor=principal, dataset_ref=app.dataset_id)
    try:
        data = _application_in(platform, principal, form, app.dataset_id, req.materials)
        applications.resubmit_application(platform, actor=principal, application_id=application_id, data=data)
    except AppError as exc:
        return _form_page(
            request, app.dataset_code, app=app, error=error_message(request, exc), status_code=exc.status_code
        )
    return redirect(f"/access/applications/{application_id}?resubmitted=1", request)


# ---------------------------------------------------------------------------------------------
# Lists and queues
# ---------------------------------------------------------------------------------------------


@twin_get(router, "/applications")
def my_applications(request: Request) -> Response:
    principal = signed_in(request)
    total, items = applications.list_applications(
        platform_of(request), actor=principal, scope="mine", limit=200
    )
    return render(
        request,
        "access/list.html",
        {"title": "我的数据申请", "total": total, "items": [_row(a) for a in items], "queue": "mine"},
    )


@twin_get(router, "/center")
def center_queue(request: Request) -> Response:
    require(rules.can_check(signed_in(request)))
    items = _queue(request, {"submitted"})
    return render(
        request,
        "access/list.html",
        {
            "title": "数据申请形式审查队列",
            "total": len(items),
            "items": items,
            "queue": "center",
            "overdue": sum(1 for i in items if i["urgency"] == "overdue"),
        },
    )


@twin_get(router, "/provider")
def provider_queue(request: Request) -> Response:
    principal = signed_in(request)
    if not principal.has_role(Role.PROVIDER_STAFF):
        require(rules.can_decide(principal, ""))
    items = _queue(request, {"forwarded", "expert_review", "approved"})
    return render(
        request,
        "access/list.html",
        {
            "title": "数据申请审核队列",
            "total": len(items),
            "items": items,
            "queue": "provider",
            "overdue": sum(1 for i in items if i["urgency"] == "overdue"),
        },
    )


@twin_get(router, "/experts")
def expert_queue(request: Request) -> Response:
    require(rules.can_give_opinion(signed_in(request)))
    items = _queue(request, {"expert_review"})
    return render(
        request,
        "access/list.html",
        {"title": "专家评议队列", "total": len(items), "items": items, "queue": "experts"},
    )


# ---------------------------------------------------------------------------------------------
# One application and its actions
# ---------------------------------------------------------------------------------------------


def _detail(request: Request, application_id: str, *, error: Any = None, status_code: int = 200) -> Response:
    platform = platform_of(request)
    principal = signed_in(request)
    app = applications.get_application(platform, actor=principal, application_id=application_id)
    req = requirements.get_requirements(platform, actor=principal, dataset_ref=app.dataset_id)
    mine = app.applicant_id == principal.user_id
    items = [
        {"key": k, "label": zh, "label_en": en}
        for k, zh, en in (
            ("purpose", "申请用途", "Purpose"),
            ("scenario", "应用场景", "Use scenario"),
            ("fields", "申请的数据项", "Data items requested"),
            ("period", "使用期限", "Period of use"),
            ("security_measures", "数据安全保障措施", "Data-security measures"),
        )
    ]
    items += [
        {"key": m["key"], "label": m["label_zh"], "label_en": m.get("label_en", "")} for m in req.materials
    ]
    data = {
        "application": app.model_dump(),
        "materials": req.materials,
        "problem_items": items,
        "can": {
            "check": app.state == "submitted" and bool(rules.can_check(principal)),
            "decide": app.state in ("forwarded", "expert_review")
            and bool(rules.can_decide(principal, app.provider_id)),
            "refer": app.state == "forwarded" and bool(rules.can_decide(principal, app.provider_id)),
            "opinion": app.state == "expert_review" and bool(rules.can_give_opinion(principal)),
            "amend": mine and app.state in ("incomplete", "refused"),
            "sign": mine and app.state == "approved",
            "withdraw": mine
            and app.state in ("submitted", "incomplete", "forwarded", "expert_review", "approved"),
        },
        "dataset_fields": app.fields,
        "error": error,
    }
    return render(request, "access/detail.html", data, status_code=status_code)


@twin_get(router, "/applications/{application_id}")
def detail_page(request: Request, application_id: str) -> Response:
    return _detail(request, application_id)


def _act(request: Request, application_id: str, run: Callable[[], Any], done: str) -> Response:
    try:
        run()
    except AppError as exc:
        return _detail(
            request, application_id, error=error_message(request, exc), status_code=exc.status_code
        )
    return redirect(f"/access/applications/{application_id}?{done}=1", request)


@post_page("/applications/{application_id}/accept")
def accept(request: Request, form: FormData, application_id: str) -> Response:
    p = check_form_csrf(request, dict(form))
    return _act(
        request,
        application_id,
        lambda: decisions.accept_application(
            platform_of(request), actor=p, application_id=application_id, note=_text(form, "note")
        ),
        "accepted",
    )


@post_page("/applications/{application_id}/return")
def return_incomplete(request: Request, form: FormData, application_id: str) -> Response:
    p = check_form_csrf(request, dict(form))
    return _act(
        request,
        application_id,
        lambda: decisions.return_incomplete(
            platform_of(request),
            actor=p,
            application_id=application_id,
            problems=_problems(form),
            note=_text(form, "note"),
        ),
        "returned",
    )


@post_page("/applications/{application_id}/approve")
def approve(request: Request, form: FormData, application_id: str) -> Response:
    p = check_form_csrf(request, dict(form))
    scope: dict[str, Any] = {}
    if form.getlist("fields"):
        scope["fields"] = [str(f) for f in form.getlist("fields")]
    for name in ("period_start", "period_end", "daily_quota", "daily_row_quota"):
        if _text(form, name):
            scope[name] = _text(form, name)
    return _act(
        request,
        application_id,
        lambda: decisions.approve_application(
            platform_of(request),
            actor=p,
            application_id=application_id,
            scope=scope,
            note=_text(form, "note"),
        ),
        "approved",
    )


@post_page("/applications/{application_id}/refuse")
def refuse(request: Request, form: FormData, application_id: str) -> Response:
    p = check_form_csrf(request, dict(form))
    return _act(
        request,
        application_id,
        lambda: decisions.refuse_application(
            platform_of(request),
            actor=p,
            application_id=application_id,
            problems=_problems(form),
            note=_text(form, "note"),
        ),
        "refused",
    )


@post_page("/applications/{application_id}/refer")
def refer(request: Request, form: FormData, application_id: str) -> Response:
    p = check_form_csrf(request, dict(form))
    needed = _text(form, "experts_needed")
    return _act(
        request,
        application_id,
        lambda: decisions.refer_to_experts(
            platform_of(request),
            actor=p,
            application_id=application_id,
            note=_text(form, "note"),
            experts_needed=int(needed) if needed.isdigit() else 1,
        ),
        "referred",
    )


@post_page("/applications/{application_id}/opinion")
def opinion(request: Request, form: FormData, application_id: str) -> Response:
    p = check_form_csrf(request, dict(form))
    return _act(
        request,
        application_id,
        lambda: decisions.give_opinion(
            platform_of(request),
            actor=p,
            application_id=application_id,
            recommendation=_text(form, "recommendation") or "approve",
            opinion=_text(form, "opinion"),
        ),
        "opinion",
    )


@post_page("/applications/{application_id}/withdraw")
def withdraw(request: Request, form: FormData, application_id: str) -> Response:
    p = check_form_csrf(request, dict(form))
    return _act(
        request,
        application_id,
        lambda: applications.withdraw_application(
            platform_of(request), actor=p, application_id=application_id
        ),
        "withdrawn",
    )


# ---------------------------------------------------------------------------------------------
# Signing the agreement
# ---------------------------------------------------------------------------------------------


def _sign_page(
    request: Request, application_id: str, *, error: Any = None, status_code: int = 200
) -> Response:
    platform = platform_of(request)
    principal = signed_in(request)
    app = applications.get_application(platform, actor=principal, application_id=application_id)
    agreement = agreements.preview_agreement(platform, actor=principal, application_id=application_id)
    data = {
        "application": app.model_dump(),
        "agreement": agreement.model_dump(),
        "error": error,
    }
    return render(request, "access/sign.html", data, status_code=status_code)


@twin_get(router, "/applications/{application_id}/sign")
def sign_page(request: Request, application_id: str) -> Response:
    return _sign_page(request, application_id)


@post_page("/applications/{application_id}/sign")
def sign(request: Request, form: FormData, application_id: str) -> Response:
    p = check_form_csrf(request, dict(form))
    try:
        agreements.sign_agreement(
            platform_of(request),
            actor=p,
            application_id=application_id,
            accept=_text(form, "accept") == "yes",
            signer_name=_text(form, "signer_name"),
            agreement_sha256=_text(form, "agreement_sha256") or None,
        )
    except AppError as exc:
        return _sign_page(
            request, application_id, error=error_message(request, exc), status_code=exc.status_code
        )
    return redirect(f"/access/applications/{application_id}?signed=1", request)
