"""Catalog API: datasets, resources, taxonomy. Thin: parse, call the service, shape the response."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel

from publicdata.catalog import history, model, resources, service
from publicdata.catalog.schemas import (
    ApiResourceIn,
    DatasetIn,
    DatasetOut,
    DatasetPatch,
    ResourceOut,
    TaxonomyOut,
)
from publicdata.http import PageDep, PlatformDep, PrincipalDep, page_of
from publicdata.search.service import FACETS, SearchResult

router = APIRouter(prefix="/api/v1")


class StateChangeIn(BaseModel):
    state: model.DatasetState
    reason: str


@router.get("/taxonomy", operation_id="get_taxonomy", tags=["catalog"])
def taxonomy() -> TaxonomyOut:
    def labelled(labels: dict[Any, tuple[str, str]]) -> list[dict[str, str]]:
        return [{"value": k.value, "label": zh, "label_en": en} for k, (zh, en) in labels.items()]

    return TaxonomyOut(
        domains=[
            {"value": d.value, "label": zh, "label_en": en} for d, (zh, en) in model.DOMAIN_LABELS.items()
        ],
        open_classes=labelled(model.OPEN_CLASS_LABELS),
        update_frequencies=labelled(model.FREQUENCY_LABELS),
        formats=[f.value for f in model.DataFormat],
        field_types=[t.value for t in model.FieldType],
        condition_kinds=labelled(model.CONDITION_LABELS),
        not_open_reasons=labelled(model.NOT_OPEN_REASON_LABELS),
        grading_levels=model.GRADE_LEVEL_MEANINGS,
        states=[s.value for s in model.DatasetState],
    )


@router.get("/datasets", operation_id="list_datasets", tags=["catalog"])
def list_datasets(
    platform: PlatformDep,
    actor: PrincipalDep,
    page: PageDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    domain: model.Domain | None = None,
    provider: str | None = None,
    open_class: model.OpenClass | None = None,
    state: model.DatasetState | None = None,
    format: model.DataFormat | None = None,
    update_frequency: model.UpdateFrequency | None = None,
    area_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
    tag: str | None = None,
    sort: service.SortKey | None = None,
    facet: Annotated[
        list[str] | None,
        Query(
            description="facets to count: domain, provider, open_class, format, update_frequency, "
            "area_code (repeat, comma-separate, or 'all')"
        ),
    ] = None,
) -> dict[str, Any]:
    """List or search datasets. With `q` the Chinese full-text search ranks by relevance and each
    item carries `highlight`; with `facet` the response carries `facets` with counts."""
    facets = _facet_names(facet)
    result = service.list_datasets(
        platform,
        actor=actor,
        q=q,
        domain=domain,
        provider=provider,
        open_class=open_class,
        state=state,
        fmt=format,
        frequency=update_frequency,
        area_code=area_code,
        tag=tag,
        sort=sort,
        offset=page.offset,
        limit=page.limit,
        facets=facets,
    )
    total, items = result
    body = page_of(total, page, items)
    if isinstance(result, SearchResult) and result.facets is not None:
        body["facets"] = result.facets
    return body


def _facet_names(values: list[str] | None) -> list[str]:
    names = [n.strip() for v in values or [] for n in v.split(",") if n.strip()]
    return list(FACETS) if "all" in names else list(dict.fromkeys(names))


@router.post("/datasets", operation_id="create_dataset", tags=["catalog"], status_code=201)
def create_dataset(platform: PlatformDep, actor: PrincipalDep, body: DatasetIn) -> DatasetOut:
    return service.create_dataset(platform, actor=actor, data=body)


@router.get("/datasets/{ref}", operation_id="get_dataset", tags=["catalog"])
def get_dataset(platform: PlatformDep, actor: PrincipalDep, ref: str) -> DatasetOut:
    return service.get_dataset(platform, actor=actor, ref=ref)


@router.get("/datasets/{ref}/history", operation_id="get_dataset_history", tags=["catalog"])
def get_dataset_history(platform: PlatformDep, actor: PrincipalDep, ref: str) -> list[dict[str, Any]]:
    """The entry's publications, reviewed changes and state changes, newest first, with content hashes."""
    return [asdict(c) for c in history.get_entry_history(platform, actor=actor, ref=ref)]


@router.patch("/datasets/{ref}", operation_id="update_dataset", tags=["catalog"])
def update_dataset(platform: PlatformDep, actor: PrincipalDep, ref: str, body: DatasetPatch) -> DatasetOut:
    return service.update_dataset(platform, actor=actor, ref=ref, patch=body)


@router.post("/datasets/{ref}/publish", operation_id="publish_dataset", tags=["catalog"])
def publish_dataset(platform: PlatformDep, actor: PrincipalDep, ref: str) -> DatasetOut:
    return service.publish_dataset(platform, actor=actor, ref=ref)


@router.post("/datasets/{ref}/state", operation_id="change_dataset_state", tags=["catalog"])
def change_state(platform: PlatformDep, actor: PrincipalDep, ref: str, body: StateChangeIn) -> DatasetOut:
    return service.change_state(platform, actor=actor, ref=ref, target=body.state, reason=body.reason)


@router.post(
    "/datasets/{ref}/resources/api", operation_id="add_api_resource", tags=["catalog"], status_code=201
)
def add_api_resource(
    platform: PlatformDep, actor: PrincipalDep, ref: str, body: ApiResourceIn
) -> ResourceOut:
    return resources.add_api_resource(platform, actor=actor, ref=ref, data=body)


@router.post(
    "/datasets/{ref}/resources/file", operation_id="add_file_resource", tags=["catalog"], status_code=201
)
def add_file_resource(
    platform: PlatformDep,
    actor: PrincipalDep,
    ref: str,
    file: Annotated[UploadFile, File()],
    name: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
) -> ResourceOut:
    return resources.add_file_resource(
        platform,
        actor=actor,
        ref=ref,
        name=name,
        filename=file.filename or "upload",
        stream=file.file,
        description=description,
    )


@router.get(
    "/datasets/{ref}/resources/{resource_id}/file", operation_id="download_resource", tags=["catalog"]
)
def download_resource(platform: PlatformDep, actor: PrincipalDep, ref: str, resource_id: str) -> FileResponse:
    resource, path = resources.resource_file(platform, actor=actor, ref=ref, resource_id=resource_id)
    filename = resource.name if "." in resource.name else f"{resource.name}.{resource.format}"
    return FileResponse(
        Path(path), media_type=resource.media_type or "application/octet-stream", filename=filename
    )
