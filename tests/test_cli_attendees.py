"""The command line's attendee commands and request-reschedule, against the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _emulator_thread import EmulatorThread

from calbookings_async.cli import main
from calbookings_async.testing import CalEmulator

API_KEY = "cal_test_cli_attendees_0123456789"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorThread]:
    monkeypatch.setenv("CAL_API_KEY", API_KEY)
    monkeypatch.setenv("CAL_BASE_URL", "http://unused.invalid")  # every test gives --base-url
    server = EmulatorThread(CalEmulator(seed=7, api_key=API_KEY, rate_limit=None), bookings=80)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run(
    capsys: pytest.CaptureFixture[str], server: EmulatorThread, *argv: str
) -> tuple[int, list[dict[str, Any]], str]:
    code = main([*argv, "--base-url", server.url])
    out, err = capsys.readouterr()
    assert API_KEY not in out + err
    return code, [json.loads(line) for line in out.splitlines()], err


def test_attendees_prints_each_with_its_id_the_booker_first(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = served.uids("regular")[0]
    code, rows, _err = run(capsys, served, "attendees", uid)
    assert code == 0
    assert rows
    assert {row["booking_uid"] for row in rows} == {uid}
    assert all(isinstance(row["id"], int) for row in rows)


def test_add_then_remove_an_attendee(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = served.uids("regular")[1]
    code, rows, _err = run(
        capsys, served, "add-attendee", uid, "--email", "cfo@example.com", "--name", "The CFO",
        "--time-zone", "Europe/Riga",
    )  # fmt: skip
    assert code == 0
    assert [(row["email"], row["name"]) for row in rows] == [("cfo@example.com", "The CFO")]
    added = rows[0]["id"]
    _code, listed, _err = run(capsys, served, "attendees", uid)
    assert added in [row["id"] for row in listed]

    code, _rows, _err = run(capsys, served, "remove-attendee", uid, str(added))
    assert code == 0
    _code, listed, _err = run(capsys, served, "attendees", uid)
    assert added not in [row["id"] for row in listed]


def test_add_attendee_from_a_file_gives_each_booking_its_person(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    first, second = served.uids("regular")[2:4]
    source = tmp_path / "people.txt"
    source.write_text(
        f"{first} ann@example.com Europe/Paris Ann Marie Example\n"
        f"{second} bob@example.com America/New_York Bob\n"
    )
    code, rows, err = run(capsys, served, "add-attendee", "--from-file", str(source))
    assert code == 0, err
    by_booking = {row["booking_uid"]: (row["email"], row["name"]) for row in rows}
    assert by_booking == {
        first: ("ann@example.com", "Ann Marie Example"),
        second: ("bob@example.com", "Bob"),
    }


def test_add_attendee_without_an_email_names_the_option(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = served.uids("regular")[4]
    code, _rows, err = run(capsys, served, "add-attendee", uid, "--name", "X", "--time-zone", "UTC")
    assert code == 1
    assert "--email" in err
    assert served.emulator.status_counts == {}  # nothing was sent


def test_remove_attendee_without_an_id_names_it(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _rows, err = run(capsys, served, "remove-attendee", served.uids("regular")[5])
    assert code == 1
    assert "--attendee-id: missing" in err


def test_request_reschedule_cancels_the_booking_marked_rescheduled(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = served.uids("regular")[6]
    code, _rows, err = run(capsys, served, "request-reschedule", uid, "--reason", "Host is ill")
    assert code == 0, err
    _code, rows, _err = run(capsys, served, "get", uid)
    assert rows[0]["status"] == "cancelled"
    assert rows[0]["cancellation_reason"] == "Host is ill"


def test_dry_run_of_add_attendee_sends_nothing(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    uid = served.uids("regular")[7]
    code, rows, _err = run(
        capsys, served, "add-attendee", uid, "--email", "a@example.com", "--name", "A",
        "--time-zone", "UTC", "--dry-run",
    )  # fmt: skip
    assert code == 0
    assert served.emulator.status_counts == {}
    assert rows
    assert rows[0]["method"] == "POST"
    assert rows[0]["url"].endswith(f"/v2/bookings/{uid}/attendees")


async def _left_uncertain(journal: Path, item: str) -> None:
    """What a run killed while adding ``item`` leaves in its journal: the entry uncertain."""
    from calbookings_async._journal import LEASE
    from calbookings_async._journal import StoreJournal as StoreItemJournal
    from calbookings_async._stores import SQLiteStore

    entries = StoreItemJournal(SQLiteStore(journal, durable=True))
    try:
        claim = await entries.claim("bulk:" + item, "bulk:" + item, lease=LEASE)
        await entries.record("bulk:" + item, "uncertain", token=claim.token)
    finally:
        await entries.aclose()


def test_an_add_left_in_flight_is_read_back_not_sent_again(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    import asyncio

    uid = served.uids("regular")[8]
    journal = tmp_path / "adds.sqlite3"
    item = f"{uid} dan@example.com UTC Dan"
    source = tmp_path / "people.txt"
    source.write_text(item + "\n")
    # The earlier run's add was applied, and the run died before it recorded the outcome.
    code, _rows, _err = run(
        capsys, served, "add-attendee", uid, "--email", "dan@example.com", "--name", "Dan",
        "--time-zone", "UTC", "--journal", str(tmp_path / "other.sqlite3"),
    )  # fmt: skip
    assert code == 0
    asyncio.run(_left_uncertain(journal, item))

    code, rows, err = run(
        capsys, served, "add-attendee", "--from-file", str(source), "--journal", str(journal)
    )
    assert code == 0, err
    assert "0 skipped as done, 1 settled, 0 sent" in err
    assert [row["email"] for row in rows] == ["dan@example.com"]
    _code, listed, _err = run(capsys, served, "attendees", uid)
    assert [row["email"] for row in listed].count("dan@example.com") == 1
