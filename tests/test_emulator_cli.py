"""The emulator's command line: ``python -m calbookings_async.testing`` and ``main(argv)``."""

from __future__ import annotations

import asyncio
import json
import signal
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
