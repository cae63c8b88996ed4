"""Placeholders of canned responses: filled, with fallbacks, and refused when unknown."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpline.canned.actions import clean_canned_body, clean_shortcut, render
from helpline.core.errors import InvalidField


def test_values_and_fallbacks() -> None:
    body = "Здравствуйте, {{contact.name|друг}}! Я {{ agent.first_name }}, {{site.name}}. Заявка #{{conversation.number}}"
    values = {"contact.name": None, "agent.first_name": "Мария", "site.name": "Магазин", "conversation.number": 12}
    assert render(body, values) == "Здравствуйте, друг! Я Мария, Магазин. Заявка #12"
    assert render(body, {**values, "contact.name": "Анна"}).startswith("Здравствуйте, Анна!")
    assert render("{{contact.email}}.", {"contact.email": "  "}) == "."  # blank takes the (empty) fallback


def test_unknown_placeholders_and_bad_shortcuts_are_refused() -> None:
    with pytest.raises(InvalidField) as error:
        clean_canned_body("Hi {{contact.surname|there}}")
    assert error.value.field == "body"
    with pytest.raises(InvalidField):
        clean_canned_body("   ")
    assert clean_shortcut("/Привет") == "привет"
    for bad in ("", "two words", "x" * 65, "a/b"):
        with pytest.raises(InvalidField):
            clean_shortcut(bad)


@given(st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=50))
def test_text_without_placeholders_is_kept(text: str) -> None:
    assert render(text, {"contact.name": "x"}) == text


@given(st.text(alphabet=st.characters(blacklist_characters="{}|"), max_size=20))
def test_fallback_is_used_exactly_when_the_value_is_empty(fallback: str) -> None:
    body = "{{contact.name|" + fallback + "}}"
    assert render(body, {"contact.name": None}) == fallback.strip()
    assert render(body, {"contact.name": "Анна"}) == "Анна"
