"""Open-list change review API (CAT-6): submit, return with reasons, resubmit, approve.

Each call is a step of an `open_list_change` work order; the generic work-order endpoints
(`/api/v1/workorders/...`) show the same orders with their history and deadlines.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from publicdata.catalog import review
from publicdata.catalog.review import ChangeKind, ReturnReason
from publicdata.http import PageDep, PlatformDep, PrincipalDep, page_of
from publicdata.identity.model import Role
from publicdata.workorders import service as workorders
from publicdata.workorders.schemas import WorkOrderOut

router = APIRouter(prefix="/api/v1/open-list", tags=["open-list review"])


class ChangeIn(BaseModel):
    dataset: str = Field(description="dataset id or code")
    change: ChangeKind
    reason: str = Field(min_length=1, max_length=5000)
    proposed: dict[str, Any] | None = Field(
        default=None, description="for published entries: the changed open-list fields (DatasetPatch)"
    )
    documents: list[str] = Field(default_factory=list, max_length=20, description="upload ids")


class ReturnIn(BaseModel):
    reasons: Annotated[list[ReturnReason], Field(min_length=1)]
    other_text: str = Field(default="", max_length=2000)
    note: str = Field(default="", max_length=5000)


class ResubmitIn(BaseModel):
    note: str = Field(default="", max_length=5000)
    proposed: dict[str, Any] | None = None
    documents: list[str] = Field(default_factory=list, max_length=20)


class DecisionIn(BaseModel):
    note: str = Field(default="", max_length=5000)


@router.get("/return-reasons", operation_id="list_open_list_return_reasons")
def return_reasons() -> list[dict[str, str]]:
    return [
        {"value": r.value, "label": zh, "label_en": en} for r, (zh, en) in review.RETURN_REASON_LABELS.items()
    ]


@router.get("/changes", operation_id="list_open_list_changes")
def list_changes(
    platform: PlatformDep,
    actor: PrincipalDep,
    page: PageDep,
    scope: workorders.Scope | None = None,
    state: str | None = None,
    open_only: bool = False,
) -> dict[str, Any]:
    """Default scope: the review queue for the center, the organization's orders for providers."""
    if scope is None:
        scope = "queue" if actor.has_role(Role.CENTER) else "organization"
    total, items = workorders.list_orders(
        platform,
        actor=actor,
        scope=scope,
        type=review.OPEN_LIST_CHANGE.name,
        state=state,
        open_only=open_only,
        offset=page.offset,
        limit=page.limit,
    )
    return page_of(total, page, items)


@router.post("/changes", operation_id="submit_open_list_change", status_code=201)
def submit_change(platform: PlatformDep, actor: PrincipalDep, body: ChangeIn) -> WorkOrderOut:
    return review.submit_open_list_change(
        platform,
        actor=actor,
        dataset_ref=body.dataset,
        change=body.change,
        reason=body.reason,
        proposed=body.proposed,
        documents=body.documents,
    )


@router.post("/changes/{order_id}/return", operation_id="return_open_list_change")
def return_change(platform: PlatformDep, actor: PrincipalDep, order_id: str, body: ReturnIn) -> WorkOrderOut:
    return review.return_change(
        platform,
        actor=actor,
        order_id=order_id,
        reasons=body.reasons,
        other_text=body.other_text,
        note=body.note,
    )


@router.post("/changes/{order_id}/resubmit", operation_id="resubmit_open_list_change")
def resubmit_change(
    platform: PlatformDep, actor: PrincipalDep, order_id: str, body: ResubmitIn
) -> WorkOrderOut:
    return review.resubmit_change(
        platform,
        actor=actor,
        order_id=order_id,
        note=body.note,
        proposed=body.proposed,
        documents=body.documents,
    )


@router.post("/changes/{order_id}/approve", operation_id="approve_open_list_change")
def approve_change(
    platform: PlatformDep, actor: PrincipalDep, order_id: str, body: DecisionIn
) -> WorkOrderOut:
    return review.approve_change(platform, actor=actor, order_id=order_id, note=body.note)
