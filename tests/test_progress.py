"""The command line's progress display: timer-driven, rate-limit waits shown, rates that stay
right while the pacer holds requests, plain lines off a terminal, a current final line.

Time is a fake clock moved by the tests; the timer's sleep is a gate the test controls.
"""

from __future__ import annotations

import asyncio
import io
import re

import attrs
import pytest

from calbookings_async import Progress
from calbookings_async.cli._progress import BulkProgress, PacerReport, duration, pacer_report

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@attrs.define
class FakeStats:
    """What the pacer's ``PacingStats`` reports, set by the test."""

    waiting: int = 0
    wait_reason: str | None = None
    resumes_in: float | None = None
    held: int = 0
    longest_hold: float = 0.0


@attrs.define
class FakePacer:
    stats: FakeStats = attrs.field(factory=FakeStats)


def display(clock: Clock, pacer: FakePacer | None = None, **options: object) -> BulkProgress:
    stream = io.StringIO()
    return BulkProgress(
        "cancel",
        stream=stream,
        clock=clock,
        pacer=None if pacer is None else (lambda: pacer_report(pacer)),
        **options,
    )


def lines(shown: BulkProgress) -> list[str]:
    stream = shown.stream
    assert isinstance(stream, io.StringIO)
    return stream.getvalue().splitlines()


def progress(done: int, total: int | None = 240, failed: int = 0) -> Progress:
    return Progress(done=done, failed=failed, total=total, rate=0.0, elapsed=0.0)


# --- what a pacer reports -------------------------------------------------------------------------


def test_pacer_report_reads_the_pacers_stats() -> None:
    pacer = FakePacer(FakeStats(3, "window full: 120 of 120 used", 41.0, 130, 58.5))
    assert pacer_report(pacer) == PacerReport(
        waiting=3,
        wait_reason="window full: 120 of 120 used",
        resumes_in=41.0,
        held=130,
        longest_hold=58.5,
    )
    assert pacer_report(None) is None

    @attrs.define
    class Older:  # stats without the waiting fields: no waiting state to show
        held: int = 0

    assert pacer_report(attrs.make_class("P", {"stats": attrs.field(factory=Older)})()) is None
    assert pacer_report(object()) is None


def test_durations() -> None:
    assert [duration(s) for s in (0, 41.4, 60, 415, 3720, -3)] == [
        "0s",
        "41s",
        "1m00s",
        "6m55s",
        "1h02m",
        "0s",
    ]


# --- plain lines (standard error is not a terminal) -----------------------------------------------


def test_plain_lines_every_few_seconds_with_the_wait_and_a_sliding_rate() -> None:
    clock = Clock()
    pacer = FakePacer()
    shown = display(clock, pacer, tty=False)
    clock.now = 2.0
    shown(progress(120))  # a paced burst: one window's budget in 2 s
    shown.tick()
    assert lines(shown) == []  # plain lines only every 5 s
    clock.now = 5.0
    pacer.stats = FakeStats(waiting=20, wait_reason="window full: 120 of 120 used", resumes_in=55.0)
    shown.tick()
    clock.now = 30.0
    pacer.stats.resumes_in = 30.0
    shown.tick()
    clock.now = 60.0
    pacer.stats.resumes_in = None
    shown.tick()
    assert lines(shown) == [
        "cancel  [############............]  120/240  50%  24.0/s  eta 5s  5s  "
        "waiting for the rate limit (window full: 120 of 120 used), resumes in 55s",
        # While the pacer holds, nothing finishes: the rate falls and the ETA grows.
        "cancel  [############............]  120/240  50%  4.0/s  eta 30s  30s  "
        "waiting for the rate limit (window full: 120 of 120 used), resumes in 30s",
        "cancel  [############............]  120/240  50%  2.0/s  eta 1m00s  1m00s  "
        "waiting for the rate limit (window full: 120 of 120 used)",
    ]
    clock.now = 62.0
    pacer.stats = FakeStats()
    shown(progress(240))
    shown.close()
    shown.close()
    assert lines(shown)[3:] == ["cancel  [########################]  240/240 100%  2.0/s  1m02s"]


