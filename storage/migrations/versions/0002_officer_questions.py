"""officer questions and officer-written knowledge

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('knowledge_entries',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=32), nullable=True),
    sa.Column('topic', sa.String(length=32), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('author_contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['author_contact_id'], ['contacts.id'], name=op.f('fk_knowledge_entries_author_contact_id_contacts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_entries'))
    )
    op.create_table('officer_questions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('province', sa.String(length=32), nullable=True),
    sa.Column('area', sa.String(length=64), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by_contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('knowledge_entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_contact_id'], ['contacts.id'], name=op.f('fk_officer_questions_answered_by_contact_id_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_officer_questions_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['knowledge_entry_id'], ['knowledge_entries.id'], name=op.f('fk_officer_questions_knowledge_entry_id_knowledge_entries'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_officer_questions'))
    )
    with op.batch_alter_table('officer_questions', schema=None) as batch_op:
        batch_op.create_index('ix_officer_questions_status_province', ['status', 'province'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('officer_questions', schema=None) as batch_op:
        batch_op.drop_index('ix_officer_questions_status_province')

    op.drop_table('officer_questions')
    op.drop_table('knowledge_entries')
