"""version the named settings, so two writers cannot overwrite each other's change

Revision ID: e5c6d4b2a1f3
Revises: d4b5c3a1f0e2
Create Date: 2026-12-07 17:00:00.000000

Teams, queues, macros, business-hours calendars and SLA policies get the tickets' `version` column (the
ORM's `version_id_col`): a change names the version it read. Existing rows start at version 1; the
column is added with a server default for them, which is dropped again, as the models write it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e5c6d4b2a1f3'
down_revision = 'd4b5c3a1f0e2'
branch_labels = None
depends_on = None

TABLES = ('teams', 'queues', 'macros', 'business_calendars', 'sla_policies')


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
        # A second batch: SQLite copies the rows into the new table in each, and the first one needs the
        # default to give them their version.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('version', server_default=None)


def downgrade():
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
