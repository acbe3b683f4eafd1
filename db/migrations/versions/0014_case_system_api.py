"""API tokens with scopes, contact events keyed by the case system's own event id, and its webhook's pushes

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
    op.create_table('casepush',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_key', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('body', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('claimed_by', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('delivered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('event_key')
    )
    op.create_index('ix_casepush_due', 'casepush', ['state', 'due_at'], unique=False)
    op.create_index(op.f('ix_casepush_contact_id'), 'casepush', ['contact_id'], unique=False)
    op.create_table('pushcursor',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    op.drop_table('pushcursor')
    op.drop_index(op.f('ix_casepush_contact_id'), table_name='casepush')
    op.drop_index('ix_casepush_due', table_name='casepush')
    op.drop_table('casepush')
    with op.batch_alter_table('contactevent', schema=None) as batch_op:
        batch_op.drop_constraint('uq_contactevent_event_id', type_='unique')
        batch_op.drop_column('event_id')
    with op.batch_alter_table('apitoken', schema=None) as batch_op:
        batch_op.drop_column('scopes')
