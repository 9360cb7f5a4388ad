"""How a client authenticates: the kinds of credential, their rules, their headers, and refresh.

Cal.com accepts three kinds of credential (docs/API-NOTES.md §6): an API key (``cal_...``) or a
managed user's access token, both sent as ``Authorization: Bearer``, and a platform OAuth
client's id and secret (``x-cal-client-id`` / ``x-cal-secret-key``). :func:`credentials_from`
checks what the caller gave (exactly one kind, well formed; the API key from ``CAL_API_KEY`` when
nothing is given) without ever echoing a secret in an error. :class:`Auth` holds the current
headers and refreshes an expired access token (HTTP 498) once, however many calls saw it expire.

Secrets are :class:`~calbookings_async._types.Redacted` strings from the moment the SDK receives
them, so no repr, log line or traceback rendered with its frames' locals shows one.

This module imports ``_validate``, ``_errors`` and ``_types``.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import attrs

from ._errors import InvalidArgumentError, TokenExpiredError
from ._types import Redacted, redacted
from ._validate import check_str

__all__ = ["API_KEY_PREFIX", "Auth", "Credentials", "RefreshToken", "credentials_from"]

#: An async callable returning a new access token.
RefreshToken = Callable[[], Awaitable[str]]

API_KEY_PREFIX = "cal_"

CredentialKind = Literal["api_key", "access_token", "client_credentials"]


@attrs.frozen(kw_only=True, repr=False)
class Credentials:
    """How the client authenticates. The secret values never appear in the repr.

    Attributes:
        kind: ``"api_key"``, ``"access_token"`` or ``"client_credentials"``.
        token: The API key or access token (Bearer), if any.
        client_id: The OAuth client id (``x-cal-client-id``), if any.
        secret_key: The OAuth client secret (``x-cal-secret-key``), if any.
    """

    kind: CredentialKind
    token: str | None = None
    client_id: str | None = None
    secret_key: str | None = None

    def headers(self) -> dict[str, str]:
        """The auth headers for these credentials (secrets as :class:`Redacted` strings)."""
        if self.kind == "client_credentials":
            assert self.client_id is not None
            assert self.secret_key is not None
            return {
                "x-cal-client-id": self.client_id,
                "x-cal-secret-key": Redacted(self.secret_key),
            }
        return {"Authorization": Redacted(f"Bearer {self.token}")}

    @property
    def identity(self) -> str:
        """A hex digest naming this credential without revealing it (for shared rate budgets).

        The same credential gives the same digest in every process; the digest cannot be turned
        back into the credential. A refreshed access token belongs to the same user but gets
        another digest, as Cal.com counts limits per token.
        """
        secret = self.token if self.kind != "client_credentials" else self.secret_key
        material = f"calbookings:{self.kind}:{self.client_id or ''}:{secret or ''}"
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def __repr__(self) -> str:
        return f"Credentials(kind={self.kind!r})"


def credentials_from(
    *,
    api_key: str | None,
    access_token: str | None,
    client_id: str | None,
    secret_key: str | None,
) -> Credentials:
    """Check the credentials a caller gave and return them.

    Args:
        api_key: A Cal.com API key, or ``None`` to read the ``CAL_API_KEY`` environment
            variable when no other kind is given.
        access_token: A managed user's access token.
        client_id: A platform OAuth client's id; needs ``secret_key``.
        secret_key: That client's secret.

    Raises:
        InvalidArgumentError: None given, more than one kind, or a malformed value (the value
            itself is never part of the message).
    """
    api_key, access_token, secret_key = (
        redacted(api_key),
        redacted(access_token),
        redacted(secret_key),
    )
    given = [
        name
        for name, value in (
            ("api_key", api_key),
            ("access_token", access_token),
            ("client_id", client_id),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise InvalidArgumentError(
            given[1], f"give one kind of credential, not both {given[0]} and {given[1]}"
        )
    if client_id is not None or secret_key is not None:
        if client_id is None:
            raise InvalidArgumentError("client_id", "secret_key needs a client_id")
        if secret_key is None:
            raise InvalidArgumentError("secret_key", "client_id needs a secret_key")
        check_str("client_id", client_id)
        _check_secret("secret_key", secret_key)
        return Credentials(kind="client_credentials", client_id=client_id, secret_key=secret_key)
    if access_token is not None:
        _check_secret("access_token", access_token)
        return Credentials(kind="access_token", token=access_token)
    if api_key is None:
        # Read in place: no frame holds os.environ (CAL_API_KEY is in it) as a local.
        api_key = redacted(os.environ.get("CAL_API_KEY"))
        if api_key is None:
            raise InvalidArgumentError(
                "api_key",
                "no credentials: pass api_key=, access_token= or client_id= and secret_key=, "
                "or set the CAL_API_KEY environment variable",
            )
    _check_secret("api_key", api_key)
    if not api_key.startswith(API_KEY_PREFIX):
        raise InvalidArgumentError("api_key", f"a Cal.com API key starts with {API_KEY_PREFIX!r}")
    return Credentials(kind="api_key", token=api_key)


def _check_secret(argument: str, value: Any) -> None:
    # The value itself is never echoed back in the error.
    if not isinstance(value, str):
        raise InvalidArgumentError(argument, f"expected a string, got {type(value).__name__}")
    if not value.strip():
        raise InvalidArgumentError(argument, "must not be empty")
    if any(ch in value for ch in "\r\n\x00") or value != value.strip():
        raise InvalidArgumentError(argument, "must not contain whitespace or control characters")


class Auth:
    """The current credentials of one client, and the refresh of an expired access token.

    A call notes :attr:`generation` before it sends. When the server answers 498, the call
    asks :meth:`refresh` with that number: the first such call runs the caller's
    ``refresh_token`` callback; calls whose requests went out before that refresh share its
    outcome (the new token, or its failure) without calling back again.

    Args:
        credentials: The checked credentials.
        refresh_token: The caller's async callable returning a new access token, if any.

    Raises:
        InvalidArgumentError: ``refresh_token`` is not callable, or given for credentials
            other than an access token.
    """

    def __init__(self, credentials: Credentials, refresh_token: RefreshToken | None) -> None:
        if refresh_token is not None:
            if not callable(refresh_token):
                raise InvalidArgumentError("refresh_token", "must be an async callable")
            if credentials.kind != "access_token":
                raise InvalidArgumentError(
                    "refresh_token", "only applies to access_token credentials"
                )
        self.credentials = credentials
        self._refresh = refresh_token
        self._lock = asyncio.Lock()
        #: Bumped by every refresh, successful or failed.
        self.generation = 0
        self._problem: BaseException | None = None

    @property
    def can_refresh(self) -> bool:
        """Whether an expired token can be refreshed (a ``refresh_token`` callback was given)."""
        return self._refresh is not None

    def expired_hint(self) -> str:
        """What to tell a caller whose token expired and cannot be refreshed."""
        if self.credentials.kind == "access_token":
            return (
                "the access token expired; pass refresh_token= (an async function returning a new "
                "token) to CalBookings to have it refreshed and the request repeated"
            )
        return "the server says the credential expired"

    async def refresh(self, generation: int, error: TokenExpiredError) -> None:
        """Get a new access token once, however many calls saw the old one expire.

        Args:
            generation: :attr:`generation` when the call sent the request that got the 498.
            error: That 498, raised (with the cause chained) when the refresh fails.

        Raises:
            TokenExpiredError: The callback raised, or returned something that is not a usable
                token.
        """
        assert self._refresh is not None
        async with self._lock:
            if generation != self.generation:
                # A refresh ran since this call's request went out: share its outcome.
                if self._problem is None:
                    return
                raise error from self._problem
            try:
                token = redacted(await self._refresh())
            except Exception as problem:
                self._done(problem)
                raise error from problem
            try:
                check_str("refresh_token", token)
            except InvalidArgumentError as unusable:
                refused = InvalidArgumentError(
                    "refresh_token",
                    f"the callback returned no usable access token: {unusable.problem}",
                )
                self._done(refused)
                raise error from refused
            self.credentials = attrs.evolve(self.credentials, token=token)
            self._done(None)

    def _done(self, problem: BaseException | None) -> None:
        self.generation += 1
        self._problem = problem

    def __repr__(self) -> str:
        # Safe on a half-built object too (a traceback rendering __init__'s locals calls it).
        return f"Auth({getattr(self, 'credentials', None)!r})"
