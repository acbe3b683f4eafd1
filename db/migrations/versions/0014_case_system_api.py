"""API tokens with scopes, and contact events keyed by the case system's own event id

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 19:10:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Issue 19: statuses come from the case system. Every token made before scopes keeps what it could do.
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scopes', sqlmodel.sql.sqltypes.AutoString(length=200),
                                      server_default='stats:read', nullable=False))
    with op.batch_alter_table('contactevent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.create_unique_constraint('uq_contactevent_event_id', ['event_id'])


def downgrade() -> None:
    with op.batch_alter_table('contactevent', schema=None) as batch_op:
        batch_op.drop_constraint('uq_contactevent_event_id', type_='unique')
        batch_op.drop_column('event_id')
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.drop_column('scopes')
