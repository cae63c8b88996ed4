"""Full-text search: conversations by their messages or their contact, and contacts alone.

What a query means, on both databases: the words of the query (runs of letters and digits;
punctuation and operators are ignored, so nothing a user types is query syntax), each matching
a word of one message, or of the contact's name, e-mail and phone, and all of them (AND) in the
same message or the same contact. A word of three characters or more also finds the other
forms of that word ("кредит" and "кредиты" find "кредита", "кредиту", "кредитом"; "refunds"
finds "refund") and the words that start with it; a shorter word matches whole words only,
and so does a word joined by punctuation to the next ("client42" in "client42@example.com").
The commonest words ("и", "не", "the": STOP_WORDS) are not searched for, as PostgreSQL does.
Every kind of message is searched, internal notes and whispers included: only agents search.
A contact's phone is found by any run of its digits ("6789", "912 345-67-89").

SQLite (migration 0008): contentless FTS5 tables `messages_fts` and `contacts_fts`, tokenizer
`unicode61 remove_diacritics 2`, filled by triggers. A contact's rowid is its id; a message's
is `conversation_id << 24 | seq`, so that a match names its conversation without reading the
message. unicode61 knows no Russian: it neither stems nor folds "ё" into "е". So the triggers
index text with "ё" written "е", and each query word is stemmed here with Snowball (Russian for
Cyrillic words, English for Latin ones) and searched as a prefix: the part the word and its
stem share, which (in these two languages) most other forms of the word start with.

PostgreSQL (migration 0008): GIN indexes over `helpline_message_search_vector(body)` and
`helpline_contact_search_vector(name, email, phone)`, which use the `russian` text search
configuration: Cyrillic words go through the Russian Snowball stemmer, ASCII words through the
English one, numbers are kept as they are. The query is `to_tsquery('russian', ...)` of the
same terms as on SQLite, `'term':*` each (`'term'` when short): PostgreSQL stems the term once
more with the dictionary that stemmed the documents and matches every lexeme starting with
what is left. Stemming the typed word instead would miss the documents whose form stems
shorter than it does ("Лебедева" -> "лебедев" but "Лебедев" -> "лебед"): over every pair of
forms of a hundred common Russian nouns, one finds the other 94% of the time this way, 92%
that way, and 94% on SQLite. Not `websearch_to_tsquery` or `plainto_tsquery`: neither can ask
for a prefix, and the first one would read quotes, "or" and "-" typed by the user as operators.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from os.path import commonprefix

import snowballstemmer
from sqlalchemy import ColumnElement, Select, String, and_, column, func, literal, literal_column, select, table
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
# A literal, not a bound parameter: PostgreSQL matches index expressions only on constants.
_RUSSIAN = literal_column("'russian'::regconfig")

# Schema objects migration 0008 creates beside the models (FTS5 tables and their shadow tables
# on SQLite, indexes on PostgreSQL); autogenerate and the models-vs-migrations test skip them.
FTS_TABLES = ("messages_fts", "contacts_fts")
SEARCH_INDEXES = ("ix_messages_search", "ix_contacts_search")


def is_search_schema_object(name: str | None, type_: str) -> bool:
    """Whether a reflected table or index is one of those (an alembic `include_name` hook
    returns the opposite)."""
    if name is None:
        return False
    if type_ == "table":
        return any(name == table or name.startswith(f"{table}_") for table in FTS_TABLES)
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
        words = " AND ".join(_fts5_string(term.text) + "*" * term.prefix for term in self.terms)
        if contacts and self.phone_digits:
            return f"({words}) OR {_fts5_string(self.phone_digits)}*"
        return words

    def tsquery(self, *, contacts: bool = False) -> str:
        """The `to_tsquery` text: every term quoted as a lexeme, so none is tsquery syntax."""
        words = " & ".join(_tsquery_string(term.text) + ":*" * term.prefix for term in self.terms)
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
        raise InvalidField(
            f"«{' '.join(words)}» is too common to search for: add a more specific word.", field="q"
        )
    digits = re.sub(r"\D", "", text)
    phone_like = len(terms) > 1 and len(digits) >= MIN_PREFIX_LENGTH and _PHONE_QUERY.fullmatch(text) is not None
    return _Query(terms, digits if phone_like else None)


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
    contact = aliased(Contact)
    return select(contact.id).where(contact.account_id == account_id, _contact_matches(contact, query))


def _contact_matches(contact: type[Contact], query: _Query) -> ColumnElement[bool]:
    """PostgreSQL: the condition its GIN index answers (the expression of ix_contacts_search)."""
    vector = func.helpline_contact_search_vector(contact.name, contact.email, contact.phone)
    tsquery = func.to_tsquery(_RUSSIAN, literal(query.tsquery(contacts=True), String))
    return vector.bool_op("@@")(tsquery)


def _check_dialect(dialect_name: str) -> None:
    if dialect_name not in ("sqlite", "postgresql"):
        raise ValueError(f"no full-text search on {dialect_name}")


def search_condition(dialect_name: str, account_id: int, text: str) -> ColumnElement[bool]:
    """True for the conversations of `account_id` that a message of theirs (of any kind) or
    their contact matches `text`. For `select(Conversation).where(...)`; pass the dialect of
    the session's bind (`session.bind.dialect.name`).

    Raises InvalidField (field "q") for a search that is empty, too long, or has no word but
    punctuation and stop words.
    """
    _check_dialect(dialect_name)
    query = _parse(text)
    if dialect_name == "sqlite":
        # The rowid names the conversation: no message is read (and the account is checked on
        # the conversation, below).
        by_message = select(_messages_fts.c.rowid.op(">>")(SEQ_BITS)).where(
            _messages_fts.c.messages_fts.match(literal(query.fts5(), String))
        )
    else:
        message = aliased(Message)
        by_message = select(message.conversation_id).where(
            message.account_id == account_id,
            func.helpline_message_search_vector(message.body).bool_op("@@")(
                func.to_tsquery(_RUSSIAN, literal(query.tsquery(), String))
            ),
        )
    # The conversations of a matching contact, looked up in the table itself (aliased, so the
    # caller's `select(Conversation)` does not correlate it away) and added by one UNION: an
    # `IN (...) OR IN (...)` would leave PostgreSQL two subplans to test row by row.
    other = aliased(Conversation)
    by_contact = select(other.id).where(
        other.account_id == account_id,
        other.contact_id.in_(_matching_contact_ids(dialect_name, account_id, query)),
    )
    return and_(Conversation.account_id == account_id, Conversation.id.in_(by_message.union_all(by_contact)))


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
        matches = _contact_matches(Contact, query)
    return and_(Contact.account_id == account_id, matches)
