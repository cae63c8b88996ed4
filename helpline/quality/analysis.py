"""A conversation read once for all the rules: tokens, sentences, what each sentence does.

Every agent or bot sentence gets a kind: small talk (greeting, thanks, introduction, "one
moment"), a question back, a request for information, a request for the phone or e-mail, or
information. The rules ask these questions instead of re-reading the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property, lru_cache

from helpline.quality.config import ReviewConfig
from helpline.quality.conversation import ConversationIn, Role
from helpline.quality.text import (
    NUM,
    URL,
    WORD,
    PhraseMatch,
    PhraseBook,
    Sentence,
    Token,
    emoji_in,
    language_of,
    script_counts,
    split_sentences,
    tokenise,
)

GREETINGS = [
    "здравствуйте", "здравствуй", "добрый день", "добрый вечер", "доброе утро", "доброй ночи", "привет",
    "приветствую", "hello", "hi", "hey", "good morning", "good afternoon", "good evening", "dear",
]
COURTESIES = [
    "спасибо", "благодарю", "благодарим", "рад помочь", "рада помочь", "хорошего дня", "хорошего вечера",
    "всего доброго", "всего хорошего", "приятного аппетита", "до свидания", "до встречи", "пожалуйста",
    "отлично", "хорошо", "понятно", "понял", "поняла", "ясно", "супер", "конечно", "ок", "окей", "ладно",
    "да", "нет", "ага", "угу", "ура",
    "thank", "thanks", "thank you", "you're welcome", "glad to help", "have a nice day", "have a good day",
    "bye", "goodbye", "great", "perfect", "got it", "fine", "noted", "ok", "okay", "sure", "yes", "no",
    "of course", "cool",
]
INTRODUCTIONS = ["меня зовут", "my name is", "это бот", "я бот", "я виртуальный помощник", "i'm the virtual assistant",
                 "i am the virtual assistant", "я ваш", "я виртуальный", "virtual assistant"]
# «Хочу уточнить про ...», "I'd like to know": a question without a question mark.
IMPLICIT_QUESTIONS = [
    "хочу узнать", "хочу уточнить", "хотелось бы узнать", "хотелось бы уточнить", "хотел бы узнать",
    "интересует", "подскажите", "скажите", "не подскажете", "объясните", "расскажите",
    "i'd like to know", "i would like to know", "i wonder", "i was wondering", "please tell me", "tell me",
    "let me know", "i need to know",
]
# The customer says they are still there and waiting (a bare «Алло?» is a question anyway).
WAITING = [
    "алло", "ау", "есть кто", "вы тут", "вы здесь", "вы еще тут", "вы еще здесь", "ответьте", "жду ответа",
    "все еще жду", "до сих пор жду", "still waiting", "waiting for an answer", "waiting for your answer",
    "anyone there", "are you there", "are you still there",
]
ASK_VERBS_RU = frozenset(
    "назвать указать уточнить подсказать сообщить прислать написать оставить продиктовать предоставить "
    "отправить дать скинуть выслать ввести заполнить".split()
)
ASK_VERBS_EN = frozenset("share provide send confirm tell give leav enter write type".split())  # stems
# Searched in lowercased text (case-insensitive matching of Cyrillic is slow in `re`).
CONTACT_RE = re.compile(
    r"телефон|e-?mail|емейл|имейл|почт[аеуы]|мейл|whats ?app|ватсап|вотсап|phone|номер для связи|"
    r"контактн\w* номер|мобильн\w* номер|contact number|email address"
)
# «Оставьте номер, мы перезвоним»: a bare «номер» is a phone number when someone will call.
_NUMBER_RE = re.compile(r"\b(?:номер|number)\b")
_CALL_RE = re.compile(r"перезвон|позвон|свяж|звонок|смс|sms|\bcall|reach you|text you|whatsapp")


def asks_contact(text: str) -> bool:
    """Mentions the phone or e-mail (or a number to be called on)."""
    low = text.lower()
    return bool(CONTACT_RE.search(low) or (_NUMBER_RE.search(low) and _CALL_RE.search(low)))


_DIGIT_RE = re.compile(r"\d")


class Kind(Enum):
    social = "social"  # greeting, thanks, introduction, a bare "yes"
    filler = "filler"  # "one moment", "checking"
    question = "question"  # asks the customer something
    ask = "ask"  # tells the customer to give some information
    contact = "contact"  # asks for the phone or e-mail
    info = "info"  # says something about the matter


class Lexicon:
    """The phrase lists of a configuration, compiled once into one `PhraseBook`."""

    def __init__(self, config: ReviewConfig) -> None:
        self.config = config
        self.book = PhraseBook({
            "stock": config.stock_phrases,
            "filler": config.filler_phrases,
            "pointer": config.pointer_phrases,
            "softeners": config.softeners,
            "blame": config.blame_phrases,
            "human": config.human_words,
            "handoff": config.handoff_phrases,
            "money": config.money_words,
            "emotion": config.emotion_words,
            "intensifiers": config.intensifiers,
            "empathy": config.empathy_phrases,
            "greetings": GREETINGS,
            "courtesies": COURTESIES,
            "introductions": INTRODUCTIONS,
            "implicit_questions": IMPLICIT_QUESTIONS,
            "waiting": WAITING,
        })
        self.courtesy_imperatives = frozenset(config.courtesy_imperatives)
        self.command_verbs_en = frozenset(v.lower() for v in config.command_verbs_en)


def _covered(matches: list[PhraseMatch]) -> set[int]:
    return {i for m in matches for i in range(m.start, m.end)}


@dataclass
class Message:
    index: int
    t: float
    role: Role
    name: str | None
    text: str
    tokens: list[Token]
    sentences: list[Sentence]
    lexicon: Lexicon
    names: frozenset[str] = field(default_factory=frozenset)
    memo: dict = field(default_factory=dict)  # what rules derive from the message, computed once

    @cached_property
    def urls(self) -> list[str]:
        return [t.text for t in self.tokens if t.kind == URL]

    @cached_property
    def emojis(self) -> list[str]:
        return emoji_in(self.text)

    @cached_property
    def language(self) -> str | None:
        return language_of(*script_counts(self.tokens))

    @cached_property
    def phrases(self) -> dict[str, list[PhraseMatch]]:
        return self.lexicon.book.find(self.tokens)

    def found(self, name: str, sentence: Sentence | None = None) -> list[PhraseMatch]:
        """Matches of the phrase list `name` (see `Lexicon`), in the message or one sentence."""
        matches = self.phrases.get(name, [])
        if sentence is None or not matches:
            return matches
        return [m for m in matches if self.tokens[m.start].sentence == sentence.index]

    @property
    def stock_phrases(self) -> list[PhraseMatch]:
        return self.found("stock")

    def is_name(self, token: Token) -> bool:
        return token.word.name or token.low in self.names or bool(token.word.lemmas & self.names)

    def content(self, tokens: list[Token], skip: set[int] | None = None) -> list[Token]:
        """Words that carry meaning: not function words, names, or positions in `skip`."""
        return [
            t for t in tokens
            if t.kind in (WORD, NUM) and not t.word.stop and not self.is_name(t)
            and (skip is None or t.position not in skip) and len(t.low) > 1
        ]

    @cached_property
    def _social_positions(self) -> set[int]:
        found = self.found("greetings") + self.found("courtesies") + self.found("introductions")
        return _covered(found) | _covered(self.stock_phrases)

    @cached_property
    def _small_talk_positions(self) -> set[int]:
        return self._social_positions | self._filler_positions

    @cached_property
    def _filler_positions(self) -> set[int]:
        return _covered(self.found("filler"))

    @cached_property
    def kinds(self) -> list[Kind]:
        return [self._kind(s) for s in self.sentences]

    def _kind(self, sentence: Sentence) -> Kind:
        if not sentence.tokens:
            return Kind.social
        words = sentence.tokens
        if (sentence.question or self._asks(words)) and asks_contact(sentence.text):
            return Kind.contact
        if sentence.question:
            return Kind.question
        if self._asks(words):
            return Kind.ask
        if any(t.kind == URL for t in words):
            return Kind.info
        if self.found("introductions", sentence):
            return Kind.social
        residual = self.content(words, self._small_talk_positions)
        has_number = any(t.kind == NUM for t in words)
        if any(t.position in self._filler_positions for t in words) and len(residual) <= 1 and not has_number:
            return Kind.filler
        if len(residual) >= 2 or (has_number and residual):
            return Kind.info
        return Kind.social

    def _asks(self, words: list[Token]) -> bool:
        """Tells the customer to give information: «назовите кодовое слово», "could you share"."""
        for i, token in enumerate(words):
            if token.word.imperative and token.word.lemmas & ASK_VERBS_RU:
                return True
            if token.word.script == "lat" and token.word.lemma in ASK_VERBS_EN:
                before = {w.low for w in words[max(0, i - 3): i]}
                if before & {"could", "can", "would", "please", "kindly"} or i == 0:
                    return True
            if token.low == "let" and [w.low for w in words[i + 1: i + 3]] == ["me", "know"]:
                return True  # "Let me know your e-mail", not "Let me check"
        return False

    @cached_property
    def informative(self) -> bool:
        """Says something about the matter (a link counts: it is an attempt to answer)."""
        return any(k is Kind.info for k in self.kinds)

    @cached_property
    def empty(self) -> bool:
        """Only asks to wait or says the agent is looking ("one moment", «проверяю»), maybe
        with a greeting: no information at all."""
        if self.urls or _DIGIT_RE.search(self.text):
            return False
        kinds = self.kinds
        return Kind.filler in kinds and all(k in (Kind.social, Kind.filler) for k in kinds)


@lru_cache(maxsize=65_536)
def _name_keys(name: str) -> frozenset[str]:
    """The words of a participant's name and their lemmas (Сергей → сергей; «Сергею» meets it)."""
    return frozenset(key for token in tokenise(name) for key in (token.low, *token.word.lemmas))


