"""Routing rules: what a new conversation gets from the request that opened it — a team, a
category, a priority, tags, an SLA policy, an assignee, auto-replies, custom fields.

An account keeps an ordered list of rules, each stored as JSON (`rule.model_dump(mode="json")`).
`Rule.model_validate` checks every field/op/value combination and precomputes what matching
needs (the lemmas of words and phrases, compiled regular expressions and globs), so parse a rule
once and keep the `Rule`, not the JSON. `evaluate` runs rules against a `RoutingInput` and
returns an `Outcome`: a trace for the admin's "test a message" and the merged `Effect` for the
caller to apply. Nothing here touches the database.

How rules combine:
- Rules run in the given order. A disabled rule is skipped; a matching rule with `stop` ends the
  run, and the rules after it are "not reached".
- A matching rule's actions take effect at once, and later rules see the effect so far: a
  `priority` condition sees a priority an earlier rule set (so one rule can escalate and a later
  one route the escalated conversations), a `custom.<key>` condition sees a field set by
  `set_field`.
- Single-valued settings (team, category, priority, SLA policy, assignee, each custom field) are
  overridden by later matching rules: the last rule to set one wins. Put general rules first and
  specific ones after them, or end a rule with `stop`. Tags are a union, in the order they were
  first added; auto-replies accumulate in rule order.

Text is matched by word, not by substring: Russian words by lemma (pymorphy3), English ones by
Snowball stem, numbers as written, so «кредита» finds «кредит» and "refunds" finds "refund",
while «кредитка» is another word than «кредит». Letter case and ё/е never matter. Phrases match
consecutive words within one sentence. Regular expressions are case-insensitive (a leading `(?-i)`
turns that off) and get `REGEX_TIMEOUT` seconds per search; one that runs out of time is taken as
no match, negated or not, and the trace says so.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import math
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Annotated, Any, Literal

import regex
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from helpline.quality.text import Token, tokenise

CHANNELS = ("web", "email", "telegram", "vk", "viber", "whatsapp", "phone", "form")
PRIORITIES = ("low", "normal", "high", "urgent")  # in ascending order
Priority = Literal["low", "normal", "high", "urgent"]

_CONTACT_OPS = ("is", "contains", "ends_with", "is_set", "regex")
_CUSTOM_OPS = ("is", "in", "contains", "gt", "lt", "is_set")
# Every condition field with its ops, for the admin UI; `<key>` stands for an attribute key.
FIELD_OPS: dict[str, tuple[str, ...]] = {
    "channel": ("is", "in"),
    "inbox_id": ("is", "in"),
    "text": ("contains_words", "contains_any", "contains_phrase", "regex", "is_empty"),
    "contact.name": _CONTACT_OPS,
    "contact.email": _CONTACT_OPS,
    "contact.phone": _CONTACT_OPS,
    "contact.<key>": _CONTACT_OPS,
    "page_url": ("contains", "starts_with", "glob", "regex"),
    "language": ("is", "in"),
    "business_hours": ("is",),
    "custom.<key>": _CUSTOM_OPS,
    "priority": ("is", "in", "at_least"),
}
ACTION_TYPES = (
    "set_team", "set_category", "set_priority", "add_tags", "set_sla_policy", "assign_agent", "auto_reply", "set_field",
)

# Seconds one regular expression may search one value; a malicious or careless pattern
# (catastrophic backtracking) must not stall conversation creation.
REGEX_TIMEOUT = 0.05

_MAX_LIST = 100
_MAX_TERM = 200
_MAX_PATTERN = 500
_KEY_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
_LANGUAGE_RE = re.compile(r"[a-z]{2}")
_SENTENCE_BREAK_RE = re.compile(r"[.!?…;\n]")
_NON_DIGITS_RE = re.compile(r"\D+")
_CYRILLIC_RE = regex.compile(r"\p{Script=Cyrillic}")
_LATIN_RE = regex.compile(r"\p{Script=Latin}")
_ADDRESS_RE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+")


def detect_language(text: str) -> str | None:
    """"ru" when Cyrillic letters are the majority (ties too), "en" when Latin ones are, None
    without letters of either. Links and e-mail addresses are not counted."""
    text = _ADDRESS_RE.sub(" ", text)
    cyrillic = len(_CYRILLIC_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    if not cyrillic and not latin:
        return None
    return "ru" if cyrillic >= latin else "en"


# --- matching words and phrases -------------------------------------------------------------

def _fold(text: str) -> str:
    return text.lower().replace("ё", "е")


def _key(token: Token) -> frozenset[str]:
    """What a word is matched by: its lemmas (Russian may have several), its stem (English), or
    the token itself (numbers, links, addresses)."""
    return token.word.lemmas or frozenset([token.low])


@dataclasses.dataclass(frozen=True, slots=True)
class _Term:
    """A word or phrase of a condition: as the admin typed it, and the keys of its words."""

    typed: str
    keys: tuple[frozenset[str], ...]


def _term(typed: str) -> _Term:
    return _Term(typed, tuple(_key(token) for token in tokenise(typed)))


class _Text:
    """The customer's text tokenised and indexed by lemma, once per evaluation."""

    __slots__ = ("text", "tokens", "keys", "sentences", "positions")

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenise(text)
        self.keys = [_key(token) for token in self.tokens]
        self.sentences: list[int] = []
        self.positions: dict[str, list[int]] = {}
        sentence = previous_end = 0
        for position, token in enumerate(self.tokens):
            if token.start > previous_end and _SENTENCE_BREAK_RE.search(text, previous_end, token.start):
                sentence += 1
            previous_end = max(previous_end, token.end)
            self.sentences.append(sentence)
            for lemma in self.keys[position]:
                self.positions.setdefault(lemma, []).append(position)

    def find(self, term: _Term) -> str | None:
        """The text where the term first occurs (its words consecutive, in one sentence)."""
        first, rest = term.keys[0], term.keys[1:]
        starts = sorted({position for lemma in first for position in self.positions.get(lemma, ())})
        total = len(self.tokens)
        for start in starts:
            last = start + len(rest)
            if last >= total or self.sentences[last] != self.sentences[start]:
                continue
            if all(not key.isdisjoint(self.keys[start + 1 + offset]) for offset, key in enumerate(rest)):
                return self.text[self.tokens[start].start: self.tokens[last].end]
        return None


