"""Search and CSV export of the audit log (PLT-5, PLT-8): administrators and the authority only, and every
read of the log is itself recorded (`audit.search`, `audit.export`).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, func, select

from publicdata.audit.service import entry_of, record_audit
from publicdata.audit.tables import AuditRecord
from publicdata.identity import permissions as rules
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.platform import Platform

EXPORT_WINDOW = 2000
CSV_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_kind",
    "actor_id",
    "organization_id",
    "action",
    "subject_type",
    "subject_id",
    "details",
    "prev_hash",
    "hash",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class AuditEntryOut(BaseModel):
    seq: int
    occurred_at: datetime
    actor_kind: str
    actor_id: str | None
    organization_id: str | None
    action: str
    subject_type: str
    subject_id: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditFilter:
    """`action` matches by prefix ("auth." finds every sign-in event, "dataset" every dataset action);
    `since` is inclusive, `until` exclusive; naive datetimes are taken as UTC."""

    actor_id: str | None = None
    organization_id: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, query: Select[Any]) -> Select[Any]:
        r = AuditRecord
        for column, value in (
            (r.actor_id, self.actor_id),
            (r.organization_id, self.organization_id),
            (r.subject_type, self.subject_type),
            (r.subject_id, self.subject_id),
        ):
            if value:
                query = query.where(column == value)
        if self.action:
            query = query.where(r.action.startswith(self.action, autoescape=True))
        if self.since is not None:
            query = query.where(r.occurred_at >= _aware(self.since))
        if self.until is not None:
            query = query.where(r.occurred_at < _aware(self.until))
        return query

    def to_details(self) -> dict[str, Any]:
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(self).items() if v}


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def entry_out(record: AuditRecord) -> AuditEntryOut:
    entry = asdict(entry_of(record))
    entry.pop("row_id")
    return AuditEntryOut.model_validate(entry)


def search_audit(
    platform: Platform,
    *,
    actor: Principal,
    actor_id: str | None = None,
    organization_id: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[int, list[AuditEntryOut]]:
    """Entries matching every given filter, oldest first (chain order), and the total count."""
    require(rules.can_read_audit_log(actor))
    filters = AuditFilter(actor_id, organization_id, subject_type, subject_id, action, since, until)
    with platform.db.transaction() as session:
        total = session.scalar(filters.apply(select(func.count()).select_from(AuditRecord))) or 0
        rows = session.scalars(
            filters.apply(select(AuditRecord)).order_by(AuditRecord.seq).offset(offset).limit(limit)
        ).all()
        items = [entry_out(r) for r in rows]
        record_audit(
            session,
            actor=actor,
            action="audit.search",
            subject_type="audit_log",
            subject_id=None,
            details={"filters": filters.to_details(), "offset": offset, "limit": limit, "total": total},
        )
    return total, items


def _cell(value: Any) -> str:
    text = "" if value is None else value if isinstance(value, str) else str(value)
    # Spreadsheets run cells starting with these as formulas (CSV injection): quote them as text.
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_line(values: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([_cell(v) for v in values])
    return buffer.getvalue()


def export_audit_csv(
    platform: Platform,
    *,
    actor: Principal,
    actor_id: str | None = None,
    organization_id: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    window: int = EXPORT_WINDOW,
) -> Iterator[str]:
    """CSV text chunks (UTF-8 with a BOM for spreadsheet programs), streamed in windows of entries.

    The permission check and the `audit.export` entry happen here, before the first chunk, so a refused
    caller gets an error instead of an empty file. Only entries present at the moment of that entry are
    exported (seq at or below it, the export entry itself excluded).
    """
    require(rules.can_read_audit_log(actor))
    filters = AuditFilter(actor_id, organization_id, subject_type, subject_id, action, since, until)
    with platform.db.transaction() as session:
        total = session.scalar(filters.apply(select(func.count()).select_from(AuditRecord))) or 0
        marker = record_audit(
            session,
            actor=actor,
            action="audit.export",
            subject_type="audit_log",
            subject_id=None,
            details={"what": "entries.csv", "filters": filters.to_details(), "total": total},
        )
        upto = marker.seq
    return _csv_chunks(platform, filters, upto, window)


def _csv_chunks(platform: Platform, filters: AuditFilter, upto: int, window: int) -> Iterator[str]:
    yield "\ufeff" + _csv_line(list(CSV_COLUMNS))
    last = 0
    while True:
        with platform.db.reading() as session:
            rows = session.scalars(
                filters.apply(select(AuditRecord))
                .where(AuditRecord.seq > last, AuditRecord.seq < upto)
                .order_by(AuditRecord.seq)
                .limit(window)
            ).all()
            lines = [_csv_record(r) for r in rows]  # before the read ends: rows expire on rollback
            last = rows[-1].seq if rows else last
        if not lines:
            return
        yield "".join(lines)


def _csv_record(r: AuditRecord) -> str:
    out = entry_out(r)
    row = out.model_dump()
    row["occurred_at"] = out.occurred_at.isoformat()
    row["details"] = r.details  # the canonical text, exactly as hashed
    return _csv_line([row[c] for c in CSV_COLUMNS])
