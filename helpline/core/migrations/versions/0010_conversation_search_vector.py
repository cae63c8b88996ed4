"""PostgreSQL: the words of each conversation, and of each contact, stored as a tsvector

A word that is in most conversations matches most messages; the per-message GIN index of 0008
then hands PostgreSQL hundreds of thousands of messages to turn into conversations before it
can sort them (170–290 ms at 100,000 conversations). With every word of a conversation's
messages in `conversations.search_vector` (stripped: lexemes without positions), PostgreSQL
walks the conversations newest first and tests each stored vector, stopping at the page's end
for a common word, or reads a rare one's few conversations from the vector's GIN index; the
column's statistics (most common lexemes) tell it which.

A trigger on `messages` adds each new message's words; an edited or deleted message (nothing
does that yet) has the conversation's vector built again from its messages. A tsvector holds
at most 1 MB of lexemes; a conversation whose words would not fit gets NULL instead, and
helpline.conversations.search reads such conversations' messages directly (the partial index
`ix_conversations_search_overflow` finds them). The empty vector is the default.

`contacts.search_vector` is a stored generated column of 0008's
`helpline_contact_search_vector(name, email, phone)`, with a GIN index in place of the
expression index: a word most contacts have ("gmail") is then tested against the stored value
rather than computing the vector (with the phone's suffixes) of every contact again.

SQLite has nothing to add: its FTS5 rowids name the conversation already (0008).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 19:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

PG_FUNCTIONS = (
    # The vector with the words of `body` added, or NULL once they no longer fit (or were not
    # kept already). The exception block costs a subtransaction per message, microseconds.
    """
    CREATE FUNCTION helpline_conversation_search_add(vector tsvector, body text) RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
    BEGIN
        IF vector IS NULL THEN
            RETURN NULL;
        END IF;
        RETURN strip(vector || helpline_message_search_vector(body));
    EXCEPTION WHEN program_limit_exceeded THEN
        RETURN NULL;
    END
    $fn$
    """,
    # The conversation's words from all its messages, in order.
    """
    CREATE FUNCTION helpline_conversation_search_vector(conversation bigint) RETURNS tsvector
    LANGUAGE sql STABLE AS $fn$
        SELECT helpline_conversation_search_add(
            ''::tsvector,
            coalesce((SELECT string_agg(body, ' ' ORDER BY seq) FROM messages
                      WHERE messages.conversation_id = conversation), '')
        )
    $fn$
    """,
    """
    CREATE FUNCTION helpline_messages_search_change() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
    BEGIN
        UPDATE conversations SET search_vector = helpline_conversation_search_vector(id)
        WHERE id = OLD.conversation_id;
        RETURN NULL;
    END
    $fn$
    """,
    """
    CREATE FUNCTION helpline_messages_search_insert() RETURNS trigger
    LANGUAGE plpgsql AS $fn$
    BEGIN
        UPDATE conversations
        SET search_vector = helpline_conversation_search_add(search_vector, NEW.body)
        WHERE id = NEW.conversation_id;
        RETURN NULL;
    END
    $fn$
    """,
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE conversations ADD COLUMN search_vector tsvector DEFAULT ''::tsvector")
    for function in PG_FUNCTIONS:
        op.execute(function)
    op.execute(
        "CREATE TRIGGER messages_search_insert AFTER INSERT ON messages "
        "FOR EACH ROW EXECUTE FUNCTION helpline_messages_search_insert()"
    )
    op.execute(
        "CREATE TRIGGER messages_search_change AFTER UPDATE OF body, conversation_id OR DELETE ON messages "
        "FOR EACH ROW EXECUTE FUNCTION helpline_messages_search_change()"
    )
    op.execute("UPDATE conversations SET search_vector = helpline_conversation_search_vector(id)")  # those there
    op.execute("CREATE INDEX ix_conversations_search ON conversations USING gin (search_vector)")
    op.execute(
        "CREATE INDEX ix_conversations_search_overflow ON conversations (account_id) WHERE search_vector IS NULL"
    )
    op.execute(
        "ALTER TABLE contacts ADD COLUMN search_vector tsvector "
        "GENERATED ALWAYS AS (helpline_contact_search_vector(name, email, phone)) STORED"
    )
    op.execute("CREATE INDEX ix_contacts_search_vector ON contacts USING gin (search_vector)")
    op.execute("DROP INDEX ix_contacts_search")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE INDEX ix_contacts_search ON contacts USING gin (helpline_contact_search_vector(name, email, phone))"
    )
    op.execute("ALTER TABLE contacts DROP COLUMN search_vector")  # and its index
    op.execute("DROP TRIGGER messages_search_insert ON messages")
    op.execute("DROP TRIGGER messages_search_change ON messages")
    op.execute("DROP FUNCTION helpline_messages_search_insert()")
    op.execute("DROP FUNCTION helpline_messages_search_change()")
    op.execute("DROP FUNCTION helpline_conversation_search_vector(bigint)")
    op.execute("DROP FUNCTION helpline_conversation_search_add(tsvector, text)")
    op.execute("ALTER TABLE conversations DROP COLUMN search_vector")  # and its indexes
