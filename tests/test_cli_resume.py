"""Write commands resume: a journal per command and input, ``--journal``, ``--fresh``, and the
summary's skipped / settled / sent counts; a stopped run says why.

``main`` runs its own event loop, so the emulator serves from a thread (see ``test_cli``). The
state directory is the test's own (``XDG_STATE_HOME``, set for every test in ``conftest``).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _emulator_thread import EmulatorThread

from calbookings_async.cli import main
from calbookings_async.cli._resume import journal_path, state_dir
from calbookings_async.testing import CalEmulator

API_KEY = "cal_test_cli_resume_k3y_never_printed"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmulatorThread]:
    monkeypatch.setenv("CAL_API_KEY", API_KEY)
    monkeypatch.delenv("CAL_BASE_URL", raising=False)
    server = EmulatorThread(CalEmulator(seed=5, api_key=API_KEY, rate_limit=None), bookings=120)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert API_KEY not in out + err
    return code, out, err


def journals() -> list[Path]:
    return sorted(state_dir().glob("*.sqlite3"))


def uid_file(tmp_path: Path, uids: list[str]) -> Path:
    source = tmp_path / "uids.txt"
    source.write_text("\n".join(uids) + "\n")
    return source


def test_the_same_command_again_skips_what_is_done(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    uids = served.uids("regular")[:8]
    source = uid_file(tmp_path, uids)
    argv = ("cancel", "--from-file", str(source), "--reason", "Closed", "--base-url", served.url)

    code, _, err = run(capsys, *argv)
    assert code == 0, err
    [journal] = journals()
    assert journal.name.startswith("cancel-")
    assert f"journal {journal}: 0 skipped as done, 0 settled, 8 sent" in err

    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "8 skipped as done, 0 settled, 0 sent" in err
    assert out == ""  # nothing changed, nothing printed
    assert journals() == [journal]
    ledger = served.emulator.ledger
    assert all(ledger.count("cancel", uid) == 1 for uid in uids)


def test_another_input_or_option_has_a_journal_of_its_own(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str]
) -> None:
    uids = served.uids("regular")[:3]
    url = ("--base-url", served.url)
    assert run(capsys, "cancel", uids[0], uids[1], *url)[0] == 0
    assert run(capsys, "cancel", uids[2], *url)[0] == 0
    assert len(journals()) == 2
    # A different reason is a different run, even over the same uids.
    code, _, err = run(capsys, "cancel", uids[0], uids[1], "--reason", "other", *url)
    assert len(journals()) == 3
    assert code == 1  # sent again: the bookings are cancelled already
    assert "0 skipped as done" in err


def test_fresh_starts_over_and_journal_names_the_file(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    uids = served.uids("pending")[:3]
    assert len(uids) == 3
    path = tmp_path / "confirm.sqlite3"
    argv = ("confirm", *uids, "--journal", str(path), "--base-url", served.url)
    assert run(capsys, *argv)[0] == 0
    assert path.exists()
    assert journals() == []  # --journal replaces the default one
    code, _, err = run(capsys, *argv)
    assert code == 0
    assert "3 skipped as done, 0 settled, 0 sent" in err
    code, _, err = run(capsys, *argv, "--fresh")
    assert "0 skipped as done, 0 settled, 3 sent" in err
    ledger = served.emulator.ledger
    assert all(ledger.count("confirm", uid) == 1 for uid in uids)  # the repeats were refused


def test_a_journal_that_cannot_be_opened_is_a_usage_error_before_sending(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    uid = served.uids("regular")[0]
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file")
    path = blocked / "journal.sqlite3"
    code, _, err = run(capsys, "cancel", uid, "--journal", str(path), "--base-url", served.url)
    assert code == 2
    assert str(path) in err
    assert len(served.emulator.ledger) == 0


def test_standard_input_has_no_default_journal(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    uids = served.uids("regular")[:2]
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(uids) + "\n"))
    code, _, err = run(capsys, "cancel", "--from-file", "-", "--base-url", served.url)
    assert code == 0
    assert "journal" not in err
    assert journals() == []


def test_the_default_journal_is_named_after_command_options_and_input() -> None:
    from calbookings_async.cli._args import build_parser, fill_defaults

    def path(*argv: str) -> Path | None:
        return journal_path(fill_defaults(build_parser().parse_args(list(argv))), "d1")

    first = path("cancel", "x", "--reason", "a")
    assert first is not None
    assert first.parent == state_dir()
    assert first.name.startswith("cancel-")
    assert first.suffix == ".sqlite3"
    assert path("cancel", "x", "--reason", "a") == first
    assert path("cancel", "x", "--reason", "b") != first
    assert path("cancel", "x", "--reason", "a", "--base-url", "http://127.0.0.1:1") != first
    assert journal_path(fill_defaults(build_parser().parse_args(["cancel", "x"])), None) is None


def test_the_state_directory_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    assert state_dir() == tmp_path / "calbookings"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/ignored")
    assert state_dir() == Path.home() / ".local" / "state" / "calbookings"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert state_dir() == Path.home() / ".local" / "state" / "calbookings"


def test_a_stopped_run_says_why_in_the_summary(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CAL_API_KEY", "cal_test_wrong_key_never_printed")
    uids = served.uids("regular")[:30]
    code, _, err = run(capsys, "cancel", *uids, "--concurrency", "2", "--base-url", served.url)
    assert code == 1
    assert "stopped: the API key or access token was refused (401 AuthenticationError)" in err
    assert "cal_test_wrong_key_never_printed" not in err


def test_killed_mid_run_the_same_command_resumes_it(
    served: EmulatorThread, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    uids = served.uids("regular")[:60]
    source = uid_file(tmp_path, uids)
    argv = ["cancel", "--from-file", str(source), "--concurrency", "4", "--base-url", served.url]
    child = subprocess.Popen(
        [sys.executable, "-m", "calbookings_async", *argv],
        env={**os.environ, "CAL_API_KEY": API_KEY},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ledger = served.emulator.ledger
    deadline = time.monotonic() + 60
    while len(ledger) < 20:  # a gate polled, not a timing assumption
        assert child.poll() is None
        assert time.monotonic() < deadline
        time.sleep(0.001)
    child.send_signal(signal.SIGKILL)
    child.wait(30)
    applied = len(ledger)

    code, _, err = run(capsys, *argv)
    assert code == 0, err
    counts = re.search(r"(\d+) skipped as done, (\d+) settled, (\d+) sent", err)
    assert counts is not None
    skipped, settled, sent = (int(n) for n in counts.groups())
    assert 0 < skipped <= applied
    assert skipped + settled + sent == len(uids)
    assert all(ledger.count("cancel", uid) == 1 for uid in uids)
