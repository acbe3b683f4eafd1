"""urgent alerts: outbox rows about a call, stepping through the duty numbers; the call keeps who accepted it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 07:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Issue 16: an urgent message (or a fail-safe call no one answered) rings the duty numbers until one accepts.
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('alert_acknowledged_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('alert_acknowledged_by', sqlmodel.sql.sqltypes.AutoString(length=20),
                                      nullable=True))
    with op.batch_alter_table('callback', schema=None) as batch_op:
        batch_op.alter_column('contact_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('call_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('alert_step', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_callback_call_id'), ['call_id'], unique=False)
        batch_op.create_foreign_key('fk_callback_call_id_call', 'call', ['call_id'], ['id'])


def downgrade() -> None:
    op.execute("DELETE FROM callback WHERE contact_id IS NULL")  # alerts have no contact to keep them under
    with op.batch_alter_table('callback', schema=None) as batch_op:
        batch_op.drop_constraint('fk_callback_call_id_call', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_callback_call_id'))
        batch_op.drop_column('alert_step')
        batch_op.drop_column('call_id')
        batch_op.alter_column('contact_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_column('alert_acknowledged_by')
        batch_op.drop_column('alert_acknowledged_at')
