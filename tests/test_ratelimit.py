"""Rate-limit headers: parsing the named triplets, and what the client and errors expose."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _helpers import FakeClock, Reply, ScriptedServer
from hypothesis import given, settings
from hypothesis import strategies as st

from calbookings_async import CalBookings, RateLimit, RateLimitError, RetryPolicy
from calbookings_async._ratelimit import (
    RateLimitState,
    ReportedLimit,
    largest_reset,
    parse_rate_limit_headers,
    parse_retry_after,
    to_public,
)

MakeClient = Callable[..., CalBookings]


def parse(*pairs: tuple[str, str]) -> dict[str, list[float | None]] | None:
    """The parsed report, each record as a list (the records' type is checked below)."""
    report = parse_rate_limit_headers(
        [(name.encode("latin-1"), value.encode("latin-1")) for name, value in pairs]
    )
    if report is None:
        return None
    assert all(type(entry) is ReportedLimit for entry in report.values())
    return {name: list(entry) for name, entry in report.items()}


DEFAULT_TRIPLET = (
    ("X-RateLimit-Limit-Default", "120"),
    ("X-RateLimit-Remaining-Default", "119"),
    ("X-RateLimit-Reset-Default", "60"),
)


# --- parsing ---------------------------------------------------------------------------------


def test_one_triplet() -> None:
    assert parse(("Content-Type", "application/json"), *DEFAULT_TRIPLET) == {
        "default": [120, 119, 60]
    }


def test_each_limit_is_an_immutable_record_with_named_fields() -> None:
    report = parse_rate_limit_headers(
        [(name.encode(), value.encode()) for name, value in DEFAULT_TRIPLET]
    )
    assert report is not None
    entry = report["default"]
    assert entry == ReportedLimit(limit=120, remaining=119, reset=60)
    assert (entry.limit, entry.remaining, entry.reset) == (120, 119, 60)
    with pytest.raises(AttributeError):
        entry.limit = 5  # type: ignore[misc]


def test_several_names_in_order_of_appearance() -> None:
    report = parse(
        ("X-RateLimit-Limit-Short", "10"),
        ("X-RateLimit-Limit-Long", "1000"),
        ("X-RateLimit-Remaining-Short", "0"),
        ("X-RateLimit-Remaining-Long", "900"),
        ("X-RateLimit-Reset-Short", "8"),
        ("X-RateLimit-Reset-Long", "3500"),
        ("X-RateLimit-Limit-Booking_guests_add", "5"),
    )
    assert report == {
        "short": [10, 0, 8],
        "long": [1000, 900, 3500],
        "booking_guests_add": [5, None, None],
    }
    assert list(report) == ["short", "long", "booking_guests_add"]


@pytest.mark.parametrize(
    "names",
    [
        ("x-ratelimit-limit-default", "x-ratelimit-remaining-default", "x-ratelimit-reset-default"),
        ("X-RATELIMIT-LIMIT-DEFAULT", "X-RATELIMIT-REMAINING-DEFAULT", "X-RATELIMIT-RESET-DEFAULT"),
        ("X-RateLimit-Limit-default", "x-Ratelimit-remaining-DEFAULT", "X-rAtElImIt-ReSeT-DeFaUlT"),
    ],
)
def test_any_letter_case_is_one_name(names: tuple[str, str, str]) -> None:
    limit, remaining, reset = names
    assert parse((limit, "120"), (remaining, "3"), (reset, "17")) == {"default": [120, 3, 17]}


def test_partial_triplets() -> None:
    assert parse(("X-RateLimit-Remaining-Default", "5")) == {"default": [None, 5, None]}
    assert parse(("X-RateLimit-Reset-Long", "30"), ("X-RateLimit-Limit-Short", "10")) == {
        "long": [None, None, 30],
        "short": [10, None, None],
    }


@pytest.mark.parametrize(
    ("value", "parsed"),
    [
        ("60", 60),
        (" 60 ", 60),
        ("1.5", 1.5),
        ("-5", -5),
        ("0", 0),
        ("abc", None),
        ("", None),
        ("sixty", None),
        ("nan", None),
        ("inf", None),
        ("-inf", None),
        ("1e999", None),
        ("60s", None),
        ("0x10", None),
        ("\xff\xfe", None),
    ],
)
def test_values(value: str, parsed: float | None) -> None:
    assert parse(("X-RateLimit-Reset-Default", value)) == {"default": [None, None, parsed]}


@pytest.mark.parametrize(
    "name",
    [
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Reset",
        "X-RateLimit-Limit-",
        "X-RateLimit-Reset-",
        "X-RateLimit-Used-Default",
        "X-Rate-Limit-Limit-Default",
        "RateLimit-Limit-Default",
        "X-RateLimitLimit-Default",
        "Retry-After",
        "X-Request-Id",
    ],
)
def test_other_headers_are_ignored(name: str) -> None:
    assert parse((name, "10")) is None


def test_no_rate_limit_headers_gives_none() -> None:
    assert parse(("Content-Type", "application/json"), ("X-Request-Id", "r")) is None
    assert parse() is None


def test_the_last_value_of_a_repeated_header_wins() -> None:
    assert parse(
        ("X-RateLimit-Remaining-Default", "5"), ("x-ratelimit-remaining-default", "4")
    ) == {"default": [None, 4, None]}


def test_a_header_spelled_in_two_letter_cases_counts_in_order_seen_again() -> None:
    """Header names are remembered between responses; a header spelled in two cases within
    one response still counts in the order it came, every time."""
    pairs = (
        ("X-RateLimit-Remaining-Twocase", "7"),
        ("x-ratelimit-remaining-twocase", "3"),
        ("Content-Type", "application/json"),
    )
    for _ in range(3):
        assert parse(*pairs) == {"twocase": [None, 3, None]}
        assert parse(*reversed(pairs)) == {"twocase": [None, 7, None]}


def test_a_known_layout_reads_each_response_s_own_values() -> None:
    """Responses with the same header names in the same order (a server's usual answer, every
    name remembered after the first) each give their own numbers."""
    for text, number in (("119", 119), ("118", 118), ("junk", None), ("0", 0)):
        pairs = (("Date", text), DEFAULT_TRIPLET[0], ("X-RateLimit-Remaining-Default", text))
        assert parse(*pairs) == {"default": [120, number, None]}


def test_any_iterable_of_pairs_is_read() -> None:
    pairs = ((name.encode(), value.encode()) for name, value in DEFAULT_TRIPLET)
    assert parse_rate_limit_headers(pairs) == {"default": (120, 119, 60)}


_NAMES = st.sampled_from(
    [
        "X-RateLimit-Limit-Default",
        "x-ratelimit-limit-default",
        "X-RateLimit-Remaining-Default",
        "X-RateLimit-Reset-Default",
        "X-RateLimit-Limit-Booking_guests_add",
        "X-RateLimit-Remaining-booking_guests_add",
        "X-RateLimit-Limit",
        "X-Request-Id",
        "Content-Type",
        "Date",
    ]
)
_READ_AS: dict[str, float | None] = {
    "0": 0,
    "1": 1,
    "120": 120,
    "59.5": 59.5,
    "-3": -3,
    "junk": None,
    "1e999": None,
    "9" * 20: None,
}
_VALUES = st.sampled_from(sorted(_READ_AS))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_NAMES, _VALUES), max_size=12))
def test_names_seen_before_parse_as_at_first_sight(pairs: list[tuple[str, str]]) -> None:
    raw = [(name.encode(), value.encode()) for name, value in pairs]
    first = parse_rate_limit_headers(raw)  # classifies (and remembers) every name
    again = parse_rate_limit_headers(raw)  # every name known now
    assert again == first
    assert again is None or list(again) == list(first or {})
    by_hand: dict[str, list[float | None]] = {}
    for name, value in pairs:
        lowered = name.lower()
        for slot, kind in enumerate(("limit", "remaining", "reset")):
            prefix = f"x-ratelimit-{kind}-"
            if lowered.startswith(prefix):
                entry = by_hand.setdefault(lowered[len(prefix) :], [None, None, None])
                entry[slot] = _READ_AS[value]
    assert {key: list(entry) for key, entry in (again or {}).items()} == by_hand


