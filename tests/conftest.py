from __future__ import annotations

import fcntl
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.harness import Harness, make_harness


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto` (pyproject's addopts): one worker more than the cores. A test waits on sockets,
    subprocesses and Chromium for about a third of its time (two workers on two cores kept them
    150% busy), so a third worker fills the gaps: 3:44 rather than 4:21 on 2 cores."""
    return (os.cpu_count() or 1) + 1


@contextmanager
def _turn(alone: bool):
    """Under pytest-xdist, a test marked `alone` runs while no other test does: it is judged in
    real time (Telegram's limits, per second), and a neighbour's load would bunch its sends. Every
    test holds a shared lock while it runs, an `alone` one the exclusive lock; a gate in front
    keeps new tests from slipping in while an `alone` one waits for the running ones to end."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if run is None:  # one process: nothing runs beside anything
        yield
        return
    folder = Path(tempfile.gettempdir()) / f"lapor-tests-{run}"
    folder.mkdir(exist_ok=True)
    with open(folder / "gate", "a") as gate, open(folder / "running", "a") as running:
        fcntl.flock(gate, fcntl.LOCK_EX)
        fcntl.flock(running, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        if not alone:
            fcntl.flock(gate, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(running, fcntl.LOCK_UN)
            fcntl.flock(gate, fcntl.LOCK_UN)


@pytest.fixture(autouse=True)
def _taking_turns(request):
    with _turn(request.node.get_closest_marker("alone") is not None):
        yield


@pytest.fixture
async def h(tmp_path) -> Harness:
    harness = await make_harness(tmp_path)
    await harness.start()
    try:
        yield harness
    finally:
        if harness.app is not None:
            await stop_or_explain(harness.app)
        await harness.emu.stop()


@pytest.fixture
async def hw(tmp_path) -> Harness:
    """The app in webhook mode: the emulator posts updates to its HTTP server."""
    harness = await make_harness(tmp_path)
    harness.webhook = True
    await harness.start()
    try:
        yield harness
    finally:
        if harness.app is not None:
            await harness.app.stop()
        await harness.emu.stop()


async def stop_or_explain(app, timeout: float = 60.0) -> None:
    """A graceful stop that hangs is a bug: fail with every task's stack instead of hanging CI."""
    import asyncio
    import io

    try:
        await asyncio.wait_for(app.stop(), timeout)
    except TimeoutError:
        out = io.StringIO()
        for task in asyncio.all_tasks():
            task.print_stack(file=out)
        raise AssertionError(f"app.stop() did not finish in {timeout} s; tasks:\n{out.getvalue()}") from None


@pytest.fixture
async def db(tmp_path):
    """(sessionmaker, url) of a freshly migrated SQLite file."""
    from tests.db_fixtures import migrated_sessionmaker
    from tests.harness import database_url_for

    url = database_url_for(tmp_path)
    engine, sessionmaker = await migrated_sessionmaker(url)
    try:
        yield sessionmaker
    finally:
        await engine.dispose()


@pytest.fixture
def region():
    from core.region import load_region_config
    from tests.harness import TEST_REGION

    return load_region_config(TEST_REGION)


def pytest_sessionfinish(session, exitstatus):
    from tests.harness import drop_templates

    drop_templates()
