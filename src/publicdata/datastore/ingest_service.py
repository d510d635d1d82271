"""Provider-side data-store use-cases: uploads, ingest jobs, schema overrides (before publication).

Readers' use-cases (records, SQL, downloads, version listings) are in `service.py`.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.audit.service import record_audit
from publicdata.catalog.service import find_dataset
from publicdata.catalog.tables import Dataset
from publicdata.datastore import jobs
from publicdata.datastore.engine import data_dir, first_cast_failure, work_cursor
from publicdata.datastore.ingest import column_statistics
from publicdata.datastore.model import (
    ColumnType,
    effective_columns,
    quote_ident,
)
from publicdata.datastore.service import version_out, version_path
from publicdata.datastore.tables import DatasetHead, DataVersion, IngestJob
from publicdata.errors import (
    BadRequest,
    Conflict,
    NotFound,
    ValidationFailed,
)
from publicdata.identity import permissions as rules
from publicdata.identity.permissions import SYSTEM, Principal
from publicdata.identity.service import require
from publicdata.platform import Platform
from publicdata.uploads import store_upload

UPLOAD_TYPES = {"text/plain", "application/zip"}


def job_out(job: IngestJob, code: str | None = None) -> dict[str, Any]:
    return {
        "id": job.id,
        "dataset": code or job.dataset_id,
        "state": job.state,
        "progress": job.progress,
        "stage": job.stage,
        "error": job.error,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "version": job.version,
        "source_name": job.original_name,
        "size_bytes": job.size_bytes,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
    }


# ---------------------------------------------------------------------------------------------
# Ingest
# ---------------------------------------------------------------------------------------------


def _queue_job(
    platform: Platform,
    *,
    actor: Principal,
    dataset_id: str,
    path: Path,
    original_name: str,
    size: int,
    sha256: str,
    options: dict[str, Any],
) -> IngestJob:
    with platform.db.transaction() as session:
        job = IngestJob(
            dataset_id=dataset_id,
            state="queued",
            source_path=str(path),
            original_name=original_name[:200],
            size_bytes=size,
            sha256=sha256,
            options={k: v for k, v in options.items() if v},
            max_attempts=platform.settings.datastore_ingest_max_attempts,
            created_by=actor.user_id,
        )
        session.add(job)
        session.flush()
        return job


def _check_uploader(session: Session, actor: Principal, ref: str) -> Dataset:
    dataset = find_dataset(session, ref)
    require(rules.can_upload_data(actor, dataset.provider_id))
    return dataset


def upload(
    platform: Platform,
    *,
    actor: Principal,
    ref: str,
    filename: str,
    stream: BinaryIO,
    encoding: str | None = None,
    sheet: str | None = None,
    fmt: str | None = None,
    wait: bool = False,
) -> dict[str, Any]:
    """Store an upload (streamed to disk, size-capped) and queue its ingest; `wait` runs it inline."""
    with platform.db.reading() as session:
        dataset = _check_uploader(session, actor, ref)
        dataset_id, code = dataset.id, dataset.code
    stored = store_upload(
        stream,
        directory=data_dir(platform.settings) / "uploads" / dataset_id,
        filename=filename,
        allowed_types=UPLOAD_TYPES,
        max_bytes=platform.settings.datastore_upload_max_bytes,
    )
    job = _queue_job(
        platform,
        actor=actor,
        dataset_id=dataset_id,
        path=stored.path,
        original_name=stored.original_name,
        size=stored.size,
        sha256=stored.sha256,
        options={"encoding": encoding, "sheet": sheet, "format": fmt},
    )
    if wait:
        return job_out(jobs.run_until_done(platform, job.id, actor=actor), code)
    jobs.kick_worker(platform)
    return job_out(job, code)


def queue_file(
    platform: Platform,
    *,
    actor: Principal,
    ref: str,
    path: Path,
    encoding: str | None = None,
    sheet: str | None = None,
    fmt: str | None = None,
) -> str:
    """Queue the ingest of a file already on this machine (the CLI); returns the job id."""
    with platform.db.reading() as session:
        dataset_id = _check_uploader(session, actor, ref).id
    if not path.is_file():
        raise ValidationFailed(f"no such file: {path}", message_zh="文件不存在", code="file_not_found")
    # The file's hash is computed by the ingest, while DuckDB reads the file (one pass less).
    job = _queue_job(
        platform,
        actor=actor,
        dataset_id=dataset_id,
        path=path.resolve(),
        original_name=path.name,
        size=path.stat().st_size,
        sha256="",
        options={"encoding": encoding, "sheet": sheet, "format": fmt},
    )
    return job.id


def get_job(platform: Platform, *, actor: Principal, ref: str, job_id: str) -> dict[str, Any]:
    with platform.db.reading() as session:
        dataset = _check_uploader(session, actor, ref)
        job = session.get(IngestJob, job_id)
        if job is None or job.dataset_id != dataset.id:
            raise NotFound("ingest job not found", message_zh="导入任务不存在")
        return job_out(job, dataset.code)


def ingest_demo_rows(platform: Platform, *, ref: str, csv_bytes: bytes) -> int:
    """Demo loader step: ingest a generated UTF-8 CSV as the dataset's first version; returns rows."""
    job = upload(
        platform, actor=SYSTEM, ref=ref, filename=f"{ref}.csv", stream=io.BytesIO(csv_bytes), wait=True
    )
    if job["state"] != "succeeded":
        raise ValidationFailed(f"demo ingest of {ref} failed: {job['error']}", code="ingest_failed")
    with platform.db.reading() as session:
        dataset = find_dataset(session, ref)
        row = session.scalar(
            select(DataVersion.row_count).where(
                DataVersion.dataset_id == dataset.id, DataVersion.version == job["version"]
            )
        )
    return int(row or 0)


