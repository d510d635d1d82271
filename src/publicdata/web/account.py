"""Registration, sign-in and the user centre (PLT-9): profile, verification, API tokens, inbox."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response

from publicdata.errors import AppError, NotAuthenticated
from publicdata.http import SESSION_COOKIE, client_ip, session_serializer
from publicdata.identity import auth
from publicdata.identity import service as identity
from publicdata.identity.model import UserKind
from publicdata.identity.permissions import Principal
from publicdata.identity.schemas import RegisterIn
from publicdata.notifications import service as inbox
from publicdata.platform import Platform
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
NOTICES = {"registered", "verified", "verification_submitted", "verification_failed", "token_revoked", "read"}


def safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect off the portal after sign-in."""
    if not target:
        return "/account"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/account"
    return target


def _signed_in(request: Request, platform: Platform, principal: Principal, target: str) -> Response:
    ticket = auth.start_session(platform, principal=principal)
    response = redirect(target, request)
    response.set_cookie(
        SESSION_COOKIE,
        session_serializer(platform).dumps(ticket.session_id),
        max_age=platform.settings.session_max_age_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=platform.settings.public_base_url.startswith("https://"),
    )
    return response


@twin_get(router, "/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@post_form(router, "/login")
def login(
    request: Request,
    username: FormStr = "",
    password: FormStr = "",
    next: FormStr = "/account",
    csrf_token: FormStr = "",
) -> Response:
    platform = platform_of(request)
    check_form_csrf(request, {"csrf_token": csrf_token})
    try:
        principal = auth.authenticate(
            platform, username=username.strip(), password=password, client_ip=client_ip(request)
        )
    except AppError as exc:
        data = {"next": safe_next(next), "error": error_message(request, exc), "username": username}
        return render(request, "login.html", data, status_code=exc.status_code)
    return _signed_in(request, platform, principal, safe_next(next))


@post_form(router, "/logout")
def logout(request: Request, csrf_token: FormStr = "") -> Response:
    platform = platform_of(request)
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    session_id = getattr(request.state, "session_id", None)
    if session_id and not principal.is_anonymous:
        auth.end_session(platform, actor=principal, session_id=session_id)
    response = redirect("/", request)
    response.delete_cookie(SESSION_COOKIE)
    return response


@twin_get(router, "/register")
def register_page(request: Request) -> Response:
    return render(request, "register.html", {"error": None, "form": {"kind": "person"}})


@post_form(router, "/register")
def register(
    request: Request,
    licence: Annotated[UploadFile | None, File()] = None,
    username: FormStr = "",
    password: FormStr = "",
    kind: FormStr = "person",
    display_name: FormStr = "",
    email: FormStr = "",
    mobile: FormStr = "",
    real_name: FormStr = "",
    resident_id: FormStr = "",
    credit_code: FormStr = "",
    organization_name: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    """One form: the account, then (optionally) the real-name check or the company licence."""
    platform = platform_of(request)
    check_form_csrf(request, {"csrf_token": csrf_token})
    form = {
        "username": username,
        "kind": kind,
        "display_name": display_name,
        "email": email,
        "mobile": mobile,
        "real_name": real_name,
        "credit_code": credit_code,
        "organization_name": organization_name,
    }
    try:
        data = RegisterIn(
            username=username.strip(),
            password=password,
            kind=UserKind.COMPANY if kind == "company" else UserKind.PERSON,
            display_name=display_name.strip() or (organization_name.strip() if kind == "company" else ""),
            email=email.strip() or None,
            mobile=mobile.strip() or None,
        )
        identity.register_user(platform, data=data, actor=principal_of(request))
        principal = auth.authenticate(platform, username=data.username, password=password)
    except AppError as exc:
        return render(
            request, "register.html", {"error": error_message(request, exc), "form": form}, status_code=422
        )
    except ValueError as exc:  # pydantic validation of the form
        error = {"message": str(exc).splitlines()[0], "details": []}
        return render(request, "register.html", {"error": error, "form": form}, status_code=422)
    notice = "registered"
    try:
        if data.kind is UserKind.PERSON and real_name.strip() and resident_id.strip():
            identity.verify_person(
                platform, actor=principal, real_name=real_name, resident_id=resident_id, mobile=mobile
            )
            notice = "verified"
        elif (
            data.kind is UserKind.COMPANY and credit_code.strip() and licence is not None and licence.filename
        ):
            identity.submit_company_verification(
                platform,
                actor=principal,
                credit_code=credit_code,
                organization_name=organization_name,
                licence_filename=licence.filename,
                licence=licence.file,
            )
            notice = "verification_submitted"
    except AppError:
        notice = "verification_failed"
    return _signed_in(request, platform, principal, f"/account?notice={notice}")


def _require_user(request: Request) -> Principal:
    principal = principal_of(request)
    if principal.is_anonymous or principal.user_id is None:
        raise NotAuthenticated()
    return principal


def account_data(request: Request, principal: Principal) -> dict[str, Any]:
    platform = platform_of(request)
    assert principal.user_id is not None
    user = identity.get_user(platform, actor=principal, user_id=principal.user_id)
    tokens = auth.list_tokens(platform, actor=principal) if principal.token_id is None else []
    total, unread, messages = inbox.list_inbox(platform, actor=principal, limit=20)
    notice = request.query_params.get("notice")
    return {
        "user": user,
        "tokens": tokens,
        "inbox": {"total": total, "unread": unread, "messages": messages},
        "notice": notice if notice in NOTICES else None,
        "new_token": None,
        "error": None,
    }


@twin_get(router, "/account")
def account(request: Request) -> Response:
    principal = _require_user(request)
    return render(request, "account.html", account_data(request, principal))


@post_form(router, "/account/tokens")
def create_token(
    request: Request, name: FormStr = "", expires_in_days: FormStr = "90", csrf_token: FormStr = ""
) -> Response:
    """The secret is shown once, on this response only (never in a URL or a later page)."""
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    _require_user(request)
    platform = platform_of(request)
    try:
        days = int(expires_in_days or 90)
        created = auth.create_token(
            platform, actor=principal, name=name.strip() or "token", scopes=["read"], expires_in_days=days
        )
    except AppError as exc:
        data = account_data(request, principal)
        data["error"] = error_message(request, exc)
        return render(request, "account.html", data, status_code=exc.status_code)
    data = account_data(request, principal)
    data["new_token"] = {"name": created.name, "token": created.token, "expires_at": created.expires_at}
    response = render(request, "account.html", data)
    response.headers["Cache-Control"] = "no-store"
    return response


@post_form(router, "/account/tokens/{token_id}/revoke")
def revoke_token(request: Request, token_id: str, csrf_token: FormStr = "") -> Response:
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    auth.revoke_token(platform_of(request), actor=principal, token_id=token_id)
    return redirect("/account?notice=token_revoked#tokens", request)


@post_form(router, "/account/inbox/{notification_id}/read")
def read_message(request: Request, notification_id: str, csrf_token: FormStr = "") -> Response:
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    inbox.mark_read(platform_of(request), actor=principal, notification_id=notification_id)
    return redirect("/account?notice=read#inbox", request)


@post_form(router, "/account/verification/person")
def verify_person(
    request: Request,
    real_name: FormStr = "",
    resident_id: FormStr = "",
    mobile: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    try:
        identity.verify_person(
            platform_of(request), actor=principal, real_name=real_name, resident_id=resident_id, mobile=mobile
        )
    except AppError as exc:
        data = account_data(request, principal)
        data["error"] = error_message(request, exc)
        return render(request, "account.html", data, status_code=exc.status_code)
    return redirect("/account?notice=verified", request)


@post_form(router, "/account/verification/company")
def verify_company(
    request: Request,
    licence: Annotated[UploadFile, File()],
    credit_code: FormStr = "",
    organization_name: FormStr = "",
    csrf_token: FormStr = "",
) -> Response:
    principal = check_form_csrf(request, {"csrf_token": csrf_token})
    try:
        identity.submit_company_verification(
            platform_of(request),
            actor=principal,
            credit_code=credit_code,
            organization_name=organization_name,
            licence_filename=licence.filename or "licence",
            licence=licence.file,
        )
    except AppError as exc:
        data = account_data(request, principal)
        data["error"] = error_message(request, exc)
        return render(request, "account.html", data, status_code=exc.status_code)
    return redirect("/account?notice=verification_submitted", request)
