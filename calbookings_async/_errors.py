"""The exception tree of the SDK, and the table that picks a class from an HTTP status.

Every error the SDK raises is a :class:`CalError`::

    CalError                        .may_have_been_applied
    ├── InvalidArgumentError        a bad argument, refused before anything is sent (.argument)
    ├── TransportError              no HTTP response: connect, write or read failure
    │   ├── RequestTimeout          no complete response within the timeout
    │   └── ClientClosedError       the client (or the caller's aiohttp session) is closed
    ├── APIStatusError              .status_code .code .message .details .request_id .method .url
    │   ├── BadRequestError         400
    │   ├── AuthenticationError     401
    │   ├── PermissionDeniedError   403
    │   ├── NotFoundError           404
    │   ├── ConflictError           409
    │   ├── UnprocessableEntityError 422
    │   ├── RateLimitError          429 (.retry_after, .rate_limits)
    │   ├── TokenExpiredError       498
    │   └── ServerError             5xx
    └── DecodeError                 a 2xx body that does not fit the model (.path names where)

Classes are chosen by HTTP status, never by the body's ``code`` (Cal.com puts an exception class
name there). ``may_have_been_applied`` is the one flag a caller needs after a failed write: when
it is true the server may have carried the request out, so the caller should reconcile (read the
state back) before trying again. No error message ever contains a credential: errors are built
from the method, the URL (which never carries credentials) and the server's own words.

This module imports only from ``_types``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

__all__ = [
    "STATUS_ERRORS",
    "APIStatusError",
    "AuthenticationError",
    "BadRequestError",
    "CalError",
    "ClientClosedError",
    "ConflictError",
    "DecodeError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimit",
    "RateLimitError",
    "RequestTimeout",
    "ServerError",
    "TokenExpiredError",
    "TransportError",
    "UnprocessableEntityError",
    "error_for_status",
]


@attrs.frozen(kw_only=True)
class RateLimit:
    """One named rate limit as the server last reported it.

    Cal.com sends a triplet of headers per limit, ``X-RateLimit-{Limit,Remaining,Reset}-<Name>``.
    ``reset`` is in seconds from the moment the response was observed (not an epoch).

    Attributes:
        name: The limit's name, the header suffix in lower case (``"default"`` for
            ``X-RateLimit-Limit-Default``, ``"booking_guests_add"``).
        limit: Requests allowed per window, or ``None`` if the header was absent or unreadable.
        remaining: Requests left in the current window (0 while blocked), or ``None``.
        reset: Seconds until the window (or the block) ends, or ``None``.
        observed_at: The client clock's monotonic time when the response arrived.
    """

    name: str
    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None
    observed_at: float = 0.0

    @property
    def resets_at(self) -> float | None:
        """Monotonic time at which the window or block ends, if ``reset`` is known."""
        return None if self.reset is None else self.observed_at + self.reset


class CalError(Exception):
    """Base class of every error raised by the SDK."""

    #: True when the server may have carried out the request although no success came back,
    #: on this attempt or on an earlier attempt of the same call (a retried cancel whose first
    #: attempt was applied ends with a 400 "already cancelled" that still says so). Repeating
    #: such a request may apply it twice; read the state back first.
    may_have_been_applied: bool = False
    #: How many attempts were made before this error was raised.
    attempts: int = 1
    #: Whether an earlier attempt of the same call (not this one) may have been applied.
    earlier_attempt_may_have_applied: bool = False

    def _render(self) -> str:
        """The message, from the error's attributes (subclasses that render override it)."""
        return str(self.args[0]) if self.args else ""

    def _decided(self, *, this_attempt: bool, earlier_attempt: bool, attempts: int) -> None:
        """Set the outcome of the call this error ends, once, and render the message again.

        Called by the session with what the retry table decided (``_retry.may_have_applied``):
        whether this attempt may have been applied, whether an earlier one may have been (a
        retried cancel whose first attempt was applied ends with a 400 "already cancelled"),
        and how many attempts were made.
        """
        self.attempts = attempts
        self.earlier_attempt_may_have_applied = earlier_attempt and not this_attempt
        self.may_have_been_applied = this_attempt or earlier_attempt
        self.args = (self._render(), *self.args[1:])

    def _applied_tail(self) -> str:
        if self.earlier_attempt_may_have_applied:
            return (
                "; an earlier attempt may have been applied, read the state back before "
                "repeating it"
            )
        if self.may_have_been_applied:
            return (
                "; the server may have applied the request, read the state back before repeating it"
            )
        return ""

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword-only arguments, which Exception's default pickling cannot
        # replay; rebuild from the message and the attributes instead.
        return (_rebuild_error, (type(self), self.args, dict(self.__dict__)))


