"""Who may do what with grants, usage reports, violations and misuse reports. Pure functions."""

from __future__ import annotations

from publicdata.identity.model import Role
from publicdata.identity.permissions import ALLOW, SIGN_IN_FIRST, Decision, Principal
from publicdata.identity.permissions import deny as _deny
from publicdata.identity.permissions import write_refusal as _writer


def _overseer(p: Principal) -> bool:
    return p.is_system or p.is_admin or p.has_role(Role.CENTER)


def can_view_grant(p: Principal, *, holder_id: str, provider_id: str) -> Decision:
    """The holder, the provider's staff, the center, the authority and administrators."""
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if p.user_id == holder_id or _overseer(p) or p.has_role(Role.AUTHORITY):
        return ALLOW
    if p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny("this grant is not yours", "无权查看该授权")


def can_manage_grant(p: Principal, *, provider_id: str) -> Decision:
    """Suspend, resume, close a grant; record its offline delivery: the provider's staff, the center."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if _overseer(p) or p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny(
        "only the data provider's staff or the open-data center manage grants",
        "仅数据开放主体或开放数据中心可管理授权",
    )


def can_record_offline_delivery(p: Principal, *, provider_id: str) -> Decision:
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.is_admin or p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny("only the data provider's staff record offline delivery", "仅数据开放主体可登记线下交付")


def can_act_as_holder(p: Principal, *, holder_id: str) -> Decision:
    """File a usage report, take delivery of a token: the grant holder only."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.user_id == holder_id:
        return ALLOW
    return _deny("only the grant holder does this", "仅被授权人可操作")


def can_view_flags(p: Principal, *, provider_id: str | None = None) -> Decision:
    """Unusual-use flags and call logs across grants: the center, or a provider for its own grants."""
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if _overseer(p) or p.has_role(Role.AUTHORITY):
        return ALLOW
    if provider_id is not None and p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    if provider_id is None and p.organization_id and p.has_role(Role.PROVIDER_STAFF, p.organization_id):
        return ALLOW
    return _deny("only the center or the data provider see usage flags", "仅开放数据中心或数据开放主体可查看")


def can_record_violation(p: Principal, *, provider_id: str | None, measure: str) -> Decision:
    """The center records any violation; a provider records one about its own dataset and may only
    restrict access to it (closing all of a user's access is the center's decision)."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if _overseer(p):
        return ALLOW
    if provider_id is not None and p.has_role(Role.PROVIDER_STAFF, provider_id):
        if measure == "restrict":
            return ALLOW
        return _deny("only the center closes a user's access", "仅开放数据中心可关闭用户访问")
    return _deny(
        "only the center or the data provider record violations", "仅开放数据中心或数据开放主体可登记违规"
    )


def can_handle_misuse_reports(p: Principal) -> Decision:
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if _overseer(p):
        return ALLOW
    return _deny("only the open-data center handles misuse reports", "仅开放数据中心可处理违规举报")
