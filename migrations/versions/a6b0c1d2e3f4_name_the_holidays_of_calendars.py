"""name the holidays of business-hours calendars

Revision ID: a6b0c1d2e3f4
Revises: f6d7e5c3b2a4
Create Date: 2026-12-07 20:40:00.000000

`holiday_names` says what each closed day is (`{"2026-12-25": "Christmas Day"}`), for the people who
read and edit a calendar; the SLA clocks read only `holidays`. Existing calendars have no names.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a6b0c1d2e3f4'
down_revision = 'f6d7e5c3b2a4'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('business_calendars', schema=None) as batch_op:
        batch_op.add_column(sa.Column('holiday_names', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    with op.batch_alter_table('business_calendars', schema=None) as batch_op:
        batch_op.drop_column('holiday_names')
