"""access refusals: repeated refused attempts counted per chat and hour, not an audit row each

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 09:00:00

A stranger who writes to the officers' bot, or a forged button press, used to add one audit row
per attempt, without bound. The audit log now gets one row for the first refusal of a chat in an
hour; this table counts all of them (core/refusals.py).
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'access_refusals',
        sa.Column('telegram_id', sa.BigInteger(), nullable=False),
        sa.Column('chat_id', sa.BigInteger(), nullable=False),
        sa.Column('hour', sa.DateTime(timezone=True), nullable=False),
        sa.Column('officer_id', sa.Integer(), nullable=True),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('last_what', sa.String(length=64), nullable=False),
        sa.Column('last_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('telegram_id', 'chat_id', 'hour', name=op.f('pk_access_refusals')),
    )


def downgrade() -> None:
    op.drop_table('access_refusals')
