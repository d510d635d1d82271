"""Who may do what with quality reports, check configuration, monitoring and samples. Pure Python."""

from __future__ import annotations

from publicdata.identity.model import Role
from publicdata.identity.permissions import ALLOW, SIGN_IN_FIRST, Decision, Principal
from publicdata.identity.permissions import deny as _deny
from publicdata.identity.permissions import write_refusal as _writer


def can_configure_quality(p: Principal, provider_id: str) -> Decision:
    """Key columns and constraints of a dataset's checks: its provider's staff (and admins)."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.is_admin or p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny(
        "only this provider's staff configure its quality checks", "仅本数据开放主体工作人员可配置质量检查"
    )


def can_monitor_quality(p: Principal) -> Decision:
    """The cross-provider monitoring view: the center, the supervising authority, administrators."""
    if p.is_anonymous:
        return SIGN_IN_FIRST
    if p.is_admin or p.has_role(Role.CENTER) or p.has_role(Role.AUTHORITY):
        return ALLOW
    return _deny(
        "only the center and the authority monitor quality", "仅平台运营机构和主管部门可查看质量监测"
    )


def can_make_sample(p: Principal, provider_id: str) -> Decision:
    """Draw a sample of a conditional dataset: its provider's staff, the center, administrators."""
    refusal = _writer(p)
    if refusal is not None:
        return refusal
    if p.is_admin or p.has_role(Role.CENTER) or p.has_role(Role.PROVIDER_STAFF, provider_id):
        return ALLOW
    return _deny(
        "only the provider's staff or the center draw samples",
        "仅本数据开放主体工作人员或平台运营机构可生成样本",
    )


def can_publish_sample(p: Principal) -> Decision:
    """A sample is published in the same step by the center or an administrator; otherwise it waits
    for the ordinary review."""
    if p.is_admin or p.has_role(Role.CENTER):
        return ALLOW
    return _deny("samples drawn by provider staff go through review", "主体生成的样本须经审核后发布")
