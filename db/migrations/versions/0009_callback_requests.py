"""callback requests in the inbox, their call-back outcomes, and staff phones

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 07:40:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Issue 16 item 3: a busy Infoline or Early Help takes a callback request into its inbox; staff ring it back
    # from their own phone. Entries already there are messages.
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), server_default='message',
                                      nullable=False))
        batch_op.add_column(sa.Column('callback_number', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('due_by', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    with op.batch_alter_table('messageevent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('phone')
    with op.batch_alter_table('messageevent', schema=None) as batch_op:
        batch_op.drop_column('outcome')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_column('due_by')
        batch_op.drop_column('callback_number')
        batch_op.drop_column('kind')
