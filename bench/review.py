"""Throughput of the offline conversation reviewer on one core.

Replicates the labelled conversations of `shared/data/quality/dev.jsonl` to a few thousand and
times `Reviewer.review` over them, pinned to one core, best of a few rounds. One pass over the
originals comes first: it loads the dictionaries and warms the per-word caches, as in a
running server (only word analyses are cached, never whole messages, so the repeats are not
cheaper than new conversations with the same vocabulary). Budget (issue 6): ≥ 1,000
conversations per second on one core. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import gc
import os
import time
from pathlib import Path

from _support import ROOT, emit, machine

DEV = ROOT / "tests" / "data" / "quality" / "dev.jsonl"  # a copy of shared/data/quality/dev.jsonl


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEV, help="conversations in the dev.jsonl format")
    parser.add_argument("--conversations", type=int, default=5000, help="how many to review (the file, repeated)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds; the best is reported")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    from helpline.quality import Reviewer
    from helpline.quality.evaluation import read_conversations

    originals = [item.conversation for item in read_conversations(args.file)]
    batch = [originals[i % len(originals)] for i in range(args.conversations)]
    reviewer = Reviewer()

    started = time.perf_counter()
    for conversation in originals:
        reviewer.review(conversation)
    cold_seconds = time.perf_counter() - started

    gc.collect()
    best = best_cpu = float("inf")
    for _ in range(args.rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        for conversation in batch:
            reviewer.review(conversation)
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - started_cpu)
    messages = sum(len(c.messages) for c in batch)
    rate = len(batch) / best
    emit(
        {
            "benchmark": "review",
            "conversations": len(batch),
            "distinct_conversations": len(originals),
            "messages_per_conversation": round(messages / len(batch), 1),
            "conversations_per_second": round(rate),
            # CPU time of this process alone: steadier than the wall clock on a busy machine
            "conversations_per_cpu_second": round(len(batch) / best_cpu),
            "ms_per_conversation": round(1000 * best / len(batch), 3),
            "first_pass_seconds": round(cold_seconds, 3),
            "budget_conversations_per_second": 1000,
            "within_budget": rate >= 1000,
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
