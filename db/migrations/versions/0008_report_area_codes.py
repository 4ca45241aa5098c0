"""reports: Kemendagri codes of the kecamatan and desa/kelurahan

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 14:30:00

With a region pack a pin is placed in its desa; a report keeps the codes beside the names, so a
rename between decrees does not split its history. Existing reports get their codes when the app
or `lapor db upgrade` next runs with a pack (core/area_codes.py places their pins): filling them
needs the region's boundaries, which a migration does not have.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        batch.add_column(sa.Column('kecamatan_code', sa.String(length=8), nullable=True))
        batch.add_column(sa.Column('desa_code', sa.String(length=13), nullable=True))
        batch.create_index(batch.f('ix_reports_kecamatan_code'), ['kecamatan_code'], unique=False)
        batch.create_index(batch.f('ix_reports_desa_code'), ['desa_code'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reports') as batch:
        batch.drop_index(batch.f('ix_reports_desa_code'))
        batch.drop_index(batch.f('ix_reports_kecamatan_code'))
        batch.drop_column('desa_code')
        batch.drop_column('kecamatan_code')
