"""Conversation quality: the offline reviewer of the faults in `shared/data/quality/TAXONOMY.md`."""

from helpline.quality.config import Fault, ReviewConfig
from helpline.quality.conversation import ConversationIn, MessageIn, Role
from helpline.quality.findings import Finding
from helpline.quality.reviewer import Review, Reviewer, review

__all__ = ["ConversationIn", "Fault", "Finding", "MessageIn", "Review", "ReviewConfig", "Reviewer", "Role", "review"]