def test_to_public_reads_negatives_as_zero() -> None:
    report = parse(
        ("X-RateLimit-Limit-Default", "-1"),
        ("X-RateLimit-Remaining-Default", "-3"),
        ("X-RateLimit-Reset-Default", "-10"),
    )
    assert to_public(report, 5.0) == {
        "default": RateLimit(name="default", limit=0, remaining=0, reset=0.0, observed_at=5.0)
    }
    assert largest_reset(report) == 0.0


def test_to_public_rounds_fractional_counts_down() -> None:
    report = parse(("X-RateLimit-Limit-Default", "10.7"), ("X-RateLimit-Reset-Default", "2.5"))
    limit = to_public(report, 0.0)["default"]
    assert limit.limit == 10
    assert limit.reset == 2.5


@pytest.mark.parametrize("text", ["1000000000000000", "1e15", "999999.5"])
def test_large_but_plausible_values_are_kept(text: str) -> None:
    report = parse(("X-RateLimit-Reset-Default", text))
    assert to_public(report, 0.0)["default"].reset == float(text)


@pytest.mark.parametrize("digits", [17, 20, 400, 5000])
def test_absurd_resets_are_unreadable(digits: int) -> None:
    # Beyond 10**15 seconds no server means it (and a float may not even hold it): the value
    # counts as absent, so it can neither crash the client nor hold requests forever.
    huge = "9" * digits
    report = parse(("X-RateLimit-Reset-Default", huge), ("X-RateLimit-Reset-Other", "30"))
    public = to_public(report, 0.0)
    assert public["other"].reset == 30.0
    assert public["default"].reset is None
    assert largest_reset(report) == 30.0
    assert parse_retry_after(huge) is None
    assert parse_retry_after("-" + huge) is None


