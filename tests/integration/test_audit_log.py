"""The stored audit log on a real database (SQLite and PostgreSQL): the database guard, tamper detection,
signed checkpoints, the retention purge, and concurrent writers (PLT-5, PLT-8, SEC-1, SHR-6).

Tampering is done the way an attacker with database superuser rights would: switch the guard off (drop
or disable the trigger), change the rows, switch it back on — then `verify` must name the first bad entry.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from publicdata.audit import signing, store
from publicdata.audit.cli import audit_app
from publicdata.audit.model import AuditDraft, ChainHead, append
from publicdata.audit.search import export_audit_csv, search_audit
from publicdata.audit.service import append_draft, record_audit
from publicdata.audit.tables import AuditCheckpointRecord, AuditHead, AuditRecord
from publicdata.config import Settings, get_settings
from publicdata.db import utcnow
from publicdata.errors import NotAuthenticated, PermissionDenied, ValidationFailed
from publicdata.identity import auth
from publicdata.identity.permissions import ANONYMOUS, SYSTEM
from publicdata.platform import Platform
from tests.conftest import PG_URL
from tests.helpers import PASSWORD, make_actors

pytestmark = pytest.mark.req("PLT-8", "SEC-1")


def record_n(platform: Platform, n: int, action: str = "dataset.publish") -> None:
    for i in range(n):
        with platform.db.transaction() as session:
            record_audit(
                session,
                actor=SYSTEM,
                action=action,
                subject_type="dataset",
                subject_id=f"d{i}",
                details={"i": i},
            )


def stored(platform: Platform) -> list[dict[str, Any]]:
    with platform.db.reading() as session:
        rows = session.execute(select(AuditRecord.__table__).order_by(AuditRecord.row_id)).mappings().all()
    return [dict(r) for r in rows]


def row_id_of(platform: Platform, seq: int) -> int:
    with platform.db.reading() as session:
        return session.scalars(select(AuditRecord.row_id).where(AuditRecord.seq == seq)).one()


@contextmanager
def guard_bypassed(platform: Platform) -> Iterator[Connection]:
    """What a database superuser can do: disable the triggers, tamper, and re-enable them."""
    with platform.db.engine.begin() as conn:
        if platform.db.is_sqlite:
            saved = conn.execute(
                text(
                    "SELECT name, sql FROM sqlite_master "
                    "WHERE type = 'trigger' AND tbl_name = 'audit_entries'"
                )
            ).all()
            assert saved, "the guard triggers are missing"
            for name, _ in saved:
                conn.exec_driver_sql(f"DROP TRIGGER {name}")
            yield conn
            for _, sql in saved:
                conn.exec_driver_sql(sql)
        else:
            conn.exec_driver_sql("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_guard")
            yield conn
            conn.exec_driver_sql("ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_guard")


def first_problem(platform: Platform) -> tuple[str, int, int | None]:
    report = store.verify_audit_log(platform, actor=SYSTEM)
    assert not report.ok
    p = report.problems[0]
    return p.kind.value, p.seq, p.row_id


# --- the database guard ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_entries SET action = 'dataset.delete' WHERE seq = 2",
        "UPDATE audit_entries SET details = '{}'",
        "DELETE FROM audit_entries WHERE seq = 2",
        "DELETE FROM audit_entries",
    ],
)
def test_database_refuses_update_and_delete_of_entries(platform: Platform, sql: str) -> None:
    record_n(platform, 3)
    before = stored(platform)
    with pytest.raises(DBAPIError, match="append-only"), platform.db.transaction() as session:
        session.execute(text(sql))
    assert stored(platform) == before
    assert store.verify_audit_log(platform, actor=SYSTEM).ok


def test_database_refuses_orm_update_and_checkpoint_changes(platform: Platform) -> None:
    record_n(platform, 2)
    with pytest.raises(DBAPIError, match="append-only"), platform.db.transaction() as session:
        session.execute(update(AuditRecord).where(AuditRecord.seq == 1).values(subject_id="x"))
    store.create_checkpoint(platform, actor=SYSTEM)
    for sql in ("UPDATE audit_checkpoints SET seq = 1", "DELETE FROM audit_checkpoints"):
        with pytest.raises(DBAPIError, match="append-only"), platform.db.transaction() as session:
            session.execute(text(sql))


# --- each kind of tampering is named --------------------------------------------------------------------


def test_intact_log_verifies(platform: Platform) -> None:
    record_n(platform, 5)
    report = store.verify_audit_log(platform, actor=SYSTEM)
    assert report.ok and report.checked == 5 and report.head is not None and report.head.seq == 5
    assert stored(platform)[-1]["action"] == "audit.verify"  # the check itself is recorded


def test_edited_field_is_named(platform: Platform) -> None:
    record_n(platform, 6)
    with guard_bypassed(platform) as conn:
        conn.execute(update(AuditRecord).where(AuditRecord.seq == 3).values(details='{"i":99}'))
    assert first_problem(platform) == ("edited", 3, row_id_of(platform, 3))


def test_deleted_row_is_named(platform: Platform) -> None:
    record_n(platform, 6)
    next_row = row_id_of(platform, 4)
    with guard_bypassed(platform) as conn:
        conn.execute(delete(AuditRecord).where(AuditRecord.seq == 3))
    assert first_problem(platform) == ("deleted", 3, next_row)


def test_deleted_newest_rows_are_truncation(platform: Platform) -> None:
    record_n(platform, 6)
    with guard_bypassed(platform) as conn:
        conn.execute(delete(AuditRecord).where(AuditRecord.seq >= 5))
    assert first_problem(platform) == ("truncated", 5, None)


def test_inserted_row_is_named(platform: Platform) -> None:
    """A back-dated entry slipped in after seq 2: later rows renumbered to make room, the head moved."""
    record_n(platform, 6)
    rows = stored(platform)
    forged = append(
        ChainHead(2, rows[1]["hash"]),
        AuditDraft(
            occurred_at=rows[1]["occurred_at"] + timedelta(milliseconds=1),
            actor_kind="system",
            actor_id=None,
            action="dataset.publish",
            subject_type="dataset",
            subject_id="backdated",
        ),
    )
    with guard_bypassed(platform) as conn:
        for seq in range(6, 2, -1):
            conn.execute(update(AuditRecord).where(AuditRecord.seq == seq).values(seq=seq + 1))
        conn.execute(
            insert(AuditRecord).values(
                seq=3,
                occurred_at=forged.occurred_at,
                actor_kind=forged.actor_kind,
                actor_id=None,
                organization_id=None,
                action=forged.action,
                subject_type=forged.subject_type,
                subject_id=forged.subject_id,
                details="{}",
                prev_hash=forged.prev_hash,
                hash=forged.hash,
            )
        )
        conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=7))
    assert first_problem(platform) == ("inserted", 3, row_id_of(platform, 3))


def test_reordered_rows_are_named(platform: Platform) -> None:
    record_n(platform, 6)
    a, b = (r for r in stored(platform) if r["seq"] in (3, 4))
    with guard_bypassed(platform) as conn:
        conn.execute(delete(AuditRecord).where(AuditRecord.seq.in_([3, 4])))
        conn.execute(insert(AuditRecord).values({**b, "row_id": a["row_id"]}))
        conn.execute(insert(AuditRecord).values({**a, "row_id": b["row_id"]}))
    assert first_problem(platform) == ("reordered", 3, b["row_id"])


def test_rewritten_tail_is_caught_by_a_checkpoint(platform: Platform) -> None:
    """Deleting the newest rows and moving the head row back hides from the chain, not from a checkpoint."""
    record_n(platform, 4)
    cp = store.create_checkpoint(platform, actor=SYSTEM)
    assert cp.seq == 4 and store.verify_audit_log(platform, actor=SYSTEM).ok
    rows = stored(platform)
    with guard_bypassed(platform) as conn:
        conn.execute(delete(AuditRecord).where(AuditRecord.seq >= 4))
        conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=3, hash=rows[2]["hash"]))
    assert first_problem(platform) == ("truncated", 4, None)


def test_forged_checkpoint_is_reported(platform: Platform) -> None:
    """Inserting a purge checkpoint opens the guard, but it carries no valid signature."""
    record_n(platform, 3)
    with platform.db.transaction() as session:
        session.add(
            AuditCheckpointRecord(
                seq=3,
                hash="a" * 64,
                created_at=utcnow(),
                purged_through_seq=3,
                entry_count=3,
                key_id="0" * 16,
                signature="AAAA",
                exported="{}",
            )
        )
    with platform.db.transaction() as session:
        session.execute(delete(AuditRecord).where(AuditRecord.seq <= 2))
    kinds = {p.kind.value for p in store.verify_audit_log(platform, actor=SYSTEM).problems}
    assert {"bad_checkpoint", "deleted"} <= kinds


# --- checkpoints and the retention purge (SHR-6) --------------------------------------------------------


def backdated(platform: Platform, entries: list[tuple[timedelta, str]]) -> None:
    now = utcnow()
    for age, action in entries:
        with platform.db.transaction() as session:
            append_draft(
                session,
                AuditDraft(now - age, "system", None, action, "dataset", "d1", None, {"age_days": age.days}),
            )


OLD_LOG = [
    (timedelta(days=1500), "dataset.publish"),
    (timedelta(days=1300), "auth.login"),
    (timedelta(days=400), "api.call"),
    (timedelta(days=700), "dataset.update"),  # a record younger than 3 years: the purge stops here
    (timedelta(days=10), "resource.download"),
]


@pytest.mark.req("SHR-6")
def test_purge_below_the_floor_is_refused(platform: Platform) -> None:
    backdated(platform, OLD_LOG)
    with pytest.raises(ValidationFailed) as refused:
        store.purge_audit_log(platform, actor=SYSTEM, before=utcnow() - timedelta(days=100))
    assert refused.value.code == "audit_retention_floor"
    assert len(stored(platform)) == 5


@pytest.mark.req("SHR-6")
def test_purge_leaves_a_checkpoint_and_the_rest_verifies(platform: Platform) -> None:
    backdated(platform, OLD_LOG)
    result = store.purge_audit_log(platform, actor=SYSTEM, before=utcnow() - timedelta(days=200))
    assert (result.purged, result.through_seq) == (3, 3)
    assert result.held_by is not None and result.held_by["seq"] == 4
    assert result.checkpoint is not None and result.checkpoint.purged_through_seq == 3
    public = store.signing_key(platform).public_key()
    assert signing.verify_checkpoint(result.checkpoint, public)
    rows = stored(platform)
    assert [r["seq"] for r in rows] == [4, 5, 6]
    assert rows[-1]["action"] == "audit.purge" and json.loads(rows[-1]["details"])["purged"] == 3
    report = store.verify_audit_log(platform, actor=SYSTEM)
    assert report.ok, report.problems
    assert report.anchor.seq == 3 and report.checked == 3
    # rows past the checkpoint are still guarded
    with pytest.raises(DBAPIError, match="append-only"), platform.db.transaction() as session:
        session.execute(delete(AuditRecord).where(AuditRecord.seq == 4))
    # a second purge with the same cutoff finds nothing more: entry 4 is held by its 3-year floor
    again = store.purge_audit_log(platform, actor=SYSTEM, before=utcnow() - timedelta(days=200))
    assert again.purged == 0 and again.held_by is not None and again.held_by["seq"] == 4


@pytest.mark.req("SHR-6")
def test_purge_refuses_a_tampered_chain(platform: Platform) -> None:
    backdated(platform, OLD_LOG)
    with guard_bypassed(platform) as conn:
        conn.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(action="auth.logout"))
    with pytest.raises(Exception, match="does not verify") as refused:
        store.purge_audit_log(platform, actor=SYSTEM, before=utcnow() - timedelta(days=200))
    assert getattr(refused.value, "code", None) == "audit_chain_broken"
    assert len(stored(platform)) == 5


def test_export_checkpoints_verify_with_the_published_key(platform: Platform) -> None:
    record_n(platform, 2)
    store.create_checkpoint(platform, actor=SYSTEM)
    record_n(platform, 1)
    store.create_checkpoint(platform, actor=SYSTEM)
    exported = store.export_checkpoints(platform, actor=SYSTEM)
    key = signing.load_public_key_pem(exported["public_key"])
    cps = [signing.checkpoint_from_json(json.dumps(c)) for c in exported["checkpoints"]]
    assert [c.seq for c in cps] == [2, 4]  # the first checkpoint's own audit entry is seq 3
    assert all(signing.verify_checkpoint(c, key) for c in cps)


# --- search ---------------------------------------------------------------------------------------------


@pytest.mark.req("PLT-5")
def test_search_filters_and_is_itself_audited(platform: Platform) -> None:
    record_n(platform, 3, "dataset.publish")
    record_n(platform, 2, "resource.download")
    total, items = search_audit(platform, actor=SYSTEM, action="resource.")
    assert total == 2 and {i.action for i in items} == {"resource.download"}
    total, items = search_audit(platform, actor=SYSTEM, subject_type="dataset", subject_id="d1")
    assert total == 2
    total, items = search_audit(platform, actor=SYSTEM, until=utcnow() - timedelta(days=1))
    assert total == 0
    total, items = search_audit(platform, actor=SYSTEM, action="audit.search")
    assert total == 3  # the three searches before this one
    with pytest.raises(NotAuthenticated):
        search_audit(platform, actor=ANONYMOUS)


# --- the command line -----------------------------------------------------------------------------------


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("PUBLICDATA_VAR_DIR", str(settings.var_dir))
    monkeypatch.setenv("PUBLICDATA_DATABASE_URL", settings.resolved_database_url)
    monkeypatch.setenv("PUBLICDATA_SECRET_KEY", "test-secret-key-not-for-production")
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_cli_verify_checkpoint_export(platform: Platform, cli_env: CliRunner, tmp_path: Path) -> None:
    record_n(platform, 4)
    result = cli_env.invoke(audit_app, ["verify"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output
    result = cli_env.invoke(audit_app, ["checkpoint"])
    assert result.exit_code == 0, result.output
    assert signing.checkpoint_from_json(result.output).seq == 5
    out = tmp_path / "checkpoints.json"
    result = cli_env.invoke(audit_app, ["export-checkpoints", str(out)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(out.read_text())["checkpoints"]) == 1


def test_cli_verify_names_tampering(platform: Platform, cli_env: CliRunner) -> None:
    record_n(platform, 6)
    with guard_bypassed(platform) as conn:
        conn.execute(update(AuditRecord).where(AuditRecord.seq == 2).values(subject_id="forged"))
        conn.execute(delete(AuditRecord).where(AuditRecord.seq == 5))
    result = cli_env.invoke(audit_app, ["verify"], terminal_width=200)
    assert result.exit_code == 1, result.output
    assert "TAMPERED" in result.output
    assert "edited" in result.output and "deleted" in result.output


@pytest.mark.req("SHR-6")
def test_cli_purge(platform: Platform, cli_env: CliRunner) -> None:
    backdated(platform, OLD_LOG)
    recent = (datetime.now(UTC) - timedelta(days=30)).date().isoformat()
    result = cli_env.invoke(audit_app, ["purge", "--before", recent])
    assert result.exit_code == 2
    assert len(stored(platform)) == 5
    cutoff = (datetime.now(UTC) - timedelta(days=200)).date().isoformat()
    result = cli_env.invoke(audit_app, ["purge", "--before", cutoff])
    assert result.exit_code == 0, result.output
    assert "purged 3 entries" in result.output
    assert store.verify_audit_log(platform, actor=SYSTEM).ok


def test_refused_callers(platform: Platform) -> None:
    make_actors(platform)
    staff = auth.authenticate(platform, username="staff_a", password=PASSWORD)
    authority = auth.authenticate(platform, username="authority", password=PASSWORD)
    with pytest.raises(PermissionDenied):
        store.verify_audit_log(platform, actor=staff)
    with pytest.raises(PermissionDenied):
        store.create_checkpoint(platform, actor=authority)
    with pytest.raises(PermissionDenied):
        store.purge_audit_log(platform, actor=authority, before=utcnow() - timedelta(days=2000))
    assert store.verify_audit_log(platform, actor=authority).ok


# --- concurrent writers (PostgreSQL) --------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (PUBLICDATA_TEST_DATABASE_URL)")
def test_parallel_writers_leave_one_gapless_chain(platform: Platform) -> None:
    threads, per_thread = 8, 25
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def write(worker: int) -> None:
        try:
            barrier.wait()
            for i in range(per_thread):
                with platform.db.transaction() as session:
                    record_audit(
                        session,
                        actor=SYSTEM,
                        action="api.call",
                        subject_type="dataset",
                        subject_id=f"w{worker}",
                        details={"worker": worker, "i": i},
                    )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    workers = [threading.Thread(target=write, args=(w,)) for w in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    assert not errors
    rows = stored(platform)
    assert sorted(r["seq"] for r in rows) == list(range(1, threads * per_thread + 1))
    assert [r["seq"] for r in rows] == sorted(r["seq"] for r in rows)  # storage order is chain order
    assert len({r["prev_hash"] for r in rows}) == len(rows)  # no fork
    report = store.verify_audit_log(platform, actor=SYSTEM, window=150)  # two windows
    assert report.ok, report.problems[:3]
    assert report.checked == threads * per_thread


# --- windows --------------------------------------------------------------------------------------------


def test_verification_across_windows(platform: Platform) -> None:
    record_n(platform, 4)
    store.create_checkpoint(platform, actor=SYSTEM)  # signs seq 4; its own entry is seq 5
    record_n(platform, 4)
    report = store.verify_audit_log(platform, actor=SYSTEM, window=3)
    assert report.ok, report.problems
    assert report.checked == 9 and report.expected_head is not None and report.expected_head.seq == 4
    next_row = row_id_of(platform, 8)
    with guard_bypassed(platform) as conn:
        conn.execute(delete(AuditRecord).where(AuditRecord.seq == 7))
    problems = store.verify_audit_log(platform, actor=SYSTEM, window=3).problems
    assert [(p.kind.value, p.seq, p.row_id) for p in problems][:1] == [("deleted", 7, next_row)]


def test_checkpoint_detects_a_rewritten_prefix_across_windows(platform: Platform) -> None:
    record_n(platform, 6)
    store.create_checkpoint(platform, actor=SYSTEM)  # signs seq 6
    rows = stored(platform)
    with guard_bypassed(platform) as conn:  # delete the newest two and move the head row back
        conn.execute(delete(AuditRecord).where(AuditRecord.seq >= 6))
        conn.execute(update(AuditHead).where(AuditHead.id == 1).values(seq=5, hash=rows[4]["hash"]))
    problems = store.verify_audit_log(platform, actor=SYSTEM, window=2).problems
    assert (problems[0].kind.value, problems[0].seq) == ("truncated", 6)


@pytest.mark.req("PLT-5")
def test_csv_export_streams_every_window(platform: Platform) -> None:
    record_n(platform, 7)
    chunks = list(export_audit_csv(platform, actor=SYSTEM, action="dataset.", window=3))
    assert len(chunks) == 1 + 3  # header, then 3 + 3 + 1 rows
    lines = "".join(chunks).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("seq,occurred_at,")
    assert [int(line.split(",")[0]) for line in lines[1:]] == list(range(1, 8))
