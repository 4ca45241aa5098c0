"""scale indexes: summaries, overdue lists and the escalation tick read no more than their period

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 19:00:00

Found with bench/scale.py: without these, the daily summary, the overdue lists and the escalation
tick scanned the whole history (3 s for a daily summary at 1M reports on SQLite).
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_reports_state_due', 'reports', ['state', 'response_due_at'], unique=False)
    op.create_index('ix_reports_state_closed', 'reports', ['state', 'closed_at'], unique=False)
    op.create_index('ix_reports_acknowledged', 'reports', ['acknowledged_at'], unique=False)
    op.create_index('ix_audit_events_at', 'audit_events', ['at'], unique=False)
    op.create_index('ix_donation_pledges_created', 'donation_pledges', ['created_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_donation_pledges_created', table_name='donation_pledges')
    op.drop_index('ix_audit_events_at', table_name='audit_events')
    op.drop_index('ix_reports_acknowledged', table_name='reports')
    op.drop_index('ix_reports_state_closed', table_name='reports')
    op.drop_index('ix_reports_state_due', table_name='reports')
