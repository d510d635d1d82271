"""Audit log use-cases over the database: verify the whole chain, sign and export checkpoints, purge.

PLT-8, SEC-1, SHR-6. Verification reads entries in row-id (storage) order in windows and checks them
with `verify.verify_chain`, starting from the latest validly signed purge checkpoint (or genesis) and
expecting the latest validly signed checkpoint's head. Every stored checkpoint's signature is checked;
one that fails is reported as `bad_checkpoint` and is not trusted as an anchor.

The purge removes a prefix 1..N of the chain (see `retention`): it verifies the chain, signs and stores
a checkpoint of entry N with `purged_through_seq=N` — which is what opens the database guard for rows
1..N (migration 0002) — deletes them and records `audit.purge`, all in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from publicdata.audit import signing
from publicdata.audit.model import GENESIS, ChainHead
from publicdata.audit.retention import RetentionFloorError, RetentionPolicy, plan_purge
from publicdata.audit.service import entry_of, record_audit
from publicdata.audit.tables import AuditCheckpointRecord, AuditHead, AuditRecord
from publicdata.audit.verify import PRIORITY, Problem, ProblemKind, VerifyReport, verify_chain
from publicdata.db import utcnow
from publicdata.errors import Conflict, ValidationFailed
from publicdata.identity import permissions as rules
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.platform import Platform

VERIFY_WINDOW = 5000
REPORT_PROBLEMS = 1000  # problems listed in a report's dict form; the count is always complete
SIGNING_KEY_FILE = "audit_ed25519.pem"


@dataclass(frozen=True)
class AuditLogReport(VerifyReport):
    """A `VerifyReport` of the stored log, with where verification started and what it trusted."""

    anchor: ChainHead = GENESIS  # the purge checkpoint's head, or genesis
    expected_head: ChainHead | None = None  # the newest validly signed checkpoint, if any
    checkpoints: int = 0

    def first_by_kind(self) -> dict[str, Problem]:
        first: dict[str, Problem] = {}
        for problem in self.problems:  # sorted by seq
            first.setdefault(problem.kind.value, problem)
        return first

    def to_dict(self) -> dict[str, Any]:
        def head(h: ChainHead | None) -> dict[str, Any] | None:
            return None if h is None else {"seq": h.seq, "hash": h.hash}

        def problem(p: Problem) -> dict[str, Any]:
            return {"kind": p.kind.value, "seq": p.seq, "row_id": p.row_id, "message": p.message}

        return {
            "ok": self.ok,
            "checked": self.checked,
            "head": head(self.head),
            "anchor": head(self.anchor),
            "expected_head": head(self.expected_head),
            "checkpoints": self.checkpoints,
            "first_by_kind": {kind: problem(p) for kind, p in self.first_by_kind().items()},
            "problem_count": len(self.problems),
            "problems": [problem(p) for p in self.problems[:REPORT_PROBLEMS]],
        }


@dataclass(frozen=True)
class PurgeResult:
    purged: int
    through_seq: int | None  # None: nothing was purged
    checkpoint: signing.Checkpoint | None
    held_by: dict[str, Any] | None = field(default=None, hash=False)  # the entry that stopped the prefix

    def to_dict(self) -> dict[str, Any]:
        cp = None if self.checkpoint is None else json.loads(signing.checkpoint_to_json(self.checkpoint))
        return {
            "purged": self.purged,
            "through_seq": self.through_seq,
            "checkpoint": cp,
            "held_by": self.held_by,
        }


def signing_key(platform: Platform) -> Ed25519PrivateKey:
    """The platform's checkpoint key, generated on first use under var/keys (mode 0600)."""
    return signing.load_or_create_signing_key(platform.settings.keys_dir / SIGNING_KEY_FILE)


def retention_policy(platform: Platform) -> RetentionPolicy:
    s = platform.settings
    return RetentionPolicy(s.audit_retention_days, s.audit_network_log_retention_days)


