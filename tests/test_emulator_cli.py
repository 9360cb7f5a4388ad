"""The emulator's command line: ``python -m calbookings_async.testing`` and ``main(argv)``."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
import urllib.request

import aiohttp
import pytest

from calbookings_async.testing import main
from calbookings_async.testing._cli import build_parser, serve


def test_module_runs_standalone_until_interrupted() -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "calbookings_async.testing",
            "--port",
            "0",
            "--seed",
            "25",
            "--rate-limit",
            "7",
            "--rate-window",
            "2",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        second = process.stdout.readline()
        assert first.startswith("Cal.com emulator listening on http://127.0.0.1:")
        base_url = first.split()[-1]
        api_key = second.split()[-1]
        assert api_key.startswith("cal_")
        request = urllib.request.Request(
            f"{base_url}/v2/bookings?take=5",
            headers={"Authorization": f"Bearer {api_key}", "cal-api-version": "2024-08-13"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.headers["X-RateLimit-Limit-Default"] == "7"
            payload = json.load(response)
        assert payload["pagination"]["totalItems"] == 25
    finally:
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=10)
        assert process.stderr is not None
        stderr = process.stderr.read()
        assert process.stdout is not None
        process.stdout.close()
        process.stderr.close()
    assert code == 0, stderr
    assert stderr == ""


def test_parser_defaults() -> None:
    args = build_parser().parse_args([])
    assert (args.host, args.port, args.seed, args.rate_limit) == ("127.0.0.1", 8787, 0, 120)
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0


async def test_serve_in_process_until_stopped(capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(["--port", "0", "--seed", "3", "--no-rate-limit"])
    stop = asyncio.Event()
    task = asyncio.create_task(serve(args, stop))
    out = ""
    for _ in range(300):
        await asyncio.sleep(0.01)
        out += capsys.readouterr().out
        if "listening on" in out:
            break
    base_url = out.split("listening on ")[1].split()[0]
    headers = {"Authorization": f"Bearer {args.api_key}", "cal-api-version": "2024-08-13"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{base_url}/v2/bookings", headers=headers) as response,
    ):
        assert response.status == 200
        assert "X-RateLimit-Limit-Default" not in response.headers
        assert (await response.json())["pagination"]["totalItems"] == 3
    stop.set()
    assert await task == 0


async def _serve_until_banner(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> tuple[asyncio.Event, asyncio.Task[int], str]:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(build_parser().parse_args(args), stop))
    out = ""
    for _ in range(500):  # bounded: the banner is written as soon as the site listens
        await asyncio.sleep(0.01)
        out += capsys.readouterr().out
        if "Press Ctrl+C to stop." in out:
            break
    return stop, task, out


async def test_banner_names_limits_ids_and_ready_to_paste_exports(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--port", "0", "--seed", "12", "--rate-limit", "50", "--rate-window", "2"]
    stop, task, out = await _serve_until_banner([*args, "--rate-block", "3"], capsys)
    stop.set()
    assert await task == 0
    base_url = out.split("listening on ")[1].split()[0]
    key = "cal_test_emulator_0123456789abcdef"
    assert out == (
        f"Cal.com emulator listening on {base_url}\n"
        f"API key: {key}\n"
        "Rate limit: 50 requests per 2 s per API key, then a 3 s block.\n"
        "Route limits (booking_attendees_add, booking_attendees_remove, booking_guests_add, "
        "booking_location_update): 5 requests per 60 s each, then a 60 s block.\n"
        "Organization id: 1; team ids: 1; 12 bookings seeded.\n"
        "Use it from a shell or the SDK (CalBookings() reads both variables):\n"
        f"  export CAL_API_KEY={key} CAL_BASE_URL={base_url}\n"
        f"Raw HTTP: send 'Authorization: Bearer {key}' and 'cal-api-version: 2024-08-13'.\n"
        "Press Ctrl+C to stop.\n"
    )


async def test_banner_without_seed_or_limits(capsys: pytest.CaptureFixture[str]) -> None:
    stop, task, out = await _serve_until_banner(["--port", "0", "--no-rate-limit"], capsys)
    stop.set()
    assert await task == 0
    lines = out.splitlines()
    assert lines[2] == "Rate limits: off (--no-rate-limit)."
    assert lines[3] == (
        "Organization id: 1; team ids: none (seed with --seed N); 0 bookings seeded."
    )


async def test_log_requests_prints_one_line_per_request(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ["--port", "0", "--seed", "3", "--rate-limit", "7", "--log-requests"]
    stop, task, out = await _serve_until_banner(args, capsys)
    base_url = out.split("listening on ")[1].split()[0]
    headers = {
        "Authorization": "Bearer cal_test_emulator_0123456789abcdef",
        "cal-api-version": "2024-08-13",
    }
    async with aiohttp.ClientSession(base_url, headers=headers) as http:
        async with http.get("/v2/bookings?take=2") as response:
            assert response.status == 200
        async with http.get("/v2/bookings/nope") as response:
            assert response.status == 404
        async with http.post("/v2/bookings/nope/guests", json={}) as response:
            assert response.status == 400
        async with http.get("/v2/nowhere", headers={"Authorization": ""}) as response:
            assert response.status == 404
    stop.set()
    assert await task == 0
    assert capsys.readouterr().out.splitlines() == [
        "GET /v2/bookings?take=2 200 remaining Default=6",
        "GET /v2/bookings/nope 404 remaining Default=5",
        "POST /v2/bookings/nope/guests 400 remaining Booking_guests_add=4",
        "GET /v2/nowhere 404 remaining -",
    ]


def test_help_names_the_command_it_was_invoked_as(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"], prog="calbookings emulator")
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("usage: calbookings emulator [-h]")
    with pytest.raises(SystemExit):
        main(["--help"])
    assert capsys.readouterr().out.startswith("usage: python -m calbookings_async.testing [-h]")


def test_calbookings_emulator_help_names_itself(capsys: pytest.CaptureFixture[str]) -> None:
    from calbookings_async.cli import main as cli_main

    assert cli_main(["emulator", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: calbookings emulator [-h]")


def test_a_port_in_use_suggests_port_zero(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["--port", str(port)], prog="calbookings emulator") == 1
    assert capsys.readouterr().err == (
        f"calbookings emulator: cannot start the emulator: port {port} on 127.0.0.1 is already "
        "in use; pass --port 0 to pick a free port\n"
    )
