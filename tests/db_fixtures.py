"""A migrated database per test, for unit tests of services (no bots involved)."""
from __future__ import annotations

from datetime import UTC, datetime

from core.clock import ManualClock
from core.reporters import ensure_reporter
from db import migrate
from db.engine import create_engine, create_sessionmaker


async def migrated_sessionmaker(url: str):
    await migrate.upgrade(url)
    engine = create_engine(url)
    return engine, create_sessionmaker(engine)


async def new_reporter(session, telegram_id: int = 42, language: str = "id"):
    return await ensure_reporter(session, telegram_id=telegram_id, chat_id=telegram_id,
                                 now=datetime(2026, 11, 23, tzinfo=UTC), language=language)


__all__ = ["ManualClock", "migrated_sessionmaker", "new_reporter"]
