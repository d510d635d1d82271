"""Audit log API (PLT-5, PLT-8, SEC-1): search, CSV export, verification and signed checkpoints.

Reading is for administrators and the authority; signing checkpoints for administrators. Thin: parse,
call `search` / `store`, shape the response.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from publicdata.audit import search, signing, store
from publicdata.http import PageDep, PlatformDep, PrincipalDep, page_of

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])

ActorQ = Annotated[str | None, Query(max_length=64, description="user id, or an anonymous IP hash")]
OrgQ = Annotated[str | None, Query(max_length=32)]
SubjectTypeQ = Annotated[str | None, Query(max_length=40, description="e.g. dataset, user, organization")]
SubjectQ = Annotated[str | None, Query(max_length=64, description="e.g. a dataset id")]
ActionQ = Annotated[str | None, Query(max_length=80, description="prefix match, e.g. 'auth.' or 'dataset'")]
SinceQ = Annotated[datetime | None, Query(description="inclusive; without a zone: UTC")]
UntilQ = Annotated[datetime | None, Query(description="exclusive; without a zone: UTC")]


@router.get("/entries", operation_id="search_audit_entries")
def search_entries(
    platform: PlatformDep,
    actor: PrincipalDep,
    page: PageDep,
    actor_id: ActorQ = None,
    organization_id: OrgQ = None,
    subject_type: SubjectTypeQ = None,
    subject_id: SubjectQ = None,
    action: ActionQ = None,
    since: SinceQ = None,
    until: UntilQ = None,
) -> dict[str, Any]:
    total, items = search.search_audit(
        platform,
        actor=actor,
        actor_id=actor_id,
        organization_id=organization_id,
        subject_type=subject_type,
        subject_id=subject_id,
        action=action,
        since=since,
        until=until,
        offset=page.offset,
        limit=page.limit,
    )
    return page_of(total, page, [item.model_dump(mode="json") for item in items])


@router.get(
    "/entries.csv",
    operation_id="export_audit_entries_csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV, UTF-8 with BOM"}},
)
def export_entries_csv(
    platform: PlatformDep,
    actor: PrincipalDep,
    actor_id: ActorQ = None,
    organization_id: OrgQ = None,
    subject_type: SubjectTypeQ = None,
    subject_id: SubjectQ = None,
    action: ActionQ = None,
    since: SinceQ = None,
    until: UntilQ = None,
) -> StreamingResponse:
    chunks = search.export_audit_csv(
        platform,
        actor=actor,
        actor_id=actor_id,
        organization_id=organization_id,
        subject_type=subject_type,
        subject_id=subject_id,
        action=action,
        since=since,
        until=until,
    )
    return StreamingResponse(
        (chunk.encode("utf-8") for chunk in chunks),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="audit-entries.csv"'},
    )


@router.get("/verify", operation_id="verify_audit_log")
def verify(platform: PlatformDep, actor: PrincipalDep) -> dict[str, Any]:
    return store.verify_audit_log(platform, actor=actor).to_dict()


@router.post("/checkpoints", operation_id="create_audit_checkpoint", status_code=201)
def create_checkpoint(platform: PlatformDep, actor: PrincipalDep) -> dict[str, Any]:
    cp = store.create_checkpoint(platform, actor=actor)
    body: dict[str, Any] = json.loads(signing.checkpoint_to_json(cp))
    return body


@router.get("/checkpoints", operation_id="export_audit_checkpoints")
def export_checkpoints(platform: PlatformDep, actor: PrincipalDep) -> dict[str, Any]:
    return store.export_checkpoints(platform, actor=actor)