def _quote(text: Any, limit: int = 60) -> str:
    text = str(text)
    return f"«{text if len(text) <= limit else text[: limit - 1] + '…'}»"


def _quotes(values: Sequence[Any], limit: int = 5) -> str:
    shown = ", ".join(_quote(value) for value in values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def _found(term: _Term, surface: str) -> str:
    """«кредит» (as «кредита»), or just «refund» when the text has it as typed."""
    if _fold(surface) == _fold(term.typed):
        return _quote(term.typed)
    return f"{_quote(term.typed)} (as {_quote(surface)})"


# --- conditions ---------------------------------------------------------------------------

class _Subject:
    """What conditions look at: the request and the effect of the rules matched so far. The
    text is tokenised and the language detected only if a condition asks, and only once."""

    __slots__ = ("request", "effect", "_text", "_language")

    def __init__(self, request: RoutingInput, effect: Effect) -> None:
        self.request = request
        self.effect = effect
        self._text: _Text | None = None
        self._language: tuple[str | None, bool] | None = None

    @property
    def text(self) -> _Text:
        if self._text is None:
            self._text = _Text(self.request.text)
        return self._text

    @property
    def language(self) -> tuple[str | None, bool]:
        """(language, whether it was detected rather than given)."""
        if self._language is None:
            given = self.request.language
            self._language = (given, False) if given else (detect_language(self.request.text), True)
        return self._language

    def priority(self) -> tuple[str, str]:
        """The priority so far, with a note on which rule set it, if one did."""
        if self.effect.priority is not None:
            return self.effect.priority, f" (set by rule {self.effect.set_by['priority']})"
        return self.request.priority, ""

    def custom(self, key: str) -> tuple[Any, str]:
        if key in self.effect.fields:
            return self.effect.fields[key], f" (set by rule {self.effect.set_by['fields.' + key]})"
        return self.request.custom.get(key), ""


# A compiled condition: (True/False, reason), or (None, reason) when it cannot be decided
# (a regular expression ran out of time), which counts as no match even when negated.
_Test = Callable[[_Subject], tuple[bool | None, str]]


def _invalid(message: str) -> PydanticCustomError:
    return PydanticCustomError("invalid_condition", "{reason}", {"reason": message})


def _no_value(name: str, value: Any) -> None:
    if value is not None:
        raise _invalid(f"'{name}' takes no value")


def _string(name: str, value: Any, max_length: int = _MAX_TERM) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"'{name}' needs a non-empty string")
    if len(value) > max_length:
        raise _invalid(f"'{name}' takes at most {max_length} characters")
    return value.strip()


