"""let a queue say what agents outside its team may do with its tickets

Revision ID: c8d2e3f4a5b6
Revises: f6d7e5c3b2a4
Create Date: 2026-12-07 20:00:00.000000

Members of the team serving a queue work its tickets; `outsider_access` says whether other agents may
read them (`read`) or not see them at all (`none`, the default: a queue served by a team is that team's,
as a Zammad group is its members'). Queues without a team stay everyone's whatever the column says.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c8d2e3f4a5b6'
down_revision = 'f6d7e5c3b2a4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('queues', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('outsider_access', sa.String(length=10), server_default='none', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('queues', schema=None) as batch_op:
        batch_op.drop_column('outsider_access')
