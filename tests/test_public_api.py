"""The public surface: everything public is exported, ``__all__`` is complete and sorted."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import textwrap
from pathlib import Path

from mypy import api as mypy_api

import calbookings_async


def isort_key(name: str) -> tuple[int, str]:
    """ruff's RUF022 order: CONSTANTS, then CamelCase, then everything else, each sorted."""
    if name.isupper():
        return (0, name)
    if name[:1].isupper():
        return (1, name)
    return (2, name)


def test_all_is_sorted() -> None:
    assert calbookings_async.__all__ == sorted(calbookings_async.__all__, key=isort_key)


def test_all_names_exist() -> None:
    for name in calbookings_async.__all__:
        assert hasattr(calbookings_async, name), name


def test_every_public_class_of_the_private_modules_is_exported() -> None:
    exported = {id(getattr(calbookings_async, name)) for name in calbookings_async.__all__}
    missing = []
    for module_info in pkgutil.iter_modules(calbookings_async.__path__):
        if not module_info.name.startswith("_") or module_info.name == "__main__":
            continue
        module = importlib.import_module(f"calbookings_async.{module_info.name}")
        for name in getattr(module, "__all__", []):
            value = getattr(module, name)
            if inspect.isclass(value) and value.__module__ == module.__name__:
                public_module = module.__name__ in PUBLIC_MODULES
                if public_module and id(value) not in exported:
                    missing.append(f"{module.__name__}.{name}")
    assert missing == []


# Modules whose classes are part of the public API (the rest are internal machinery).
PUBLIC_MODULES = {
    "calbookings_async._bookings",
    "calbookings_async._bulk",
    "calbookings_async._client",
    "calbookings_async._config",
    "calbookings_async._errors",
    "calbookings_async._filters",
    "calbookings_async._inputs",
    "calbookings_async._models",
    "calbookings_async._organizations",
    "calbookings_async._pacing",
    "calbookings_async._paging",
}


def test_version_is_a_string() -> None:
    assert isinstance(calbookings_async.__version__, str)
    assert calbookings_async.__version__


def test_error_tree() -> None:
    from calbookings_async import (
        APIStatusError,
        CalError,
        DecodeError,
        InvalidArgumentError,
        RateLimitError,
        RequestTimeout,
        ServerError,
        TransportError,
    )

    assert issubclass(RequestTimeout, TransportError)
    assert issubclass(TransportError, CalError)
    assert issubclass(RateLimitError, APIStatusError)
    assert issubclass(ServerError, APIStatusError)
    assert issubclass(APIStatusError, CalError)
    assert issubclass(DecodeError, CalError)
    assert issubclass(InvalidArgumentError, ValueError)


def test_package_is_typed() -> None:
    from pathlib import Path

    assert (Path(calbookings_async.__file__).parent / "py.typed").exists()


# --- what users' type checkers see ------------------------------------------------------------

TYPED_USE = """
    from calbookings_async import Booking, BookingFilters, BookingListStatus, CalBookings, Page

    async def main(cal: CalBookings, uid: str) -> None:
        booking = await cal.bookings.get(uid)
        print(booking.uid, booking.start, booking.status)
        for occurrence in booking.occurrences:
            print(occurrence.uid)
        confirmed: Booking = await cal.bookings.confirm(uid)
        cancelled: Booking = await cal.bookings.cancel(uid, cancel_subsequent_bookings=True)
        moved: Booking = await cal.bookings.reschedule(uid, start=booking.start)
        print(confirmed.uid, cancelled.uid, moved.rescheduled_from_uid)
        filters: BookingFilters = {"status": [BookingListStatus.UPCOMING], "team_id": 7}
        page: Page[Booking] = await cal.bookings.list(take=50, **filters)
        async for item in cal.organizations.bookings(1, user_ids=[2], take=250):
            print(item.uid, page.items[0].uid)
        attendees = await cal.bookings.attendees(uid)
        print(attendees[0].id, await cal.bookings.email_verification_required("a@b.co"))
"""
MISTAKES = """
    from calbookings_async import CalBookings

    async def main(cal: CalBookings) -> None:
        cal.bookings.list(colour="blue")
        cal.bookings.list(take=5, after_start="2030-01-01")
        cal.organizations.team_bookings(1, 2, user_ids=[3])
        for booking in cal.bookings.list():
            print(booking)
        print(cal.bookings.list().items)
"""


def test_common_paths_type_check_and_mistakes_do_not(tmp_path: Path) -> None:
    # What a user writes, checked by mypy --strict as their CI would (on Python 3.10 too: the
    # listings' **filters are typed through typing_extensions.Unpack).
    (tmp_path / "typed_use.py").write_text(textwrap.dedent(TYPED_USE))
    (tmp_path / "mistakes.py").write_text(textwrap.dedent(MISTAKES))
    out, _err, status = mypy_api.run(
        [
            "--strict",
            "--python-version=3.10",
            "--no-error-summary",
            "--hide-error-context",
            f"--cache-dir={tmp_path / 'cache'}",
            str(tmp_path / "typed_use.py"),
            str(tmp_path / "mistakes.py"),
        ]
    )
    lines = [line.split(": error: ", 1)[-1] for line in out.splitlines() if ": error: " in line]
    assert not [line for line in out.splitlines() if "typed_use.py" in line], out
    assert status == 1
    expected = [
        'Unexpected keyword argument "colour" for "list" of "Bookings"',
        'Argument "after_start" to "list" of "Bookings" has incompatible type "str"',
        'Unexpected keyword argument "user_ids" for "team_bookings" of "Organizations"',
        '"Pager[Booking]" has no attribute "__iter__"',
        '"Pager[Booking]" has no attribute "items"',
    ]
    for message in expected:
        assert any(line.startswith(message) for line in lines), (message, out)
