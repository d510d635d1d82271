"""Resources attached to datasets: API endpoint descriptions, files and documents (CAT-2), and their
audited downloads."""

from __future__ import annotations

from typing import BinaryIO, Literal

from publicdata.audit.service import record_audit
from publicdata.catalog.model import OpenClass
from publicdata.catalog.schemas import ApiResourceIn, ResourceOut
from publicdata.catalog.service import find_dataset, visible_to
from publicdata.catalog.tables import Resource
from publicdata.errors import NotFound
from publicdata.identity import permissions as rules
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.platform import Platform
from publicdata.uploads import store_upload

RESOURCE_FILE_TYPES = {"application/pdf", "application/zip", "text/plain", "image/png", "image/jpeg"}
RESOURCE_MAX_BYTES = 200 * 1024 * 1024


def add_api_resource(platform: Platform, *, actor: Principal, ref: str, data: ApiResourceIn) -> ResourceOut:
    with platform.db.transaction() as session:
        dataset = find_dataset(session, ref)
        require(rules.can_edit_provider_catalog(actor, dataset.provider_id))
        resource = Resource(
            dataset=dataset,
            kind="api",
            name=data.name,
            description=data.description,
            format=data.format.value,
            url=str(data.url),
            created_by=actor.user_id,
        )
        session.add(resource)
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="resource.create",
            subject_type="resource",
            subject_id=resource.id,
            organization_id=dataset.provider_id,
            details={"dataset": dataset.code, "kind": "api", "url": resource.url},
        )
        return ResourceOut.model_validate(resource)


def add_file_resource(
    platform: Platform,
    *,
    actor: Principal,
    ref: str,
    name: str,
    filename: str,
    stream: BinaryIO,
    description: str = "",
    kind: Literal["file", "document"] = "file",
) -> ResourceOut:
    with platform.db.reading() as session:
        dataset = find_dataset(session, ref)
        require(rules.can_edit_provider_catalog(actor, dataset.provider_id))
    stored = store_upload(
        stream,
        directory=platform.settings.resolved_data_dir / "resources",
        filename=filename,
        allowed_types=RESOURCE_FILE_TYPES,
        max_bytes=RESOURCE_MAX_BYTES,
    )
    fmt = (filename.rsplit(".", 1)[-1].lower() if "." in filename else stored.media_type.split("/")[-1])[:20]
    with platform.db.transaction() as session:
        dataset = find_dataset(session, ref)
        resource = Resource(
            dataset=dataset,
            kind=kind,
            name=name or stored.original_name,
            description=description,
            format=fmt,
            file_path=str(stored.path),
            size_bytes=stored.size,
            sha256=stored.sha256,
            media_type=stored.media_type,
            created_by=actor.user_id,
        )
        session.add(resource)
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="resource.create",
            subject_type="resource",
            subject_id=resource.id,
            organization_id=dataset.provider_id,
            details={"dataset": dataset.code, "kind": kind, "sha256": stored.sha256, "size": stored.size},
        )
        return ResourceOut.model_validate(resource)


def resource_file(
    platform: Platform, *, actor: Principal, ref: str, resource_id: str
) -> tuple[ResourceOut, str]:
    """The stored file of a resource, for download; the caller streams it."""
    with platform.db.transaction() as session:
        dataset = find_dataset(session, ref)
        if not visible_to(actor, dataset) or (
            dataset.open_class != OpenClass.UNCONDITIONAL.value
            and not rules.can_view_unpublished(actor, dataset.provider_id)
        ):
            raise NotFound("resource not found", message_zh="资源不存在")
        resource = session.get(Resource, resource_id)
        if resource is None or resource.dataset_id != dataset.id or not resource.file_path:
            raise NotFound("resource not found", message_zh="资源不存在")
        record_audit(
            session,
            actor=actor,
            action="resource.download",
            subject_type="resource",
            subject_id=resource.id,
            organization_id=dataset.provider_id,
            details={"dataset": dataset.code},
        )
        return ResourceOut.model_validate(resource), resource.file_path
