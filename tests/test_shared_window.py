"""The shared window's step, as a pure function: what every store runs atomically.

Times here are the store's (plain numbers); each step is one process's round trip.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from calbookings_async._shared_window import Observation, StepInput, WindowView, step
from calbookings_async._stores import StoreTime

GET = ("bookings.get", [], 1)


def given(worker: str, wants: list[Any] | None = None, **kwargs: Any) -> StepInput:
    kwargs.setdefault("default_limit", 10)
    return StepInput(worker=worker, ttl=30.0, default_length=60.0, wants=wants or [], **kwargs)


def want(count: int, route: str = "bookings.get", declared: Any = ()) -> list[Any]:
    return [(route, list(declared), count)]


def granted(output: Any, route: str = "bookings.get") -> int:
    return sum(grant.count for grant in output.grants if grant.route == route)


def test_workers_share_one_limit() -> None:
    record, out = step(None, 100.0, given("a", want(6), in_flight={}))
    assert granted(out) == 6
    record, out = step(record, 100.1, given("b", want(6)))
    assert granted(out) == 4  # only 4 of 10 left
    wait, stated, reason = out.waits["bookings.get"]
    assert reason == "window full: 10 of 10 used"
    assert not stated  # no response yet: the fallback end, 60 * 1.25 + 1 after opening
    assert wait == 100.0 + 76.0 - 100.1
    assert out.workers == 2


def test_a_reported_end_rolls_the_window_and_in_flight_requests_start_the_next() -> None:
    record, out = step(None, 100.0, given("a", want(10)))
    gen = out.grants[0].gens["default"]
    # Seven answered; three still in flight. The responses said the window ends in 5 s.
    seen = Observation(gen=gen, limit=10, counted=10, end_in=5.0)
    record, out = step(
        record, 101.0, given("a", in_flight={"default": 3}, observations={"default": seen})
    )
    assert out.windows["default"].end_in == 5.0
    record, out = step(record, 106.0, given("a", want(10), in_flight={"default": 3}))
    assert granted(out) == 7  # the three in flight may land in the new window


def test_a_server_window_that_rolled_before_the_end_held_is_followed() -> None:
    """The end held was late: the server's window ended at 103, a new one began with requests
    this window granted at 104, and it ends at 164. Rolling at the old end (110) and granting a
    full window then would overshoot the server's window by what was sent from 104 on; keeping
    the old window's whole count (8) would leave it short by the 4 granted before 103."""
    record, out = step(None, 100.0, given("a", want(4)))
    gen = out.grants[0].gens["default"]
    first = Observation(gen=gen, limit=10, counted=4, end_in=10.0)  # held: ends at 110
    record, out = step(record, 100.0, given("a", observations={"default": first}))
    record, out = step(record, 104.0, given("a", want(4)))  # 8 of 10 used here
    assert granted(out) == 4
    rolled = Observation(gen=gen, limit=10, counted=4, end_in=60.0)  # the server: ends at 165
    record, out = step(record, 105.0, given("a", observations={"default": rolled}))
    view = out.windows["default"]
    assert view.end_in == 60.0
    assert view.used == 4  # what the server counts in its new window; nothing is in flight
    record, out = step(record, 111.0, given("a", want(10)))
    assert granted(out) == 6  # not a fresh window at 110: the server's runs until 165, 4 in it
    record, out = step(record, 165.5, given("a", want(10)))
    assert granted(out) == 10


def test_a_server_window_that_rolled_early_counts_what_others_have_in_flight() -> None:
    """The same late end, two processes: b's three requests granted at 104 are unanswered when
    a's answer reports the server's new window (which counted a's one request). All four may
    count there, so six are left, not seven."""
    record, out = step(None, 100.0, given("a", want(4)))
    gen = out.grants[0].gens["default"]
    first = Observation(gen=gen, limit=10, counted=4, end_in=10.0)  # held: ends at 110
    record, out = step(record, 100.0, given("a", observations={"default": first}))
    record, out = step(record, 104.0, given("b", want(3)))  # 7 of 10 used here
    assert granted(out) == 3
    record, out = step(record, 104.0, given("a", want(1)))
    assert granted(out) == 1
    rolled = Observation(gen=gen, limit=10, counted=1, end_in=60.0)  # the server: ends at 164
    record, out = step(record, 105.0, given("a", observations={"default": rolled}))
    assert out.windows["default"].used == 4
    record, out = step(record, 106.0, given("a", want(10)))
    assert granted(out) == 6


