"""The emulator's error type and Cal.com's error envelope.

The live API answers every NestJS ``HttpException`` through ``HttpExceptionFilter`` with
``{"status": "error", "timestamp", "path", "error": {"code", "message", "details"}}`` where ``code``
is the exception class name (API-NOTES §7). Handlers raise :class:`ApiError`; the server turns it
into that envelope. This module knows nothing of aiohttp or of the rest of ``calbookings_async``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "REASONS",
    "ApiError",
    "bad_request",
    "conflict",
    "envelope",
    "forbidden",
    "not_found",
    "unauthorized",
    "validation_error",
]

#: HTTP reason phrases as NestJS puts them in ``details.error``.
REASONS: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    498: "Token Expired",
    500: "Internal Server Error",
}

_CODES: dict[int, str] = {
    400: "BadRequestException",
    401: "UnauthorizedException",
    403: "ForbiddenException",
    404: "NotFoundException",
    409: "ConflictException",
    422: "UnprocessableEntityException",
}

_UNSET: Any = object()


class ApiError(Exception):
    """An HTTP error the emulator answers with Cal.com's error envelope.

    Attributes:
        status: The HTTP status code.
        code: The exception class name Cal.com puts in ``error.code``.
        message: The human message (``error.message``).
        details: ``error.details``; by default NestJS's ``{"message", "error", "statusCode"}``.
        headers: Extra response headers (the rate-limit triplets of a 429, for example).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        code: str | None = None,
        details: Any = _UNSET,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code or _CODES.get(status, "HttpException")
        self.message = message
        if details is _UNSET:
            details = {
                "message": message,
                "error": REASONS.get(status, "Error"),
                "statusCode": status,
            }
        self.details = details
        self.headers = headers


def envelope(error: ApiError, *, path: str, timestamp: str) -> dict[str, Any]:
    """Build the JSON body of an error response.

    Args:
        error: The error to report.
        path: The request URL as the client sent it (path and raw query string).
        timestamp: The ISO 8601 time of the error.

    Returns:
        The ``{"status": "error", ...}`` envelope.
    """
    return {
        "status": "error",
        "timestamp": timestamp,
        "path": path,
        "error": {"code": error.code, "message": error.message, "details": error.details},
    }


def bad_request(message: str) -> ApiError:
    """A 400 ``BadRequestException`` with NestJS's default details."""
    return ApiError(400, message)


def not_found(message: str) -> ApiError:
    """A 404 ``NotFoundException`` with NestJS's default details."""
    return ApiError(404, message)


def unauthorized(message: str) -> ApiError:
    """A 401 ``UnauthorizedException`` with NestJS's default details."""
    return ApiError(401, message)


def forbidden(message: str) -> ApiError:
    """A 403 ``ForbiddenException`` with NestJS's default details."""
    return ApiError(403, message)


def conflict(message: str) -> ApiError:
    """A 409 ``ConflictException`` with NestJS's default details."""
    return ApiError(409, message)


def validation_error(errors: list[dict[str, Any]]) -> ApiError:
    """The 400 the global ``ValidationPipe`` raises: ``details`` is ``{"errors": [...]}``.

    Args:
        errors: class-validator ``ValidationError`` objects (``target``, ``value``, ``property``,
            ``children``, ``constraints``).
    """
    return ApiError(400, "Bad Request Exception", details={"errors": errors})
