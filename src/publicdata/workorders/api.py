"""Work-order API: my orders, my organization's, my queue (sorted by due date), one order with its
history, actions, extensions, attachment uploads, and the registered types."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, UploadFile

from publicdata.http import PageDep, PlatformDep, PrincipalDep, page_of
from publicdata.workorders import registry, service
from publicdata.workorders.schemas import (
    ActionIn,
    ExtensionDecisionIn,
    ExtensionIn,
    UploadOut,
    WorkOrderOut,
)

router = APIRouter(prefix="/api/v1/workorders", tags=["workorders"])


@router.get("", operation_id="list_work_orders")
def list_orders(
    platform: PlatformDep,
    actor: PrincipalDep,
    page: PageDep,
    scope: service.Scope = "queue",
    type: str | None = None,
    state: str | None = None,
    open_only: bool = False,
    overdue_only: bool = False,
) -> dict[str, Any]:
    total, items = service.list_orders(
        platform,
        actor=actor,
        scope=scope,
        type=type,
        state=state,
        open_only=open_only,
        overdue_only=overdue_only,
        offset=page.offset,
        limit=page.limit,
    )
    return page_of(total, page, items)


@router.get("/types", operation_id="list_work_order_types")
def list_types() -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "label": t.label_zh,
            "label_en": t.label_en,
            "states": sorted(t.states),
            "final_states": sorted(t.final_states),
            "sla_working_days": dict(t.sla_working_days),
            "max_extension_days": t.max_extension_days,
            "responsible_role": t.responsible_role,
            "actions": [
                {"action": tr.action, "from": sorted(tr.sources), "to": tr.target, "party": tr.party.value}
                for tr in t.transitions
            ],
        }
        for t in registry.all_types()
    ]


@router.post("/uploads", operation_id="upload_work_order_attachment", status_code=201)
def upload(platform: PlatformDep, actor: PrincipalDep, file: Annotated[UploadFile, File()]) -> UploadOut:
    return service.upload_attachment(
        platform, actor=actor, filename=file.filename or "upload", stream=file.file
    )


@router.get("/{order_id}", operation_id="get_work_order")
def get_order(platform: PlatformDep, actor: PrincipalDep, order_id: str) -> WorkOrderOut:
    return service.get_order(platform, actor=actor, order_id=order_id)


@router.post("/{order_id}/actions", operation_id="act_on_work_order")
def act(platform: PlatformDep, actor: PrincipalDep, order_id: str, body: ActionIn) -> WorkOrderOut:
    return service.act_on_order(
        platform,
        actor=actor,
        order_id=order_id,
        action=body.action,
        note=body.note,
        details=body.details,
        attachments=body.attachments,
    )


@router.post("/{order_id}/extension", operation_id="request_work_order_extension")
def request_extension(
    platform: PlatformDep, actor: PrincipalDep, order_id: str, body: ExtensionIn
) -> WorkOrderOut:
    return service.request_extension(
        platform, actor=actor, order_id=order_id, days=body.days, reason=body.reason
    )


@router.post("/{order_id}/extension/decision", operation_id="decide_work_order_extension")
def decide_extension(
    platform: PlatformDep, actor: PrincipalDep, order_id: str, body: ExtensionDecisionIn
) -> WorkOrderOut:
    return service.decide_extension(
        platform, actor=actor, order_id=order_id, approve=body.approve, note=body.note
    )
