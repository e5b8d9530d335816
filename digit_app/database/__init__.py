"""The shared database: one SQLAlchemy URL (`$DIGIT_APP_DATABASE_URL`; unset, an SQLite file), its schema kept by
Alembic migrations, and a small repository class per table family: corrections, model versions, training jobs."""

from digit_app.database.corrections import Correction, CorrectionsTable, NewCorrection
from digit_app.database.engine import ENV_DATABASE_URL, Database, database_url, open_database
from digit_app.database.errors import DatabaseError, DatabaseSettingError, DatabaseUnavailableError
from digit_app.database.jobs import Job, JobsTable, RunningJob
from digit_app.database.old_corrections import corrections_table
from digit_app.database.status import status
from digit_app.database.versions import VersionRecord, VersionsTable

__all__ = ["ENV_DATABASE_URL", "Correction", "CorrectionsTable", "Database", "DatabaseError", "DatabaseSettingError",
           "DatabaseUnavailableError", "Job", "JobsTable", "NewCorrection", "RunningJob", "VersionRecord",
           "VersionsTable", "corrections_table", "database_url", "open_database", "status"]