def test_largest_reset() -> None:
    assert largest_reset(None) is None
    assert largest_reset({}) is None
    assert largest_reset({"a": [1, 0, None]}) is None
    assert largest_reset({"a": [1, 0, 5], "b": [1, 0, 12], "c": [1, 0, None]}) == 12.0


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 7 ", 7.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        ("", None),
        (None, None),
        ("nan", None),
    ],
)
def test_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


def test_state_keeps_the_latest_report_of_each_name() -> None:
    state = RateLimitState()
    state.update({"short": [10, 9, 60], "long": [100, 99, 3600]}, 1.0)
    state.update({"short": [10, 8, 59]}, 2.0)
    limits = state.as_mapping()
    assert limits["short"] == RateLimit(
        name="short", limit=10, remaining=8, reset=59.0, observed_at=2.0
    )
    assert limits["long"] == RateLimit(
        name="long", limit=100, remaining=99, reset=3600.0, observed_at=1.0
    )
    assert limits["long"].resets_at == 3601.0


# --- on the client and on errors ------------------------------------------------------------


async def test_client_rate_limits_follow_every_response(
    loopback_server: ScriptedServer, make_client: MakeClient, fake_clock: FakeClock
) -> None:
    cal = make_client(clock=fake_clock)
    assert dict(cal.rate_limits) == {}

    loopback_server.script(
        Reply(headers=dict(DEFAULT_TRIPLET)),
        Reply(
            headers={
                "x-ratelimit-limit-default": "120",
                "x-ratelimit-remaining-default": "118",
                "x-ratelimit-reset-default": "59",
                "X-RateLimit-Remaining-Long": "999",
            }
        ),
        Reply(),  # no rate-limit headers: nothing changes
    )
    await cal.bookings.decline("u1")
    assert cal.rate_limits == {
        "default": RateLimit(
            name="default", limit=120, remaining=119, reset=60.0, observed_at=1000.0
        )
    }

    fake_clock.now = 1001.5
    await cal.bookings.decline("u1")
    assert cal.rate_limits["default"] == RateLimit(
        name="default", limit=120, remaining=118, reset=59.0, observed_at=1001.5
    )
    assert cal.rate_limits["long"].remaining == 999
    assert cal.rate_limits["long"].limit is None
    assert cal.rate_limits["default"].resets_at == 1060.5

    fake_clock.now = 1002.0
    await cal.bookings.decline("u1")
    assert cal.rate_limits["default"].observed_at == 1001.5


async def test_error_responses_update_the_client_too(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.script(
        Reply(status=404, headers={"X-RateLimit-Remaining-Default": "50"}),
    )
    cal = make_client()
    with pytest.raises(Exception, match="HTTP 404"):
        await cal.bookings.decline("u1")
    assert cal.rate_limits["default"].remaining == 50


async def test_rate_limit_error_carries_the_report(
    loopback_server: ScriptedServer, make_client: MakeClient, fake_clock: FakeClock
) -> None:
    loopback_server.default = Reply(
        status=429,
        headers={
            "X-RateLimit-Limit-Short": "10",
            "X-RateLimit-Remaining-Short": "0",
            "X-RateLimit-Reset-Short": "20",
            "X-RateLimit-Limit-Long": "1000",
            "X-RateLimit-Remaining-Long": "0",
            "X-RateLimit-Reset-Long": "45",
        },
    )
    cal = make_client(retry=RetryPolicy.disabled(), clock=fake_clock)
    with pytest.raises(RateLimitError) as caught:
        await cal.bookings.decline("u1")
    error = caught.value
    assert error.retry_after == 45.0
    assert error.rate_limits == {
        "short": RateLimit(name="short", limit=10, remaining=0, reset=20.0, observed_at=1000.0),
        "long": RateLimit(name="long", limit=1000, remaining=0, reset=45.0, observed_at=1000.0),
    }
    assert cal.rate_limits == error.rate_limits


async def test_429_with_an_unreadable_reset_is_still_a_rate_limit_error(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(
        status=429,
        headers={"X-RateLimit-Reset-Default": "9" * 400, "X-RateLimit-Limit-Default": "1"},
    )
    cal = make_client(retry=RetryPolicy.disabled())
    with pytest.raises(RateLimitError) as caught:
        await cal.bookings.decline("u1")
    assert caught.value.retry_after is None
    assert caught.value.rate_limits["default"].reset is None
    assert cal.rate_limits["default"].limit == 1


async def test_the_mapping_is_a_snapshot(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(headers=dict(DEFAULT_TRIPLET))
    cal = make_client()
    await cal.bookings.decline("u1")
    snapshot = cal.rate_limits
    assert isinstance(snapshot, dict)
    snapshot.clear()
    assert "default" in cal.rate_limits


async def test_views_share_the_rate_limit_state(
    loopback_server: ScriptedServer, make_client: MakeClient
) -> None:
    loopback_server.default = Reply(headers=dict(DEFAULT_TRIPLET))
    cal = make_client()
    view = cal.with_options(timeout=5.0)
    await view.bookings.decline("u1")
    assert cal.rate_limits["default"].remaining == 119
