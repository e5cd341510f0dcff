"""record who opens a profile, and let a customer's data be erased

Revision ID: d4b5c3a1f0e2
Revises: c3a1f0e2d4b5
Create Date: 2026-12-07 13:40:00.000000

`customer_accesses` is the access log (who opened which profile, when, how). The audit trail's triggers
now allow one change to a recorded event, blanking both of its values, which is how an erasure removes
the texts a customer typed.
"""
from alembic import op
import sqlalchemy as sa

import app.dbtypes


# revision identifiers, used by Alembic.
revision = 'd4b5c3a1f0e2'
down_revision = 'c3a1f0e2d4b5'
branch_labels = None
depends_on = None

_POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION ticket_events_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.old_value IS NULL AND NEW.new_value IS NULL
       AND (NEW.id, NEW.ticket_id, NEW.at, NEW.actor_id, NEW.actor_kind, NEW.kind, NEW.field)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.ticket_id, OLD.at, OLD.actor_id, OLD.actor_kind, OLD.kind, OLD.field) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'ticket_events is append-only';
END; $$ LANGUAGE plpgsql
"""
_POSTGRES_FUNCTION_BEFORE = (
    "CREATE OR REPLACE FUNCTION ticket_events_append_only() RETURNS trigger AS $$\n"
    "BEGIN RAISE EXCEPTION 'ticket_events is append-only'; END; $$ LANGUAGE plpgsql"
)
_SQLITE_TRIGGER = """
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
WHEN NOT (
    NEW.old_value IS NULL AND NEW.new_value IS NULL
    AND NEW.id IS OLD.id AND NEW.ticket_id IS OLD.ticket_id AND NEW.at IS OLD.at
    AND NEW.actor_id IS OLD.actor_id AND NEW.actor_kind IS OLD.actor_kind
    AND NEW.kind IS OLD.kind AND NEW.field IS OLD.field
)
BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END
"""
_SQLITE_TRIGGER_BEFORE = (
    "CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events\n"
    "BEGIN SELECT RAISE(ABORT, 'ticket_events is append-only'); END"
)


def _set_audit_trigger(postgres: str, sqlite: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(postgres)
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS ticket_events_no_update")
        op.execute(sqlite)


def upgrade():
    op.create_table('customer_accesses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('via', sa.String(length=10), nullable=False),
    sa.Column('at', app.dbtypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_customer_accesses_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_customer_accesses_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_accesses'))
    )
    with op.batch_alter_table('customer_accesses', schema=None) as batch_op:
        batch_op.create_index('ix_customer_accesses_customer_at', ['customer_id', 'at'], unique=False)

    _set_audit_trigger(_POSTGRES_FUNCTION, _SQLITE_TRIGGER)


def downgrade():
    _set_audit_trigger(_POSTGRES_FUNCTION_BEFORE, _SQLITE_TRIGGER_BEFORE)

    with op.batch_alter_table('customer_accesses', schema=None) as batch_op:
        batch_op.drop_index('ix_customer_accesses_customer_at')

    op.drop_table('customer_accesses')
