"""callback index for the daily limit on texts to a number

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000
"""
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Only UK mobiles, at most 3 texts a number a day (issue 13, item 14): the worker counts a number's
    # texts claimed today before each send, so that count must not scan the whole outbox.
    with op.batch_alter_table('callback', schema=None) as batch_op:
        batch_op.create_index('ix_callback_to_number_claimed', ['to_number', 'claimed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('callback', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_to_number_claimed')
