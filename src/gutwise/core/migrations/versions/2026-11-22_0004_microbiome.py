"""microbiome: samples

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 02:56:01.743380
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('microbiome_samples',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('sample_id', sa.String(length=120), nullable=False),
    sa.Column('collected', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reads', sa.Float(), nullable=True),
    sa.Column('shannon', sa.Float(), nullable=False),
    sa.Column('simpson', sa.Float(), nullable=False),
    sa.Column('observed', sa.Integer(), nullable=False),
    sa.Column('chao1', sa.Float(), nullable=True),
    sa.Column('faith_pd', sa.Float(), nullable=True),
    sa.Column('abundances', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('flags', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('imported_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['imported_by'], ['users.id'], name=op.f('fk_microbiome_samples_imported_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_microbiome_samples_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_microbiome_samples'))
    )
    with op.batch_alter_table('microbiome_samples', schema=None) as batch_op:
        batch_op.create_index('ix_microbiome_samples_patient', ['patient_id', 'collected'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('microbiome_samples', schema=None) as batch_op:
        batch_op.drop_index('ix_microbiome_samples_patient')

    op.drop_table('microbiome_samples')
