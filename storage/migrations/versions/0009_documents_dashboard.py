"""documents sent in chat; dashboard login links and sessions

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table("documents",
    sa.Column("id", ID, nullable=False),
    sa.Column("token", sa.String(length=48), nullable=False),
    sa.Column("contact_id", ID, nullable=True),
    sa.Column("filename", sa.String(length=120), nullable=False),
    sa.Column("content_type", sa.String(length=100), nullable=False),
    sa.Column("body", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_documents_contact_id_contacts"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    sa.UniqueConstraint("token", name=op.f("uq_documents_token"))
    )
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_documents_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_documents_expires_at"), ["expires_at"], unique=False)

    op.create_table("dashboard_logins",
    sa.Column("id", ID, nullable=False),
    sa.Column("token_hash", sa.String(length=64), nullable=False),
    sa.Column("contact_id", ID, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_dashboard_logins_contact_id_contacts"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_logins")),
    sa.UniqueConstraint("token_hash", name=op.f("uq_dashboard_logins_token_hash"))
    )
    with op.batch_alter_table("dashboard_logins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_logins_contact_id"), ["contact_id"], unique=False)

    op.create_table("dashboard_sessions",
    sa.Column("id", ID, nullable=False),
    sa.Column("token_hash", sa.String(length=64), nullable=False),
    sa.Column("contact_id", ID, nullable=False),
    sa.Column("csrf", sa.String(length=64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_dashboard_sessions_contact_id_contacts"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_sessions")),
    sa.UniqueConstraint("token_hash", name=op.f("uq_dashboard_sessions_token_hash"))
    )
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dashboard_sessions_contact_id"), ["contact_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("dashboard_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_sessions_contact_id"))
    op.drop_table("dashboard_sessions")
    with op.batch_alter_table("dashboard_logins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dashboard_logins_contact_id"))
    op.drop_table("dashboard_logins")
    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_documents_expires_at"))
        batch_op.drop_index(batch_op.f("ix_documents_contact_id"))
    op.drop_table("documents")
