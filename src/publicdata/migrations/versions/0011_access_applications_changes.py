"""access: changes to application tables (if any)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_applications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_scope", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("one_off_bulk", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("access_applications", schema=None) as batch_op:
        batch_op.drop_column("one_off_bulk")
        batch_op.drop_column("approved_scope")