def checkpoint_of(row: AuditCheckpointRecord) -> signing.Checkpoint:
    return signing.Checkpoint(
        seq=row.seq,
        hash=row.hash,
        created_at=row.created_at,
        purged_through_seq=row.purged_through_seq,
        entry_count=row.entry_count,
        key_id=row.key_id,
        signature=row.signature,
    )


def _checkpoint_ok(row: AuditCheckpointRecord, public_key: Ed25519PublicKey) -> bool:
    cp = checkpoint_of(row)
    try:
        exported_matches = signing.checkpoint_from_json(row.exported) == cp
    except signing.InvalidCheckpointError:
        exported_matches = False
    return exported_matches and signing.verify_checkpoint(cp, public_key)


def _anchors(
    session: Session, public_key: Ed25519PublicKey | None
) -> tuple[ChainHead, ChainHead | None, list[Problem], int]:
    """(start anchor, expected head, checkpoint problems, checkpoint count) from the stored checkpoints."""
    rows = session.scalars(select(AuditCheckpointRecord).order_by(AuditCheckpointRecord.id)).all()
    start, expected, problems = GENESIS, None, []
    for row in rows:
        if public_key is None or not _checkpoint_ok(row, public_key):
            problems.append(
                Problem(
                    ProblemKind.BAD_CHECKPOINT,
                    row.seq,
                    None,
                    f"checkpoint #{row.id} (seq {row.seq}) does not verify with the platform key: "
                    "forged, altered, or signed with another key; it is not trusted",
                )
            )
            continue
        head = ChainHead(row.seq, row.hash)
        if row.purged_through_seq == row.seq and row.seq >= start.seq:  # signs the last purged entry
            start = head
        if expected is None or head.seq >= expected.seq:
            expected = head
    if expected is not None and expected.seq < start.seq:
        expected = None
    return start, expected, problems, len(rows)


def _windows(session: Session, size: int) -> Iterator[list[AuditRecord]]:
    last = 0
    while True:
        batch = list(
            session.scalars(
                select(AuditRecord).where(AuditRecord.row_id > last).order_by(AuditRecord.row_id).limit(size)
            )
        )
        if not batch:
            return
        yield batch
        last = batch[-1].row_id
        session.expunge_all()  # keep memory flat on long logs


def verify_in(session: Session, platform: Platform, *, window: int = VERIFY_WINDOW) -> AuditLogReport:
    """Verify the stored log inside an open session (a read, or a purge/checkpoint transaction)."""
    key_path = platform.settings.keys_dir / SIGNING_KEY_FILE
    public_key = signing_key(platform).public_key() if key_path.exists() else None
    recorded = session.execute(select(AuditHead.seq, AuditHead.hash).where(AuditHead.id == 1)).one()
    start, expected, problems, n_checkpoints = _anchors(session, public_key)
    cur, checked, judged = start, 0, expected is None
    windows = _windows(session, window)
    batch = next(windows, None)
    while batch is not None:
        following = next(windows, None)
        reaches = judged is False and expected is not None and batch[-1].seq >= expected.seq
        use_expected = expected if not judged and (following is None or reaches) else None
        if use_expected is not None and use_expected.seq < cur.seq:
            use_expected = None  # passed in an earlier window already
        report = verify_chain([entry_of(r) for r in batch], start=cur, expected_head=use_expected)
        judged = judged or use_expected is not None
        problems.extend(report.problems)
        checked += report.checked
        cur = report.head or cur
        batch = following
    if not judged and expected is not None:  # no entries after the anchor at all
        report = verify_chain([], start=cur, expected_head=expected)
        problems.extend(report.problems)
    problems.extend(_head_row_problems(ChainHead(recorded.seq, recorded.hash), cur, problems))
    problems.sort(key=lambda p: (p.seq, PRIORITY[p.kind]))
    return AuditLogReport(
        checked=checked,
        head=cur if checked or cur != GENESIS else None,
        problems=problems,
        anchor=start,
        expected_head=expected,
        checkpoints=n_checkpoints,
    )


