"""open311_keys: partners' keys to the Open311 GeoReport v2 API

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 21:00:00

A partner (another reporting channel, an agency's tools, an oversight body) presents a key; only
its SHA-256 hash is stored, with the partner's name, its scope and when it was made and revoked.
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'open311_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('partner', sa.String(length=128), nullable=False),
        sa.Column('scope', sa.String(length=48), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_open311_keys')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_open311_keys_key_hash')),
    )


def downgrade() -> None:
    op.drop_table('open311_keys')
