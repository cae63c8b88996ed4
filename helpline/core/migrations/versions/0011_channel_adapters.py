"""channel adapters: delivery states of messages, inbox webhooks and pollers, blocked identities

Only columns and indexes are added (no table is copied on SQLite, so the FTS triggers of
`messages` stay, see 0008); the downgrade drops them with plain ALTER TABLE for the same
reason.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 19:53:04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("inboxes", sa.Column("secret", sa.String(length=64), nullable=True))
    op.add_column("inboxes", sa.Column("status", sa.String(length=16), nullable=True))
    op.add_column("inboxes", sa.Column("last_error", sa.Text(), nullable=True))
    op.add_column("inboxes", sa.Column("last_error_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("inboxes", sa.Column("cursor", _JSON, nullable=False, server_default=sa.text("'{}'")))
    op.add_column("inboxes", sa.Column("poll_owner", sa.String(length=64), nullable=True))
    op.add_column("inboxes", sa.Column("poll_lease_until", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_inboxes_secret", "inboxes", ["secret"], unique=True)
    op.add_column("messages", sa.Column("delivery_status", sa.String(length=16), nullable=True))
    op.add_column("messages", sa.Column("delivery_error", sa.Text(), nullable=True))
    op.add_column("messages", sa.Column("external_id", sa.String(length=255), nullable=True))
    op.create_index("ix_messages_external", "messages", ["account_id", "external_id"], unique=False)
    op.add_column("contact_identities", sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("contact_identities", "blocked_at")
    op.drop_index("ix_messages_external", table_name="messages")
    for column in ("external_id", "delivery_error", "delivery_status"):
        op.drop_column("messages", column)
    op.drop_index("ix_inboxes_secret", table_name="inboxes")
    for column in ("poll_lease_until", "poll_owner", "cursor", "last_error_at", "last_error", "status", "secret"):
        op.drop_column("inboxes", column)
