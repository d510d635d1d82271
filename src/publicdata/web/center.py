"""Center workbench (PLT-3, PLT-4): the open-list review queue by due date with working-day countdowns,
approve or return with reasons; policies and news pages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import ValidationError

from publicdata.catalog import review
from publicdata.catalog import service as catalog
from publicdata.errors import AppError, NotAuthenticated, NotFound, ValidationFailed
from publicdata.identity import permissions as rules
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.web import content
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
from publicdata.workorders import service as workorders

router = APIRouter(prefix="/center")

FormStr = Annotated[str, Form()]
DUE_SOON_DAYS = 1


def reviewer(request: Request) -> Principal:
    principal = principal_of(request)
    if principal.is_anonymous:
        raise NotAuthenticated()
    require(rules.can_manage_content(principal))  # center staff and administrators
    return principal


def return_reasons() -> list[dict[str, str]]:
    return [
        {"value": r.value, "label": zh, "label_en": en} for r, (zh, en) in review.RETURN_REASON_LABELS.items()
    ]


@twin_get(router, "")
def workbench(request: Request) -> Response:
    principal = reviewer(request)
    total, orders = workorders.list_orders(
        platform_of(request),
        actor=principal,
        scope="queue",
        type=review.OPEN_LIST_CHANGE.name,
        open_only=True,
        offset=0,
        limit=200,
    )
    queue = [
        {
            **o.model_dump(),
            "urgency": "overdue"
            if o.overdue
            else ("due-soon" if not o.paused and o.remaining_working_days <= DUE_SOON_DAYS else ""),
        }
        for o in sorted(orders, key=lambda o: (o.deadline.due_at, o.id))
    ]
    data = {
        "total": total,
        "queue": queue,
        "overdue": sum(1 for o in orders if o.overdue),
        "awaiting_me": sum(1 for o in orders if o.state == "in_review"),
    }
    return render(request, "center.html", data)


def _order_page(request: Request, order_id: str, *, error: Any = None, status_code: int = 200) -> Response:
    platform = platform_of(request)
    principal = reviewer(request)
    order = workorders.get_order(platform, actor=principal, order_id=order_id)
    if order.type != review.OPEN_LIST_CHANGE.name:
        raise NotFound("order not found", message_zh="工单不存在")
    code = order.payload.get("dataset_code") or order.subject_id or ""
    dataset = catalog.get_dataset(platform, actor=principal, ref=code)
    data = {
        "order": order,
        "dataset": dataset,
        "return_reasons": return_reasons(),
        "can_decide": any(a.action in ("approve", "return") for a in order.my_actions),
        "error": error,
    }
    return render(request, "order.html", data, status_code=status_code)


@twin_get(router, "/orders/{order_id}")
def order_page(request: Request, order_id: str) -> Response:
    return _order_page(request, order_id)


@post_form(router, "/orders/{order_id}/approve")
def approve(request: Request, order_id: str, note: FormStr = "", csrf_token: FormStr = "") -> Response:
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    try:
        review.approve_change(platform_of(request), actor=principal, order_id=order_id, note=note)
    except AppError as exc:
        return _order_page(request, order_id, error=error_message(request, exc), status_code=exc.status_code)
    return redirect("/center?approved=1", request)


@post_form(router, "/orders/{order_id}/return")
def return_order(
    request: Request,
    order_id: str,
    reasons: Annotated[list[str] | None, Form()] = None,
    other_text: FormStr = "",
    note: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    """Return with every reason at once (the fixed list, plus text for 'other')."""
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    try:
        chosen = [review.ReturnReason(r) for r in reasons or []]
        if not chosen:
            raise ValidationFailed(
                "choose at least one reason", message_zh="请至少选择一项退回原因", code="reason_required"
            )
        review.return_change(
            platform_of(request),
            actor=principal,
            order_id=order_id,
            reasons=chosen,
            other_text=other_text,
            note=note,
        )
    except AppError as exc:
        return _order_page(request, order_id, error=error_message(request, exc), status_code=exc.status_code)
    except ValueError:
        return _order_page(
            request, order_id, error={"message": "unknown reason", "details": []}, status_code=422
        )
    return redirect("/center?returned=1", request)


# Policies and news (PLT-4) ---------------------------------------------------------------------


@twin_get(router, "/pages")
def pages(request: Request) -> Response:
    principal = reviewer(request)
    total, items = content.list_pages(platform_of(request), actor=principal, include_drafts=True, limit=200)
    return render(request, "center_pages.html", {"total": total, "items": items})


def _page_form(
    request: Request, form: dict[str, Any], page_id: str | None, error: Any = None, status: int = 200
) -> Response:
    return render(
        request, "page_form.html", {"form": form, "page_id": page_id, "error": error}, status_code=status
    )


@twin_get(router, "/pages/new")
def new_page(request: Request) -> Response:
    reviewer(request)
    form = {
        "kind": request.query_params.get("kind") or "news",
        "title": "",
        "title_en": "",
        "body": "",
        "published": True,
    }
    return _page_form(request, form, None)


@twin_get(router, "/pages/{page_id}/edit")
def edit_page(request: Request, page_id: str) -> Response:
    principal = reviewer(request)
    page = content.get_page(platform_of(request), actor=principal, page_id=page_id)
    return _page_form(request, {**page.model_dump(), "published": page.published_at is not None}, page_id)


def _save_page(
    request: Request,
    page_id: str | None,
    kind: str,
    title: str,
    title_en: str,
    body: str,
    published: str,
    csrf: str,
) -> Response:
    principal = check_form_csrf(request, {"csrf_token": csrf})
    form = {"kind": kind, "title": title, "title_en": title_en, "body": body, "published": bool(published)}
    try:
        data = content.PageIn.model_validate(form)
        saved = content.save_page(platform_of(request), actor=principal, data=data, page_id=page_id)
    except ValidationError as exc:
        details = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return _page_form(request, form, page_id, {"message": "invalid", "details": details}, 422)
    except AppError as exc:
        return _page_form(request, form, page_id, error_message(request, exc), exc.status_code)
    return redirect(f"/pages/{saved.id}", request)


@post_form(router, "/pages")
def create_page(
    request: Request,
    kind: FormStr = "news",
    title: FormStr = "",
    title_en: FormStr = "",
    body: FormStr = "",
    published: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    return _save_page(request, None, kind, title, title_en, body, published, csrf_token)


@post_form(router, "/pages/{page_id}")
def update_page(
    request: Request,
    page_id: str,
    kind: FormStr = "news",
    title: FormStr = "",
    title_en: FormStr = "",
    body: FormStr = "",
    published: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    return _save_page(request, page_id, kind, title, title_en, body, published, csrf_token)


@post_form(router, "/pages/{page_id}/delete")
def delete_page(request: Request, page_id: str, csrf_token: FormStr = "") -> Response:
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    content.delete_page(platform_of(request), actor=principal, page_id=page_id)
    return redirect("/center/pages", request)
