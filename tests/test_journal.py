"""The write journal on each store: claims, fingerprints, records, waits, expiry and reboots.

Every behaviour test runs against :class:`MemoryJournal`, :class:`SQLiteJournal` (a file) and
``RedisJournal`` on ``fakeredis`` (which runs the store's Lua script unchanged); the two-worker
test in ``test_journal_workers.py`` uses a real ``redis-server``.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from calbookings_async import (
    InvalidArgumentError,
    JournalEntry,
    MemoryJournal,
    SQLiteJournal,
    StoreJournal,
)
from calbookings_async._stores import MemoryStore

fakeredis_aioredis = pytest.importorskip("fakeredis.aioredis")


@pytest.fixture(params=["memory", "sqlite", "redis"])
async def journal(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreJournal]:
    from calbookings_async.redis import RedisJournal

    made: StoreJournal
    if request.param == "memory":
        made = MemoryJournal()
    elif request.param == "sqlite":
        made = SQLiteJournal(tmp_path / "journal.sqlite3")
    else:
        made = RedisJournal(fakeredis_aioredis.FakeRedis())
    async with made:
        yield made


async def test_one_claimant_of_a_free_key_wins(journal: StoreJournal) -> None:
    first = await journal.claim("k", "fp", lease=60)
    second = await journal.claim("k", "fp", lease=60)
    assert first.won is True
    assert first.previous is None
    assert second.won is False
    assert second.previous is not None
    assert second.previous.state == "claimed"
    assert second.token == ""


async def test_many_claimants_at_once_one_wins(journal: StoreJournal) -> None:
    claims = await asyncio.gather(*(journal.claim("k", "fp", lease=60) for _ in range(20)))
    assert sum(claim.won for claim in claims) == 1


async def test_a_done_entry_keeps_its_answer_and_is_never_taken(journal: StoreJournal) -> None:
    claim = await journal.claim("k", "fp", lease=60)
    await journal.record("k", "sent", token=claim.token, note='{"host": 1}')
    await journal.record("k", "done", token=claim.token, result='{"data": 1}')
    again = await journal.claim("k", "fp", lease=60)
    assert again.won is False
    assert again.previous == JournalEntry(
        "done", claim.token, again.previous.until, None, "fp", '{"data": 1}', '{"host": 1}'
    )


async def test_another_fingerprint_never_takes_the_entry(journal: StoreJournal) -> None:
    claim = await journal.claim("k", "fp-1", lease=60)
    await journal.record("k", "failed", token=claim.token, error="400 taken")
    other = await journal.claim("k", "fp-2", lease=60)
    assert other.won is False
    assert other.previous is not None
    assert other.previous.fingerprint == "fp-1"
    same = await journal.claim("k", "fp-1", lease=60)
    assert same.won is True  # a definite failure may be sent again under its own key
    assert same.previous is not None
    assert same.previous.error == "400 taken"


@pytest.mark.parametrize("state", ["uncertain", "failed"])
async def test_uncertain_and_failed_entries_are_taken_with_their_note(
    journal: StoreJournal, state: str
) -> None:
    claim = await journal.claim("k", "fp", lease=60)
    await journal.record("k", "sent", token=claim.token, note="before")
    await journal.record("k", state, token=claim.token)
    taken = await journal.claim("k", "fp", lease=60)
    assert taken.won is True
    assert taken.previous is not None
    assert taken.previous.state == state
    await journal.record("k", "sent", token=taken.token)
    entry = await journal.get("k")
    assert entry is not None
    assert entry.note == "before"  # what the read-back compares with: the first attempt's


async def test_a_lease_that_ran_out_lets_the_entry_go(journal: StoreJournal) -> None:
    claim = await journal.claim("k", "fp", lease=0)  # ran out at once (a live one is held:
    assert claim.won  # test_one_claimant_of_a_free_key_wins)
    taken = await journal.claim("k", "fp", lease=60)
    assert taken.won is True
    assert taken.previous is not None
    assert taken.previous.state == "claimed"


async def test_a_record_after_a_takeover_changes_nothing(journal: StoreJournal) -> None:
    old = await journal.claim("k", "fp", lease=0)
    new = await journal.claim("k", "fp", lease=60)
    await journal.record("k", "done", token=old.token, result="stale")
    entry = await journal.get("k")
    assert entry is not None
    assert entry.state == "claimed"
    assert entry.owner == new.token


async def test_wait_returns_the_outcome_once_the_holder_records_it(journal: StoreJournal) -> None:
    claim = await journal.claim("k", "fp", lease=60)

    async def finish() -> None:
        await asyncio.sleep(0.1)
        await journal.record("k", "done", token=claim.token, result="r")

    finisher = asyncio.create_task(finish())
    entry = await journal.wait("k", timeout=30)
    await finisher
    assert entry is not None
    assert entry.state == "done"
    assert entry.result == "r"


async def test_wait_gives_up_after_its_timeout(journal: StoreJournal) -> None:
    await journal.claim("k", "fp", lease=60)
    entry = await journal.wait("k", timeout=0.1)
    assert entry is not None
    assert entry.state == "claimed"


async def test_unknown_states_and_bad_retention_are_refused(journal: StoreJournal) -> None:
    claim = await journal.claim("k", "fp", lease=60)
    with pytest.raises(InvalidArgumentError) as caught:
        await journal.record("k", "finished", token=claim.token)
    assert caught.value.argument == "state"
    for retention in (0, -1, "7d", True):
        with pytest.raises(InvalidArgumentError) as bad:
            MemoryJournal(retention=retention)  # type: ignore[arg-type]
        assert bad.value.argument == "retention"


async def test_entries_expire_after_the_retention() -> None:
    now = [1000.0]
    journal = StoreJournal(MemoryStore(clock=lambda: now[0]), retention=60)
    claim = await journal.claim("k", "fp", lease=10)
    await journal.record("k", "done", token=claim.token, result="r")
    now[0] += 59
    assert await journal.get("k") is not None
    now[0] += 2
    assert await journal.get("k") is None
    assert (await journal.claim("k", "other", lease=10)).won is True


async def test_an_entry_of_another_format_is_refused_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    async with SQLiteJournal(path) as journal:
        await journal.claim("k", "fp", lease=60)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE records SET value = ? WHERE key = 'k'", (json.dumps({"v": 99}).encode(),)
        )
    async with SQLiteJournal(path) as journal:
        with pytest.raises(InvalidArgumentError) as caught:
            await journal.claim("k", "fp", lease=60)
    assert caught.value.argument == "journal"
    assert "'k'" in str(caught.value)
    assert "format 99" in str(caught.value)


async def test_sqlite_entries_outlive_a_reboot(tmp_path: Path) -> None:
    """A new boot id does not wipe a journal (it does wipe a pacer's file)."""
    path = tmp_path / "journal.sqlite3"
    async with SQLiteJournal(path) as journal:
        claim = await journal.claim("k", "fp", lease=60)
        await journal.record("k", "done", token=claim.token, result="r")
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT OR REPLACE INTO meta VALUES ('boot', 'an-earlier-boot')")
    async with SQLiteJournal(path) as journal:
        entry = await journal.get("k")
    assert entry is not None
    assert entry.result == "r"


async def test_a_claim_held_by_a_dead_process_on_this_machine_is_taken(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    child = await asyncio.create_subprocess_exec("true")
    await child.wait()  # a pid that no longer runs
    async with SQLiteJournal(path) as journal:
        claim = await journal.claim("k", "fp", lease=600)
        host, _pid, rest = claim.token.split(":", 2)
        dead = f"{host}:{child.pid}:{rest}"
        await journal.record("k", "sent", token=claim.token)
    with sqlite3.connect(path) as connection:
        (value,) = connection.execute("SELECT value FROM records WHERE key = 'k'").fetchone()
        record = json.loads(value)
        record["owner"] = dead
        connection.execute(
            "UPDATE records SET value = ? WHERE key = 'k'", (json.dumps(record).encode(),)
        )
    async with SQLiteJournal(path) as journal:
        taken = await journal.claim("k", "fp", lease=600)
    assert taken.won is True
    assert taken.previous is not None
    assert taken.previous.owner == dead


async def test_a_journal_path_that_cannot_be_made_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(InvalidArgumentError) as caught:
        SQLiteJournal(blocker / "journal.sqlite3")
    assert caught.value.argument == "path"
    assert str(blocker) in str(caught.value)


def test_redis_journal_refuses_what_is_not_a_client() -> None:
    from calbookings_async.redis import RedisJournal

    with pytest.raises(InvalidArgumentError) as caught:
        RedisJournal(object())
    assert caught.value.argument == "client"
    with pytest.raises(InvalidArgumentError) as url:
        RedisJournal.from_url("http://cache:6379")
    assert url.value.argument == "url"
    with pytest.raises(InvalidArgumentError) as prefix:
        RedisJournal(fakeredis_aioredis.FakeRedis(), prefix="a{b}")
    assert prefix.value.argument == "prefix"


async def test_redis_entries_expire_in_redis() -> None:
    from calbookings_async.redis import RedisJournal

    client = fakeredis_aioredis.FakeRedis()
    async with RedisJournal(client, retention=3600) as journal:
        await journal.claim("k", "fp", lease=60)
    keys = await client.keys("*")
    assert keys == [b"calbookings:{journal}:k"]
    ttl = await client.pttl(keys[0])
    assert 3_500_000 < ttl <= 3_600_000
