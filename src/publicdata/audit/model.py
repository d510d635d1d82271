"""Audit log rules in plain Python: canonical encoding, the hash chain, and chain verification.

PLT-5, PLT-8, SEC-1, CAT-12: every publication, review decision, download, API call and admin action is one
`AuditEntry`. Its hash is SHA-256 over a canonical encoding of every field except `hash` itself (and the
storage-only `row_id`); the encoding includes `seq` and `prev_hash`, so the entries form a chain in which
changing, removing, adding or moving a row breaks something that `verify_chain` (in `verify`) names.

Writing (the database layer): under a lock, read the head (last seq, last hash) as a `ChainHead` (or
`GENESIS`, or the checkpoint head after a purge), call `append(head, draft)`, insert the entry and assign
its row id inside the same lock, so storage order equals chain order. Store `details` as the text of
`canonical_details_json` (not as JSONB, which rewrites numbers) and read `occurred_at` back as an aware
datetime.

Limits: the chain alone cannot show that the newest rows were deleted, nor that everything from some entry
on was rewritten and re-chained. A trusted head from a signed checkpoint (see `signing`) or an external
anchor, passed as `expected_head`, catches both. Verification holds the entries in memory; verify a large
log in windows, passing the previous window's head as `start`.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeAlias

FORMAT_VERSION = 1  # hashed too, so a future encoding can never collide with this one
GENESIS_HASH = "0" * 64
DEFAULT_FORK_WINDOW: timedelta = timedelta(
    seconds=5
)  # concurrent writers land within this; NTP skew is far smaller
_HEX64 = re.compile(r"[0-9a-f]{64}")
_ACTION = re.compile(r"[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+")


class ActorKind(StrEnum):
    USER = "user"
    TOKEN = "token"  # API token id
    ANONYMOUS = "anonymous"  # actor_id is salted_ip_hash(...) or None, never the IP itself
    SYSTEM = "system"  # scheduled jobs, migrations


class CanonicalEncodingError(ValueError):
    """A value has no single, unambiguous encoding (NaN, naive datetime, Decimal, date, bytes, ...)."""


@dataclass(frozen=True)
class ChainHead:
    """A position in the chain: the seq and hash of an entry (or of the point before the first entry)."""

    seq: int
    hash: str


# Where verification starts: the head just before the first entry checked.
ChainAnchor: TypeAlias = ChainHead
GENESIS = ChainHead(0, GENESIS_HASH)


@dataclass(frozen=True)
class AuditDraft:
    """What a caller knows about an event; `append` adds seq, prev_hash and hash."""

    occurred_at: datetime
    actor_kind: str
    actor_id: str | None
    action: str
    subject_type: str
    subject_id: str | None = None
    organization_id: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    occurred_at: datetime
    actor_kind: str
    actor_id: str | None
    organization_id: str | None
    action: str
    subject_type: str
    subject_id: str | None
    details: Mapping[str, Any] = field(hash=False)
    prev_hash: str
    hash: str
    row_id: int | None = field(default=None, compare=False)  # storage position; not hashed

    @property
    def head(self) -> ChainHead:
        return ChainHead(self.seq, self.hash)


# --- canonical encoding -------------------------------------------------------------------------------


def canonical_timestamp(value: datetime) -> str:
    """UTC ISO-8601 with microseconds and 'Z'; naive datetimes are refused (their instant is unknown)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise CanonicalEncodingError("occurred_at must be timezone-aware")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def _plain(value: Any, path: str) -> Any:
    """Validate a details value and return it as plain JSON types.

    Decimal, date/datetime, bytes, sets and other objects are refused rather than str()-ed: their string
    form is a choice (precision, timezone, encoding) the caller must make visibly, or two callers would
    hash the same fact differently. Tuples become lists, since that is what reading JSON back yields.
    """
    if value is None:
        return None
    if isinstance(value, bool):  # before int: bool is an int subclass
        return bool(value)
    if isinstance(value, str):
        return str.__str__(value)  # StrEnum and other subclasses hash as their text
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CanonicalEncodingError(f"{path}: NaN and Infinity have no JSON form")
        return float(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):  # json would turn 1 into "1" and collide with a real "1"
                raise CanonicalEncodingError(f"{path}: keys must be strings, not {type(key).__name__}")
            out[str.__str__(key)] = _plain(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_plain(item, f"{path}[{i}]") for i, item in enumerate(value)]
    raise CanonicalEncodingError(
        f"{path}: {type(value).__name__} is not allowed in audit details; pass a string "
        "(e.g. isoformat() for dates, str() for Decimal) so the stored form is explicit"
    )


