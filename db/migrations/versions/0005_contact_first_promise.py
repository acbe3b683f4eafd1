"""contacts keep their first promise

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 06:35:58.217129
"""
from datetime import datetime

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
    op.execute("UPDATE contact SET first_promised_by = promised_by")
    # A promise the planner already moved on is still in the key of its first "still being assessed" update
    # ("<contact id>:still_assessing:<the promise it replaced>"): the earliest is the first promise.
    bind = op.get_bind()
    earliest: dict[int, datetime] = {}
    for contact_id, key in bind.execute(sa.text("SELECT contact_id, dedupe_key FROM callback "
                                                "WHERE kind = 'still_assessing' AND dedupe_key IS NOT NULL")):
        try:
            promise = datetime.fromisoformat(key.split(":", 2)[2])
        except (IndexError, ValueError):
            continue
        earliest[contact_id] = min(earliest.get(contact_id, promise), promise)
    contact = sa.table("contact", sa.column("id"), sa.column("first_promised_by", sqlmodel.sql.sqltypes.UTCDateTime()))
    for contact_id, promise in earliest.items():
        bind.execute(contact.update().where(contact.c.id == contact_id).values(first_promised_by=promise))


def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_decided_at'))
        batch_op.drop_column('first_promised_by')
