"""The pytest plugin (the ``pytest11`` entry point ``calbookings``), run with ``pytester`` in a
fresh pytest process, as a user's project would run it: under pytest-asyncio's strict mode and
its auto mode, with warnings as errors and strict markers, and without pytest-asyncio at all.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

USER_TESTS = """
import asyncio

import pytest

from calbookings_async import CalBookings, RetryPolicy
from calbookings_async.testing import CalEmulator, FaultKind

{mark}


@pytest.mark.cal_emulator(bookings=40, rate_limit=None, seed=5)
async def test_the_client_talks_to_the_seeded_emulator(
    cal_emulator: CalEmulator, cal_client: CalBookings
) -> None:
    assert cal_client.base_url == cal_emulator.base_url
    page = await cal_client.bookings.list(take=10)
    assert page.pagination.total_items == 40
    assert len(page.items) == 10


async def test_an_emulator_with_its_defaults(cal_emulator: CalEmulator) -> None:
    assert len(cal_emulator.bookings) == 0
    assert cal_emulator.base_url.startswith("http://127.0.0.1:")


@pytest.mark.usefixtures("cal_no_waits")
@pytest.mark.cal_emulator(bookings=5)
@pytest.mark.cal_client(
    pacing=False, retry=RetryPolicy(attempts=4, wait_initial=600, wait_max=600, deadline=None)
)
async def test_no_waits_skips_the_backoff(
    cal_emulator: CalEmulator, cal_client: CalBookings
) -> None:
    assert cal_client.pacer is None
    uid = next(iter(cal_emulator.bookings))
    cal_emulator.faults.inject(FaultKind.HTTP_503, route="GET /v2/bookings/{{bookingUid}}", times=3)
    # Three backoffs of 600 s each, skipped: the call succeeds on its fourth attempt.
    booking = await asyncio.wait_for(cal_client.bookings.get(uid), timeout=60)
    assert not isinstance(booking, list)
    assert booking.uid == uid
    assert cal_emulator.faults.count() == 3
"""

# pytest-asyncio itself warns when its fixture loop scope is not set; a project with warnings
# as errors sets it (the README says so).
INI = """
[pytest]
addopts = -p no:cacheprovider --strict-markers
filterwarnings = error
asyncio_default_fixture_loop_scope = function
{mode}
"""


@pytest.mark.parametrize(
    ("mode", "mark"),
    [
        ("", "pytestmark = pytest.mark.asyncio"),  # pytest-asyncio's default: strict mode
        ("asyncio_mode = auto", ""),
    ],
    ids=["strict", "auto"],
)
def test_the_fixtures_work_in_strict_and_auto_mode(
    pytester: pytest.Pytester, mode: str, mark: str
) -> None:
    pytester.makeini(INI.format(mode=mode))
    pytester.makepyfile(test_user=USER_TESTS.format(mark=mark))
    result = pytester.runpytest_subprocess("-q", timeout=300)
    result.assert_outcomes(passed=3)


def test_marker_arguments_must_be_keywords(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI.format(mode="asyncio_mode = auto"))
    pytester.makepyfile(
        test_user="""
import pytest

@pytest.mark.cal_emulator(100)
async def test_it(cal_emulator):
    pass
"""
    )
    result = pytester.runpytest_subprocess("-q", timeout=300)
    result.stdout.fnmatch_lines(["*@pytest.mark.cal_emulator takes keyword arguments only*"])
    assert result.ret != 0


def test_without_pytest_asyncio_the_fixtures_say_what_to_install(
    pytester: pytest.Pytester,
) -> None:
    # A project without pytest-asyncio: its import fails, and its plugin is not loaded.
    pytester.mkpydir("pytest_asyncio").joinpath("__init__.py").write_text(
        "raise ImportError('pytest-asyncio is not installed')\n"
    )
    pytester.makeini("[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings = error\n")
    pytester.makepyfile(
        test_user="""
def test_plain_tests_still_run():
    assert True

def test_it(cal_client):
    pass
"""
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:asyncio", timeout=300)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*the cal_client fixture needs pytest-asyncio: pip install 'pytest-asyncio>=0.24' "
            '(then mark async tests @pytest.mark.asyncio, or set asyncio_mode = "auto")*'
        ]
    )
