"""contacts keep their call's DSL, and covering indexes for the report's measures and verdicts at any volume

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 16:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Not a batch: SQLite would copy the contact table, which callbacks, events and verdicts point at.
    if op.get_context().dialect.name == 'sqlite':
        op.execute('ALTER TABLE contact ADD COLUMN dsl_id INTEGER REFERENCES dsl (id)')
    else:
        op.add_column('contact', sa.Column('dsl_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_contact_dsl_id', 'contact', 'dsl', ['dsl_id'], ['id'])
    op.execute('UPDATE contact SET dsl_id = (SELECT call.dsl_id FROM call WHERE call.id = contact.call_id) '
               'WHERE call_id IS NOT NULL')
    op.create_index('ix_contact_created_measures', 'contact',
                    ['created_at', 'service', 'school_urn', 'dsl_id', 'outcome'], unique=False)
    op.create_index('ix_contact_decided_promise', 'contact',
                    ['decided_at', 'service', 'first_promised_by', 'promised_by'], unique=False)
    op.create_index('ix_verdict_asked_answer', 'verdict', ['asked_at', 'answer'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_verdict_asked_answer', table_name='verdict')
    op.drop_index('ix_contact_decided_promise', table_name='contact')
    op.drop_index('ix_contact_created_measures', table_name='contact')
    if op.get_context().dialect.name != 'sqlite':
        op.drop_constraint('fk_contact_dsl_id', 'contact', type_='foreignkey')
    op.drop_column('contact', 'dsl_id')  # SQLite drops the column and its inline reference together
