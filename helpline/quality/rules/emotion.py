"""Feelings the agent ignored.

How strongly a customer message expresses anger, fear or distress is a sum of cues: words and
phrases of a ru/en emotion lexicon (lemmatised, so «в бешенстве», «бешенство» and «бешенства»
are one; an intensifier such as «очень» or "honestly" before a word multiplies its weight by
1.5; a negation before it cancels it), runs of «!!!» and «??» or «?!», words in capitals, and
emoji of fear, anger or tears. At or above `emotion_threshold` the feeling is strong, and the
agent's next turn must acknowledge it (an apology, «понимаю», "I'm sorry", "that must be ...").
"""

from __future__ import annotations

import re

from helpline.quality.analysis import Dialogue, Message
from helpline.quality.config import Fault
from helpline.quality.conversation import Role
from helpline.quality.findings import Finding, quote
from helpline.quality.text import WORD, Token

_NEGATIONS = frozenset("не ни без not no never without".split())
_NEGATIVE_EMOJI = frozenset("😡🤬😠😤😭😢😰😱😨😩😫😖😣😞😟🙁☹💔😒😥😓")
_EXCLAIM_RUN_RE = re.compile(r"!{2,}|[?!]*\?!|!\?|\?{2,}")


def _negated(tokens: list[Token], start: int, boosted: set[int]) -> bool:
    """«не страшно», "not upset", «не очень страшно»: a negation right before the word."""
    before = start - 1
    if before >= 0 and before + 1 in boosted and tokens[before].low not in _NEGATIONS:
        before -= 1  # skip the intensifier
    return before >= 0 and tokens[before].low in _NEGATIONS and tokens[before].sentence == tokens[start].sentence


def emotion_cues(message: Message) -> tuple[float, list[str]]:
    """How strongly the message expresses a negative feeling, and the cues that say so."""
    lexicon = message.lexicon
    tokens = message.tokens
    boosted = {m.end for m in message.found("intensifiers")}
    score = 0.0
    cues: list[str] = []
    for match in message.found("emotion"):
        weight = lexicon.book.weight("emotion", match.phrase)
        first = tokens[match.start]
        if first.low not in _NEGATIONS and _negated(tokens, match.start, boosted):
            continue
        if match.start in boosted or (match.start - 1) in boosted:
            weight *= 1.5
        score += weight
        cues.append(message.text[first.start: tokens[match.end - 1].end])
    runs = _EXCLAIM_RUN_RE.findall(message.text)
    if runs:
        score += min(len(runs), 2)
        cues.append(runs[0])
    emoji = [e for e in message.emojis if e in _NEGATIVE_EMOJI]
    if emoji:
        score += 2 * min(len(emoji), 2)
        cues.append(emoji[0])
    words = [t for t in tokens if t.kind == WORD and len(t.text) >= 4]
    shouted = [t for t in words if t.text.isupper()]
    if len(shouted) >= 2 and len(shouted) >= 0.3 * len(words):
        score += 1
        cues.append(shouted[0].text)
    return score, cues


def _acknowledges(messages: list[Message]) -> bool:
    return any(m.found("empathy") for m in messages)


def ignored_emotion(dialogue: Dialogue) -> Finding | None:
    """The customer shows strong frustration, anger, fear or distress, and the agent's next turn
    neither acknowledges it nor shows empathy."""
    threshold = dialogue.lexicon.config.emotion_threshold
    messages = dialogue.messages
    for message in messages:
        if message.role is not Role.customer:
            continue
        score, cues = emotion_cues(message)
        if score < threshold:
            continue
        turn: list[Message] = []
        for later in messages[message.index + 1:]:
            if later.role is Role.agent:
                turn.append(later)
            elif later.role is Role.customer and turn:
                break
        if not turn or _acknowledges(turn):
            continue
        shown = ", ".join(quote(c, 30) for c in dict.fromkeys(cues))
        return Finding(Fault.ignored_emotion, turn[0].index,
                       f"customer's feeling in message {message.index} ({shown}) is not acknowledged")
    return None
