"""privacy: scans, desensitization rules, publication overrides

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "privacy_scans",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("dataset_id", sa.String(length=32), nullable=False),
        sa.Column("version_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("blocking", sa.JSON(), nullable=False),
        sa.Column("applied_rules", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_privacy_scans_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["data_versions.id"],
            name=op.f("fk_privacy_scans_version_id_data_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_scans")),
        sa.UniqueConstraint("version_id", name=op.f("uq_privacy_scans_version_id")),
    )
    with op.batch_alter_table("privacy_scans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_scans_dataset_id"), ["dataset_id"], unique=False)

    op.create_table(
        "privacy_rules",
        sa.Column("dataset_id", sa.String(length=32), nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_privacy_rules_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", name=op.f("pk_privacy_rules")),
    )

    op.create_table(
        "privacy_overrides",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("dataset_id", sa.String(length=32), nullable=False),
        sa.Column("version_id", sa.String(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.String(length=32), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("columns", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_privacy_overrides_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["data_versions.id"],
            name=op.f("fk_privacy_overrides_version_id_data_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_overrides")),
    )
    with op.batch_alter_table("privacy_overrides", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_privacy_overrides_dataset_id"), ["dataset_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_privacy_overrides_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_privacy_overrides_version_id"), ["version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("privacy_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_overrides_version_id"))
        batch_op.drop_index(batch_op.f("ix_privacy_overrides_organization_id"))
        batch_op.drop_index(batch_op.f("ix_privacy_overrides_dataset_id"))
    op.drop_table("privacy_overrides")
    op.drop_table("privacy_rules")
    with op.batch_alter_table("privacy_scans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_scans_dataset_id"))
    op.drop_table("privacy_scans")
