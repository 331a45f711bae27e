"""collaboration: comments with @mentions and followers on any record of any module

Revision ID: collab_0001
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'collab_0001'
down_revision = '0004'
branch_labels = ('collab',)
depends_on = None


def upgrade():
    op.create_table('comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spec', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('edited_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['ab_user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_record', ['spec', 'record_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_author_id'), ['author_id'], unique=False)

    op.create_table('follower',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('spec', sa.String(length=64), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['ab_user.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('spec', 'record_id', 'user_id', name='uq_follower')
    )
    with op.batch_alter_table('follower', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_follower_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('follower', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follower_user_id'))
    op.drop_table('follower')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_author_id'))
        batch_op.drop_index('ix_comment_record')
    op.drop_table('comment')
