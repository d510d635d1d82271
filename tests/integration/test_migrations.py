"""Alembic: upgrade head → downgrade base → upgrade head, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from publicdata import migrate
from publicdata.models_registry import Base
from tests.conftest import PG_URL


@pytest.fixture
def empty_database_url(tmp_path: Path) -> str:  # type: ignore[misc]
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    name = f"publicdata_mig_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_database_url: str) -> None:
    url = empty_database_url
    migrate.upgrade(url)
    expected = {t.name for t in Base.metadata.sorted_tables}
    assert tables(url) == expected
    head = migrate.current_revision(url)
    assert head is not None
    migrate.downgrade(url, "base")
    assert tables(url) == set()
    assert migrate.current_revision(url) is None
    migrate.upgrade(url)
    assert tables(url) == expected
    assert migrate.current_revision(url) == head


def test_models_and_migrations_agree(empty_database_url: str) -> None:
    """Autogenerate finds nothing to do: every table change comes with its migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    migrate.upgrade(empty_database_url)
    engine = create_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
