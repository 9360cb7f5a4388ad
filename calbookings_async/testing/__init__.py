"""calbookings_async.testing: an in-memory Cal.com API v2 bookings server for tests.

:class:`CalEmulator` serves the 33 bookings operations over real HTTP with aiohttp.web, in the
shapes, status codes, envelopes, auth rules and rate-limit semantics of the live server
(``docs/API-NOTES.md``), plus deterministic seeding, scripted or probabilistic fault injection, a
ledger of every state change, and an injectable clock (:class:`ManualClock`) so that tests of
rate-limit windows and blocks step through time instead of sleeping. Use it like stripe-mock or
moto::

    async with CalEmulator(seed=7) as emu:
        emu.seed(bookings=1_000)
        emu.faults.inject(FaultKind.HTTP_503, route="POST /v2/bookings", times=2)
        ... point the client at emu.base_url with emu.api_key ...
        assert not emu.ledger.duplicates()

The emulator imports nothing from the rest of ``calbookings_async`` (an import-linter contract
holds it to that): it is an independent reference implementation of the server, so it cannot
hide the SDK's bugs. The one exception is this package's re-export of the SDK's testing switch,
:func:`waits_disabled` (from the leaf module ``_types``): inside it, the SDK's clients skip every
retry backoff and pacing wait, so tests of retry and rate-limit paths run without sleeping.
Module map: ``_server`` (the request pipeline), ``_admin`` (the Python admin API), ``_routes``
(the operation table) and the ``_handlers_*`` modules; ``_store`` (rows and indexes),
``_serialise`` (rows -> JSON), ``_rules`` (state transitions), ``_validation`` (input classes);
``_ratelimit``, ``_faults``, ``_ledger``, ``_verification``, ``_clock``, ``_seed``; ``_cli``.
"""

from .._types import waits, waits_disabled
from ._cli import main
from ._clock import SYSTEM_CLOCK, EmulatorClock, ManualClock
from ._faults import FaultInjector, FaultKind, FaultRule
from ._handlers_bookings import pagination
from ._ledger import UNSAFE_OPERATIONS, Ledger, LedgerEntry
from ._ratelimit import (
    ATTENDEES_ADD_LIMIT,
    ATTENDEES_REMOVE_LIMIT,
    DEFAULT_ACCESS_TOKEN_LIMIT,
    DEFAULT_ANONYMOUS_LIMIT,
    DEFAULT_API_KEY_LIMIT,
    DEFAULT_OAUTH_CLIENT_LIMIT,
    GUESTS_ADD_LIMIT,
    LOCATION_UPDATE_LIMIT,
    NAMED_LIMITS,
    RateLimit,
    Throttler,
)
from ._records import Recurrence
from ._routes import ROUTE_THROTTLES, named_route_limits
from ._seed import SeedSummary
from ._server import API_VERSION, DEFAULT_API_KEY, ROUTES, CalEmulator, RequestRecord

__all__ = [
    "API_VERSION",
    "ATTENDEES_ADD_LIMIT",
    "ATTENDEES_REMOVE_LIMIT",
    "DEFAULT_ACCESS_TOKEN_LIMIT",
    "DEFAULT_ANONYMOUS_LIMIT",
    "DEFAULT_API_KEY",
    "DEFAULT_API_KEY_LIMIT",
    "DEFAULT_OAUTH_CLIENT_LIMIT",
    "GUESTS_ADD_LIMIT",
    "LOCATION_UPDATE_LIMIT",
    "NAMED_LIMITS",
    "ROUTES",
    "ROUTE_THROTTLES",
    "SYSTEM_CLOCK",
    "UNSAFE_OPERATIONS",
    "CalEmulator",
    "EmulatorClock",
    "FaultInjector",
    "FaultKind",
    "FaultRule",
    "Ledger",
    "LedgerEntry",
    "ManualClock",
    "RateLimit",
    "Recurrence",
    "RequestRecord",
    "SeedSummary",
    "Throttler",
    "main",
    "named_route_limits",
    "pagination",
    "waits",
    "waits_disabled",
]
