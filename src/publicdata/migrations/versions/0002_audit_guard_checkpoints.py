"""audit guard and checkpoints: the database refuses UPDATE/DELETE on audit entries

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:05:00

PLT-8, SEC-1. Adds `audit_checkpoints` (signed chain heads) and triggers on SQLite and PostgreSQL that
refuse every UPDATE of `audit_entries` and `audit_checkpoints`, every DELETE of `audit_checkpoints`, and
every DELETE of `audit_entries` except the retention purge.

How the purge passes the guard: a DELETE of an entry is allowed only when its seq is at or below the
highest `purged_through_seq` of a stored checkpoint. `purge_audit_log` therefore inserts its signed
checkpoint first and deletes rows 1..N after it, in one transaction. The rule is the same on both
databases, keeps no mutable switch (no flag to flip, no session setting), and ties every deletion to a
checkpoint: a row inserted only to open the guard carries no valid Ed25519 signature, which
`verify_audit_log` reports. The guard stops the application (bugs, injected SQL through the app's
connection) from editing history; it cannot stop a database superuser, who can drop triggers — the hash
chain and exported checkpoints catch that.

Not guarded: TRUNCATE (PostgreSQL fires no row triggers; the test fixture relies on it) — a truncated log
is caught by an exported checkpoint. On SQLite a later migration that rebuilds `audit_entries` in batch
mode drops these triggers and must recreate them (same SQL as `create_guards()` below).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PURGED_THROUGH = "COALESCE((SELECT MAX(purged_through_seq) FROM audit_checkpoints), 0)"

_SQLITE_TRIGGERS = {
    "audit_entries_no_update": (
        "BEFORE UPDATE ON audit_entries BEGIN "
        "SELECT RAISE(ABORT, 'audit_entries is append-only: UPDATE refused'); END"
    ),
    "audit_entries_no_delete": (
        f"BEFORE DELETE ON audit_entries WHEN OLD.seq > {_PURGED_THROUGH} BEGIN "
        "SELECT RAISE(ABORT, 'audit_entries is append-only: DELETE refused outside a retention purge'); END"
    ),
    "audit_checkpoints_no_update": (
        "BEFORE UPDATE ON audit_checkpoints BEGIN "
        "SELECT RAISE(ABORT, 'audit_checkpoints is append-only: UPDATE refused'); END"
    ),
    "audit_checkpoints_no_delete": (
        "BEFORE DELETE ON audit_checkpoints BEGIN "
        "SELECT RAISE(ABORT, 'audit_checkpoints is append-only: DELETE refused'); END"
    ),
}

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION publicdata_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $guard$
BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME = 'audit_entries' AND OLD.seq <= {_PURGED_THROUGH} THEN
        RETURN OLD;  -- the retention purge: covered by a stored purge checkpoint
    END IF;
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'audit entries are removed only by the retention purge (publicdata audit purge)';
END
$guard$
"""

_PG_TRIGGERS = {
    "audit_entries_guard": "audit_entries",
    "audit_checkpoints_guard": "audit_checkpoints",
}


def create_guards() -> None:
    """Create the triggers for the current dialect (idempotent on neither: call once per table build)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_PG_FUNCTION)
        for name, table in _PG_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION publicdata_audit_guard()"
            )
    else:
        for name, body in _SQLITE_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {body}")


def drop_guards() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, table in _PG_TRIGGERS.items():
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS publicdata_audit_guard()")
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_through_seq", sa.BigInteger(), nullable=True),
        sa.Column("entry_count", sa.BigInteger(), nullable=False),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.Column("signature", sa.String(length=120), nullable=False),
        sa.Column("exported", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    create_guards()


def downgrade() -> None:
    drop_guards()
    op.drop_table("audit_checkpoints")
