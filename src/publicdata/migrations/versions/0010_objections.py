"""objections and rights complaints

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 15:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "objections",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("dataset_id", sa.String(length=32), nullable=False),
        sa.Column("dataset_code", sa.String(length=40), nullable=False),
        sa.Column("provider_id", sa.String(length=32), nullable=False),
        sa.Column("objector_id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("field_hints", sa.JSON(), nullable=False),
        sa.Column("row_hints", sa.Text(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mark_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mark_overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_order_id", sa.String(length=32), nullable=True),
        sa.Column("verification_order_id", sa.String(length=32), nullable=True),
        sa.Column("forwarded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=20), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("correction_version", sa.Integer(), nullable=True),
        sa.Column("correction_order_id", sa.String(length=32), nullable=True),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_objections_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["objector_id"], ["users.id"], name=op.f("fk_objections_objector_id_users")),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["organizations.id"], name=op.f("fk_objections_provider_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    op.create_index("ix_objections_dataset_status", "objections", ["dataset_id", "status"], unique=False)
    op.create_index("ix_objections_mark_due", "objections", ["marked_at", "mark_due_at"], unique=False)
    op.create_index(op.f("ix_objections_objector_id"), "objections", ["objector_id"], unique=False)
    op.create_index(op.f("ix_objections_review_order_id"), "objections", ["review_order_id"], unique=False)
    op.create_index(
        op.f("ix_objections_verification_order_id"), "objections", ["verification_order_id"], unique=False
    )
    op.create_table(
        "rights_complaints",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("dataset_id", sa.String(length=32), nullable=False),
        sa.Column("dataset_code", sa.String(length=40), nullable=False),
        sa.Column("provider_id", sa.String(length=32), nullable=False),
        sa.Column("complainant_id", sa.String(length=32), nullable=False),
        sa.Column("right_kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("field_hints", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("order_id", sa.String(length=32), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data_version", sa.Integer(), nullable=True),
        sa.Column("suspended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("state_before_suspension", sa.String(length=20), nullable=True),
        sa.Column("version_at_suspension", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.Column("reprocessed_version", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["complainant_id"], ["users.id"], name=op.f("fk_rights_complaints_complainant_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name=op.f("fk_rights_complaints_dataset_id_datasets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["organizations.id"], name=op.f("fk_rights_complaints_provider_id_organizations")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rights_complaints")),
    )
    op.create_index(
        op.f("ix_rights_complaints_complainant_id"), "rights_complaints", ["complainant_id"], unique=False
    )
    op.create_index(
        "ix_rights_complaints_dataset_status", "rights_complaints", ["dataset_id", "status"], unique=False
    )
    op.create_index(op.f("ix_rights_complaints_order_id"), "rights_complaints", ["order_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_rights_complaints_order_id"), table_name="rights_complaints")
    op.drop_index("ix_rights_complaints_dataset_status", table_name="rights_complaints")
    op.drop_index(op.f("ix_rights_complaints_complainant_id"), table_name="rights_complaints")
    op.drop_table("rights_complaints")
    op.drop_index(op.f("ix_objections_verification_order_id"), table_name="objections")
    op.drop_index(op.f("ix_objections_review_order_id"), table_name="objections")
    op.drop_index(op.f("ix_objections_objector_id"), table_name="objections")
    op.drop_index("ix_objections_mark_due", table_name="objections")
    op.drop_index("ix_objections_dataset_status", table_name="objections")
    op.drop_table("objections")
