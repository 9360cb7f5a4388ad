"""Every Python block of the README runs against the emulator and type-checks with mypy --strict.

The README's blocks are one session, as its "Examples" note says: run in order in one
namespace, with top-level ``await`` (like ``python -m asyncio``), by a harness that changes
nothing in them. The key and the base URL reach them only through the environment
(``CAL_API_KEY``, ``CAL_BASE_URL``), which the harness points at an emulator seeded with 100
bookings. A block that is a pytest module (it defines ``test_`` functions) runs in a pytest
process of its own, through the package's pytest plugin, as a user's project would run it.

mypy --strict checks the session as the body of one ``async def`` (top-level ``await`` is what it
is at an asyncio prompt) and each pytest block as a module of its own.

A block known to fail for a reason outside the README is listed in :data:`KNOWN_RUN_FAILURES` or
:data:`KNOWN_TYPE_ERRORS` with that reason (a strict xfail: once it passes, the entry must go).
While ``CalBookings()`` does not read ``CAL_BASE_URL``, the session is not run at all (its
clients would call api.cal.com): its tests are reported as xfailed with that reason.
"""

from __future__ import annotations

import ast
import asyncio
import contextlib
import importlib
import io
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from _emulator_thread import EmulatorThread

from calbookings_async import CalBookings
from calbookings_async.testing import CalEmulator, waits_disabled

