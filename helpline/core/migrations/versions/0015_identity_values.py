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

from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def _lower(column: str) -> str:
    return f"lower({column})"


def _digits(column: str) -> str:
    """SQL for the digits of a phone number (what the contact forms let through besides them)."""
    for character in " -().+":
        column = f"replace({column}, '{character}', '')"
    return column


def upgrade() -> None:
    for kind, kept in (("email", _lower), ("phone", _digits)):
        # Not when another identity has the kept form already, or an earlier one would take it
        # too (two spellings of one address): the unique (account, kind, value) stays true.
        op.execute(
            f"""
            UPDATE contact_identities SET value = {kept("value")}
            WHERE kind = '{kind}' AND value <> {kept("value")}
              AND NOT EXISTS (
                SELECT 1 FROM contact_identities AS other
                WHERE other.account_id = contact_identities.account_id AND other.kind = '{kind}'
                  AND (other.value = {kept("contact_identities.value")}
                       OR (other.id < contact_identities.id AND {kept("other.value")} = {kept("contact_identities.value")}))
              )
            """
        )


def downgrade() -> None:
    pass  # the values stay in the kept form: nothing to undo
