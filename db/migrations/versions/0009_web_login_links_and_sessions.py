"""web_login_links and web_sessions: the supervisors' dashboard

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 17:00:00

Officers log in to the dashboard with a one-time link from the backoffice bot; the link's token
and the session's cookie key are kept only as SHA-256 hashes.
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_login_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('officer_id', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_web_login_links_officer_id_officers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_web_login_links')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_web_login_links_token_hash')),
    )
    op.create_index('ix_web_login_links_officer_created', 'web_login_links', ['officer_id', 'created_at'])
    op.create_table(
        'web_sessions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_hash', sa.String(length=64), nullable=False),
        sa.Column('officer_id', sa.Integer(), nullable=False),
        sa.Column('csrf_token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_why', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(['officer_id'], ['officers.id'], name=op.f('fk_web_sessions_officer_id_officers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_web_sessions')),
        sa.UniqueConstraint('key_hash', name=op.f('uq_web_sessions_key_hash')),
    )
    op.create_index('ix_web_sessions_officer', 'web_sessions', ['officer_id'])


def downgrade() -> None:
    op.drop_index('ix_web_sessions_officer', table_name='web_sessions')
    op.drop_table('web_sessions')
    op.drop_index('ix_web_login_links_officer_created', table_name='web_login_links')
    op.drop_table('web_login_links')