README = Path(__file__).resolve().parent.parent / "README.md"
PACKAGE = "calbookings_async"
FENCE = re.compile(r"^```python[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
HEADING = re.compile(r"^#+ (.+)$", re.MULTILINE)
ANY_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
README_KEY = "cal_test_readme_k3y"

pytest_plugins = ["pytester"]

#: Block id -> why it does not run today (a strict xfail: once it runs, the entry must go).
KNOWN_RUN_FAILURES: dict[str, str] = {}

#: Block id -> why it does not type-check today (a strict xfail, likewise).
KNOWN_TYPE_ERRORS: dict[str, str] = {}


@dataclass(frozen=True)
class Block:
    """One ```python block of the README."""

    section: str  # the heading above it
    index: int  # its place among the section's blocks, from 1
    line: int  # the README line of its first line of code
    code: str

    @property
    def id(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.section.lower()).strip("-")
        return f"{slug}-{self.index}"

    @property
    def is_pytest_module(self) -> bool:
        return re.search(r"^(async )?def test_", self.code, re.MULTILINE) is not None


def readme_blocks() -> list[Block]:
    text = README.read_text()
    fences = [(m.start(), m.end()) for m in ANY_FENCE.finditer(text)]
    headings = [
        (m.start(), m.group(1).strip())
        for m in HEADING.finditer(text)
        if not any(start < m.start() < end for start, end in fences)  # not a shell comment
    ]
    blocks: list[Block] = []
    counts: dict[str, int] = {}
    for match in FENCE.finditer(text):
        section = next((h for at, h in reversed(headings) if at < match.start()), "top")
        counts[section] = counts.get(section, 0) + 1
        line = text.count("\n", 0, match.start(1)) + 1
        blocks.append(Block(section, counts[section], line, match.group(1)))
    return blocks


BLOCKS = readme_blocks()
SESSION = [block for block in BLOCKS if not block.is_pytest_module]
PYTEST_MODULES = [block for block in BLOCKS if block.is_pytest_module]


def _param(block: Block, known: dict[str, str]) -> Any:
    reason = known.get(block.id)
    marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
    return pytest.param(block, id=block.id, marks=marks)


# --- names ----------------------------------------------------------------------------------------


def readme_imports() -> list[tuple[str, str]]:
    found = []
    for block in BLOCKS:
        for node in ast.walk(ast.parse(block.code)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(PACKAGE):
                found += [(node.module or "", alias.name) for alias in node.names]
    return found


def test_the_readme_has_examples() -> None:
    assert len(readme_imports()) > 10
    assert len(SESSION) > 8
    assert PYTEST_MODULES
    ids = {block.id for block in BLOCKS}
    assert len(ids) == len(BLOCKS)
    assert "quick-start-1" in ids  # headings are found outside code blocks only
    assert set(KNOWN_RUN_FAILURES) | set(KNOWN_TYPE_ERRORS) <= ids  # no stale entries


@pytest.mark.parametrize(("module", "name"), readme_imports())
def test_every_name_the_readme_imports_exists(module: str, name: str) -> None:
    assert hasattr(importlib.import_module(module), name), f"{module}.{name}"


def test_every_enum_member_the_readme_uses_exists() -> None:
    import calbookings_async

    for enum_name, member in re.findall(r"\b([A-Z]\w+)\.([A-Z][A-Z0-9_]+)\b", README.read_text()):
        enum_class = getattr(calbookings_async, enum_name, None)
        if enum_class is not None:
            assert hasattr(enum_class, member), f"{enum_name}.{member}"


# --- running the session --------------------------------------------------------------------------


def _compiled(block: Block) -> Any:
    # The block's own line numbers in tracebacks, shifted to the README's.
    tree = ast.parse(block.code, filename=str(README))
    ast.increment_lineno(tree, block.line - 1)
    return compile(tree, str(README), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def _run_block(block: Block, namespace: dict[str, Any], loop: asyncio.AbstractEventLoop) -> None:
    result = eval(_compiled(block), namespace)  # a coroutine when the block awaits
    if asyncio.iscoroutine(result):
        loop.run_until_complete(result)


def library_reads_base_url(url: str) -> bool:
    """Whether ``CalBookings()`` takes its base URL from ``CAL_BASE_URL`` (the environment is
    set): otherwise the README's clients would call api.cal.com, so they are not run."""
    client = CalBookings(api_key=README_KEY)
    try:
        return client.base_url == url
    finally:
        asyncio.run(client.aclose())


@pytest.fixture(scope="module")
def session(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, BaseException | None]]:
    """Runs every session block in order once; each block's exception (or None), by id.

    The blocks' files (a journal in the temporary directory, say) go to a fresh directory: left
    in the system's, a journal from an earlier run would hold the same key for another request.
    """
    emulator = CalEmulator(seed=1, api_key=README_KEY, rate_limit=None)
    server = EmulatorThread(emulator, bookings=100)
    server.start()
    outcomes: dict[str, BaseException | None] = {}
    loop = asyncio.new_event_loop()
    namespace: dict[str, Any] = {"__name__": "__readme__"}
    clients: list[CalBookings] = []  # every client a block left in the namespace, to close
    try:
        with pytest.MonkeyPatch.context() as env, waits_disabled():
            env.setattr(tempfile, "tempdir", str(tmp_path_factory.mktemp("readme-files")))
            env.setenv("CAL_API_KEY", README_KEY)
            env.setenv("CAL_BASE_URL", server.url)
            if not library_reads_base_url(server.url):
                pytest.xfail("CalBookings() does not read CAL_BASE_URL yet: not run")
            for block in SESSION:
                try:
                    with contextlib.redirect_stdout(io.StringIO()):
                        _run_block(block, namespace, loop)
                except Exception as error:
                    outcomes[block.id] = error
                else:
                    outcomes[block.id] = None
                clients += [v for v in namespace.values() if isinstance(v, CalBookings)]
        yield outcomes
    finally:
        loop.run_until_complete(_close(clients))
        loop.close()
        server.stop()


async def _close(clients: list[CalBookings]) -> None:
    for client in clients:
        await client.aclose()


@pytest.mark.parametrize("block", [_param(block, KNOWN_RUN_FAILURES) for block in SESSION])
def test_the_readme_block_runs(block: Block, session: dict[str, BaseException | None]) -> None:
    error = session[block.id]
    if error is not None:
        problem = f"{type(error).__name__}: {error}"
        raise AssertionError(f"README line {block.line}: {problem}") from error


# --- pytest blocks --------------------------------------------------------------------------------

#: What the README's testing section says a project configures (with pytest-asyncio's strict
#: mode, its default); warnings are errors here so the plugin's own warnings would fail too.
PYTEST_INI = """
[pytest]
addopts = -p no:cacheprovider --strict-markers
filterwarnings = error
asyncio_default_fixture_loop_scope = function
"""


@pytest.mark.parametrize("block", [_param(block, KNOWN_RUN_FAILURES) for block in PYTEST_MODULES])
def test_the_readme_test_module_passes(block: Block, pytester: pytest.Pytester) -> None:
    pytester.makeini(PYTEST_INI)
    pytester.makepyfile(test_readme_example=block.code)
    result = pytester.runpytest_subprocess("-q", timeout=300)
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) >= 1, result.stdout.str()
    assert set(outcomes) <= {"passed"}, result.stdout.str()


# --- mypy --strict --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """mypy --strict over the session and each pytest block; errors by block id.

    The session is checked as the body of one ``async def`` (so its top-level ``await``,
    ``async for`` and ``async with`` are what they are at an asyncio prompt), in README order.
    """
    from mypy import api

    folder = tmp_path_factory.mktemp("readme")
    owner: list[tuple[str, int, Block]] = []  # (file name, its first line there, block)
    lines = ["async def readme_session() -> None:"]
    for block in SESSION:
        owner.append(("readme_session.py", len(lines) + 1, block))
        lines += [("    " + line).rstrip() for line in block.code.splitlines()]
    (folder / "readme_session.py").write_text("\n".join(lines) + "\n")
    for block in PYTEST_MODULES:
        name = f"readme_{block.id.replace('-', '_')}.py"
        (folder / name).write_text(block.code)
        owner.append((name, 1, block))
    files = [str(folder / name) for name in sorted({name for name, _, _ in owner})]
    cache = README.parent / ".mypy_cache" / "readme"
    out, err, _ = api.run(
        [
            "--strict",
            "--python-version=3.10",
            f"--cache-dir={cache}",
            "--no-error-summary",
            "--show-error-codes",
            *files,
        ]
    )
    assert not err, err
    errors: dict[str, list[str]] = {block.id: [] for block in BLOCKS}
    for line in out.splitlines():
        match = re.match(r"(.+?):(\d+): error: (.*)", line)
        if match is None:
            continue
        # By file name: mypy may report a cached result under the folder of an earlier run.
        name, at = Path(match.group(1)).name, int(match.group(2))
        start, block = [(first, b) for file, first, b in owner if file == name and first <= at][-1]
        errors[block.id].append(f"README line {block.line + at - start}: {match.group(3)}")
    return errors


@pytest.mark.parametrize("block", [_param(block, KNOWN_TYPE_ERRORS) for block in BLOCKS])
def test_the_readme_block_type_checks(block: Block, mypy_errors: dict[str, list[str]]) -> None:
    assert mypy_errors[block.id] == []
