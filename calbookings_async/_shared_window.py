"""The shared window: one credential's rate budget as a record in a store, changed by one step.

This is the part of the shared pacer that runs inside the store's atomic step
(``_stores.Store.transact``): a pure function from (the record, the store's time, what one
process brings) to (the new record, what that process gets). It is written once and runs the
same on every store; the process-side half (queueing, batching, fallback) is ``_shared_pacer``.

The record, per credential (JSON):

* ``w``: one window per limit name, as :class:`AdaptivePacer <calbookings_async.AdaptivePacer>`
  keeps it: ``limit``, ``len`` (seconds), ``gen`` (store time when the window started: a store
  restarted empty never reuses one), ``opened`` (first grant, or ``None``), ``end`` (the
  smallest bound any response gave, or ``None``: only ever late), ``used`` (grants plus what the
  server counted beyond them), ``blocked`` (store time a 429's block ends, or ``None``).
* ``r``: route -> the limit names its responses reported (``[]``: the route is not paced).
* ``f``: process -> its requests in flight by limit name, and when that expires (a killed
  process stops counting after the in-flight TTL).
* ``h`` (only after the store lost the record): the store time by which every process that
  paced alone meanwhile has come back (see :meth:`_State.window`).
* ``i``: the record's identity (the process that made it, and the store time). A process that
  paced alone and finds another record than the one it last stepped on knows the store lost
  it, even when a process that never saw the old one made the new one first.

What a process brings (:class:`StepInput`): its wants in order (route, declared limits, count),
its requests in flight now (absolute, so a store restarted empty learns them again), and what
its responses said since its last step, as *durations* relative to the moment it sent the step
(a window ends in 3.2 s; a block ends in 41 s). The store's clock turns them into store times,
late rather than early; no process's own clock is ever compared with another's.

Imports only the standard library.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Grant", "Observation", "StepInput", "StepOutput", "WindowView", "step"]


@dataclass
class Observation:
    """What this process's responses said of one limit name since its last step.

    Attributes:
        gen: The window generation the answered requests were granted in (``None``: a name the
            requests were not paced against, learned from the response).
        limit: The latest reported limit.
        counted: The most the server has counted in that window (its count plus this process's
            requests sent after the answered one).
        end_in: Seconds from the step's sending until the window surely ends (smallest bound).
        blocked_in: Seconds from the step's sending until a 429's block ends.
    """

    gen: float | None = None
    limit: int | None = None
    counted: int | None = None
    end_in: float | None = None
    blocked_in: float | None = None


@dataclass
class WindowView:
    """What a process last knew of one window, to seed a store that lost its record."""

    limit: int
    length: float
    used: int
    end_in: float | None
    #: Seconds until a 429's block ends (``None``: not blocked).
    blocked_in: float | None = None


@dataclass
class StepInput:
    """What one process brings to a step (see the module docstring)."""

    worker: str
    ttl: float
    default_limit: int
    default_length: float
    wants: list[tuple[str, list[tuple[str, int, float]], int]] = field(default_factory=list)
    in_flight: dict[str, int] = field(default_factory=dict)
    observations: dict[str, Observation] = field(default_factory=dict)
    routes: dict[str, list[str]] = field(default_factory=dict)
    views: dict[str, WindowView] = field(default_factory=dict)
    #: Whether this process has used the record before (so its absence means the store lost
    #: it: restarted empty), and the seconds within which every process pacing alone while the
    #: store was down tries it again (and stops sending alone).
    known: bool = False
    rejoin: float = 1.0
    #: The identity of the record this process last stepped on (``None``: none yet), and
    #: whether it paced alone since (the store was down).
    record_id: str | None = None
    alone: bool = False
    #: Route -> the most slots it may get beyond its wants, taken ahead while its windows are
    #: far from full (see :meth:`_State.spare`). A want of 0 asks for these alone.
    spare: dict[str, int] = field(default_factory=dict)
    #: Limit name -> (window generation, slots): slots granted ahead in that window and never
    #: used. They come off its count while it is still the current window.
    returned: dict[str, tuple[float, int]] = field(default_factory=dict)


@dataclass
class Grant:
    """What one route got: ``count`` slots, in the window generations ``gens`` (by name)."""

    route: str
    count: int
    gens: dict[str, float]


@dataclass
class StepOutput:
    """What the process gets back; times are durations from the step's store time."""

    grants: list[Grant]
    #: Route -> (seconds until it may have room, whether a server's report states that wait,
    #: why it waits), for routes whose wants were not all granted.
    waits: dict[str, tuple[float, bool, str]]
    routes: dict[str, list[str]]
    windows: dict[str, WindowView]
    workers: int
    #: The record's identity (the process brings it back as ``record_id``).
    record_id: str = ""


