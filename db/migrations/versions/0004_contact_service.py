"""every routed call's contact has a service

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 06:27:16.658414
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Issue 15: Infoline and Early Help calls get references too, so a contact names its line.
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('service', sqlmodel.sql.sqltypes.AutoString(length=20), server_default='MASH',
                                      nullable=False))
    # Until now only MASH and EDT calls opened contacts: an EDT contact says so (also one whose EDT call
    # ended in an urgent message, routed VOICEMAIL with the service EDT).
    op.execute("UPDATE contact SET service = 'EDT' "
               "WHERE call_id IN (SELECT id FROM call WHERE route = 'EDT' OR service = 'EDT')")


def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('service')
