"""Who may read a dataset's rows — the one rule behind records, SQL and downloads. Pure Python.

- Unconditional data that is visible (published or static): anyone, anonymous callers included
  (ACC-1: no registration, no application).
- Conditional data: only holders of a grant. Grants arrive with the conditional-access issue; until
  then `has_grant` answers False for everyone — the extension point is `set_grant_check`.
- Not-open data: never, for anyone outside the owning provider.
- Preview: the owning provider's staff read their own data in any state and class; the center and
  administrators read unpublished (draft / in-review) data to review it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

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

GrantCheck = Callable[[Principal, ReadableDataset], bool]


def _no_grants(principal: Principal, dataset: ReadableDataset) -> bool:
    return False


_grant_check: GrantCheck = _no_grants


def set_grant_check(check: GrantCheck) -> None:
    """Extension point for the conditional-access issue: install the lookup of valid access grants."""
    global _grant_check
    _grant_check = check


def has_grant(principal: Principal, dataset: ReadableDataset) -> bool:
    """Does `principal` hold a valid access grant for this conditional dataset? (No grants exist yet.)"""
    if principal.is_anonymous:
        return False
    return _grant_check(principal, dataset)


def _deny(en: str, zh: str, *, sign_in: bool = False) -> Decision:
    return Decision(False, en, zh, needs_sign_in=sign_in)


def is_preview(principal: Principal, dataset: ReadableDataset) -> bool:
    if principal.is_system or principal.has_role(Role.PROVIDER_STAFF, dataset.provider_id):
        return True
    return dataset.state in UNDER_REVIEW and (principal.is_admin or principal.has_role(Role.CENTER))


def can_read(principal: Principal, dataset: ReadableDataset) -> Decision:
    if is_preview(principal, dataset):
        return ALLOW
    if dataset.state not in VISIBLE:
        return _deny("this dataset is not published", "该数据集未发布")
    if dataset.open_class == "unconditional":
        return ALLOW
    if dataset.open_class == "conditional":
        if has_grant(principal, dataset):
            return ALLOW
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
