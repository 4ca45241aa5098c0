"""retention (reporter deletion, report anonymisation) and inbox leases for webhook instances

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 18:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reporters') as batch:
        batch.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('reports') as batch:
        batch.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('inbox_updates') as batch:
        batch.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('inbox_updates') as batch:
        batch.drop_column('claimed_until')
    with op.batch_alter_table('reports') as batch:
        batch.drop_column('anonymised_at')
    with op.batch_alter_table('reporters') as batch:
        batch.drop_column('deleted_at')