def _dumps(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise CanonicalEncodingError(f"text is not valid Unicode: {exc}") from exc


def canonical_details_json(details: Mapping[str, Any]) -> str:
    """The canonical JSON text of `details`; store this so reading it back gives the hashed values."""
    text = _dumps(_plain(details, "details"))
    _encode(text)
    return text


def canonical_bytes(entry: AuditEntry) -> bytes:
    """Deterministic UTF-8 JSON of every field except `hash` and `row_id`."""
    if not isinstance(entry.seq, int) or isinstance(entry.seq, bool):
        raise CanonicalEncodingError("seq must be an int")
    obj = {
        "v": FORMAT_VERSION,
        "seq": entry.seq,
        "occurred_at": canonical_timestamp(entry.occurred_at),
        "actor_kind": entry.actor_kind,
        "actor_id": entry.actor_id,
        "organization_id": entry.organization_id,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "details": _plain(entry.details, "details"),
        "prev_hash": entry.prev_hash,
    }
    return _encode(_dumps(obj))


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical_bytes(entry)).hexdigest()


# --- writing --------------------------------------------------------------------------------------------


def _check_draft(draft: AuditDraft) -> None:
    canonical_timestamp(draft.occurred_at)
    if draft.actor_kind not in set(ActorKind):
        raise ValueError(f"unknown actor_kind {draft.actor_kind!r}")
    if draft.actor_kind in (ActorKind.USER, ActorKind.TOKEN) and not draft.actor_id:
        raise ValueError(f"actor_kind {draft.actor_kind!r} needs an actor_id")
    anonymous_id = draft.actor_id if draft.actor_kind == ActorKind.ANONYMOUS else None
    if anonymous_id is not None and not _HEX64.fullmatch(anonymous_id):  # keeps clear-text IPs out of the log
        raise ValueError("an anonymous actor_id must be salted_ip_hash(...) output")
    if not _ACTION.fullmatch(draft.action):
        raise ValueError(
            f"action must be dotted lower-case words like 'dataset.publish', got {draft.action!r}"
        )
    if not draft.subject_type:
        raise ValueError("subject_type is required")


def append(head: ChainHead, draft: AuditDraft) -> AuditEntry:
    """Build the entry that follows `head` (GENESIS for an empty chain, a checkpoint head after a purge)."""
    if head.seq < 0 or not _HEX64.fullmatch(head.hash):
        raise ValueError(f"invalid chain head {head!r}")
    _check_draft(draft)
    entry = AuditEntry(
        seq=head.seq + 1,
        occurred_at=draft.occurred_at.astimezone(UTC),
        actor_kind=str(ActorKind(draft.actor_kind).value),
        actor_id=draft.actor_id,
        organization_id=draft.organization_id,
        action=draft.action,
        subject_type=draft.subject_type,
        subject_id=draft.subject_id,
        details=json.loads(canonical_details_json(draft.details)),  # a private copy, exactly as it reads back
        prev_hash=head.hash,
        hash="",
    )
    return replace(entry, hash=compute_hash(entry))


def new_entry(
    *,
    prev: AuditEntry | ChainHead | None,
    occurred_at: datetime,
    actor_kind: str,
    actor_id: str | None,
    action: str,
    subject_type: str,
    subject_id: str | None = None,
    organization_id: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Keyword-argument shortcut for `append`; `prev=None` starts a new chain at GENESIS."""
    head = GENESIS if prev is None else prev.head if isinstance(prev, AuditEntry) else prev
    draft = AuditDraft(
        occurred_at,
        actor_kind,
        actor_id,
        action,
        subject_type,
        subject_id,
        organization_id,
        details if details is not None else {},
    )
    return append(head, draft)


def salted_ip_hash(ip: str, salt: bytes) -> str:
    """HMAC-SHA256 (hex) of the normalized address, so anonymous actors are traceable but IPs not stored."""
    if len(salt) < 16:
        raise ValueError("salt must be at least 16 bytes")
    addr = ipaddress.ip_address(ip.strip())
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped  # dual-stack proxies report IPv4 clients as ::ffff:a.b.c.d
    return hmac.new(salt, addr.compressed.encode("ascii"), hashlib.sha256).hexdigest()


# Verification lives in `publicdata.audit.verify`; these names stay importable from here.
from publicdata.audit.verify import (  # noqa: E402
    Problem,
    ProblemKind,
    VerifyReport,
    verify_chain,
)

__all__ = [
    "DEFAULT_FORK_WINDOW",
    "FORMAT_VERSION",
    "GENESIS",
    "GENESIS_HASH",
    "ActorKind",
    "AuditDraft",
    "AuditEntry",
    "CanonicalEncodingError",
    "ChainAnchor",
    "ChainHead",
    "Problem",
    "ProblemKind",
    "VerifyReport",
    "append",
    "canonical_bytes",
    "canonical_details_json",
    "canonical_timestamp",
    "compute_hash",
    "new_entry",
    "salted_ip_hash",
    "verify_chain",
]
