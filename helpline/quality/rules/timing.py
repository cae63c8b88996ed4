"""Faults of time: a slow first answer, a slow later answer, a bot that will not let go."""

from __future__ import annotations

from helpline.quality.analysis import Dialogue, Message
from helpline.quality.config import Fault
from helpline.quality.conversation import Role
from helpline.quality.findings import Finding, quote, seconds
from helpline.quality.text import NUM

STAFF = (Role.agent, Role.bot)


def _first_customer(dialogue: Dialogue) -> Message | None:
    return next((m for m in dialogue.messages if m.role is Role.customer), None)


def slow_first_response(dialogue: Dialogue) -> Finding | None:
    """The first agent or bot message comes later than the limit after the customer's first
    message, or never comes."""
    limit = dialogue.lexicon.config.first_response_seconds
    first = _first_customer(dialogue)
    if first is None:
        return None
    reply = dialogue.next_of(first.index, *STAFF)
    if reply is None:
        return Finding(Fault.slow_first_response, first.index, "nobody ever answered the customer")
    wait = reply.t - first.t
    if wait > limit:
        return Finding(Fault.slow_first_response, reply.index,
                       f"first answer after {seconds(wait)} (limit {seconds(limit)})")
    return None


def slow_reply(dialogue: Dialogue) -> Finding | None:
    """After the first answer, a customer message waits longer than the limit for the next agent
    or bot message (waits that never end are `agent_abandoned`, not this)."""
    limit = dialogue.lexicon.config.reply_seconds
    first = _first_customer(dialogue)
    if first is None:
        return None
    first_reply = dialogue.next_of(first.index, *STAFF)
    if first_reply is None:
        return None
    waiting: Message | None = None
    worst: tuple[float, Message, Message] | None = None
    for message in dialogue.messages[first_reply.index + 1:]:
        if message.role is Role.customer:
            waiting = waiting or message
        elif message.role in STAFF and waiting is not None:
            wait = message.t - waiting.t
            if wait > limit and (worst is None or wait > worst[0]):
                worst = (wait, waiting, message)
            waiting = None
    if worst is None:
        return None
    wait, asked, answer = worst
    return Finding(Fault.slow_reply, asked.index, f"waited {seconds(wait)} for the answer in message {answer.index} "
                                                  f"(limit {seconds(limit)})")


# Words that, next to «оператор» or "human", make a sentence a request for a person.
_REQUEST_LEMMAS = frozenset(
    "дать соединить позвать переключить перевести нужный нужно хотеть можно поговорить связать пообщаться "
    "требовать пригласить вызвать "
    "talk speak connect transfer need want get put can could may real".split()
)


def asks_for_person(message: Message) -> bool:
    """«Дайте оператора», «оператор», "Can I talk to a human?" — but not «нас будет 3 человека»."""
    for match in message.found("human"):
        sentence = message.sentences[message.tokens[match.start].sentence]
        before = message.tokens[match.start - 1] if match.start else None
        if before is not None and (before.kind == NUM or before.word.pos == "NUMR"):
            continue  # a number of people
        words = sentence.words
        if len(words) <= 3:
            return True
        if any(t.word.lemmas & _REQUEST_LEMMAS or t.low in _REQUEST_LEMMAS for t in words):
            return True
    return False


# «Оператор подключится через минуту», "An agent will join shortly": a person named, coming.
_HANDOFF_VERBS = frozenset(
    "подключиться присоединиться ответить связаться перевести переводить соединить соединять передать передавать "
    "join connect transfer repli respond assist contact".split()
)


def hands_over(message: Message) -> bool:
    if message.found("handoff"):
        return True
    return bool(message.found("human")) and any(t.word.lemmas & _HANDOFF_VERBS for t in message.tokens)


def bot_no_handoff(dialogue: Dialogue) -> Finding | None:
    """The customer asks the bot for a person, and the bot answers again instead of handing over,
    or no person joins within the limit."""
    limit = dialogue.lexicon.config.handoff_seconds
    first_agent = next((m.index for m in dialogue.messages if m.role is Role.agent), len(dialogue.messages))
    if not any(m.role is Role.bot for m in dialogue.messages[:first_agent]):
        return None
    for message in dialogue.messages[:first_agent]:
        if message.role is not Role.customer or not asks_for_person(message):
            continue
        answer = dialogue.next_of(message.index, *STAFF)
        if answer is not None and answer.role is Role.bot and not hands_over(answer):
            return Finding(Fault.bot_no_handoff, answer.index, f"asked for a person in message {message.index} "
                                                                f"{quote(message.text, 40)}, the bot answered again")
        person = dialogue.next_of(message.index, Role.agent)
        if person is None:
            return Finding(Fault.bot_no_handoff, message.index,
                           f"asked for a person {quote(message.text, 40)}, nobody joined")
        wait = person.t - message.t
        if wait > limit:
            return Finding(Fault.bot_no_handoff, person.index,
                           f"a person joined {seconds(wait)} after the request in message {message.index} "
                           f"(limit {seconds(limit)})")
        return None
    return None
