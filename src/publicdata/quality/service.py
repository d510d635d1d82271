"""Quality use-cases: a dataset's report and score history, its check configuration, the center's
monitoring view across providers (QUA-1, CAT-8), and the report of a local file (CLI)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import duckdb
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publicdata.audit.service import record_audit
from publicdata.catalog import model as catalog_model
from publicdata.catalog.model import DatasetState, FieldType
from publicdata.catalog.service import find_dataset, visible_to
from publicdata.catalog.tables import Dataset
from publicdata.catalog.views import last_data_update
from publicdata.config import Settings
from publicdata.datastore import readers
from publicdata.datastore.engine import new_connection
from publicdata.datastore.tables import DataVersion
from publicdata.db import utcnow
from publicdata.errors import NotFound, ValidationFailed, field_problems
from publicdata.identity.permissions import Principal
from publicdata.identity.service import find_organization, require
from publicdata.platform import Platform
from publicdata.quality import rules
from publicdata.quality.checks import CheckInput, Rows, check_rows
from publicdata.quality.model import constraints_json, parse_constraints
from publicdata.quality.tables import QualityConfig, QualityReport, SampleLink
from publicdata.quality.workflow import open_order_for
from publicdata.workdays.model import shanghai_date

T = TypeVar("T")


def report_out(row: QualityReport) -> dict[str, Any]:
    return {
        "version": row.version,
        "score": row.score,
        "breakdown": row.breakdown,
        "weights": row.details.get("weights", {}),
        "row_count": row.row_count,
        "findings": row.findings,
        "counts": row.counts,
        "columns_checked": row.details.get("columns_checked", {}),
        "update": row.details.get("update", {}),
        "work_order_id": row.work_order_id,
        "created_at": row.created_at.isoformat(),
    }


def update_state(session: Session, dataset: Dataset, now: datetime | None = None) -> dict[str, Any]:
    """CAT-8 for the dataset as it stands: last data update (publication, resources or a new data
    version, whichever is latest), the due date of the next one, and whether it is overdue."""
    last = last_data_update(dataset)
    newest_version = session.scalar(
        select(func.max(DataVersion.created_at)).where(DataVersion.dataset_id == dataset.id)
    )
    if newest_version is not None and (last is None or newest_version > last):
        last = newest_version
    due: date | None = None
    overdue = False
    if dataset.state == DatasetState.PUBLISHED.value and last is not None:
        due = catalog_model.next_update_due(
            catalog_model.UpdateFrequency(dataset.update_frequency), shanghai_date(last)
        )
        overdue = catalog_model.update_overdue(due, shanghai_date(now or utcnow()))
    return {
        "frequency": dataset.update_frequency,
        "last_update": last.isoformat() if last else None,
        "due": due.isoformat() if due else None,
        "overdue": overdue,
    }


def _reports(session: Session, dataset_id: str) -> list[QualityReport]:
    return list(
        session.scalars(
            select(QualityReport)
            .where(QualityReport.dataset_id == dataset_id)
            .order_by(QualityReport.version)
        )
    )


def sample_of(session: Session, dataset_id: str) -> dict[str, Any] | None:
    """The sample link of a source dataset (or, for a sample, its source)."""
    link = session.scalar(
        select(SampleLink).where(
            (SampleLink.source_dataset_id == dataset_id) | (SampleLink.sample_dataset_id == dataset_id)
        )
    )
    if link is None:
        return None
    sample = session.get(Dataset, link.sample_dataset_id)
    source = session.get(Dataset, link.source_dataset_id)
    assert sample is not None and source is not None
    return {
        "source_code": source.code,
        "sample_code": sample.code,
        "sample_name": sample.name,
        "sample_state": sample.state,
        "is_sample": link.sample_dataset_id == dataset_id,
        "rows": link.rows,
        "strata": link.strata,
        "source_version": link.source_version,
        "sample_version": link.sample_version,
        "comparison": link.comparison,
        "updated_at": link.updated_at.isoformat(),
    }


def quality_view(
    session: Session, actor: Principal, dataset: Dataset, now: datetime | None = None
) -> dict[str, Any]:
    reports = _reports(session, dataset.id)
    order = open_order_for(session, dataset.id)
    config = session.get(QualityConfig, dataset.id)
    link = sample_of(session, dataset.id)
    if link is not None:
        other = link["source_code"] if link["is_sample"] else link["sample_code"]
        if not visible_to(actor, find_dataset(session, other)):
            link = None
    return {
        "dataset": dataset.code,
        "latest": report_out(reports[-1]) if reports else None,
        "history": [
            {
                "version": r.version,
                "score": r.score,
                "breakdown": r.breakdown,
                "created_at": r.created_at.isoformat(),
            }
            for r in reports
        ],
        "update": update_state(session, dataset, now),
        "open_work_order": {"id": order.id, "state": order.state, "due_at": order.due_at.isoformat()}
        if order is not None
        else None,
        "config": {"key_columns": config.key_columns, "constraints": config.constraints} if config else None,
        "sample": link,
    }


def get_quality(
    platform: Platform, *, actor: Principal, ref: str, now: datetime | None = None
) -> dict[str, Any]:
    """The latest report and the score history of a dataset: for whoever may see the dataset."""
    with platform.db.reading() as session:
        dataset = find_dataset(session, ref)
        if not visible_to(actor, dataset):
            raise NotFound(f"dataset '{ref}' not found", message_zh="数据集不存在")
        return quality_view(session, actor, dataset, now)


def set_config(
    platform: Platform,
    *,
    actor: Principal,
    ref: str,
    key_columns: list[str],
    constraints: dict[str, Any],
) -> dict[str, Any]:
    """Set the key columns and declared constraints used by the next checks (provider staff)."""
    parsed, problems = parse_constraints(constraints)
    with platform.db.transaction() as session:
        dataset = find_dataset(session, ref)
        require(rules.can_configure_quality(actor, dataset.provider_id))
        known = {f.name for f in dataset.fields}
        latest = session.scalar(
            select(DataVersion)
            .where(DataVersion.dataset_id == dataset.id)
            .order_by(DataVersion.version.desc())
            .limit(1)
        )
        if latest is not None:
            known |= {str(c["name"]) for c in latest.columns}
        for i, name in enumerate(key_columns):
            if name not in known:
                problems.append((f"key_columns[{i}]", f"'{name}' is neither a data item nor a data column"))
        if len(set(key_columns)) != len(key_columns):
            problems.append(("key_columns", "a column is listed twice"))
        for name in parsed:
            if name not in known:
                problems.append((f"constraints.{name}", f"'{name}' is neither a data item nor a data column"))
        if problems:
            raise ValidationFailed(
                "the quality configuration is invalid",
                message_zh="质量检查配置有误",
                code="invalid_quality_config",
                details=field_problems(problems),
            )
        config = session.get(QualityConfig, dataset.id)
        if config is None:
            config = QualityConfig(dataset_id=dataset.id)
            session.add(config)
        config.key_columns = list(key_columns)
        config.constraints = constraints_json(parsed)
        config.updated_by = actor.user_id
        config.updated_at = utcnow()
        session.flush()
        record_audit(
            session,
            actor=actor,
            action="quality.set_config",
            subject_type="dataset",
            subject_id=dataset.id,
            organization_id=dataset.provider_id,
            details={
                "code": dataset.code,
                "key_columns": config.key_columns,
                "constraints": config.constraints,
            },
        )
        return {"key_columns": config.key_columns, "constraints": config.constraints}


def monitor(
    platform: Platform,
    *,
    actor: Principal,
    provider: str | None = None,
    below: int | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Across providers: average latest score per provider, datasets below the threshold, overdue
    updates (the center's quality monitoring, QUA-1 / CAT-8)."""
    require(rules.can_monitor_quality(actor))
    threshold = below if below is not None else platform.settings.quality_work_order_below
    with platform.db.reading() as session:
        query = select(Dataset).where(Dataset.state != DatasetState.WITHDRAWN.value)
        if provider:
            query = query.where(Dataset.provider_id == find_organization(session, provider).id)
        datasets = list(session.scalars(query.order_by(Dataset.code)))
        latest_version = (
            select(QualityReport.dataset_id, func.max(QualityReport.version).label("v"))
            .group_by(QualityReport.dataset_id)
            .subquery()
        )
        latest = {
            r.dataset_id: r
            for r in session.scalars(
                select(QualityReport).join(
                    latest_version,
                    (QualityReport.dataset_id == latest_version.c.dataset_id)
                    & (QualityReport.version == latest_version.c.v),
                )
            )
        }
        providers: dict[str, dict[str, Any]] = {}
        low: list[dict[str, Any]] = []
        overdue: list[dict[str, Any]] = []
        for d in datasets:
            entry = providers.setdefault(
                d.provider_id,
                {
                    "provider": {"id": d.provider_id, "code": d.provider.code, "name": d.provider.name},
                    "datasets": 0,
                    "scored": 0,
                    "average_score": None,
                    "below": 0,
                    "overdue": 0,
                    "_sum": 0,
                },
            )
            entry["datasets"] += 1
            report = latest.get(d.id)
            summary = {"code": d.code, "name": d.name, "provider": d.provider.code, "state": d.state}
            if report is not None:
                entry["scored"] += 1
                entry["_sum"] += report.score
                if report.score < threshold:
                    entry["below"] += 1
                    order = open_order_for(session, d.id)
                    low.append(
                        summary
                        | {
                            "version": report.version,
                            "score": report.score,
                            "work_order_id": order.id if order else None,
                        }
                    )
            state = update_state(session, d, now)
            if state["overdue"]:
                entry["overdue"] += 1
                overdue.append(summary | {"due": state["due"], "last_update": state["last_update"]})
        rows = []
        for entry in providers.values():
            total = entry.pop("_sum")
            entry["average_score"] = round(total / entry["scored"], 1) if entry["scored"] else None
            rows.append(entry)
        rows.sort(key=lambda e: (e["average_score"] is None, e["average_score"] or 0, e["provider"]["code"]))
        low.sort(key=lambda e: (e["score"], e["code"]))
        return {"threshold": threshold, "providers": rows, "below_threshold": low, "overdue_updates": overdue}