@dataclass
class Dialogue:
    """A conversation annotated for review."""

    id: str | int
    messages: list[Message]
    lexicon: Lexicon

    @classmethod
    def read(cls, conversation: ConversationIn, lexicon: Lexicon) -> Dialogue:
        frozen = frozenset().union(*(_name_keys(m.name) for m in conversation.messages if m.name))
        messages = []
        for index, message in enumerate(conversation.messages):
            tokens = tokenise(message.text)
            sentences = split_sentences(message.text, tokens)
            messages.append(
                Message(index, message.t, message.role, message.name, message.text, tokens, sentences, lexicon, frozen)
            )
        return cls(conversation.id, messages, lexicon)

    @cached_property
    def customer_language(self) -> str | None:
        cyrillic = latin = 0
        for message in self.messages:
            if message.role is Role.customer:
                c, lat = script_counts(message.tokens)
                cyrillic += c
                latin += lat
        return language_of(cyrillic, latin) or ("ru" if cyrillic > latin else "en" if latin > cyrillic else None)

    def next_of(self, index: int, *roles: Role) -> Message | None:
        for message in self.messages[index + 1:]:
            if message.role in roles:
                return message
        return None

    def turn_end(self, index: int) -> int:
        """Index of the last message of the customer turn that `index` belongs to."""
        end = index
        for message in self.messages[index + 1:]:
            if message.role is Role.customer:
                end = message.index
            elif message.role is not Role.system:
                break
        return end
