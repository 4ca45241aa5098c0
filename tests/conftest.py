from __future__ import annotations

import pytest

from tests.harness import Harness, make_harness


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
