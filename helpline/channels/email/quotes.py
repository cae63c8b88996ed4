"""The new part of a reply: what the customer wrote above the history their mail client
quoted ("On … wrote:", "… пишет:", "-----Original Message-----", Outlook's From:/Sent: block,
"> " lines).

Written here rather than taken from a library: the reply parsers on PyPI know no Russian
client, and they also cut signatures, which may hold what the agent needs (an order number,
a phone). This cuts only at a marker of quoted history, and keeps everything when:
- nothing but the quote would be left (a reply that only forwards the history);
- the customer answered between quoted lines (an inline reply: the quotes are the context);
- the marker introduces a forwarded message (that is what the customer wants us to read).
The caller keeps the whole text as well, for the agent to open.
"""

from __future__ import annotations

import re

# "On Mon, 1 Dec 2025 at 10:00, Anna <anna@example.com> wrote:" and its translations;
# Thunderbird ru "01.12.2025 10:00, Анна пишет:", mail.ru "…от Анна <anna@mail.ru>:" (below).
_WROTE = re.compile(
    r"(\bwrote|\bпишет|\bнаписала?|\bнаписал\(а\)|\bschrieb|\ba écrit|\bescribió|\bha scritto|\bschreef)\s*:\s*$",
    re.IGNORECASE,
)
_WROTE_ALONE = re.compile(r"^(wrote|пишет|написала?|написал\(а\)|schrieb|a écrit)\s*:$", re.IGNORECASE)
_ADDRESS = re.compile(r"[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+")
# "-----Original Message-----", "-------- Исходное сообщение --------" ...
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(original message|исходное сообщение|ursprüngliche nachricht|message d'origine|mensaje original|"
    r"reply message|ответное сообщение)\s*-{2,}\s*$",
    re.IGNORECASE,
)
# A forwarded message is what the customer wants us to read: nothing from it on is cut.
_FORWARDED = re.compile(
    r"^\s*-*\s*(forwarded message|begin forwarded message|пересылаемое сообщение|"
    r"начало переадресованного сообщения)\s*:?\s*-*\s*$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{20,}\s*$")
# Outlook's header block over the quoted message: From: … / Sent: … (To:, Subject:)
_FROM = re.compile(r"^\s*\**(from|от|von|de|da)\**\s*:", re.IGNORECASE)
_DATE_HEADER = re.compile(r"^\s*\**(sent|date|отправлено|дата|gesendet|datum|envoyé|enviado|inviato)\**\s*:", re.IGNORECASE)
_OTHER_HEADER = re.compile(r"^\s*\**(to|cc|subject|кому|копия|тема|an|betreff|objet|à|para|asunto)\**\s*:", re.IGNORECASE)


def split_reply(text: str) -> tuple[str, bool]:
    """(the new part, whether anything was cut)."""
    lines = text.split("\n")
    forward = next((index for index, line in enumerate(lines) if _FORWARDED.match(line)), None)
    cut = _marker(lines if forward is None else lines[:forward])
    if cut is None and forward is None:
        cut = _trailing_quote(lines)
    if cut is None:
        return text, False
    new = "\n".join(lines[:cut]).rstrip()
    if not new.strip():
        return text, False
    return new, True


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _next_nonblank(lines: list[str], start: int) -> int | None:
    for index in range(start, min(len(lines), start + 4)):
        if lines[index].strip():
            return index
    return None


def _marker(lines: list[str]) -> int | None:
    """The first line where quoted history starts, if it is announced; None otherwise."""
    for index, line in enumerate(lines):
        if _quoted(line):
            return None  # quotes before any marker: an inline reply, or a bare quote (below)
        if _ORIGINAL.match(line):
            return index
        if _UNDERSCORES.match(line):
            following = _next_nonblank(lines, index + 1)
            if following is not None and _FROM.match(lines[following]):
                return index
        if _FROM.match(line) and _outlook_block(lines, index):
            return index
        if (start := _attribution(lines, index)) is not None:
            return start
    return None


def _outlook_block(lines: list[str], index: int) -> bool:
    """A From: line over a Sent: (Date:) line, or one with an address over To: or Subject:
    (not "From: Moscow" / "To: Kazan" in a customer's words)."""
    below = lines[index + 1 : index + 4]
    if any(_DATE_HEADER.match(line) for line in below):
        return True
    return bool(_ADDRESS.search(lines[index])) and any(_OTHER_HEADER.match(line) for line in below)


def _attribution(lines: list[str], index: int) -> int | None:
    """Where an "… wrote:" line starts, if `index` ends one that introduces quoted history."""
    line = lines[index].strip()
    if not line.endswith(":"):
        return None
    following = _next_nonblank(lines, index + 1)
    quote_follows = following is not None and _quoted(lines[following])
    if _WROTE.search(line):
        start, whole = index, line
        if _WROTE_ALONE.match(line) and index > 0 and lines[index - 1].strip():
            # Gmail wraps a long one: "On …, Anna <anna@example.com>" / "wrote:"
            start, whole = index - 1, f"{lines[index - 1].strip()} {line}"
        # With a date or an address, or over a quote; not "My colleague wrote:" in prose.
        if quote_follows or _ADDRESS.search(whole) or re.search(r"\d", whole):
            return start
        return None
    # Gmail in Russian: "пн, 1 дек. 2025 г. в 10:00, Анна <anna@example.com>:"; mail.ru and
    # Yandex alike: a date and an address, then the quote.
    if quote_follows and _ADDRESS.search(line) and re.search(r"\d", line):
        return index
    return None


def _trailing_quote(lines: list[str]) -> int | None:
    """The start of a block of "> " lines that ends the text, unless new text follows a
    quote earlier on (an inline reply)."""
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or _quoted(lines[end - 1])):
        end -= 1
    if not any(_quoted(line) for line in lines[end:]):
        return None
    if any(_quoted(line) for line in lines[:end]):
        return None  # quotes with answers between them
    return end
