"""conversation reviews

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:39:16.435571
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversation_reviews',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('team_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('findings', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('reviewed_seq', sa.Integer(), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_conversation_reviews_account_id_accounts')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_reviews_conversation_id_conversations')),
    sa.PrimaryKeyConstraint('conversation_id', name=op.f('pk_conversation_reviews'))
    )
    with op.batch_alter_table('conversation_reviews', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_reviews_account', ['account_id', 'reviewed_at'], unique=False)

    op.create_table('review_marks',
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('fault', sa.String(length=40), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('marked_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_review_marks_account_id_accounts')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_review_marks_conversation_id_conversations')),
    sa.ForeignKeyConstraint(['marked_by_id'], ['agents.id'], name=op.f('fk_review_marks_marked_by_id_agents')),
    sa.PrimaryKeyConstraint('conversation_id', 'fault', name=op.f('pk_review_marks'))
    )


def downgrade() -> None:
    op.drop_table('review_marks')
    with op.batch_alter_table('conversation_reviews', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_reviews_account')

    op.drop_table('conversation_reviews')
