"""Creating and dropping whole PostgreSQL databases: for tests and benchmarks, which each want a
fresh database on a shared server. Not used by the app, which is given its database."""
from __future__ import annotations

from sqlalchemy.engine import URL, make_url


async def _admin(base_url: str | URL):
    import asyncpg

    url = make_url(base_url)
    conn = await asyncpg.connect(host=url.host, port=url.port or 5432, user=url.username,
                                 password=url.password, database=url.database)
    return url, conn


async def recreate_database(base_url: str | URL, name: str, *, template: str | None = None) -> str:
    """Drops database `name` on the server of base_url (closing its sessions) and creates it
    empty, or as a copy of database `template` (which no one may be connected to); returns its
    URL."""
    url, conn = await _admin(base_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_database(base_url: str | URL, name: str) -> None:
    _, conn = await _admin(base_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
