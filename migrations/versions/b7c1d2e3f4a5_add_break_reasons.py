"""add break reasons, the codes an agent picks when going on break

Revision ID: b7c1d2e3f4a5
Revises: a6b0c1d2e3f4
Create Date: 2026-12-07 20:00:00.000000

A named setting of the call center ("Lunch", "Training", "Coaching"), versioned like the others, its
changes recorded in the settings trail under the kind `break_reason`.
"""
from alembic import op
import sqlalchemy as sa

import app.dbtypes


# revision identifiers, used by Alembic.
revision = 'b7c1d2e3f4a5'
down_revision = 'a6b0c1d2e3f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('break_reasons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('paid', sa.Boolean(), nullable=False),
    sa.Column('max_minutes', sa.Integer(), nullable=True),
    sa.Column('created_at', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_break_reasons')),
    sa.UniqueConstraint('name', name=op.f('uq_break_reasons_name'))
    )


def downgrade():
    op.drop_table('break_reasons')
