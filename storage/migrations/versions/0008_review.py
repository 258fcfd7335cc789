"""review: recommendations and decisions, supports, questions to nominators and askers

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:

    op.create_table("nomination_reviews",
    sa.Column("nomination_id", ID, nullable=False),
    sa.Column("recommendation", sa.String(length=16), nullable=True),
    sa.Column("recommendation_note", sa.Text(), nullable=True),
    sa.Column("recommended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("reason", sa.Text(), nullable=True),
    sa.Column("duplicate_of_id", ID, nullable=True),
    sa.Column("award_kind", sa.String(length=16), nullable=True),
    sa.Column("award", sa.String(length=200), nullable=True),
    sa.Column("decided_by_body", sa.String(length=200), nullable=True),
    sa.Column("decision_number", sa.String(length=64), nullable=True),
    sa.Column("decision_date", sa.Date(), nullable=True),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("supports_open", sa.Boolean(), nullable=False),
    sa.Column("supports_opened_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("burst_flagged_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("burst_cleared_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["duplicate_of_id"], ["nominations.id"], name=op.f("fk_nomination_reviews_duplicate_of_id_nominations"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["nomination_id"], ["nominations.id"], name=op.f("fk_nomination_reviews_nomination_id_nominations"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("nomination_id", name=op.f("pk_nomination_reviews"))
    )

    op.create_table("supports",
    sa.Column("id", ID, nullable=False),
    sa.Column("nomination_id", ID, nullable=False),
    sa.Column("contact_id", ID, nullable=False),
    sa.Column("status", sa.String(length=12), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], name=op.f("fk_supports_contact_id_contacts"), ondelete="CASCADE"),
    sa.ForeignKeyConstraint(["nomination_id"], ["nominations.id"], name=op.f("fk_supports_nomination_id_nominations"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_supports")),
    sa.UniqueConstraint("nomination_id", "contact_id", name="uq_supports_nomination_contact")
    )
    with op.batch_alter_table("supports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_supports_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index("ix_supports_nomination_at", ["nomination_id", "created_at"], unique=False)

    op.create_table("info_requests",
    sa.Column("id", ID, nullable=False),
    sa.Column("nomination_id", ID, nullable=False),
    sa.Column("asked_by_contact_id", ID, nullable=True),
    sa.Column("question", sa.Text(), nullable=False),
    sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("answer", sa.Text(), nullable=True),
    sa.Column("photos", sa.Integer(), nullable=False),
    sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["asked_by_contact_id"], ["contacts.id"], name=op.f("fk_info_requests_asked_by_contact_id_contacts"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["nomination_id"], ["nominations.id"], name=op.f("fk_info_requests_nomination_id_nominations"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_info_requests"))
    )
    with op.batch_alter_table("info_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_info_requests_nomination_id"), ["nomination_id"], unique=False)

    op.create_table("question_followups",
    sa.Column("id", ID, nullable=False),
    sa.Column("question_id", ID, nullable=False),
    sa.Column("asked_by_contact_id", ID, nullable=True),
    sa.Column("text", sa.Text(), nullable=False),
    sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("reply", sa.Text(), nullable=True),
    sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["asked_by_contact_id"], ["contacts.id"], name=op.f("fk_question_followups_asked_by_contact_id_contacts"), ondelete="SET NULL"),
    sa.ForeignKeyConstraint(["question_id"], ["officer_questions.id"], name=op.f("fk_question_followups_question_id_officer_questions"), ondelete="CASCADE"),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_question_followups")),
    sa.UniqueConstraint("question_id", name=op.f("uq_question_followups_question_id"))
    )

    with op.batch_alter_table("nominations", schema=None) as batch_op:
        batch_op.create_index("ix_nominations_status_created", ["status", "created_at"], unique=False)




def downgrade() -> None:

    with op.batch_alter_table("nominations", schema=None) as batch_op:
        batch_op.drop_index("ix_nominations_status_created")

    op.drop_table("question_followups")
    with op.batch_alter_table("info_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_info_requests_nomination_id"))

    op.drop_table("info_requests")
    with op.batch_alter_table("supports", schema=None) as batch_op:
        batch_op.drop_index("ix_supports_nomination_at")
        batch_op.drop_index(batch_op.f("ix_supports_contact_id"))

    op.drop_table("supports")
    op.drop_table("nomination_reviews")

