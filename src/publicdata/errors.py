"""One error shape for every API: {"error": {"code", "message", "message_en", "details"}}.

Services raise these; the web layer renders them. Codes are stable strings clients may rely on.
"""

from __future__ import annotations

from typing import Any


class AppError(Exception):
    status_code = 400
    code = "bad_request"
    message_zh = "请求有误"
    message_en = "Bad request"

    def __init__(
        self,
        message_en: str | None = None,
        *,
        message_zh: str | None = None,
        code: str | None = None,
        details: Any = None,
        status_code: int | None = None,
    ) -> None:
        self.message_en = message_en or type(self).message_en
        self.message_zh = message_zh or type(self).message_zh
        self.code = code or type(self).code
        self.details = details
        if status_code is not None:
            self.status_code = status_code
        super().__init__(self.message_en)

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the error needs (renderers send them): 401 asks for a bearer token."""
        return {"WWW-Authenticate": "Bearer"} if self.status_code == 401 else {}

    def to_dict(self, language: str = "zh") -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message_zh if language == "zh" else self.message_en,
                "message_zh": self.message_zh,
                "message_en": self.message_en,
                "details": self.details,
            }
        }


class ValidationFailed(AppError):
    status_code = 422
    code = "validation_failed"
    message_zh = "提交的内容未通过校验"
    message_en = "The submitted data is not valid"


class NotAuthenticated(AppError):
    status_code = 401
    code = "not_authenticated"
    message_zh = "请先登录"
    message_en = "Authentication required"


class PermissionDenied(AppError):
    status_code = 403
    code = "permission_denied"
    message_zh = "没有执行此操作的权限"
    message_en = "You are not allowed to do this"


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    message_zh = "未找到"
    message_en = "Not found"


class Conflict(AppError):
    status_code = 409
    code = "conflict"
    message_zh = "与现有数据冲突"
    message_en = "Conflicts with existing data"


class TooManyRequests(AppError):
    status_code = 429
    code = "too_many_requests"
    message_zh = "请求过于频繁，请稍后再试"
    message_en = "Too many requests, try again later"


def field_problems(problems: list[tuple[str, str]]) -> list[dict[str, str]]:
    """Render (field, message) pairs for the `details` of a validation error."""
    return [{"field": field, "message": message} for field, message in problems]


class BadRequest(AppError):
    """A request the server understood but refuses as malformed (unknown column, forbidden SQL …): 400."""

    status_code = 400
    code = "bad_request"
    message_zh = "请求有误"
    message_en = "Bad request"


class RateLimited(TooManyRequests):
    """429 with the number of seconds to wait; renderers send it as the `Retry-After` header."""

    def __init__(self, retry_after: int, **kwargs: Any) -> None:
        super().__init__(
            kwargs.pop("message_en", f"too many requests; retry after {retry_after} s"),
            message_zh=kwargs.pop("message_zh", f"请求过于频繁，请 {retry_after} 秒后重试"),
            details={"retry_after": retry_after},
            **kwargs,
        )
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}
