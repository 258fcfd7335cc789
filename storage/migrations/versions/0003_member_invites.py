"""invites can grant the member role, naming the organisation

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("invites") as batch_op:
        batch_op.add_column(sa.Column("organisation", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("invites") as batch_op:
        batch_op.drop_column("organisation")
