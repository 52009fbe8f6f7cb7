"""labs: results and imports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 02:50:42.247258
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('lab_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('format', sa.String(length=16), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('unmapped', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('imported_by', sa.Integer(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['imported_by'], ['users.id'], name=op.f('fk_lab_imports_imported_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_lab_imports_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_imports'))
    )
    with op.batch_alter_table('lab_imports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lab_imports_patient_id'), ['patient_id'], unique=False)

    op.create_table('lab_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('analyte', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('canonical_value', sa.Float(), nullable=True),
    sa.Column('ref_low', sa.Float(), nullable=True),
    sa.Column('ref_high', sa.Float(), nullable=True),
    sa.Column('critical_low', sa.Float(), nullable=True),
    sa.Column('critical_high', sa.Float(), nullable=True),
    sa.Column('rcv', sa.Float(), nullable=True),
    sa.Column('collected', sa.Date(), nullable=False),
    sa.Column('lab', sa.String(length=120), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['lab_imports.id'], name=op.f('fk_lab_results_import_id_lab_imports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_lab_results_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lab_results'))
    )
    with op.batch_alter_table('lab_results', schema=None) as batch_op:
        batch_op.create_index('ix_lab_results_patient', ['patient_id', 'analyte', 'collected'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lab_results', schema=None) as batch_op:
        batch_op.drop_index('ix_lab_results_patient')

    op.drop_table('lab_results')
    with op.batch_alter_table('lab_imports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lab_imports_patient_id'))

    op.drop_table('lab_imports')