def _head_row_problems(recorded: ChainHead, head: ChainHead, found: list[Problem]) -> list[Problem]:
    """The head row every writer updates is not trusted (not signed), but it catches a plain deletion of
    the newest rows that no checkpoint covers yet."""
    if recorded.seq > head.seq and not any(p.kind is ProblemKind.TRUNCATED for p in found):
        n = recorded.seq - head.seq
        return [
            Problem(
                ProblemKind.TRUNCATED,
                head.seq + 1,
                None,
                f"the chain ends at seq {head.seq} but the chain head row records seq {recorded.seq}: "
                f"the newest {n} entr{'y was' if n == 1 else 'ies were'} deleted",
            )
        ]
    return []


def verify_audit_log(platform: Platform, *, actor: Principal, window: int = VERIFY_WINDOW) -> AuditLogReport:
    """Verify the whole stored chain (PLT-8). Admins and the authority; the check itself is audited."""
    require(rules.can_read_audit_log(actor))
    with platform.db.reading() as session:
        if not platform.db.is_sqlite:  # one snapshot for every window (SQLite's read transaction is one)
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        report = verify_in(session, platform, window=window)
    with platform.db.transaction() as session:
        first = report.problems[0] if report.problems else None
        record_audit(
            session,
            actor=actor,
            action="audit.verify",
            subject_type="audit_log",
            subject_id=None,
            details={
                "ok": report.ok,
                "checked": report.checked,
                "problems": len(report.problems),
                "first_problem": None if first is None else {"kind": first.kind.value, "seq": first.seq},
            },
        )
    return report


def _refuse_broken(report: AuditLogReport, what: str) -> None:
    if report.ok:
        return
    first = report.problems[0]
    raise Conflict(
        f"the audit chain does not verify ({first.kind.value} at seq {first.seq}); refusing to {what}",
        message_zh=f"审计链校验未通过（序号{first.seq}：{first.kind.value}），拒绝执行",
        code="audit_chain_broken",
        details=report.to_dict()["problems"][:20],
    )


def _store_checkpoint(session: Session, cp: signing.Checkpoint) -> AuditCheckpointRecord:
    row = AuditCheckpointRecord(
        seq=cp.seq,
        hash=cp.hash,
        created_at=cp.created_at,
        purged_through_seq=cp.purged_through_seq,
        entry_count=cp.entry_count,
        key_id=cp.key_id,
        signature=cp.signature,
        exported=signing.checkpoint_to_json(cp),
    )
    session.add(row)
    session.flush()
    return row


def _lock_head(session: Session) -> ChainHead:
    row = session.execute(select(AuditHead).where(AuditHead.id == 1).with_for_update()).scalar_one()
    return ChainHead(row.seq, row.hash)


def create_checkpoint(platform: Platform, *, actor: Principal) -> signing.Checkpoint:
    """Verify the chain, then sign its current head (no writer can append meanwhile: the head is locked)."""
    require(rules.can_manage_audit_log(actor))
    key = signing_key(platform)
    with platform.db.transaction() as session:
        head = _lock_head(session)
        report = verify_in(session, platform)
        _refuse_broken(report, "sign a checkpoint")
        cp = signing.sign_checkpoint(
            key,
            seq=head.seq,
            hash=head.hash,
            created_at=utcnow(),
            purged_through_seq=None,
            entry_count=report.checked,
        )
        row = _store_checkpoint(session, cp)
        record_audit(
            session,
            actor=actor,
            action="audit.checkpoint",
            subject_type="audit_checkpoint",
            subject_id=str(row.id),
            details={"seq": cp.seq, "hash": cp.hash, "key_id": cp.key_id, "entry_count": cp.entry_count},
        )
    return cp


