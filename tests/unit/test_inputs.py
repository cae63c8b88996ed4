"""Cleaning what customers and agents type, and what browsers report."""

from __future__ import annotations


import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpline.channels.web.site import SiteSettings, VisitorTokens
from helpline.contacts.actions import clean_email, clean_name, clean_phone
from helpline.core.errors import EmptyMessage, InvalidField, InvalidToken, MessageTooLong, TokenExpired
from helpline.conversations.actions import clean_body
from helpline.visitors.actions import clean_page
from helpline.visitors.environment import country_of, describe_device


def test_message_bodies_are_trimmed_and_bounded() -> None:
    assert clean_body("  two\nlines \n") == "two\nlines"
    with pytest.raises(EmptyMessage):
        clean_body(" \n\t ")
    with pytest.raises(MessageTooLong):
        clean_body("я" * 5001)
    assert len(clean_body("я" * 5000)) == 5000
    with pytest.raises(InvalidField):
        clean_body(None)


@given(st.text(max_size=6000))
def test_clean_body_accepts_exactly_the_non_blank_texts_up_to_the_limit(text: str) -> None:
    stripped = text.strip()
    if not stripped:
        with pytest.raises(EmptyMessage):
            clean_body(text)
    elif len(stripped) > 5000:
        with pytest.raises(MessageTooLong):
            clean_body(text)
    else:
        assert clean_body(text) == stripped


@pytest.mark.parametrize(
    "raw, clean",
    [("Anna@Example.COM", "Anna@example.com"), ("  a.b+c@mail.ru ", "a.b+c@mail.ru"), ("", None), (None, None)],
)
def test_emails(raw: str | None, clean: str | None) -> None:
    assert clean_email(raw) == clean


@pytest.mark.parametrize("raw", ["no-at-sign", "a@b", "two@@example.com", "a b@example.com", "x" * 300 + "@example.com", 42])
def test_bad_emails(raw: object) -> None:
    with pytest.raises(InvalidField) as error:
        clean_email(raw)
    assert error.value.field == "email"


@pytest.mark.parametrize("raw", ["+7 (900) 123-45-67", "8 800 555 35 35", "+44 20 7946 0958"])
def test_phones(raw: str) -> None:
    assert clean_phone(raw) == raw


@pytest.mark.parametrize("raw", ["call me", "12", "+7 900 123 45 67 89 01 23", "555-CALL"])
def test_bad_phones(raw: str) -> None:
    with pytest.raises(InvalidField):
        clean_phone(raw)


def test_names_are_normalised() -> None:
    assert clean_name("  Анна   Петрова ") == "Анна Петрова"
    assert clean_name("   ") is None
    with pytest.raises(InvalidField):
        clean_name("x" * 201)


def test_pages_must_be_http() -> None:
    page = clean_page({"url": "https://shop.example/a?b=1", "title": "  Shop \n page ", "referrer": ""})
    assert page is not None and page.title == "Shop page" and page.referrer is None
    for bad in ({"url": "javascript:alert(1)"}, {"url": "https://x/" + "a" * 2000}, {"title": 5}, "string"):
        with pytest.raises(InvalidField):
            clean_page(bad)


def test_devices_and_countries_are_detected_offline() -> None:
    desktop = describe_device("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36")
    assert (desktop.browser, desktop.os, desktop.device) == ("Chrome 131", "Windows 10", "desktop")
    phone = describe_device("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1")
    assert phone.device == "mobile" and phone.os and phone.os.startswith("iOS")
    assert describe_device(None).device == "desktop"
    assert country_of("77.88.55.60") == "RU"
    assert country_of("8.8.8.8") == "US"
    assert country_of("127.0.0.1") is None and country_of("10.1.2.3") is None and country_of("garbage") is None


def test_visitor_tokens_round_trip_and_refuse_forgeries() -> None:
    tokens = VisitorTokens("secret-one", days=1)
    token = tokens.issue(account_id=1, inbox_id=2, visitor_id="abc")
    assert tokens.read(token) == (1, 2, "abc")
    with pytest.raises(InvalidToken):
        VisitorTokens("secret-two", days=1).read(token)
    with pytest.raises(InvalidToken):
        tokens.read(token[:-2] + "xx")
    for junk in (None, "", 42, "a" * 600):
        with pytest.raises(InvalidToken):
            tokens.read(junk)
    stale = VisitorTokens("secret-one", days=1)
    stale.max_age = -1  # every token is already older than that
    with pytest.raises(TokenExpired):
        stale.read(token)


def test_site_settings_defaults_and_validation() -> None:
    settings = SiteSettings.of(None)
    assert settings.prechat.required() == () and settings.language == "auto"
    strict = SiteSettings.of({"prechat": {"name": "required", "email": "required", "phone": "hidden"}})
    assert strict.prechat.required() == ("name", "email")
    with pytest.raises(ValueError):
        SiteSettings.of({"color": "red"})
