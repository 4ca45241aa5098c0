"""The few statements whose portable spelling differs by backend (SQLite and PostgreSQL)."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def upsert(session: AsyncSession):
    """`insert` that knows ON CONFLICT: both SQLite (3.24+) and PostgreSQL spell it the same."""
    return postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
