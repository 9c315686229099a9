"""events: stories grouping posts, MinHash signatures and LSH bands, cases per event, grading
and routing decisions on cases, higher-level requests, rumour referrals

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

# Frozen copies of the schema's column types: a migration must not change when the models do.
UTC_DATETIME = sa.DateTime(timezone=True)
JSON_TEXT = sa.JSON().with_variant(sa.Text(), "sqlite")

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("first_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("last_seen_at", UTC_DATETIME, nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["events.id"],
            name=op.f("fk_events_merged_into_id_events"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
    )
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_posts_event_id_events"), "events", ["event_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_index("ix_posts_event", ["event_id"], unique=False)
    op.create_table(
        "post_signatures",
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("minhash", sa.LargeBinary(), nullable=False),
        sa.Column("shingles", sa.Integer(), nullable=False),
        sa.Column("seen_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_post_signatures_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("post_id", name=op.f("pk_post_signatures")),
    )
    op.create_table(
        "signature_bands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("band", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("seen_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"],
            ["posts.id"],
            name=op.f("fk_signature_bands_post_id_posts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signature_bands")),
    )
    with op.batch_alter_table("signature_bands", schema=None) as batch_op:
        batch_op.create_index("ix_signature_bands_band", ["band", "seen_at"], unique=False)
        batch_op.create_index("ix_signature_bands_seen", ["seen_at"], unique=False)
    with op.batch_alter_table("cases", schema=None) as batch_op:
        # A higher-level request (category five) opens a case without a post.
        batch_op.alter_column("post_id", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("severity_reasons", JSON_TEXT, server_default=sa.text("'[]'"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("routing", JSON_TEXT, server_default=sa.text("'{}'"), nullable=False)
        )
        batch_op.add_column(sa.Column("merged_into_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("requested_by", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("about", sa.Text(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_cases_event_id_events"), "events", ["event_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(
            op.f("fk_cases_merged_into_id_cases"),
            "cases",
            ["merged_into_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index("ix_cases_event", ["event_id"], unique=False)
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("organs", JSON_TEXT, nullable=False),
        sa.Column("reasons", JSON_TEXT, nullable=False),
        sa.Column("evidence", JSON_TEXT, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_referrals_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
        sa.UniqueConstraint("case_id", name=op.f("uq_referrals_case_id")),
    )


def downgrade() -> None:
    op.drop_table("referrals")
    # Cases without a post (higher-level requests) cannot survive a schema that requires one.
    op.execute("DELETE FROM cases WHERE post_id IS NULL")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_event")
        batch_op.drop_constraint(op.f("fk_cases_merged_into_id_cases"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_cases_event_id_events"), type_="foreignkey")
        batch_op.drop_column("about")
        batch_op.drop_column("requested_by")
        batch_op.drop_column("merged_into_id")
        batch_op.drop_column("routing")
        batch_op.drop_column("severity_reasons")
        batch_op.drop_column("event_id")
        batch_op.alter_column("post_id", existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table("signature_bands", schema=None) as batch_op:
        batch_op.drop_index("ix_signature_bands_seen")
        batch_op.drop_index("ix_signature_bands_band")
    op.drop_table("signature_bands")
    op.drop_table("post_signatures")
    with op.batch_alter_table("posts", schema=None) as batch_op:
        batch_op.drop_index("ix_posts_event")
        batch_op.drop_constraint(op.f("fk_posts_event_id_events"), type_="foreignkey")
        batch_op.drop_column("event_id")
    op.drop_table("events")
