"""From an HTTP response to a result or a typed error: the API's envelopes, read in one place.

Cal.com answers ``{"status": "success", "data": ...}`` on success and ``{"status": "error",
"error": {"code", "message", "details"}}`` on failure (docs/API-NOTES.md §7); proxies and Nest's
defaults answer other bodies (an HTML page, ``{"statusCode", "message"}``). :func:`read_answer`
turns a response into what the endpoint's decoder makes of its envelope, or raises the error it
is; a success status whose body is the error envelope is an error too (the class follows the
status). :func:`error_from` builds that error; it is the one place an ``APIStatusError`` is made
from a response.

An answer must be the answer to the request just sent (a server or proxy that writes an answer
nobody asked for on a kept-alive connection would otherwise hand one request another's result).
A success answer is checked by the endpoint's decoder (the booking's uid, say); an error answer
is checked here: Cal.com's error envelope names the path it answers (``"path"``), and one that
names another path raises ``AnswerMismatch``.

This module imports ``_ratelimit``, ``_errors`` and ``_types``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import orjson

from ._errors import AnswerMismatch, APIStatusError, DecodeError, RateLimitError, error_for_status
from ._ratelimit import Reported, largest_reset, parse_retry_after, to_public
from ._types import JSONObject, RawResponse

__all__ = ["decode_error", "error_from", "read_answer", "readable"]

T = TypeVar("T")

# Scripts, style sheets and comments are not text a reader wants (a CDN's error page is mostly
# CSS); one cut off by the read limit runs to the end.
_INVISIBLE = re.compile(
    r"<(script|style)\b[^>]*>(?:.*?</\1\s*>|.*\Z)|<!--(?:.*?-->|.*\Z)", re.IGNORECASE | re.DOTALL
)
_TAGS = re.compile(r"<[^>]*>")
_SPACES = re.compile(r"[\s\x00-\x1f\x7f]+")


def read_answer(
    response: RawResponse,
    method: str,
    url: str,
    decode: Callable[[JSONObject], T],
    reported: Reported | None,
    observed_at: float,
) -> T:
    """What ``decode`` makes of a success envelope, or the error the response is.

    Raises:
        APIStatusError: An error status, or a success status carrying the error envelope (a
            subclass by status).
        DecodeError: A success status whose body is too large, not JSON, not an object, or not
            what ``decode`` expects (an ``AnswerMismatch`` when it is about another request).
    """
    status = response.status
    envelope: Any = None
    if 200 <= status < 300:
        if response.too_large is not None:
            raise decode_error(
                response,
                method,
                url,
                f"the response body ({response.too_large:,} bytes or more) is larger than "
                "max_response_bytes; it was not read",
            )
        try:
            envelope = orjson.loads(response.body)
        except orjson.JSONDecodeError as problem:
            raise decode_error(
                response,
                method,
                url,
                f"not valid JSON ({problem}): {readable(response.body, '')!r}",
            ) from None
        if type(envelope) is not dict:
            raise decode_error(response, method, url, "expected a JSON object envelope")
        if envelope.get("status") != "error":
            try:
                return decode(envelope)
            except DecodeError as error:
                # The decoder knows where in the body; this knows which response.
                raise type(error)(
                    error.path,
                    error.reason,
                    status_code=status,
                    request_id=response.header("X-Request-Id"),
                    method=method,
                    url=url,
                ) from None
    failure = error_from(
        response,
        method=method,
        url=url,
        envelope=envelope,
        reported=reported,
        observed_at=observed_at,
    )
    answered = failure.answered_path
    if answered is not None and not _same_path(answered, url):
        raise AnswerMismatch("$.path", f"an error about {answered!r}, not this request's path")
    raise failure


def error_from(
    response: RawResponse,
    *,
    method: str,
    url: str,
    envelope: Any = None,
    reported: Reported | None,
    observed_at: float,
) -> APIStatusError:
    """The typed error an error response (or a success carrying the error envelope) is.

    Args:
        response: The response.
        method: The request's method.
        url: The request's URL.
        envelope: The body already parsed, if it was; otherwise it is parsed here.
        reported: The response's rate-limit report.
        observed_at: When the response arrived (the client clock's monotonic time).
    """
    if envelope is None and response.body:
        try:
            envelope = orjson.loads(response.body)
        except orjson.JSONDecodeError:
            envelope = None
    code, message, details = _error_fields(envelope)
    answered = envelope.get("path") if isinstance(envelope, dict) else None
    if not message:
        if response.too_large is not None:
            message = f"{response.reason}: the error body was too large to read"
        else:
            message = readable(response.body, response.reason)
    status = response.status
    fields: dict[str, Any] = {
        "status_code": status,
        "message": message,
        "code": code,
        "details": details,
        "request_id": response.header("X-Request-Id"),
        "method": method,
        "url": url,
        "rate_limits": to_public(reported, observed_at),
    }
    cls = error_for_status(status)
    if cls is RateLimitError:
        retry_after = largest_reset(reported)
        if retry_after is None:
            retry_after = parse_retry_after(response.header("Retry-After"))
        error: APIStatusError = RateLimitError(retry_after=retry_after, **fields)
    else:
        error = cls(**fields)
    error.answered_path = answered if isinstance(answered, str) else None
    error.reused_connection = response.reused
    return error


def _same_path(answered: str, url: str) -> bool:
    """Whether the path an error envelope names is the path of ``url``.

    The server names the path it received (its query left out here); behind a proxy that
    strips a prefix of the base URL it is a suffix of ours.
    """
    ours = urlsplit(url).path
    theirs = answered.split("?", 1)[0]
    return bool(theirs) and ours.endswith(theirs)


def _error_fields(envelope: Any) -> tuple[str | None, str | None, Any]:
    """(code, message, details) from Cal.com's error envelope or Nest's default error body."""
    if not isinstance(envelope, dict):
        return None, None, None
    inner = envelope.get("error")
    if isinstance(inner, dict):
        code = inner.get("code")
        return (
            (code if isinstance(code, str) else None),
            _text(inner.get("message")),
            inner.get("details"),
        )
    # Nest's default body: {"statusCode": 500, "message": "Internal server error"}
    code = envelope["error"] if isinstance(envelope.get("error"), str) else None
    return code, _text(envelope.get("message")), None


def decode_error(
    response: RawResponse, method: str, url: str, reason: str, path: str = "$"
) -> DecodeError:
    """A :class:`DecodeError` about ``response`` as a whole."""
    return DecodeError(
        path,
        reason,
        status_code=response.status,
        request_id=response.header("X-Request-Id"),
        method=method,
        url=url,
    )


def readable(body: bytes, reason: str) -> str:
    """A one-line summary of a non-JSON body (an HTML page from a proxy, say)."""
    text = body[:65536].decode("utf-8", "replace")
    text = html.unescape(_TAGS.sub(" ", _INVISIBLE.sub(" ", text)))
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return reason or "no response body"
    if len(text) > 200:
        text = text[:197] + "..."
    return f"{reason}: {text}" if reason and not text.startswith(reason) else text


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return "; ".join(value)  # class-validator's default: a list of messages
    return None