def export_checkpoints(platform: Platform, *, actor: Principal) -> dict[str, Any]:
    """Every stored checkpoint as exported JSON, with the public key, to anchor outside the platform."""
    require(rules.can_read_audit_log(actor))
    key = signing_key(platform)
    with platform.db.transaction() as session:
        rows = session.scalars(select(AuditCheckpointRecord).order_by(AuditCheckpointRecord.id)).all()
        checkpoints = [json.loads(row.exported) for row in rows]
        record_audit(
            session,
            actor=actor,
            action="audit.export",
            subject_type="audit_checkpoint",
            subject_id=None,
            details={"what": "checkpoints", "count": len(checkpoints)},
        )
    return {
        "key_id": signing.key_id(key),
        "public_key": signing.public_key_pem(key),
        "checkpoints": checkpoints,
    }


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def purge_audit_log(
    platform: Platform, *, actor: Principal, before: datetime, now: datetime | None = None
) -> PurgeResult:
    """Remove the longest prefix of entries older than `before` and past their retention floors."""
    require(rules.can_manage_audit_log(actor))
    before, now = _aware(before), _aware(now or utcnow())
    policy = retention_policy(platform)
    try:
        policy.check_cutoff(before, now)
    except RetentionFloorError as exc:
        raise ValidationFailed(
            str(exc),
            message_zh=f"保留期限未满：{exc.earliest_allowed.date().isoformat()}之后的审计记录不得清除"
            f"（记录至少保留{policy.record_days}天，网络日志至少{policy.network_log_days}天）",
            code="audit_retention_floor",
            details={"before": before.isoformat(), "earliest_allowed": exc.earliest_allowed.isoformat()},
        ) from exc
    key = signing_key(platform)
    with platform.db.transaction() as session:
        _lock_head(session)
        report = verify_in(session, platform)
        _refuse_broken(report, "purge")
        anchor = report.anchor
        rows = session.execute(
            select(AuditRecord.seq, AuditRecord.occurred_at, AuditRecord.action)
            .where(AuditRecord.seq > anchor.seq)
            .order_by(AuditRecord.seq)
            .execution_options(yield_per=VERIFY_WINDOW)
        )
        plan = plan_purge(
            ((r.seq, r.occurred_at, r.action) for r in rows),
            anchor_seq=anchor.seq,
            before=before,
            now=now,
            policy=policy,
        )
        rows.close()
        held = None
        if plan.held_by is not None:
            h = plan.held_by
            held = {
                "seq": h.seq,
                "action": h.action,
                "occurred_at": h.occurred_at.isoformat(),
                "keep_until": None if h.keep_until is None else h.keep_until.isoformat(),
            }
        if plan.count == 0:
            return PurgeResult(0, None, None, held)
        last_hash = session.scalars(select(AuditRecord.hash).where(AuditRecord.seq == plan.through_seq)).one()
        cp = signing.sign_checkpoint(
            key,
            seq=plan.through_seq,
            hash=last_hash,
            created_at=now,
            purged_through_seq=plan.through_seq,
            entry_count=plan.count,
        )
        row = _store_checkpoint(session, cp)  # first: this row is what lets the guard allow the DELETE
        deleted = session.execute(delete(AuditRecord).where(AuditRecord.seq <= plan.through_seq))
        purged = int(getattr(deleted, "rowcount", plan.count))
        remaining = session.scalar(select(func.count()).select_from(AuditRecord)) or 0
        record_audit(
            session,
            actor=actor,
            action="audit.purge",
            subject_type="audit_log",
            subject_id=str(row.id),
            details={
                "before": before.isoformat(),
                "purged_through_seq": plan.through_seq,
                "purged": purged,
                "remaining": remaining,
                "checkpoint_hash": cp.hash,
                "key_id": cp.key_id,
                "held_by": held,
            },
        )
    return PurgeResult(purged, plan.through_seq, cp, held)
