"""the typed mobile waits on the call, not in a URL; contacts are looked up by caller

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 07:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Issue 15: a mobile typed for the reference text is held on the call until confirmed (retention clears it
    # with the caller's number), and option 4 and the live page find a caller's contacts by number.
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.add_column(sa.Column('text_to', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_caller'), ['caller'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_caller'))
    with op.batch_alter_table('call', schema=None) as batch_op:
        batch_op.drop_column('text_to')
