"""The few statements whose portable spelling differs by backend (SQLite and PostgreSQL)."""
from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Result
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def upsert(session: AsyncSession):
    """`insert` that knows ON CONFLICT: both SQLite (3.24+) and PostgreSQL spell it the same."""
    return postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert


def rowcount(result: Result[Any]) -> int:
    """Rows an INSERT, UPDATE or DELETE touched (its result is a CursorResult; typed as a Result)."""
    return cast(CursorResult[Any], result).rowcount
