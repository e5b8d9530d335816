"""Trainers' heartbeats: which `python -m digit_app trainer` processes are alive, so replicas leave jobs to them.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trainers",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("started", sa.Float, nullable=False),
        sa.Column("heartbeat", sa.Float, nullable=False),
    )
    op.create_index("trainers_by_heartbeat", "trainers", ["heartbeat"])


def downgrade() -> None:
    op.drop_table("trainers")