def step(record: bytes | None, now: float, given: StepInput) -> tuple[bytes, StepOutput]:
    """One atomic step: apply what ``given`` learned, roll ended windows, grant what fits.

    ``now`` is the store's time (a ``StoreTime`` from a store whose clock is read from afar:
    ``now`` the earliest it can be, ``now.latest`` the latest).
    """
    state = _State(record, now, given)
    state.register_worker()
    state.learn()
    state.roll_all()
    grants, waits = state.grant()
    output = StepOutput(
        grants=grants,
        waits=waits,
        routes=state.routes,
        windows={name: state.view(name) for name in state.windows},
        workers=len(state.flights),
        record_id=state.record_id,
    )
    return state.dump(), output


class _State:
    """The record being changed by one step."""

    def __init__(self, record: bytes | None, now: float, given: StepInput) -> None:
        data: dict[str, Any] = json.loads(record) if record else {}
        self.windows: dict[str, dict[str, Any]] = data.get("w", {})
        self.routes: dict[str, list[str]] = data.get("r", {})
        self.flights: dict[str, dict[str, Any]] = data.get("f", {})
        self.rejoined: float | None = data.get("h")
        # Comparisons ("has it ended?") use the earliest the store's clock can read; instants
        # stamped from durations use the latest: both err late.
        self.now = now
        self.late = float(getattr(now, "latest", now))
        self.given = given
        self.record_id: str = data.get("i") or f"{given.worker}@{self.late!r}"
        if record is None and given.known:
            self.rejoined = self.late + given.rejoin
        elif given.alone and given.record_id not in (None, self.record_id):
            # The record this process paced alone beside is gone, and whoever made this one
            # did not know (it never saw the old one): hold what it opened as well.
            if self.rejoined is None or self.rejoined < self.late - given.rejoin:
                self.rejoined = self.late + given.rejoin
            for name, window in self.windows.items():
                self._hold(name, window)

    def dump(self) -> bytes:
        data: dict[str, Any] = {
            "w": self.windows,
            "r": self.routes,
            "f": self.flights,
            "i": self.record_id,
        }
        if self.rejoined is not None:
            data["h"] = self.rejoined
        return json.dumps(data, separators=(",", ":")).encode()

    def register_worker(self) -> None:
        """Forget the in-flight counts that expired; record this process's, absolute."""
        now = self.now
        self.flights = {k: v for k, v in self.flights.items() if v["exp"] > now}
        self.flights[self.given.worker] = {
            "exp": self.late + self.given.ttl,
            "n": {k: v for k, v in self.given.in_flight.items() if v > 0},
        }

    def in_flight(self, name: str) -> int:
        return sum(int(entry["n"].get(name, 0)) for entry in self.flights.values())

    def window(self, name: str, limit: int | None = None, length: float | None = None) -> Any:
        """The window called ``name``, created when missing.

        A window created after the store lost its record (it restarted empty) is held shut
        until one window length after every process has come back: while the store was down
        each process paced alone at its share, and those still doing so send into the
        server's current window without the store knowing, until they find it again (within
        ``rejoin``). Nobody knows what the server's window holds until it has ended.
        """
        found = self.windows.get(name)
        if found is not None:
            return found
        given = self.given
        view = given.views.get(name)
        window: dict[str, Any] = {
            "limit": view.limit if view is not None else limit or given.default_limit,
            "len": length or given.default_length,
            "gen": self.late,
            "opened": None,
            "end": None,
            "used": self.in_flight(name),
            "blocked": None,
        }
        self._hold(name, window)
        self.windows[name] = window
        return window

    def _hold(self, name: str, window: dict[str, Any]) -> None:
        """Hold ``window`` shut until one window length after every process is back, or
        until the end of the server's window the process last heard of, when that runs past
        the rejoining (see :meth:`window`)."""
        rejoined = self.rejoined
        if rejoined is None or self.now >= rejoined + window["len"]:
            return
        until = rejoined + window["len"]
        view = self.given.views.get(name)
        if view is not None and view.end_in is not None:
            # The server's window this process last heard of runs past the rejoining (by
            # more than a report's error): nobody can have opened another before, so the
            # hold ends with it.
            end = self.late + view.end_in
            if end - _tolerance(window) - (self.late - self.now) >= rejoined:
                until = min(until, end)
        window["held"] = max(window.get("held") or until, until)

    def learn(self) -> None:
        """Apply the slots given back, the observations and the route names this process
        brings."""
        for name, (gen, count) in self.given.returned.items():
            window = self.windows.get(name)
            if window is not None and window["gen"] == gen:
                window["used"] = max(int(window["used"]) - count, 0)
        for name, seen in self.given.observations.items():
            window = self.window(name, seen.limit)
            if seen.limit is not None and seen.limit >= 1:
                window["limit"] = seen.limit
            if seen.blocked_in is not None:
                until = self.late + max(seen.blocked_in, 0.0)
                blocked = window["blocked"]
                window["blocked"] = until if blocked is None else max(float(blocked), until)
                window["used"] = max(window["used"], window["limit"])
            fresh = seen.gen is None and window["opened"] is None
            if seen.gen == window["gen"] or fresh:
                if fresh:
                    window["opened"] = self.late
                if seen.end_in is not None:
                    end = self.late + max(seen.end_in, 0.0)
                    if self._server_rolled(window, end):
                        # The answer is about the server's next window: the end held here has
                        # passed with no step since, or it was late (it is learned from
                        # whole-second resets) and the server rolled first. Roll as at any
                        # window's end: what is in flight (every process's requests granted and
                        # not yet answered, those granted just before the server rolled among
                        # them) may count in the new one, on top of what the server says it
                        # counted there (this answer's own request included, no longer in
                        # flight). The old window's count is not owed.
                        used = self.in_flight(name) + (seen.counted or 0)
                        window.update(gen=self.late, opened=self.late, end=end, used=used)
                    elif window["end"] is None or end < window["end"]:
                        window["end"] = end
                if seen.counted is not None and seen.counted > window["used"]:
                    window["used"] = seen.counted
        self.routes.update(self.given.routes)

    @staticmethod
    def _server_rolled(window: dict[str, Any], end: float) -> bool:
        """Whether a response's window end is another, later window of the server's than the
        one held here: past the end held by more than the tolerance of one report."""
        held = window["end"]
        return held is not None and end > float(held) + _tolerance(window)

    def roll_all(self) -> None:
        for name, window in self.windows.items():
            self.roll(name, window)

    def roll(self, name: str, window: dict[str, Any]) -> None:
        """Start a new window once the old one surely ended, or its block is over."""
        now = self.now
        blocked, held = window["blocked"], window.get("held")
        if held is not None and now < held:
            return  # held shut after the store lost its record (see window())
        block_over = blocked is not None and now >= blocked
        if block_over or held or (window["opened"] is not None and now >= _deadline(window)):
            used = self.in_flight(name)
            # Requests still in flight may be counted in the window that starts now; when there
            # are any, the window is open (so it rolls again, and a killed process's requests
            # stop counting at the first roll after their expiry).
            late = self.late
            window.update(gen=late, opened=late if used else None, end=None, blocked=None)
            window.pop("held", None)
            window["used"] = used

    def grant(self) -> tuple[list[Grant], dict[str, tuple[float, bool, str]]]:
        """Grant the wants in order, as far as every window of each route has room."""
        grants: list[Grant] = []
        waits: dict[str, tuple[float, bool, str]] = {}
        mine = self.flights[self.given.worker]["n"]
        for route, declared, count in self.given.wants:
            names = self.routes.get(route)
            if names is None:
                names = [name for name, _l, _w in declared] or ["default"]
            windows = [self.window(n, *_declared(declared, n)) for n in names]
            room = min((self._room(w) for w in windows), default=count)
            got = max(0, min(count, room))
            if got == count and windows:
                got += self._spare(room - got, self.given.spare.get(route, 0))
            if got:
                for name, window in zip(names, windows, strict=True):
                    if window["opened"] is None:
                        window["opened"] = self.late
                    window["used"] += got
                    mine[name] = mine.get(name, 0) + got
                grants.append(
                    Grant(route, got, {n: w["gen"] for n, w in zip(names, windows, strict=True)})
                )
            if got < count:
                waits[route] = self._wait(names, windows)
        return grants, waits

    def _spare(self, room: int, most: int) -> int:
        """Slots a route may take ahead, beyond its wants: at most ``most``, and at most a
        quarter of an equal part (one kept back for each process) of the ``room`` its fullest
        window has left after the wants.

        Taken-ahead slots are granted like any (counted in the window, and in flight for their
        process until it uses or returns them), so they never let more through than the
        window allows; they spare the process a round trip for each of its next requests. As a
        window fills, the parts shrink to nothing, and requests go back to one step each.
        """
        if most <= 0:
            return 0
        processes = max(len(self.flights), 1)
        return max(0, min(most, (room - processes) // (4 * processes)))

    def _room(self, window: dict[str, Any]) -> int:
        if window["blocked"] is not None and self.now < window["blocked"]:
            return 0
        if "held" in window:
            return 0
        return int(window["limit"]) - int(window["used"])

    def _wait(self, names: list[str], windows: list[dict[str, Any]]) -> tuple[float, bool, str]:
        """How long the route waits, whether a server's report says so, and why."""
        wait, stated, reason = 0.0, False, "window full"
        for name, window in zip(names, windows, strict=True):
            if window["blocked"] is not None and self.now < window["blocked"]:
                delay, said, why = window["blocked"] - self.now, True, "blocked after a 429"
            elif "held" in window:
                delay, said = window["held"] - self.now, True
                why = "the store restarted empty: waiting for every process to come back"
            elif self._room(window) > 0:
                continue
            else:
                delay = _deadline(window) - self.now if window["opened"] is not None else 0.0
                said = window["end"] is not None
                label = "window full" if name == "default" else f"{name} window full"
                why = f"{label}: {window['used']} of {window['limit']} used"
            if delay >= wait:
                wait, stated, reason = max(delay, 0.0), said, why
        return wait, stated, reason

    def view(self, name: str) -> WindowView:
        window = self.windows[name]
        end, blocked = window["end"], window["blocked"]
        return WindowView(
            limit=int(window["limit"]),
            length=float(window["len"]),
            used=int(window["used"]),
            end_in=None if end is None else end - self.now,
            blocked_in=None if blocked is None or blocked <= self.now else blocked - self.now,
        )


def _declared(declared: list[tuple[str, int, float]], name: str) -> tuple[int | None, float | None]:
    for known, limit, length in declared:
        if known == name:
            return limit, length
    return None, None


def _tolerance(window: dict[str, Any]) -> float:
    """How far apart two reports of one server window's end may be (whole-second resets)."""
    return max(1.0, float(window["len"]) / 10)


def _deadline(window: dict[str, Any]) -> float:
    """When the window has surely ended: the reported bound, or a fallback before any."""
    if window["end"] is not None:
        return float(window["end"])
    if window["opened"] is None:
        return math.inf
    return float(window["opened"]) + float(window["len"]) * 1.25 + 1.0
