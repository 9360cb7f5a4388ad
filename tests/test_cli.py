"""The ``calbookings`` command line, run in-process with ``main(argv)`` against the emulator.

``main`` runs its own event loop (``asyncio.run``), so the emulator serves from a thread with a
loop of its own; the tests read its ledger once ``main`` has returned.
"""

from __future__ import annotations

import asyncio
import io
import json
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calbookings_async import BookingStatus, CalBookings, Progress
from calbookings_async.cli import main
from calbookings_async.cli._main import Tally, build_parser, make_client, parse_when
from calbookings_async.cli._progress import ProgressBar
from calbookings_async.testing import CalEmulator, FaultKind

API_KEY = "cal_test_cli_k3y_that_must_never_be_printed"


class EmulatorThread:
    """A seeded emulator serving from a thread, until stopped."""

    def __init__(self, bookings: int = 150) -> None:
        self.emulator = CalEmulator(seed=3, api_key=API_KEY, rate_limit=None)
        self.summary = self.emulator.seed(bookings=bookings)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with self.emulator:
            self._ready.set()
            await self._stop.wait()

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10)

    def stop(self) -> None:
        assert self._loop is not None
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return self.emulator.base_url

    def uids(self, kind: str) -> list[str]:
        return list(self.summary.kinds[kind])


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorThread]:
    monkeypatch.setenv("CAL_API_KEY", API_KEY)
    monkeypatch.delenv("CAL_BASE_URL", raising=False)
    server = EmulatorThread()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run(
    capsys: pytest.CaptureFixture[str], *argv: str, stdin: str | None = None
) -> tuple[int, str, str]:
    if stdin is not None:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("sys.stdin", io.StringIO(stdin))
            code = main(list(argv))
    else:
        code = main(list(argv))
    out, err = capsys.readouterr()
    assert API_KEY not in out + err
    return code, out, err


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


# --- list and get --------------------------------------------------------------------------------


def test_list_prints_one_page_as_json_lines(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "list", "--take", "7", "--base-url", served.url)
    assert code == 0
    rows = jsonl(out)
    assert len(rows) == 7
    assert {"uid", "status", "start", "attendees", "event_type_id"} <= rows[0].keys()
    assert "time_zone" in rows[0]["attendees"][0]  # snake_case all the way down
    assert rows[0]["start"].endswith("Z")
    assert "--skip 7" in err
    assert "--all" in err


