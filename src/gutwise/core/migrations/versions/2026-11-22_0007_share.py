"""share: identifiers, conditions, medication statements, FHIR imports, erasure requests

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 04:01:10.894638
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('erasure_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('requested_by', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_by', sa.Integer(), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['completed_by'], ['users.id'], name=op.f('fk_erasure_requests_completed_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by'], ['users.id'], name=op.f('fk_erasure_requests_requested_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_erasure_requests'))
    )
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_erasure_requests_patient_id'), ['patient_id'], unique=False)

    op.create_table('fhir_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('resources', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('unmapped', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('patient_ids', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('imported_by', sa.Integer(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['imported_by'], ['users.id'], name=op.f('fk_fhir_imports_imported_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fhir_imports'))
    )
    op.create_table('conditions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=255), nullable=True),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('display', sa.String(length=255), nullable=False),
    sa.Column('clinical_status', sa.String(length=32), nullable=True),
    sa.Column('onset', sa.Date(), nullable=True),
    sa.Column('abatement', sa.Date(), nullable=True),
    sa.Column('recorded', sa.Date(), nullable=True),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['fhir_imports.id'], name=op.f('fk_conditions_import_id_fhir_imports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_conditions_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conditions'))
    )
    with op.batch_alter_table('conditions', schema=None) as batch_op:
        batch_op.create_index('ix_conditions_patient', ['patient_id', 'onset'], unique=False)

    op.create_table('medication_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=255), nullable=True),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('display', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('start', sa.Date(), nullable=True),
    sa.Column('end', sa.Date(), nullable=True),
    sa.Column('dosage', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=255), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['import_id'], ['fhir_imports.id'], name=op.f('fk_medication_statements_import_id_fhir_imports'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_medication_statements_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medication_statements'))
    )
    with op.batch_alter_table('medication_statements', schema=None) as batch_op:
        batch_op.create_index('ix_medication_statements_patient', ['patient_id', 'start'], unique=False)

    op.create_table('patient_identifiers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('system', sa.String(length=255), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_patient_identifiers_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_patient_identifiers')),
    sa.UniqueConstraint('system', 'value', name='uq_patient_identifiers_system_value')
    )
    with op.batch_alter_table('patient_identifiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_patient_identifiers_patient_id'), ['patient_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('patient_identifiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_patient_identifiers_patient_id'))

    op.drop_table('patient_identifiers')
    with op.batch_alter_table('medication_statements', schema=None) as batch_op:
        batch_op.drop_index('ix_medication_statements_patient')

    op.drop_table('medication_statements')
    with op.batch_alter_table('conditions', schema=None) as batch_op:
        batch_op.drop_index('ix_conditions_patient')

    op.drop_table('conditions')
    op.drop_table('fhir_imports')
    with op.batch_alter_table('erasure_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_erasure_requests_patient_id'))

    op.drop_table('erasure_requests')
