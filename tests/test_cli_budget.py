"""The ``calbookings`` command shares the API key's rate budget between runs, through a file.

Two write runs one right after the other, against an emulator whose limit the first run nearly
uses up: with the default pacing (a ``FilePacer`` in the user's cache directory, or
``--pacing-file``) the second run waits for the window instead of being throttled; with
``--no-pacing`` the same two runs meet the server's 429s (the control that shows the test can
fail).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from _emulator_thread import EmulatorThread

from calbookings_async.cli import main
from calbookings_async.testing import CalEmulator, RateLimit, waits

API_KEY = "cal_test_cli_budget_0123456789"
PER_RUN = 8  # two runs: 16 requests against a limit of 10 per window


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorThread]:
    monkeypatch.setenv("CAL_API_KEY", API_KEY)
    monkeypatch.delenv("CAL_BASE_URL", raising=False)
    emulator = CalEmulator(seed=4, api_key=API_KEY, rate_limit=RateLimit(10, ttl=2.0, block=2.0))
    server = EmulatorThread(emulator, bookings=150)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def two_runs(server: EmulatorThread, tmp_path: Path, *options: str) -> list[int]:
    uids = server.uids("regular")[: 2 * PER_RUN]
    assert len(set(uids)) == 2 * PER_RUN
    codes = []
    for part in (uids[:PER_RUN], uids[PER_RUN:]):
        source = tmp_path / f"uids-{len(codes)}.txt"
        source.write_text("\n".join(part) + "\n")
        argv = ["cancel", "--from-file", str(source), "--format", "none", "-q"]
        codes.append(main([*argv, "--base-url", server.url, *options]))
    return codes


def test_runs_back_to_back_share_the_budget_through_the_default_file(
    limited: EmulatorThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with waits(True):
        codes = two_runs(limited, tmp_path)
    assert codes == [0, 0]
    assert limited.emulator.throttler.rejected == 0
    assert limited.emulator.status_counts[200] == 2 * PER_RUN, limited.emulator.status_counts
    cache = Path(os.environ["XDG_CACHE_HOME"]) / "calbookings"
    assert (cache / "pacing.sqlite3").exists()


def test_pacing_file_names_the_shared_file(
    limited: EmulatorThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = tmp_path / "team-budget.sqlite3"
    with waits(True):
        codes = two_runs(limited, tmp_path, "--pacing-file", str(shared))
    assert codes == [0, 0]
    assert limited.emulator.throttler.rejected == 0
    assert shared.exists()


def test_without_pacing_the_second_run_is_throttled(
    limited: EmulatorThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with waits(True):
        codes = two_runs(limited, tmp_path, "--no-pacing")
    assert limited.emulator.throttler.rejected > 0
    assert codes[0] == 0


def test_a_pacing_file_that_cannot_be_made_is_a_usage_error(
    limited: EmulatorThread, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    code = main(
        [
            "cancel",
            "some-uid",
            "--base-url",
            limited.url,
            "--pacing-file",
            str(blocker / "pacing.sqlite3"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "--pacing-file" in err
    assert str(blocker) in err
    assert limited.emulator.status_counts == {}
