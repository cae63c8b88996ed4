"""contact identities: e-mail addresses in lower case, phone numbers by their digits

Web forms kept an address as typed ("Anna@Example.com") and a phone number as typed
("+7 999 123-45-67"), while mail and the messengers keep "anna@example.com" and "79991234567":
one person, two identities, never linked. Existing values take the kept form, unless another
identity of the account has it already (that pair stays for an agent to merge).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 01:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def _kept(kind: str, value: str) -> str:
    """helpline.contacts.actions.identity_value as it is at this revision."""
    return value.strip().lower() if kind == "email" else "".join(c for c in value if c.isdigit())


def upgrade() -> None:
    # In Python: SQL's lower() leaves non-ASCII letters alone on SQLite and follows the locale
    # on PostgreSQL. Every e-mail and phone identity is read, to know which forms are taken; a
    # value is changed unless another identity of the account has (or an earlier one takes)
    # its kept form: the unique (account, kind, value) stays true.
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT id, account_id, kind, value FROM contact_identities WHERE kind IN ('email', 'phone') ORDER BY id")
    ).all()
    taken = {(account_id, kind, value) for _id, account_id, kind, value in rows}
    for identity_id, account_id, kind, value in rows:
        kept = _kept(kind, value)
        if not kept or kept == value or (account_id, kind, kept) in taken:
            continue
        connection.execute(
            sa.text("UPDATE contact_identities SET value = :value WHERE id = :id"), {"value": kept, "id": identity_id}
        )
        taken.add((account_id, kind, kept))


def downgrade() -> None:
    pass  # the values stay in the kept form: nothing to undo
