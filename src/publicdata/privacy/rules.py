"""Who may see and change a dataset's privacy settings. Pure functions returning a Decision.

- Scan reports, rules, gate status and k-anonymity reports: the dataset's provider staff, the center,
  the authority and administrators.
- Desensitization rules, reprocessing and publication overrides: the dataset's provider staff (and
  administrators for rules and reprocessing; an override's written justification is the provider's).
- The list of all overrides: the center, the authority and administrators.
"""

from __future__ import annotations

from publicdata.identity.model import Role
from publicdata.identity.permissions import ALLOW, SIGN_IN_FIRST, Decision, Principal
from publicdata.identity.permissions import deny as _deny
from publicdata.identity.permissions import is_overseer as _overseer
from publicdata.identity.permissions import write_refusal as _writer

SIGN_IN = SIGN_IN_FIRST


def can_view_privacy(p: Principal, provider_id: str) -> Decision:
    if p.is_anonymous:
        return SIGN_IN
    if _overseer(p) or p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny(
        "only the provider's staff, the center and the authority see privacy reports",
        "仅数据开放主体工作人员、平台运营机构和主管部门可查看隐私检测结果",
    )


def can_manage_privacy(p: Principal, provider_id: str) -> Decision:
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.is_admin or p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny(
        "only this provider's staff set desensitization rules", "仅本数据开放主体工作人员可设置脱敏规则"
    )


def can_override_gate(p: Principal, provider_id: str) -> Decision:
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.is_system or p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny(
        "only this provider's staff can justify publishing personal data",
        "仅本数据开放主体工作人员可就开放个人信息作出书面说明",
    )


def can_list_overrides(p: Principal) -> Decision:
    if p.is_anonymous:
        return SIGN_IN
    if _overseer(p):
        return ALLOW
    return _deny(
        "only the center and the authority see all overrides",
        "仅平台运营机构和主管部门可查看全部例外发布说明",
    )
