"""full-text search over messages and contacts

SQLite: contentless FTS5 tables `messages_fts` (body) and `contacts_fts` (name, email, phone;
rowid = contacts.id), tokenizer `unicode61 remove_diacritics 2`, kept in step by triggers and
filled from the existing rows here. A message's rowid is `conversation_id * 2^24 + seq`, so a
match names its conversation (`rowid >> 24`) without reading the message: a search for a
common word reads tens of thousands of matches, and looking each message up made it four
times slower. The message itself is `(conversation_id, seq)`, unique; a conversation would
need more than 16,777,215 messages for its rowids to run into the next one's. Contentless: the
text stays in `messages` and `contacts` only, and the triggers index it normalised: "ё" as "е"
(unicode61 does not fold it), and the phone as every suffix of its digits ("79123456789
9123456789 ... 89 9"), so that a prefix search finds any run of its digits, the last ones
included. Deleting from a contentless table takes the values that were indexed, which the
triggers recompute from the old row with the same expressions.

PostgreSQL: GIN indexes over two functions of the row, `helpline_message_search_vector(body)`
and `helpline_contact_search_vector(name, email, phone)`, with the `russian` configuration
(Russian Snowball stemmer for Cyrillic words, English for ASCII ones). ASCII punctuation is
read as a space first, so that PostgreSQL's parser splits e-mail addresses, URLs, hyphenated
words and "-67" into words as unicode61 does on SQLite, and the two databases find the same.
helpline.conversations.search queries these by name.

Keep in mind later: on SQLite, a batch migration that recreates `messages` or `contacts`
(anything beyond adding a column) drops their triggers, which it must then create again. On
PostgreSQL, changing what a function indexes means a new function and a new index, never
CREATE OR REPLACE under an existing index.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TOKENIZER = "unicode61 remove_diacritics 2"
# What a phone number is written with besides digits (helpline.contacts.actions.clean_phone).
PHONE_SEPARATORS = " +-()."
# Phones are at most 40 characters (contacts.phone), so at most 40 suffixes.
PHONE_LENGTH = 40
SEQ_BITS = 24  # of a message's rowid in messages_fts (see above)
ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _sqlite_text(expression: str) -> str:
    return f"replace(replace({expression}, 'ё', 'е'), 'Ё', 'Е')"


def _sqlite_phone_digits(expression: str) -> str:
    for separator in PHONE_SEPARATORS:
        expression = f"replace({expression}, {_sql_string(separator)}, '')"
    return expression


# `d` is the phone's digits, computed once in a sub-select (triggers take no CTE).
_SQLITE_PHONE_SUFFIXES = " || ' ' || ".join(f"substr(d, {start})" for start in range(1, PHONE_LENGTH + 1))


def _sqlite_message_rowid(row: str) -> str:
    prefix = f"{row}." if row else ""
    return f"({prefix}conversation_id << {SEQ_BITS}) + {prefix}seq"


def _sqlite_index_message(row: str, *, delete: bool = False) -> str:
    command = "messages_fts, " if delete else ""
    value = "'delete', " if delete else ""
    return (
        f"INSERT INTO messages_fts({command}rowid, body) "
        f"VALUES ({value}{_sqlite_message_rowid(row)}, {_sqlite_text(f'{row}.body')});"
    )


def _sqlite_index_contact(row: str, *, delete: bool = False) -> str:
    command = "contacts_fts, " if delete else ""
    value = "'delete', " if delete else ""
    return (
        f"INSERT INTO contacts_fts({command}rowid, name, email, phone) "
        f"SELECT {value}{row}.id, {_sqlite_text(f'{row}.name')}, {_sqlite_text(f'{row}.email')}, "
        f"{_SQLITE_PHONE_SUFFIXES} "
        f"FROM (SELECT {_sqlite_phone_digits(f'{row}.phone')} AS d);"
    )


def _upgrade_sqlite() -> None:
    # columnsize=0: no table of document lengths, which only ranking (bm25) reads.
    options = f"content='', columnsize=0, tokenize='{TOKENIZER}'"
    op.execute(f"CREATE VIRTUAL TABLE messages_fts USING fts5(body, {options})")
    op.execute(f"CREATE VIRTUAL TABLE contacts_fts USING fts5(name, email, phone, {options})")
    for table, index, columns in (
        ("messages", _sqlite_index_message, "conversation_id, seq, body"),
        ("contacts", _sqlite_index_contact, "id, name, email, phone"),
    ):
        op.execute(f"CREATE TRIGGER {table}_fts_insert AFTER INSERT ON {table} BEGIN {index('new')} END")
        op.execute(f"CREATE TRIGGER {table}_fts_delete AFTER DELETE ON {table} BEGIN {index('old', delete=True)} END")
        op.execute(
            f"CREATE TRIGGER {table}_fts_update AFTER UPDATE OF {columns} ON {table} "
            f"BEGIN {index('old', delete=True)} {index('new')} END"
        )
    # The rows already there, as the insert triggers would have indexed them.
    op.execute(
        f"INSERT INTO messages_fts(rowid, body) SELECT {_sqlite_message_rowid('')}, {_sqlite_text('body')} FROM messages"
    )
    op.execute(
        f"INSERT INTO contacts_fts(rowid, name, email, phone) "
        f"SELECT id, {_sqlite_text('name')}, {_sqlite_text('email')}, {_SQLITE_PHONE_SUFFIXES} "
        f"FROM (SELECT id, name, email, {_sqlite_phone_digits('phone')} AS d FROM contacts)"
    )


def _downgrade_sqlite() -> None:
    for table in ("messages", "contacts"):
        for operation in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{operation}")
    op.execute("DROP TABLE IF EXISTS messages_fts")
    op.execute("DROP TABLE IF EXISTS contacts_fts")


_PG_PUNCTUATION = f"{_sql_string(ASCII_PUNCTUATION)}, {_sql_string(' ' * len(ASCII_PUNCTUATION))}"

# The message one is a bare expression, which the planner inlines into queries and index alike.
PG_FUNCTIONS = (
    f"""
    CREATE FUNCTION helpline_message_search_vector(body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
        SELECT to_tsvector('pg_catalog.russian'::regconfig, translate(body, {_PG_PUNCTUATION}))
    $fn$
    """,
    f"""
    CREATE FUNCTION helpline_contact_search_vector(name text, email text, phone text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
        SELECT to_tsvector(
                'pg_catalog.russian'::regconfig,
                translate(coalesce(name, '') || ' ' || coalesce(email, ''), {_PG_PUNCTUATION})
            ) || to_tsvector(
                'pg_catalog.simple'::regconfig,
                coalesce(
                    (SELECT string_agg(substr(digits, start), ' ' ORDER BY start)
                     FROM generate_series(1, length(digits)) AS start),
                    ''
                )
            )
        FROM (SELECT translate(coalesce(phone, ''), {_sql_string(PHONE_SEPARATORS)}, '') AS digits) AS phone_digits
    $fn$
    """,
)


def _upgrade_postgresql() -> None:
    for function in PG_FUNCTIONS:
        op.execute(function)
    # Built from the rows already there. On a large database this blocks writes to the tables
    # for the build; an operator may build them beforehand with CREATE INDEX CONCURRENTLY.
    op.execute("CREATE INDEX ix_messages_search ON messages USING gin (helpline_message_search_vector(body))")
    op.execute(
        "CREATE INDEX ix_contacts_search ON contacts USING gin (helpline_contact_search_vector(name, email, phone))"
    )


def _downgrade_postgresql() -> None:
    op.execute("DROP INDEX IF EXISTS ix_messages_search")
    op.execute("DROP INDEX IF EXISTS ix_contacts_search")
    op.execute("DROP FUNCTION IF EXISTS helpline_message_search_vector(text)")
    op.execute("DROP FUNCTION IF EXISTS helpline_contact_search_vector(text, text, text)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _upgrade_sqlite()
    else:
        _upgrade_postgresql()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _downgrade_sqlite()
    else:
        _downgrade_postgresql()
