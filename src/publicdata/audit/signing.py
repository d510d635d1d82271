"""Ed25519-signed checkpoints of the audit chain (PLT-8, SEC-1).

A checkpoint signs a chain head (seq, hash). It serves two purposes:

- Retention purge: verify the chain up to entry N, sign a checkpoint of entry N with
  `purged_through_seq=N`, store and export it, then delete entries 1..N. From then on the remaining
  entries are verified with `verify_chain(entries, start=trusted_head(cp, public_key))`.
- Truncation and rewrite detection: the chain alone cannot show that its newest rows were deleted. A
  checkpoint of the current head, exported outside the platform (`checkpoint_to_json`), is passed as
  `expected_head=trusted_head(cp, public_key)`.

The signed message is canonical JSON of every field except the signature, with a type tag so a signature
over a checkpoint can never be replayed as a signature over anything else.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from publicdata.audit.model import ChainHead, canonical_timestamp

CHECKPOINT_TYPE = "publicdata.audit.checkpoint"
CHECKPOINT_VERSION = 1
_HEX64 = re.compile(r"[0-9a-f]{64}")


class InvalidCheckpointError(ValueError):
    """A checkpoint is malformed or its signature does not verify with the given key."""


@dataclass(frozen=True)
class Checkpoint:
    seq: int  # the signed head: entry `seq` had hash `hash`
    hash: str
    created_at: datetime
    purged_through_seq: int | None  # entries 1..N were deleted after this was signed; None: no purge
    entry_count: int  # entries verified (from the previous anchor) before signing; for the report
    key_id: str  # first 16 hex of SHA-256 of the raw public key, so verifiers pick the right key
    signature: str  # base64 Ed25519 signature over `_signed_bytes`

    @property
    def head(self) -> ChainHead:
        """The signed head, unchecked; use `trusted_head` to get it only if the signature verifies."""
        return ChainHead(self.seq, self.hash)


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """Load the PEM key at `path`, creating it (mode 0600, parent dirs 0700) on first run.

    Creation writes a temp file and hard-links it into place, so concurrent first runs on several app
    servers agree on one key and no reader ever sees a half-written file. A key readable by group or
    others is refused, as ssh does, rather than silently trusted or re-permissioned.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".audit-key-", suffix=".tmp")  # created 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(pem)
                fh.flush()
                os.fsync(fh.fileno())
            with contextlib.suppress(FileExistsError):  # another process won the race; use its key
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    if os.name == "posix" and path.stat().st_mode & 0o077:
        raise PermissionError(f"signing key {path} must not be accessible by group or others (chmod 600)")
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} does not hold an Ed25519 private key")
    return key


def _public(key: Ed25519PrivateKey | Ed25519PublicKey) -> Ed25519PublicKey:
    return key.public_key() if isinstance(key, Ed25519PrivateKey) else key


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    raw = _public(key).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """SubjectPublicKeyInfo PEM, to publish so anyone can verify exported checkpoints."""
    pem = _public(key).public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return pem.decode("ascii")