class InvalidArgumentError(CalError, ValueError):
    """An argument was refused before any request was sent.

    Attributes:
        argument: The name of the argument (or ``argument.field``) at fault.
    """

    def __init__(self, argument: str, problem: str) -> None:
        self.argument = argument
        self.problem = problem
        super().__init__(f"{argument}: {problem}")


class TransportError(CalError):
    """No HTTP response came back: the connection failed, broke or timed out.

    Attributes:
        method: The HTTP method of the request.
        url: The URL of the request.
        request_sent: Whether the request may have reached the server (false when the
            connection could not be made, or the request was provably never written).
        may_have_been_applied: Whether the server may have carried the request out, on this
            attempt or an earlier one of the same call.
        attempts: How many attempts were made before giving up.
        request_id: The ``X-Request-Id`` the SDK sent, to find the request in proxy logs.
        reason: What went wrong, without the request's context.
    """

    #: Set by the transport when no further attempt can help (a refused TLS certificate).
    permanent: bool = False

    def __init__(
        self,
        message: str,
        *,
        method: str = "",
        url: str = "",
        request_sent: bool = False,
        attempts: int = 1,
        request_id: str | None = None,
    ) -> None:
        self.method = method
        self.url = url
        self.request_sent = request_sent
        self.may_have_been_applied = request_sent
        self.attempts = attempts
        self.request_id = request_id
        self.reason = message
        super().__init__(self._render())

    def _render(self) -> str:
        where = f" ({self.method} {self.url}" if self.method else ""
        if where and self.request_id:
            where += f", request id {self.request_id}"
        where += ")" if where else ""
        return f"{self.reason}{where}{self._applied_tail()}"


class RequestTimeout(TransportError):
    """No complete response arrived within the configured timeout."""


class ClientClosedError(TransportError):
    """The client, or the ``aiohttp.ClientSession`` it was given, was closed.

    Raised for calls made after ``aclose()`` (``may_have_been_applied`` false) and for calls
    cut off by it (true). Never retried: every further attempt would fail the same way.
    """


class APIStatusError(CalError):
    """The server answered with a non-success status.

    Attributes:
        status_code: The HTTP status.
        code: The error envelope's ``code`` (often an exception class name such as
            ``"NotFoundException"``), or ``None``.
        message: The server's human message, or a readable summary of a non-JSON body.
        details: The envelope's ``details`` as sent (object, list or string), or ``None``.
        request_id: The ``X-Request-Id`` response header, or ``None``.
        method: The HTTP method of the request.
        url: The URL of the request.
        rate_limits: The rate limits reported on this response, by name.
        attempts: How many attempts were made before giving up.
    """

    def __init__(
        self,
        *,
        status_code: int,
        message: str,
        code: str | None = None,
        details: Any = None,
        request_id: str | None = None,
        method: str = "",
        url: str = "",
        rate_limits: Mapping[str, RateLimit] | None = None,
        may_have_been_applied: bool = False,
        attempts: int = 1,
    ) -> None:
        self.status_code = status_code
        self.code = code
        self.message = message
        self.details = details
        self.request_id = request_id
        self.method = method
        self.url = url
        self.rate_limits: Mapping[str, RateLimit] = dict(rate_limits or {})
        #: The path the error envelope says it answers (``"path"``), if it names one.
        self.answered_path: str | None = None
        #: Whether the answer came on a kept-alive connection that had carried an earlier one.
        self.reused_connection = False
        self.may_have_been_applied = may_have_been_applied
        self.attempts = attempts
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"HTTP {self.status_code}"
        if self.code:
            head += f" {self.code}"
        text = f"{head}: {self.message}"
        context = [f"{self.method} {self.url}"] if self.method else []
        if self.request_id:
            context.append(f"request id {self.request_id}")
        if context:
            text += f" ({', '.join(context)})"
        return text + self._applied_tail()


