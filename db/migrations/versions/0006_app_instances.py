"""app instances: webhook instances of one deployment divide the bots' send budget among them

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 04:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'app_instances',
        sa.Column('instance', sa.String(length=64), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('instance', name=op.f('pk_app_instances')),
    )


def downgrade() -> None:
    op.drop_table('app_instances')
