"""A fresh database per measured run: a SQLite file, or a PostgreSQL database (BENCH_PG_URL)."""
from __future__ import annotations

import asyncio
import os
from pathlib import Path

PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


def sqlite_url(directory: Path, name: str) -> str:
    return f"sqlite+aiosqlite:///{directory}/{name}.sqlite3"


async def fresh_postgres(name: str) -> str:
    """Drops and recreates database `name` on the benchmark's PostgreSQL server; returns its URL."""
    from db.pg_admin import recreate_database

    return await recreate_database(PG_BASE, name)


async def drop_postgres(name: str) -> None:
    from db.pg_admin import drop_database

    await drop_database(PG_BASE, name)


async def postgres_available() -> str | None:
    """None if the server answers, else why not."""
    try:
        import asyncpg
        from sqlalchemy.engine import make_url

        url = make_url(PG_BASE)
        conn = await asyncio.wait_for(asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                                      password=url.password, database=url.database), 5)
        version = await conn.fetchval("SHOW server_version")
        await conn.close()
        print(f"PostgreSQL {version} at {url.host}:{url.port or 5432}")
        return None
    except Exception as exc:  # noqa: BLE001 - any reason is reported
        return f"{type(exc).__name__}: {exc}"


class DbTarget:
    """A fresh database per measured run: a SQLite file in a temp folder, or a PostgreSQL database."""

    def __init__(self, kind: str, tmp: Path) -> None:
        self.kind, self.tmp = kind, tmp
        self.names: list[str] = []

    async def fresh(self, name: str) -> str:
        if self.kind == "sqlite":
            path = self.tmp / f"{name}.sqlite3"
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
            return sqlite_url(self.tmp, name)
        self.names.append(name)
        return await fresh_postgres(name)

    async def cleanup(self) -> None:
        for name in self.names:
            try:
                await drop_postgres(name)
            except Exception as exc:  # noqa: BLE001 - best effort: a leftover scratch database
                print(f"(could not drop scratch database {name}: {exc})")
