"""Rendering for the portal: one data dict per page, shown as HTML or as its JSON twin.

Every page handler builds a plain dict and calls `render()`; `…/page.json` or `Accept: application/json`
returns that dict as JSON (like Datasette), otherwise the Jinja2 template gets it. Form posts carry the
session's CSRF token in a hidden `csrf_token` field (or the `X-CSRF-Token` header); anonymous forms
(login, register) use a double-submit cookie.
"""

from __future__ import annotations

import functools
import hmac
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec
from urllib.parse import quote

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from publicdata.errors import AppError, NotAuthenticated, PermissionDenied
from publicdata.http import (
    CSRF_HEADER,
    get_platform,
    resolve_principal,
)
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.platform import Platform
from publicdata.web.i18n import LANG_COOKIE, Formatter, gettext_for, page_language

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"
FORM_CSRF_COOKIE = "publicdata_form_csrf"
CSRF_FIELD = "csrf_token"

env = Environment(
    loader=FileSystemLoader(str(TEMPLATE_DIR)),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

P = ParamSpec("P")


def wants_json(request: Request) -> bool:
    if request.url.path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return accept.startswith("application/json")


def highlight(text: str, query: str | None) -> Markup:
    """Escape `text` and wrap each query word in <mark> (server-side highlighting)."""
    safe = str(escape(text))
    words = [str(escape(w)) for w in (query or "").split() if w.strip()]
    if not words:
        return Markup(safe)
    pattern = re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)), re.I)
    return Markup(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", safe))


def principal_of(request: Request) -> Principal:
    """Who is looking at a page (no CSRF check here: reads are safe, and form posts check the token
    themselves with `check_form_csrf`)."""
    return resolve_principal(request, get_platform(request))


def check_form_csrf(request: Request, form: dict[str, Any]) -> Principal:
    """The principal of a form post, after checking its CSRF token (session or double-submit cookie)."""
    principal = principal_of(request)
    if principal.token_id is not None:
        return principal  # bearer tokens are not sent by browsers on their own
    sent = str(form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or "")
    expected = getattr(request.state, "csrf_token", None) or request.cookies.get(FORM_CSRF_COOKIE)
    if not expected or not sent or not hmac.compare_digest(sent.encode(), str(expected).encode()):
        raise PermissionDenied(
            "missing or wrong CSRF token", message_zh="缺少或错误的CSRF令牌", code="csrf_failed"
        )
    return principal


def csrf_for(request: Request) -> str:
    """The token a form on this page must carry."""
    principal_of(request)
    token = getattr(request.state, "csrf_token", None)
    if token:
        return str(token)
    token = request.cookies.get(FORM_CSRF_COOKIE) or getattr(request.state, "new_form_csrf", None)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.new_form_csrf = token
    return str(token)


def viewer(principal: Principal) -> dict[str, Any] | None:
    if principal.is_anonymous:
        return None
    return {
        "user_id": principal.user_id,
        "username": principal.username,
        "kind": principal.kind.value if principal.kind else None,
        "roles": sorted(r.value for r, _ in principal.roles),
        "is_provider": principal.has_role(Role.PROVIDER_STAFF),
        "is_center": principal.has_role(Role.CENTER) or principal.is_admin,
    }


def _finish(request: Request, response: Response) -> Response:
    lang = request.query_params.get("lang")
    if lang in ("zh", "en"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax")
    new_csrf = getattr(request.state, "new_form_csrf", None)
    if new_csrf:
        response.set_cookie(FORM_CSRF_COOKIE, new_csrf, httponly=True, samesite="strict")
    return response


def render(
    request: Request,
    template: str,
    data: dict[str, Any],
    *,
    status_code: int = 200,
    view: dict[str, Any] | None = None,
) -> Response:
    """The page's data as JSON (its twin) or through its template; `view` holds what only the template
    needs (e.g. which sub-templates to include), never part of the twin."""
    if wants_json(request):
        return _finish(request, JSONResponse(jsonable_encoder(data), status_code=status_code))
    lang = page_language(request)
    principal = principal_of(request)
    context = {
        **data,
        **(view or {}),
        "_": gettext_for(lang),
        "lang": lang,
        "fmt": Formatter(lang),
        "me": viewer(principal),
        "csrf_token": csrf_for(request),
        "request_path": request.url.path,
        "query_string": str(request.query_params),
        "json_url": json_url(request),
        "lang_url": lambda target: _with_lang(request, target),
        "highlight": highlight,
    }
    html = env.get_template(template).render(context)
    return _finish(request, HTMLResponse(html, status_code=status_code))


def json_url(request: Request) -> str:
    path = request.url.path.rstrip("/") or ""
    path = (path or "/index") + ".json"
    query = request.url.query
    return f"{path}?{query}" if query else path


def _with_lang(request: Request, target: str) -> str:
    params = dict(request.query_params)
    params["lang"] = target
    query = "&".join(f"{quote(k)}={quote(v)}" for k, v in params.items())
    return f"{request.url.path}?{query}"


def redirect(url: str, request: Request | None = None) -> Response:
    response: Response = RedirectResponse(url, status_code=303)
    return _finish(request, response) if request is not None else response


def render_error(request: Request, exc: AppError) -> Response:
    lang = page_language(request)
    if isinstance(exc, NotAuthenticated) and not wants_json(request) and request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return redirect(f"/login?next={quote(target)}", request)
    if wants_json(request):
        return JSONResponse(exc.to_dict(lang), status_code=exc.status_code, headers=exc.headers)
    payload = exc.to_dict(lang)["error"]
    return render(request, "error.html", {"error": payload}, status_code=exc.status_code)


def error_message(request: Request, exc: AppError) -> dict[str, Any]:
    """An error to show inside a form (message in the page language, field details)."""
    payload: dict[str, Any] = exc.to_dict(page_language(request))["error"]
    return payload


def page_view(fn: Callable[P, Response]) -> Callable[P, Response]:
    """Turn service errors raised by a page into an error page (or the JSON error for the twin)."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Response:
        try:
            return fn(*args, **kwargs)
        except AppError as exc:
            request = kwargs.get("request")
            if not isinstance(request, Request):
                raise
            return render_error(request, exc)

    return wrapper


def platform_of(request: Request) -> Platform:
    return get_platform(request)


def twin_get(router: Any, path: str) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    """Register a GET page at `path` and its JSON twin at `path.json` (the home page: /index.json)."""

    def decorate(fn: Callable[P, Response]) -> Callable[P, Response]:
        wrapped = page_view(fn)
        json_path = "/index.json" if path == "/" else f"{path}.json"
        router.add_api_route(json_path, wrapped, methods=["GET"], include_in_schema=False)
        router.add_api_route(path, wrapped, methods=["GET"], include_in_schema=False)
        return wrapped

    return decorate


def post_form(router: Any, path: str) -> Callable[[Callable[P, Response]], Callable[P, Response]]:
    def decorate(fn: Callable[P, Response]) -> Callable[P, Response]:
        wrapped = page_view(fn)
        router.add_api_route(path, wrapped, methods=["POST"], include_in_schema=False)
        return wrapped

    return decorate
