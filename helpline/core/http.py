"""HTTP edge helpers: errors as `{"error": {...}}` bodies, and the shared dependencies."""

from __future__ import annotations

import httpx

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from helpline.core.errors import BadRequest, HelplineError, InvalidField, TooManyRequests
from helpline.core.runtime import Services


def error_response(error: HelplineError) -> JSONResponse:
    headers = {}
    if isinstance(error, TooManyRequests):
        headers["Retry-After"] = str(error.retry_after)
    return JSONResponse({"error": error.to_dict()}, status_code=error.status, headers=headers)


def _validation_error(exc: RequestValidationError) -> HelplineError:
    for problem in exc.errors():
        location = [str(part) for part in problem.get("loc", ()) if part != "body"]
        if problem.get("type") == "json_invalid" or (
            not location and problem.get("type") in {"model_attributes_type", "dict_type", "missing"}
        ):
            return BadRequest()
        field = ".".join(location) or None
        return InvalidField(f"{field or 'request'}: {problem.get('msg', 'invalid')}", field=field)
    return BadRequest()


def install_error_handlers(app: FastAPI) -> None:
    async def on_helpline_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HelplineError)
        return error_response(exc)

    async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(_validation_error(exc))

    app.add_exception_handler(HelplineError, on_helpline_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)


def get_services(request: Request) -> Services:
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]


def client_ip(scope_client: Any, headers: Any, trust_proxy: bool = False) -> str | None:
    if trust_proxy:
        forwarded = headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return scope_client.host if scope_client else None


_OUTBOUND: httpx.AsyncClient | None = None


def outbound_client() -> httpx.AsyncClient:
    """The process's one client for calls to other services (channel APIs, webhooks), with
    connections pooled across calls; 30 s per step unless a call says otherwise."""
    global _OUTBOUND
    if _OUTBOUND is None or _OUTBOUND.is_closed:
        _OUTBOUND = httpx.AsyncClient(timeout=30.0, follow_redirects=False)
    return _OUTBOUND