def test_list_all_walks_every_page_with_filters(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--base-url", served.url, "list", "--all", "--take", "40")
    assert code == 0
    assert sorted(row["uid"] for row in jsonl(out)) == sorted(served.emulator.bookings)

    code, out, _ = run(
        capsys,
        "list",
        "--all",
        "--status",
        "upcoming,unconfirmed",
        "--status",
        "past",
        "--sort-start",
        "asc",
        "--after-start",
        "2000-01-01",
        "--concurrency",
        "3",
        "--base-url",
        served.url,
    )
    assert code == 0
    starts = [row["start"] for row in jsonl(out)]
    assert starts == sorted(starts)
    assert {row["status"] for row in jsonl(out)} <= {"accepted", "pending", "awaiting_host"}

    email = served.emulator.bookings[served.uids("regular")[0]]["attendees"][0]["email"]
    code, out, _ = run(capsys, "list", "--attendee-email", email, "--all", "--base-url", served.url)
    assert code == 0
    rows = jsonl(out)
    assert rows
    assert all(email in {a["email"] for a in row["attendees"]} for row in rows)


def test_list_as_a_table(served: EmulatorThread, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list", "--format", "table", "--take", "3", "--base-url", served.url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("UID")
    assert "STATUS" in lines[0]
    assert len(lines) == 4


def test_get_prints_the_booking_and_fails_for_an_unknown_uid(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = served.uids("regular")[0]
    code, out, _ = run(capsys, "get", uid, "--base-url", served.url)
    assert code == 0
    assert jsonl(out)[0]["uid"] == uid
    code, out, err = run(capsys, "get", uid, "nope-not-a-booking", "--base-url", served.url)
    assert code == 1
    assert len(jsonl(out)) == 1
    assert "get nope-not-a-booking" in err
    assert "404" in err


# --- writes ---------------------------------------------------------------------------------------


def test_cancel_many_from_a_file_writes_the_failed_uids(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    uids = served.uids("regular")[:12]
    source = tmp_path / "uids.txt"
    source.write_text("# to cancel\n\n" + "\n".join([*uids[:6], "missing-uid", *uids[6:]]) + "\n")
    failed = tmp_path / "failed.txt"
    code, out, err = run(
        capsys,
        "cancel",
        "--from-file",
        str(source),
        "--reason",
        "Closed for the holidays",
        "--failed-out",
        str(failed),
        "--base-url",
        served.url,
    )
    assert code == 1
    assert failed.read_text() == "missing-uid\n"
    rows = jsonl(out)
    assert sorted(row["uid"] for row in rows) == sorted(uids)
    assert {row["status"] for row in rows} == {"cancelled"}
    assert "cancel missing-uid" in err
    assert "13 done" in err
    assert "12 succeeded, 1 failed" in err
    assert f"written to {failed}" in err
    assert "\r" not in err  # stderr is not a terminal: plain lines
    assert "\x1b" not in err
    assert "[####" in err  # the progress bar's last state
    ledger = served.emulator.ledger
    assert all(ledger.count("cancel", uid) == 1 for uid in uids)

    # The failed file feeds straight back in.
    code, _, err = run(capsys, "cancel", "--from-file", str(failed), "--base-url", served.url)
    assert code == 1
    assert "1 failed" in err


def test_confirm_uids_from_standard_input(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    pending = [
        uid
        for uid in served.uids("pending")
        if served.emulator.bookings[uid]["status"] == "pending"
    ][:3]
    code, out, err = run(
        capsys,
        "confirm",
        "--from-file",
        "-",
        "--format",
        "none",
        "--base-url",
        served.url,
        stdin="\n".join(pending) + "\n",
    )
    assert code == 0, err
    assert out == ""
    assert "3 succeeded, 0 failed" in err
    assert all(served.emulator.bookings[uid]["status"] == "accepted" for uid in pending)


def test_one_uid_prints_the_result_without_progress(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = served.uids("regular")[1]
    code, out, err = run(capsys, "decline", uid, "--base-url", served.url)
    # A regular booking is not pending: the server refuses, and the exit code says so.
    assert code == 1
    assert out == ""
    assert f"decline {uid}" in err
    assert "400" in err
    assert "done" not in err  # no summary for one uid

    code, out, err = run(capsys, "cancel", uid, "-q", "--base-url", served.url)
    assert code == 0
    assert jsonl(out)[0]["status"] == "cancelled"
    assert err == ""


def test_mark_absent_and_reschedule(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    past = [
        uid
        for uid in served.uids("regular")
        if served.emulator.bookings[uid]["status"] == "accepted"
    ][-1]
    email = served.emulator.bookings[past]["attendees"][0]["email"]
    code, out, err = run(
        capsys,
        "mark-absent",
        past,
        "--attendee-absent",
        email,
        "--host-present",
        "--base-url",
        served.url,
    )
    assert code == 0, err
    row = jsonl(out)[0]
    assert row["attendees"][0]["absent"] is True
    assert row["absent_host"] is False

    code, _, err = run(capsys, "mark-absent", past, "--base-url", served.url)
    assert code == 2
    assert "say who" in err

    movable = [
        uid
        for uid in served.uids("regular")
        if served.emulator.bookings[uid]["status"] == "accepted"
    ][2:4]
    source = tmp_path / "moves.txt"
    source.write_text(f"{movable[0]} 2031-05-05T09:00:00Z\n{movable[1]}\n")
    code, out, err = run(
        capsys,
        "reschedule",
        "--from-file",
        str(source),
        "--start",
        "2031-05-06T09:00:00+00:00",
        "--base-url",
        served.url,
    )
    assert code == 0, err
    starts = sorted(row["start"] for row in jsonl(out))
    assert starts == ["2031-05-05T09:00:00Z", "2031-05-06T09:00:00Z"]


def test_a_reschedule_line_without_a_start_fails_that_item_only(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = served.uids("regular")[5]
    code, _, err = run(capsys, "reschedule", uid, "--base-url", served.url)
    assert code == 1
    assert "start" in err


def test_ctrl_c_stops_the_run_and_writes_the_unfinished_uids(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    uids = served.uids("regular")[20:30]
    served.emulator.faults.inject(
        FaultKind.DELAY, route="POST /v2/bookings/{bookingUid}/cancel", times=None, delay=0.5
    )
    source = tmp_path / "uids.txt"
    source.write_text("\n".join(uids) + "\n")
    failed = tmp_path / "failed.txt"
    timer = threading.Timer(0.25, signal.raise_signal, args=(signal.SIGINT,))
    timer.start()
    try:
        code, out, err = run(
            capsys,
            "cancel",
            "--from-file",
            str(source),
            "--concurrency",
            "2",
            "--failed-out",
            str(failed),
            "--base-url",
            served.url,
        )
    finally:
        timer.cancel()
    served.emulator.faults.clear()
    assert code == 130
    left = failed.read_text().split()
    done = [row["uid"] for row in jsonl(out)]
    assert left  # cut off in flight, or never started
    assert not set(left) & set(done)
    assert sorted(left + done) == sorted(uids)  # every uid is either done or written out
    assert "unfinished" in err


# --- usage and configuration ----------------------------------------------------------------------


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main([]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["list", "--take", "0"]) == 2
    assert main(["list", "--status", "someday"]) == 2
    assert main(["list", "--after-start", "next tuesday"]) == 2
    assert main(["cancel"]) == 2
    assert main(["cancel", "uid1", "--from-file", "x"]) == 2
    assert main(["cancel", "--from-file", str(tmp_path / "missing.txt")]) == 2
    assert main(["list", "--bogus"]) == 2
    capsys.readouterr()


def test_credentials_come_only_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CAL_API_KEY", raising=False)
    code, _, err = run(capsys, "list", "--base-url", "http://127.0.0.1:9")
    assert code == 2
    assert "CAL_API_KEY" in err
    monkeypatch.setenv("CAL_API_KEY", "not-a-cal-key-" + API_KEY)
    code, _, err = run(capsys, "get", "x", "--base-url", "http://127.0.0.1:9")
    assert code == 2
    assert "api_key" in err
    assert main(["list", "--api-key", API_KEY]) == 2  # no such option
    capsys.readouterr()


def test_base_url_from_the_environment_and_no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAL_API_KEY", API_KEY)
    monkeypatch.setenv("CAL_BASE_URL", "http://127.0.0.1:8787")
    args = build_parser().parse_args(["--no-pacing", "list"])
    from calbookings_async.cli._main import _defaults

    _defaults(args)
    assert args.base_url == "http://127.0.0.1:8787"
    cal = make_client(args, Tally())
    assert isinstance(cal, CalBookings)
    assert cal.pacer is None
    asyncio.run(cal.aclose())
    args = _defaults(build_parser().parse_args(["list"]))
    cal = make_client(args, Tally())
    assert cal.pacer is not None
    asyncio.run(cal.aclose())


def test_the_package_runs_as_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "calbookings_async", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert "calbookings" in done.stdout
    assert "demo" in done.stdout


def test_the_emulator_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["emulator", "--help"]) == 0
    assert "--rate-limit" in capsys.readouterr().out


def test_dates_without_an_offset_are_utc() -> None:
    assert parse_when("2025-03-07").isoformat() == "2025-03-07T00:00:00+00:00"
    assert parse_when("2025-03-07T10:00:00Z").isoformat() == "2025-03-07T10:00:00+00:00"
    assert parse_when("2025-03-07T10:00:00+02:00").utcoffset() is not None


# --- the progress bar -----------------------------------------------------------------------------


def test_progress_bar_on_a_terminal_redraws_in_place() -> None:
    stream = io.StringIO()
    now = [0.0]
    bar = ProgressBar(stream, "cancel", tty=True, clock=lambda: now[0])
    for done in range(1, 11):
        now[0] += 0.0625  # exact in binary: no rounding at the 0.1 s boundary
        bar(Progress(done=done, failed=1, total=10, rate=20.0, elapsed=now[0]))
    bar.close()
    text = stream.getvalue()
    assert text.count("\r") == 6  # five redraws at least 0.1 s apart, and the last state
    assert text.endswith("\n")
    assert "10/10 100%" in text
    assert "1 failed" in text
    assert "\x1b" not in text


def test_progress_bar_notes_go_above_the_bar() -> None:
    stream = io.StringIO()
    now = [0.0]
    bar = ProgressBar(stream, "cancel", tty=True, clock=lambda: now[0])
    now[0] = 1.0
    bar(Progress(done=1, failed=1, total=2, rate=1.0, elapsed=1.0))
    bar.note("cancel x: HTTP 404")
    lines = stream.getvalue().split("\n")
    assert lines[0].endswith("\rcancel x: HTTP 404")  # the bar's line cleared, then the note
    assert lines[1].startswith("\rcancel  [")  # the bar redrawn below it
    stream = io.StringIO()
    ProgressBar(stream, "cancel", tty=False).note("plain")
    assert stream.getvalue() == "plain\n"


def test_progress_bar_without_a_total_or_a_terminal() -> None:
    stream = io.StringIO()
    bar = ProgressBar(stream, "confirm", tty=False)
    bar(Progress(done=3, failed=0, total=None, rate=1.5, elapsed=2.0))
    assert stream.getvalue() == ""  # plain lines only every few seconds
    bar.close()
    bar.close()
    assert stream.getvalue() == "confirm  3 done  1.5/s  2s\n"
    assert (
        ProgressBar(io.StringIO(), "x").render(
            Progress(done=5, failed=0, total=20, rate=1.0, elapsed=65.0)
        )
        == "x  [######..................]  5/20  25%  1.0/s  eta 15s  1m05s"
    )


# --- the demo -------------------------------------------------------------------------------------


def test_the_demo_runs_and_prints_its_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "demo", "--bookings", "300", "--limit", "1000", "--window", "1", "--seed", "4"
    )
    assert code == 0, out + err
    for line in (
        "list (pages)",
        "confirm",
        "decline",
        "mark-absent",
        "cancel",
        "wall time",
        "of the budget",
        "retries",
        "429s received     0",
        "failures          0",
        "each applied exactly once; none lost: OK",
    ):
        assert line in out, line
    assert "[####" in err
    assert BookingStatus.CANCELLED.value  # the demo's writes are checked by its own ledger line
