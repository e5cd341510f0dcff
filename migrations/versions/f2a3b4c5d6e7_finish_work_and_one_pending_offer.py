"""finish work items, and one pending offer per agent and per item

Revision ID: f2a3b4c5d6e7
Revises: c9e4f5a6b7d8
Create Date: 2026-12-07 23:40:00.000000

Work items learn when the agent finished them (a call ended), so they stop counting against the
agent's capacity; and the database itself keeps at most one pending offer per agent and per work item
(partial unique indexes), behind the routers' row locks.
"""

from alembic import op
import sqlalchemy as sa

import app.dbtypes


# revision identifiers, used by Alembic.
revision = "f2a3b4c5d6e7"
down_revision = "c9e4f5a6b7d8"
branch_labels = None
depends_on = None

PENDING = sa.text("outcome = 'pending'")


def upgrade():
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("finished_at", app.dbtypes.UTCDateTime(timezone=True), nullable=True))
    op.create_index(
        "uq_routing_offers_pending_agent",
        "routing_offers",
        ["agent_id"],
        unique=True,
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )
    op.create_index(
        "uq_routing_offers_pending_item",
        "routing_offers",
        ["work_item_id"],
        unique=True,
        postgresql_where=PENDING,
        sqlite_where=PENDING,
    )


def downgrade():
    op.drop_index("uq_routing_offers_pending_item", table_name="routing_offers")
    op.drop_index("uq_routing_offers_pending_agent", table_name="routing_offers")
    with op.batch_alter_table("work_items", schema=None) as batch_op:
        batch_op.drop_column("finished_at")
