"""`helpline review FILE.jsonl` and `helpline review --eval FILE.jsonl`, run as a real command."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A copy of shared/data/quality/dev.jsonl, so the evaluation runs wherever the repository does.
DEV = ROOT / "tests" / "data" / "quality" / "dev.jsonl"


def helpline_review(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helpline", "review", *args],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )


def write_lines(path: Path, *objects: object) -> Path:
    path.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in objects), encoding="utf-8")
    return path


CONVERSATION = {
    "id": "c-1",
    "lang": "ru",
    "messages": [
        {"t": 0, "from": "customer", "name": "Ира", "text": "Здравствуйте, сколько стоит доставка?"},
        {"t": 90, "from": "agent", "name": "Олег", "text": "Здравствуйте! Спасибо за обращение. Доставка — 300 ₽ 😊"},
        {"t": 120, "from": "customer", "name": "Ира", "text": "Спасибо"},
    ],
    # labels are not input: the reviewer must not copy them
    "faults": ["bot_no_handoff"],
    "why": {"bot_no_handoff": "not so"},
}


def test_prints_one_json_object_per_conversation(tmp_path: Path) -> None:
    clean = {"id": 7, "messages": [
        {"t": 0, "from": "customer", "text": "Hi, do you ship to Norway?"},
        {"t": 20, "from": "agent", "text": "Hi! Yes, delivery to Norway takes 5-8 days."},
    ]}
    result = helpline_review(str(write_lines(tmp_path / "in.jsonl", CONVERSATION, clean)))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    first, second = lines
    assert set(first) == {"id", "faults", "score", "evidence"}
    assert first["id"] == "c-1"
    assert first["faults"] == ["emoji_in_money_topic", "slow_first_response", "template_phrase"]
    assert set(first["evidence"]) == set(first["faults"])
    assert "Спасибо за обращение" in first["evidence"]["template_phrase"]
    assert 0 <= first["score"] < 100 and isinstance(first["score"], int)
    assert second == {"id": 7, "faults": [], "score": 100, "evidence": {}}


def test_eval_on_the_labelled_conversations_meets_the_target() -> None:
    result = helpline_review("--eval", str(DEV))
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    reviews = [line for line in lines if "id" in line]
    per_fault = {line["fault"]: line for line in lines if "fault" in line}
    assert len(reviews) == sum(1 for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip())
    assert set(lines[-1]) >= {"macro_f1"} and lines[-1]["macro_f1"] >= 0.90
    assert len(per_fault) == 14
    for fault, score in per_fault.items():
        assert {"precision", "recall", "f1"} <= set(score)
        assert score["f1"] >= 0.75, (fault, score)


def test_eval_needs_labels(tmp_path: Path) -> None:
    unlabelled = {key: value for key, value in CONVERSATION.items() if key not in ("faults", "why")}
    result = helpline_review("--eval", str(write_lines(tmp_path / "in.jsonl", unlabelled)))
    assert result.returncode == 2
    assert "no `faults`" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "content, says",
    [
        ('{"id": 1, "messages": [{"t": 0, "from": "customer", "text": "hi"}]}\n{"id": 2, "messages": [\n',
         ":2: not valid JSON"),
        ('{"id": 1}\n', ":1: messages: Field required"),
        ('{"id": 1, "messages": []}\n', ":1: messages:"),
        ('{"id": 1, "messages": [{"t": 0, "from": "martian", "text": "hi"}]}\n', "messages.0.from"),
        ('{"id": 1, "messages": [{"t": "soon", "from": "agent", "text": "hi"}]}\n', "messages.0.t"),
        ('[1, 2]\n', "expected a JSON object"),
        ("\n\n", "no conversations"),
    ],
    ids=["malformed-json", "no-messages", "empty-messages", "unknown-author", "bad-time", "not-an-object",
         "empty-file"],
)
def test_bad_input_is_a_clear_error_without_a_traceback(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(content, encoding="utf-8")
    result = helpline_review(str(path))
    assert result.returncode == 2
    assert says in result.stderr, result.stderr
    assert result.stderr.startswith(f"error: {path}")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = helpline_review(str(tmp_path / "nowhere.jsonl"))
    assert result.returncode == 2
    assert "cannot read" in result.stderr and "Traceback" not in result.stderr


def test_settings_from_a_config_file(tmp_path: Path) -> None:
    conversations = write_lines(tmp_path / "in.jsonl", CONVERSATION)
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"enabled": ["template_phrase"], "first_response_seconds": 120}), encoding="utf-8")
    result = helpline_review("--config", str(config), str(conversations))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["faults"] == ["template_phrase"]

    config.write_text(json.dumps({"first_response_seconds": -5, "no_such_setting": 1}), encoding="utf-8")
    result = helpline_review("--config", str(config), str(conversations))
    assert result.returncode == 2
    assert "first_response_seconds" in result.stderr and "Traceback" not in result.stderr
