"""the inbox sorted by SLA due time or by waiting time, on PostgreSQL from an index

The inbox's "SLA due" and "waiting longest" orders are `coalesce(column, <never>)`, id
(helpline/desk/filters.py, NEVER_SQL); without an index PostgreSQL read every conversation of
the account to sort them (60 ms at 100,000 conversations, and growing with them). SQLite sorts
them fast enough without, and its statement binds "never" as a value anyway: PostgreSQL only.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 02:20:00
"""

from __future__ import annotations

from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

NEVER_SQL = "TIMESTAMP WITH TIME ZONE '9999-01-01 00:00:00+00'"  # as helpline.desk.filters writes it
INDEXES = {"ix_conversations_sla_order": "sla_due_at", "ix_conversations_waiting_order": "waiting_since"}  # ORDER_INDEXES


def upgrade() -> None:
    if op.get_context().dialect.name != 'postgresql':
        return
    # Built without blocking the writes of a busy desk (outside the migration's transaction).
    with op.get_context().autocommit_block():
        for name, column in INDEXES.items():
            op.execute(
                f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON conversations "
                f"(account_id, coalesce({column}, {NEVER_SQL}), id)"
            )


def downgrade() -> None:
    if op.get_context().dialect.name != 'postgresql':
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
