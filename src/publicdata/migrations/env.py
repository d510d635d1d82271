"""Alembic environment: the same migrations on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, engine_from_config, pool

from publicdata.config import get_settings
from publicdata.models_registry import Base

config = context.config
target_metadata = Base.metadata


# Structures created outside the ORM metadata: SQLite's FTS5 search table (derived, created on first
# use by publicdata.search.index.ensure_fts) with its shadow tables and the indexes made with it.
# Autogenerate must not drop them.
_UNMANAGED_PREFIXES = ("search_fts",)


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    unmanaged = type_ in ("table", "index") and reflected and compare_to is None
    return not (unmanaged and (name or "").startswith(_UNMANAGED_PREFIXES))


def _url() -> str:
    return config.get_main_option("sqlalchemy.url") or get_settings().resolved_database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is None:
        section = config.get_section(config.config_ini_section) or {}
        section["sqlalchemy.url"] = _url()
        engine = engine_from_config(section, prefix="sqlalchemy.", poolclass=pool.NullPool)
        with engine.connect() as connection:
            _run(connection)
        engine.dispose()
    else:
        _run(connectable)


def _run(connection: Connection) -> None:
    # Batch mode lets ALTER-heavy migrations run on SQLite too.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
