"""broadcasts, and the deliveries of every message to other people

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.add_column(sa.Column("topics", sa.String(length=200), nullable=True))

    op.create_table("broadcasts",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("created_by_contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    sa.Column("created_by", sa.String(length=160), nullable=False),
    sa.Column("province", sa.String(length=32), nullable=True),
    sa.Column("audience", sa.JSON(), nullable=False),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("photo", sa.String(length=48), nullable=True),
    sa.Column("urgent", sa.Boolean(), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expanded_to", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("total", sa.Integer(), nullable=False),
    sa.Column("nomination_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["created_by_contact_id"], ["contacts.id"], name=op.f("fk_broadcasts_created_by_contact_id_contacts"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["nomination_id"], ["nominations.id"], name=op.f("fk_broadcasts_nomination_id_nominations"), ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts"))
    )
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.create_index("ix_broadcasts_status_scheduled", ["status", "scheduled_at"], unique=False)

    op.create_table("deliveries",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("channel", sa.String(length=16), nullable=False),
    sa.Column("lane", sa.Integer(), nullable=False),
    sa.Column("urgent", sa.Boolean(), nullable=False),
    sa.Column("broadcast_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    sa.Column("replies", sa.JSON(), nullable=False),
    sa.Column("status", sa.String(length=12), nullable=False),
    sa.Column("attempts", sa.Integer(), nullable=False),
    sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
    sa.Column("error", sa.String(length=200), nullable=True),
    sa.Column("platform_message_id", sa.String(length=64), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["broadcast_id"], ["broadcasts.id"], name=op.f("fk_deliveries_broadcast_id_broadcasts"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_deliveries_contact_id_contacts"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
    sa.UniqueConstraint("broadcast_id", "contact_id", name="uq_deliveries_broadcast_contact")
    )
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.create_index("ix_deliveries_broadcast_status", ["broadcast_id", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_deliveries_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index("ix_deliveries_due", ["channel", "status", "lane", "not_before"], unique=False)




def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch_op:
        batch_op.drop_column("topics")

    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_due")
        batch_op.drop_index(batch_op.f("ix_deliveries_contact_id"))
        batch_op.drop_index("ix_deliveries_broadcast_status")

    op.drop_table("deliveries")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_index("ix_broadcasts_status_scheduled")

    op.drop_table("broadcasts")

