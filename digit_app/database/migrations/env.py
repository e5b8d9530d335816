"""Alembic's environment: runs the migrations on the connection `Database.migrate` hands over, never a URL of its own.

The next migration is versions/0002_<what>.py, in the shape of 0001; tests/test_database.py checks that the
migrations end exactly where schema.py is.
"""

from alembic import context

from digit_app.database.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Migrations run through digit_app.database.Database.migrate(), which passes its connection.")
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")  # SQLite alters a table by copying it
with context.begin_transaction():
    context.run_migrations()
