"""Several ``calbookings`` write runs on one key: back to back, and at once.

The emulator runs in this process with Cal.com's limiter (120 requests per 60 s, a 60 s block)
and 600 upcoming bookings; ``calbookings cancel --from-file`` runs as separate processes on 100
uids each, first two back to back, then four at once. Reported per run: wall time and the 429s
the server sent. Target once the command paces through a shared file by default: 0 429s in
both shapes (per-process pacing got 3 x 429 and a 60 s wait in the second back-to-back run).

Extra arguments are passed to every ``calbookings`` run (``--no-pacing`` to compare, or
``--pacing-file PATH`` once the command has it).

Run: ``python benchmarks/bench_cli_runs.py [calbookings options]`` (about 4 minutes).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from calbookings_async.testing import CalEmulator


async def run(command: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    _, errors = await process.communicate()
    if process.returncode != 0:
        print(f"exit {process.returncode}: {errors.decode()[-500:]}")
    return time.monotonic() - started


async def main(extra: list[str]) -> int:
    async with CalEmulator(seed=7) as emu:
        uids = list(emu.seed(bookings=600, oddities=False).booking_uids[:600])
        with tempfile.TemporaryDirectory() as folder:
            files = []
            for index in range(6):
                path = Path(folder) / f"uids-{index}.txt"
                path.write_text("\n".join(uids[index * 100 : (index + 1) * 100]) + "\n")
                files.append(path)
            env = dict(os.environ, CAL_API_KEY=emu.api_key, CAL_BASE_URL=emu.base_url)
            env["XDG_CACHE_HOME"] = folder  # the default pacing file, fresh for this run
            env["XDG_STATE_HOME"] = folder  # and the default journals

            def command(path: Path) -> list[str]:
                cli = [sys.executable, "-m", "calbookings_async", "cancel"]
                return [*cli, "--from-file", str(path), "--reason", "bench", *extra]

            print("| shape | run | seconds | 429s so far |")
            print("|---|---|---|---|")
            for index in range(2):
                seconds = await run(command(files[index]), env)
                print(f"| back to back | {index + 1} | {seconds:.1f} | {emu.status_counts[429]} |")
            # The second shape starts afresh on both sides: the server's limiter is reset, so the
            # runs get a fresh pacing file too (a file still holding the first shape's window
            # would describe a server window that no longer exists; Cal.com never resets a
            # window mid-way).
            emu.throttler.reset()
            fresh = Path(folder) / "four-at-once"
            fresh.mkdir()
            env["XDG_CACHE_HOME"] = str(fresh)
            before = emu.status_counts[429]
            times = await asyncio.gather(*(run(command(files[2 + i]), env) for i in range(4)))
            for index, seconds in enumerate(times):
                print(f"| four at once | {index + 1} | {seconds:.1f} |", end="")
                print(f" {emu.status_counts[429] - before} |")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
