"""the report's measures per settled London month, rebuilt when a contact of that month changes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 19:00:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Issue 18: a year-long report reads twelve months of rows, not every contact of the year.
    op.create_table('statmonth',
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('built_version', sa.Integer(), nullable=True),
    sa.Column('max_contact_id', sa.Integer(), nullable=False),
    sa.Column('built_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('month')
    )
    op.create_table('monthlyoutcomestat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('dimension', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('key', sa.Integer(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('contacts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_monthlyoutcomestat_month'), 'monthlyoutcomestat', ['month'], unique=False)
    op.create_table('monthlypromisestat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('service', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('decided', sa.Integer(), nullable=False),
    sa.Column('kept', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_monthlypromisestat_month'), 'monthlypromisestat', ['month'], unique=False)
    op.create_table('monthlyverdictstat',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('asked', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_monthlyverdictstat_month'), 'monthlyverdictstat', ['month'], unique=False)


def downgrade() -> None:
    for table in ('monthlyverdictstat', 'monthlypromisestat', 'monthlyoutcomestat'):
        op.drop_index(op.f(f'ix_{table}_month'), table_name=table)
        op.drop_table(table)
    op.drop_table('statmonth')