def test_an_answer_about_the_next_window_after_the_end_held_starts_it_afresh() -> None:
    """The end held (110) was right and passed with no step; a request granted at 109.9 landed
    in the server's next window and its answer (at 111) reports that window's end. The old
    window's count is not owed to the new one: keeping it held a light load back for a whole
    window (the 1.4 s holds at 0.8 x the budget)."""
    record, out = step(None, 100.0, given("a", want(4)))
    gen = out.grants[0].gens["default"]
    first = Observation(gen=gen, limit=10, counted=4, end_in=10.0)  # held: ends at 110
    record, out = step(record, 100.0, given("a", observations={"default": first}))
    record, out = step(record, 109.9, given("a", want(4)))  # 8 of 10 used
    assert granted(out) == 4
    nxt = Observation(gen=gen, limit=10, counted=1, end_in=60.0)  # the server's next: 171
    record, out = step(record, 111.0, given("a", observations={"default": nxt}))
    view = out.windows["default"]
    assert view.end_in == 60.0
    assert view.used == 1  # what the server's new window counted, not the old window's 8
    record, out = step(record, 111.5, given("a", want(10)))
    assert granted(out) == 9


def test_a_report_a_little_later_than_the_end_held_keeps_the_window() -> None:
    record, out = step(None, 100.0, given("a", want(4)))
    gen = out.grants[0].gens["default"]
    first = Observation(gen=gen, limit=10, counted=4, end_in=10.0)
    record, out = step(record, 100.0, given("a", observations={"default": first}))
    later = Observation(gen=gen, limit=10, counted=5, end_in=14.0)  # within 6 s: the same one
    record, out = step(record, 100.5, given("a", want(1), observations={"default": later}))
    assert out.grants[0].gens["default"] == gen
    assert out.windows["default"].end_in == pytest.approx(9.5)


def test_a_report_of_an_older_window_changes_nothing() -> None:
    record, out = step(None, 100.0, given("a", want(1)))
    old = out.grants[0].gens["default"]
    record, out = step(record, 200.0, given("a", want(1)))  # the window rolled (fallback end)
    late = Observation(gen=old, limit=10, counted=10, end_in=1.0)
    record, out = step(record, 200.5, given("a", want(5), observations={"default": late}))
    assert granted(out) == 5
    assert out.windows["default"].end_in is None


def test_the_servers_count_raises_usage_never_lowers_it() -> None:
    record, out = step(None, 100.0, given("a", want(2)))
    gen = out.grants[0].gens["default"]
    more = Observation(gen=gen, limit=10, counted=8, end_in=30.0)  # other clients used 6
    record, out = step(record, 100.2, given("b", want(5), observations={"default": more}))
    assert granted(out) == 2
    less = Observation(gen=gen, limit=10, counted=1, end_in=30.0)
    record, out = step(record, 100.3, given("b", want(5), observations={"default": less}))
    assert granted(out) == 0


def test_a_429_anywhere_blocks_every_worker_until_its_reset() -> None:
    record, out = step(None, 100.0, given("a", want(1)))
    gen = out.grants[0].gens["default"]
    blocked = Observation(gen=gen, limit=10, end_in=40.0, blocked_in=40.0)
    record, out = step(record, 100.5, given("a", observations={"default": blocked}))
    record, out = step(record, 110.0, given("b", want(1)))
    assert granted(out) == 0
    assert out.waits["bookings.get"] == (30.5, True, "blocked after a 429")
    record, out = step(record, 140.6, given("b", want(3)))
    assert granted(out) == 3


def test_a_killed_workers_requests_stop_counting_after_the_ttl() -> None:
    dead = given("dead", want(10))
    dead.ttl = 120.0
    record, out = step(None, 100.0, dead)
    # "dead" is killed: it never steps again. Its window ends, its requests still count...
    record, out = step(record, 177.0, given("b", want(10)))
    assert granted(out) == 0
    # ... until the in-flight TTL (120 s after its last step), and at most one more window.
    record, out = step(record, 219.0, given("b", want(10)))
    assert granted(out) == 0
    record, out = step(record, 177.0 + 76.0, given("b", want(10)))
    assert granted(out) == 10


