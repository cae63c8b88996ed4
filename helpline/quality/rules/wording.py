"""Faults of wording: clichés, repeats, curt orders, emoji about money, the wrong language,
bursts of empty messages and bare links."""

from __future__ import annotations

import re

from helpline.quality.analysis import Dialogue, Message
from helpline.quality.config import Fault
from helpline.quality.conversation import Role
from helpline.quality.findings import Finding, quote
from helpline.quality.rules.timing import STAFF
from helpline.quality.text import LATIN, NUM, URL, WORD, Sentence, Token


def _agents(dialogue: Dialogue) -> list[Message]:
    return [m for m in dialogue.messages if m.role is Role.agent]


def template_phrase(dialogue: Dialogue) -> Finding | None:
    """An agent message contains a stock phrase, in any inflection, case or punctuation."""
    for message in _agents(dialogue):
        for match in message.stock_phrases:
            tokens = message.tokens[match.start: match.end]
            said = message.text[tokens[0].start: tokens[-1].end]
            return Finding(Fault.template_phrase, message.index, f"stock phrase {quote(said)}")
    return None


def _sameness_key(message: Message) -> tuple[str, ...]:
    """The words of a message without case, punctuation and names (a known name, a Russian
    name by the dictionary, or a capitalised Latin word inside a sentence: "Sorry, Mike.")."""
    key = []
    for token in message.tokens:
        if token.kind not in (WORD, NUM, URL) or message.is_name(token):
            continue
        sentence = message.sentences[token.sentence]
        inside = sentence.tokens and sentence.tokens[0] is not token
        if inside and token.word.script == LATIN and token.text[:1].isupper() and token.low != "i":
            continue
        key.append(token.low)
    return tuple(key)


def repeated_message(dialogue: Dialogue) -> Finding | None:
    """Two agent messages are the same text, or differ only in punctuation, case or a name."""
    minimum = dialogue.lexicon.config.repeated_min_words
    seen: dict[tuple[str, ...], Message] = {}
    for message in _agents(dialogue):
        key = _sameness_key(message)
        if len(key) < minimum:
            continue
        if key in seen:
            return Finding(Fault.repeated_message, message.index,
                           f"repeats message {seen[key].index} {quote(message.text, 50)}")
        seen[key] = message
    return None


_QUOTED_RE = re.compile(r"«[^»]*»|\"[^\"]*\"|“[^”]*”|(?<!\w)'[^']*'(?!\w)")
_SUBJECT_RU = frozenset({"вы", "ты"})
_FINITE_EN = frozenset("is are was were has have will would can could does costs takes starts ships works".split())
_EN_OPENERS = frozenset("ok okay so then just simply now first also and well right hi hello hey yes no".split())


def _in_quotes(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _QUOTED_RE.finditer(text)]


def _command(message: Message, sentence: Sentence, skip: set[int]) -> Token | None:
    """The first bare order in the sentence: an imperative (Russian) or a sentence opening with
    a base-form command verb (English), unless softened."""
    lexicon = message.lexicon
    if sentence.question or message.found("softeners", sentence):
        return None  # «Расскажите, что случилось?» asks, it does not order
    quoted = _in_quotes(message.text)
    words = [t for t in sentence.words if t.position not in skip and not any(a <= t.start < b for a, b in quoted)]
    previous: Token | None = None
    for token in words:
        word = token.word
        if word.imperative and not word.lemmas & lexicon.courtesy_imperatives:
            if word.imperative == 2:
                return token
            # «посмотрите» may also be «вы посмотрите»: an order only when it opens a clause.
            opens_clause = previous is None or any(c in message.text[previous.end: token.start] for c in ",:;—–-")
            if opens_clause and not (previous is not None and previous.low in _SUBJECT_RU):
                return token
        previous = token
    english = [t for t in words if t.word.script == LATIN or t.kind == NUM]
    if not english or english[0] is not words[0]:
        return None
    for position, token in enumerate(words):
        if token.low in _EN_OPENERS or message.is_name(token) or message.text[token.end: token.end + 1] == ",":
            continue  # "Hi Anna, go to ...", "Ok, ..."
        following = words[position + 1].low if position + 1 < len(words) else ""
        if token.low == "do" and following == "not" and position + 2 < len(words):
            target = words[position + 2]
            return target if target.low in lexicon.command_verbs_en else None
        if token.low in lexicon.command_verbs_en and following != "you":  # "See you on Friday!"
            # "Return shipping is free": the verb-looking word is part of a subject.
            if any(w.low in _FINITE_EN for w in words[position + 1: position + 3]):
                return None
            return token
        return None
    return None


def _pointer_before_link(message: Message, sentence: Sentence, token: Token) -> bool:
    """«Смотрите тут: https://...» points at a link; that is `link_without_explanation`'s business."""
    return bool(message.urls) and any(m.start <= token.position < m.end for m in message.found("pointer", sentence))


