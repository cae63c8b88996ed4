"""waiting since

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 15:13:56.690937
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waiting_since', sa.DateTime(timezone=True), nullable=True))
    # Open conversations whose last word is the customer's are waiting since that message.
    op.execute(
        "UPDATE conversations SET waiting_since = last_message_at "
        "WHERE status = 'open' AND last_message_author_type = 'contact'"
    )


def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_column('waiting_since')

