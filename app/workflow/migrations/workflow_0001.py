"""workflow: approval chains and their versions, instances, tasks, timeline, CC, delegations

Revision ID: workflow_0001
Revises:
Depends on: security_0001
"""
from alembic import op
import sqlalchemy as sa


revision = 'workflow_0001'
down_revision = None
branch_labels = ('workflow',)
depends_on = 'security_0001'


def upgrade():
    op.create_table('wf_definition',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('document', sa.String(length=64), nullable=False),
    sa.Column('active_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('name'),
    sqlite_autoincrement=True
    )
    op.create_index(op.f('ix_wf_definition_document'), 'wf_definition', ['document'], unique=False)
    op.create_table('wf_delegation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('delegate_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('definition_name', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['delegate_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index(op.f('ix_wf_delegation_user_id'), 'wf_delegation', ['user_id'], unique=False)
    op.create_table('wf_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('definition_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['definition_id'], ['wf_definition.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('definition_id', 'number', name='uq_wf_version_number'),
    sqlite_autoincrement=True
    )
    # wf_definition and wf_version point at each other: the second key comes once both exist.
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('wf_definition') as batch:
            batch.create_foreign_key('fk_wf_definition_active', 'wf_version', ['active_version_id'], ['id'])
    else:
        op.create_foreign_key('fk_wf_definition_active', 'wf_definition', 'wf_version', ['active_version_id'], ['id'])
    op.create_table('wf_instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('submitter_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('current_step', sa.String(length=64), nullable=True),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Boolean(), nullable=False),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('stale', sa.Boolean(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['submitter_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['wf_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_wf_instance_document', 'wf_instance', ['document', 'record_id'], unique=False)
    op.create_index(op.f('ix_wf_instance_status'), 'wf_instance', ['status'], unique=False)
    op.create_index(op.f('ix_wf_instance_submitter_id'), 'wf_instance', ['submitter_id'], unique=False)
    op.create_table('wf_cc',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=24), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['wf_instance.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('instance_id', 'user_id', 'event', name='uq_wf_cc_event'),
    sqlite_autoincrement=True
    )
    op.create_index(op.f('ix_wf_cc_user_id'), 'wf_cc', ['user_id'], unique=False)
    op.create_table('wf_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('step_id', sa.String(length=64), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=False),
    sa.Column('on_behalf_of_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('reminded_at', sa.DateTime(), nullable=True),
    sa.Column('urged_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['decided_by_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['instance_id'], ['wf_instance.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['on_behalf_of_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['parent_id'], ['wf_task.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index('ix_wf_task_assignee_status', 'wf_task', ['assignee_id', 'status'], unique=False)
    op.create_index('ix_wf_task_instance_round', 'wf_task', ['instance_id', 'round'], unique=False)
    op.create_table('wf_action',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('step_id', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=24), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('on_behalf_of_id', sa.Integer(), nullable=True),
    sa.Column('target_id', sa.Integer(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['instance_id'], ['wf_instance.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['on_behalf_of_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['target_id'], ['ab_user.id'], ),
    sa.ForeignKeyConstraint(['task_id'], ['wf_task.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    op.create_index(op.f('ix_wf_action_instance_id'), 'wf_action', ['instance_id'], unique=False)


def downgrade():
    for table in ('wf_action', 'wf_task', 'wf_cc', 'wf_instance'):
        op.drop_table(table)
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint('fk_wf_definition_active', 'wf_definition', type_='foreignkey')
    op.drop_table('wf_version')
    op.drop_table('wf_delegation')
    op.drop_table('wf_definition')
