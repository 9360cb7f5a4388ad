"""The ``calbookings`` command line, run in-process with ``main(argv)`` against the emulator.

``main`` runs its own event loop (``asyncio.run``), so the emulator serves from a thread with a
loop of its own; the tests read its ledger once ``main`` has returned.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _emulator_thread import EmulatorThread

from calbookings_async import BookingStatus, CalBookings, __version__
from calbookings_async.cli import main
from calbookings_async.cli._args import build_parser, fill_defaults, parse_when
from calbookings_async.cli._common import Tally, make_client, option_name
from calbookings_async.cli._dryrun import API_KEY_BUDGET, rate_limit_time
from calbookings_async.cli._progress import PacerReport
from calbookings_async.testing import CalEmulator, FaultKind

API_KEY = "cal_test_cli_k3y_that_must_never_be_printed"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorThread]:
    monkeypatch.setenv("CAL_API_KEY", API_KEY)
    monkeypatch.delenv("CAL_BASE_URL", raising=False)
    server = EmulatorThread(CalEmulator(seed=3, api_key=API_KEY, rate_limit=None), bookings=150)
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
    assert err == (
        "calbookings: error: mark-absent: say who: --host-absent, --host-present, "
        "--attendee-absent EMAIL or --attendee-present EMAIL\n"
    )

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
    assert err == (
        f"calbookings: reschedule {uid}: START: missing: give --start, or a start after the uid\n"
    )
    code, _, err = run(capsys, "reschedule", f"{uid} someday", "--base-url", served.url)
    assert code == 1
    assert err == (
        f"calbookings: reschedule {uid} someday: START: expected an ISO 8601 date or time "
        "(2025-03-07 or 2025-03-07T10:00:00Z), got 'someday'\n"
    )


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
    # The last progress line is the state when the run stopped: no ETA left over.
    shown = [line for line in err.splitlines() if line.startswith("cancel  [")]
    assert shown, err
    assert f"{len(done)}/10" in shown[-1]
    assert "eta" not in shown[-1]


def test_dry_run_checks_every_item_and_sends_nothing(
    served: EmulatorThread,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CAL_API_KEY")  # a dry run needs no key
    source = tmp_path / "uids.txt"
    source.write_text("".join(f"uid-{n:03d}\n" for n in range(130)))
    code, out, err = run(
        capsys,
        "cancel",
        "--from-file",
        str(source),
        "--reason",
        "Office closed",
        "--dry-run",
        "--base-url",
        served.url,
    )
    assert code == 0
    rows = jsonl(out)
    assert len(rows) == 130
    assert rows[0] == {
        "item": "uid-000",
        "method": "POST",
        "url": f"{served.url}/v2/bookings/uid-000/cancel",
        "body": {"cancellationReason": "Office closed"},
    }
    assert err == (
        "cancel: dry run: 130 request(s) would be sent; nothing was sent\n"
        "  at 120 requests per 60 s for an API key, the rate limit would make them take about "
        "1m00s (2 windows)\n"
    )
    assert sum(served.emulator.status_counts.values()) == 0
    assert len(list(served.emulator.ledger)) == 0


def test_dry_run_reports_invalid_lines(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    source = tmp_path / "moves.txt"
    source.write_text("a-uid 2031-05-05T09:00:00Z\nb-uid next-week\nc-uid\n")
    failed = tmp_path / "failed.txt"
    code, out, err = run(
        capsys,
        "reschedule",
        "--from-file",
        str(source),
        "--format",
        "table",
        "--dry-run",
        "--failed-out",
        str(failed),
        "--base-url",
        served.url,
    )
    assert code == 1
    assert out == (
        f'POST {served.url}/v2/bookings/a-uid/reschedule {{"start":"2031-05-05T09:00:00.000Z"}}\n'
    )
    assert err == (
        "calbookings: reschedule b-uid next-week: START: expected an ISO 8601 date or time "
        "(2025-03-07 or 2025-03-07T10:00:00Z), got 'next-week'\n"
        "calbookings: reschedule c-uid: START: missing: give --start, or a start after the uid\n"
        "reschedule: dry run: 1 request(s) would be sent; nothing was sent; 2 item(s) invalid\n"
        "  within one window of the rate limit (120 requests per 60 s for an API key): no wait\n"
    )
    assert failed.read_text() == "b-uid next-week\nc-uid\n"
    code, out, err = run(capsys, "confirm", "x", "--dry-run", "--format", "none", "-q")
    assert (code, out, err) == (0, "", "")
    assert sum(served.emulator.status_counts.values()) == 0


def test_rate_limit_time_counts_route_throttles_apart() -> None:
    from calbookings_async._operations import op

    guests, cancel = op("bookings.add_guests"), op("bookings.cancel")
    assert rate_limit_time(Counter()) == (0.0, API_KEY_BUDGET, 0)
    assert rate_limit_time(Counter({cancel: 120})) == (0.0, API_KEY_BUDGET, 120)
    assert rate_limit_time(Counter({cancel: 241})) == (120.0, API_KEY_BUDGET, 241)
    # Add-guests has its own throttle (5 per 60 s) in place of the default limit.
    waited, limit, counted = rate_limit_time(Counter({cancel: 100, guests: 11}))
    assert (waited, limit.name, counted) == (120.0, "booking_guests_add", 11)


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
    assert err == NO_KEY_MESSAGE
    monkeypatch.setenv("CAL_API_KEY", "  ")
    assert run(capsys, "cancel", "x", "--base-url", "http://127.0.0.1:9")[2] == NO_KEY_MESSAGE
    monkeypatch.setenv("CAL_API_KEY", "not-a-cal-key-" + API_KEY)
    code, _, err = run(capsys, "get", "x", "--base-url", "http://127.0.0.1:9")
    assert code == 2
    # The variable the shell user sets is named, never the library's keyword (api_key).
    assert err == "calbookings: error: CAL_API_KEY: a Cal.com API key starts with 'cal_'\n"
    assert main(["list", "--api-key", API_KEY]) == 2  # no such option
    capsys.readouterr()


NO_KEY_MESSAGE = (
    "calbookings: error: no API key: set CAL_API_KEY to your Cal.com API key "
    "(export CAL_API_KEY=cal_live_...); calbookings never takes the key as an option, so it "
    "stays out of shell history\n"
)


def test_messages_name_options_and_environment_variables(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CAL_API_KEY", API_KEY)
    code, _, err = run(capsys, "list", "--base-url", "http://example.com")
    assert code == 2
    assert err == (
        "calbookings: error: --base-url (or CAL_BASE_URL): plain http is refused (credentials "
        "would cross the network unencrypted); use https, or http only on a loopback host such "
        "as 127.0.0.1\n"
    )
    monkeypatch.setenv("CAL_BASE_URL", "https://api.cal.com/v2")
    code, _, err = run(capsys, "list")
    assert code == 2
    assert err == (
        "calbookings: error: --base-url (or CAL_BASE_URL): leave out the /v2 (every path already "
        "starts with it): use https://api.cal.com\n"
    )
    monkeypatch.delenv("CAL_BASE_URL")
    code, _, err = run(capsys, "list", "--take", "251", "--base-url", "http://127.0.0.1:9")
    assert code == 2
    assert err == "calbookings: error: --take: must be between 1 and 250, got 251\n"


def test_option_names_for_library_arguments() -> None:
    assert option_name("api_key") == "CAL_API_KEY"
    assert option_name("booking_uid") == "UID"
    assert option_name("after_created_at") == "--after-created"
    assert option_name("attendees[0].email") == "--attendee-absent/--attendee-present"
    assert option_name("reason") == "--reason"
    assert option_name("rescheduled_by") == "--rescheduled-by"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"calbookings {__version__}\n"


def test_an_empty_listing_says_so_on_standard_error(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    for extra in ([], ["--all"]):
        code, out, err = run(
            capsys,
            "list",
            "--attendee-email",
            "nobody@example.net",
            *extra,
            "--base-url",
            served.url,
        )
        assert code == 0
        assert out == ""
        assert err == "calbookings: list: no bookings match\n"
    code, out, err = run(
        capsys, "list", "-q", "--attendee-email", "nobody@example.net", "--base-url", served.url
    )
    assert (code, out, err) == (0, "", "")


def test_verbose_logs_retries_and_very_verbose_every_response(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    uids = served.uids("regular")[40:43]
    served.emulator.faults.inject(
        FaultKind.HTTP_503, route="POST /v2/bookings/{bookingUid}/cancel", times=1
    )
    code, _, err = run(capsys, "cancel", *uids, "-v", "--format", "none", "--base-url", served.url)
    assert code == 0, err
    retries = [line for line in err.splitlines() if line.startswith("calbookings: INFO ")]
    assert len(retries) == 1
    assert "retrying in" in retries[0]
    assert "calbookings: DEBUG " not in err

    code, _, err = run(capsys, "cancel", "-vv", *uids[:2], "--base-url", served.url)
    debug = [line for line in err.splitlines() if line.startswith("calbookings: DEBUG ")]
    assert len(debug) == 2  # one line per response
    assert all(" -> 400 " in line for line in debug)  # already cancelled

    code, _, err = run(capsys, "cancel", *uids[:2], "--base-url", served.url)
    assert "calbookings: INFO" not in err
    assert "calbookings: DEBUG" not in err


def test_base_url_from_the_environment_and_no_pacing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAL_API_KEY", API_KEY)
    monkeypatch.setenv("CAL_BASE_URL", "http://127.0.0.1:8787")
    args = build_parser().parse_args(["--no-pacing", "list"])
    fill_defaults(args)
    assert args.base_url == "http://127.0.0.1:8787"
    cal = make_client(args, Tally())
    assert isinstance(cal, CalBookings)
    assert cal.pacer is None
    asyncio.run(cal.aclose())
    args = fill_defaults(build_parser().parse_args(["list"]))
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


def test_the_demo_measures_the_budget_once_and_shows_the_pacers_holds(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from calbookings_async.cli import _demo

    seen: list[object] = []

    def report(pacer: object) -> PacerReport:
        seen.append(pacer)
        return PacerReport(
            waiting=0, wait_reason=None, resumes_in=None, held=138, longest_hold=0.94
        )

    monkeypatch.setattr(_demo, "pacer_report", report)
    code, out, err = run(capsys, "demo", "--bookings", "60", "--limit", "1000", "--seed", "4")
    assert code == 0, out + err
    assert seen  # asked of the client's pacer
    budget = [line for line in out.splitlines() if "of the budget" in line]
    assert len(budget) == 1  # one measure, not two that disagree
    assert re.fullmatch(
        r"  request rate      (\d\.\d\d) of the budget \((\d+) requests accepted / (\d+) allowed\)",
        budget[0],
    )
    explained = out.splitlines()[out.splitlines().index(budget[0]) + 1]
    assert re.fullmatch(
        r"                    the server allows 1000 per 1 s window; the job spanned \d+ windows",
        explained,
    )
    assert "  pacing            held 138 requests back; the longest hold 0.9 s\n" in out
    assert "held_seconds" not in out
