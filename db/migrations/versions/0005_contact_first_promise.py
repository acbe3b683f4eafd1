"""contacts keep their first promise

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:35:58.217129
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Issue 15: the planner moves promised_by on while a contact is undecided, so a promise kept or broken is
    # judged by the first one; ix_contact_decided_at finds a period's decisions for that figure.
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_promised_by', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.create_index(batch_op.f('ix_contact_decided_at'), ['decided_at'], unique=False)
    # The best first promise there is: a row the planner already moved on keeps the moved time (the first is lost).
    op.execute("UPDATE contact SET first_promised_by = promised_by")


def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_decided_at'))
        batch_op.drop_column('first_promised_by')
