"""Alembic environment: the engine comes from the caller (``yuqing db upgrade``), never from an ini
file, so that the one settings object decides which database is migrated."""

from alembic import context

from yuqing.storage.schema import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
