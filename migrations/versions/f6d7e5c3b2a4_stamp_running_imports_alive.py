"""stamp running imports alive and count their runs

Revision ID: f6d7e5c3b2a4
Revises: e5c6d4b2a1f3
Create Date: 2026-12-07 17:00:00.000000

`heartbeat_at` is when a running import last said it was alive (or when a queued one was last handed to
the queue); the import sweep hands one that has been silent too long to a worker again. `attempts`
counts the runs an import has had, so one that keeps killing its worker is failed, not run forever.
"""
from alembic import op
import sqlalchemy as sa

import app.dbtypes


# revision identifiers, used by Alembic.
revision = 'f6d7e5c3b2a4'
down_revision = 'e5c6d4b2a1f3'
branch_labels = None
depends_on = None

_TABLES = ('customer_imports', 'ticket_imports')


def upgrade():
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('heartbeat_at', app.dbtypes.UTCDateTime(), nullable=True))
            batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    for table in _TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('attempts')
            batch_op.drop_column('heartbeat_at')
