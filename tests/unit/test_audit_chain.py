"""The audit hash chain in plain Python: canonical encoding, tamper classification, signed checkpoints,
salted IP hashes, retention planning (PLT-5, PLT-8, SEC-1, SHR-6)."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from publicdata.audit import model, signing
from publicdata.audit.model import (
    GENESIS,
    AuditEntry,
    CanonicalEncodingError,
    ChainHead,
    canonical_bytes,
    canonical_details_json,
    compute_hash,
    new_entry,
    salted_ip_hash,
)
from publicdata.audit.retention import RetentionFloorError, RetentionPolicy, is_network_log, plan_purge
from publicdata.audit.verify import ProblemKind, VerifyReport, verify_chain

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.req("PLT-8", "SEC-1")


def chain(n: int, *, start: AuditEntry | ChainHead | None = None) -> list[AuditEntry]:
    out: list[AuditEntry] = []
    prev = start
    for i in range(n):
        entry = new_entry(
            prev=prev,
            occurred_at=T0 + timedelta(minutes=i),
            actor_kind="user",
            actor_id=f"u{i % 3}",
            action="dataset.publish",
            subject_type="dataset",
            subject_id=f"d{i}",
            details={"i": i, "名称": "公交站点"},
        )
        entry = replace(entry, row_id=i + 1)
        out.append(entry)
        prev = entry
    return out


def kinds(report: VerifyReport) -> list[tuple[str, int, int | None]]:
    return [(p.kind.value, p.seq, p.row_id) for p in report.problems]


def rehashed(entry: AuditEntry, **changes: Any) -> AuditEntry:
    changed = replace(entry, **changes)
    return replace(changed, hash=compute_hash(changed))


# --- the intact chain -----------------------------------------------------------------------------------


def test_intact_chain_verifies_and_reports_its_head() -> None:
    entries = chain(8)
    report = verify_chain(entries)
    assert report.ok and report.checked == 8
    assert report.head == ChainHead(8, entries[-1].hash)
    assert entries[0].prev_hash == GENESIS.hash
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))


def test_empty_chain_is_ok() -> None:
    report = verify_chain([])
    assert report.ok and report.head is None and report.checked == 0


def test_model_reexports_verification() -> None:
    assert model.verify_chain is verify_chain
    assert model.ProblemKind is ProblemKind


# --- each kind of tampering is named at the right seq ---------------------------------------------------


def test_edited_field_without_rehash() -> None:
    entries = chain(6)
    entries[2] = replace(entries[2], details={"i": 99})
    assert kinds(verify_chain(entries)) == [("edited", 3, 3)]


def test_edited_field_with_rehash_is_caught_by_the_successor() -> None:
    entries = chain(6)
    entries[2] = rehashed(entries[2], subject_id="forged")
    assert kinds(verify_chain(entries)) == [("edited", 3, 3)]


def test_edited_last_entry_with_rehash_needs_a_trusted_head() -> None:
    entries = chain(6)
    trusted = entries[-1].head
    entries[-1] = rehashed(entries[-1], action="dataset.update")
    assert verify_chain(entries).ok  # the chain alone cannot tell
    assert kinds(verify_chain(entries, expected_head=trusted)) == [("rewritten", 6, 6)]


def test_deleted_row() -> None:
    entries = chain(6)
    del entries[2]
    assert kinds(verify_chain(entries)) == [("deleted", 3, 4)]


def test_deleted_rows_are_reported_once_from_the_first_missing_seq() -> None:
    entries = chain(8)
    del entries[2:5]
    report = verify_chain(entries)
    assert kinds(report) == [("deleted", 3, 6)]
    assert "seq 3..5" in report.problems[0].message


def test_truncated_newest_rows() -> None:
    entries = chain(6)
    trusted = entries[-1].head
    report = verify_chain(entries[:4], expected_head=trusted)
    assert kinds(report) == [("truncated", 5, None)]


def test_inserted_row() -> None:
    entries = chain(6)
    forged = new_entry(
        prev=entries[1],
        occurred_at=T0 + timedelta(hours=5),
        actor_kind="system",
        actor_id=None,
        action="dataset.publish",
        subject_type="dataset",
    )
    entries.insert(2, replace(forged, row_id=100))
    assert kinds(verify_chain(entries)) == [("inserted", 3, 100)]


def test_copied_row_is_inserted() -> None:
    entries = chain(6)
    entries.append(replace(entries[2], row_id=200))
    assert kinds(verify_chain(entries)) == [("inserted", 3, 200)]


def test_reordered_rows_in_storage() -> None:
    entries = chain(6)
    a, b = entries[2], entries[3]
    entries[2], entries[3] = replace(b, row_id=a.row_id), replace(a, row_id=b.row_id)
    assert kinds(verify_chain(entries)) == [("reordered", 3, 4)]


def test_swapped_seq_values_are_reordered() -> None:
    entries = chain(6)
    a, b = entries[2], entries[3]
    entries[2], entries[3] = replace(a, seq=b.seq), replace(b, seq=a.seq)
    assert kinds(verify_chain(entries)) == [("reordered", 3, 3), ("reordered", 4, 4)]


def test_forked_write_without_the_lock() -> None:
    entries = chain(6)
    sibling = new_entry(
        prev=entries[1],
        occurred_at=entries[2].occurred_at + timedelta(milliseconds=3),
        actor_kind="system",
        actor_id=None,
        action="dataset.update",
        subject_type="dataset",
    )
    entries.insert(3, replace(sibling, row_id=101))
    assert kinds(verify_chain(entries)) == [("forked", 3, 101)]


def test_verifying_from_a_purge_anchor() -> None:
    entries = chain(10)
    anchor = entries[3].head
    assert verify_chain(entries[4:], start=anchor).ok
    report = verify_chain(entries[4:])  # from genesis: the purged prefix looks deleted
    assert kinds(report)[0][:2] == ("deleted", 1)
    wrong = ChainHead(4, "f" * 64)
    assert kinds(verify_chain(entries[4:], start=wrong)) == [("bad_anchor", 5, 5)]


def test_windows_chain_together() -> None:
    entries = chain(9)
    first = verify_chain(entries[:4])
    assert first.head is not None
    assert verify_chain(entries[4:], start=first.head).ok


# --- canonical encoding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "details",
    [
        {"x": math.nan},
        {"x": math.inf},
        {"x": Decimal("1.5")},
        {"x": date(2026, 1, 1)},
        {"x": datetime(2026, 1, 1, tzinfo=UTC)},
        {"x": b"bytes"},
        {"x": {1, 2}},
        {1: "int key"},
        {"x": "\ud800"},  # a lone surrogate
    ],
)
def test_canonical_encoding_refuses_ambiguous_values(details: dict[Any, Any]) -> None:
    with pytest.raises(CanonicalEncodingError):
        canonical_details_json(details)


def test_naive_timestamps_are_refused() -> None:
    with pytest.raises(CanonicalEncodingError):
        model.canonical_timestamp(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        new_entry(
            prev=None,
            occurred_at=datetime(2026, 1, 1),
            actor_kind="system",
            actor_id=None,
            action="dataset.publish",
            subject_type="dataset",
        )


def test_canonical_encoding_is_order_and_zone_independent() -> None:
    assert canonical_details_json({"b": 1, "a": [1, (2, 3)]}) == canonical_details_json(
        {"a": [1, [2, 3]], "b": 1}
    )
    entry = chain(1)[0]
    shanghai = entry.occurred_at.astimezone(timezone(timedelta(hours=8)))
    assert canonical_bytes(replace(entry, occurred_at=shanghai)) == canonical_bytes(entry)
    assert b'"occurred_at":"2026-01-05T09:00:00.000000Z"' in canonical_bytes(entry)
    assert "公交站点".encode() in canonical_bytes(entry)  # not \\u-escaped


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("action", "Dataset Publish", "dotted"),
        ("actor_kind", "robot", "actor_kind"),
        ("actor_id", "10.0.0.1", "salted_ip_hash"),
    ],
)
def test_drafts_with_bad_fields_are_refused(field: str, value: str, message: str) -> None:
    fields: dict[str, Any] = {
        "prev": None,
        "occurred_at": T0,
        "actor_kind": "anonymous",
        "actor_id": None,
        "action": "dataset.download",
        "subject_type": "dataset",
    }
    fields[field] = value
    with pytest.raises(ValueError, match=message):
        new_entry(**fields)


# --- signed checkpoints ---------------------------------------------------------------------------------


def test_checkpoint_sign_verify_and_round_trip() -> None:
    key = Ed25519PrivateKey.generate()
    head = chain(3)[-1].head
    cp = signing.sign_checkpoint(
        key, seq=head.seq, hash=head.hash, created_at=T0, purged_through_seq=None, entry_count=3
    )
    assert signing.verify_checkpoint(cp, key.public_key())
    assert signing.trusted_head(cp, key.public_key()) == head
    again = signing.checkpoint_from_json(signing.checkpoint_to_json(cp))
    assert again == cp and signing.verify_checkpoint(again, key.public_key())
    pem = signing.public_key_pem(key)
    assert signing.verify_checkpoint(cp, signing.load_public_key_pem(pem))


@pytest.mark.parametrize(
    "change",
    [
        {"seq": 4},
        {"hash": "a" * 64},
        {"purged_through_seq": 3},
        {"entry_count": 2},
        {"created_at": T0 + timedelta(seconds=1)},
    ],
)
def test_tampered_checkpoint_does_not_verify(change: dict[str, Any]) -> None:
    key = Ed25519PrivateKey.generate()
    head = chain(3)[-1].head
    cp = signing.sign_checkpoint(
        key, seq=head.seq, hash=head.hash, created_at=T0, purged_through_seq=None, entry_count=3
    )
    forged = replace(cp, **change)
    assert not signing.verify_checkpoint(forged, key.public_key())
    with pytest.raises(signing.InvalidCheckpointError):
        signing.trusted_head(forged, key.public_key())


def test_checkpoint_from_another_key_does_not_verify() -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    cp = signing.sign_checkpoint(
        other, seq=1, hash="b" * 64, created_at=T0, purged_through_seq=1, entry_count=1
    )
    assert not signing.verify_checkpoint(cp, key.public_key())
    assert not signing.verify_checkpoint(replace(cp, key_id=signing.key_id(key)), key.public_key())


def test_malformed_checkpoints_are_refused() -> None:
    key = Ed25519PrivateKey.generate()
    with pytest.raises(signing.InvalidCheckpointError):
        signing.sign_checkpoint(key, seq=1, hash="xyz", created_at=T0, purged_through_seq=None, entry_count=1)
    with pytest.raises(signing.InvalidCheckpointError):
        signing.sign_checkpoint(key, seq=1, hash="a" * 64, created_at=T0, purged_through_seq=2, entry_count=1)
    for text in ("not json", '{"type": "other", "v": 1}', '{"type": "publicdata.audit.checkpoint", "v": 1}'):
        with pytest.raises(signing.InvalidCheckpointError):
            signing.checkpoint_from_json(text)


def test_signing_key_is_created_once_and_private(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit_ed25519.pem"
    key = signing.load_or_create_signing_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert signing.key_id(signing.load_or_create_signing_key(path)) == signing.key_id(key)
    path.chmod(0o644)
    with pytest.raises(PermissionError):
        signing.load_or_create_signing_key(path)


# --- salted IP hash -------------------------------------------------------------------------------------


def test_salted_ip_hash() -> None:
    salt, other = b"s" * 16, b"t" * 16
    h = salted_ip_hash("203.0.113.7", salt)
    assert len(h) == 64 and "203" not in h
    assert salted_ip_hash(" 203.0.113.7 ", salt) == h
    assert salted_ip_hash("::ffff:203.0.113.7", salt) == h  # dual-stack proxies
    assert salted_ip_hash("203.0.113.7", other) != h
    assert salted_ip_hash("2001:db8::1", salt) == salted_ip_hash("2001:0db8:0:0::1", salt)
    with pytest.raises(ValueError):
        salted_ip_hash("203.0.113.7", b"short")
    with pytest.raises(ValueError):
        salted_ip_hash("not-an-ip", salt)
    entry = new_entry(
        prev=None,
        occurred_at=T0,
        actor_kind="anonymous",
        actor_id=h,
        action="dataset.download",
        subject_type="dataset",
    )
    assert verify_chain([entry]).ok


# --- retention (SHR-6) ----------------------------------------------------------------------------------


@pytest.mark.req("SHR-6")
def test_retention_floors() -> None:
    policy = RetentionPolicy()
    assert is_network_log("api.call") and is_network_log("auth.login.failed")
    assert not is_network_log("dataset.publish") and not is_network_log("api.callback")
    assert policy.floor("auth.login") == timedelta(days=183)
    assert policy.floor("resource.download") == timedelta(days=1096)
    with pytest.raises(ValueError):
        RetentionPolicy(record_days=365)
    with pytest.raises(ValueError):
        RetentionPolicy(network_log_days=30)


@pytest.mark.req("SHR-6")
def test_purge_plan_stops_at_the_first_entry_under_its_floor() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    policy = RetentionPolicy()
    entries = [
        (1, now - timedelta(days=1200), "dataset.publish"),  # past 3 years
        (2, now - timedelta(days=1100), "auth.login"),
        (3, now - timedelta(days=400), "api.call"),  # past 6 months
        (4, now - timedelta(days=300), "dataset.update"),  # a record under 3 years: holds the rest
        (5, now - timedelta(days=250), "api.call"),
    ]
    plan = plan_purge(entries, anchor_seq=0, before=now - timedelta(days=200), now=now, policy=policy)
    assert (plan.through_seq, plan.count) == (3, 3)
    assert plan.held_by is not None and plan.held_by.seq == 4
    assert plan.held_by.keep_until == entries[3][1] + timedelta(days=1096)
    plan = plan_purge(entries, anchor_seq=0, before=now - timedelta(days=1150), now=now, policy=policy)
    assert (plan.through_seq, plan.count) == (1, 1)
    assert plan.held_by is not None and plan.held_by.keep_until is None  # younger than the cutoff
    with pytest.raises(RetentionFloorError):
        plan_purge(entries, anchor_seq=0, before=now - timedelta(days=100), now=now, policy=policy)
