"""Faults of the exchange: questions left unanswered, a customer left waiting at the end, the
phone asked for before anything useful was said.

Whether a question was addressed is decided without a language model: the question's content
words (lemmatised, function words and question words left out) and its topics (see
`concepts.py`) are compared with the content words, topics and answer shapes (an amount, a time,
an address) of every later agent or bot message. A turn with a single question that the agent
answers with something substantive before the customer asks anything else is taken as
answered even without shared words ("А завтра опять заблокируют?" — "Чтобы этого не было,
включите режим «Поездка»"): that is how people answer. A turn with several questions needs
evidence for each, because that is where one of them gets lost.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpline.quality.analysis import Dialogue, Kind, Message
from helpline.quality.concepts import answer_shapes, topics_of
from helpline.quality.config import Fault
from helpline.quality.conversation import Role
from helpline.quality.findings import Finding, quote
from helpline.quality.rules.timing import STAFF, asks_for_person
from helpline.quality.text import Sentence, Token

_QUESTION_WORDS = frozenset(
    "как где когда сколько почему зачем какой каков куда откуда чей кто можно ли разве неужели "
    "how what where when why which who whose can could would will do does did is are was were should shall "
    "may have has am any".split()
)
_LEADING = frozenset(
    "а и но так ну ой кстати ладно хорошо ок окей тогда здравствуйте привет "
    "and but so also oh ok okay then well hi hello hey".split()
)
# Verbs that only frame a question («хочу уточнить», "I'd like to know").
_GENERIC = frozenset(
    "делать сделать быть мочь хотеть узнать уточнить подсказать сказать интересовать знать вопрос ответ "
    "получиться понять работать можно нужно "
    "do get need want know like tell wonder question answer ask mean happen work".split()
)
# A question that opens with these adds a new question rather than refining the one before.
_ADDING = frozenset("и еще также ещё кроме and also plus besides".split())
_NOT_CONTENT = _QUESTION_WORDS | _GENERIC
_EN_AUXILIARIES = frozenset("do does did is are was were can could will would should shall may have has am".split())


@dataclass(frozen=True, slots=True)
class Question:
    message: Message
    sentence: Sentence
    words: tuple[frozenset[str], ...]  # the keys of each content word
    topics: frozenset[str]
    rhetorical: bool  # «Вы издеваетесь?!»
    for_person: bool = False  # asks for a human: the bot rules judge that

    @property
    def keys(self) -> frozenset[str]:
        return frozenset().union(*self.words, self.topics)

    def distinct_keys(self, others: list[Question]) -> frozenset[str]:
        """The keys that set this question apart from the others asked with it: in «Do you
        deliver to Almaty? And can I pay cash on delivery?» the second asks about paying."""
        if not others:
            return self.keys
        taken = frozenset().union(*(o.keys for o in others))
        own = [w for w in self.words if not w & taken]
        distinct = frozenset().union(*own, self.topics - taken)
        return distinct or self.keys


def word_keys(token: Token) -> frozenset[str]:
    """A word's lemmas, and for longer words their first five letters, so that derived words
    meet (запись ~ записываться, выгрузка ~ выгрузить, deliver ~ delivery)."""
    base = token.word.lemma if token.word.script == "cyr" else token.low
    if len(base) >= 6:
        return token.word.lemmas | {"~" + base[:5]}
    return token.word.lemmas


def _opens_as_question(message: Message, sentence: Sentence) -> bool:
    """Starts with a question word (after «а», "so", a greeting or a name) and is no exclamation."""
    if sentence.text.rstrip().endswith("!"):
        return False
    words = sentence.words
    for position, token in enumerate(words):
        if token.low in _QUESTION_WORDS or token.word.lemmas & _QUESTION_WORDS:
            following = words[position + 1].low if position + 1 < len(words) else ""
            return following != "not"  # "Can't find the button" states, it does not ask
        if token.low in _LEADING or message.is_name(token):
            continue
        return False
    return False


def _requests(message: Message, sentence: Sentence) -> bool:
    """The customer asks for something to be done: «Верните деньги», "Please cancel it"."""
    lexicon = message.lexicon
    courtesy = lexicon.courtesy_imperatives
    words = sentence.words
    for position, token in enumerate(words):
        if token.word.imperative == 2 or (token.word.imperative == 1 and position == 0):
            if not token.word.lemmas & courtesy:
                return True
    english = [t.low for t in words if t.word.script == "lat"]
    if english and (english[0] in lexicon.command_verbs_en or english[0] == "please"):
        return any(w in lexicon.command_verbs_en for w in english[:3])
    return False


def questions_in(message: Message, requests: bool = False) -> list[Question]:
    """The questions of a customer message, explicit (a question mark, «есть ли», "how do I")
    or implicit («хочу уточнить про ...», "I'd like to know"); with `requests`, also what the
    customer asks to be done («Верните деньги»).

    A verbless one-word follow-up («А как оплатить? Через СБП можно?») belongs to the question
    before it."""
    key = ("questions", requests)
    if key not in message.memo:
        message.memo[key] = _questions_in(message, requests)
    return message.memo[key]


def _fragment(words: list[Token], content: list[Token]) -> bool:
    """«Через СБП можно?», "By card?": a verbless follow-up with one content word refines the
    question before it; «И сколько по времени рассматривают?» or "Will I get a refund?" asks a new one."""
    if len({t.word.lemma for t in content}) > 1 or words[0].low in _ADDING or words[0].low in _EN_AUXILIARIES:
        return False
    return not any(t.word.pos in ("VERB", "INFN") for t in words)


def _questions_in(message: Message, requests: bool) -> list[Question]:
    found: list[Question] = []
    implicit = message.found("implicit_questions")
    implicit_sentences = {message.tokens[m.start].sentence for m in implicit}
    follows_question = False
    for number, sentence in enumerate(message.sentences):
        words = sentence.words
        if not words:
            continue
        asked = (
            sentence.question
            or number in implicit_sentences
            or any(t.low == "ли" for t in words)
            or _opens_as_question(message, sentence)
        )
        if not asked and not (requests and _requests(message, sentence)):
            follows_question = False
            continue
        content = [t for t in message.content(words) if not (t.word.lemmas | {t.low}) & _NOT_CONTENT]
        keys = tuple(word_keys(t) for t in content)
        topics = frozenset(topics_of(words))
        tail = sentence.text.rstrip()[-3:]
        rhetorical = "?!" in tail or "!?" in tail
        if follows_question and found and _fragment(words, content):
            previous = found[-1]
            found[-1] = Question(message, previous.sentence, previous.words + keys, previous.topics | topics,
                                 previous.rhetorical)
        else:
            found.append(Question(message, sentence, keys, topics, rhetorical))
        follows_question = asked
    if found and asks_for_person(message):
        found = [Question(q.message, q.sentence, q.words, q.topics, q.rhetorical, _mentions_person(message, q.sentence))
                 for q in found]
    return found


def _mentions_person(message: Message, sentence: Sentence) -> bool:
    return bool(message.found("human", sentence))


def _answer_keys(message: Message) -> frozenset[str]:
    if "answer_keys" not in message.memo:
        content: list[Token] = message.content(message.tokens)
        keys = {key for t in content for key in word_keys(t)}
        keys |= topics_of(content)
        keys |= answer_shapes(message.text)
        message.memo["answer_keys"] = frozenset(keys)
    return message.memo["answer_keys"]


def _substantive(message: Message) -> bool:
    return message.informative or bool(message.urls)


def unanswered_question(dialogue: Dialogue) -> Finding | None:
    """A customer question that no later agent or bot message addresses, although they went on
    to answer other things."""
    messages = dialogue.messages
    index = 0
    while index < len(messages):
        message = messages[index]
        if message.role is not Role.customer:
            index += 1
            continue
        end = dialogue.turn_end(index)
        turn = [m for m in messages[index: end + 1] if m.role is Role.customer]
        index = end + 1
        questions = [q for m in turn for q in questions_in(m, requests=True) if not q.rhetorical and not q.for_person]
        if not questions:
            continue
        later = [m for m in messages[end + 1:] if m.role in STAFF]
        if not any(_substantive(m) for m in later):
            continue  # nothing was answered after it: that is abandonment, not this
        next_question = next(
            (m.index for m in messages[end + 1:] if m.role is Role.customer and questions_in(m)), len(messages)
        )
        responded = any(_substantive(m) for m in later if m.index < next_question)
        for question in questions:
            keys = question.distinct_keys([q for q in questions if q is not question])
            if not keys:
                continue  # "What can you do?" — any substantive answer addresses it
            if any(keys & _answer_keys(m) for m in later):
                continue
            if len(questions) == 1 and responded:
                continue
            return Finding(Fault.unanswered_question, question.message.index,
                           f"{quote(question.sentence.text)} is never addressed")
    return None


def expects_answer(message: Message) -> bool:
    """The customer asked something, asked for something, or said they are waiting."""
    return bool(
        questions_in(message) or message.found("waiting") or any(_requests(message, s) for s in message.sentences)
    )


def agent_abandoned(dialogue: Dialogue) -> Finding | None:
    """The conversation ends with customer messages nobody answered, the last of which asked
    something or expected an answer."""
    last_staff = max((m.index for m in dialogue.messages if m.role in STAFF), default=-1)
    trailing = [m for m in dialogue.messages[last_staff + 1:] if m.role is Role.customer]
    if not trailing:
        return None
    last = trailing[-1]
    if expects_answer(last):
        return Finding(Fault.agent_abandoned, last.index, f"{quote(last.text)} got no answer")
    return None


def premature_contact_request(dialogue: Dialogue) -> Finding | None:
    """The agent asks for the phone or e-mail before any agent message said anything useful."""
    for message in dialogue.messages:
        if message.role is not Role.agent:
            continue
        for sentence, kind in zip(message.sentences, message.kinds, strict=True):
            if kind is Kind.info:
                return None
            if kind is Kind.contact:
                return Finding(Fault.premature_contact_request, message.index,
                               f"{quote(sentence.text)} before any useful information")
    return None