def test_a_store_that_lost_its_record_holds_until_every_process_is_back_and_a_window_passed() -> (
    None
):
    """Restarted empty, the store cannot know what the processes that paced alone meanwhile
    sent, nor what those not back yet still send: a window after the last is back (within
    ``rejoin``), the server's window they may have opened has surely ended."""
    view = WindowView(limit=10, length=60.0, used=3, end_in=0.5)  # it may end before 6.0
    back = given("a", want(5), views={"default": view}, known=True, rejoin=1.0)
    record, out = step(None, 5.0, back)
    assert granted(out) == 0
    assert out.waits["bookings.get"][:2] == (61.0, True)
    assert "restarted empty" in out.waits["bookings.get"][2]
    # Another process comes back; a limit name first used now is held as well.
    guests = want(1, "bookings.add_guests", [("booking_guests_add", 5, 60.0)])
    other = given("b", guests, in_flight={"default": 2})
    other.ttl = 120.0
    record, out = step(record, 5.5, other)
    assert granted(out, "bookings.add_guests") == 0
    record, out = step(record, 65.9, given("a", want(5)))
    assert granted(out) == 0
    record, out = step(record, 66.0, given("a", want(10)))
    assert granted(out) == 8  # the window rolled; b's two requests in flight count in it


def test_a_restarted_store_holds_only_until_a_server_window_running_past_the_rejoining() -> None:
    # The server's window ends at 25 (a report's error: 6 s): nobody could open another
    # before every process is back (6.0), so the hold ends with it, not a window later.
    view = WindowView(limit=10, length=60.0, used=3, end_in=20.0)
    back = given("a", want(5), views={"default": view}, known=True, rejoin=1.0)
    record, out = step(None, 5.0, back)
    assert out.waits["bookings.get"][:2] == (20.0, True)
    _record, out = step(record, 25.0, given("a", want(5)))
    assert granted(out) == 5


def test_a_held_window_does_not_roll_on_an_end_a_response_reports() -> None:
    # What the process learned pacing alone: a server window ending now. The store stays
    # shut all the same (the others may still send alone into the next one).
    seen = Observation(gen=None, limit=10, counted=3, end_in=0.0)
    back = given("a", want(5), observations={"default": seen}, known=True, rejoin=1.0)
    record, out = step(None, 5.0, back)
    record, out = step(record, 30.0, given("a", want(5)))
    assert granted(out) == 0
    _record, out = step(record, 66.0, given("a", want(5)))
    assert granted(out) == 5


def test_a_record_made_by_a_newcomer_after_a_restart_is_held_when_one_paced_alone_returns() -> None:
    _record, out = step(None, 1.0, given("a", want(1)))
    old = out.record_id
    # The store restarts empty while "a" paces alone; "n" (new: it never saw the old record)
    # steps first, so nothing tells the store it lost a record: "n" is not held.
    record, out = step(None, 10.0, given("n", want(4)))
    assert granted(out) == 4
    back = given("a", want(1), known=True, alone=True, record_id=old, rejoin=1.0)
    record, out = step(record, 10.2, back)
    assert granted(out) == 0
    wait, stated, reason = out.waits["bookings.get"]
    assert (wait, stated) == (pytest.approx(11.2 + 60.0 - 10.2), True)
    assert "restarted empty" in reason
    record, out = step(record, 20.0, given("n", want(1), record_id=out.record_id))
    assert granted(out) == 0  # what "n" opened is held too
    _record, out = step(record, 71.2, given("n", want(1), record_id=out.record_id))
    assert granted(out) == 1


def test_a_process_back_on_the_record_it_knew_or_that_never_paced_alone_is_not_held() -> None:
    record, out = step(None, 1.0, given("a", want(1)))
    same = given("a", want(1), known=True, alone=True, record_id=out.record_id)
    record, out = step(record, 2.0, same)
    assert granted(out) == 1  # the same record: the store lost nothing
    _record, out = step(None, 10.0, given("n", want(1)))
    idle = given("a", want(1), known=True, alone=False, record_id="another")
    _record, out = step(_record, 10.5, idle)
    assert granted(out) == 1  # another record, but nothing was sent beside the store


def test_a_first_step_without_history_is_not_held() -> None:
    view = WindowView(limit=10, length=60.0, used=3, end_in=20.0)
    _record, out = step(None, 5.0, given("a", want(5), views={"default": view}))
    assert granted(out) == 5


