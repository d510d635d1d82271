"""Who may do what: the principal and one named rule per action. Pure Python.

Each service calls the rule matching its use-case, so API, web pages, CLI and tests are held to the
same rules. A rule returns a Decision so the refusal can say why.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from publicdata.identity.model import Role, TokenScope, UserKind, VerificationLevel


@dataclass(frozen=True)
class Principal:
    """Who is acting: a user (by session or token), the system (CLI, scheduled jobs), or anonymous."""

    user_id: str | None = None
    username: str = "anonymous"
    kind: UserKind | None = None
    level: VerificationLevel = VerificationLevel.L0
    # (role, organization id) pairs; organization id is None for roles without one (admin, user).
    roles: frozenset[tuple[Role, str | None]] = frozenset()
    organization_id: str | None = None
    token_id: str | None = None
    scopes: frozenset[TokenScope] = field(
        default_factory=lambda: frozenset({TokenScope.READ, TokenScope.WRITE, TokenScope.ADMIN})
    )
    is_system: bool = False
    client_ip: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None and not self.is_system

    def has_role(self, role: Role, organization_id: str | None = None) -> bool:
        if self.is_system:
            return True
        if organization_id is None:
            return any(r == role for r, _ in self.roles)
        return (role, organization_id) in self.roles

    @property
    def is_admin(self) -> bool:
        return self.is_system or self.has_role(Role.ADMIN)

    def may_use_scope(self, scope: TokenScope) -> bool:
        return self.is_system or scope in self.scopes


ANONYMOUS = Principal()
SYSTEM = Principal(username="system", is_system=True)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason_en: str = ""
    reason_zh: str = ""
    needs_sign_in: bool = False  # refused only because the caller is anonymous: 401, not 403

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)


def _deny(reason_en: str, reason_zh: str) -> Decision:
    return Decision(False, reason_en, reason_zh)


SIGN_IN_FIRST = Decision(False, "sign in first", "请先登录", needs_sign_in=True)


def _writer(p: Principal) -> Decision | None:
    """Common refusals for any write: anonymous callers and read-only tokens."""
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if not p.may_use_scope(TokenScope.WRITE):
        return _deny("this token is read-only", "该令牌为只读令牌")
    return None


def _admin_action(p: Principal) -> Decision | None:
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.token_id and not p.may_use_scope(TokenScope.ADMIN):
        return _deny("this token has no admin scope", "该令牌没有管理权限")
    return None


def can_manage_organizations(p: Principal) -> Decision:
    refusal = _admin_action(p)
    if refusal is not None:
        return refusal
    if p.is_admin:
        return ALLOW
    return _deny("only administrators manage organizations", "仅管理员可管理机构")


def can_manage_users(p: Principal) -> Decision:
    refusal = _admin_action(p)
    if refusal is not None:
        return refusal
    if p.is_admin:
        return ALLOW
    return _deny("only administrators manage staff accounts", "仅管理员可管理工作人员账号")


def can_edit_provider_catalog(p: Principal, provider_id: str) -> Decision:
    """Create or edit datasets of one provider: that provider's staff (and admins)."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.is_admin or p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny("only this provider's staff edit its datasets", "仅本数据开放主体工作人员可编辑其数据集")


def can_publish_dataset(p: Principal) -> Decision:
    """Direct publication bypassing review: administrators only (the review step is a work order)."""
    refusal = _admin_action(p)
    if refusal is not None:
        return refusal
    if p.is_admin:
        return ALLOW
    return _deny("only administrators publish directly", "仅管理员可直接发布")


def can_view_unpublished(p: Principal, provider_id: str) -> Decision:
    if p.is_admin or p.has_role(Role.CENTER) or p.has_role(Role.AUTHORITY):
        return ALLOW
    if p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny("this dataset is not published", "该数据集尚未发布")


def can_review_verifications(p: Principal) -> Decision:
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.is_admin or p.has_role(Role.CENTER):
        return ALLOW
    return _deny("only the center reviews verification requests", "仅平台运营机构可审核认证申请")


def can_request_company_verification(p: Principal) -> Decision:
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.kind in (UserKind.COMPANY, UserKind.OTHER_ORG):
        return ALLOW
    return _deny(
        "only company and organization accounts submit a licence", "仅法人及非法人组织账号可提交证照"
    )


def can_verify_person(p: Principal) -> Decision:
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.kind is UserKind.PERSON:
        return ALLOW
    return _deny("only natural persons verify a real name", "仅自然人账号可进行实名认证")


def can_manage_own_tokens(p: Principal) -> Decision:
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if p.token_id is not None:
        # A leaked token must not be able to mint more tokens.
        return _deny("tokens are managed from a signed-in session", "请在登录会话中管理令牌")
    return ALLOW


def can_view_user_list(p: Principal) -> Decision:
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if p.is_admin or p.has_role(Role.CENTER):
        return ALLOW
    return _deny("only the center and administrators list users", "仅平台运营机构和管理员可查看用户列表")
