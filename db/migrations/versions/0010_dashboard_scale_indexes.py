"""dashboard scale indexes: its Today page, Reports list and Map read no more history than they show

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 20:00:00

Found with bench/dashboard.py: without these, a Satpol PP supervisor's Today page, their newest
reports and a week's list read the agency's whole history on SQLite (1.7 s at 1M reports), a
category in a kecamatan read the kecamatan's, and the map read every row of the table twice.

ix_reports_agency_created is partial on "created_at IS NOT NULL" (true of every report): SQLite
plans without statistics and would otherwise take it for the queue of open reports as well, reading
the agency's history instead of its few open reports; only the queries that say so use it
(core/report_list.py, BY_CREATION).
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

CREATED = sa.text('created_at IS NOT NULL')


def upgrade() -> None:
    op.create_index('ix_reports_agency_created', 'reports', ['agency', 'created_at'], unique=False,
                    sqlite_where=CREATED, postgresql_where=CREATED)
    op.create_index('ix_reports_agency_acknowledged', 'reports', ['agency', 'acknowledged_at'], unique=False)
    op.create_index('ix_reports_kecamatan_created', 'reports', ['kecamatan_code', 'created_at'], unique=False)
    op.create_index('ix_reports_area', 'reports', ['kecamatan_code', 'kecamatan', 'desa_code', 'category'],
                    unique=False)
    op.create_index('ix_reports_agency_area', 'reports',
                    ['agency', 'kecamatan_code', 'kecamatan', 'desa_code', 'category'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_reports_agency_area', table_name='reports')
    op.drop_index('ix_reports_area', table_name='reports')
    op.drop_index('ix_reports_kecamatan_created', table_name='reports')
    op.drop_index('ix_reports_agency_acknowledged', table_name='reports')
    op.drop_index('ix_reports_agency_created', table_name='reports')
