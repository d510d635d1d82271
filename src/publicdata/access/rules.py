"""Who may do what with applications for conditional data (pure rules, like identity/permissions.py)."""

from __future__ import annotations

from publicdata.identity.model import Role, UserKind, VerificationLevel
from publicdata.identity.permissions import ALLOW, SIGN_IN_FIRST, Decision, Principal
from publicdata.identity.permissions import deny as _deny
from publicdata.identity.permissions import write_refusal as _writer


def is_center(p: Principal) -> bool:
    return p.is_admin or p.has_role(Role.CENTER)


def can_edit_requirements(p: Principal, provider_id: str) -> Decision:
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.is_admin or p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny("only this provider's staff set application materials", "仅本数据开放主体可设置申请材料")


def can_apply(p: Principal, min_level: str) -> Decision:
    """A verified person (L1) or company (L2) applies; the dataset sets the minimum level."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.kind not in (UserKind.PERSON, UserKind.COMPANY, UserKind.OTHER_ORG):
        return _deny("staff accounts do not apply for data", "工作人员账号不能申请数据")
    needed = VerificationLevel[min_level]
    if p.level < needed:
        return Decision(
            False,
            f"this dataset needs verification level {min_level} (you have L{int(p.level)})",
            f"该数据集要求认证等级{min_level}（当前为L{int(p.level)}），请先完成实名或企业认证",
        )
    return ALLOW


def can_check(p: Principal) -> Decision:
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if is_center(p):
        return ALLOW
    return _deny("only the center checks completeness", "仅平台运营机构可进行形式审查")


def can_decide(p: Principal, provider_id: str) -> Decision:
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny("only the provider's staff decide", "仅数据开放主体可审核决定")


def can_give_opinion(p: Principal) -> Decision:
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.has_role(Role.EXPERT):
        return ALLOW
    return _deny("only members of the expert committee give opinions", "仅专家委员会成员可出具意见")


def can_view_application(p: Principal, *, applicant_id: str, provider_id: str) -> Decision:
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if p.user_id == applicant_id or is_center(p) or p.has_role(Role.AUTHORITY) or p.has_role(Role.EXPERT):
        return ALLOW
    if p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny("this application is not yours", "无权查看该申请")


def can_manage_credit_list(p: Principal) -> Decision:
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if is_center(p):
        return ALLOW
    return _deny("only the center keeps the credit list", "仅平台运营机构可维护信用名单")


def can_view_credit_list(p: Principal) -> Decision:
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if is_center(p) or p.has_role(Role.AUTHORITY):
        return ALLOW
    return _deny("only the center sees the credit list", "仅平台运营机构可查看信用名单")