def _list(name: str, value: Any, check: Callable[[Any], Any]) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise _invalid(f"'{name}' needs a non-empty list")
    if len(value) > _MAX_LIST:
        raise _invalid(f"'{name}' takes at most {_MAX_LIST} items")
    return [check(item) for item in value]


def _one_of(name: str, choices: Sequence[str]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices or not isinstance(value, str):
            raise _invalid(f"'{name}' takes one of {', '.join(choices)}; got {value!r}")
        return value

    return check


def _language_code(name: str) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if not isinstance(value, str) or not _LANGUAGE_RE.fullmatch(value):
            raise _invalid(f"'{name}' takes two-letter lowercase language codes such as ru or en; got {value!r}")
        return value

    return check


def _positive_id(name: str) -> Callable[[Any], int]:
    def check(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            raise _invalid(f"'{name}' takes inbox ids (positive integers); got {value!r}")
        return value

    return check


def _scalar(name: str) -> Callable[[Any], str | int | float | bool]:
    def check(value: Any) -> str | int | float | bool:
        if isinstance(value, str) and value.strip() and len(value) <= _MAX_TERM:
            return value
        if isinstance(value, bool) or (isinstance(value, int | float) and math.isfinite(value)):
            return value
        raise _invalid(f"'{name}' takes a non-empty string, a number or true/false; got {value!r}")

    return check


def _number_value(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _invalid(f"'{name}' needs a number; got {value!r}")
    return value


def _regex(name: str, value: Any) -> regex.Pattern[str]:
    pattern = _string(name, value, _MAX_PATTERN)
    try:
        return regex.compile(pattern, regex.IGNORECASE)
    except regex.error as error:
        raise _invalid(f"'{name}' has an invalid regular expression: {error}") from None


def _searcher(label: str, compiled: regex.Pattern[str]) -> Callable[[str], tuple[bool | None, str]]:
    def search(value: str) -> tuple[bool | None, str]:
        try:
            found = compiled.search(value, timeout=REGEX_TIMEOUT)
        except TimeoutError:
            return None, f"{label}: the regular expression /{compiled.pattern}/ timed out, taken as no match"
        if found is None:
            return False, f"{label} does not match /{compiled.pattern}/"
        return True, f"{label} matches /{compiled.pattern}/ ({_quote(found.group())})"

    return search


def _fields_list() -> str:
    return ", ".join(FIELD_OPS)


def _ops_of(field: str) -> tuple[str, ...]:
    for prefix in ("contact.", "custom."):
        if field.startswith(prefix):
            key = field[len(prefix):]
            if not _KEY_RE.fullmatch(key):
                raise _invalid(
                    f"'{field}': a key after '{prefix}' is 1–64 letters, digits, '_', '.' or '-'; got {key!r}"
                )
            return FIELD_OPS.get(field, FIELD_OPS[prefix + "<key>"])
    if field not in FIELD_OPS:
        raise _invalid(f"unknown field {field!r}; fields are {_fields_list()}")
    return FIELD_OPS[field]


def _compile(field: str, op: str, value: Any) -> _Test:
    """Check a condition's op and value against its field and build its test."""
    ops = _ops_of(field)
    if op not in ops:
        raise _invalid(f"field '{field}' has no op {op!r}; its ops are {', '.join(ops)}")
    name = f"{field} {op}"
    if field == "text":
        return _text_test(name, op, value)
    if field.startswith("contact."):
        return _contact_test(name, field, op, value)
    if field.startswith("custom."):
        return _custom_test(name, field, op, value)
    return {
        "channel": _channel_test, "inbox_id": _inbox_test, "page_url": _page_test, "language": _language_test,
        "business_hours": _hours_test, "priority": _priority_test,
    }[field](name, op, value)


def _channel_test(name: str, op: str, value: Any) -> _Test:
    choose = _one_of(name, CHANNELS)
    if op == "is":
        wanted = choose(value)

        def channel_is(subject: _Subject) -> tuple[bool, str]:
            actual = subject.request.channel
            return actual == wanted, f"channel is {_quote(actual)}" + ("" if actual == wanted else f", not {_quote(wanted)}")

        return channel_is
    choices = _list(name, value, choose)

    def channel_in(subject: _Subject) -> tuple[bool, str]:
        actual = subject.request.channel
        matched = actual in choices
        return matched, f"channel {_quote(actual)} is {'' if matched else 'not '}one of {_quotes(choices)}"

    return channel_in


def _inbox_test(name: str, op: str, value: Any) -> _Test:
    check = _positive_id(name)
    wanted = [check(value)] if op == "is" else _list(name, value, check)

    def inbox(subject: _Subject) -> tuple[bool, str]:
        actual = subject.request.inbox_id
        if actual is None:
            return False, "no inbox"
        matched = actual in wanted
        if op == "is":
            return matched, f"inbox is {actual}" + ("" if matched else f", not {wanted[0]}")
        return matched, f"inbox {actual} is {'' if matched else 'not '}one of {', '.join(map(str, wanted))}"

    return inbox


def _text_test(name: str, op: str, value: Any) -> _Test:
    if op == "is_empty":
        _no_value(name, value)
        return lambda subject: (
            (True, "text is empty") if not subject.request.text.strip() else (False, "text is not empty")
        )
    if op == "regex":
        search = _searcher("text", _regex(name, value))
        return lambda subject: search(subject.request.text)
    if op == "contains_words":
        typed = _string(name, value, _MAX_PATTERN)
        words: dict[frozenset[str], _Term] = {}
        for token in tokenise(typed):
            words.setdefault(_key(token), _Term(token.text, (_key(token),)))
        if not words:
            raise _invalid(f"'{name}' needs at least one word")
        terms = list(words.values())

        def contains_words(subject: _Subject) -> tuple[bool, str]:
            text = subject.text
            found = [(term, text.find(term)) for term in terms]
            missing = [term.typed for term, surface in found if surface is None]
            if missing:
                return False, f"text does not contain {_quotes(missing)}"
            return True, "text contains " + ", ".join(_found(term, surface) for term, surface in found if surface)

        return contains_words
    phrases = [_string(name, value)] if op == "contains_phrase" else _list(name, value, lambda item: _string(name, item))
    terms = [_term(phrase) for phrase in phrases]
    for term in terms:
        if not term.keys:
            raise _invalid(f"'{name}': {term.typed!r} has no words")

    def contains(subject: _Subject) -> tuple[bool, str]:
        text = subject.text
        for term in terms:
            surface = text.find(term)
            if surface is not None:
                return True, f"text contains {_found(term, surface)}"
        if op == "contains_phrase":
            return False, f"text does not contain the phrase {_quote(terms[0].typed)}"
        return False, f"text contains none of {_quotes([term.typed for term in terms])}"

    return contains


def _comparable(field: str, text: str) -> str:
    """Contact values compare case-insensitively; phone numbers by their digits only, so
    "+7 (999) 123-45-67" is "79991234567"."""
    return _NON_DIGITS_RE.sub("", text) if field == "contact.phone" else _fold(text.strip())


def _contact_test(name: str, field: str, op: str, value: Any) -> _Test:
    key = field[len("contact."):]
    search = None
    wanted = ""
    if op == "is_set":
        _no_value(name, value)
    elif op == "regex":
        search = _searcher(field, _regex(name, value))
    else:
        wanted = _comparable(field, _string(name, value))
        if not wanted:
            raise _invalid(f"'{name}' needs digits of a phone number")
    verbs = {"is": ("is", "is not"), "contains": ("contains", "does not contain"),
             "ends_with": ("ends with", "does not end with")}

    def contact(subject: _Subject) -> tuple[bool | None, str]:
        raw = subject.request.contact.get(key)
        actual = "" if raw is None else str(raw)
        if not actual.strip():
            return False, f"{field} is not set"
        if op == "is_set":
            return True, f"{field} is set ({_quote(actual)})"
        if search is not None:
            return search(actual)
        comparable = _comparable(field, actual)
        if op == "is":
            matched = comparable == wanted
        elif op == "contains":
            matched = wanted in comparable
        else:
            matched = comparable.endswith(wanted)
        return matched, f"{field} {_quote(actual)} {verbs[op][not matched]} {_quote(value.strip())}"

    return contact


def _page_test(name: str, op: str, value: Any) -> _Test:
    search, glob, wanted, folded = None, None, "", ""
    if op == "regex":
        search = _searcher("page URL", _regex(name, value))
    else:
        wanted = _string(name, value, _MAX_PATTERN)
        glob = re.compile(fnmatch.translate(wanted), re.IGNORECASE) if op == "glob" else None
        folded = wanted.lower()
    verbs = {"contains": ("contains", "does not contain"), "starts_with": ("starts with", "does not start with"),
             "glob": ("matches", "does not match")}

    def page(subject: _Subject) -> tuple[bool | None, str]:
        url = subject.request.page_url
        if not url:
            return False, "no page URL"
        if search is not None:
            return search(url)
        if glob is not None:
            matched = glob.match(url) is not None
        elif op == "contains":
            matched = folded in url.lower()
        else:
            matched = url.lower().startswith(folded)
        return matched, f"page URL {_quote(url, 100)} {verbs[op][not matched]} {_quote(wanted, 100)}"

    return page


def _language_test(name: str, op: str, value: Any) -> _Test:
    check = _language_code(name)
    wanted = [check(value)] if op == "is" else _list(name, value, check)

    def language(subject: _Subject) -> tuple[bool, str]:
        actual, detected = subject.language
        if actual is None:
            return False, "language unknown"
        note = " (detected)" if detected else ""
        matched = actual in wanted
        if op == "is":
            return matched, f"language is {_quote(actual)}{note}" + ("" if matched else f", not {_quote(wanted[0])}")
        return matched, f"language {_quote(actual)}{note} is {'' if matched else 'not '}one of {_quotes(wanted)}"

    return language


def _hours_test(name: str, op: str, value: Any) -> _Test:
    inside = _one_of(name, ("inside", "outside"))(value) == "inside"

    def hours(subject: _Subject) -> tuple[bool, str]:
        actual = subject.request.in_business_hours
        return actual == inside, f"{'inside' if actual else 'outside'} business hours"

    return hours


def _priority_test(name: str, op: str, value: Any) -> _Test:
    choose = _one_of(name, PRIORITIES)
    wanted = _list(name, value, choose) if op == "in" else [choose(value)]

    def priority(subject: _Subject) -> tuple[bool, str]:
        actual, note = subject.priority()
        if op == "at_least":
            matched = PRIORITIES.index(actual) >= PRIORITIES.index(wanted[0])
            return matched, f"priority {_quote(actual)}{note} is {'at least' if matched else 'below'} {_quote(wanted[0])}"
        matched = actual in wanted
        if op == "is":
            return matched, f"priority is {_quote(actual)}{note}" + ("" if matched else f", not {_quote(wanted[0])}")
        return matched, f"priority {_quote(actual)}{note} is {'' if matched else 'not '}one of {_quotes(wanted)}"

    return priority


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_number(value: Any) -> float | None:
    if _is_number(value):
        return value
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "."))
        except ValueError:
            return None
    return None


def _same(actual: Any, expected: str | int | float | bool) -> bool:
    """Whether a custom field's value is the expected one: strings case-insensitively, numbers
    by value ("1500" is 1500), a multi-choice field (a list) when any of its items is."""
    if isinstance(actual, list | tuple | set | frozenset):
        return any(_same(item, expected) for item in actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if _is_number(expected):
        number = _as_number(actual)
        return number is not None and number == expected
    return actual is not None and _fold(str(actual).strip()) == _fold(expected.strip())


def _show(value: Any) -> str:
    if isinstance(value, list | tuple | set | frozenset):
        return "[" + ", ".join(_show(item) for item in value) + "]"
    if isinstance(value, str):
        return _quote(value)
    return str(value).lower() if isinstance(value, bool) else str(value)


def _custom_test(name: str, field: str, op: str, value: Any) -> _Test:
    key = field[len("custom."):]
    choices: list[str | int | float | bool] = []
    part, bound, expected = "", 0.0, None
    if op == "is_set":
        _no_value(name, value)
    elif op == "in":
        choices = _list(name, value, _scalar(name))
    elif op == "contains":
        part = _string(name, value)
    elif op in ("gt", "lt"):
        bound = _number_value(name, value)
    else:
        expected = _scalar(name)(value)

    def custom(subject: _Subject) -> tuple[bool, str]:
        actual, note = subject.custom(key)
        if actual is None or actual == "" or actual == []:
            return False, f"{field} is not set{note}"
        shown = f"{field} {_show(actual)}{note}"
        if op == "is_set":
            return True, f"{field} is set{note} ({_show(actual)})"
        if op == "is":
            matched = _same(actual, expected)
            return matched, f"{shown} is {'' if matched else 'not '}{_show(expected)}"
        if op == "in":
            matched = any(_same(actual, choice) for choice in choices)
            return matched, f"{shown} is {'' if matched else 'not '}one of {', '.join(map(_show, choices))}"
        if op == "contains":
            if isinstance(actual, list | tuple | set | frozenset):
                matched = _same(actual, part)
            else:
                matched = _fold(part) in _fold(str(actual))
            return matched, f"{shown} {'contains' if matched else 'does not contain'} {_quote(part)}"
        number = _as_number(actual)
        if number is None:
            return False, f"{shown} is not a number"
        matched = number > bound if op == "gt" else number < bound
        relation = {("gt", True): "is greater than", ("gt", False): "is not greater than",
                    ("lt", True): "is less than", ("lt", False): "is not less than"}[op, matched]
        return matched, f"{shown} {relation} {_show(bound)}"

    return custom


class Condition(BaseModel):
    """One test of a rule: `field` `op` `value`, inverted by `negate`. See `FIELD_OPS`."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    field: str = Field(min_length=1, max_length=100)
    op: str = Field(min_length=1, max_length=40)
    value: Any = None
    negate: bool = False

    _test: _Test = PrivateAttr()

    @model_validator(mode="after")
    def _compiled(self) -> Condition:
        self._test = _compile(self.field, self.op, self.value)
        return self

    def _check(self, subject: _Subject) -> tuple[bool, str]:
        matched, reason = self._test(subject)
        if matched is None:
            return False, reason
        if self.negate:
            return not matched, f"negated: {reason}"
        return matched, reason


# --- actions ------------------------------------------------------------------------------

def _field_key(key: str) -> str:
    if not _KEY_RE.fullmatch(key):
        raise ValueError(f"a field key is 1–64 letters, digits, '_', '.' or '-' (not starting with '.' or '-'); got {key!r}")
    return key


def _unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


_Id = Annotated[int, Field(gt=0)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=50)]
def _field_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int) or (isinstance(value, float) and math.isfinite(value)):
        return value
    if isinstance(value, str) and len(value) <= 1000:
        return value
    raise ValueError("a field value is a string of up to 1000 characters, a number, true, false or null")


FieldValue = Annotated[Any, AfterValidator(_field_value)]


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class SetTeam(_Action):
    type: Literal["set_team"]
    value: _Id


class SetCategory(_Action):
    type: Literal["set_category"]
    value: _Id


class SetPriority(_Action):
    type: Literal["set_priority"]
    value: Priority


class AddTags(_Action):
    type: Literal["add_tags"]
    value: Annotated[list[Tag], Field(min_length=1, max_length=20), AfterValidator(_unique)]


class SetSlaPolicy(_Action):
    type: Literal["set_sla_policy"]
    value: _Id


class AssignAgent(_Action):
    type: Literal["assign_agent"]
    value: _Id


class AutoReply(_Action):
    """`{{queue.position}}` and `{{queue.wait}}` stay as they are: they are rendered when the
    reply is sent."""

    type: Literal["auto_reply"]
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class SetField(_Action):
    type: Literal["set_field"]
    key: Annotated[str, AfterValidator(_field_key)]
    value: FieldValue


Action = Annotated[
    SetTeam | SetCategory | SetPriority | AddTags | SetSlaPolicy | AssignAgent | AutoReply | SetField,
    Field(discriminator="type"),
]

# Actions a rule may have any number of; every other kind sets one value, so a rule has it once.
_REPEATABLE = {"add_tags", "auto_reply"}


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    enabled: bool = True
    match: Literal["all", "any"] = "all"
    conditions: list[Condition] = Field(default_factory=list, max_length=20)
    actions: list[Action] = Field(min_length=1, max_length=20)
    stop: bool = False

    @field_validator("actions")
    @classmethod
    def _each_setting_once(cls, actions: list[Action]) -> list[Action]:
        seen: dict[str, int] = {}
        for index, action in enumerate(actions):
            if action.type in _REPEATABLE:
                continue
            setting = f"set_field {action.key!r}" if isinstance(action, SetField) else action.type
            if setting in seen:
                raise PydanticCustomError(
                    "duplicate_action",
                    "actions {first} and {second} both do {setting}; a rule does it once",
                    {"first": seen[setting], "second": index, "setting": setting},
                )
            seen[setting] = index
        return actions


# --- evaluation ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class RoutingInput:
    """The request a conversation is created from. `text` is the customer's first message (for a
    form, the submitted text); `contact` holds name, email, phone and custom attributes;
    `custom` the conversation's custom fields; `language` is detected from `text` when None."""

    channel: str
    in_business_hours: bool
    text: str = ""
    inbox_id: int | None = None
    contact: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    page_url: str | None = None
    language: str | None = None
    custom: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    priority: str = "normal"

    def __post_init__(self) -> None:
        if self.channel not in CHANNELS:
            raise ValueError(f"channel is one of {', '.join(CHANNELS)}; got {self.channel!r}")
        if self.priority not in PRIORITIES:
            raise ValueError(f"priority is one of {', '.join(PRIORITIES)}; got {self.priority!r}")


@dataclasses.dataclass(slots=True)
class Effect:
    """What the matching rules do, merged: None (or empty) where no rule said anything. `set_by`
    names the rule that set each single-valued setting ("team_id", "priority", "fields.<key>" ...)."""

    team_id: int | None = None
    category_id: int | None = None
    priority: Priority | None = None
    tags: list[str] = dataclasses.field(default_factory=list)
    sla_policy_id: int | None = None
    assignee_id: int | None = None
    auto_replies: list[str] = dataclasses.field(default_factory=list)
    fields: dict[str, Any] = dataclasses.field(default_factory=dict)
    set_by: dict[str, int] = dataclasses.field(default_factory=dict)

    def _apply(self, rule_id: int, action: Action) -> None:
        if isinstance(action, AddTags):
            self.tags.extend(tag for tag in action.value if tag not in self.tags)
        elif isinstance(action, AutoReply):
            self.auto_replies.append(action.value)
        elif isinstance(action, SetField):
            self.fields[action.key] = action.value
            self.set_by[f"fields.{action.key}"] = rule_id
        else:
            setting = _SETTINGS[action.type]
            setattr(self, setting, action.value)
            self.set_by[setting] = rule_id


_SETTINGS = {
    "set_team": "team_id", "set_category": "category_id", "set_priority": "priority",
    "set_sla_policy": "sla_policy_id", "assign_agent": "assignee_id",
}


@dataclasses.dataclass(frozen=True, slots=True)
class ConditionTrace:
    index: int
    field: str
    op: str
    matched: bool
    reason: str


RuleStatus = Literal["matched", "not_matched", "disabled", "not_reached"]


@dataclasses.dataclass(frozen=True, slots=True)
class RuleTrace:
    rule_id: int
    name: str
    matched: bool
    status: RuleStatus
    reason: str
    conditions: tuple[ConditionTrace, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    trace: list[RuleTrace]
    effect: Effect

    @property
    def matched_rule_ids(self) -> list[int]:
        return [rule.rule_id for rule in self.trace if rule.matched]


def evaluate(rules: Sequence[tuple[int, Rule]], request: RoutingInput) -> Outcome:
    """Run `(rule id, rule)` pairs in order against a request: see the module docstring for how
    matching rules combine. Every condition of an evaluated rule is checked, so the trace can
    say why each one did or did not match."""
    effect = Effect()
    subject = _Subject(request, effect)
    trace: list[RuleTrace] = []
    stopped_by: int | None = None
    for rule_id, rule in rules:
        if stopped_by is not None:
            trace.append(RuleTrace(rule_id, rule.name, False, "not_reached", f"not reached: stopped by rule {stopped_by}"))
            continue
        if not rule.enabled:
            trace.append(RuleTrace(rule_id, rule.name, False, "disabled", "skipped: disabled"))
            continue
        checks = tuple(
            ConditionTrace(index, condition.field, condition.op, *condition._check(subject))
            for index, condition in enumerate(rule.conditions)
        )
        passed = sum(check.matched for check in checks)
        if not checks:
            matched, summary = True, "no conditions"
        else:
            matched = passed == len(checks) if rule.match == "all" else passed > 0
            summary = f"{passed} of {len(checks)} conditions ({rule.match})"
        reason = f"{'matched' if matched else 'not matched'}: {summary}"
        if matched:
            for action in rule.actions:
                effect._apply(rule_id, action)
            if rule.stop:
                stopped_by = rule_id
                reason += "; stops evaluation"
        trace.append(RuleTrace(rule_id, rule.name, matched, "matched" if matched else "not_matched", reason, checks))
    return Outcome(trace, effect)
