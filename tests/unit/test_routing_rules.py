"""Routing rules: schema validation, every field/op on Russian and English text, how matching
rules combine (all/any, negate, stop, disabled, overrides, effects seen by later rules), and the
trace an admin reads when testing a message."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from helpline.core.errors import invalid_field_of
from helpline.desk import rules as rules_module
from helpline.desk.rules import (
    ACTION_TYPES,
    FIELD_OPS,
    ConditionTrace,
    Outcome,
    Rule,
    RoutingInput,
    detect_language,
    evaluate,
)

TAG = {"type": "add_tags", "value": ["matched"]}


def make_rule(*conditions: dict[str, Any], actions: list[dict[str, Any]] | None = None, **options: Any) -> Rule:
    return Rule.model_validate({"name": "rule", "conditions": list(conditions), "actions": actions or [TAG], **options})


def cond(field: str, op: str, value: Any = None, negate: bool = False) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value, "negate": negate}


def request(**fields: Any) -> RoutingInput:
    return RoutingInput(**{"channel": "web", "in_business_hours": True, **fields})


def check(condition: dict[str, Any], **fields: Any) -> ConditionTrace:
    """The trace of one condition evaluated against a request."""
    outcome = evaluate([(1, make_rule(condition))], request(**fields))
    return outcome.trace[0].conditions[0]


def run(*rules: Rule, **fields: Any) -> Outcome:
    return evaluate(list(enumerate(rules, start=1)), request(**fields))


def error_of(data: dict[str, Any]) -> tuple[str, str]:
    """(where, message) of the first problem, as the API reports it."""
    with pytest.raises(ValidationError) as caught:
        Rule.model_validate(data)
    problem = invalid_field_of(caught.value)
    return problem.field or "", problem.message


# --- text -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("value", "text", "matched", "reason"),
    [
        ("кредит", "Мне отказали в выдаче кредита", True, "text contains «кредит» (as «кредита»)"),
        ("кредит", "Оформил КРЕДИТ вчера", True, "text contains «кредит»"),
        ("кредит", "Потерял кредитку", False, "text does not contain «кредит»"),
        ("счёт", "Пришёл счет за март", True, "text contains «счёт»"),
        ("кредит карта", "Карту не прислали, а кредит одобрили", True,
         "text contains «кредит», «карта» (as «Карту»)"),
        ("кредит ипотека", "Одобрили кредит", False, "text does not contain «ипотека»"),
        ("refund", "I want my refunds now", True, "text contains «refund» (as «refunds»)"),
        ("refund order", "Please refund the ORDERS", True, "text contains «refund», «order» (as «ORDERS»)"),
        ("refund", "We need more funding", False, "text does not contain «refund»"),
        ("заказ 12345", "Где заказ №12345?", True, "text contains «заказ», «12345»"),
    ],
)
def test_text_contains_words(value: str, text: str, matched: bool, reason: str) -> None:
    trace = check(cond("text", "contains_words", value), text=text)
    assert (trace.matched, trace.reason) == (matched, reason)


@pytest.mark.parametrize(
    ("value", "text", "matched", "reason"),
    [
        (["возврат", "вернуть деньги"], "Верните деньги!", True, "text contains «вернуть деньги» (as «Верните деньги»)"),
        (["возврат", "вернуть деньги"], "Когда будет возврат средств?", True, "text contains «возврат»"),
        (["возврат", "вернуть деньги"], "Деньги не вернули", False, "text contains none of «возврат», «вернуть деньги»"),
        (["refund", "money back"], "I want my money back", True, "text contains «money back»"),
        (["refund", "money back"], "Back to the money question", False, "text contains none of «refund», «money back»"),
        (["refund", "money back"], "Refunded yet?", True, "text contains «refund» (as «Refunded»)"),
    ],
)
def test_text_contains_any(value: list[str], text: str, matched: bool, reason: str) -> None:
    trace = check(cond("text", "contains_any", value), text=text)
    assert trace.matched is matched
    assert trace.reason.startswith(reason)


def test_contains_any_reports_where_a_phrase_was_found() -> None:
    # «мои» sits between the words, so «вернуть деньги» is not consecutive there.
    assert not check(cond("text", "contains_any", ["вернуть деньги"]), text="Верните мои деньги").matched
    trace = check(cond("text", "contains_any", ["вернуть деньги"]), text="Прошу вернуть деньги")
    assert trace.reason == "text contains «вернуть деньги»"


@pytest.mark.parametrize(
    ("value", "text", "matched", "reason"),
    [
        ("кредитная карта", "Хочу кредитную карту", True, "text contains «кредитная карта» (as «кредитную карту»)"),
        ("кредитная карта", "Хочу карту кредитную", False, "text does not contain the phrase «кредитная карта»"),
        ("кредитная карта", "Взял кредитную. Карта не пришла", False,
         "text does not contain the phrase «кредитная карта»"),
        ("кредитная карта", "кредитная новая карта", False, "text does not contain the phrase «кредитная карта»"),
        ("credit card", "Two credit cards were charged", True, "text contains «credit card» (as «credit cards»)"),
        ("credit card", "A card credit was applied", False, "text does not contain the phrase «credit card»"),
        ("credit card", "My CREDIT CARD", True, "text contains «credit card»"),
    ],
)
def test_text_contains_phrase(value: str, text: str, matched: bool, reason: str) -> None:
    trace = check(cond("text", "contains_phrase", value), text=text)
    assert (trace.matched, trace.reason) == (matched, reason)


def test_text_regex_is_case_insensitive_unless_switched_off() -> None:
    trace = check(cond("text", "regex", r"заказ\s*№?\d{5}"), text="ЗАКАЗ №12345 не пришёл")
    assert trace.matched and trace.reason == r"text matches /заказ\s*№?\d{5}/ («ЗАКАЗ №12345»)"
    assert check(cond("text", "regex", r"order #\d+"), text="Order #77").matched
    assert not check(cond("text", "regex", r"(?-i)order #\d+"), text="Order #77").matched
    trace = check(cond("text", "regex", r"\bvip\b"), text="Привет")
    assert (trace.matched, trace.reason) == (False, r"text does not match /\bvip\b/")


def test_regex_timeout_is_no_match_even_when_negated() -> None:
    slow = r"^(a|aa)+$"  # backtracks exponentially on a long run of "a" that does not end the text
    text = "a" * 200 + "b"
    for negate in (False, True):
        trace = check(cond("text", "regex", slow, negate=negate), text=text)
        assert not trace.matched
        assert "timed out, taken as no match" in trace.reason


@pytest.mark.parametrize(("text", "empty"), [("", True), ("  \n\t ", True), ("?", False), ("Привет", False)])
def test_text_is_empty(text: str, empty: bool) -> None:
    trace = check(cond("text", "is_empty"), text=text)
    assert (trace.matched, trace.reason) == (empty, "text is empty" if empty else "text is not empty")


def test_the_text_is_lemmatised_once_per_evaluation(monkeypatch: pytest.MonkeyPatch) -> None:
    rules = [
        make_rule(cond("text", "contains_words", "кредит")),
        make_rule(cond("text", "contains_phrase", "credit card")),
        make_rule(cond("text", "contains_any", ["возврат", "refund"])),
    ] * 10
    calls: list[str] = []
    tokenise = rules_module.tokenise

    def counting(text: str) -> Any:
        calls.append(text)
        return tokenise(text)

    monkeypatch.setattr(rules_module, "tokenise", counting)
    outcome = run(*rules, text="Кредит и credit card")
    assert len(outcome.matched_rule_ids) == 20
    assert calls == ["Кредит и credit card"]
    # Rules with no text condition never tokenise it.
    calls.clear()
    run(make_rule(cond("channel", "is", "web")), text="Кредит")
    assert calls == []


# --- the other fields ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("condition", "fields", "matched", "reason"),
    [
        (cond("channel", "is", "email"), {"channel": "email"}, True, "channel is «email»"),
        (cond("channel", "is", "email"), {"channel": "web"}, False, "channel is «web», not «email»"),
        (cond("channel", "in", ["telegram", "vk"]), {"channel": "vk"}, True, "channel «vk» is one of «telegram», «vk»"),
        (cond("channel", "in", ["telegram", "vk"]), {"channel": "form"}, False,
         "channel «form» is not one of «telegram», «vk»"),
        (cond("inbox_id", "is", 3), {"inbox_id": 3}, True, "inbox is 3"),
        (cond("inbox_id", "is", 3), {"inbox_id": 4}, False, "inbox is 4, not 3"),
        (cond("inbox_id", "in", [3, 5]), {"inbox_id": 5}, True, "inbox 5 is one of 3, 5"),
        (cond("inbox_id", "in", [3, 5]), {}, False, "no inbox"),
        (cond("contact.name", "is", "иван петров"), {"contact": {"name": " Иван Петров "}}, True,
         "contact.name « Иван Петров » is «иван петров»"),
        (cond("contact.name", "contains", "петр"), {"contact": {"name": "Иван Петров"}}, True,
         "contact.name «Иван Петров» contains «петр»"),
        (cond("contact.email", "ends_with", "@bank.ru"), {"contact": {"email": "Ivan@Bank.ru"}}, True,
         "contact.email «Ivan@Bank.ru» ends with «@bank.ru»"),
        (cond("contact.email", "ends_with", "@bank.ru"), {"contact": {"email": "ivan@bank.ru.evil.com"}}, False,
         "contact.email «ivan@bank.ru.evil.com» does not end with «@bank.ru»"),
        (cond("contact.email", "ends_with", "@bank.ru"), {"contact": {}}, False, "contact.email is not set"),
        (cond("contact.email", "is_set"), {"contact": {"email": "a@b.ru"}}, True, "contact.email is set («a@b.ru»)"),
        (cond("contact.email", "is_set"), {"contact": {"email": "  "}}, False, "contact.email is not set"),
        (cond("contact.phone", "is", "+7 (999) 123-45-67"), {"contact": {"phone": "79991234567"}}, True,
         "contact.phone «79991234567» is «+7 (999) 123-45-67»"),
        (cond("contact.phone", "ends_with", "45-67"), {"contact": {"phone": "+7 999 123 4567"}}, True,
         "contact.phone «+7 999 123 4567» ends with «45-67»"),
        (cond("contact.email", "regex", r"@(mail|bk)\.ru$"), {"contact": {"email": "x@BK.ru"}}, True,
         r"contact.email matches /@(mail|bk)\.ru$/ («@BK.ru»)"),
        (cond("contact.city", "is", "Казань"), {"contact": {"city": "казань"}}, True, "contact.city «казань» is «Казань»"),
        (cond("contact.vip_level", "is", "2"), {"contact": {"vip_level": 2}}, True, "contact.vip_level «2» is «2»"),
        (cond("page_url", "contains", "/checkout"), {"page_url": "https://shop.ru/Checkout/1"}, True,
         "page URL «https://shop.ru/Checkout/1» contains «/checkout»"),
        (cond("page_url", "starts_with", "https://shop.ru/help"), {"page_url": "https://shop.ru/cart"}, False,
         "page URL «https://shop.ru/cart» does not start with «https://shop.ru/help»"),
        (cond("page_url", "glob", "*/checkout/*"), {"page_url": "https://shop.ru/checkout/step-2"}, True,
         "page URL «https://shop.ru/checkout/step-2» matches «*/checkout/*»"),
        (cond("page_url", "glob", "https://shop.ru/*.html"), {"page_url": "https://shop.ru/a/b.htm"}, False,
         "page URL «https://shop.ru/a/b.htm» does not match «https://shop.ru/*.html»"),
        (cond("page_url", "regex", r"/product/\d+$"), {"page_url": "https://shop.ru/product/42"}, True,
         r"page URL matches //product/\d+$/ («/product/42»)"),
        (cond("page_url", "contains", "/checkout"), {}, False, "no page URL"),
        (cond("language", "is", "ru"), {"text": "Здравствуйте, где мой заказ?"}, True, "language is «ru» (detected)"),
        (cond("language", "is", "ru"), {"text": "Where is my order?"}, False, "language is «en» (detected), not «ru»"),
        (cond("language", "in", ["ru", "uk"]), {"language": "uk", "text": "Hello"}, True,
         "language «uk» is one of «ru», «uk»"),
        (cond("language", "is", "en"), {"text": "12345 :)"}, False, "language unknown"),
        (cond("business_hours", "is", "inside"), {"in_business_hours": True}, True, "inside business hours"),
        (cond("business_hours", "is", "outside"), {"in_business_hours": True}, False, "inside business hours"),
        (cond("business_hours", "is", "outside"), {"in_business_hours": False}, True, "outside business hours"),
        (cond("custom.plan", "is", "Gold"), {"custom": {"plan": "gold"}}, True, "custom.plan «gold» is «Gold»"),
        (cond("custom.plan", "is", "gold"), {"custom": {}}, False, "custom.plan is not set"),
        (cond("custom.plan", "in", ["gold", "platinum"]), {"custom": {"plan": "silver"}}, False,
         "custom.plan «silver» is not one of «gold», «platinum»"),
        (cond("custom.seats", "is", 5), {"custom": {"seats": "5"}}, True, "custom.seats «5» is 5"),
        (cond("custom.trial", "is", True), {"custom": {"trial": True}}, True, "custom.trial true is true"),
        (cond("custom.trial", "is", True), {"custom": {"trial": "true"}}, False, "custom.trial «true» is not true"),
        (cond("custom.products", "contains", "ипотека"), {"custom": {"products": ["Вклад", "Ипотека"]}}, True,
         "custom.products [«Вклад», «Ипотека»] contains «ипотека»"),
        (cond("custom.note", "contains", "срочно"), {"custom": {"note": "Очень СРОЧНО"}}, True,
         "custom.note «Очень СРОЧНО» contains «срочно»"),
        (cond("custom.amount", "gt", 1000), {"custom": {"amount": 1500.5}}, True, "custom.amount 1500.5 is greater than 1000"),
        (cond("custom.amount", "gt", 1000), {"custom": {"amount": "999,99"}}, False,
         "custom.amount «999,99» is not greater than 1000"),
        (cond("custom.amount", "lt", 10), {"custom": {"amount": 3}}, True, "custom.amount 3 is less than 10"),
        (cond("custom.amount", "lt", 10), {"custom": {"amount": "много"}}, False, "custom.amount «много» is not a number"),
        (cond("custom.order_id", "is_set"), {"custom": {"order_id": 7}}, True, "custom.order_id is set (7)"),
        (cond("custom.order_id", "is_set"), {"custom": {"order_id": ""}}, False, "custom.order_id is not set"),
        (cond("priority", "is", "normal"), {}, True, "priority is «normal»"),
        (cond("priority", "in", ["high", "urgent"]), {"priority": "low"}, False,
         "priority «low» is not one of «high», «urgent»"),
        (cond("priority", "at_least", "high"), {"priority": "urgent"}, True, "priority «urgent» is at least «high»"),
        (cond("priority", "at_least", "high"), {"priority": "normal"}, False, "priority «normal» is below «high»"),
    ],
)
def test_fields_and_ops(condition: dict[str, Any], fields: dict[str, Any], matched: bool, reason: str) -> None:
    trace = check(condition, **fields)
    assert (trace.matched, trace.reason) == (matched, reason)


def test_every_field_and_op_in_the_catalogue_is_accepted() -> None:
    samples: dict[tuple[str, str], Any] = {
        ("channel", "is"): "web", ("channel", "in"): ["web"], ("inbox_id", "is"): 1, ("inbox_id", "in"): [1],
        ("text", "contains_words"): "a", ("text", "contains_any"): ["a"], ("text", "contains_phrase"): "a b",
        ("text", "regex"): "a", ("text", "is_empty"): None, ("page_url", "contains"): "/a",
        ("page_url", "starts_with"): "https://", ("page_url", "glob"): "*", ("page_url", "regex"): "a",
        ("language", "is"): "ru", ("language", "in"): ["ru"], ("business_hours", "is"): "inside",
        ("priority", "is"): "low", ("priority", "in"): ["low"], ("priority", "at_least"): "high",
    }
    contact = {"is": "1", "contains": "1", "ends_with": "1", "is_set": None, "regex": "1"}  # phones need digits
    custom = {"is": "a", "in": ["a", 1], "contains": "a", "gt": 1, "lt": 2.5, "is_set": None}
    for field, ops in FIELD_OPS.items():
        for op in ops:
            if field.startswith("contact."):
                value, field_name = contact[op], field.replace("<key>", "city")
            elif field.startswith("custom."):
                value, field_name = custom[op], field.replace("<key>", "plan")
            else:
                value, field_name = samples[field, op], field
            make_rule(cond(field_name, op, value))  # does not raise


def test_detect_language() -> None:
    assert detect_language("Здравствуйте, где мой заказ?") == "ru"
    assert detect_language("Where is my order?") == "en"
    assert detect_language("Заказ iPhone не пришёл") == "ru"
    assert detect_language("Заказ iPhone") == "en"  # letters are counted, not words
    assert detect_language("смотрите https://example.com/some/very/long/path и a@example.com") == "ru"
    assert detect_language("12345 :) !!!") is None
    assert detect_language("") is None


def test_a_given_language_is_not_second_guessed() -> None:
    trace = check(cond("language", "is", "ru"), text="Hello there", language="ru")
    assert (trace.matched, trace.reason) == (True, "language is «ru»")


# --- combining conditions and rules -----------------------------------------------------

def test_negate_inverts_and_says_so() -> None:
    trace = check(cond("text", "contains_words", "кредит", negate=True), text="Отказали в кредите")
    assert (trace.matched, trace.reason) == (False, "negated: text contains «кредит» (as «кредите»)")
    trace = check(cond("contact.email", "ends_with", "@bank.ru", negate=True), contact={})
    assert (trace.matched, trace.reason) == (True, "negated: contact.email is not set")
    assert check(cond("channel", "in", ["email", "web"], negate=True), channel="telegram").matched


@given(st.text(alphabet="абвгд кредитаrefundsREFUND .!", max_size=60))
def test_a_negated_condition_always_disagrees(text: str) -> None:
    for condition in (cond("text", "contains_words", "кредит refund"), cond("text", "contains_phrase", "кредит refund")):
        plain = check(condition, text=text)
        negated = check({**condition, "negate": True}, text=text)
        assert plain.matched is not negated.matched


def test_all_needs_every_condition_and_any_needs_one() -> None:
    conditions = (cond("channel", "is", "email"), cond("text", "contains_words", "refund"))
    both, one, neither = {"channel": "email", "text": "refund"}, {"channel": "web", "text": "refund"}, {"channel": "web"}
    for fields, all_matched, any_matched in ((both, True, True), (one, False, True), (neither, False, False)):
        assert run(make_rule(*conditions), **fields).trace[0].matched is all_matched
        assert run(make_rule(*conditions, match="any"), **fields).trace[0].matched is any_matched
    trace = run(make_rule(*conditions), **one).trace[0]
    assert trace.reason == "not matched: 1 of 2 conditions (all)"
    assert [c.matched for c in trace.conditions] == [False, True]
    assert run(make_rule(*conditions, match="any"), **one).trace[0].reason == "matched: 1 of 2 conditions (any)"


def test_a_rule_without_conditions_always_matches() -> None:
    outcome = run(make_rule(actions=[{"type": "set_team", "value": 9}]))
    assert outcome.trace[0].reason == "matched: no conditions"
    assert outcome.effect.team_id == 9


def test_stop_ends_evaluation_and_disabled_rules_are_skipped() -> None:
    outcome = run(
        make_rule(actions=[{"type": "add_tags", "value": ["first"]}]),
        make_rule(actions=[{"type": "add_tags", "value": ["off"]}], enabled=False),
        make_rule(cond("channel", "is", "web"), actions=[{"type": "add_tags", "value": ["third"]}], stop=True),
        make_rule(actions=[{"type": "add_tags", "value": ["fourth"]}]),
        make_rule(actions=[{"type": "add_tags", "value": ["fifth"]}], enabled=False),
    )
    assert outcome.effect.tags == ["first", "third"]
    assert [(t.rule_id, t.status, t.reason) for t in outcome.trace] == [
        (1, "matched", "matched: no conditions"),
        (2, "disabled", "skipped: disabled"),
        (3, "matched", "matched: 1 of 1 conditions (all); stops evaluation"),
        (4, "not_reached", "not reached: stopped by rule 3"),
        (5, "not_reached", "not reached: stopped by rule 3"),
    ]
    assert outcome.matched_rule_ids == [1, 3]
    assert outcome.trace[1].conditions == () and outcome.trace[3].conditions == ()


def test_stop_on_a_rule_that_does_not_match_stops_nothing() -> None:
    outcome = run(make_rule(cond("channel", "is", "email"), stop=True), make_rule())
    assert [t.status for t in outcome.trace] == ["not_matched", "matched"]


def test_later_rules_override_single_values_and_add_to_lists() -> None:
    first = make_rule(actions=[
        {"type": "set_team", "value": 1}, {"type": "set_category", "value": 10}, {"type": "set_priority", "value": "high"},
        {"type": "add_tags", "value": ["billing", "vip"]}, {"type": "set_sla_policy", "value": 100},
        {"type": "assign_agent", "value": 7}, {"type": "auto_reply", "value": "Мы скоро ответим"},
        {"type": "set_field", "key": "segment", "value": "retail"}, {"type": "set_field", "key": "score", "value": 1},
    ])
    second = make_rule(actions=[
        {"type": "set_team", "value": 2}, {"type": "add_tags", "value": ["VIP", "urgent"]},
        {"type": "auto_reply", "value": "Вы {{queue.position}}-й в очереди"},
        {"type": "set_field", "key": "segment", "value": "corporate"},
    ])
    effect = run(first, second).effect
    assert (effect.team_id, effect.category_id, effect.priority) == (2, 10, "high")
    assert (effect.sla_policy_id, effect.assignee_id) == (100, 7)
    assert effect.tags == ["billing", "vip", "urgent"]
    assert effect.auto_replies == ["Мы скоро ответим", "Вы {{queue.position}}-й в очереди"]
    assert effect.fields == {"segment": "corporate", "score": 1}
    assert effect.set_by == {
        "team_id": 2, "category_id": 1, "priority": 1, "sla_policy_id": 1, "assignee_id": 1,
        "fields.segment": 2, "fields.score": 1,
    }
    # In the other order the other rule wins.
    assert run(second, first).effect.team_id == 1


def test_a_priority_set_by_a_rule_is_seen_by_later_rules() -> None:
    escalate = make_rule(cond("text", "contains_any", ["срочно", "urgent"]), actions=[{"type": "set_priority", "value": "urgent"}])
    route = make_rule(cond("priority", "at_least", "high"), actions=[{"type": "set_team", "value": 5}])
    outcome = run(escalate, route, text="Срочно верните деньги")
    assert (outcome.effect.priority, outcome.effect.team_id) == ("urgent", 5)
    assert outcome.trace[1].conditions[0].reason == "priority «urgent» (set by rule 1) is at least «high»"
    # A rule before the escalation sees the request's priority.
    outcome = run(route, escalate, text="Срочно верните деньги")
    assert (outcome.effect.priority, outcome.effect.team_id) == ("urgent", None)
    assert outcome.trace[0].conditions[0].reason == "priority «normal» is below «high»"
    # A later rule may lower it again: the last one wins.
    calm = make_rule(actions=[{"type": "set_priority", "value": "low"}])
    outcome = run(escalate, calm, route, text="urgent!")
    assert (outcome.effect.priority, outcome.effect.team_id) == ("low", None)


def test_a_field_set_by_a_rule_is_seen_by_later_rules() -> None:
    mark = make_rule(cond("contact.email", "ends_with", "@bank.ru"), actions=[
        {"type": "set_field", "key": "segment", "value": "corporate"},
    ])
    route = make_rule(cond("custom.segment", "is", "corporate"), actions=[{"type": "set_team", "value": 8}])
    outcome = run(mark, route, contact={"email": "cfo@bank.ru"}, custom={"segment": "retail"})
    assert outcome.effect.team_id == 8
    assert outcome.trace[1].conditions[0].reason == "custom.segment «corporate» (set by rule 1) is «corporate»"
    assert run(route, mark, contact={"email": "cfo@bank.ru"}, custom={"segment": "retail"}).effect.team_id is None


def test_rules_round_trip_through_json() -> None:
    data = {
        "name": "Кредиты из Telegram вне рабочего времени",
        "enabled": True,
        "match": "all",
        "conditions": [
            {"field": "channel", "op": "in", "value": ["telegram", "whatsapp"], "negate": False},
            {"field": "text", "op": "contains_any", "value": ["кредит", "ипотека", "loan"], "negate": False},
            {"field": "business_hours", "op": "is", "value": "outside", "negate": False},
            {"field": "contact.email", "op": "ends_with", "value": "@spam.example", "negate": True},
        ],
        "actions": [
            {"type": "set_team", "value": 4},
            {"type": "add_tags", "value": ["кредит", "after-hours"]},
            {"type": "auto_reply", "value": "Мы ответим утром. Вы {{queue.position}}-й, ждать ~{{queue.wait}}."},
            {"type": "set_field", "key": "source", "value": "routing"},
        ],
        "stop": True,
    }
    rule = Rule.model_validate(data)
    assert rule.model_dump(mode="json") == data
    again = Rule.model_validate(rule.model_dump(mode="json"))
    fields = {"channel": "telegram", "in_business_hours": False, "text": "Нужна ипотека"}
    assert run(again, **fields).effect == run(rule, **fields).effect
    assert run(rule, **fields).effect.team_id == 4


def test_routing_input_rejects_unknown_channel_and_priority() -> None:
    with pytest.raises(ValueError, match="channel is one of"):
        request(channel="sms")
    with pytest.raises(ValueError, match="priority is one of"):
        request(priority="critical")


# --- validation ---------------------------------------------------------------------------

def rule_with(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"name": "r", "conditions": list(conditions), "actions": [TAG]}


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        (cond("channel", "contains", "web"), "field 'channel' has no op 'contains'; its ops are is, in"),
        (cond("text", "is", "кредит"), "field 'text' has no op 'is'; its ops are contains_words, contains_any"),
        (cond("priority", "gt", "high"), "field 'priority' has no op 'gt'; its ops are is, in, at_least"),
        (cond("contact.email", "in", ["a"]), "field 'contact.email' has no op 'in'"),
        (cond("txt", "is", "a"), "unknown field 'txt'; fields are channel, inbox_id, text"),
        (cond("contact.", "is", "a"), "'contact.': a key after 'contact.' is 1–64 letters"),
        (cond("custom.a b", "is", "a"), "'custom.a b': a key after 'custom.' is 1–64 letters"),
        (cond("channel", "is", "sms"), "'channel is' takes one of web, email, telegram, vk, viber, whatsapp, phone, form"),
        (cond("channel", "in", []), "'channel in' needs a non-empty list"),
        (cond("channel", "in", "web"), "'channel in' needs a non-empty list"),
        (cond("inbox_id", "is", "3"), "'inbox_id is' takes inbox ids (positive integers); got '3'"),
        (cond("inbox_id", "in", [1, True]), "'inbox_id in' takes inbox ids (positive integers); got True"),
        (cond("text", "contains_words", "  "), "'text contains_words' needs a non-empty string"),
        (cond("text", "contains_words", "!!!"), "'text contains_words' needs at least one word"),
        (cond("text", "contains_any", ["ok", ""]), "'text contains_any' needs a non-empty string"),
        (cond("text", "contains_phrase", ["a", "b"]), "'text contains_phrase' needs a non-empty string"),
        (cond("text", "regex", "(кредит"), "'text regex' has an invalid regular expression: missing ) at position 7"),
        (cond("page_url", "regex", "[a-"), "'page_url regex' has an invalid regular expression"),
        (cond("text", "is_empty", True), "'text is_empty' takes no value"),
        (cond("contact.phone", "is", "call me"), "'contact.phone is' needs digits of a phone number"),
        (cond("language", "is", "RU"), "'language is' takes two-letter lowercase language codes"),
        (cond("language", "in", ["ru", "rus"]), "'language in' takes two-letter lowercase language codes"),
        (cond("business_hours", "is", True), "'business_hours is' takes one of inside, outside; got True"),
        (cond("custom.amount", "gt", "1000"), "'custom.amount gt' needs a number; got '1000'"),
        (cond("custom.amount", "lt", True), "'custom.amount lt' needs a number; got True"),
        (cond("custom.plan", "in", [["gold"]]), "'custom.plan in' takes a non-empty string, a number or true/false"),
        (cond("custom.plan", "is_set", "yes"), "'custom.plan is_set' takes no value"),
        (cond("priority", "at_least", "critical"), "'priority at_least' takes one of low, normal, high, urgent"),
    ],
)
def test_invalid_conditions_name_their_index(condition: dict[str, Any], message: str) -> None:
    where, problem = error_of(rule_with(cond("channel", "is", "web"), condition))
    assert where == "conditions.1"
    assert problem.startswith(f"conditions.1: {message}")


def test_invalid_condition_keys_and_types() -> None:
    assert error_of(rule_with({"field": "text", "op": "is_empty", "nagate": True}))[0] == "conditions.0.nagate"
    assert error_of(rule_with({"field": "text", "op": "is_empty", "negate": "yes"}))[0] == "conditions.0.negate"
    assert error_of(rule_with({"op": "is_empty"}))[0] == "conditions.0.field"


def test_regex_errors_name_the_problem_clearly() -> None:
    _, message = error_of(rule_with(cond("text", "regex", "a{2,1}")))
    assert message.startswith("conditions.0: 'text regex' has an invalid regular expression:")


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        ({"name": "", "actions": [TAG]}, "name", "String should have at least 1 character"),
        ({"name": "   ", "actions": [TAG]}, "name", "String should have at least 1 character"),
        ({"name": "x" * 201, "actions": [TAG]}, "name", "String should have at most 200 characters"),
        ({"name": "r", "actions": []}, "actions", "List should have at least 1 item"),
        ({"name": "r", "actions": [TAG] * 21}, "actions", "List should have at most 20 items"),
        ({"name": "r", "conditions": [cond("text", "is_empty")] * 21, "actions": [TAG]}, "conditions",
         "List should have at most 20 items"),
        ({"name": "r", "actions": [TAG], "priority": 1}, "priority", "Extra inputs are not permitted"),
        ({"name": "r", "actions": [TAG], "match": "some"}, "match", "Input should be 'all' or 'any'"),
        ({"name": "r", "actions": [TAG], "enabled": "true"}, "enabled", "Input should be a valid boolean"),
        ({"name": "r", "actions": [{"type": "set_colour", "value": 1}]}, "actions.0", "Input tag 'set_colour'"),
        ({"name": "r", "actions": [{"type": "set_team", "value": "4"}]}, "actions.0.set_team.value",
         "Input should be a valid integer"),
        ({"name": "r", "actions": [{"type": "set_team", "value": True}]}, "actions.0.set_team.value",
         "Input should be a valid integer"),
        ({"name": "r", "actions": [{"type": "assign_agent", "value": 0}]}, "actions.0.assign_agent.value",
         "Input should be greater than 0"),
        ({"name": "r", "actions": [{"type": "set_priority", "value": "critical"}]}, "actions.0.set_priority.value",
         "Input should be 'low', 'normal', 'high' or 'urgent'"),
        ({"name": "r", "actions": [{"type": "add_tags", "value": []}]}, "actions.0.add_tags.value",
         "List should have at least 1 item"),
        ({"name": "r", "actions": [{"type": "add_tags", "value": ["ok", " "]}]}, "actions.0.add_tags.value.1",
         "String should have at least 1 character"),
        ({"name": "r", "actions": [{"type": "add_tags", "value": ["x" * 51]}]}, "actions.0.add_tags.value.0",
         "String should have at most 50 characters"),
        ({"name": "r", "actions": [{"type": "auto_reply", "value": " "}]}, "actions.0.auto_reply.value",
         "String should have at least 1 character"),
        ({"name": "r", "actions": [{"type": "auto_reply", "value": "x" * 2001}]}, "actions.0.auto_reply.value",
         "String should have at most 2000 characters"),
        ({"name": "r", "actions": [{"type": "set_field", "key": "a b", "value": 1}]}, "actions.0.set_field.key",
         "Value error, a field key is 1–64 letters"),
        ({"name": "r", "actions": [{"type": "set_field", "value": 1}]}, "actions.0.set_field.key", "Field required"),
        ({"name": "r", "actions": [{"type": "set_field", "key": "k", "value": [1]}]}, "actions.0.set_field.value",
         "Value error, a field value is a string of up to 1000 characters, a number, true, false or null"),
        ({"name": "r", "actions": [{"type": "set_field", "key": "k", "value": "x" * 1001}]}, "actions.0.set_field.value",
         "Value error, a field value is a string of up to 1000 characters"),
        ({"name": "r", "actions": [{"type": "set_team", "value": 1, "key": "x"}]}, "actions.0.set_team.key",
         "Extra inputs are not permitted"),
        ({"name": "r", "actions": [{"type": "set_team", "value": 1}, TAG, {"type": "set_team", "value": 2}]}, "actions",
         "actions 0 and 2 both do set_team; a rule does it once"),
        ({"name": "r", "actions": [{"type": "set_field", "key": "k", "value": 1}, {"type": "set_field", "key": "k", "value": 2}]},
         "actions", "actions 0 and 1 both do set_field 'k'; a rule does it once"),
    ],
)
def test_invalid_rules_and_actions(data: dict[str, Any], where: str, message: str) -> None:
    found_where, found_message = error_of(data)
    assert found_where == where
    assert found_message.startswith(f"{where}: {message}")


def test_actions_are_normalised() -> None:
    rule = Rule.model_validate({"name": "  Billing  ", "actions": [
        {"type": "add_tags", "value": ["  Billing ", "VIP", "billing"]},
        {"type": "add_tags", "value": ["vip", "new"]},
        {"type": "auto_reply", "value": "  Вы {{queue.position}}-й, ждать {{queue.wait}}.  "},
        {"type": "set_field", "key": "segment", "value": None},
        {"type": "set_field", "key": "score", "value": 4.5},
    ]})
    assert rule.name == "Billing"
    assert rule.actions[0].value == ["billing", "vip"]
    assert rule.actions[2].value == "Вы {{queue.position}}-й, ждать {{queue.wait}}."
    effect = run(rule).effect
    assert effect.tags == ["billing", "vip", "new"]
    assert effect.fields == {"segment": None, "score": 4.5}


def test_the_catalogues_cover_the_schema() -> None:
    assert set(ACTION_TYPES) == {"set_team", "set_category", "set_priority", "add_tags", "set_sla_policy",
                                 "assign_agent", "auto_reply", "set_field"}
    assert "contact.<key>" in FIELD_OPS and "custom.<key>" in FIELD_OPS
