"""report text search: the dashboard's search box through an index, and the auditor's states by date

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 20:30:00

Found with bench/dashboard.py at 1M reports on SQLite: a text search that matched nothing read every
description (0.9-1.6 s), and the auditor's closed reports, newest first, sorted the whole state
(3.2 s). db/text_search.py says how the index is read and kept clean after retention.
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

CREATED = sa.text('created_at IS NOT NULL')
COLUMNS = "description, landmark, desa"
# FTS5 with external content: the words are indexed, the text stays in reports alone. The triggers
# hand FTS5 the old values to delete, which it needs to find the entries of an external row.
SQLITE = [
    f"""CREATE VIRTUAL TABLE report_search USING fts5({COLUMNS}, content='reports', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER report_search_insert AFTER INSERT ON reports BEGIN
        INSERT INTO report_search(rowid, {COLUMNS}) VALUES (new.id, new.description, new.landmark, new.desa);
        END""",
    f"""CREATE TRIGGER report_search_delete AFTER DELETE ON reports BEGIN
        INSERT INTO report_search(report_search, rowid, {COLUMNS})
        VALUES ('delete', old.id, old.description, old.landmark, old.desa);
        END""",
    f"""CREATE TRIGGER report_search_update AFTER UPDATE OF {COLUMNS} ON reports BEGIN
        INSERT INTO report_search(report_search, rowid, {COLUMNS})
        VALUES ('delete', old.id, old.description, old.landmark, old.desa);
        INSERT INTO report_search(rowid, {COLUMNS}) VALUES (new.id, new.description, new.landmark, new.desa);
        END""",
    "INSERT INTO report_search(report_search) VALUES ('rebuild')",
]
PG_DOCUMENT = "coalesce(description, '') || ' ' || coalesce(landmark, '') || ' ' || coalesce(desa, '')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX ix_reports_search ON reports USING gin (to_tsvector('simple', {PG_DOCUMENT}))")
    else:
        for statement in SQLITE:
            op.execute(statement)
    op.create_index('ix_reports_state_created', 'reports', ['state', 'created_at'], unique=False,
                    sqlite_where=CREATED, postgresql_where=CREATED)


def downgrade() -> None:
    op.drop_index('ix_reports_state_created', table_name='reports')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_reports_search")
    else:
        for name in ("report_search_update", "report_search_delete", "report_search_insert"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE report_search")
