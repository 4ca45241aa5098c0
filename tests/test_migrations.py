"""Every migration upgrades and downgrades cleanly, and head matches the models."""
from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from db import migrate
from db.engine import create_engine
from db.models import Base
from db.text_search import in_models
from tests.harness import database_url_for


@pytest.mark.parametrize("revision", migrate.all_revisions())
async def test_each_migration_upgrades_and_downgrades(tmp_path, revision):
    url = database_url_for(tmp_path, migrated=False)
    revisions = migrate.all_revisions()
    previous = revisions[revisions.index(revision) - 1] if revisions.index(revision) else "base"
    await migrate.upgrade(url, revision)
    assert await migrate.current_revision(url) == revision
    await migrate.downgrade(url, previous)
    assert await migrate.current_revision(url) == (None if previous == "base" else previous)
    await migrate.upgrade(url, "head")
    assert await migrate.current_revision(url) == migrate.head_revision()


async def test_head_schema_matches_the_models(tmp_path):
    url = database_url_for(tmp_path, migrated=False)
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"include_name": in_models}),
                                              Base.metadata))
            tables = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    finally:
        await engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    assert {"reports", "outbox", "inbox_updates", "fsm_records", "audit_events"} <= tables


async def test_sqlite_runs_in_wal_mode(tmp_path):
    # The embedded default's settings, checked whichever database the rest of the suite uses.
    url = f"sqlite+aiosqlite:///{tmp_path}/wal.sqlite3"
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
            sync = (await conn.exec_driver_sql("PRAGMA synchronous")).scalar()
    finally:
        await engine.dispose()
    assert mode == "wal" and sync == 1  # NORMAL