# ---------------------------------------------------------------------------------------------
# A local file (CLI): read like an upload, check, report.
# ---------------------------------------------------------------------------------------------


def check_file(
    settings: Settings,
    path: Path,
    *,
    key_columns: list[str] | None = None,
    declared: dict[str, FieldType] | None = None,
    constraints: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The quality report of a CSV / TSV / JSON / XLSX file (GBK and other encodings as on upload).
    The checks read the file itself, once, in the aggregate scan (no Parquet copy is written first)."""
    declared = declared or {}
    parsed, problems = parse_constraints(constraints or {})
    if problems:
        raise ValidationFailed(
            "invalid constraints", message_zh="约束配置有误", details=field_problems(problems)
        )
    inp = CheckInput(declared=declared, key_columns=key_columns or None, constraints=parsed)
    con = new_connection(settings)
    con.execute("SET enable_progress_bar = false")
    try:
        with tempfile.TemporaryDirectory(prefix="publicdata-quality-") as scratch:
            report, encoding = read_like_upload(
                settings, con, path, Path(scratch), declared, lambda raw: check_rows(Rows(con, raw), inp)
            )
    finally:
        con.close()
    return {"file": str(path), "encoding": encoding, **report.as_dict()}


def read_like_upload(
    settings: Settings,
    con: duckdb.DuckDBPyConnection,
    path: Path,
    folder: Path,
    declared: dict[str, FieldType],
    use: Callable[[str], T],
) -> tuple[T, str]:
    """`use(rows)` over the file read as an upload is read (format, encoding, type sniffing; `rows` is
    a subquery), and the encoding found. A read error inside `use` is handled as the ingest does: a
    column whose sniffed type a later value breaks becomes text, a file that is not UTF-8 past its
    first megabyte is checked whole or transcoded, and `use` runs again."""
    text_columns = {n for n, t in declared.items() if t is FieldType.TEXT}
    fmt = readers.detect_format(path, path.name, None)
    temps: list[Path] = []

    def source_for(trust_head: bool) -> tuple[readers.Source, str]:
        if fmt == "xlsx":
            converted = folder / "sheet.csv"
            readers.xlsx_to_csv(path, converted, sheet=None)
            return readers.csv_source(
                con, converted, fmt="csv", encoding="xlsx", text_columns=text_columns, temp_files=temps
            ), "xlsx"
        readable, encoding = readers.prepare_text(
            path, requested=None, temp_path=folder / "utf8", trust_head=trust_head
        )
        if fmt in ("csv", "tsv"):
            return readers.csv_source(
                con, readable, fmt=fmt, encoding=encoding, text_columns=text_columns, temp_files=temps
            ), encoding
        source = readers.json_source(
            con, readable, fmt=fmt, max_object_bytes=settings.datastore_upload_max_bytes
        )
        return source, encoding

    source, encoding = source_for(True)
    checked = encoding != "utf-8"
    for _ in range(200):
        try:
            select_sql, _types = readers.normalize_select(con, source)
            return use(f"({select_sql})"), encoding
        except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
            if readers.is_unicode_error(exc) and not checked and fmt != "xlsx":
                # The fast path trusted the first megabyte: check every byte, or transcode.
                checked = True
                source, encoding = source_for(False)
                continue
            source = readers.after_read_error(source, exc)
    raise ValidationFailed("the file could not be read", message_zh="无法读取文件", code="unreadable")
