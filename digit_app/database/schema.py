"""The tables, as SQLAlchemy Core: what the repository classes query. Changed only together with a migration.

Times are Unix seconds (floats) where a job's pace is computed from them, and ISO-8601 UTC text where
they are only shown (a correction's date, as the corrections file always kept it). JSON is kept as
text, bounded when written and checked when read.
"""

from __future__ import annotations

import sqlalchemy as sa

ACCEPTED, SUGGESTED = "accepted", "suggested"  # a correction training learns from; a visitor's, awaiting the operator
JOB_STATES = ("queued", "running", "done", "cancelled", "failed")
PIXELS = 28 * 28

metadata = sa.MetaData()

corrections = sa.Table(
    "corrections", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("label", sa.SmallInteger, nullable=False),
    sa.Column("predicted", sa.SmallInteger, nullable=True),
    sa.Column("image", sa.LargeBinary, nullable=False),  # the (28, 28) uint8 model input, row by row
    sa.Column("created", sa.String(40), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, server_default=ACCEPTED),
    sa.CheckConstraint("label BETWEEN 0 AND 9", name="corrections_label_digit"),
    sa.CheckConstraint("predicted IS NULL OR predicted BETWEEN 0 AND 9", name="corrections_predicted_digit"),
    sa.CheckConstraint(f"length(image) = {PIXELS}", name="corrections_image_28x28"),
    sa.CheckConstraint(f"state IN ('{ACCEPTED}', '{SUGGESTED}')", name="corrections_state"),
    sa.Index("corrections_by_state", "state", "id"),
    sqlite_autoincrement=True,  # a deleted correction's id is never reused, so "undo" puts back only its own
)

model_files = sa.Table(
    "model_files", metadata,
    sa.Column("digest", sa.String(64), primary_key=True),  # SHA-256 of the content, hex
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("created", sa.Float, nullable=False),
)

versions = sa.Table(
    "model_versions", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("metadata", sa.Text, nullable=False),  # the version's metadata JSON (accuracy, training, history...)
)

version_files = sa.Table(
    "model_version_files", metadata,
    sa.Column("version_id", sa.String(64), sa.ForeignKey("model_versions.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("part", sa.String(16), primary_key=True),  # "keras", or a LiteRT part: "pixels", "strokes"
    sa.Column("digest", sa.String(64), sa.ForeignKey("model_files.digest"), nullable=False),
    sa.Index("model_version_files_by_digest", "digest"),
)

active_version = sa.Table(
    "active_version", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),  # the one row: 1
    sa.Column("version_id", sa.String(64), sa.ForeignKey("model_versions.id", ondelete="SET NULL"), nullable=True),
    sa.CheckConstraint("id = 1", name="active_version_one_row"),
)

jobs = sa.Table(
    "training_jobs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("request", sa.Text, nullable=False),  # what to train (JSON), as the page or the CLI asked
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("started", sa.Float, nullable=True),
    sa.Column("finished", sa.Float, nullable=True),
    sa.Column("worker", sa.String(200), nullable=True),  # host:pid of the process running it
    sa.Column("heartbeat", sa.Float, nullable=True),  # when that process last reported
    sa.Column("progress", sa.Text, nullable=False, server_default="{}"),  # the latest snapshot (JSON)
    sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("result", sa.Text, nullable=True),  # the finished run's summary (JSON)
    sa.Column("message", sa.Text, nullable=False, server_default=""),  # how it ended, or why it failed
    sa.CheckConstraint("state IN ({})".format(", ".join(f"'{state}'" for state in JOB_STATES)),
                       name="training_jobs_state"),
    sa.Index("training_jobs_by_state", "state", "id"),
    sqlite_autoincrement=True,
)

locks = sa.Table(
    "locks", metadata,  # SQLite's stand-in for PostgreSQL's advisory locks: one row per lock held
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(200), nullable=False),  # host:pid:token
    sa.Column("expires", sa.Float, nullable=False),  # Unix seconds; a holder that stops renewing loses it
)

trainers = sa.Table(
    "trainers", metadata,  # each `python -m digit_app trainer` alive: replicas then leave every job to it
    sa.Column("name", sa.String(200), primary_key=True),  # host:pid:token
    sa.Column("started", sa.Float, nullable=False),  # Unix seconds
    sa.Column("heartbeat", sa.Float, nullable=False),  # when it last said it is alive
    sa.Index("trainers_by_heartbeat", "heartbeat"),
)
