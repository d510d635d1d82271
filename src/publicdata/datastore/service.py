"""Data-store use-cases: upload and ingest, versions and schema overrides, records, SQL, downloads.

Reads go through one rule, `access.can_read`; every query of conditional data and every download
writes an audit entry (`datastore.query`, `datastore.download`). A read of conditional data under an
access grant is cut to the grant's scope (allowed columns, row filter: `export.scoped_parquet`), counts
against its daily quota and is logged as a grant call with unusual-use flags (`access.grant_calls`).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.access import grant_calls
from publicdata.access.grant_model import records_param_columns
from publicdata.audit.service import record_audit
from publicdata.catalog.service import find_dataset
from publicdata.catalog.tables import Dataset
from publicdata.datastore import access, export, grant_reads, jobs
from publicdata.datastore.engine import data_dir, work_cursor
from publicdata.datastore.ingest import column_statistics
from publicdata.datastore.model import (
    EXPORT_MEDIA_TYPES,
    RESERVED_PARAMETERS,
    Column,
    ColumnType,
    QueryProblem,
    effective_columns,
    export_filename,
    parse_records_query,
    quote_ident,
    quote_literal,
)
from publicdata.datastore.query import run_records
from publicdata.datastore.sqlguard import (
    SqlRefused,
    TableSource,
    check_sql,
    normalize_table,
    referenced_columns,
    run_sql,
)
from publicdata.datastore.tables import DatasetHead, DataVersion, IngestJob
from publicdata.db import utcnow
from publicdata.errors import (
    BadRequest,
    Conflict,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
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


def version_out(
    v: DataVersion, current: int | None, scope: access.GrantScope | None = None
) -> dict[str, Any]:
    cols = effective_columns(v.columns, v.overrides or {})
    if scope is not None:  # a grant holder sees its columns only, and no statistics of hidden rows
        pairs = [(c, src) for c, src in zip(cols, v.columns, strict=True) if c.name in scope.fields]
        return {
            "version": v.version,
            "current": v.version == current,
            "created_at": v.created_at,
            "fields": [
                {"name": c.name, "type": c.type.value, "inferred_type": src["type"], "storage": c.storage}
                for c, src in pairs
            ],
            "grant_id": scope.grant_id,
            "retracted": v.retracted_at is not None,
        }
    return {
        "version": v.version,
        "current": v.version == current,
        "row_count": v.row_count,
        "size_bytes": v.size_bytes,
        "source_name": v.source_name,
        "source_format": v.source_format,
        "source_encoding": v.source_encoding,
        "source_sha256": v.source_sha256,
        "created_at": v.created_at,
        "fields": [
            {"name": c.name, "type": c.type.value, "inferred_type": src["type"], "storage": c.storage}
            for c, src in zip(cols, v.columns, strict=True)
        ],
        "overrides": v.overrides or {},
        "statistics": v.statistics,
        "retracted": v.retracted_at is not None,
        "retracted_at": v.retracted_at,
        "retraction_reason": v.retraction_reason or "",
        "withheld_reason": v.withheld_reason or "",
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
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    job = _queue_job(
        platform,
        actor=actor,
        dataset_id=dataset_id,
        path=path.resolve(),
        original_name=path.name,
        size=path.stat().st_size,
        sha256=digest.hexdigest(),
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


# ---------------------------------------------------------------------------------------------
# Reading: one resolution step shared by records, SQL, downloads and version listings.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolved:
    dataset: access.ReadableDataset
    name: str
    version: DataVersion
    current: int
    scope: access.GrantScope | None = None  # the grant this read is limited to

    def all_columns(self) -> list[Column]:
        return effective_columns(self.version.columns, self.version.overrides or {})

    def columns(self) -> list[Column]:
        """The columns this reader sees: all, or the grant's allowed ones."""
        cols = self.all_columns()
        if self.scope is None:
            return cols
        return [c for c in cols if c.name in self.scope.fields]

    def hidden(self) -> set[str]:
        return {c.name for c in self.all_columns()} - {c.name for c in self.columns()}