def test_the_rate_counts_the_last_minute_only() -> None:
    clock = Clock()
    shown = display(clock, tty=False, interval=10.0)
    for second in range(10, 130, 10):
        clock.now = float(second)
        shown(progress(second, total=None))  # one item a second
        shown.tick()
    clock.now = 190.0
    shown.tick()  # a minute without anything finishing
    assert [line.split("  ")[2] for line in lines(shown)] == [
        *(["1.0/s"] * 12),
        "0.0/s",
    ]
    assert lines(shown)[-1] == "cancel  120 done  0.0/s  3m10s"


def test_the_final_line_is_current_after_an_interruption() -> None:
    clock = Clock()
    shown = display(clock, tty=False)
    clock.now = 1.0
    shown(progress(50, failed=2))
    shown.tick()
    clock.now = 11.0  # Ctrl+C ten seconds later: the last update is stale by then
    shown.close()
    assert lines(shown) == ["cancel  [#####...................]  50/240  21%  2 failed  4.5/s  11s"]


def test_messages_and_a_hidden_display() -> None:
    clock = Clock()
    shown = display(clock, tty=False)
    shown.message("calbookings: cancel x: HTTP 404")
    assert lines(shown) == ["calbookings: cancel x: HTTP 404"]
    hidden = display(clock, FakePacer(FakeStats(waiting=1)), tty=False, visible=False)
    clock.now = 100.0
    hidden(progress(3))
    hidden.tick()
    hidden.message("calbookings: cancel y: HTTP 404")
    hidden.close()
    assert lines(hidden) == ["calbookings: cancel y: HTTP 404"]


async def test_the_timer_draws_while_nothing_finishes() -> None:
    clock = Clock()
    pacer = FakePacer(FakeStats(waiting=5, wait_reason="blocked after a 429", resumes_in=41.0))
    ticks = 0
    enough = asyncio.Event()

    async def sleep(seconds: float) -> None:
        nonlocal ticks
        clock.now += seconds
        ticks += 1
        if ticks > 10:
            enough.set()
            await asyncio.Event().wait()  # held here until the display stops its timer

    shown = display(clock, pacer, tty=False, sleep=sleep)
    async with shown:
        await asyncio.wait_for(enough.wait(), 10)
    # Ticks at 1..10 s: plain lines at 5 s and 10 s, then the final line at 11 s.
    assert lines(shown) == [
        "cancel  0 done  0.0/s  5s  waiting for the rate limit (blocked after a 429), "
        "resumes in 41s",
        "cancel  0 done  0.0/s  10s  waiting for the rate limit (blocked after a 429), "
        "resumes in 41s",
        "cancel  0 done  0.0/s  11s",
    ]


# --- on a terminal --------------------------------------------------------------------------------


@pytest.mark.parametrize("total", [240, None])
async def test_a_terminal_gets_a_live_bar_with_the_wait(total: int | None) -> None:
    clock = Clock()
    pacer = FakePacer(FakeStats(waiting=7, wait_reason="window full: 120 of 120 used"))
    pacer.stats.resumes_in = 41.0

    async def never(seconds: float) -> None:  # the test ticks by hand
        await asyncio.Event().wait()

    shown = display(clock, pacer, tty=True, width=160, sleep=never)
    async with shown:
        clock.now = 2.0
        shown(progress(120, total=total))
        shown.tick()
        shown.message("calbookings: cancel x: HTTP 404")
        clock.now = 3.0
        pacer.stats = FakeStats()
        shown.tick()
    raw = "\n".join(lines(shown))
    assert "\x1b[" in raw  # redrawn in place
    text = ANSI.sub("", raw)
    counts = "120/240  50%" if total else "120 done"
    assert f"{counts}  60.0/s" in text
    assert "waiting for the rate limit (window full: 120 of 120 used), resumes in 41s" in text
    assert text.index("calbookings: cancel x: HTTP 404") < text.rindex("cancel")
    final = text.rstrip("\n").rsplit("\n", 1)[-1]
    assert final.startswith("cancel")
    assert f"{counts}  40.0/s  3s" in final
    assert "waiting" not in final
    assert "eta" not in final


def test_a_known_total_shows_before_the_first_item_finishes() -> None:
    clock = Clock()
    shown = display(clock, tty=False, total=10)
    clock.now = 3.0
    shown.close()  # stopped before anything finished (Ctrl+C)
    assert lines(shown) == ["cancel  [........................]  0/10   0%  0.0/s  3s"]
