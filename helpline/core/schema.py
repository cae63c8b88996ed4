"""Every table of Helpline, gathered for migrations and tests.

Importing the domain models here (and nowhere else in core) keeps core free of domain
imports while Alembic still sees the whole schema.
"""

from __future__ import annotations

import helpline.accounts.models
import helpline.canned.models
import helpline.channels.models
import helpline.chat.models
import helpline.contacts.models
import helpline.conversations.models
import helpline.desk.models
import helpline.integrations.models
import helpline.quality.models
import helpline.core.audit
import helpline.core.events
import helpline.core.jobs
import helpline.visitors.models  # noqa: F401
from helpline.core.base import Base

metadata = Base.metadata
