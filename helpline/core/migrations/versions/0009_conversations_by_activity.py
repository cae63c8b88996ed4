"""conversations by activity: lists across statuses (filters, search) newest first

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 17:25:51.422375
"""

from __future__ import annotations

from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index('ix_conversations_activity', ['account_id', 'last_activity_at', 'id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_conversations_activity')

