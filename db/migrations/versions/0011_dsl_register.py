"""the DSL register, calls attributed to a DSL, trials allocated by school, and DSLs' verdicts on a status

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 19:30:00.000000
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Issue 18: the report's measures need to know which DSL called, and whether the update answered them.
    op.create_table('dsl',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('urn', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('trained_on', sa.Date(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['urn'], ['school.urn'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('urn', 'name', name='uq_dsl_urn_name')
    )
    with op.batch_alter_table('dsl', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dsl_urn'), ['urn'], unique=False)

    op.create_table('dslphone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dsl_id', sa.Integer(), nullable=False),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.ForeignKeyConstraint(['dsl_id'], ['dsl.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('dsl_id', 'number', name='uq_dslphone_dsl_number')
    )
    with op.batch_alter_table('dslphone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dslphone_dsl_id'), ['dsl_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dslphone_number'), ['number'], unique=False)

    # Not a batch: SQLite would copy the call table, which every other table's foreign keys point at.
    if op.get_context().dialect.name == 'sqlite':
        op.execute('ALTER TABLE call ADD COLUMN dsl_id INTEGER REFERENCES dsl (id)')
    else:
        op.add_column('call', sa.Column('dsl_id', sa.Integer(), nullable=True))
        op.create_foreign_key('fk_call_dsl_id', 'call', 'dsl', ['dsl_id'], ['id'])
    op.create_index(op.f('ix_call_dsl_id'), 'call', ['dsl_id'], unique=False)

    with op.batch_alter_table('trial', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit', sqlmodel.sql.sqltypes.AutoString(length=20), server_default='caller',
                                      nullable=False))

    with op.batch_alter_table('statday', schema=None) as batch_op:
        batch_op.add_column(sa.Column('after_callback_contacts', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('after_callback_followed', sa.Integer(), nullable=True))

    op.create_table('verdict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('asked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contact.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('source', 'source_id', name='uq_verdict_source')
    )
    with op.batch_alter_table('verdict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_verdict_asked_at'), ['asked_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_verdict_contact_id'), ['contact_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('verdict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_verdict_contact_id'))
        batch_op.drop_index(batch_op.f('ix_verdict_asked_at'))
    op.drop_table('verdict')
    with op.batch_alter_table('statday', schema=None) as batch_op:
        batch_op.drop_column('after_callback_followed')
        batch_op.drop_column('after_callback_contacts')
    with op.batch_alter_table('trial', schema=None) as batch_op:
        batch_op.drop_column('unit')
    op.drop_index(op.f('ix_call_dsl_id'), table_name='call')
    if op.get_context().dialect.name != 'sqlite':
        op.drop_constraint('fk_call_dsl_id', 'call', type_='foreignkey')
    op.drop_column('call', 'dsl_id')  # SQLite drops the column and its inline reference together
    with op.batch_alter_table('dslphone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dslphone_number'))
        batch_op.drop_index(batch_op.f('ix_dslphone_dsl_id'))
    op.drop_table('dslphone')
    with op.batch_alter_table('dsl', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dsl_urn'))
    op.drop_table('dsl')
