"""Alembic environment shared by every service (see service_runtime.migrate)."""

from alembic import context
from sqlalchemy import create_engine, pool

from service_runtime.compatibility import record

config = context.config
target_metadata = config.attributes.get("target_metadata")


def run_migrations_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
            # In the migrations' transaction where DDL is transactional (PostgreSQL).
            record(connection, context.script)
        if connection.in_transaction():  # SQLite: Alembic committed each step on its own
            connection.commit()
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
