"""The IMAP side of an e-mail inbox: one logged-in connection to its folder (IMAPClient), with
what the poller needs: the folder's UIDVALIDITY, the UIDs after a position, message sizes,
fetching one message (whole, or only its start when it is larger than the inbox takes), and
waiting for news with IDLE.

IMAPClient is blocking, so its calls run on a small pool of threads of this module's own
(never the loop's default executor, which file and password work share). IDLE itself takes
no thread: the command is sent, and the loop watches the socket for the server's word.
IMAPClient rather than aioimaplib: aioimaplib is GPL-licensed.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any, TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, IMAPClientError, LoginError

from helpline.channels.base import ChannelError
from helpline.channels.email.settings import EmailSettings

T = TypeVar("T")

# Seconds for connecting and for each read from the server.
TIMEOUT = 30.0
# Of a message larger than the inbox takes, this much of its body is read (its text part
# usually comes first; its attachments are what made it large).
HEAD_BYTES = 256 * 1024

_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="imap")


class Mailbox:
    """One IMAP connection with the inbox's folder selected (read-only: Helpline reads with
    BODY.PEEK and changes no flags, so people using the mailbox too see what they saw)."""

    def __init__(self, client: IMAPClient, settings: EmailSettings, selected: dict[bytes, Any]) -> None:
        self.client = client
        self.settings = settings
        self.uidvalidity = int(selected.get(b"UIDVALIDITY", 0))
        self.uidnext = int(selected.get(b"UIDNEXT", 1))
        self.can_idle = client.has_capability("IDLE")

    @classmethod
    async def open(cls, settings: EmailSettings) -> Mailbox:
        """Connect, log in and select the folder; ChannelError naming the setting at fault."""
        return await _run(lambda: cls._open(settings))

    @classmethod
    def _open(cls, settings: EmailSettings) -> Mailbox:
        where = f"{settings.imap_host}:{settings.imap_port}"
        context = ssl.create_default_context()
        try:
            client = IMAPClient(
                settings.imap_host, port=settings.imap_port, ssl=settings.imap_security == "ssl",
                ssl_context=context, timeout=TIMEOUT,
            )
        except ssl.SSLError as error:
            raise ChannelError(f"TLS with the IMAP server {where} failed: {error}", field="imap_security") from None
        except (OSError, IMAPClientError) as error:
            raise ChannelError(f"Cannot reach the IMAP server {where}: {_why(error)}", field="imap_host") from None
        try:
            if settings.imap_security == "starttls":
                client.starttls(context)
            client.login(settings.imap_username, settings.imap_password)
        except CapabilityError:
            client.shutdown()
            raise ChannelError(f"The IMAP server {where} does not offer STARTTLS.", field="imap_security") from None
        except ssl.SSLError as error:
            client.shutdown()
            raise ChannelError(f"TLS with the IMAP server {where} failed: {error}", field="imap_security") from None
        except LoginError as error:
            client.shutdown()
            raise ChannelError(f"The IMAP server refused the login: {_why(error)}", field="imap_password") from None
        except (OSError, IMAPClientError) as error:
            client.shutdown()
            raise ChannelError(f"The IMAP server {where} failed: {_why(error)}", field="imap_host") from None
        try:
            selected = client.select_folder(settings.imap_folder, readonly=True)
        except IMAPClientError as error:
            _logout(client)
            raise ChannelError(
                f"Cannot open the folder {settings.imap_folder!r}: {_why(error)}", field="imap_folder"
            ) from None
        except OSError as error:
            client.shutdown()
            raise ChannelError(f"The IMAP server {where} failed: {_why(error)}", field="imap_host") from None
        return cls(client, settings, selected)

    async def uids_after(self, last_uid: int) -> list[int]:
        # "n:*" always names the last message, even when its UID is below n.
        found = await self._call(lambda: self.client.search(["UID", f"{last_uid + 1}:*"]))
        return sorted(uid for uid in found if uid > last_uid)

    async def uids_since(self, day: date) -> list[int]:
        return sorted(await self._call(lambda: self.client.search(["SINCE", day])))

    async def sizes(self, uids: list[int]) -> dict[int, int]:
        if not uids:
            return {}
        fetched = await self._call(lambda: self.client.fetch(uids, ["RFC822.SIZE"]))
        return {uid: int(data.get(b"RFC822.SIZE", 0)) for uid, data in fetched.items()}

    async def fetch(self, uid: int, *, whole: bool) -> bytes | None:
        """The message (None: deleted meanwhile); with `whole=False` its header and the first
        HEAD_BYTES of its body only."""
        if whole:
            fetched = await self._call(lambda: self.client.fetch([uid], ["BODY.PEEK[]"]))
            return fetched.get(uid, {}).get(b"BODY[]")
        parts = ["BODY.PEEK[HEADER]", f"BODY.PEEK[TEXT]<0.{HEAD_BYTES}>"]
        fetched = await self._call(lambda: self.client.fetch([uid], parts))
        data = fetched.get(uid)
        if data is None or b"BODY[HEADER]" not in data:
            return None
        body = next((value for key, value in data.items() if key.startswith(b"BODY[TEXT]")), b"")
        return data[b"BODY[HEADER]"] + (body or b"")

    async def wait(self, seconds: float) -> None:
        """Until the server tells of a change to the folder (IDLE), or `seconds` pass; a
        server without IDLE is simply asked again after them."""
        if not self.can_idle:
            await asyncio.sleep(seconds)
            return
        await self._call(self.client.idle)
        await _readable(self.client.socket(), seconds)
        await self._call(self.client.idle_done)

    async def close(self) -> None:
        await _run(lambda: _logout(self.client))

    def abort(self) -> None:
        """Drop the connection at once (a cancelled poll, a connection in doubt)."""
        with contextlib.suppress(Exception):
            self.client.shutdown()

    async def _call(self, call: Callable[[], T]) -> T:
        try:
            return await _run(call)
        except (OSError, IMAPClientError) as error:
            raise ChannelError(f"IMAP: {_why(error)}") from None


async def _run(call: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_POOL, call)


async def _readable(sock: socket.socket, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    fd = sock.fileno()
    loop.add_reader(fd, lambda: ready.done() or ready.set_result(None))
    try:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ready, seconds)
    finally:
        loop.remove_reader(fd)


def _logout(client: IMAPClient) -> None:
    try:
        client.logout()
    except Exception:
        with contextlib.suppress(Exception):
            client.shutdown()


def _why(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if text.startswith(("b'", 'b"')):  # imaplib quotes the server's bytes
        text = text[2:-1]
    return text[:300]
