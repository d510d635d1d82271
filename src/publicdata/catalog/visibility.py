"""Which catalog entries a principal may see, as a SQL condition shared by the listing and the search
index (one rule, so the two can never disagree)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_

from publicdata.catalog.model import VISIBLE_STATES
from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal


def visibility_clause(actor: Principal, state: Any, provider_id: Any) -> ColumnElement[bool] | None:
    """Published/static entries for everyone, plus the provider staff's own drafts; None: sees all
    (administrators, the center, the authority)."""
    if actor.is_admin or actor.has_role(Role.CENTER) or actor.has_role(Role.AUTHORITY):
        return None
    visible = state.in_([s.value for s in VISIBLE_STATES])
    own = [org for role, org in actor.roles if role is Role.PROVIDER_STAFF and org]
    return or_(visible, provider_id.in_(own)) if own else visible
