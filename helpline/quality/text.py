"""Words, lemmas, sentences, scripts and emoji of Russian and English chat messages.

Russian words are analysed by pymorphy3 (OpenCorpora dictionaries shipped in the wheel): all
normal forms of a word, its part of speech, whether it can be an imperative, whether it is a
first name or surname. English words are reduced by the Snowball (Porter 2) stemmer. Both are
cached per word form, because chat vocabulary repeats and the reviewer must handle thousands
of conversations a second.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import re

import regex
import snowballstemmer

CYRILLIC = "cyr"
LATIN = "lat"
NUMBER = "num"

URL, EMAIL, WORD, NUM = "url", "email", "word", "num"

_TLDS = "ru|com|org|net|io|рф|info|biz|me|app|co|uk|de|kz|by|ua|su|eu|us|pro|online|shop|store|ly|gl"
# The standard `re` is faster than `regex` here; [^\W\d_] is "a letter" in Unicode.
_TOKEN_RE = re.compile(
    rf"""
    (?P<url>(?:https?://|www\.)[^\s<>«»"']*[^\s<>«»"'.,;:!?)\]]
      |(?<![\w@.])(?:[\w-]+\.)+(?:{_TLDS})(?:/[^\s<>«»"']*[^\s<>«»"'.,;:!?)\]])?(?![\w@]))
    |(?P<email>[\w.+-]+@[\w-]+(?:\.[\w-]+)+)
    |(?P<word>[^\W\d_]+(?:[-'][^\W\d_]+)*)
    |(?P<num>\d+(?:[.,:]\d+)*)
    """,
    re.VERBOSE,
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})

# A sentence ends at . ! ? … (and runs of them) followed by a space, or at a line break.
_SENTENCE_END_RE = re.compile(r"[.!?…]+(?=\s|$)|\n+")
_ABBREVIATIONS = frozenset(
    "ул д кв г гг т см стр тел руб р млн млрд тыс им пр просп пер корп стр эт обл рег мин сек "
    "dr mr mrs ms st no vs etc e.g i.e approx".split()
)

EMOJI_RE = regex.compile(r"\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F|[\u2639\u263A\u2764\u270C]")
# Every emoji lies in these blocks; checking for them first spares the slower `regex` search.
_MAYBE_EMOJI_RE = re.compile("[\u2190-\u2bff\u3000-\u303f\ufe0f\U0001F000-\U0001FAFF]")
_BRACKETS_RE = re.compile(r"[()]")
_EMOTICON_MOUTH_RE = re.compile(r"[:;=][-^']?[)(]")
_EMOTICON_RE = re.compile(r"(?<![\w/])[:;=][-^'o]?[)(DPpР3\]\[|*](?![\w/])|\^_\^|\bxD\b|:-?\|")

# Function words: never "content" of a question or an answer.
STOP_RU = frozenset(
    """я мы ты вы он она оно они себя мой наш твой ваш свой его её ее их этот тот такой какой который
    весь сам кто что где куда откуда когда как почему зачем сколько ли же бы не ни нет да и а но или
    то в во на с со к ко у о об обо от до по за из изо для при про через над под перед без около быть
    мочь можно нужно нужный надо хотеть делать сделать это так тут там здесь вот уже ещё еще только
    тоже также очень просто ну если чтобы потому поэтому тогда теперь сейчас спасибо пожалуйста
    здравствуйте здравствовать добрый привет приветик хорошо ладно ок окей подсказать сказать есть
    один два три раз какой-то что-то кто-то какой-нибудь что-нибудь кто-нибудь иметь давать
    вообще вроде всё все лишь даже ведь уж разве пусть бывать стать свой сам самый должный
    ваше вашего подскажите скажите""".split()
)
STOP_EN = frozenset(
    """i me my myself we our ours you your yours he him his she her it its they them their what which
    who whom whose this that these those am is are was were be been being have has had do does did
    doing a an the and but if or because as until while of at by for with about against between into
    through during before after above below to from up down in out on off over under again further
    then once here there when where why how all any both each few more most other some such no nor
    not only own same so than too very can will just should now could would may might must shall
    also please thanks thank hi hello hey ok okay yes yeah one get got need want like know tell let
    make go dear sure well still really much many s t don anything something someone else""".split()
)
DETERMINERS = frozenset("the a an any your our my ваш наш свой мой твой".split())


@dataclass(frozen=True, slots=True)
class Word:
    """What the reviewer needs to know about one word form (lowercased, ё written as е)."""

    lemmas: frozenset[str]
    lemma: str
    script: str
    pos: str = ""
    # 2: an imperative for sure (ожидайте); 1: an imperative or a 2nd-person future (посмотрите).
    imperative: int = 0
    first_person_verb: bool = False
    second_person_verb: bool = False
    name: bool = False
    stop: bool = False


_morph = None


def _analyzer():  # noqa: ANN202 - pymorphy3 has no type hints
    global _morph
    if _morph is None:
        import pymorphy3

        _morph = pymorphy3.MorphAnalyzer()
    return _morph


_stemmer = snowballstemmer.stemmer("english")


def _script(word: str) -> str:
    for char in word:
        if "а" <= char <= "я" or char == "ё":
            return CYRILLIC
        if "a" <= char <= "z":
            return LATIN
    return NUMBER if word[:1].isdigit() else LATIN


@lru_cache(maxsize=262_144)
def analyse(low: str) -> Word:
    """Analyse a lowercased word form; cached, since the same forms come again and again."""
    script = _script(low)
    if script == CYRILLIC:
        parses = _analyzer().parse(low)
        best = parses[0]
        lemmas = frozenset(p.normal_form.replace("ё", "е") for p in parses if p.score >= 0.05) or frozenset(
            [best.normal_form.replace("ё", "е")]
        )
        # Imperative readings by their probability: «ожидайте» surely is one, «посмотрите» may be
        # «вы посмотрите», «три» and «мой» almost never are. «Привезём» may be an inclusive
        # imperative ("let's bring"), which orders nobody: only the exclusive ones count.
        likelihood = sum(p.score for p in parses if p.tag.mood == "impr" and p.tag.involvement != "incl")
        imperative = 2 if likelihood >= 0.9 else 1 if likelihood >= 0.4 else 0
        verbs = [p.tag for p in parses if p.tag.POS == "VERB" and p.tag.mood == "indc"]
        lemma = best.normal_form.replace("ё", "е")
        return Word(
            lemmas=lemmas,
            lemma=lemma,
            script=script,
            pos=str(best.tag.POS or ""),
            imperative=imperative,
            first_person_verb=any(t.person == "1per" for t in verbs),
            second_person_verb=any(t.person == "2per" for t in verbs),
            name=any(g in best.tag for g in ("Name", "Surn", "Patr")),
            stop=lemma in STOP_RU or low in STOP_RU,
        )
    if script == NUMBER:
        return Word(lemmas=frozenset([low]), lemma=low, script=script)
    stem = _stemmer.stemWord(low)
    return Word(lemmas=frozenset([stem]), lemma=stem, script=script, stop=low in STOP_EN)


def normalise_word(word: str) -> str:
    return word.lower().replace("ё", "е").translate(_APOSTROPHES)


_CONTRACTIONS = {
    "n't": ("not",), "'re": ("are",), "'ll": ("will",), "'ve": ("have",), "'d": ("would",), "'m": ("am",),
}
_IRREGULAR_NEGATIONS = {"won't": ("will", "not"), "can't": ("can", "not"), "shan't": ("shall", "not"),
                        "ain't": ("is", "not"), "let's": ("let", "us")}
_IS_BEFORE = frozenset("it that there here what who he she where how this".split())


def _expand(low: str) -> tuple[str, ...]:
    """English contractions as separate words: don't → do not, it's → it is, Google's → google."""
    if "'" not in low:
        return (low,)
    if low in _IRREGULAR_NEGATIONS:
        return _IRREGULAR_NEGATIONS[low]
    for suffix, words in _CONTRACTIONS.items():
        if low.endswith(suffix) and len(low) > len(suffix):
            return (low[: -len(suffix)], *words)
    if low.endswith("'s"):
        head = low[:-2]
        return (head, "is") if head in _IS_BEFORE else (head,)
    return (low.replace("'", ""),)


@dataclass(slots=True)
class Token:
    text: str
    low: str
    kind: str
    start: int
    word: Word
    position: int = 0  # index in the message's token list
    sentence: int = 0

    @property
    def end(self) -> int:
        return self.start + len(self.text)


@dataclass(slots=True)
class Sentence:
    text: str
    start: int
    end: int
    index: int = 0
    tokens: list[Token] = field(default_factory=list)
    words: list[Token] = field(default_factory=list)  # the tokens that are words or numbers
    # Ends with a question mark (before any closing brackets, quotes or emoji).
    question: bool = False


def _tail(text: str) -> str:
    """The punctuation, brackets and emoji after the last letter or digit."""
    end = len(text)
    while end and not text[end - 1].isalnum():
        end -= 1
    return text[end:]


_URL_WORD = Word(lemmas=frozenset(), lemma="", script="", stop=True)


@lru_cache(maxsize=262_144)
def _word_forms(surface: str) -> tuple[tuple[str, Word], ...]:
    """The lowercased words of a surface form with their analyses ("don't" is two words)."""
    low = surface.lower().replace("ё", "е")
    return tuple((part, analyse(part)) for part in _expand(low))


def tokenise(text: str) -> list[Token]:
    if "’" in text or "‘" in text or "ʼ" in text or "`" in text:
        text = text.translate(_APOSTROPHES)
    tokens: list[Token] = []
    append = tokens.append
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup or WORD
        surface = match.group()
        start = match.start()
        if kind == WORD:
            for low, word in _word_forms(surface):
                append(Token(surface, low, WORD, start, word, len(tokens)))
        elif kind == NUM:
            append(Token(surface, surface, NUM, start, analyse(surface), len(tokens)))
        else:
            append(Token(surface, surface.lower(), kind, start, _URL_WORD, len(tokens)))
    return tokens


def split_sentences(text: str, tokens: Sequence[Token]) -> list[Sentence]:
    """Sentences with their tokens; abbreviations such as «ул.» or «Dr.» do not end one."""
    sentences: list[Sentence] = []
    start = 0
    for match in _SENTENCE_END_RE.finditer(text):
        if match.group()[0] == ".":
            before = text[start: match.start()].rsplit(None, 1)
            if before and before[-1].lower().strip("(«\"") in _ABBREVIATIONS:
                continue
        end = match.end()
        if text[start:end].strip():
            sentences.append(Sentence(text[start:end].strip(), start, end))
        start = end
    if text[start:].strip():
        sentences.append(Sentence(text[start:].strip(), start, len(text)))
    if not sentences:
        sentences.append(Sentence("", 0, len(text)))
    for number, sentence in enumerate(sentences):
        sentence.index = number
        sentence.question = "?" in _tail(sentence.text)
    index = 0
    for token in tokens:
        while index + 1 < len(sentences) and token.start >= sentences[index].end:
            index += 1
        token.sentence = index
        sentences[index].tokens.append(token)
        if token.kind == WORD or token.kind == NUM:
            sentences[index].words.append(token)
    return sentences


def emoji_in(text: str) -> list[str]:
    """Pictographic emoji and text emoticons (:) ;-) and the Russian «)» smiley)."""
    found = EMOJI_RE.findall(text) if _MAYBE_EMOJI_RE.search(text) else []
    found += _EMOTICON_RE.findall(text)
    if ")" in text:
        # «Спасибо)» or «отлично))»: a closing bracket that closes nothing is a smile.
        depth = 0
        for char in _BRACKETS_RE.findall(_EMOTICON_MOUTH_RE.sub("", text)):
            if char == "(":
                depth += 1
            elif depth:
                depth -= 1
            else:
                found.append(")")
    return found


def script_counts(tokens: Iterable[Token]) -> tuple[int, int]:
    """(Cyrillic words, English words); a capitalised Latin word that is not an English function
    word is taken for a product or proper name (Haval Jolion, Rixos Sharm) and not counted."""
    cyrillic = latin = 0
    for token in tokens:
        if token.kind != WORD:
            continue
        if token.word.script == CYRILLIC:
            cyrillic += 1
        elif token.word.script == LATIN and (token.text[:1].islower() or token.low in STOP_EN):
            latin += 1
    return cyrillic, latin


def language_of(cyrillic: int, latin: int) -> str | None:
    """"ru", "en" or None when a text has too few words to tell."""
    if cyrillic >= 2 and cyrillic >= 2 * latin:
        return "ru"
    if latin >= 2 and latin >= 2 * cyrillic:
        return "en"
    return None


@dataclass(frozen=True, slots=True)
class PhraseMatch:
    start: int  # index into the token list given to `find`
    end: int
    phrase: str


PhraseList = Iterable[str] | Mapping[str, float]


class PhraseBook:
    """Finds the phrases of several named lists in a token list, by lemma: in any inflection,
    case and punctuation, in one pass over the tokens.

    Articles and possessives (`DETERMINERS`) are ignored on both sides, so «спасибо за ваше
    обращение» matches «спасибо за обращение» and "sorry for any inconvenience" matches
    "sorry for the inconvenience". A phrase matches inside one sentence only.
    """

    def __init__(self, lists: Mapping[str, PhraseList]) -> None:
        self.weights: dict[str, dict[str, float]] = {
            name: dict(phrases) if isinstance(phrases, Mapping) else dict.fromkeys(phrases, 1.0)
            for name, phrases in lists.items()
        }
        self._by_first: dict[str, list[tuple[str, str, tuple[frozenset[str], ...]]]] = {}
        for name, phrases in self.weights.items():
            for phrase in phrases:
                keys = tuple(t.word.lemmas for t in _matchable(tokenise(phrase)))
                for lemma in keys[0] if keys else ():
                    self._by_first.setdefault(lemma, []).append((name, phrase, keys))

    def find(self, tokens: Sequence[Token]) -> dict[str, list[PhraseMatch]]:
        """Matches per list name in the tokens of one message (lists without a match are left
        out); inside one list, a match that lies within a longer one is dropped. Match bounds
        are token positions."""
        kept = _matchable(tokens)
        lemmas = [t.word.lemmas for t in kept]
        sentences = [t.sentence for t in kept]
        total = len(kept)
        found: dict[str, list[PhraseMatch]] = {}
        by_first = self._by_first
        for position, token in enumerate(kept):
            for lemma in lemmas[position]:
                candidates = by_first.get(lemma)
                if not candidates:
                    continue
                for name, phrase, keys in candidates:
                    length = len(keys)
                    last = position + length - 1
                    if length > 1:
                        if last >= total or sentences[last] != sentences[position]:
                            continue
                        if any(keys[k].isdisjoint(lemmas[position + k]) for k in range(1, length)):
                            continue
                    found.setdefault(name, []).append(PhraseMatch(token.position, kept[last].position + 1, phrase))
        return {name: _outermost(matches) for name, matches in found.items()}

    def weight(self, name: str, phrase: str) -> float:
        return self.weights.get(name, {}).get(phrase, 1.0)


def _matchable(tokens: Sequence[Token]) -> list[Token]:
    """The tokens phrases are matched on: words and numbers, without articles and possessives,
    and with "thank you" read as "thanks"."""
    kept: list[Token] = []
    for token in tokens:
        if token.kind not in (WORD, NUM) or token.low in DETERMINERS or token.word.lemma in DETERMINERS:
            continue
        if token.low == "you" and kept and kept[-1].low in ("thank", "thanks"):
            continue
        kept.append(token)
    return kept


def _outermost(matches: list[PhraseMatch]) -> list[PhraseMatch]:
    """Drop matches that lie inside a longer one (and duplicates)."""
    if len(matches) < 2:
        return matches
    matches = sorted(set(matches), key=lambda m: (m.start, -(m.end - m.start)))
    kept: list[PhraseMatch] = []
    for match in matches:
        if any(k.start <= match.start and match.end <= k.end for k in kept):
            continue
        kept.append(match)
    return kept
