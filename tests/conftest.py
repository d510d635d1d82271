"""Test fixtures over real databases: SQLite files in tmp dirs, or PostgreSQL when
PUBLICDATA_TEST_DATABASE_URL is set (`./dev test` sets it when a server answers).

Each test gets an empty, fully migrated database: SQLite copies a migrated template file;
PostgreSQL uses one database per test worker, migrated once and truncated between tests.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from publicdata import migrate
from publicdata.app import create_app
from publicdata.config import Settings
from publicdata.models_registry import Base
from publicdata.platform import Platform

PG_URL = os.environ.get("PUBLICDATA_TEST_DATABASE_URL", "")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--req-report", action="store_true", help="list, per requirement ID, the tests that prove it"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    by_requirement: dict[str, list[str]] = {}
    for item in items:
        for mark in item.iter_markers("req"):
            for req_id in mark.args:
                by_requirement.setdefault(str(req_id), []).append(item.nodeid)
    config.stash[_REQ_KEY] = by_requirement


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if not config.getoption("--req-report"):
        return
    by_requirement = config.stash.get(_REQ_KEY, {})
    terminalreporter.section(f"requirements proven by tests ({len(by_requirement)} IDs)")
    for req_id in sorted(by_requirement, key=_req_sort_key):
        tests = by_requirement[req_id]
        terminalreporter.write_line(f"{req_id}: {len(tests)} tests")
        for nodeid in tests:
            terminalreporter.write_line(f"    {nodeid}")


def _req_sort_key(req_id: str) -> tuple[str, int]:
    prefix, _, number = req_id.partition("-")
    return prefix, int(number) if number.isdigit() else 0


_REQ_KEY = pytest.StashKey[dict[str, list[str]]]()


def pytest_report_header(config: pytest.Config) -> str:
    if PG_URL:
        return f"database: PostgreSQL ({make_url(PG_URL).render_as_string(hide_password=True)})"
    return "database: SQLite (set PUBLICDATA_TEST_DATABASE_URL for PostgreSQL)"


def _admin_url(url: str) -> str:
    return make_url(url).set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_template(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    """A migrated database for this test worker: a SQLite template file, or a PostgreSQL URL."""
    if PG_URL:
        name = f"publicdata_test_{worker_id}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(_admin_url(PG_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        migrate.upgrade(url)
        yield url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        migrate.upgrade(f"sqlite:///{path}")
        yield str(path)


def _truncate_all(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name != "audit_head")
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        # The chain head row is seeded by the migration: reset it rather than delete it.
        conn.execute(text("UPDATE audit_head SET seq = 0, hash = :genesis"), {"genesis": "0" * 64})
    engine.dispose()


@pytest.fixture
def settings(tmp_path: Path, database_template: str) -> Settings:
    if PG_URL:
        _truncate_all(database_template)
        url = database_template
    else:
        db_file = tmp_path / "publicdata.sqlite3"
        shutil.copyfile(database_template, db_file)
        url = f"sqlite:///{db_file}"
    return Settings(
        var_dir=tmp_path / "var",
        tick_interval_minutes=0,  # tests call tick() themselves
        database_url=url,
        secret_key="test-secret-key-not-for-production",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        argon2_parallelism=1,  # fast hashes; same code path
    )


@pytest.fixture
def platform(settings: Settings) -> Iterator[Platform]:
    p = Platform.from_settings(settings)
    yield p
    p.close()


@pytest.fixture
def client(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


@pytest.fixture
def is_postgres() -> bool:
    return bool(PG_URL)