def test_route_names_learned_by_one_worker_serve_all() -> None:
    record, out = step(None, 100.0, given("a", routes={"bookings.get": []}))
    record, out = step(record, 100.1, given("b", want(50)))
    assert granted(out) == 50  # the route is not paced
    assert out.routes["bookings.get"] == []


def test_declared_route_limits_replace_the_default_on_their_route() -> None:
    guests = want(9, "bookings.add_guests", [("booking_guests_add", 5, 60.0)])
    _record, out = step(None, 100.0, given("a", guests + want(9)))
    assert granted(out, "bookings.add_guests") == 5
    assert granted(out) == 9
    assert out.windows["booking_guests_add"].limit == 5


def test_a_name_first_heard_of_opens_its_window_from_the_report() -> None:
    seen = Observation(gen=None, limit=100, counted=40, end_in=10.0)
    _record, out = step(None, 100.0, given("a", observations={"long": seen}))
    assert out.windows["long"].used == 40
    assert out.windows["long"].end_in == 10.0


def test_the_record_is_small_json() -> None:
    record = None
    for worker in "abcdefgh":
        record, _out = step(record, 100.0, given(worker, want(1), in_flight={"default": 1}))
    assert record is not None
    assert len(record) < 2000
    assert set(json.loads(record)) == {"w", "r", "f", "i"}


def test_a_store_clock_known_within_a_round_trip_errs_late() -> None:
    # Read over the network, the store's time is known between 100.0 and 100.4: instants
    # stamped from durations use the latest, comparisons the earliest.
    record, out = step(None, StoreTime(100.0, 100.4), given("a", want(1)))
    gen = out.grants[0].gens["default"]
    seen = Observation(gen=gen, limit=10, counted=10, end_in=5.0)
    record, out = step(record, StoreTime(100.0, 100.4), given("a", observations={"default": seen}))
    assert out.windows["default"].end_in == pytest.approx(5.4)  # ends at 105.4, from 100.0
    record, out = step(record, StoreTime(105.3, 105.7), given("a", want(1)))
    assert granted(out) == 0  # 105.3 might still be before the end


# --- slots taken ahead ----------------------------------------------------------------------------

ROOMY = {"bookings.get": 8}


def test_a_window_far_from_full_grants_slots_ahead_and_counts_them_in_flight() -> None:
    record, out = step(None, 100.0, given("a", want(1), default_limit=100, spare=ROOMY))
    # 99 left after the want, one kept back for the one process, a quarter of that: 24; at most 8.
    assert granted(out) == 1 + 8
    assert out.windows["default"].used == 9
    # Counted as this process's requests in flight: a window that rolls now starts with them.
    assert json.loads(record)["f"]["a"]["n"] == {"default": 9}


def test_slots_ahead_shrink_as_the_window_fills_and_never_pass_the_limit() -> None:
    record: bytes | None = None
    total, aheads = 0, []
    for worker in "abcd" * 12:
        record, out = step(record, 100.0, given(worker, want(1), default_limit=100, spare=ROOMY))
        got = granted(out)
        total += got
        aheads.append(max(got - 1, 0))
    assert total == 100  # the whole window, not one more
    assert aheads[0] == 8  # alone at first (one process known)
    assert 0 < aheads[8] < 8  # four processes known, 100 - 8 - ... left: a smaller part
    assert aheads[-1] == 0  # nearly full: one step per request again
    last = max(i for i, ahead in enumerate(aheads) if ahead)
    assert all(ahead == 0 for ahead in aheads[last + 1 :])


def test_a_want_of_none_asks_for_slots_ahead_alone() -> None:
    _record, out = step(None, 100.0, given("a", want(0), default_limit=100, spare=ROOMY))
    assert granted(out) == 8
    assert out.waits == {}


def test_no_slots_ahead_when_a_want_is_not_granted_in_full_or_without_asking() -> None:
    record, out = step(None, 100.0, given("a", want(9), default_limit=10, spare=ROOMY))
    assert granted(out) == 9  # 1 left, kept back for the one process
    record, out = step(record, 100.0, given("b", want(3), spare=ROOMY))
    assert granted(out) == 1
    _record, out = step(None, 100.0, given("a", want(1), default_limit=100))
    assert granted(out) == 1  # no spare asked for
