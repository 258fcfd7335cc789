"""replies owed to channels that send after the turn, kept until sent

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outgoing_replies",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("receipt", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("external_id", sa.String(length=128), nullable=False),
        sa.Column("replies", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_outgoing_replies_contact_id_contacts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_replies")),
        sa.UniqueConstraint("receipt", name=op.f("uq_outgoing_replies_receipt")),
    )
    with op.batch_alter_table("outgoing_replies") as batch_op:
        batch_op.create_index(
            "ix_outgoing_replies_channel_id", ["channel", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outgoing_replies_contact_id"), ["contact_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outgoing_replies") as batch_op:
        batch_op.drop_index(batch_op.f("ix_outgoing_replies_contact_id"))
        batch_op.drop_index("ix_outgoing_replies_channel_id")
    op.drop_table("outgoing_replies")
