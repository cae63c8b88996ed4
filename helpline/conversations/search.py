"""Full-text search: conversations by their messages or their contact, and contacts alone.

What a query means, on both databases: the words of the query (runs of letters and digits;
punctuation and operators are ignored, so nothing a user types is query syntax), each matching
a word of the conversation's messages (any of them: the customer's question and the agent's
answer count together), or each matching a word of the contact's name, e-mail and phone. A
word of three characters or more also finds the other forms of that word ("кредит" and
"кредиты" find "кредита", "кредиту", "кредитом"; "refunds" finds "refund") and the words that
start with it; a shorter word matches whole words only, and so does a word joined by
punctuation to the next ("client42" in "client42@example.com"). The commonest words ("и",
"не", "the": STOP_WORDS) are not searched for, as PostgreSQL does. Every kind of message is
searched, internal notes and whispers included: only agents search. A contact's phone is found
by any run of its digits ("6789", "912 345-67-89").

SQLite (migration 0008): contentless FTS5 tables `messages_fts` and `contacts_fts`, tokenizer
`unicode61 remove_diacritics 2`, filled by triggers. A contact's rowid is its id; a message's
is `conversation_id << 24 | seq`, so that a match names its conversation without reading the
message; the conversations of each term are intersected. unicode61 knows no Russian: it
neither stems nor folds "ё" into "е". So the triggers index text with "ё" written "е", and each
query word is stemmed here with Snowball (Russian for Cyrillic words, English for Latin ones)
and searched as a prefix: the part the word and its stem share, which (in these two languages)
most other forms of the word start with.

PostgreSQL (migrations 0008 and 0010): `conversations.search_vector` holds the words of all
the conversation's messages (kept by a trigger on `messages`) and `contacts.search_vector`
those of the contact, both with GIN indexes, built with the `russian` text search
configuration: Cyrillic words go through the Russian Snowball stemmer, ASCII words through the
English one, numbers are kept as they are. A conversation too big for one vector (1 MB of
words) has NULL there and its messages are searched one by one (`ix_messages_search`). The
query is `to_tsquery('russian', ...)` of the same terms as on SQLite, `'term':*` each
(`'term'` when short): PostgreSQL stems the term once more with the dictionary that stemmed
the documents and matches every lexeme starting with what is left. Stemming the typed word
instead would miss the documents whose form stems shorter than it does ("Лебедева" ->
"лебедев" but "Лебедев" -> "лебед"): over every pair of forms of a hundred common Russian
nouns, one finds the other 94% of the time this way, 92% that way, and 94% on SQLite. Not
`websearch_to_tsquery` or `plainto_tsquery`: neither can ask for a prefix, and the first one
would read quotes, "or" and "-" typed by the user as operators.

How fast (bench/inbox.py, 100,000 conversations): a word most conversations have is found by
walking the newest conversations and testing each until the page is full (PostgreSQL: its
stored vector; SQLite: the set of the word's conversations, built once); a rare one by reading
its few conversations from the indexes first. PostgreSQL chooses between the two by its
estimate of how many rows match, which is why the query is written as it is; SQLite is told,
by counts of the words' messages and of the matching contacts up to COMMON_ROWS (see
conversations_matching).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from os.path import commonprefix
from typing import Any

import snowballstemmer
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    String,
    and_,
    bindparam,
    column,
    exists,
    func,
    intersect,
    literal,
    literal_column,
    or_,
    select,
    table,
    union_all,
)
from sqlalchemy import text as text_sql
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from helpline.contacts.models import Contact
from helpline.core.errors import InvalidField
from helpline.conversations.models import Conversation, Message

MAX_QUERY_LENGTH = 200
# A message's rowid in messages_fts is `conversation_id << SEQ_BITS | seq` (migration 0008).
SEQ_BITS = 24
# Shorter words match whole words only: a one- or two-letter prefix would match half the
# vocabulary, and reading that many index entries is what makes a search slow.
MIN_PREFIX_LENGTH = 3
# conversations_matching lists up to this many matching contacts' ids in the query.
MAX_LISTED_CONTACTS = 1000
# conversations_matching calls a search common when about this share of conversations match.
COMMON_SHARE = 0.01
# SQLite: a word of at least this many messages, or a search of this many contacts, is common
# (counted up to it, which is quick).
COMMON_ROWS = 2000

# The stop words of PostgreSQL's `russian` configuration (its russian.stop and english.stop,
# the Snowball project's lists). PostgreSQL leaves them out of documents and queries; SQLite's
# index keeps them, so they are left out of the query here, on both databases: the same results
# either way, and no search spends its time on the commonest words of either language.
STOP_WORDS = frozenset(
    """
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне
    было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до
    вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть надо ней для мы
    тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда кто этот того потому
    этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех
    никогда можно при наконец два об другой хоть после над больше тот через эти нас про всего них
    какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой
    им более всегда конечно всю между
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
    her hers herself it its itself they them their theirs themselves what which who whom this that
    these those am is are was were be been being have has had having do does did doing a an the and
    but if or because as until while of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then once here
    there when where why how all any both each few more most other some such no nor not only own
    same so than too very s t can will just don should now
    """.split()
)

# Word characters as unicode61 sees them: letters and digits; "_" separates, as it does there.
_WORD = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")
# What a phone number may be typed with (see helpline.contacts.actions.clean_phone).
_PHONE_QUERY = re.compile(r"[0-9 ()+\-.]+")

_messages_fts = table("messages_fts", column("rowid"), column("messages_fts"))
_contacts_fts = table("contacts_fts", column("rowid"), column("contacts_fts"))
# PostgreSQL's contacts with their stored vector (migration 0010), which the model leaves out.
_pg_contacts = table("contacts", column("id"), column("account_id"), column("search_vector"))
_pg_conversations = table(
    "conversations", column("id"), column("account_id"), column("contact_id"), column("search_vector")
)
# A literal, not a bound parameter: PostgreSQL matches index expressions only on constants.
_RUSSIAN = literal_column("'russian'::regconfig")

# Schema objects migrations 0008 and 0010 create beside the models (FTS5 tables and their
# shadow tables on SQLite; indexes and a column on PostgreSQL); autogenerate and the
# models-vs-migrations test skip them.
FTS_TABLES = ("messages_fts", "contacts_fts")
SEARCH_INDEXES = (
    "ix_messages_search",
    "ix_contacts_search",
    "ix_contacts_search_vector",
    "ix_conversations_search",
    "ix_conversations_search_overflow",
)
SEARCH_COLUMNS = ("search_vector",)  # of conversations and contacts, PostgreSQL


def is_search_schema_object(name: str | None, type_: str) -> bool:
    """Whether a reflected table or index is one of those (an alembic `include_name` hook
    returns the opposite)."""
    if name is None:
        return False
    if type_ == "table":
        return any(name == table or name.startswith(f"{table}_") for table in FTS_TABLES)
    if type_ == "column":
        return name in SEARCH_COLUMNS
    return type_ == "index" and name in SEARCH_INDEXES


@dataclass(frozen=True)
class _Term:
    text: str
    prefix: bool  # matches the words starting with `text`, else the word `text` only

    def __str__(self) -> str:
        return self.text + "*" * self.prefix


@dataclass(frozen=True)
class _Query:
    terms: tuple[_Term, ...]
    # A query typed as a phone number ("+7 912 345-67-89") also finds the contact whose phone
    # has those digits in a row, which a search for "7", "912" ... word by word would miss.
    phone_digits: str | None

    def fts5(self, *, contacts: bool = False) -> str:
        """The FTS5 query: every term quoted, so no user input is FTS5 syntax."""
        words = " AND ".join(_fts5_term(term) for term in self.terms)
        if contacts and self.phone_digits:
            return f"({words}) OR {_fts5_string(self.phone_digits)}*"
        return words

    def tsquery(self, *, contacts: bool = False, exact: bool = False) -> str:
        """The `to_tsquery` text: every term quoted as a lexeme, so none is tsquery syntax;
        `exact`: none as a prefix."""
        words = " & ".join(_tsquery_string(term.text) if exact else _tsquery_term(term) for term in self.terms)
        if contacts and self.phone_digits:
            return f"({words}) | {_tsquery_string(self.phone_digits)}:*"
        return words


def _fold(text: str) -> str:
    """Lower case with "ё" as "е", as the index holds it."""
    return text.lower().replace("ё", "е")


def _stem(word: str) -> str:
    if _CYRILLIC.search(word):
        language = "russian"
    elif _LATIN.search(word):
        language = "english"
    else:
        return word  # numbers, other scripts
    # A stemmer keeps state between calls: a new one per word (microseconds) is thread-safe.
    return _fold(snowballstemmer.stemmer(language).stemWord(word))


def _term(word: str, *, whole: bool = False) -> _Term:
    """The term a folded word is searched by."""
    if whole or len(word) < MIN_PREFIX_LENGTH:
        return _Term(word, prefix=False)
    # Snowball may also change the end of what it keeps ("apply" -> "appli"), so search for
    # the part the word and its stem have in common ("appl": apply, applied, applies).
    shared = commonprefix([word, _stem(word)])
    if shared.endswith("i") and _LATIN.search(word):
        # English stems end in "i" where other forms have "y" ("applied", "apply" -> "appli").
        shared = shared[:-1]
    term = word[: max(len(shared), MIN_PREFIX_LENGTH)]
    # PostgreSQL would drop a term that is a stop word ("всем" -> "все"): keep the word then.
    return _Term(word if term in STOP_WORDS else term, prefix=True)


def _parse(text: object) -> _Query:
    if not isinstance(text, str):
        raise InvalidField("The search must be text.", field="q")
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise InvalidField("Type a word or a number to search for.", field="q")
    if len(text) > MAX_QUERY_LENGTH:
        raise InvalidField(f"A search may have at most {MAX_QUERY_LENGTH} characters.", field="q")
    words: list[str] = []
    found: list[_Term] = []
    for chunk in text.split():
        # Words joined by punctuation (an e-mail address, a phone number, a date, a hyphenated
        # word) are an identifier more than words: each but the last matches a whole word, so
        # "client42@example.com" does not find "client421@example.com".
        chunk_words = [_fold(match.group()) for match in _WORD.finditer(chunk)]
        for position, word in enumerate(chunk_words):
            if word not in STOP_WORDS:
                found.append(_term(word, whole=position < len(chunk_words) - 1))
        words += chunk_words
    if not words:
        raise InvalidField("Search for words or numbers: punctuation alone finds nothing.", field="q")
    terms = tuple(dict.fromkeys(found))  # each once, in the order typed
    if not terms:
        raise InvalidField(f"«{' '.join(words)}» is too common to search for: add a more specific word.", field="q")
    digits = re.sub(r"\D", "", text)
    phone_like = len(terms) > 1 and len(digits) >= MIN_PREFIX_LENGTH and _PHONE_QUERY.fullmatch(text) is not None
    return _Query(terms, digits if phone_like else None)


def _inline(tsquery: str) -> BindParameter[str]:
    """A tsquery's text written into the statement (quoted by the driver's dialect) rather
    than sent as a parameter: PostgreSQL plans a prepared statement once for any parameters
    after a few runs, and the plan for a common word (walk the newest conversations) is the
    worst one for a rare word (read the few from the index), and the other way round."""
    return bindparam(None, tsquery, type_=String, literal_execute=True)


def _fts5_term(term: _Term) -> str:
    return _fts5_string(term.text) + "*" * term.prefix


def _tsquery_term(term: _Term) -> str:
    return _tsquery_string(term.text) + ":*" * term.prefix


def _fts5_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _tsquery_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def search_terms(text: object) -> list[str]:
    """The terms a search looks for, each once, in the order typed: the words of `text`, lower
    case with "ё" as "е", stop words left out. A word of three characters or more is cut to the
    part it shares with its Snowball stem and matches the words starting with that, written
    with a "*" ("кредиты" -> "кредит*", "refunds" -> "refund*"); a shorter word, and a word
    joined by punctuation to the next one ("client42" in "client42@example.com"), matches that
    whole word only.

    Raises InvalidField (field "q") for a search that is empty, longer than 200 characters, has
    no letter or digit, or only stop words.
    """
    return [str(term) for term in _parse(text).terms]


def _matching_contact_ids(dialect_name: str, account_id: int, query: _Query) -> Select:
    if dialect_name == "sqlite":
        return select(_contacts_fts.c.rowid).where(
            _contacts_fts.c.contacts_fts.match(literal(query.fts5(contacts=True), String))
        )
    # Its own FROM, which a caller's `select(Contact)` cannot correlate away.
    return select(_pg_contacts.c.id).where(
        _pg_contacts.c.account_id == account_id, _contact_matches(_pg_contacts.c.search_vector, query)
    )


def _contact_matches(vector: ColumnElement[Any], query: _Query) -> ColumnElement[bool]:
    """PostgreSQL: the condition the GIN index of contacts.search_vector answers."""
    tsquery = func.to_tsquery(_RUSSIAN, _inline(query.tsquery(contacts=True)))
    return vector.bool_op("@@")(tsquery)


def _check_dialect(dialect_name: str) -> None:
    if dialect_name not in ("sqlite", "postgresql"):
        raise ValueError(f"no full-text search on {dialect_name}")


def search_condition(
    dialect_name: str,
    account_id: int,
    text: str,
    *,
    contact_ids: Sequence[int] | None = None,
    common: bool = True,
) -> ColumnElement[bool]:
    """True for the conversations of `account_id` whose messages (of any kind, together) or
    whose contact match `text`. For `select(Conversation).where(...)`; pass the dialect of the
    session's bind (`session.bind.dialect.name`). `common`: whether the words are in many
    conversations, which decides how the query is written; PostgreSQL only: `contact_ids`, the
    matching contacts when the caller looked them up first (conversations_matching knows both).

    Raises InvalidField (field "q") for a search that is empty, too long, or has no word but
    punctuation and stop words.
    """
    _check_dialect(dialect_name)
    query = _parse(text)
    if dialect_name == "postgresql":
        return _pg_condition(account_id, query, contact_ids, common=common)
    # The rowid names the conversation: no message is read. One set of conversations per term:
    # the terms may be in different messages.
    by_term = [
        select(_messages_fts.c.rowid.op(">>")(SEQ_BITS)).where(
            _messages_fts.c.messages_fts.match(literal(_fts5_term(term), String))
        )
        for term in query.terms
    ]
    contacts = _matching_contact_ids(dialect_name, account_id, query)
    if common:
        # Common words: the newest conversations are walked and each tested against the sets
        # (built once); "+ 0" keeps SQLite from starting at the sets instead, which would read
        # and sort most of the account's conversations.
        walked = Conversation.id + 0
        by_messages = and_(*(walked.in_(conversations) for conversations in by_term))
        return and_(Conversation.account_id == account_id, or_(by_messages, (Conversation.contact_id + 0).in_(contacts)))
    # Rare ones: their few conversations are read first.
    in_all = by_term[0] if len(by_term) == 1 else intersect(*by_term)
    return and_(Conversation.account_id == account_id, or_(Conversation.id.in_(in_all), Conversation.contact_id.in_(contacts)))


async def conversations_matching(session: AsyncSession, account_id: int, text: str) -> ColumnElement[bool]:
    """search_condition as the inbox uses it. On PostgreSQL it first looks up the matching
    contacts (a list of values PostgreSQL counts, where it could only guess a subquery's rows;
    more than a thousand stay a subquery) and how common the words are, from the statistics of
    conversations.search_vector: PostgreSQL's own estimate for a prefix search is a constant,
    so left to itself it would walk every conversation for a rare word, or read tens of
    thousands from the index for a common one."""
    dialect_name = session.bind.dialect.name
    _check_dialect(dialect_name)
    if dialect_name == "sqlite":
        # How common the words are, counted in the indexes up to COMMON_ROWS (of every account:
        # the indexes are one, so a word common elsewhere walks this account's conversations,
        # at most all of them).
        query = _parse(text)

        async def many(matching: Select) -> bool:
            counted = select(func.count()).select_from(matching.limit(COMMON_ROWS).subquery())
            return await session.scalar(counted) >= COMMON_ROWS

        words_common = True
        for term in query.terms:
            fts_term = literal(_fts5_term(term), String)
            if not await many(select(_messages_fts.c.rowid).where(_messages_fts.c.messages_fts.match(fts_term))):
                words_common = False
                break
        common = words_common or await many(_matching_contact_ids(dialect_name, account_id, query))
        return search_condition(dialect_name, account_id, text, common=common)
    query = _parse(text)
    ids = list(
        await session.scalars(_matching_contact_ids(dialect_name, account_id, query).limit(MAX_LISTED_CONTACTS + 1))
    )
    share = 1.0
    for term in query.terms:  # as if the words were independent
        share *= await session.scalar(_COMMON_SHARE, {"tsquery": _tsquery_term(term)}) or 0.0
    many_contacts = len(ids) > MAX_LISTED_CONTACTS
    return search_condition(
        dialect_name,
        account_id,
        text,
        contact_ids=None if many_contacts else ids,
        common=many_contacts or share >= COMMON_SHARE,
    )


# The share of conversations that have the commonest word a tsquery term matches, among the
# column's most common lexemes (ANALYZE keeps up to a thousand); 0 when it matches none of them.
_COMMON_SHARE = text_sql(
    """
    SELECT max(f.share)
    FROM pg_stats AS s
    CROSS JOIN unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) AS f (lexeme, share)
    WHERE s.schemaname = current_schema() AND s.tablename = 'conversations' AND s.attname = 'search_vector'
      AND quote_literal(f.lexeme)::tsvector @@ to_tsquery('russian', :tsquery)
    """
)


def _pg_condition(
    account_id: int, query: _Query, contact_ids: Sequence[int] | None, *, common: bool
) -> ColumnElement[bool]:
    """PostgreSQL: the conversation's stored vector (migration 0010) has every term, or, for a
    conversation whose vector overflowed (NULL), its messages have them; or its contact
    matches. A common search is written for walking the newest conversations and testing
    each, a rare one for collecting its few conversations from the indexes first."""

    def contact_in(contact_id: ColumnElement[int]) -> ColumnElement[bool]:
        if contact_ids is not None:
            return contact_id.in_(contact_ids)
        return contact_id.in_(_matching_contact_ids("postgresql", account_id, query))

    if common:
        stored = literal_column(f"{Conversation.__tablename__}.search_vector")
        return and_(
            Conversation.account_id == account_id,
            or_(_pg_words_match(query, Conversation.id, stored, estimate=True), contact_in(Conversation.contact_id)),
        )
    by_words, by_contact = _pg_conversations.alias("by_words"), _pg_conversations.alias("by_contact")
    found = union_all(
        select(by_words.c.id).where(
            by_words.c.account_id == account_id, _pg_words_match(query, by_words.c.id, by_words.c.search_vector)
        ),
        select(by_contact.c.id).where(by_contact.c.account_id == account_id, contact_in(by_contact.c.contact_id)),
    )
    return and_(Conversation.account_id == account_id, Conversation.id.in_(found))


def _pg_words_match(
    query: _Query, conversation_id: ColumnElement[int], stored: ColumnElement[Any], *, estimate: bool = False
) -> ColumnElement[bool]:
    message = aliased(Message)

    def in_a_message(term: _Term) -> ColumnElement[bool]:
        lexeme = func.to_tsquery(_RUSSIAN, _inline(_tsquery_term(term)))
        return exists().where(
            message.conversation_id == conversation_id,
            func.helpline_message_search_vector(message.body).bool_op("@@")(lexeme),
        )

    prefix = func.to_tsquery(_RUSSIAN, _inline(query.tsquery()))
    matches = [stored.bool_op("@@")(prefix), and_(stored.is_(None), *(in_a_message(term) for term in query.terms))]
    if estimate:
        # For walking: PostgreSQL's estimate for the exact lexemes comes from the statistics,
        # and ORed in (it matches no more than the prefix search), brings the plan the rows
        # to expect; else the constant estimate of the prefix search could send a common
        # search of several words to read all their conversations from the index.
        exact = func.to_tsquery(_RUSSIAN, _inline(query.tsquery(exact=True)))
        matches.insert(0, stored.bool_op("@@")(exact))
    return or_(*matches)


def contact_search_condition(dialect_name: str, account_id: int, text: str) -> ColumnElement[bool]:
    """True for the contacts of `account_id` whose name, e-mail or phone matches `text`. For
    `select(Contact).where(...)`.

    Raises InvalidField (field "q") as search_condition does.
    """
    _check_dialect(dialect_name)
    query = _parse(text)
    if dialect_name == "sqlite":
        matches = Contact.id.in_(_matching_contact_ids(dialect_name, account_id, query))
    else:
        matches = _contact_matches(literal_column(f"{Contact.__tablename__}.search_vector"), query)
    return and_(Contact.account_id == account_id, Contact.merged_into_id.is_(None), matches)
