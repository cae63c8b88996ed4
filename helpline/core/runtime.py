"""The services one server process runs with, built once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from helpline.core.ratelimit import BucketMap, FailureWindow

if TYPE_CHECKING:
    from helpline.accounts.presence import Presence
    from helpline.channels.web.site import VisitorTokens
    from helpline.contacts.bans import BanList
    from helpline.conversations.files import FileStore
    from helpline.core.bus import Bus
    from helpline.core.db import Database
    from helpline.core.hub import Hub
    from helpline.channels.intake import Intake
    from helpline.core.jobs import JobRunner
    from helpline.settings import Settings


@dataclass
class Services:
    settings: Settings
    db: Database
    bus: Bus
    hub: Hub
    tokens: VisitorTokens
    presence: Presence
    bans: BanList
    files: FileStore
    # Five wrong passwords per e-mail and address in 15 minutes, fifty per address.
    login_failures: FailureWindow = field(default_factory=lambda: FailureWindow(5, 900))
    login_failures_by_ip: FailureWindow = field(default_factory=lambda: FailureWindow(50, 900))
    # Messages per visitor: a burst of 10, then one a second.
    visitor_messages: BucketMap = field(default_factory=lambda: BucketMap(10, 1.0))
    # Uploads per visitor: a burst of 10 files, then one every 5 seconds.
    visitor_uploads: BucketMap = field(default_factory=lambda: BucketMap(10, 0.2))
    # Web form submissions per form and address: a burst of 10, then one every 6 seconds.
    form_submissions: BucketMap = field(default_factory=lambda: BucketMap(10, 1 / 6))
    # Transcripts by e-mail per contact: five, then one more every ~5 hours (5 a day).
    transcript_requests: BucketMap = field(default_factory=lambda: BucketMap(5, 5 / 86400))
    # This node's job runner, set while the app runs (the lifespan starts and stops it).
    jobs: JobRunner | None = None
    # This node's intake of channel webhook updates (helpline.channels.intake), likewise.
    intake: Intake | None = None