def rude_tone(dialogue: Dialogue) -> Finding | None:
    """An agent message gives bare orders with no softening, or blames, mocks or insults."""
    for message in _agents(dialogue):
        stock = {i for m in message.stock_phrases for i in range(m.start, m.end)}
        for sentence in message.sentences:
            blame = message.found("blame", sentence)
            if blame:
                tokens = message.tokens[blame[0].start: blame[0].end]
                said = message.text[tokens[0].start: tokens[-1].end]
                return Finding(Fault.rude_tone, message.index, f"blames or mocks the customer: {quote(said)}")
            order = _command(message, sentence, stock)
            if order is not None and not _pointer_before_link(message, sentence, order):
                return Finding(Fault.rude_tone, message.index, f"bare command {quote(sentence.text)} with no softening")
    return None


_AMOUNT_RE = re.compile(r"\d[\d\s.,]*\s?(?:₽|руб|\$|€|usd|eur|rub\b|rubles?|dollars?|euros?)|[$€₽]\s?\d")


def _money_mentions(message: Message) -> int:
    return len(message.found("money")) + len(_AMOUNT_RE.findall(message.text.lower()))


def emoji_in_money_topic(dialogue: Dialogue) -> Finding | None:
    """The conversation is about money (two mentions of prices, payments, cards, loans ... or an
    amount, or one in the very message with the emoji) and an agent message has an emoji or
    emoticon."""
    with_emoji = [m for m in _agents(dialogue) if m.emojis]
    if not with_emoji:
        return None
    total = sum(_money_mentions(m) for m in dialogue.messages)
    for message in with_emoji:
        if total >= 2 or _money_mentions(message):
            return Finding(Fault.emoji_in_money_topic, message.index,
                           f"{' '.join(dict.fromkeys(message.emojis))} in a conversation about money")
    return None


_LANGUAGE_NAMES = {"ru": "Russian", "en": "English"}


def language_mismatch(dialogue: Dialogue) -> Finding | None:
    """An agent or bot message is in another language than the customer writes in (product
    names and links do not count)."""
    customer = dialogue.customer_language
    if customer is None:
        return None
    for message in dialogue.messages:
        if message.role in STAFF and message.language not in (None, customer):
            return Finding(Fault.language_mismatch, message.index,
                           f"answer in {_LANGUAGE_NAMES.get(message.language or '', message.language)} "
                           f"to a customer writing in {_LANGUAGE_NAMES.get(customer, customer)}")
    return None


def message_burst(dialogue: Dialogue) -> Finding | None:
    """The agent sends several messages in a row, at least two of them empty ("one moment")."""
    config = dialogue.lexicon.config
    run: list[Message] = []

    def judge() -> Finding | None:
        empty = [m for m in run if m.empty]
        if len(run) >= config.burst_min_messages and len(empty) >= config.burst_min_empty:
            said = ", ".join(quote(m.text, 25) for m in empty[:3])
            return Finding(Fault.message_burst, run[0].index, f"{len(run)} agent messages in a row, empty: {said}")
        return None

    for message in dialogue.messages:
        if message.role is Role.agent:
            run.append(message)
        elif message.role is not Role.system:
            found = judge()
            if found:
                return found
            run = []
    return judge()


_REFERS_TO_LINK_RE = re.compile(
    r"(?:\b(?:по|на|в|во|из)\s+(?:этой\s+|той\s+|данной\s+|нашей\s+)?"
    r"(?:ссылк|страниц|стать|инструкци|форм[еуы]\b|памятк))"
    r"|\bпо\s+ссылке\b|\bтам\s+(?:вы\s+)?(?:найд|описан|расписан|указан|есть|перечислен|собран|можно)"
    r"|\b(?:on|in|at|via)\s+(?:this|that|the)\s+(?:page|article|link|form|guide|map)\b"
    r"|\b(?:this|that|the)\s+(?:page|article|link|form|guide|map)\s+(?:is|shows|lists|has|explains|describes|covers|"
    r"contains|will|gives)\b|\byou(?:'ll|\s+will)\s+find\b|\bthere\s+you(?:'ll|\s+will|\s+can)\b"
)


def _bare_link(message: Message) -> bool:
    """Only a link, or a link with a pointer («вот», "see here") or a greeting."""
    if not message.urls:
        return False
    skip = {i for m in message.found("pointer") + message.found("greetings") + message.found("courtesies")
            for i in range(m.start, m.end)}
    return not message.content(message.tokens, skip)


def link_without_explanation(dialogue: Dialogue) -> Finding | None:
    """An agent message is a bare link, and no agent message says what is behind it."""
    agents = _agents(dialogue)
    for message in agents:
        if not _bare_link(message):
            continue
        before = dialogue.messages[message.index - 1] if message.index else None
        announced = before is not None and before.role is Role.agent and before.text.rstrip().endswith(":")
        explained = announced or any(
            other is not message and _REFERS_TO_LINK_RE.search(other.text.lower()) for other in agents
        )
        if not explained:
            return Finding(Fault.link_without_explanation, message.index,
                           f"bare link {quote(message.text, 50)}, nothing says what is there")
    return None
