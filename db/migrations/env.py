"""Alembic environment: runs on the connection handed over by db.migrate (async engines)."""
from alembic import context

from db.models import Base
from db.text_search import in_models

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through db.migrate (lapor db upgrade)")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=in_models,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline migrations are not supported; use lapor db upgrade")
run_migrations_online()
