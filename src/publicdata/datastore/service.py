"""Data-store use-cases: upload and ingest, versions and schema overrides, records, SQL, downloads.

Reads go through one rule, `access.can_read`; every query of conditional data and every download
writes an audit entry (`datastore.query`, `datastore.download`). A read of conditional data under an
access grant is cut to the grant's scope (allowed columns, row filter: `export.scoped_parquet`), counts
against its daily quota and is logged as a grant call with unusual-use flags (`access.grant_calls`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from publicdata.access import grant_calls
from publicdata.access.grant_model import records_param_columns
from publicdata.audit.service import record_audit
from publicdata.catalog.tables import Dataset
from publicdata.datastore import access, export, grant_reads
from publicdata.datastore.engine import data_dir
from publicdata.datastore.model import (
    EXPORT_MEDIA_TYPES,
    RESERVED_PARAMETERS,
    Column,
    QueryProblem,
    effective_columns,
    export_filename,
    parse_records_query,
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
from publicdata.datastore.tables import DatasetHead, DataVersion
from publicdata.db import utcnow
from publicdata.errors import (
    BadRequest,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
)
from publicdata.identity.permissions import Principal
from publicdata.platform import Platform


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
        "checked": v.checked_at is not None,
    }


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


# The hot path of every records query, built once: the dataset's read-rule columns and its current
# version in one round trip, then the version row by its unique key.
_FIND_DATASET = (
    select(
        Dataset.id,
        Dataset.code,
        Dataset.provider_id,
        Dataset.open_class,
        Dataset.state,
        Dataset.name,
        DatasetHead.version,
    )
    .outerjoin(DatasetHead, DatasetHead.dataset_id == Dataset.id)
    .where((Dataset.id == bindparam("ref")) | (Dataset.code == bindparam("ref")))
)
_FIND_VERSION = select(DataVersion).where(
    DataVersion.dataset_id == bindparam("dataset_id"), DataVersion.version == bindparam("version")
)


def _resolve(
    session: Session, actor: Principal, ref: str, version: int | None, now: datetime | None = None
) -> Resolved:
    found = session.execute(_FIND_DATASET, {"ref": ref}).first()
    if found is None:
        raise NotFound(f"dataset '{ref}' not found", message_zh="数据集不存在")
    readable = access.ReadableDataset(*found[:5])
    standing = _standing(session, actor, readable, now)
    target = _require_read(actor, readable, standing)
    current = found[6]
    if current is None:
        raise NotFound(
            "no data has been uploaded for this dataset yet", message_zh="该数据集尚无数据", code="no_data"
        )
    row = session.scalars(_FIND_VERSION, {"dataset_id": target.id, "version": version or current}).first()
    if row is None:
        raise NotFound(f"version {version} not found", message_zh="数据版本不存在", code="no_such_version")
    if row.retracted_at is not None and not access.is_preview(actor, target):
        raise NotFound(
            f"version {row.version} was retracted: {row.retraction_reason}",
            message_zh=f"数据版本 {row.version} 已撤回，不再提供",
            code="version_retracted",
        )
    if row.checked_at is None and not access.is_preview(actor, target):
        raise NotFound(
            f"version {row.version} is still being checked",
            message_zh=f"数据版本 {row.version} 正在检查，暂不提供",
            code="version_checking",
        )
    if row.withheld_reason and not access.is_preview(actor, target):
        raise NotFound(
            f"version {row.version} is withheld: {row.withheld_reason}",
            message_zh=f"数据版本 {row.version} 暂不提供（含未脱敏的个人信息，待数据提供方处理）",
            code="version_withheld",
        )
    session.expunge(row)  # a detached snapshot: versions are immutable but for their overrides
    return Resolved(target, found[5], row, current, access.scope_for(actor, target, standing))


def version_path(platform: Platform, version: DataVersion) -> Path:
    return data_dir(platform.settings) / version.path


def _source(platform: Platform, resolved: Resolved) -> tuple[Path, int]:
    """The file a read runs over and its rows: the version, or its cut to the grant's scope."""
    if resolved.scope is None:
        return version_path(platform, resolved.version), resolved.version.row_count
    return export.scoped_parquet(
        platform.settings,
        parquet=version_path(platform, resolved.version),
        columns=resolved.all_columns(),
        fields=resolved.scope.fields,
        row_filter=resolved.scope.row_filter,
    )


def list_versions(platform: Platform, *, actor: Principal, ref: str) -> list[dict[str, Any]]:
    with platform.db.reading() as session:
        resolved = _resolve(session, actor, ref, None)
        listed = select(DataVersion).where(DataVersion.dataset_id == resolved.dataset.id)
        if not access.is_preview(actor, resolved.dataset):  # versions still being checked: providers only
            listed = listed.where(DataVersion.checked_at.is_not(None))
        rows = session.scalars(listed.order_by(DataVersion.version.desc()))
        return [version_out(v, resolved.current, resolved.scope) for v in rows]


def get_version(platform: Platform, *, actor: Principal, ref: str, version: int | None) -> dict[str, Any]:
    with platform.db.reading() as session:
        resolved = _resolve(session, actor, ref, version)
        return version_out(resolved.version, resolved.current, resolved.scope)


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
