"""One e-mail as Helpline keeps it: who sent it, what it answers, the text an agent reads,
its files, and whether a machine sent it (an auto-reply, a mailing, a delivery report).

Parsed with the standard library's `email` package (policy.default: RFC 2047 encoded words,
RFC 2231 file names, declared charsets). What the standards leave to chance is handled here:
a text part whose declared charset is wrong or unknown is tried as UTF-8, then as
windows-1251; header bytes sent raw (not encoded, as some Russian clients do) likewise.

HTML is never shown as HTML: the text an agent reads is made from it (inscriptis), and the
original is kept as a file, which Helpline only ever serves as a download.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses, parseaddr
from typing import Literal

from inscriptis import get_text
from inscriptis.model.config import ParserConfig

from helpline.channels.base import IncomingFile
from helpline.channels.email.quotes import split_reply

# A Message-ID longer than a message's external_id column is kept as its hash.
MAX_ID_LENGTH = 255
MAX_REFERENCES = 50
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_CONVERSATION_TOKEN = re.compile(r"\[#(\d{1,9})\]")
_REPLY_PREFIX = re.compile(
    r"^\s*((re|fwd?|aw|wg|sv|vs|tr|rif|отв|ответ|пересл)(\s*\[\d+\]|\s*\(\d+\))?\s*:\s*)+", re.IGNORECASE
)
_HTML = ParserConfig(display_links=True)
_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_REPLY_HEADERS = ("x-autoreply", "x-autorespond", "x-autoresponder", "x-autoreply-from", "x-mail-autoreply")

ReportStatus = Literal["failed", "delayed", "delivered", "read"]


@dataclass(frozen=True)
class DeliveryReport:
    """A report on mail Helpline sent: a bounce (RFC 3464 or a mail server's own words), a
    delivery notice, a read receipt (RFC 8098)."""

    status: ReportStatus | None  # None: nothing Helpline records (a deleted-unread receipt)
    message_ids: list[str]  # the messages it reports on
    reason: str


@dataclass(frozen=True)
class Mail:
    message_id: str  # its Message-ID (made from its header when it has none)
    sender: str | None  # the From address, lower-case domain; None when unreadable
    sender_name: str | None
    subject: str
    references: list[str]  # the Message-IDs it answers, nearest first (In-Reply-To, References)
    sent_at: datetime | None
    text: str  # what the agent reads: the new part of a reply
    files: list[IncomingFile] = field(default_factory=list)
    # Why a machine sent it ("auto-replied", "auto-generated", "bulk", "list" ...); None for a person.
    automatic: str | None = None
    report: DeliveryReport | None = None


def read_mail(raw: bytes, *, truncated: bool = False) -> Mail:
    """`truncated`: `raw` is the header and the start of the body of a message larger than
    the inbox takes; its text is read, its attachments are not."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    sender, sender_name = _sender(message)
    report = _report(message, sender)
    if report is not None:
        return Mail(
            message_id=_own_id(message, raw), sender=sender, sender_name=sender_name, subject=header(message, "subject"),
            references=_references(message), sent_at=_date(message), text="", automatic="report", report=report,
        )
    text, files = _content(message, keep_files=not truncated)
    return Mail(
        message_id=_own_id(message, raw),
        sender=sender,
        sender_name=sender_name,
        subject=header(message, "subject"),
        references=_references(message),
        sent_at=_date(message),
        text=text,
        files=files,
        automatic=_automatic(message),
    )


# --- Headers --------------------------------------------------------------------------------


def header(message: Message, name: str) -> str:
    """A header as text, on one line ("" when absent): encoded words decoded, raw 8-bit bytes
    read as UTF-8 or windows-1251."""
    raw = next((value for key, value in message.raw_items() if key.lower() == name.lower()), None)
    if raw is None:
        return ""
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        text = _decode(raw.encode("utf-8", "surrogateescape"), None)
    else:
        try:
            text = str(message[name])
        except Exception:  # a header the registry cannot parse: its raw text
            text = raw
    return " ".join(text.split())


def message_key(value: str) -> str | None:
    """A Message-ID as stored in messages.external_id: the `<…>` token, hashed when long."""
    found = _MESSAGE_ID.search(value)
    if found is None:
        return None
    key = found.group(0)
    if len(key) > MAX_ID_LENGTH:
        key = f"<{hashlib.sha256(key.encode()).hexdigest()}@long-message-id.invalid>"
    return key


def _own_id(message: Message, raw: bytes) -> str:
    key = message_key(header(message, "message-id"))
    if key is not None:
        return key
    # None given (rare, and against RFC 5322): the same mail read again gets the same one.
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return f"<{hashlib.sha256(head).hexdigest()[:40]}@no-message-id.invalid>"


def _references(message: Message) -> list[str]:
    found: list[str] = []
    for value in [header(message, "in-reply-to"), *reversed(_MESSAGE_ID.findall(header(message, "references")))]:
        for token in _MESSAGE_ID.findall(value):
            key = message_key(token)
            if key is not None and key not in found:
                found.append(key)
    return found[:MAX_REFERENCES]


def _sender(message: Message) -> tuple[str | None, str | None]:
    value = header(message, "from")
    addresses = [(name, address) for name, address in getaddresses([value]) if "@" in address]
    if not addresses:
        name, address = parseaddr(value)
        if "@" not in address:
            return None, None
        addresses = [(name, address)]
    name, address = addresses[0]
    local, _, domain = address.strip().rpartition("@")
    if not local or not domain or any(ch.isspace() for ch in address.strip()):
        return None, None
    return f"{local}@{domain.lower()}"[:254], (" ".join(name.split()) or None)


def _date(message: Message) -> datetime | None:
    try:
        value = message["date"]
        return getattr(value, "datetime", None)
    except Exception:
        return None


def conversation_number(subject: str) -> int | None:
    """The conversation a subject names, "Re: Доставка [#1042]" → 1042 (the last such token)."""
    found = _CONVERSATION_TOKEN.findall(subject)
    return int(found[-1]) if found else None


def base_subject(subject: str) -> str:
    """The subject without "Re:"/"Fwd:" prefixes and conversation tokens."""
    subject = _CONVERSATION_TOKEN.sub("", subject)
    return " ".join(_REPLY_PREFIX.sub("", subject).split())


def _automatic(message: Message) -> str | None:
    """Why a machine sent this (RFC 3834 and what mail servers actually send), or None."""
    auto_submitted = header(message, "auto-submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return auto_submitted.split(";")[0].strip() or "auto-generated"
    if any(header(message, name) for name in _REPLY_HEADERS):
        return "auto-replied"
    precedence = header(message, "precedence").lower()
    if precedence in _PRECEDENCE:
        return "auto-replied" if precedence == "auto_reply" else precedence
    if header(message, "list-id") or header(message, "list-unsubscribe"):
        return "list"
    return None


# --- Reports --------------------------------------------------------------------------------


def _report(message: Message, sender: str | None) -> DeliveryReport | None:
    if message.get_content_type() == "multipart/report":
        kind = str(message.get_param("report-type", "")).lower()
        if kind == "delivery-status":
            return _delivery_status(message)
        if kind == "disposition-notification":
            return _read_receipt(message)
        return None
    # A bounce in a mail server's own words (qmail, some hosting panels).
    local = (sender or "").partition("@")[0].lower()
    if local == "mailer-daemon" or header(message, "x-failed-recipients"):
        originals = _original_ids(message) or _references(message)[:1]
        text, _ = _content(message, keep_files=False)
        code = re.search(r"\b[45]\d\d\b[ -].*", text)
        return DeliveryReport("failed", originals, (code.group(0) if code else text)[:500].strip())
    return None


def _delivery_status(message: Message) -> DeliveryReport:
    failed, delayed, delivered = [], [], []
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            blocks = []
        for block in blocks[1:]:  # the first block is about the message, the rest per recipient
            action = str(block.get("action", "")).strip().lower()
            recipient = str(block.get("final-recipient") or block.get("original-recipient") or "").partition(";")[2]
            status = str(block.get("status", "")).strip()
            diagnostic = " ".join(str(block.get("diagnostic-code", "")).partition(";")[2].split())
            words = " ".join(w for w in (recipient.strip(), status, diagnostic) if w)
            {"failed": failed, "delayed": delayed}.get(action, delivered).append(words)
    originals = _original_ids(message) or _references(message)[:1]
    if failed:
        return DeliveryReport("failed", originals, "; ".join(failed)[:1000] or "bounced")
    if delayed:
        return DeliveryReport("delayed", originals, "; ".join(delayed)[:1000])
    return DeliveryReport("delivered", originals, "")


def _read_receipt(message: Message) -> DeliveryReport:
    fields = None
    for part in message.walk():
        if part.get_content_type() == "message/disposition-notification":
            fields = _fields_of(part)
            break
    if fields is None:
        return DeliveryReport(None, [], "")
    original = message_key(fields.get("original-message-id", "")) if fields.get("original-message-id") else None
    originals = [original] if original else _references(message)[:1]
    displayed = "displayed" in fields.get("disposition", "").lower()
    return DeliveryReport("read" if displayed else None, originals, "")


def _original_ids(message: Message) -> list[str]:
    """The Message-ID of the message a report returns (its copy or its headers)."""
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else None
            key = message_key(header(inner, "message-id")) if inner is not None else None
        elif kind == "text/rfc822-headers":
            key = message_key(_fields_of(part).get("message-id", ""))
        else:
            continue
        if key is not None:
            return [key]
    return []


def _fields_of(part: Message) -> dict[str, str]:
    """Header fields carried as a part's text (text/rfc822-headers, a read receipt)."""
    payload = part.get_payload()
    if isinstance(payload, list):  # parsed into blocks of fields already
        fields: dict[str, str] = {}
        for block in payload:
            for key, value in block.items():
                fields.setdefault(key.lower(), " ".join(str(value).split()))
        return fields
    parsed = HeaderParser().parsestr(_text_of(part))
    return {key.lower(): " ".join(str(value).split()) for key, value in parsed.items()}


# --- Body and files -------------------------------------------------------------------------


def _content(message: Message, *, keep_files: bool) -> tuple[str, list[IncomingFile]]:
    """The text the agent reads, and the files: every part that is not a version of the body.
    A reply's quoted history is cut from the text and kept whole as a file."""
    body = message.get_body(preferencelist=("plain", "html")) if isinstance(message, EmailMessage) else None
    versions = _versions_of(message, body)
    texts: list[str] = []
    files: list[IncomingFile] = []
    original_html: IncomingFile | None = None
    if body is not None:
        content = _text_of(body)
        if body.get_content_type() == "text/html":
            original_html = IncomingFile("message.html", "application/octet-stream", content.encode())
            content = html_to_text(content)
        texts.append(content)
    for part in _leaves(message):
        if part is body or any(part is version for version in versions):
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and not part.get_filename() and part.get_content_disposition() != "attachment":
            texts.append(_text_of(part))  # Apple Mail splits text around inline pictures
        elif keep_files:
            files.append(_file_of(part))
    text = "\n\n".join(t.strip("\n") for t in texts if t.strip()).strip()
    new, cut = split_reply(text)
    if cut:
        files.append(IncomingFile("full-message.txt", "text/plain", text.encode()))
    if original_html is not None:
        files.append(original_html)
    return new, files


def _leaves(part: Message) -> list[Message]:
    """The parts that hold content, in order; an attached message is one part (a file)."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        return [part]
    payload = part.get_payload()
    return [leaf for child in (payload if isinstance(payload, list) else []) for leaf in _leaves(child)]


def _versions_of(message: Message, body: Message | None) -> list[Message]:
    """The other text versions of the body: the text/plain and text/html parts of the
    multipart/alternative it is one of (a picture inside one of them is a file all the same)."""
    chain = _ancestors(message, body) if body is not None else None
    alternative = next((p for p in reversed(chain or []) if p.get_content_type() == "multipart/alternative"), None)
    if alternative is None:
        return []
    return [leaf for leaf in _leaves(alternative) if leaf.get_content_type() in ("text/plain", "text/html")]


def _ancestors(part: Message, target: Message) -> list[Message] | None:
    """The multiparts from `part` down to `target`, outermost first (None: not inside)."""
    if part is target:
        return []
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        return None
    payload = part.get_payload()
    for child in payload if isinstance(payload, list) else []:
        found = _ancestors(child, target)
        if found is not None:
            return [part, *found]
    return None


def _file_of(part: Message) -> IncomingFile:
    kind = part.get_content_type()
    if kind == "message/rfc822":
        payload = part.get_payload()
        inner = payload[0] if isinstance(payload, list) and payload else None
        try:
            data = inner.as_bytes() if inner is not None else b""
        except Exception:
            data = str(inner).encode("utf-8", "replace")
        name = part.get_filename() or f"{base_subject(header(inner, 'subject')) if inner else ''}"[:80] or "message"
        return IncomingFile(name if name.lower().endswith(".eml") else f"{name}.eml", kind, data)
    try:
        data = part.get_payload(decode=True) or b""
    except Exception:
        data = b""
    name = _filename(part) or f"{'image' if kind.startswith('image/') else 'attachment'}{_extension(kind)}"
    return IncomingFile(name, kind, data)


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        return None
    if name and any("\udc80" <= ch <= "\udcff" for ch in name):
        name = _decode(name.encode("utf-8", "surrogateescape"), None)
    return name or None


def _extension(kind: str) -> str:
    return {"text/plain": ".txt", "text/calendar": ".ics", "image/jpeg": ".jpg"}.get(kind) or (
        mimetypes.guess_extension(kind) or ".bin"
    )


def _text_of(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        payload = str(part.get_payload() or "").encode("utf-8", "surrogateescape")
    return _decode(payload, part.get_content_charset()).replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, charset: str | None) -> str:
    """`data` in its declared charset; if that is wrong or unknown, UTF-8, then windows-1251."""
    for candidate in (charset, "utf-8", "windows-1251"):
        if not candidate:
            continue
        try:
            return data.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", errors="replace")


def html_to_text(html: str) -> str:
    """What an HTML mail says, as text (scripts, styles and markup dropped; links kept as
    their addresses)."""
    try:
        text = get_text(html, _HTML)
    except Exception:  # markup lxml cannot make sense of: its words, roughly
        text = re.sub(r"<[^>]*>", " ", html)
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()



def unreadable_mail(raw: bytes) -> Mail:
    """A message `read_mail` failed on: what its header says, and the original as a file."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    try:
        message = BytesParser(policy=policy.default).parsebytes(head, headersonly=True)
        sender, sender_name = _sender(message)
        subject, message_id = header(message, "subject"), _own_id(message, raw)
    except Exception:
        sender = sender_name = None
        subject, message_id = "", f"<{hashlib.sha256(head).hexdigest()[:40]}@no-message-id.invalid>"
    return Mail(
        message_id=message_id, sender=sender, sender_name=sender_name, subject=subject, references=[], sent_at=None,
        text="[Helpline could not read this e-mail; the original is attached.]",
        files=[IncomingFile("message.eml", "message/rfc822", raw)],
    )
