"""Alembic, driven from code: `lapor db upgrade` / `lapor db check` and the tests use these."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from db.engine import create_engine

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def _run(url: str, fn, *args) -> object:
    engine: AsyncEngine = create_engine(url)
    try:
        async with engine.begin() as conn:
            def work(sync_conn):
                cfg = alembic_config(url)
                cfg.attributes["connection"] = sync_conn
                return fn(cfg, sync_conn, *args)

            return await conn.run_sync(work)
    finally:
        await engine.dispose()


async def upgrade(url: str, revision: str = "head") -> None:
    await _run(url, lambda cfg, _c, rev: command.upgrade(cfg, rev), revision)


async def downgrade(url: str, revision: str) -> None:
    await _run(url, lambda cfg, _c, rev: command.downgrade(cfg, rev), revision)


async def current_revision(url: str) -> str | None:
    revision = await _run(url, lambda _cfg, c: MigrationContext.configure(c).get_current_revision())
    return revision if isinstance(revision, str) else None


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None, "no migrations"
    return head


def all_revisions() -> list[str]:
    """Oldest first."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]
