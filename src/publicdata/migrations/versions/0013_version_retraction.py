"""data versions can be retracted (rights complaints) or withheld (unprotected personal data)

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 16:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("data_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retracted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("retraction_reason", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("withheld_reason", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("data_versions", schema=None) as batch_op:
        batch_op.drop_column("withheld_reason")
        batch_op.drop_column("retraction_reason")
        batch_op.drop_column("retracted_at")
