"""access: a grant's daily quota of rows delivered (besides its daily call quota)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # NULL: no row limit (every grant issued before this migration keeps its call quota only).
    with op.batch_alter_table("access_grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("daily_row_quota", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("access_grants", schema=None) as batch_op:
        batch_op.drop_column("daily_row_quota")
