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


def deny(reason_en: str, reason_zh: str) -> Decision:
    return Decision(False, reason_en, reason_zh)


SIGN_IN_FIRST = Decision(False, "sign in first", "请先登录", needs_sign_in=True)


def write_refusal(p: Principal) -> Decision | None:
    """Common refusals for any write: anonymous callers and read-only tokens (every domain's rules)."""
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if not p.may_use_scope(TokenScope.WRITE):
        return deny("this token is read-only", "该令牌为只读令牌")
    return None


def is_overseer(p: Principal) -> bool:
    """The platform's oversight: administrators, the center and the supervising authority."""
    return p.is_admin or p.has_role(Role.CENTER) or p.has_role(Role.AUTHORITY)


_deny = deny
_writer = write_refusal


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


def can_read_audit_log(p: Principal) -> Decision:
    """Search, export and verify the audit log (PLT-8, SEC-1): administrators and the authority."""
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if p.is_admin or p.has_role(Role.AUTHORITY):
        return ALLOW
    return _deny(
        "only administrators and the competent authority read the audit log",
        "仅管理员和主管部门可查阅审计日志",
    )


def can_manage_audit_log(p: Principal) -> Decision:
    """Sign checkpoints and run the retention purge: administrators only (and the CLI's system actor)."""
    refusal = _admin_action(p)
    if refusal is not None:
        return refusal
    if p.is_admin:
        return ALLOW
    return _deny("only administrators manage the audit log", "仅管理员可管理审计日志")


# ---------------------------------------------------------------------------------------------
# Working-day calendar, work orders, notifications, open-list review (issue 3).
# ---------------------------------------------------------------------------------------------


def can_manage_calendar(p: Principal) -> Decision:
    """Load a year's holiday schedule: administrators only (it moves every open deadline)."""
    refusal = _admin_action(p)
    if refusal is not None:
        return refusal
    if p.is_admin:
        return ALLOW
    return _deny("only administrators load holiday schedules", "仅管理员可导入节假日安排")


def can_view_calendar(p: Principal) -> Decision:
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if p.is_admin or p.has_role(Role.CENTER) or p.has_role(Role.AUTHORITY):
        return ALLOW
    return _deny(
        "only staff of the center or authority view calendar coverage", "仅平台运营机构和主管部门可查看"
    )


@dataclass(frozen=True)
class OrderParties:
    """Who stands where on a work order (plain values copied from the order row)."""

    requester_id: str | None
    requester_org_id: str | None
    requester_role: Role | None  # staff of the requester organization in this role may act for it
    responsible_org_id: str | None  # None: anyone holding responsible_role
    responsible_role: Role


def is_order_requester(p: Principal, parties: OrderParties) -> bool:
    if p.is_system:
        return True
    if p.user_id is not None and p.user_id == parties.requester_id:
        return True
    return bool(
        parties.requester_role is not None
        and parties.requester_org_id is not None
        and p.has_role(parties.requester_role, parties.requester_org_id)
    )


def is_order_responsible(p: Principal, parties: OrderParties) -> bool:
    return p.has_role(parties.responsible_role, parties.responsible_org_id)


def can_view_work_order(p: Principal, parties: OrderParties) -> Decision:
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if p.is_admin or p.has_role(Role.AUTHORITY) or p.has_role(Role.CENTER):
        return ALLOW
    if is_order_requester(p, parties) or is_order_responsible(p, parties):
        return ALLOW
    return _deny("this work order is not yours", "无权查看该工单")


def can_act_as(p: Principal, parties: OrderParties, party: str) -> Decision:
    """Act on a work order as `party` ("requester", "responsible" or "authority")."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if party == "requester" and is_order_requester(p, parties):
        return ALLOW
    if party == "responsible" and is_order_responsible(p, parties):
        return ALLOW
    if party == "authority" and p.has_role(Role.AUTHORITY):
        return ALLOW
    labels = {"requester": "提交方", "responsible": "承办方", "authority": "主管部门"}
    return _deny(f"only the order's {party} may do this", f"仅工单{labels.get(party, party)}可执行此操作")


def can_decide_extension(p: Principal) -> Decision:
    """Extensions of statutory deadlines are approved by the supervising authority."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.has_role(Role.AUTHORITY):
        return ALLOW
    return _deny("only the supervising authority approves extensions", "仅主管部门可批准延期")


def can_upload_work_order_file(p: Principal) -> Decision:
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.kind is None and not p.is_system:
        return _deny("sign in with a user account", "请使用用户账号登录")
    return ALLOW


def can_submit_open_list_change(p: Principal, provider_id: str) -> Decision:
    """Open-list change work orders (CAT-6) are submitted by the provider's own staff."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny(
        "only this provider's staff submit changes to its open list",
        "仅本数据开放主体工作人员可提交开放清单调整",
    )


def can_read_inbox(p: Principal) -> Decision:
    if p.is_anonymous or p.user_id is None:
        return SIGN_IN_FIRST
    return ALLOW


def can_manage_content(p: Principal) -> Decision:
    """Portal policies and news pages (PLT-4) are written by the center (and administrators)."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.is_admin or p.has_role(Role.CENTER):
        return ALLOW
    return _deny("only the center manages portal pages", "仅平台运营机构可管理门户页面")


# ---------------------------------------------------------------------------------------------
# Data store (issue 4). Reading data is decided by publicdata.datastore.access.can_read.
# ---------------------------------------------------------------------------------------------


def can_upload_data(p: Principal, provider_id: str) -> Decision:
    """Upload a new data version or override a version's column types: the provider's staff (and admins)."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.is_admin or p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny("only this provider's staff upload its data", "仅本数据开放主体工作人员可上传其数据")
