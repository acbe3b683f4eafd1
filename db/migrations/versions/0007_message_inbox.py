"""a message inbox per service, and staff teams

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:11:42.877643
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Issue 16: every recorded message lands in its service's inbox; staff accounts belong to services (teams).
    op.create_table('userservice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('service', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('user_id', 'service', name='uq_userservice_user_service')
    )
    with op.batch_alter_table('userservice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_userservice_user_id'), ['user_id'], unique=False)

    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('service', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('assigned_to', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['call.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('call_id')
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_message_service_state', ['service', 'state'], unique=False)
    # Messages already left are new in their inbox, dated when the call ended (the recording came then).
    op.execute("INSERT INTO message (call_id, service, urgent, created_at, state, updated_at) "
               "SELECT id, COALESCE(service, 'MASH'), urgent_flag, COALESCE(ended_at, started_at), 'new', "
               "COALESCE(ended_at, started_at) FROM call WHERE recording_url IS NOT NULL ORDER BY id")

    op.create_table('messageevent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('assigned_to', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('messageevent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messageevent_message_id'), ['message_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('messageevent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messageevent_message_id'))

    op.drop_table('messageevent')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_service_state')
        batch_op.drop_index(batch_op.f('ix_message_created_at'))

    op.drop_table('message')
    with op.batch_alter_table('userservice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_userservice_user_id'))

    op.drop_table('userservice')
