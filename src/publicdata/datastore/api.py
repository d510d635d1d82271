"""Data-store API: uploads and ingest jobs, versions and schema, records, SQL, downloads.

Records query syntax (GET /api/v1/datasets/{ref}/records):
  col=v (equality; repeat the parameter for OR) · col__in=a,b (OR) · col__lt / __lte / __gt / __gte / __ne
  · filter.col=v (same, for columns named like a parameter) · q (substring across text columns, any
  language) · fields=a,b · sort=-a,b · limit (≤ datastore_records_max_limit) · offset · next (keyset
  cursor from the previous page) · include_total=true.

Rate limits: an in-process token bucket per bearer token / signed-in user / anonymous IP. With several
app servers each enforces its own limit (no shared store is configured yet).
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, Field

from publicdata.datastore import ingest_service, service
from publicdata.datastore.model import TokenBucket, content_disposition
from publicdata.errors import RateLimited
from publicdata.http import PlatformDep, PrincipalDep
from publicdata.platform import Platform

router = APIRouter(prefix="/api/v1", tags=["datastore"])

_buckets: dict[tuple[str, str], TokenBucket] = {}
_buckets_lock = threading.Lock()


def _bucket(platform: Platform, kind: str) -> TokenBucket:
    s = platform.settings
    per_minute = (
        s.datastore_rate_limit_anonymous_per_minute
        if kind == "anonymous"
        else s.datastore_rate_limit_token_per_minute
    )
    key = (str(s.resolved_data_dir), kind)
    with _buckets_lock:
        bucket = _buckets.get(key)
        if bucket is None or bucket.per_minute != per_minute:
            bucket = _buckets[key] = TokenBucket(per_minute)
        return bucket


async def rate_limit(request: Request, platform: PlatformDep, principal: PrincipalDep) -> None:
    # async (in-memory work only), so it runs on the event loop rather than a thread-pool hop.
    if principal.is_system:
        return
    if principal.token_id:
        kind, key = "token", f"token:{principal.token_id}"
    elif principal.user_id:
        kind, key = "token", f"user:{principal.user_id}"
    else:
        kind, key = (
            "anonymous",
            f"ip:{principal.client_ip or (request.client.host if request.client else '-')}",
        )
    bucket = _bucket(platform, kind)
    with _buckets_lock:
        wait = bucket.take(key)
    if wait:
        raise RateLimited(wait)


Limited = Depends(rate_limit)


class SchemaOverrideIn(BaseModel):
    types: dict[str, str] = Field(
        description="column name → integer | decimal | text | date | datetime | boolean | geometry"
    )


class SqlIn(BaseModel):
    sql: str = Field(max_length=20_000)


@router.post("/datasets/{ref}/uploads", operation_id="upload_data", status_code=202)
def upload_data(
    platform: PlatformDep,
    actor: PrincipalDep,
    ref: str,
    file: Annotated[UploadFile, File()],
    encoding: Annotated[str | None, Form()] = None,
    sheet: Annotated[str | None, Form()] = None,
    format: Annotated[str | None, Form()] = None,
    wait: Annotated[bool, Query(description="run the ingest before answering")] = False,
) -> dict[str, Any]:
    return ingest_service.upload(
        platform,
        actor=actor,
        ref=ref,
        filename=file.filename or "upload",
        stream=file.file,
        encoding=encoding or None,
        sheet=sheet or None,
        fmt=format or None,
        wait=wait,
    )


@router.get("/datasets/{ref}/ingest-jobs/{job_id}", operation_id="get_ingest_job")
def get_ingest_job(platform: PlatformDep, actor: PrincipalDep, ref: str, job_id: str) -> dict[str, Any]:
    return ingest_service.get_job(platform, actor=actor, ref=ref, job_id=job_id)


@router.get("/datasets/{ref}/versions", operation_id="list_data_versions")
def list_versions(platform: PlatformDep, actor: PrincipalDep, ref: str) -> list[dict[str, Any]]:
    return service.list_versions(platform, actor=actor, ref=ref)


@router.get("/datasets/{ref}/versions/{version}", operation_id="get_data_version")
def get_version(platform: PlatformDep, actor: PrincipalDep, ref: str, version: int) -> dict[str, Any]:
    return service.get_version(platform, actor=actor, ref=ref, version=version)


@router.patch("/datasets/{ref}/versions/{version}/schema", operation_id="override_data_schema")
def override_schema(
    platform: PlatformDep, actor: PrincipalDep, ref: str, version: int, body: SchemaOverrideIn
) -> dict[str, Any]:
    return ingest_service.override_schema(platform, actor=actor, ref=ref, version=version, types=body.types)


def _params(request: Request) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query_params.multi_items() if k != "version"]


@router.get(
    "/datasets/{ref}/records",
    operation_id="query_records",
    dependencies=[Limited],
    response_model=dict[str, Any],
)
def query_records(
    request: Request,
    platform: PlatformDep,
    actor: PrincipalDep,
    ref: str,
    version: int | None = None,
) -> JSONResponse:
    # The answer is JSON-ready (scalars only): skip FastAPI's per-value encoder, the costliest step of a
    # cached page.
    return JSONResponse(
        service.query_records(platform, actor=actor, ref=ref, params=_params(request), version=version)
    )


@router.get(
    "/datasets/{ref}/versions/{version}/records",
    operation_id="query_version_records",
    dependencies=[Limited],
    response_model=dict[str, Any],
)
def query_version_records(
    request: Request, platform: PlatformDep, actor: PrincipalDep, ref: str, version: int
) -> JSONResponse:
    return JSONResponse(
        service.query_records(platform, actor=actor, ref=ref, params=_params(request), version=version)
    )


@router.post("/sql", operation_id="query_sql", dependencies=[Limited])
def query_sql(platform: PlatformDep, actor: PrincipalDep, body: SqlIn) -> dict[str, Any]:
    return service.sql_query(platform, actor=actor, sql=body.sql)


def _file(found: service.Download) -> FileResponse:
    return FileResponse(
        found.path,
        media_type=found.media_type,
        headers={"Content-Disposition": content_disposition(found.filename)},
    )


@router.get("/datasets/{ref}/download.{fmt}", operation_id="download_data", dependencies=[Limited])
def download_data(
    platform: PlatformDep, actor: PrincipalDep, ref: str, fmt: str, bom: bool = False
) -> FileResponse:
    return _file(service.download(platform, actor=actor, ref=ref, fmt=fmt, bom=bom))


@router.get(
    "/datasets/{ref}/versions/{version}/download.{fmt}",
    operation_id="download_data_version",
    dependencies=[Limited],
)
def download_version(
    platform: PlatformDep, actor: PrincipalDep, ref: str, version: int, fmt: str, bom: bool = False
) -> FileResponse:
    return _file(service.download(platform, actor=actor, ref=ref, fmt=fmt, version=version, bom=bom))
