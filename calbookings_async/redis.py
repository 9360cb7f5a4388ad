"""One rate budget for every process on every machine: the shared pacer on Redis (or Valkey).

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

Imports ``_shared_pacer``, ``_stores``, ``_errors``; the ``redis`` package only in
:meth:`RedisPacer.from_url`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ._errors import InvalidArgumentError
from ._shared_pacer import SharedPacer
from ._stores import RedisStore

__all__ = ["RedisPacer", "RedisStore"]


class RedisPacer(SharedPacer):
    """A shared pacer whose windows live in Redis: one budget for every process that uses it.

    Args:
        client: A ``redis.asyncio.Redis`` (or any client with its ``register_script`` API).
            The pacer closes it in :meth:`aclose` only when it made it (:meth:`from_url`).
        prefix: Prepended to every key.
        timeout: Seconds one round trip to Redis may take before the store counts as down.
        **options: ``limit``, ``window``, ``clock``, ``in_flight_ttl``, ``fallback``
            (``"local"``, the default, or ``"wait"``), ``max_wait``, ``flush_after``: see
            :class:`~calbookings_async.FilePacer`.

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
        try:
            import redis.asyncio as redis_asyncio
        except ImportError:
            raise InvalidArgumentError(
                "url", "RedisPacer needs redis-py: pip install 'calbookings-async[redis]'"
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
        options.setdefault("description", f"redis at {where}")
        return cls(client, _owns_client=True, **options)

    async def aclose(self) -> None:
        """Stop the pump; close the client if :meth:`from_url` made it."""
        store = self._store
        await super().aclose()
        if store is None and self._owns_client:
            await self._client.aclose()
