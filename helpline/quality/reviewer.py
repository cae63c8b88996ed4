"""The reviewer: the faults of a conversation, the evidence for each, and a score.

The score is 100 minus the weight of every fault found (`ReviewConfig.weights`; by default 20
for being abandoned or spoken to rudely, 15 for an ignored question, feeling, language or
request for a person, 10 for a slow first answer or an early request for the phone, 8 for a
slow reply, a repeat or a bare link, 5 for a cliché, emoji about money or a burst of empty
messages), and never below 0.
"""

from __future__ import annotations

from dataclasses import dataclass

from helpline.quality.analysis import Dialogue, Lexicon
from helpline.quality.config import Fault, ReviewConfig
from helpline.quality.conversation import ConversationIn
from helpline.quality.findings import Finding
from helpline.quality.rules import RULES


@dataclass(frozen=True, slots=True)
class Review:
    id: str | int
    findings: tuple[Finding, ...]
    score: int

    @property
    def faults(self) -> list[str]:
        return sorted(f.fault.value for f in self.findings)

    def as_json(self) -> dict:
        """The line `helpline review` prints for the conversation."""
        return {
            "id": self.id,
            "faults": self.faults,
            "score": self.score,
            "evidence": {f.fault.value: f.evidence for f in sorted(self.findings, key=lambda f: f.fault.value)},
        }


class Reviewer:
    """Reviews conversations under one configuration (compiled once; reuse the instance)."""

    def __init__(self, config: ReviewConfig | None = None) -> None:
        self.config = config or ReviewConfig()
        self.lexicon = Lexicon(self.config)
        self._rules = [(fault, rule) for fault, rule in RULES.items() if fault in self.config.enabled]

    def review(self, conversation: ConversationIn) -> Review:
        dialogue = Dialogue.read(conversation, self.lexicon)
        findings = tuple(found for _, rule in self._rules if (found := rule(dialogue)) is not None)
        penalty = sum(self.config.weight(f.fault) for f in findings)
        return Review(conversation.id, findings, max(0, 100 - penalty))


def review(conversation: ConversationIn, config: ReviewConfig | None = None) -> Review:
    """Review one conversation; build a `Reviewer` instead when reviewing many."""
    return Reviewer(config).review(conversation)


__all__ = ["Fault", "Review", "Reviewer", "review"]