def _require_read(
    actor: Principal, target: access.ReadableDataset, standing: access.GrantStanding | None = None
) -> access.ReadableDataset:
    decision = access.can_read(actor, target, standing)
    if decision:
        return target
    if target.state not in access.VISIBLE:
        raise NotFound(f"dataset '{target.code}' not found", message_zh="数据集不存在")
    if decision.needs_sign_in:
        raise NotAuthenticated(decision.reason_en, message_zh=decision.reason_zh)
    if standing is not None and standing.refusal_code:
        raise PermissionDenied(
            decision.reason_en,
            message_zh=decision.reason_zh,
            code=standing.refusal_code,
            details=standing.details or None,
        )
    raise PermissionDenied(decision.reason_en, message_zh=decision.reason_zh, code="data_access_denied")


def _standing(
    session: Session, actor: Principal, target: access.ReadableDataset, now: datetime | None
) -> access.GrantStanding | None:
    if target.open_class != "conditional" or actor.is_anonymous or access.is_preview(actor, target):
        return None
    return grant_calls.grant_standing(session, actor, target.id, now or utcnow())


def _resolve(
    session: Session, actor: Principal, ref: str, version: int | None, now: datetime | None = None
) -> Resolved:
    # Only the columns the read rule needs (the hot path of every records query).
    found = session.execute(
        select(
            Dataset.id, Dataset.code, Dataset.provider_id, Dataset.open_class, Dataset.state, Dataset.name
        ).where((Dataset.id == ref) | (Dataset.code == ref))
    ).first()
    if found is None:
        raise NotFound(f"dataset '{ref}' not found", message_zh="数据集不存在")
    readable = access.ReadableDataset(*found[:5])
    standing = _standing(session, actor, readable, now)
    target = _require_read(actor, readable, standing)
    head = session.get(DatasetHead, target.id)
    if head is None:
        raise NotFound(
            "no data has been uploaded for this dataset yet", message_zh="该数据集尚无数据", code="no_data"
        )
    row = session.scalar(
        select(DataVersion).where(
            DataVersion.dataset_id == target.id, DataVersion.version == (version or head.version)
        )
    )
    if row is None:
        raise NotFound(f"version {version} not found", message_zh="数据版本不存在", code="no_such_version")
    if row.retracted_at is not None and not access.is_preview(actor, target):
        raise NotFound(
            f"version {row.version} was retracted: {row.retraction_reason}",
            message_zh=f"数据版本 {row.version} 已撤回，不再提供",
            code="version_retracted",
        )
    if row.withheld_reason and not access.is_preview(actor, target):
        raise NotFound(
            f"version {row.version} is withheld: {row.withheld_reason}",
            message_zh=f"数据版本 {row.version} 暂不提供（含未脱敏的个人信息，待数据提供方处理）",
            code="version_withheld",
        )
    session.expunge(row)  # a detached snapshot: versions are immutable but for their overrides
    return Resolved(target, found[5], row, head.version, access.scope_for(actor, target, standing))


def _path(platform: Platform, version: DataVersion) -> Path:
    return data_dir(platform.settings) / version.path


def _source(platform: Platform, resolved: Resolved) -> tuple[Path, int]:
    """The file a read runs over and its rows: the version, or its cut to the grant's scope."""
    if resolved.scope is None:
        return _path(platform, resolved.version), resolved.version.row_count
    return export.scoped_parquet(
        platform.settings,
        parquet=_path(platform, resolved.version),
        columns=resolved.all_columns(),
        fields=resolved.scope.fields,
        row_filter=resolved.scope.row_filter,
    )


def list_versions(platform: Platform, *, actor: Principal, ref: str) -> list[dict[str, Any]]:
    with platform.db.reading() as session:
        resolved = _resolve(session, actor, ref, None)
        rows = session.scalars(
            select(DataVersion)
            .where(DataVersion.dataset_id == resolved.dataset.id)
            .order_by(DataVersion.version.desc())
        )
        return [version_out(v, resolved.current, resolved.scope) for v in rows]


