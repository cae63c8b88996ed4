"""The e-mail channel's adapter: a mailbox read over IMAP (`reader`), replies sent over SMTP
(`replies`). A customer is known by their address (identity kind `email`)."""

from __future__ import annotations

from typing import cast

from pydantic import BaseModel

from helpline.channels.base import ChannelAdapter, ChannelContext, Outgoing, Sent
from helpline.channels.email.imap import Mailbox
from helpline.channels.email.reader import poll_mailbox
from helpline.channels.email.replies import check_smtp, send_reply
from helpline.channels.email.settings import EmailSettings


class EmailAdapter(ChannelAdapter):
    channel = "email"
    identity_kind = "email"
    settings_model = EmailSettings
    secret_fields = frozenset({"imap_password", "smtp_password"})
    writes_first = True

    async def connect(self, ctx: ChannelContext) -> str:
        """Log in to the mailbox and open its folder, then to the SMTP server; the address
        customers write to."""
        settings = cast(EmailSettings, ctx.settings)
        mailbox = await Mailbox.open(settings)
        await mailbox.close()
        await check_smtp(settings)
        return settings.from_email

    def polls(self, settings: BaseModel) -> bool:
        return True

    async def poll(self, ctx: ChannelContext) -> None:
        await poll_mailbox(ctx)

    async def send(self, ctx: ChannelContext, outgoing: Outgoing) -> Sent:
        return await send_reply(ctx, outgoing)


ADAPTER = EmailAdapter()
