"""One function per fault of the taxonomy; each reads a `Dialogue` and returns a `Finding` or None."""

from __future__ import annotations

from collections.abc import Callable

from helpline.quality.analysis import Dialogue
from helpline.quality.config import Fault
from helpline.quality.findings import Finding
from helpline.quality.rules.dialogue import agent_abandoned, premature_contact_request, unanswered_question
from helpline.quality.rules.emotion import ignored_emotion
from helpline.quality.rules.timing import bot_no_handoff, slow_first_response, slow_reply
from helpline.quality.rules.wording import (
    emoji_in_money_topic,
    language_mismatch,
    link_without_explanation,
    message_burst,
    repeated_message,
    rude_tone,
    template_phrase,
)

Rule = Callable[[Dialogue], Finding | None]

RULES: dict[Fault, Rule] = {
    Fault.slow_first_response: slow_first_response,
    Fault.slow_reply: slow_reply,
    Fault.agent_abandoned: agent_abandoned,
    Fault.unanswered_question: unanswered_question,
    Fault.template_phrase: template_phrase,
    Fault.repeated_message: repeated_message,
    Fault.rude_tone: rude_tone,
    Fault.premature_contact_request: premature_contact_request,
    Fault.emoji_in_money_topic: emoji_in_money_topic,
    Fault.language_mismatch: language_mismatch,
    Fault.message_burst: message_burst,
    Fault.link_without_explanation: link_without_explanation,
    Fault.ignored_emotion: ignored_emotion,
    Fault.bot_no_handoff: bot_no_handoff,
}
