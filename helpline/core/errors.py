"""Typed errors. Every error has a stable `code`, an HTTP status and, where the connection
must end, a WebSocket close code. docs/protocol.md lists them for clients.

    HelplineError
    ├── BadRequest              400 malformed_request
    ├── UnknownFrameType        400 unknown_frame_type     (WebSocket frames only)
    ├── InvalidField            422 invalid_field (names the field)
    │   ├── EmptyMessage        422 empty_message
    │   └── MessageTooLong      422 message_too_long
    ├── NotAuthenticated        401 not_authenticated      (ws 4001)
    │   ├── InvalidCredentials  401 invalid_credentials
    │   ├── InvalidToken        401 invalid_token          (ws 4001)
    │   └── TokenExpired        401 token_expired          (ws 4002)
    ├── CsrfFailed              403 csrf_failed
    ├── Forbidden               403 forbidden
    │   └── ChatUnavailable     403 chat_unavailable       (ws 4003)
    ├── NotFound                404 not_found
    │   └── UnknownSite         404 unknown_site           (ws 4003)
    ├── Conflict                409 conflict
    │   └── AtCapacity          409 at_capacity
    ├── FileTooLarge            413 file_too_large
    ├── FileTypeNotAllowed      415 file_type_not_allowed
    ├── TooManyRequests         429 (retry_after)
    │   ├── TooManyAttempts     429 too_many_attempts
    │   └── RateLimited         429 rate_limited
    └── SmtpFailed              502 smtp_failed (the mail server's reason)
"""

from __future__ import annotations

from typing import Any


class HelplineError(Exception):
    code = "error"
    status = 400
    close_code: int | None = None
    default_message = "Something went wrong."

    def __init__(self, message: str | None = None, *, field: str | None = None) -> None:
        self.message = message or self.default_message
        self.field = field
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        return body


def invalid_field_of(error: Any, prefix: str = "") -> InvalidField:
    """The first problem of a pydantic `ValidationError`, as an `invalid_field` naming it."""
    problem = error.errors()[0]
    field = ".".join([prefix] * bool(prefix) + [str(part) for part in problem.get("loc", ())])
    return InvalidField(f"{field or 'value'}: {problem.get('msg', 'invalid')}", field=field or None)


class BadRequest(HelplineError):
    code, status = "malformed_request", 400
    default_message = "The request is not a JSON object."


class UnknownFrameType(HelplineError):
    code, status = "unknown_frame_type", 400
    default_message = "Unknown frame type."


class InvalidField(HelplineError):
    code, status = "invalid_field", 422
    default_message = "A field is missing or invalid."


class EmptyMessage(InvalidField):
    code = "empty_message"
    default_message = "A message cannot be empty."


class MessageTooLong(InvalidField):
    code = "message_too_long"
    default_message = "A message may have at most 5000 characters."


class NotAuthenticated(HelplineError):
    code, status, close_code = "not_authenticated", 401, 4001
    default_message = "Log in first."


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    default_message = "Wrong e-mail or password."


class InvalidToken(NotAuthenticated):
    code, close_code = "invalid_token", 4001
    default_message = "The visitor token is not valid."


class TokenExpired(NotAuthenticated):
    code, close_code = "token_expired", 4002
    default_message = "The visitor token has expired."


class CsrfFailed(HelplineError):
    code, status = "csrf_failed", 403
    default_message = "Missing or wrong X-CSRF-Token header."


class Forbidden(HelplineError):
    code, status = "forbidden", 403
    default_message = "Your role does not allow this."


class ChatUnavailable(Forbidden):
    """A banned visitor. Says nothing of a ban, and closes with 4003 so the widget stops
    rather than retrying."""

    code, close_code = "chat_unavailable", 4003
    default_message = "The chat is not available."


class NotFound(HelplineError):
    code, status = "not_found", 404
    default_message = "Not found."


class UnknownSite(NotFound):
    code, close_code = "unknown_site", 4003
    default_message = "No website inbox has this site key."


class Conflict(HelplineError):
    code, status = "conflict", 409
    default_message = "This conflicts with existing data."


class AtCapacity(Conflict):
    code = "at_capacity"
    default_message = "The agent already has as many conversations as their capacity allows."


class FileTooLarge(HelplineError):
    code, status = "file_too_large", 413
    default_message = "The file is too large."


class FileTypeNotAllowed(HelplineError):
    code, status = "file_type_not_allowed", 415
    default_message = "Files of this type cannot be sent: images, PDF, text and office documents can."


class TooManyRequests(HelplineError):
    code, status = "too_many_requests", 429

    def __init__(self, retry_after: float, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after + 0.999))

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "retry_after": self.retry_after}


class TooManyAttempts(TooManyRequests):
    code = "too_many_attempts"
    default_message = "Too many failed logins; try again later."


class RateLimited(TooManyRequests):
    code = "rate_limited"
    default_message = "Too many messages; slow down."


class SmtpFailed(HelplineError):
    """The account's mail server refused a message or could not be reached; the message
    says what it answered, so an admin can fix the settings."""

    code, status = "smtp_failed", 502
    default_message = "The mail server did not accept the message."