def get_version(platform: Platform, *, actor: Principal, ref: str, version: int | None) -> dict[str, Any]:
    with platform.db.reading() as session:
        resolved = _resolve(session, actor, ref, version)
        return version_out(resolved.version, resolved.current, resolved.scope)


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
    path = _path(platform, row)
    con = work_cursor(platform.settings)
    try:
        for col in columns:
            if col.name not in types or col.value_expression == quote_ident(col.name):
                continue
            target = col.value_expression.replace("CAST(", "TRY_CAST(", 1)
            ident = quote_ident(col.name)
            bad = con.execute(
                f"SELECT file_row_number, {ident} FROM read_parquet({quote_literal(str(path))}, "
                f"file_row_number=true) WHERE {ident} IS NOT NULL AND {target} IS NULL LIMIT 1"
            ).fetchone()
            if bad is not None:
                line = int(bad[0]) + 1
                raise BadRequest(
                    f"column '{col.name}': row {line} value '{bad[1]}' is not a valid {col.type.value}",
                    message_zh=f"列“{col.name}”第 {line} 行的值“{bad[1]}”不能转换为 {col.type.value}",
                    code="schema_cast_failed",
                    details={"column": col.name, "row": line, "value": str(bad[1])},
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


def query_records(
    platform: Platform,
    *,
    actor: Principal,
    ref: str,
    params: Sequence[tuple[str, str]],
    version: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    now = now or utcnow()
    hidden: set[str] = set()
    with platform.db.reading() as session:
        resolved = _resolve(session, actor, ref, version, now)
        if resolved.scope is not None:
            hidden = records_param_columns(params, RESERVED_PARAMETERS) & resolved.hidden()
            if not hidden:
                grant_calls.check_quota(session, resolved.scope, now)
    if hidden:
        raise grant_reads.refuse_outside_grant(
            platform,
            actor=actor,
            scope=resolved.scope,
            dataset=resolved.dataset,
            endpoint="records",
            hidden=hidden,
            now=now,
            details={"params": [list(p) for p in params][:50]},
        )
    path, scope_rows = _source(platform, resolved)
    try:
        query = parse_records_query(
            params, resolved.columns(), max_limit=platform.settings.datastore_records_max_limit
        )
    except QueryProblem as problem:
        raise BadRequest(
            problem.message_en,
            message_zh=problem.message_zh,
            code="invalid_query",
            details={"parameter": problem.parameter},
        ) from None
    result = run_records(
        platform.settings, path=path, columns=resolved.columns(), query=query, row_count=scope_rows
    )
    if resolved.dataset.open_class != "unconditional":
        with platform.db.transaction() as session:
            logged = grant_reads.log_served(
                session,
                actor=actor,
                scope=resolved.scope,
                dataset=resolved.dataset,
                endpoint="records",
                fields=list(query.fields) or [c.name for c in resolved.columns()],
                rows=len(result["records"]),
                offset=result["offset"],
                now=now,
                scope_rows=scope_rows,
            )
            record_audit(
                session,
                actor=actor,
                action="datastore.query",
                subject_type="dataset",
                subject_id=resolved.dataset.id,
                organization_id=resolved.dataset.provider_id,
                details={
                    "code": resolved.dataset.code,
                    "version": resolved.version.version,
                    "params": [list(p) for p in params][:50],
                    "rows": len(result["records"]),
                    **logged,
                },
            )
    return {"dataset": resolved.dataset.code, "version": resolved.version.version, **result}


def _sql_refused(refused: SqlRefused) -> BadRequest:
    return BadRequest(
        refused.message_en, message_zh=refused.message_zh, code="sql_refused", details=refused.details or None
    )


def sql_query(
    platform: Platform, *, actor: Principal, sql: str, now: datetime | None = None
) -> dict[str, Any]:
    now = now or utcnow()
    if len(sql) > 20_000:
        raise BadRequest(
            "the SQL is longer than 20,000 characters", message_zh="SQL 过长", code="sql_refused"
        )
    try:
        checked = check_sql(sql)
    except SqlRefused as refused:
        raise _sql_refused(refused) from None
    if not checked.tables:
        raise BadRequest("query at least one dataset table", message_zh="请查询数据集表", code="sql_refused")
    sources: dict[str, TableSource] = {}
    audited: list[Resolved] = []
    scope_rows: dict[str, int] = {}
    named = referenced_columns(checked)
    with platform.db.reading() as session:
        # Codes only: the ORM rows (with their fields and resources) are loaded for the tables used.
        by_name = {normalize_table(code): code for code in session.scalars(select(Dataset.code))}
        for name in checked.tables:
            unknown = BadRequest(
                f"unknown table '{name}' (tables are dataset codes you may read)",
                message_zh=f"不存在或无权查询的表“{name}”",
                code="sql_refused",
                details={"table": name},
            )
            if name not in by_name:
                raise unknown
            try:
                resolved = _resolve(session, actor, by_name[name], None, now)
            except PermissionDenied as denied:
                if denied.code != "data_access_denied":  # a grant that does not serve: say why
                    raise
                raise unknown from None
            except (NotFound, NotAuthenticated):
                raise unknown from None
            if resolved.scope is not None:
                hidden = {h for h in resolved.hidden() if h.lower() in named}
                if hidden:
                    raise grant_reads.refuse_outside_grant(
                        platform,
                        actor=actor,
                        scope=resolved.scope,
                        dataset=resolved.dataset,
                        endpoint="sql",
                        hidden=hidden,
                        now=now,
                        details={"sql": sql[:2000]},
                    )
                grant_calls.check_quota(session, resolved.scope, now)
            path, scope_rows[resolved.dataset.id] = _source(platform, resolved)
            sources[name] = TableSource(path, resolved.columns())
            if resolved.dataset.open_class != "unconditional":
                audited.append(resolved)
    try:
        result = run_sql(platform.settings, checked, sources)
    except SqlRefused as refused:
        raise _sql_refused(refused) from None
    if audited:
        with platform.db.transaction() as session:
            for resolved in audited:
                logged = grant_reads.log_served(
                    session,
                    actor=actor,
                    scope=resolved.scope,
                    dataset=resolved.dataset,
                    endpoint="sql",
                    fields=[c.name for c in resolved.columns() if c.name.lower() in named or "*" in named],
                    rows=int(result["row_count"]),
                    offset=0,
                    now=now,
                    scope_rows=scope_rows[resolved.dataset.id],
                )
                record_audit(
                    session,
                    actor=actor,
                    action="datastore.query",
                    subject_type="dataset",
                    subject_id=resolved.dataset.id,
                    organization_id=resolved.dataset.provider_id,
                    details={
                        "code": resolved.dataset.code,
                        "version": resolved.version.version,
                        "sql": sql[:2000],
                        **logged,
                    },
                )
    return result


@dataclass(frozen=True)
class Download:
    path: Path
    filename: str
    media_type: str


def download(
    platform: Platform,
    *,
    actor: Principal,
    ref: str,
    fmt: str,
    version: int | None = None,
    bom: bool = False,
    now: datetime | None = None,
) -> Download:
    if fmt not in export.FORMATS:
        raise NotFound(f"unknown download format '{fmt}'", message_zh="不支持的下载格式")
    now = now or utcnow()
    with platform.db.reading() as session:
        resolved = _resolve(session, actor, ref, version, now)
        if resolved.scope is not None:
            grant_calls.check_quota(session, resolved.scope, now)
    source, rows = _source(platform, resolved)
    path = export.export_file(
        platform.settings,
        parquet=source,
        columns=resolved.columns(),
        row_count=rows,
        fmt=fmt,
        bom=bom and fmt == "csv",
    )
    with platform.db.transaction() as session:
        logged = grant_reads.log_served(
            session,
            actor=actor,
            scope=resolved.scope,
            dataset=resolved.dataset,
            endpoint="download",
            fields=[c.name for c in resolved.columns()],
            rows=rows,
            offset=0,
            now=now,
            scope_rows=rows,
        )
        record_audit(
            session,
            actor=actor,
            action="datastore.download",
            subject_type="dataset",
            subject_id=resolved.dataset.id,
            organization_id=resolved.dataset.provider_id,
            details={
                "code": resolved.dataset.code,
                "version": resolved.version.version,
                "format": fmt,
                **logged,
            },
        )
    filename = export_filename(resolved.name, version and resolved.version.version, fmt)
    return Download(path, filename, EXPORT_MEDIA_TYPES[fmt])
