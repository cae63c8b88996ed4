"""live visitors and mentions

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:16:34.307882
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invitation_stats',
    sa.Column('inbox_id', sa.Integer(), nullable=False),
    sa.Column('invitation_id', sa.String(length=32), nullable=False),
    sa.Column('shown', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['inbox_id'], ['inboxes.id'], name=op.f('fk_invitation_stats_inbox_id_inboxes')),
    sa.PrimaryKeyConstraint('inbox_id', 'invitation_id', name=op.f('pk_invitation_stats'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mentions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))

    with op.batch_alter_table('visitors', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_query', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('utm', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('pages', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('visit_started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('city', sa.String(length=100), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('visitors', schema=None) as batch_op:
        batch_op.drop_column('city')
        batch_op.drop_column('visit_started_at')
        batch_op.drop_column('pages')
        batch_op.drop_column('utm')
        batch_op.drop_column('search_query')

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('mentions')

    op.drop_table('invitation_stats')
