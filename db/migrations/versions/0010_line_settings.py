"""line settings and menu versions: hours, numbers, closures, announcements, emergency mode, published wordings

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 16:14:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Issue 17: supervisors run the line without a deploy; a new database plays the environment's values.
    op.create_table('lineconfig',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('hours', sa.JSON(), nullable=False),
    sa.Column('numbers', sa.JSON(), nullable=False),
    sa.Column('emergency', sa.Boolean(), nullable=False),
    sa.Column('emergency_say', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.Column('menu_version', sa.Integer(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('linenotice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('service', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('say', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('starts_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('ends_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('removed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('removed_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('linenotice', schema=None) as batch_op:
        batch_op.create_index('ix_linenotice_current', ['removed_at', 'ends_at'], unique=False)

    op.create_table('menuversion',
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('version')
    )


def downgrade() -> None:
    op.drop_table('menuversion')
    with op.batch_alter_table('linenotice', schema=None) as batch_op:
        batch_op.drop_index('ix_linenotice_current')

    op.drop_table('linenotice')
    op.drop_table('lineconfig')
