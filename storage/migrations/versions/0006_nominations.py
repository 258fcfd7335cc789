"""nominations, their events, form drafts and media

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table("form_drafts",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("form", sa.String(length=32), nullable=False),
    sa.Column("step", sa.String(length=32), nullable=False),
    sa.Column("data", sa.JSON(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_form_drafts_contact_id_contacts"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_form_drafts")),
    sa.UniqueConstraint("contact_id", "form", name="uq_form_drafts_contact_form")
    )
    with op.batch_alter_table("form_drafts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_drafts_updated_at"), ["updated_at"], unique=False)

    op.create_table("nominations",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("code", sa.String(length=12), nullable=False),
    sa.Column("kind", sa.String(length=16), nullable=False),
    sa.Column("status", sa.String(length=16), nullable=False),
    sa.Column("province", sa.String(length=32), nullable=False),
    sa.Column("commune_code", sa.String(length=16), nullable=False),
    sa.Column("village", sa.String(length=200), nullable=True),
    sa.Column("former_place", sa.String(length=200), nullable=True),
    sa.Column("nominee", sa.String(length=300), nullable=False),
    sa.Column("achievements", sa.Text(), nullable=False),
    sa.Column("organisation", sa.String(length=200), nullable=True),
    sa.Column("nominator_contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    sa.Column("nominator_name", sa.String(length=200), nullable=True),
    sa.Column("nominator_phone", sa.String(length=20), nullable=True),
    sa.Column("proxy_for_name", sa.String(length=200), nullable=True),
    sa.Column("proxy_for_phone", sa.String(length=20), nullable=True),
    sa.Column("contact_consent", sa.Boolean(), nullable=False),
    sa.Column("nominee_consent", sa.String(length=12), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["nominator_contact_id"], ["contacts.id"], name=op.f("fk_nominations_nominator_contact_id_contacts"), ondelete="SET NULL"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_nominations")),
    sa.UniqueConstraint("code", name=op.f("uq_nominations_code"))
    )
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        batch_op.create_index("ix_nominations_commune", ["commune_code", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_nominations_nominator_contact_id"), ["nominator_contact_id"], unique=False)
        batch_op.create_index("ix_nominations_queue", ["province", "status", "created_at"], unique=False)

    op.create_table("media",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("token", sa.String(length=48), nullable=False),
    sa.Column("sha256", sa.String(length=64), nullable=False),
    sa.Column("content_type", sa.String(length=32), nullable=False),
    sa.Column("size", sa.Integer(), nullable=False),
    sa.Column("width", sa.Integer(), nullable=False),
    sa.Column("height", sa.Integer(), nullable=False),
    sa.Column("contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    sa.Column("nomination_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    sa.Column("platform_ref", sa.String(length=200), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_media_contact_id_contacts"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["nomination_id"], ["nominations.id"], name=op.f("fk_media_nomination_id_nominations"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_media")),
    sa.UniqueConstraint("token", name=op.f("uq_media_token"))
    )
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_media_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index("ix_media_nomination_id", ["nomination_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_media_sha256"), ["sha256"], unique=False)

    op.create_table("nomination_events",
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("nomination_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
    sa.Column("actor_contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
    sa.Column("actor_role", sa.String(length=16), nullable=False),
    sa.Column("from_status", sa.String(length=16), nullable=True),
    sa.Column("to_status", sa.String(length=16), nullable=False),
    sa.Column("note", sa.Text(), nullable=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["actor_contact_id"], ["contacts.id"], name=op.f("fk_nomination_events_actor_contact_id_contacts"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["nomination_id"], ["nominations.id"], name=op.f("fk_nomination_events_nomination_id_nominations"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_nomination_events"))
    )
    with op.batch_alter_table("nomination_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nomination_events_nomination_id"), ["nomination_id"], unique=False)

    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("subject", sa.String(length=32), nullable=True))




def downgrade() -> None:

    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_column("subject")

    with op.batch_alter_table("nomination_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nomination_events_nomination_id"))

    op.drop_table("nomination_events")
    with op.batch_alter_table("media", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_media_sha256"))
        batch_op.drop_index("ix_media_nomination_id")
        batch_op.drop_index(batch_op.f("ix_media_contact_id"))

    op.drop_table("media")
    with op.batch_alter_table("nominations", schema=None) as batch_op:
        batch_op.drop_index("ix_nominations_queue")
        batch_op.drop_index(batch_op.f("ix_nominations_nominator_contact_id"))
        batch_op.drop_index("ix_nominations_commune")

    op.drop_table("nominations")
    with op.batch_alter_table("form_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_drafts_updated_at"))

    op.drop_table("form_drafts")

