"""sources' own intervals; case lifecycle: deadline states, acknowledgement, responses,
closing, escalation; the alert outbox and its deliveries

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

# Frozen copies of the schema's column types: a migration must not change when the models do.
UTC_DATETIME = sa.DateTime(timezone=True)
JSON_TEXT = sa.JSON().with_variant(sa.Text(), "sqlite")

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("every", sa.String(length=20), server_default=sa.text("''"), nullable=False)
        )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "deadline_state",
                sa.String(length=20),
                server_default=sa.text("'on_track'"),
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("acknowledged_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("first_response_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("deadline_met", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", UTC_DATETIME, nullable=True))
        batch_op.add_column(sa.Column("close_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("escalated_at", UTC_DATETIME, nullable=True))
    # Cases marked overdue by the earlier sweep keep that state.
    op.execute(
        "UPDATE cases SET deadline_state = 'overdue' WHERE id IN "
        "(SELECT case_id FROM case_events WHERE action = 'overdue')"
    )
    op.create_table(
        "case_responses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=40), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("at", UTC_DATETIME, nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", UTC_DATETIME, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["cases.id"],
            name=op.f("fk_case_responses_case_id_cases"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_responses")),
    )
    with op.batch_alter_table("case_responses", schema=None) as batch_op:
        batch_op.create_index("ix_case_responses_case", ["case_id", "at"], unique=False)
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("payload", JSON_TEXT, nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_alerts_case_id_cases"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("key", name=op.f("uq_alerts_key")),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC_DATETIME, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", UTC_DATETIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_deliveries_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_deliveries")),
        sa.UniqueConstraint("alert_id", "channel", name="uq_alert_deliveries_alert_channel"),
    )
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_alert_deliveries_due", ["status", "next_attempt_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_deliveries_due")
    op.drop_table("alert_deliveries")
    op.drop_table("alerts")
    with op.batch_alter_table("case_responses", schema=None) as batch_op:
        batch_op.drop_index("ix_case_responses_case")
    op.drop_table("case_responses")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("close_reason")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("deadline_met")
        batch_op.drop_column("first_response_at")
        batch_op.drop_column("acknowledged_at")
        batch_op.drop_column("deadline_state")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_column("every")
