"""Per-account settings of the reviewer: switches, thresholds, phrase lists, weights; and the
language helpers under it (any inflection of a phrase counts)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from helpline.quality import ConversationIn, Fault, ReviewConfig, Reviewer
from helpline.quality.text import PhraseBook, emoji_in, language_of, script_counts, split_sentences, tokenise
from tests.unit.test_review_faults import CASES, chat

C, A, B = "customer", "agent", "bot"


@pytest.mark.parametrize("fault", list(Fault), ids=[f.value for f in Fault])
def test_a_fault_switched_off_is_never_reported(fault: Fault) -> None:
    reviewer = Reviewer(ReviewConfig(enabled=set(Fault) - {fault}))
    positives = [lines for f, present, lines in CASES if f is fault and present]
    assert positives
    for lines in positives:
        review = reviewer.review(chat(*lines))
        assert fault.value not in review.faults
        assert fault.value not in review.as_json()["evidence"]
    assert Reviewer(ReviewConfig(enabled=set())).review(chat(*positives[0])).faults == []


def test_thresholds_are_seconds_and_move_the_decision() -> None:
    waited_90 = chat((C, 0, "Сколько стоит доставка?"), (A, 90, "Доставка стоит 300 ₽, привезём завтра."))
    assert "slow_first_response" in Reviewer().review(waited_90).faults
    assert "slow_first_response" not in Reviewer(ReviewConfig(first_response_seconds=120)).review(waited_90).faults

    later = chat((C, 0, "Hi"), (A, 10, "Hi! How can I help?"), (C, 20, "Where is order 5?"),
                 (A, 170, "It ships today, you'll get the tracking number by SMS."), (C, 180, "Thanks"))
    assert "slow_reply" not in Reviewer().review(later).faults
    assert "slow_reply" in Reviewer(ReviewConfig(reply_seconds=100)).review(later).faults

    handoff = chat((C, 0, "Позовите оператора"), (B, 2, "Соединяю с оператором."),
                   (A, 100, "Здравствуйте! Чем помочь?"))
    assert "bot_no_handoff" not in Reviewer().review(handoff).faults
    assert "bot_no_handoff" in Reviewer(ReviewConfig(handoff_seconds=60)).review(handoff).faults


def test_emotion_threshold() -> None:
    worried = chat((C, 0, "I'm a bit worried about my order, where is it?"), (A, 20, "It arrives tomorrow."))
    assert "ignored_emotion" not in Reviewer().review(worried).faults
    assert "ignored_emotion" in Reviewer(ReviewConfig(emotion_threshold=2)).review(worried).faults


def test_phrase_lists_are_the_accounts_and_any_inflection_counts() -> None:
    config = ReviewConfig(stock_phrases=["рады видеть вас снова"])
    reviewer = Reviewer(config)
    said = chat((C, 0, "Здравствуйте"), (A, 5, "Рада видеть Вас снова! Чем помочь?"))
    assert reviewer.review(said).faults == ["template_phrase"]
    default_cliche = chat((C, 0, "Hi"), (A, 5, "Thank you for contacting us! How can I help?"))
    assert "template_phrase" not in reviewer.review(default_cliche).faults
    assert "template_phrase" in Reviewer().review(default_cliche).faults


def test_weights_make_the_score() -> None:
    conversation = chat((C, 0, "Сколько стоит доставка?"), (A, 90, "Доставка стоит 300 ₽, привезём завтра."))
    assert Reviewer().review(conversation).score == 90
    weights = {**ReviewConfig().weights, Fault.slow_first_response: 150}
    assert Reviewer(ReviewConfig(weights=weights)).review(conversation).score == 0


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValidationError):
        ReviewConfig(first_response_seconds=0)
    with pytest.raises(ValidationError):
        ReviewConfig(enabled={"no_such_fault"})
    with pytest.raises(ValidationError):
        ReviewConfig.model_validate({"thresholds": 5})
    assert ReviewConfig.model_validate_json(ReviewConfig().model_dump_json()) == ReviewConfig()


def test_phrases_match_in_any_inflection_case_and_punctuation() -> None:
    book = PhraseBook({"stock": ["приносим извинения за доставленные неудобства", "спасибо за обращение",
                                 "sorry for the inconvenience", "don't worry"]})

    def found(text: str) -> list[str]:
        tokens = tokenise(text)
        split_sentences(text, tokens)
        return [m.phrase for m in book.find(tokens).get("stock", [])]

    assert found("ПРИНОШУ ИЗВИНЕНИЯ ЗА ДОСТАВЛЕННОЕ НЕУДОБСТВО!") == ["приносим извинения за доставленные неудобства"]
    assert found("Спасибо за ваши обращения.") == ["спасибо за обращение"]
    assert found("Sorry for any inconveniences") == ["sorry for the inconvenience"]
    assert found("Do not worry, it's fine") == ["don't worry"]
    assert found("Спасибо. За обращение к нам") == []  # a phrase does not cross sentences
    assert found("Спасибо за быстрое обращение") == []


def test_words_sentences_emoji_and_language() -> None:
    tokens = tokenise("Ёлка стоит 1 500 ₽: см. https://shop.ru/elka?x=1. Don't worry, e-mail a@b.ru!")
    assert [t.kind for t in tokens if t.kind in ("url", "email")] == ["url", "email"]
    assert {"елка"} <= {t.low for t in tokens}
    assert [t.low for t in tokens if t.text == "Don't"] == ["do", "not"]
    text = "Мы на ул. Кирова, 5. Вы придёте? Ждём!"
    sentences = split_sentences(text, tokenise(text))
    assert [s.text for s in sentences] == ["Мы на ул. Кирова, 5.", "Вы придёте?", "Ждём!"]
    assert [s.question for s in sentences] == [False, True, False]
    assert emoji_in("Готово 👍 спасибо :) (см. раздел 4)") == ["👍", ":)"]
    assert emoji_in("Спасибо))") == [")", ")"]
    assert emoji_in("© 2024 ™, → ✓") == []
    assert language_of(*script_counts(tokenise("Да, Haval Jolion Elite есть в наличии"))) == "ru"
    assert language_of(*script_counts(tokenise("Hello! Our manager will call you"))) == "en"
    assert language_of(*script_counts(tokenise("iPhone 15 Pro"))) is None


_roles = st.sampled_from(["customer", "agent", "bot", "system"])
_texts = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=120) | st.sampled_from(
    ["Ожидайте.", "Спасибо за обращение!", "Где мой заказ??", "https://x.ru", "Оператора дайте", "😡😡 !!!", ""]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_roles, st.floats(0, 10_000, allow_nan=False), _texts), min_size=1, max_size=8))
def test_any_conversation_gets_a_well_formed_review(lines: list[tuple[str, float, str]]) -> None:
    conversation = ConversationIn.model_validate(
        {"id": "h", "messages": [{"from": r, "t": t, "text": x} for r, t, x in sorted(lines, key=lambda m: m[1])]}
    )
    line = Reviewer().review(conversation).as_json()
    assert line["faults"] == sorted(set(line["faults"]))
    assert set(line["evidence"]) == set(line["faults"])
    assert 0 <= line["score"] <= 100
