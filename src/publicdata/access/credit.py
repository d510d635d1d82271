"""The center's credit list (ACC-8): entities on dishonest-debtor or abnormal-operation lists.

Companies are keyed by their unified social credit code (identity stores it on the L2 user), persons by
the HMAC of their resident ID (identity's `resident_id_hmac`, so the list never holds a plain ID).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.access import rules
from publicdata.access.tables import CreditListEntry
from publicdata.audit.service import record_audit
from publicdata.db import utcnow
from publicdata.errors import NotFound, ValidationFailed
from publicdata.identity.model import IdentifierError, check_credit_code, check_resident_id
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require, resident_id_hmac
from publicdata.identity.tables import User
from publicdata.platform import Platform

LIST_KINDS = {
    "dishonest": ("失信被执行人名单", "dishonest-debtor list"),
    "abnormal_operation": ("经营异常名录", "abnormal-operation list"),
}
IDENTIFIER_KINDS = ("credit_code", "resident_id")


class CreditEntryIn(BaseModel):
    identifier: str
    identifier_kind: str = "credit_code"
    name: str = ""
    list_kind: str = "dishonest"
    source: str = ""
    listed_on: date | None = None


class CreditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    identifier: str
    identifier_kind: str
    name: str
    list_kind: str
    source: str
    listed_on: date | None


def _bad(field: str, message_en: str, message_zh: str, row: int | None = None) -> ValidationFailed:
    detail: dict[str, Any] = {"field": field, "message": message_en}
    if row is not None:
        detail["row"] = row
    return ValidationFailed(message_en, message_zh=message_zh, code="invalid_credit_entry", details=[detail])


def normalized_identifier(platform: Platform, kind: str, raw: str) -> str:
    """The stored key: a checked credit code, or the HMAC of a checked resident ID."""
    try:
        if kind == "credit_code":
            return check_credit_code(raw.strip())
        if kind == "resident_id":
            return resident_id_hmac(platform, check_resident_id(raw.strip()).number)
    except IdentifierError as exc:
        raise _bad("identifier", str(exc), "证照号码无效") from exc
    raise _bad(
        "identifier_kind",
        "identifier_kind is credit_code or resident_id",
        "证照类型应为统一社会信用代码或身份证号",
    )


def _add(
    session: Session, platform: Platform, actor: Principal, data: CreditEntryIn
) -> tuple[CreditListEntry, bool]:
    if data.list_kind not in LIST_KINDS:
        raise _bad("list_kind", "list_kind is dishonest or abnormal_operation", "名单类型应为失信或经营异常")
    identifier = normalized_identifier(platform, data.identifier_kind, data.identifier)
    entry = session.scalar(
        select(CreditListEntry).where(
            CreditListEntry.identifier == identifier, CreditListEntry.list_kind == data.list_kind
        )
    )
    created = entry is None
    if entry is None:
        entry = CreditListEntry(identifier=identifier, list_kind=data.list_kind, created_by=actor.user_id)
        session.add(entry)
    entry.identifier_kind = data.identifier_kind
    entry.name = data.name[:200]
    entry.source = data.source[:200]
    entry.listed_on = data.listed_on
    entry.removed_at = None
    session.flush()
    return entry, created


def add_entry(platform: Platform, *, actor: Principal, data: CreditEntryIn) -> CreditEntryOut:
    require(rules.can_manage_credit_list(actor))
    with platform.db.transaction() as session:
        entry, created = _add(session, platform, actor, data)
        record_audit(
            session,
            actor=actor,
            action="access.credit_list_add",
            subject_type="credit_list_entry",
            subject_id=entry.id,
            details={"identifier_kind": entry.identifier_kind, "list_kind": entry.list_kind, "new": created},
        )
        return CreditEntryOut.model_validate(entry)


def import_csv(platform: Platform, *, actor: Principal, content: bytes) -> dict[str, int]:
    """Import a CSV (identifier, identifier_kind, name, list_kind, source, listed_on); all rows or none."""
    require(rules.can_manage_credit_list(actor))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _bad("file", "the CSV must be UTF-8", "CSV文件须为UTF-8编码") from exc
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "identifier" not in reader.fieldnames:
        raise _bad("file", "the CSV needs an 'identifier' column", "CSV须包含identifier列")
    added = updated = 0
    with platform.db.transaction() as session:
        for number, row in enumerate(reader, start=2):
            try:
                data = CreditEntryIn(
                    identifier=row.get("identifier") or "",
                    identifier_kind=(row.get("identifier_kind") or "credit_code").strip(),
                    name=row.get("name") or "",
                    list_kind=(row.get("list_kind") or "dishonest").strip(),
                    source=row.get("source") or "",
                    listed_on=date.fromisoformat(row["listed_on"]) if row.get("listed_on") else None,
                )
                _, created = _add(session, platform, actor, data)
            except ValidationFailed as exc:
                raise _bad(
                    "file", f"row {number}: {exc.message_en}", f"第{number}行：{exc.message_zh}", number
                ) from exc
            except ValueError as exc:
                raise _bad("file", f"row {number}: {exc}", f"第{number}行格式错误", number) from exc
            added += created
            updated += not created
        record_audit(
            session,
            actor=actor,
            action="access.credit_list_import",
            subject_type="credit_list",
            subject_id=None,
            details={"added": added, "updated": updated},
        )
    return {"added": added, "updated": updated}


def list_entries(platform: Platform, *, actor: Principal) -> list[CreditEntryOut]:
    require(rules.can_view_credit_list(actor))
    with platform.db.reading() as session:
        rows = session.scalars(
            select(CreditListEntry)
            .where(CreditListEntry.removed_at.is_(None))
            .order_by(CreditListEntry.created_at)
        )
        return [CreditEntryOut.model_validate(r) for r in rows]


def remove_entry(platform: Platform, *, actor: Principal, entry_id: str, reason: str = "") -> None:
    require(rules.can_manage_credit_list(actor))
    with platform.db.transaction() as session:
        entry = session.get(CreditListEntry, entry_id)
        if entry is None or entry.removed_at is not None:
            raise NotFound("credit-list entry not found", message_zh="信用名单条目不存在")
        entry.removed_at = utcnow()
        record_audit(
            session,
            actor=actor,
            action="access.credit_list_remove",
            subject_type="credit_list_entry",
            subject_id=entry.id,
            details={"reason": reason},
        )


def credit_hit(session: Session, user: User) -> CreditListEntry | None:
    """The active list entry that matches the user (credit code or resident-ID HMAC), if any."""
    keys = [k for k in (user.credit_code, user.resident_id_hmac) if k]
    if not keys:
        return None
    return session.scalar(
        select(CreditListEntry)
        .where(CreditListEntry.identifier.in_(keys), CreditListEntry.removed_at.is_(None))
        .order_by(CreditListEntry.created_at)
        .limit(1)
    )
