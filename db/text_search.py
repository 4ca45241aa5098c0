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
from typing import Any

from sqlalchemy import ColumnElement, column, func, literal_column, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.selectable import Join

from db.models import Report

SQLITE_TABLE = "report_search"
PG_INDEX = "ix_reports_search"
# The document as migration 0011's index spells it, columns qualified (a list joins officers):
# PostgreSQL uses the index for an expression that means the same.
PG_DOCUMENT = ("coalesce(reports.description, '') || ' ' || coalesce(reports.landmark, '') || ' ' "
               "|| coalesce(reports.desa, '')")
MAX_WORDS = 8

_WORD = re.compile(r"[^\W_]+")
# FTS5's hidden column of the table's own name stands for the whole row in a MATCH.
_INDEX = table(SQLITE_TABLE, column("rowid"), column(SQLITE_TABLE))


class _MatchesFirst(Join):
    """A join SQLite may not reorder (CROSS JOIN): its left side is read first, always."""

    inherit_cache = True


@compiles(_MatchesFirst, "sqlite")
def _matches_first(join: _MatchesFirst, compiler: Any, **kw: Any) -> str:
    kw.pop("asfrom", None)
    assert join.onclause is not None
    return (f"{join.left._compiler_dispatch(compiler, asfrom=True, **kw)} CROSS JOIN "
            f"{join.right._compiler_dispatch(compiler, asfrom=True, **kw)} "
            f"ON {join.onclause._compiler_dispatch(compiler, **kw)}")


# SQLite: the reports read through the text index, its matches first, each report then found by
# its id. SQLite plans without statistics: given "id IN (the matches)" beside an agency, it walks
# the agency's reports and looks each up in the matches (the whole history, for a rare word), and
# given a plain join it may take the reports first and ask the index once per report (minutes).
REPORTS_FROM_INDEX = _MatchesFirst(_INDEX, Report.__table__, Report.id == _INDEX.c.rowid)


def words(typed: str) -> list[str]:
    """The words of what someone typed, lowercased, without punctuation (never query syntax)."""
    return _WORD.findall(typed.lower())[:MAX_WORDS]


def matching(dialect: str, typed_words: list[str]) -> ColumnElement[bool]:
    """The report is one whose free text holds a word starting with each of typed_words."""
    if dialect == "postgresql":
        query = " & ".join(f"{word}:*" for word in typed_words)
        document = func.to_tsvector(literal_column("'simple'"), literal_column(PG_DOCUMENT))
        return document.op("@@")(func.to_tsquery(literal_column("'simple'"), query))
    return Report.id.in_(select(_INDEX.c.rowid).where(index_match(typed_words)))


def among_matches(typed_words: list[str]) -> ColumnElement[bool]:
    """SQLite: the report is among the index's matches, as a set to look each report up in and
    never the way in: "id + 0" is no column SQLite could seek by, so a walk in creation order (an
    auditor's newest reports, with no agency to walk) stays the plan instead of reading and
    sorting every match."""
    return (Report.id + 0).in_(select(_INDEX.c.rowid).where(index_match(typed_words)))


def _fts_query(typed_words: list[str]) -> str:
    """FTS5's query: each word quoted (a string, never an operator) and marked as a prefix."""
    return " AND ".join(f'"{word}"*' for word in typed_words)


def in_models(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's include_name: the index lives outside the models (a virtual table and its shadow
    tables, an expression index), so comparing the schema with the models leaves it out."""
    if type_ == "table":
        return not (name or "").startswith(SQLITE_TABLE)
    return name != PG_INDEX


async def holding(session: AsyncSession, typed_words: list[str], cap: int) -> int:
    """How many reports hold the words, counted up to cap + 1 (SQLite's index)."""
    found = select(_INDEX.c.rowid).where(index_match(typed_words)).limit(cap + 1)
    return (await session.execute(select(func.count()).select_from(found.subquery()))).scalar_one()


def index_match(typed_words: list[str]) -> ColumnElement[bool]:
    """SQLite: the condition on the text index that REPORTS_FROM_INDEX joins to the reports."""
    return _INDEX.c[SQLITE_TABLE].match(_fts_query(typed_words))


async def forget_erased_words(session: AsyncSession) -> None:
    """After free text is erased: FTS5 rewrites its index without the erased rows' words."""
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text(f"INSERT INTO {SQLITE_TABLE}({SQLITE_TABLE}) VALUES('optimize')"))
