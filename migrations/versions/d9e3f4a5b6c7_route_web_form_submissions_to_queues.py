"""route web form submissions to queues

Revision ID: d9e3f4a5b6c7
Revises: a6b0c1d2e3f4
Create Date: 2026-12-07 20:30:00.000000

The desk's one map of web form routes (`web_form_routing`, created with its row: reading and changing
it never races to create it) and a route per form: a complaint category or the support form
(`request`), with its queue and a category's severity. A deleted queue leaves its routes without one.
"""
from alembic import op
import sqlalchemy as sa

import app.dbtypes


# revision identifiers, used by Alembic.
revision = 'd9e3f4a5b6c7'
down_revision = 'a6b0c1d2e3f4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('web_form_routing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('default_queue_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', app.dbtypes.UTCDateTime(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['default_queue_id'], ['queues.id'], name=op.f('fk_web_form_routing_default_queue_id_queues'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_form_routing'))
    )
    op.create_table('web_form_routes',
    sa.Column('routing_id', sa.Integer(), nullable=False),
    sa.Column('form', sa.String(length=20), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=True),
    sa.Column('severity', sa.String(length=10), nullable=True),
    sa.ForeignKeyConstraint(['queue_id'], ['queues.id'], name=op.f('fk_web_form_routes_queue_id_queues'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['routing_id'], ['web_form_routing.id'], name=op.f('fk_web_form_routes_routing_id_web_form_routing'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('routing_id', 'form', name=op.f('pk_web_form_routes'))
    )
    op.execute("INSERT INTO web_form_routing (id, version) VALUES (1, 1)")


def downgrade():
    op.drop_table('web_form_routes')
    op.drop_table('web_form_routing')
