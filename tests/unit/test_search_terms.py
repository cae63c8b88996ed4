"""What a search looks for: terms from what an agent types, and nothing of it as query syntax."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, select

from helpline.contacts.models import Contact
from helpline.core.errors import InvalidField
from helpline.core.migrate import migrate
from helpline.conversations.models import Conversation
from helpline.conversations.search import contact_search_condition, search_condition, search_terms


def finds(query: str, word: str) -> bool:
    """Whether the one-word query finds `word` in a message (as the SQLite index matches)."""
    (term,) = search_terms(query)
    word = word.lower().replace("ё", "е")
    return word.startswith(term[:-1]) if term.endswith("*") else word == term


@pytest.mark.parametrize(
    "forms",
    [
        ["кредит", "кредита", "кредиту", "кредитом", "кредиты", "кредитов", "кредитами"],
        ["заказ", "заказа", "заказы", "заказом", "заказов"],
        ["доставка", "доставки", "доставку", "доставкой"],
        ["возврат", "возврата", "возвраты", "возвратом"],
        ["счёт", "счета", "счету", "счетом", "Счёт"],
        ["Петров", "Петрова", "Петровой", "Петровым"],
        ["refund", "refunds", "refunded", "refunding"],
        ["order", "orders", "ordered", "ordering"],
        ["deliver", "delivered", "delivering", "delivery", "deliveries"],
        ["apply", "applied", "applies", "applying"],
        ["happy", "happiness"],
    ],
)
def test_a_word_finds_its_other_forms(forms: list[str]) -> None:
    for query in forms:
        for word in forms:
            assert finds(query, word), (query, word)


def test_terms() -> None:
    assert search_terms("Кредиты, refunds!") == ["кредит*", "refund*"]
    assert search_terms("счёт Счет СЧЁТА") == ["счет*"]  # "ё" is "е"; each term once
    assert search_terms("ок ОК") == ["ок"]  # short: whole words only
    assert search_terms("заказ 88231") == ["заказ*", "88231*"]
    # Words joined by punctuation: all but the last are whole words.
    assert search_terms("anna.petrova@example.com") == ["anna", "petrova", "example", "com*"]
    assert search_terms("интернет-магазина") == ["интернет", "магазин*"]
    assert search_terms("+7 (912) 345-67-89") == ["7", "912*", "345", "67", "89"]
    # Stop words are left out, as PostgreSQL leaves them out of its index.
    assert search_terms("не приходит заказ и the refund") == ["приход*", "заказ*", "refund*"]
    assert search_terms("всем") == ["всем*"]  # its term would be the stop word "все"
    assert search_terms("x" * 200) == ["x" * 200 + "*"]


@pytest.mark.parametrize(
    "query",
    ['кредит" OR "скидка', "NEAR(кредит, скидка)", "кредит*", "-скидка", "^кредит", "body:кредит", "кредит' | 'a",
     "{кредит}", "кредит & !скидка", "кредит\x00скидка"],
)
def test_query_syntax_is_only_words(query: str) -> None:
    assert {term.rstrip("*") for term in search_terms(query)} <= {"кред", "кредит", "скидк", "near", "body", "bod"}


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("", "Type a word"),
        ("   \n", "Type a word"),
        ('"', "punctuation alone"),
        ("* - ( ) : ^ « » —", "punctuation alone"),
        ("и не the", "too common"),
        ("x" * 201, "at most 200"),
        (None, "must be text"),
    ],
)
def test_nothing_to_search_for_is_a_clear_error(query: object, says: str) -> None:
    with pytest.raises(InvalidField) as error:
        search_terms(query)
    assert error.value.field == "q" and says in error.value.message
    with pytest.raises(InvalidField):
        search_condition("sqlite", 1, query)  # type: ignore[arg-type]
    with pytest.raises(InvalidField):
        contact_search_condition("postgresql", 1, query)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    path: Path = tmp_path_factory.mktemp("search") / "search.db"
    migrate(f"sqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    yield engine
    engine.dispose()


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_searched_or_refused(engine: Engine, query: str) -> None:
    """Whatever is typed, SQLite's FTS5 accepts the query it becomes (no syntax error)."""
    try:
        condition = search_condition("sqlite", 1, query)
        contacts = contact_search_condition("sqlite", 1, query)
    except InvalidField:
        return
    with engine.connect() as connection:
        assert connection.execute(select(Conversation.id).where(condition)).all() == []
        assert connection.execute(select(Contact.id).where(contacts)).all() == []