class BadRequestError(APIStatusError):
    """HTTP 400: the server refused the request as malformed or not allowed."""


class AuthenticationError(APIStatusError):
    """HTTP 401: missing, unknown or expired credentials."""


class PermissionDeniedError(APIStatusError):
    """HTTP 403: the credentials may not do this."""


class NotFoundError(APIStatusError):
    """HTTP 404: no such booking (or route)."""


class ConflictError(APIStatusError):
    """HTTP 409: the request conflicts with the current state (for example, no seats left)."""


class UnprocessableEntityError(APIStatusError):
    """HTTP 422: the request is well formed but cannot be processed."""


class RateLimitError(APIStatusError):
    """HTTP 429: the credential is over one of its rate limits.

    Attributes:
        retry_after: Seconds to wait before the server will accept a request again (the largest
            ``X-RateLimit-Reset-<Name>``, or ``Retry-After``), or ``None`` if not reported.
    """

    def __init__(self, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(**kwargs)

    def _render(self) -> str:
        text = super()._render()
        if self.retry_after is not None:
            text += f"; retry after {self.retry_after:g} s"
        return text


class TokenExpiredError(APIStatusError):
    """HTTP 498: the managed-user access token has expired; refresh it."""


class ServerError(APIStatusError):
    """HTTP 5xx: the server (or a proxy in front of it) failed."""


class DecodeError(CalError):
    """A success response whose body is not the JSON the SDK expects.

    The request itself succeeded: a write has been applied even though its result could not be
    read.

    ``may_have_been_applied`` is always true: the server answered with success.

    Attributes:
        path: Where in the body the problem is, as a JSONPath (``$.data.attendees[0].email``).
        reason: What is wrong there.
        status_code: The HTTP status of the response, if known.
        request_id: The ``X-Request-Id`` response header, if known.
        method: The HTTP method of the request, if known.
        url: The URL of the request, if known.
    """

    may_have_been_applied = True

    def __init__(
        self,
        path: str,
        reason: str,
        *,
        status_code: int | None = None,
        request_id: str | None = None,
        method: str = "",
        url: str = "",
    ) -> None:
        self.path = path
        self.reason = reason
        self.status_code = status_code
        self.request_id = request_id
        self.method = method
        self.url = url
        text = f"unexpected response body at {path}: {reason}"
        context = [f"{method} {url}"] if method else []
        if status_code is not None:
            context.append(f"HTTP {status_code}")
        if request_id:
            context.append(f"request id {request_id}")
        if context:
            text += f" ({', '.join(context)})"
        super().__init__(text)


def _rebuild_error(cls: type[CalError], args: tuple[Any, ...], state: dict[str, Any]) -> CalError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


#: HTTP status -> error class. Statuses not listed map to :class:`ServerError` (5xx) or
#: :class:`APIStatusError` (anything else).
STATUS_ERRORS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
    498: TokenExpiredError,
}


def error_for_status(status_code: int) -> type[APIStatusError]:
    """Return the error class for an HTTP status.

    Args:
        status_code: The response's HTTP status.

    Returns:
        The class from :data:`STATUS_ERRORS`, :class:`ServerError` for any 5xx, else
        :class:`APIStatusError`.
    """
    cls = STATUS_ERRORS.get(status_code)
    if cls is not None:
        return cls
    if 500 <= status_code <= 599:
        return ServerError
    return APIStatusError


class AnswerMismatch(DecodeError):
    """A success answer that is about something other than what the request asked for.

    Raised by an endpoint's decoder when, say, the booking in ``data`` has another uid than the
    one in the path: the connection delivered an answer that belongs to another request (a
    proxy or server wrote an unsolicited response on a kept-alive connection). The session
    turns it into a :class:`TransportError` with ``may_have_been_applied`` true and drops the
    connection; it is never raised to callers.
    """
