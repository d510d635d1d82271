"""access: grant suspension cause and call outcome

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("access_grants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("suspension_cause", sa.String(length=20), nullable=False, server_default="")
        )
    with op.batch_alter_table("grant_calls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("outcome", sa.String(length=20), nullable=False, server_default="served")
        )


def downgrade() -> None:
    with op.batch_alter_table("grant_calls", schema=None) as batch_op:
        batch_op.drop_column("outcome")
    with op.batch_alter_table("access_grants", schema=None) as batch_op:
        batch_op.drop_column("suspension_cause")
