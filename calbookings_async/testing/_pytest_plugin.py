"""A pytest plugin: the emulator and a client pointed at it, as fixtures.

Installed with the package and loaded by pytest through the ``pytest11`` entry point
``calbookings``, so a test only names the fixtures::

    @pytest.mark.asyncio
    @pytest.mark.cal_emulator(bookings=200)
    async def test_it(cal_emulator, cal_client):
        ...

Fixtures (each test gets its own):

* ``cal_emulator``: a started :class:`CalEmulator` on a free loopback port. The
  ``cal_emulator`` marker gives its options: ``CalEmulator``'s keyword arguments, plus
  ``bookings=N`` to seed N bookings of every kind.
* ``cal_client``: a :class:`CalBookings` with the emulator's key and base URL, closed after the
  test. The ``cal_client`` marker gives ``CalBookings``'s keyword arguments (``pacing=False``,
  ``retry=...``).
* ``cal_no_waits``: while it is active every client skips its retry backoff and pacing waits
  (:func:`waits_disabled`), so tests of 503 and 429 paths do not sleep. Ask for it, or apply it
  to a module with ``pytestmark = pytest.mark.usefixtures("cal_no_waits")``.

The async fixtures are pytest-asyncio fixtures with a function-scoped event loop, so they work
in its default strict mode (mark the tests ``@pytest.mark.asyncio``) and in auto mode alike.
Without pytest-asyncio installed the fixtures fail with a message saying what to install; the
plugin itself never breaks a test run.

This is where the SDK meets the emulator: it imports ``CalBookings`` from the package, which
the emulator's own modules never do.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from .._types import waits_disabled

if TYPE_CHECKING:
    from .._client import CalBookings
    from ._server import CalEmulator

__all__ = ["cal_client", "cal_emulator", "cal_no_waits"]

#: What a test asking for an async fixture without pytest-asyncio is told.
NEEDS_PYTEST_ASYNCIO = (
    "the {name} fixture needs pytest-asyncio: pip install 'pytest-asyncio>=0.24' "
    '(then mark async tests @pytest.mark.asyncio, or set asyncio_mode = "auto")'
)


def pytest_configure(config: pytest.Config) -> None:
    """Register the plugin's markers (so ``--strict-markers`` accepts them)."""
    config.addinivalue_line(
        "markers",
        "cal_emulator(**options): CalEmulator keyword arguments for the cal_emulator fixture, "
        "plus bookings=N to seed N bookings",
    )
    config.addinivalue_line(
        "markers", "cal_client(**options): CalBookings keyword arguments for the cal_client fixture"
    )


def _options(request: pytest.FixtureRequest, marker: str) -> dict[str, Any]:
    """The keyword arguments of the closest ``marker`` on the test (test over class over
    module), or none."""
    found = request.node.get_closest_marker(marker)
    if found is None:
        return {}
    if found.args:
        raise pytest.UsageError(f"@pytest.mark.{marker} takes keyword arguments only")
    return dict(found.kwargs)


def _async_fixture(function: Callable[..., Any]) -> Any:
    """A pytest-asyncio fixture on the test's own loop, or, without pytest-asyncio, a fixture
    that fails saying what to install."""
    try:
        from pytest_asyncio import fixture
    except ImportError:
        pass
    else:
        return fixture(function, loop_scope="function")
    message = NEEDS_PYTEST_ASYNCIO.format(name=function.__name__)

    def missing() -> None:
        pytest.fail(message, pytrace=False)

    missing.__name__ = function.__name__
    missing.__doc__ = function.__doc__
    return pytest.fixture(missing)


@_async_fixture
async def cal_emulator(request: pytest.FixtureRequest) -> AsyncIterator[CalEmulator]:
    """A started emulator on a free loopback port (options: the ``cal_emulator`` marker)."""
    from ._server import CalEmulator

    options = _options(request, "cal_emulator")
    bookings = options.pop("bookings", 0)
    async with CalEmulator(**options) as emulator:
        if bookings:
            emulator.seed(bookings=bookings)
        yield emulator


@_async_fixture
async def cal_client(
    request: pytest.FixtureRequest, cal_emulator: CalEmulator
) -> AsyncIterator[CalBookings]:
    """A client of ``cal_emulator`` (options: the ``cal_client`` marker), closed afterwards."""
    from .._client import CalBookings

    options = {
        "api_key": cal_emulator.api_key,
        "base_url": cal_emulator.base_url,
        **_options(request, "cal_client"),
    }
    async with CalBookings(**options) as client:
        yield client


@pytest.fixture
def cal_no_waits() -> Iterator[None]:
    """Every client skips its retry backoff and pacing waits while this is active."""
    with waits_disabled():
        yield