def load_public_key_pem(text: str) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(text.encode("ascii"))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def _check_fields(seq: int, hash: str, purged_through_seq: int | None, entry_count: int) -> None:
    if not _is_int(seq) or seq < 0:
        raise InvalidCheckpointError("seq must be a non-negative integer")
    if not isinstance(hash, str) or not _HEX64.fullmatch(hash):
        raise InvalidCheckpointError("hash must be 64 lower-case hex digits")
    if purged_through_seq is not None and (
        not _is_int(purged_through_seq) or not 0 <= purged_through_seq <= seq
    ):
        raise InvalidCheckpointError("purged_through_seq must be between 0 and seq")
    if not _is_int(entry_count) or entry_count < 0:
        raise InvalidCheckpointError("entry_count must be a non-negative integer")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _signed_bytes(
    *,
    seq: int,
    hash: str,
    created_at: datetime,
    purged_through_seq: int | None,
    entry_count: int,
    key_id: str,
) -> bytes:
    body = {
        "type": CHECKPOINT_TYPE,
        "v": CHECKPOINT_VERSION,
        "seq": seq,
        "hash": hash,
        "created_at": canonical_timestamp(created_at),
        "purged_through_seq": purged_through_seq,
        "entry_count": entry_count,
        "key_id": key_id,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign_checkpoint(
    key: Ed25519PrivateKey,
    *,
    seq: int,
    hash: str,
    created_at: datetime,
    purged_through_seq: int | None,
    entry_count: int,
) -> Checkpoint:
    _check_fields(seq, hash, purged_through_seq, entry_count)
    kid = key_id(key)
    message = _signed_bytes(
        seq=seq,
        hash=hash,
        created_at=created_at,
        purged_through_seq=purged_through_seq,
        entry_count=entry_count,
        key_id=kid,
    )
    signature = base64.b64encode(key.sign(message)).decode("ascii")
    return Checkpoint(seq, hash, created_at, purged_through_seq, entry_count, kid, signature)


def verify_checkpoint(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> bool:
    """True only if the checkpoint is well-formed, names this key, and its signature verifies."""
    try:
        _check_fields(checkpoint.seq, checkpoint.hash, checkpoint.purged_through_seq, checkpoint.entry_count)
        if checkpoint.key_id != key_id(public_key):
            return False
        message = _signed_bytes(
            seq=checkpoint.seq,
            hash=checkpoint.hash,
            created_at=checkpoint.created_at,
            purged_through_seq=checkpoint.purged_through_seq,
            entry_count=checkpoint.entry_count,
            key_id=checkpoint.key_id,
        )
        public_key.verify(base64.b64decode(checkpoint.signature, validate=True), message)
    except (InvalidSignature, ValueError, TypeError, binascii.Error):
        return False
    return True


def trusted_head(checkpoint: Checkpoint, public_key: Ed25519PublicKey) -> ChainHead:
    """The checkpoint's head, for `verify_chain(start=...)` or `expected_head=...`, if the signature holds."""
    if not verify_checkpoint(checkpoint, public_key):
        raise InvalidCheckpointError(
            f"checkpoint at seq {checkpoint.seq} does not verify with key {key_id(public_key)}"
        )
    return checkpoint.head


def checkpoint_to_json(cp: Checkpoint) -> str:
    """Export form, to anchor outside the platform (another system, a notary, a printed report)."""
    body: dict[str, Any] = asdict(cp)
    body["created_at"] = canonical_timestamp(cp.created_at)
    body["type"], body["v"] = CHECKPOINT_TYPE, CHECKPOINT_VERSION
    return json.dumps(body, sort_keys=True, ensure_ascii=False, indent=2)


def checkpoint_from_json(text: str) -> Checkpoint:
    """Parse an exported checkpoint strictly; it is not verified — call `verify_checkpoint`."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidCheckpointError(f"not JSON: {exc}") from exc
    if (
        not isinstance(body, dict)
        or body.get("type") != CHECKPOINT_TYPE
        or body.get("v") != CHECKPOINT_VERSION
    ):
        raise InvalidCheckpointError("not a publicdata audit checkpoint (version 1)")
    fields = ("seq", "hash", "created_at", "purged_through_seq", "entry_count", "key_id", "signature")
    missing = [name for name in fields if name not in body]
    if missing:
        raise InvalidCheckpointError(f"missing fields: {', '.join(missing)}")
    created = body["created_at"]
    if not isinstance(created, str) or not created.endswith("Z"):
        raise InvalidCheckpointError("created_at must be a UTC timestamp ending in 'Z'")
    try:
        created_at = datetime.fromisoformat(created)
    except ValueError as exc:
        raise InvalidCheckpointError(f"bad created_at: {exc}") from exc
    for name in ("key_id", "signature"):
        if not isinstance(body[name], str):
            raise InvalidCheckpointError(f"{name} must be a string")
    _check_fields(body["seq"], body["hash"], body["purged_through_seq"], body["entry_count"])
    return Checkpoint(
        body["seq"],
        body["hash"],
        created_at,
        body["purged_through_seq"],
        body["entry_count"],
        body["key_id"],
        body["signature"],
    )
