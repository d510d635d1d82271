"""Objection (QUA-3) and rights-complaint (QUA-4) API. Evidence files are uploaded first with
`POST /api/v1/workorders/uploads` and named here by upload id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from publicdata.http import PageDep, PlatformDep, PrincipalDep, page_of
from publicdata.objections import complaints, leak_trace, service
from publicdata.objections.schemas import (
    ComplaintDecisionIn,
    ComplaintIn,
    ComplaintOut,
    CorrectionIn,
    DatasetObjectionsOut,
    LeakTraceOut,
    NoteIn,
    ObjectionDecisionIn,
    ObjectionIn,
    ObjectionOut,
    SuspendIn,
)

router = APIRouter(prefix="/api/v1", tags=["objections"])


@router.post("/datasets/{ref}/objections", operation_id="submit_objection", status_code=201)
def submit_objection(platform: PlatformDep, actor: PrincipalDep, ref: str, body: ObjectionIn) -> ObjectionOut:
    return service.submit_objection(
        platform,
        actor=actor,
        dataset_ref=ref,
        kind=body.kind,
        description=body.description,
        fields=body.fields,
        rows=body.rows,
        attachments=body.attachments,
    )


@router.get("/datasets/{ref}/objections", operation_id="list_dataset_objections")
def dataset_objections(platform: PlatformDep, actor: PrincipalDep, ref: str) -> DatasetObjectionsOut:
    return service.dataset_objections(platform, actor=actor, dataset_ref=ref)


@router.get("/objections", operation_id="list_objections")
def list_objections(
    platform: PlatformDep,
    actor: PrincipalDep,
    page: PageDep,
    scope: service.Scope = "mine",
    open_only: bool = False,
) -> dict[str, Any]:
    total, items = service.list_objections(
        platform, actor=actor, scope=scope, open_only=open_only, offset=page.offset, limit=page.limit
    )
    return page_of(total, page, items)


@router.get("/objections/{objection_id}", operation_id="get_objection")
def get_objection(platform: PlatformDep, actor: PrincipalDep, objection_id: str) -> ObjectionOut:
    return service.get_objection(platform, actor=actor, objection_id=objection_id)


@router.post("/objections/{objection_id}/mark", operation_id="mark_objection")
def mark(platform: PlatformDep, actor: PrincipalDep, objection_id: str, body: NoteIn) -> ObjectionOut:
    return service.mark_objection(platform, actor=actor, objection_id=objection_id, note=body.note)


@router.post("/objections/{objection_id}/forward", operation_id="forward_objection")
def forward(platform: PlatformDep, actor: PrincipalDep, objection_id: str, body: NoteIn) -> ObjectionOut:
    return service.forward_objection(platform, actor=actor, objection_id=objection_id, note=body.note)


@router.post("/objections/{objection_id}/decision", operation_id="decide_objection")
def decide(
    platform: PlatformDep, actor: PrincipalDep, objection_id: str, body: ObjectionDecisionIn
) -> ObjectionOut:
    return service.decide_objection(
        platform,
        actor=actor,
        objection_id=objection_id,
        outcome=body.outcome,
        result=body.result,
        version=body.version,
        change_order_id=body.change_order_id,
    )


@router.post("/objections/{objection_id}/correction", operation_id="record_objection_correction")
def correction(
    platform: PlatformDep, actor: PrincipalDep, objection_id: str, body: CorrectionIn
) -> ObjectionOut:
    return service.record_correction(
        platform,
        actor=actor,
        objection_id=objection_id,
        version=body.version,
        change_order_id=body.change_order_id,
        note=body.note,
    )


@router.post("/datasets/{ref}/complaints", operation_id="submit_rights_complaint", status_code=201)
def submit_complaint(platform: PlatformDep, actor: PrincipalDep, ref: str, body: ComplaintIn) -> ComplaintOut:
    return complaints.submit_complaint(
        platform,
        actor=actor,
        dataset_ref=ref,
        right=body.right,
        description=body.description,
        fields=body.fields,
        attachments=body.attachments,
    )


@router.get("/complaints", operation_id="list_rights_complaints")
def list_complaints(
    platform: PlatformDep,
    actor: PrincipalDep,
    page: PageDep,
    scope: complaints.Scope = "mine",
    open_only: bool = False,
) -> dict[str, Any]:
    total, items = complaints.list_complaints(
        platform, actor=actor, scope=scope, open_only=open_only, offset=page.offset, limit=page.limit
    )
    return page_of(total, page, items)


@router.get("/complaints/{complaint_id}", operation_id="get_rights_complaint")
def get_complaint(platform: PlatformDep, actor: PrincipalDep, complaint_id: str) -> ComplaintOut:
    return complaints.get_complaint(platform, actor=actor, complaint_id=complaint_id)


@router.post("/complaints/{complaint_id}/suspend", operation_id="suspend_for_complaint")
def suspend(platform: PlatformDep, actor: PrincipalDep, complaint_id: str, body: SuspendIn) -> ComplaintOut:
    return complaints.suspend(platform, actor=actor, complaint_id=complaint_id, reason=body.reason)


@router.post("/complaints/{complaint_id}/decision", operation_id="decide_rights_complaint")
def decide_complaint(
    platform: PlatformDep, actor: PrincipalDep, complaint_id: str, body: ComplaintDecisionIn
) -> ComplaintOut:
    return complaints.decide(
        platform,
        actor=actor,
        complaint_id=complaint_id,
        decision=body.decision,
        note=body.note,
        version=body.version,
    )


@router.get("/complaints/{complaint_id}/leak-trace", operation_id="complaint_leak_trace")
def trace(platform: PlatformDep, actor: PrincipalDep, complaint_id: str, format: str = "json") -> Any:
    result = leak_trace.leak_trace(platform, actor=actor, complaint_id=complaint_id)
    if format == "csv":
        return _csv(result)
    return result


@router.get("/complaints/{complaint_id}/leak-trace.csv", operation_id="complaint_leak_trace_csv")
def trace_csv(platform: PlatformDep, actor: PrincipalDep, complaint_id: str) -> Response:
    return _csv(leak_trace.leak_trace(platform, actor=actor, complaint_id=complaint_id))


def _csv(result: LeakTraceOut) -> Response:
    return Response(
        "\ufeff" + leak_trace.leak_trace_csv(result),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="leak-trace-{result.dataset_code}.csv"'},
    )
