"""analyst labels: an append-only log of label additions and removals

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

# A frozen copy of the schema's column type: a migration must not change when the models do.
UTC_DATETIME = sa.DateTime(timezone=True)

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "analyst_labels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("analyst", sa.String(length=200), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("action IN ('add', 'remove')", name=op.f("ck_analyst_labels_action")),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_analyst_labels_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analyst_labels")),
    )
    with op.batch_alter_table("analyst_labels", schema=None) as batch_op:
        batch_op.create_index("ix_analyst_labels_post", ["post_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("analyst_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_analyst_labels_post")

    op.drop_table("analyst_labels")
