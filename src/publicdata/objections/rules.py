"""Who may object, complain, see and handle objections and complaints. Pure functions like
`publicdata.identity.permissions`; the work orders add their own party checks for each action."""

from __future__ import annotations

from publicdata.identity.model import Role
from publicdata.identity.permissions import ALLOW, SIGN_IN_FIRST, Decision, Principal
from publicdata.identity.permissions import deny as _deny
from publicdata.identity.permissions import is_overseer as is_supervisor
from publicdata.identity.permissions import write_refusal as _writer


def can_object(p: Principal) -> Decision:
    """Anyone with an account objects (the result is sent to the account's inbox and mail)."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.user_id is None:
        return _deny("sign in with a user account", "请使用用户账号登录")
    return ALLOW


def can_complain(p: Principal) -> Decision:
    """A rights-holder complains from an account (identity and evidence are checked in verification)."""
    return can_object(p)


def can_view_objection(p: Principal, *, objector_id: str, provider_id: str) -> Decision:
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if p.user_id == objector_id or is_supervisor(p) or p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny("this objection is not yours", "无权查看该异议")


def can_view_complaint(p: Principal, *, complainant_id: str, provider_id: str) -> Decision:
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if p.user_id == complainant_id or is_supervisor(p) or p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny("this complaint is not yours", "无权查看该投诉")


def can_see_objection_details(p: Principal, *, objector_id: str, provider_id: str) -> bool:
    """The public sees that an objection is pending and its kind; not who objected or what they wrote."""
    return bool(can_view_objection(p, objector_id=objector_id, provider_id=provider_id))


def can_record_correction(p: Principal, provider_id: str) -> Decision:
    """Link the correcting version / change order: the provider's staff or the center."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.is_admin or p.has_role(Role.CENTER) or p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny(
        "only the provider's staff or the center record a correction", "仅数据提供方或平台运营机构可登记更正"
    )


def can_trace_leaks(p: Principal, provider_id: str) -> Decision:
    """The leak trace names users: the provider's staff, the center, the authority (and administrators)."""
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if is_supervisor(p) or p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny(
        "only the provider, the center and the authority see who used the data",
        "仅数据提供方、平台运营机构和主管部门可查看数据使用追溯",
    )


def can_handle_complaint(p: Principal, provider_id: str) -> Decision:
    """Suspend, withdraw, restore or reprocess: the provider's own staff (QUA-4)."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny(
        "only the provider's staff handle a rights complaint", "仅数据提供方工作人员可处理权利人投诉"
    )
