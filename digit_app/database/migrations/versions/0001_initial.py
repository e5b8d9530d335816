"""The first schema: corrections, model versions with their files, the active version, training jobs, locks.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PIXELS = 28 * 28


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("label", sa.SmallInteger, nullable=False),
        sa.Column("predicted", sa.SmallInteger, nullable=True),
        sa.Column("image", sa.LargeBinary, nullable=False),
        sa.Column("created", sa.String(40), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, server_default="accepted"),
        sa.CheckConstraint("label BETWEEN 0 AND 9", name="corrections_label_digit"),
        sa.CheckConstraint("predicted IS NULL OR predicted BETWEEN 0 AND 9", name="corrections_predicted_digit"),
        sa.CheckConstraint(f"length(image) = {PIXELS}", name="corrections_image_28x28"),
        sa.CheckConstraint("state IN ('accepted', 'suggested')", name="corrections_state"),
        sqlite_autoincrement=True,
    )
    op.create_index("corrections_by_state", "corrections", ["state", "id"])
    op.create_table(
        "model_files",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("content", sa.LargeBinary, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_table(
        "model_versions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("metadata", sa.Text, nullable=False),
    )
    op.create_table(
        "model_version_files",
        sa.Column("version_id", sa.String(64), sa.ForeignKey("model_versions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("part", sa.String(16), primary_key=True),
        sa.Column("digest", sa.String(64), sa.ForeignKey("model_files.digest"), nullable=False),
    )
    op.create_index("model_version_files_by_digest", "model_version_files", ["digest"])
    active = op.create_table(
        "active_version",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version_id", sa.String(64), sa.ForeignKey("model_versions.id", ondelete="SET NULL"),
                  nullable=True),
        sa.CheckConstraint("id = 1", name="active_version_one_row"),
    )
    op.bulk_insert(active, [{"id": 1, "version_id": None}])  # none active: the shipped model
    op.create_table(
        "training_jobs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("started", sa.Float, nullable=True),
        sa.Column("finished", sa.Float, nullable=True),
        sa.Column("worker", sa.String(200), nullable=True),
        sa.Column("heartbeat", sa.Float, nullable=True),
        sa.Column("progress", sa.Text, nullable=False, server_default="{}"),
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("result", sa.Text, nullable=True),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'cancelled', 'failed')",
                           name="training_jobs_state"),
        sqlite_autoincrement=True,
    )
    op.create_index("training_jobs_by_state", "training_jobs", ["state", "id"])
    op.create_table(
        "locks",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires", sa.Float, nullable=False),
    )


def downgrade() -> None:
    for table in ("locks", "training_jobs", "active_version", "model_version_files", "model_versions",
                  "model_files", "corrections"):
        op.drop_table(table)