SCHEMA_FROZEN_STATES = frozenset({"published", "static", "suspended"})


def override_schema(
    platform: Platform, *, actor: Principal, ref: str, version: int, types: dict[str, str]
) -> dict[str, Any]:
    """Override column types of a version. The Parquet file stays as written (versions are
    immutable); the types are applied by casting at read time, after checking every value casts."""
    with platform.db.reading() as session:
        dataset = _check_uploader(session, actor, ref)
        if dataset.state in SCHEMA_FROZEN_STATES:
            # Users already read these types; changing them would silently change published data.
            # New uploads inherit the overrides set before publication (ingest.inherited_overrides).
            raise Conflict(
                f"column types are fixed once the dataset is published (it is {dataset.state})",
                message_zh="数据集发布后不能再修改字段类型；新上传的版本沿用发布前设定的类型",
                code="schema_frozen",
            )
        row = session.scalar(
            select(DataVersion).where(DataVersion.dataset_id == dataset.id, DataVersion.version == version)
        )
        if row is None:
            raise NotFound(
                f"version {version} not found", message_zh="数据版本不存在", code="no_such_version"
            )
        known = {c["name"]: c for c in row.columns}
        session.expunge(row)
        dataset_id, provider_id, code = dataset.id, dataset.provider_id, dataset.code
    problems: list[dict[str, Any]] = []
    for name, value in types.items():
        if name not in known:
            problems.append({"field": name, "message": "unknown column"})
        elif value not in {t.value for t in ColumnType}:
            problems.append({"field": name, "message": f"unknown type '{value}'"})
    if problems:
        raise BadRequest(
            "the schema override names unknown columns or types",
            message_zh="列名或类型无效",
            code="invalid_schema_override",
            details=problems,
        )
    overrides = {**(row.overrides or {}), **types}
    overrides = {k: v for k, v in overrides.items() if v != known[k]["type"]}
    columns = effective_columns(row.columns, overrides)
    path = version_path(platform, row)
    con = work_cursor(platform.settings)
    try:
        for col in columns:
            if col.name not in types or col.value_expression == quote_ident(col.name):
                continue
            bad = first_cast_failure(con, path, col)
            if bad is not None:
                line, value = bad
                raise BadRequest(
                    f"column '{col.name}': row {line} value '{value}' is not a valid {col.type.value}",
                    message_zh=f"列“{col.name}”第 {line} 行的值“{value}”不能转换为 {col.type.value}",
                    code="schema_cast_failed",
                    details={"column": col.name, "row": line, "value": str(value)},
                )
        _, statistics = column_statistics(con, path, row.columns, overrides)
    finally:
        con.close()
    with platform.db.transaction() as session:
        stored = session.get(DataVersion, row.id)
        assert stored is not None
        stored.overrides = overrides
        stored.statistics = statistics
        head = session.get(DatasetHead, dataset_id)
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="datastore.schema",
            subject_type="dataset",
            subject_id=dataset_id,
            organization_id=provider_id,
            details={"code": code, "version": version, "overrides": overrides},
        )
        return version_out(stored, head.version if head else None)
