"""Migration 0015: e-mail and phone identities kept as the app now keeps them (lower case;
digits), in Python's lower case rather than SQL's, never two identities of an account with
one value."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from helpline.core.migrate import alembic_config, migrate


def test_existing_identities_take_the_kept_form_where_it_is_free(tmp_path: Path) -> None:
    path = tmp_path / "identities.db"
    command.upgrade(alembic_config(f"sqlite:///{path}"), "0014")
    rows = [
        (1, 1, "email", "Anna@Example.com"),  # → anna@example.com
        (2, 1, "email", "ANNA@example.com"),  # the same address again: the first takes it, this stays
        (3, 1, "email", "bob@example.com"),  # kept already
        (4, 1, "email", "Bob@Example.com"),  # its kept form is taken: stays
        (5, 1, "email", "Иван@Почта.рф"),  # → иван@почта.рф (SQLite's lower() would not)
        (6, 1, "phone", "+7 (999) 123-45-67"),  # → 79991234567
        (7, 1, "phone", "n/a"),  # no digits: stays
        (8, 2, "email", "Anna@Example.com"),  # another account: its own
        (9, 1, "telegram", "ABC"),  # other kinds untouched
    ]
    with sqlite3.connect(path) as connection:
        connection.executemany(
            "INSERT INTO contact_identities (id, account_id, contact_id, kind, value, created_at) "
            "VALUES (?, ?, 1, ?, ?, '2026-12-01 00:00:00')",
            [(i, account, kind, value) for i, account, kind, value in rows],
        )
    migrate(f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as connection:
        values = dict(connection.execute("SELECT id, value FROM contact_identities ORDER BY id"))
    assert values == {
        1: "anna@example.com", 2: "ANNA@example.com", 3: "bob@example.com", 4: "Bob@Example.com",
        5: "иван@почта.рф", 6: "79991234567", 7: "n/a", 8: "anna@example.com", 9: "ABC",
    }
