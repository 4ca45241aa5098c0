"""The index of the reports' free text (description, landmark, desa) behind the dashboard's search.

A LIKE '%word%' over a million descriptions reads all of them (about a second on SQLite when
nothing matches), so the words are indexed where each backend keeps such an index without an
extension: SQLite's FTS5 (a table kept by triggers, migration 0011) and PostgreSQL's full-text
search (a GIN index on the same three columns). Both find reports holding every typed word at the
start of one of theirs ("lampu mer" finds "lampu merah"), case and accents aside.

What retention erases must leave the index too. PostgreSQL's index drops a row's entries when its
old version is vacuumed. FTS5 only marks erased entries deleted, and the words stay in its pages
until they are merged, so `forget_erased_words` merges them (FTS5's 'optimize') after an erasure.
"""
from __future__ import annotations

import re

from sqlalchemy import ColumnElement, column, func, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Report

SQLITE_TABLE = "report_search"
PG_INDEX = "ix_reports_search"
# The document as migration 0011's index spells it, columns qualified (a list joins officers):
# PostgreSQL uses the index for an expression that means the same.
PG_DOCUMENT = ("coalesce(reports.description, '') || ' ' || coalesce(reports.landmark, '') || ' ' "
               "|| coalesce(reports.desa, '')")
MAX_WORDS = 8
FEW = 5000  # reports holding a word, below which a list reads them from the index (few_match)

_WORD = re.compile(r"[^\W_]+")


def words(typed: str) -> list[str]:
    """The words of what someone typed, lowercased, without punctuation (never query syntax)."""
    return _WORD.findall(typed.lower())[:MAX_WORDS]


def matching(dialect: str, typed_words: list[str]) -> ColumnElement[bool]:
    """The report is one whose free text holds a word starting with each of typed_words."""
    if dialect == "postgresql":
        query = " & ".join(f"{word}:*" for word in typed_words)
        document = func.to_tsvector(literal_column("'simple'"), literal_column(PG_DOCUMENT))
        return document.op("@@")(func.to_tsquery(literal_column("'simple'"), query))
    index = table(SQLITE_TABLE, column("rowid"))
    return Report.id.in_(select(index.c.rowid).where(text(f"{SQLITE_TABLE} MATCH :search_words"))
                         .params(search_words=_fts_query(typed_words)))


def _fts_query(typed_words: list[str]) -> str:
    """FTS5's query: each word quoted (a string, never an operator) and marked as a prefix."""
    return " AND ".join(f'"{word}"*' for word in typed_words)


def in_models(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's include_name: the index lives outside the models (a virtual table and its shadow
    tables, an expression index), so comparing the schema with the models leaves it out."""
    if type_ == "table":
        return not (name or "").startswith(SQLITE_TABLE)
    return name != PG_INDEX


async def few_match(session: AsyncSession, typed_words: list[str], few: int = FEW) -> bool:
    """At most `few` reports hold the words (SQLite, which plans without statistics, is told so:
    a list then reads those reports from the index instead of walking the history newest first
    until a page is full, which for a rare word means the whole history). PostgreSQL's planner
    knows how common a word is: False there, nothing to tell."""
    if not typed_words or session.get_bind().dialect.name != "sqlite":
        return False
    index = table(SQLITE_TABLE, column("rowid"))
    found = select(index.c.rowid).where(text(f"{SQLITE_TABLE} MATCH :search_words")).limit(few + 1)
    count = (await session.execute(select(func.count()).select_from(found.subquery()),
                                   {"search_words": _fts_query(typed_words)})).scalar_one()
    return count <= few


async def forget_erased_words(session: AsyncSession) -> None:
    """After free text is erased: FTS5 rewrites its index without the erased rows' words."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text(f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}) VALUES('optimize')"))
