"""outcomes: n-of-1 experiment designs

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 03:36:15.422617
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('nof1_designs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('intervention', sa.String(length=40), nullable=False),
    sa.Column('design', sa.String(length=16), nullable=False),
    sa.Column('period_days', sa.Integer(), nullable=False),
    sa.Column('washout_days', sa.Integer(), nullable=False),
    sa.Column('pairs', sa.Integer(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=False),
    sa.Column('mid', sa.Float(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('periods', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('warnings', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_nof1_designs_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_nof1_designs_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_nof1_designs'))
    )
    with op.batch_alter_table('nof1_designs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_nof1_designs_patient_id'), ['patient_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('nof1_designs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_nof1_designs_patient_id'))

    op.drop_table('nof1_designs')
