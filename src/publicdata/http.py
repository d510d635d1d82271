"""HTTP plumbing shared by every router: who is calling, language, pagination, error rendering."""

from __future__ import annotations

import hmac
import logging
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from itsdangerous import BadSignature, URLSafeSerializer
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from publicdata.errors import AppError, NotAuthenticated, PermissionDenied
from publicdata.identity import auth
from publicdata.identity.permissions import Principal
from publicdata.platform import Platform

log = logging.getLogger("publicdata.http")

SESSION_COOKIE = "publicdata_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

T = TypeVar("T")


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


async def platform_dependency(request: Request) -> Platform:
    # async: FastAPI runs a plain `def` dependency in the thread pool, a hop every request paid.
    return get_platform(request)


PlatformDep = Annotated[Platform, Depends(platform_dependency)]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def session_serializer(platform: Platform) -> URLSafeSerializer:
    return platform.session_serializer


def read_session_cookie(request: Request, platform: Platform) -> str | None:
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        return None
    try:
        value = session_serializer(platform).loads(raw)
    except BadSignature:
        return None
    return value if isinstance(value, str) else None


def resolve_principal(request: Request, platform: Platform) -> Principal:
    """Bearer token first (scripts), then the session cookie (browsers), else anonymous; cached on the
    request. Sets `request.state.csrf_token` for session callers; checking it is the caller's job."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    ip = client_ip(request)
    header = request.headers.get("Authorization", "")
    principal = Principal(client_ip=ip)
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("use 'Authorization: Bearer <token>'", message_zh="认证头格式错误")
        principal = auth.principal_from_token(platform, token=token.strip(), client_ip=ip)
    else:
        session_id = read_session_cookie(request, platform)
        found = (
            auth.principal_from_session(platform, session_id=session_id, client_ip=ip) if session_id else None
        )
        if found is not None:
            principal, request.state.csrf_token = found
            request.state.session_id = session_id
    request.state.principal = principal
    return principal


def get_principal(request: Request, platform: PlatformDep) -> Principal:
    """The API's principal: session callers must echo their CSRF token on unsafe methods."""
    principal = resolve_principal(request, platform)
    csrf_token = getattr(request.state, "csrf_token", None)
    if csrf_token is not None and principal.token_id is None and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER) or ""
        # A cross-site form cannot read our CSRF token, so it cannot forge this header.
        if not hmac.compare_digest(sent.encode(), csrf_token.encode()):
            raise PermissionDenied(
                "missing or wrong CSRF token", message_zh="缺少或错误的CSRF令牌", code="csrf_failed"
            )
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_user(principal: PrincipalDep) -> Principal:
    if principal.is_anonymous:
        raise NotAuthenticated()
    return principal


UserDep = Annotated[Principal, Depends(require_user)]


def language(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang")
    if not lang:
        accept = request.headers.get("Accept-Language", "")
        lang = "en" if accept.lower().startswith("en") else "zh"
    return "en" if lang.lower().startswith("en") else "zh"


class Page(BaseModel, Generic[T]):
    total: int
    offset: int
    limit: int
    items: list[T]


class PageParams(BaseModel):
    offset: int
    limit: int


def page_params(
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> PageParams:
    return PageParams(offset=offset, limit=limit)


PageDep = Annotated[PageParams, Depends(page_params)]


def install_error_handlers(app: FastAPI) -> None:
    """Every error, expected or not, leaves in the one JSON shape."""

    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(exc.to_dict(language(request)), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {
                "field": ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")),
                "message": err.get("msg", ""),
                "type": err.get("type", ""),
            }
            for err in exc.errors()
        ]
        error = AppError(
            "the request is not valid",
            message_zh="请求参数不符合要求",
            code="invalid_request",
            details=details,
            status_code=422,
        )
        return JSONResponse(error.to_dict(language(request)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {
            404: ("not_found", "未找到", "Not found"),
            405: ("method_not_allowed", "不支持的请求方法", "Method not allowed"),
        }
        code, zh, en = codes.get(exc.status_code, ("http_error", "请求失败", str(exc.detail)))
        error = AppError(en, message_zh=zh, code=code, status_code=exc.status_code)
        return JSONResponse(error.to_dict(language(request)), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        error = AppError(
            "an internal error occurred; it has been logged",
            message_zh="服务器内部错误，已记录",
            code="internal_error",
            status_code=500,
        )
        return JSONResponse(error.to_dict(language(request)), status_code=500)


def page_of(total: int, params: PageParams, items: list[Any]) -> dict[str, Any]:
    return {"total": total, "offset": params.offset, "limit": params.limit, "items": items}
