"""Who may read a dataset's rows — the one rule behind records, SQL and downloads. Pure Python.

- Unconditional data that is visible (published or static): anyone, anonymous callers included
  (ACC-1: no registration, no application).
- Conditional data: only holders of a grant that serves today (ACC-6). The caller looks the grant up
  (`publicdata.access.grant_calls.grant_standing`) and passes its `GrantStanding`; the grant's SCOPE
  (allowed columns, row filter, daily quota) then shapes every read: records, SQL and downloads only
  ever see the scoped rows and columns.
- Not-open data: never, for anyone outside the owning provider.
- Preview: the owning provider's staff read their own data in any state and class; the center and
  administrators read unpublished (draft / in-review) data to review it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from publicdata.identity.model import Role
from publicdata.identity.permissions import ALLOW, Decision, Principal


@dataclass(frozen=True)
class ReadableDataset:
    id: str
    code: str
    provider_id: str
    open_class: str  # unconditional | conditional | not_open
    state: str  # draft | in_review | published | suspended | withdrawn | static


VISIBLE = frozenset({"published", "static"})
UNDER_REVIEW = frozenset({"draft", "in_review"})


@dataclass(frozen=True)
class GrantScope:
    """What a grant lets its holder read: these columns, rows passing the filter, so many calls a day."""

    grant_id: str
    fields: tuple[str, ...]
    row_filter: tuple[dict[str, Any], ...] = ()
    daily_quota: int = 0


@dataclass(frozen=True)
class GrantStanding:
    """The caller's grant for a dataset: a scope that serves, or why it does not (suspended, closed,
    expired, access restricted by a violation)."""

    scope: GrantScope | None
    refusal_code: str = ""
    refusal_en: str = ""
    refusal_zh: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def _deny(en: str, zh: str, *, sign_in: bool = False) -> Decision:
    return Decision(False, en, zh, needs_sign_in=sign_in)


def is_preview(principal: Principal, dataset: ReadableDataset) -> bool:
    if principal.is_system or principal.has_role(Role.PROVIDER_STAFF, dataset.provider_id):
        return True
    return dataset.state in UNDER_REVIEW and (principal.is_admin or principal.has_role(Role.CENTER))


def has_grant(principal: Principal, standing: GrantStanding | None) -> bool:
    return not principal.is_anonymous and standing is not None and standing.scope is not None


def can_read(principal: Principal, dataset: ReadableDataset, grant: GrantStanding | None = None) -> Decision:
    """The one read rule. `grant` is the caller's grant standing for a conditional dataset (None: no
    grant at all). When this allows a conditional read by a grant holder, the read is limited to
    `grant.scope` (see `scope_for`)."""
    if is_preview(principal, dataset):
        return ALLOW
    if dataset.state not in VISIBLE:
        return _deny("this dataset is not published", "该数据集未发布")
    if dataset.open_class == "unconditional":
        return ALLOW
    if dataset.open_class == "conditional":
        if has_grant(principal, grant):
            return ALLOW
        if grant is not None and grant.refusal_code and not principal.is_anonymous:
            return _deny(grant.refusal_en, grant.refusal_zh)
        if principal.is_anonymous:
            return _deny(
                "conditional data needs an approved application",
                "有条件开放数据须申请获批后使用",
                sign_in=True,
            )
        return _deny(
            "conditional data needs an approved application (access grant)",
            "有条件开放数据须申请获批后使用",
        )
    return _deny("this dataset is not open", "该数据不予开放")


def scope_for(
    principal: Principal, dataset: ReadableDataset, grant: GrantStanding | None
) -> GrantScope | None:
    """The scope a permitted read is limited to: None (everything) for previews, unconditional data
    and anything but a conditional read under a grant."""
    if is_preview(principal, dataset) or dataset.open_class != "conditional" or grant is None:
        return None
    return grant.scope
