"""Redis (or Valkey) for many machines: one rate budget (:class:`RedisPacer`) and one write
journal (:class:`RedisJournal`) shared by every process that reaches it.

Install the extra, ``pip install 'calbookings-async[redis]'`` (redis-py >= 5), then::

    from calbookings_async import CalBookings
    from calbookings_async.redis import RedisPacer

    async with RedisPacer.from_url("redis://cache:6379/0") as pacer:
        async with CalBookings(pacing=pacer) as cal:
            ...

Any client with the ``redis.asyncio`` API works (``RedisPacer(client=...)``: Valkey's
client, a cluster client, a client you configured with TLS and credentials). The pacer keeps
one record per credential, under the key ``<prefix>:{<credential digest>}:pacer`` (one hash
tag per credential, so Redis Cluster keeps it on one shard), and uses Redis ``TIME`` as the one
clock of all processes. No Redis module is needed, so managed Redis works.

The journal keeps one entry per idempotency key under ``<prefix>:{journal}:<key>``, with
Redis ``TIME`` as the clock of its leases and ``PEXPIRE`` for its retention::

    from calbookings_async.redis import RedisJournal

    async with RedisJournal.from_url("redis://cache:6379/0") as journal:
        async with CalBookings(journal=journal) as cal:
            await cal.bookings.create(booking, idempotency_key=job.id)

Imports ``_journal``, ``_shared_pacer``, ``_stores``, ``_errors``; the ``redis`` package only in
the ``from_url`` constructors.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ._errors import InvalidArgumentError
from ._journal import RETENTION, StoreJournal
from ._shared_pacer import SharedPacer
from ._stores import RedisStore

__all__ = ["RedisJournal", "RedisPacer", "RedisStore"]


class RedisPacer(SharedPacer):
    """A shared pacer whose windows live in Redis: one budget for every process that uses it.

    Args:
        client: A ``redis.asyncio.Redis`` (or any client with its ``register_script`` API).
            The pacer closes it in :meth:`aclose` only when it made it (:meth:`from_url`).
        prefix: Prepended to every key.
        timeout: Seconds one round trip to Redis may take before the store counts as down.
        **options: ``limit``, ``window``, ``clock``, ``in_flight_ttl``, ``fallback``
            (``"local"``, the default, or ``"wait"``), ``max_wait``, ``flush_after``,
            ``take_ahead``: see :class:`~calbookings_async.FilePacer`.

    Raises:
        InvalidArgumentError: ``client`` is not a Redis client, or an option is malformed.
    """

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "calbookings",
        timeout: float = 1.0,
        description: str | None = None,
        _owns_client: bool = False,
        **options: Any,
    ) -> None:
        if not callable(getattr(client, "register_script", None)):
            raise InvalidArgumentError(
                "client", f"expected a redis.asyncio client, got {type(client).__name__}"
            )
        if not isinstance(prefix, str) or not prefix or "{" in prefix or "}" in prefix:
            raise InvalidArgumentError("prefix", f"expected a non-empty key prefix, got {prefix!r}")
        name = description or "redis"

        def make_store(credential_id: str) -> RedisStore:
            return RedisStore(
                client,
                prefix=prefix,
                namespace=credential_id,
                timeout=timeout,
                owns_client=_owns_client,
                description=name,
            )

        super().__init__(make_store, description=name, **options)
        self._client = client
        self._owns_client = _owns_client

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisPacer:
        """A pacer on the Redis at ``url`` (``redis://``, ``rediss://`` or ``unix://``).

        Nothing is sent until the first request: an unreachable Redis is met then, and
        handled by ``fallback``.

        Args:
            url: The Redis URL (a password in it is never logged or shown).
            **options: As for :class:`RedisPacer`.

        Raises:
            InvalidArgumentError: The URL is malformed, or the ``redis`` package is missing.
        """
        client, where = _client_from_url(url, "RedisPacer")
        options.setdefault("description", where)
        return cls(client, _owns_client=True, **options)

    async def aclose(self) -> None:
        """Stop the pump; close the client if :meth:`from_url` made it."""
        store = self._store
        await super().aclose()
        if store is None and self._owns_client:
            await self._client.aclose()


class RedisJournal(StoreJournal):
    """A write journal in Redis: every worker on every machine shares its idempotency keys.

    Claiming a key is one Lua script, so of two workers with the same key at the same moment
    exactly one sends and the other waits for its outcome. Leases run on Redis ``TIME``, and
    entries expire ``retention`` seconds after their last change (Redis deletes them).

    Args:
        client: A ``redis.asyncio.Redis`` (or any client with its ``register_script`` API). The
            journal closes it in :meth:`aclose` only when it made it (:meth:`from_url`).
        prefix: Prepended to every key (entries are ``<prefix>:{journal}:<key>``).
        retention: Seconds an entry is kept after its last change (default: 7 days).
        timeout: Seconds one round trip may take before the call fails with
            ``StoreUnavailable`` (nothing is sent when the journal cannot be reached).

    Raises:
        InvalidArgumentError: ``client`` is not a Redis client, or an option is malformed.
    """

    def __init__(
        self,
        client: Any,
        *,
        prefix: str = "calbookings",
        retention: float = RETENTION,
        timeout: float = 1.0,
        description: str = "redis",
        _owns_client: bool = False,
    ) -> None:
        if not isinstance(prefix, str) or not prefix or "{" in prefix or "}" in prefix:
            raise InvalidArgumentError("prefix", f"expected a non-empty key prefix, got {prefix!r}")
        store = RedisStore(
            client,
            prefix=prefix,
            namespace="journal",
            timeout=timeout,
            owns_client=_owns_client,
            description=description,
        )
        super().__init__(store, retention=retention)

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisJournal:
        """A journal on the Redis at ``url`` (``redis://``, ``rediss://`` or ``unix://``).

        Args:
            url: The Redis URL (a password in it is never logged or shown).
            **options: As for :class:`RedisJournal`.

        Raises:
            InvalidArgumentError: The URL is malformed, or the ``redis`` package is missing.
        """
        client, where = _client_from_url(url, "RedisJournal")
        options.setdefault("description", where)
        return cls(client, _owns_client=True, **options)


def _client_from_url(url: str, who: str) -> tuple[Any, str]:
    """A ``redis.asyncio`` client for ``url`` and the store's description (no password)."""
    try:
        import redis.asyncio as redis_asyncio
    except ImportError:
        raise InvalidArgumentError(
            "url", f"{who} needs redis-py: pip install 'calbookings-async[redis]'"
        ) from None
    if not isinstance(url, str):
        raise InvalidArgumentError("url", f"expected a string, got {type(url).__name__}")
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss", "unix"):
        raise InvalidArgumentError(
            "url", f"expected a redis://, rediss:// or unix:// URL, got scheme {parts.scheme!r}"
        )
    try:
        port = parts.port
        client = redis_asyncio.Redis.from_url(url, socket_connect_timeout=1.0)
    except ValueError as problem:
        raise InvalidArgumentError("url", f"not a usable Redis URL ({problem})") from None
    where = parts.path if parts.scheme == "unix" else f"{parts.hostname}:{port or 6379}"
    return client, f"redis at {where}"
