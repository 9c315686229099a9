"""crawled sources: per-source options, message-board reply fields, post updates

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

# Frozen copies of the schema's column types: a migration must not change when the models do.
UTC_DATETIME = sa.DateTime(timezone=True)
JSON_TEXT = sa.JSON().with_variant(sa.Text(), "sqlite")

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        # Existing sources (feeds and sitemaps) take no options: '{}' fills them.
        batch_op.add_column(
            sa.Column("options", JSON_TEXT, server_default=sa.text("'{}'"), nullable=False)
        )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("addressed_to", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("reply_status", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("reply_text", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("replied_at", UTC_DATETIME, nullable=True))
    op.create_table(
        "post_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("what", sa.String(length=40), nullable=False),
        sa.Column("detail", JSON_TEXT, nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_post_updates_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_post_updates")),
    )
    with op.batch_alter_table("post_updates", schema=None) as batch_op:
        batch_op.create_index("ix_post_updates_post", ["post_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("post_updates", schema=None) as batch_op:
        batch_op.drop_index("ix_post_updates_post")
    op.drop_table("post_updates")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_column("replied_at")
        batch_op.drop_column("reply_text")
        batch_op.drop_column("reply_status")
        batch_op.drop_column("addressed_to")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("options")
