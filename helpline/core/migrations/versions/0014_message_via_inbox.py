"""messages.via_inbox_id: an answer sent through another inbox than the conversation's

On SQLite a plain ADD COLUMN with the reference inline: a batch operation would rebuild
`messages` and lose the full-text triggers on it (see 0008).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 01:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_context().dialect.name == 'sqlite':  # no ALTER of constraints: inline, as SQLite allows
        op.execute(
            'ALTER TABLE messages ADD COLUMN via_inbox_id INTEGER '
            'CONSTRAINT fk_messages_via_inbox_id_inboxes REFERENCES inboxes (id)'
        )
        return
    op.add_column('messages', sa.Column('via_inbox_id', sa.Integer(), nullable=True))
    # NOT VALID: every existing row is NULL, so checking them all (under the lock that blocks
    # writing messages) would only take time; new rows are checked as usual.
    op.create_foreign_key(
        op.f('fk_messages_via_inbox_id_inboxes'), 'messages', 'inboxes', ['via_inbox_id'], ['id'],
        postgresql_not_valid=True,
    )


def downgrade() -> None:
    if op.get_context().dialect.name != 'sqlite':  # SQLite drops the column's reference with it
        op.drop_constraint(op.f('fk_messages_via_inbox_id_inboxes'), 'messages', type_='foreignkey')
    op.drop_column('messages', 'via_inbox_id')
