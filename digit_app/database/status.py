"""What `python -m digit_app status --json` prints: the active version, how many corrections, the training jobs."""

from __future__ import annotations

from typing import Any

from digit_app.database.engine import open_database
from digit_app.database.jobs import JobsTable
from digit_app.database.old_corrections import corrections_table
from digit_app.database.versions import VersionsTable


def status(url: str | None = None) -> dict[str, Any]:
    """{"active": <version id>, "corrections": <count>, "training": <the running job as a dict, or None>,
    "queued": <jobs waiting for a trainer>} from the database at `url` (the configured one when None); JSON-ready."""
    database = open_database(url)
    table = JobsTable(database)
    job = table.current()
    return {"active": VersionsTable(database).active(), "corrections": corrections_table(database).count(),
            "training": None if job is None else job.to_dict(), "queued": table.waiting()}
