"""calbookings_async.testing: an in-memory Cal.com API v2 bookings server for tests.

:class:`CalEmulator` serves the 21 bookings operations over real HTTP with aiohttp.web, in the
shapes, status codes, envelopes, auth rules and rate-limit semantics of the live server
(``docs/API-NOTES.md``), plus deterministic seeding, scripted or probabilistic fault injection and
a ledger of every state change. Use it like stripe-mock or moto::

    async with CalEmulator(seed=7) as emu:
        emu.seed(bookings=1_000)
        emu.faults.inject(FaultKind.HTTP_503, route="POST /v2/bookings", times=2)
        ... point the client at emu.base_url with emu.api_key ...
        assert not emu.ledger.duplicates()

The emulator imports nothing from the rest of ``calbookings_async``: it is an independent
reference implementation of the server, so it cannot hide the SDK's bugs. The one exception is
this package's re-export of the SDK's testing switch, :func:`waits_disabled` (from the leaf module
``_types``): inside it, the SDK's clients skip every retry backoff and pacing wait, so tests of
retry and rate-limit paths run without sleeping.
"""

from .._types import waits, waits_disabled
from ._cli import main
from ._faults import FaultInjector, FaultKind, FaultRule
from ._ledger import UNSAFE_OPERATIONS, Ledger, LedgerEntry
from ._mock import Handler, MockTransport, json_response
from ._ratelimit import (
    DEFAULT_ACCESS_TOKEN_LIMIT,
    DEFAULT_ANONYMOUS_LIMIT,
    DEFAULT_API_KEY_LIMIT,
    DEFAULT_OAUTH_CLIENT_LIMIT,
    GUESTS_ADD_LIMIT,
    RateLimit,
    Throttler,
)
from ._records import Recurrence
from ._seed import SeedSummary
from ._server import API_VERSION, DEFAULT_API_KEY, ROUTES, CalEmulator, pagination

__all__ = [
    "API_VERSION",
    "DEFAULT_ACCESS_TOKEN_LIMIT",
    "DEFAULT_ANONYMOUS_LIMIT",
    "DEFAULT_API_KEY",
    "DEFAULT_API_KEY_LIMIT",
    "DEFAULT_OAUTH_CLIENT_LIMIT",
    "GUESTS_ADD_LIMIT",
    "ROUTES",
    "UNSAFE_OPERATIONS",
    "CalEmulator",
    "FaultInjector",
    "FaultKind",
    "FaultRule",
    "Handler",
    "Ledger",
    "LedgerEntry",
    "MockTransport",
    "RateLimit",
    "Recurrence",
    "SeedSummary",
    "Throttler",
    "json_response",
    "main",
    "pagination",
    "waits",
    "waits_disabled",
]
