"""a data version is committed before its checks run (queryable by its provider at once) and becomes
current only when the privacy scan and quality checks are recorded (`checked_at`)

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("data_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True))
    # Every version made before this revision went through its checks before it was committed.
    op.execute("UPDATE data_versions SET checked_at = created_at")


def downgrade() -> None:
    op.execute("DELETE FROM data_versions WHERE checked_at IS NULL")
    with op.batch_alter_table("data_versions", schema=None) as batch_op:
        batch_op.drop_column("checked_at")
