"""Reading conversation files and measuring the reviewer against labelled ones."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import orjson
from pydantic import ValidationError

from helpline.quality.config import Fault
from helpline.quality.conversation import ConversationIn


class InputError(ValueError):
    """A conversation file that cannot be read; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Labelled:
    conversation: ConversationIn
    faults: frozenset[str] | None  # the `faults` label, when the line has one


def _describe(error: ValidationError) -> str:
    parts = []
    for problem in error.errors()[:3]:
        where = ".".join(str(p) for p in problem["loc"]) or "line"
        parts.append(f"{where}: {problem['msg']}")
    return "; ".join(parts)


def read_conversations(path: Path) -> list[Labelled]:
    """Every line of a JSON-lines file as a conversation; blank lines are skipped.

    Raises `InputError` naming the first bad line."""
    try:
        lines = path.read_bytes().splitlines()
    except OSError as error:
        raise InputError(f"{path}: cannot read ({error.strerror or error})") from None
    found: list[Labelled] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise InputError(f"{path}:{number}: not valid JSON ({error})") from None
        if not isinstance(data, dict):
            raise InputError(f"{path}:{number}: expected a JSON object, got {type(data).__name__}")
        try:
            conversation = ConversationIn.model_validate(data)
        except ValidationError as error:
            raise InputError(f"{path}:{number}: {_describe(error)}") from None
        labels = data.get("faults")
        faults = frozenset(str(f) for f in labels) if isinstance(labels, list) else None
        found.append(Labelled(conversation, faults))
    return found


@dataclass(frozen=True, slots=True)
class Score:
    fault: str
    true_positives: int
    false_positives: int
    false_negatives: int

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else float(self.false_negatives == 0)

    @property
    def recall(self) -> float:
        labelled = self.true_positives + self.false_negatives
        return self.true_positives / labelled if labelled else float(self.false_positives == 0)

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_json(self) -> dict:
        return {
            "fault": self.fault,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "support": self.true_positives + self.false_negatives,
            "tp": self.true_positives,
            "fp": self.false_positives,
            "fn": self.false_negatives,
        }


def evaluate(pairs: Iterable[tuple[frozenset[str], Iterable[str]]]) -> list[Score]:
    """Per-fault scores of (labelled faults, found faults) pairs, for every fault that is
    labelled or found at least once, in taxonomy order."""
    counts: dict[str, list[int]] = {}
    for expected, found in pairs:
        found = set(found)
        for fault in expected | found:
            tp_fp_fn = counts.setdefault(fault, [0, 0, 0])
            if fault in expected and fault in found:
                tp_fp_fn[0] += 1
            elif fault in found:
                tp_fp_fn[1] += 1
            else:
                tp_fp_fn[2] += 1
    order = {f.value: i for i, f in enumerate(Fault)}
    return [Score(f, *counts[f]) for f in sorted(counts, key=lambda f: (order.get(f, len(order)), f))]


def macro_f1(scores: list[Score]) -> float:
    return sum(s.f1 for s in scores) / len(scores) if scores else 0.0
