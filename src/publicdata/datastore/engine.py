"""DuckDB connections and the data folder layout.

Queries share one in-memory DuckDB database per data folder and take a cursor per thread (DuckDB
cursors are cheap and independent), so concurrent requests never share a connection. Ingests and the
SQL endpoint open their own short-lived connections. Every connection has a memory limit and a spill
directory, so memory stays bounded however large the files are.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import duckdb

from publicdata.config import Settings
from publicdata.datastore.model import Column, quote_ident, quote_literal

_lock = threading.Lock()
_shared: dict[str, duckdb.DuckDBPyConnection] = {}
_local = threading.local()


def data_dir(settings: Settings) -> Path:
    path = settings.resolved_data_dir
    path.mkdir(parents=True, exist_ok=True)
    return path


def spill_dir(settings: Settings) -> Path:
    path = data_dir(settings) / ".duckdb-tmp"
    path.mkdir(parents=True, exist_ok=True)
    return path


def dataset_dir(settings: Settings, dataset_id: str) -> Path:
    path = data_dir(settings) / dataset_id
    path.mkdir(parents=True, exist_ok=True)
    return path


def configure(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    con.execute(f"SET memory_limit = {quote_literal(settings.duckdb_memory_limit)}")
    con.execute(f"SET temp_directory = {quote_literal(str(spill_dir(settings)))}")
    con.execute("SET preserve_insertion_order = true")
    if settings.duckdb_threads > 0:
        con.execute(f"SET threads = {int(settings.duckdb_threads)}")


def new_connection(settings: Settings) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    configure(con, settings)
    return con


def _shared_database(settings: Settings) -> duckdb.DuckDBPyConnection:
    key = str(settings.resolved_data_dir)
    with _lock:
        shared = _shared.get(key)
        if shared is None:
            shared = _shared[key] = new_connection(settings)
        return shared


def work_cursor(settings: Settings) -> duckdb.DuckDBPyConnection:
    """A new cursor on the shared database for one ingest or export (close it when done): opening a
    DuckDB database costs tens of milliseconds, a cursor almost nothing."""
    return _shared_database(settings).cursor()


def query_cursor(settings: Settings) -> duckdb.DuckDBPyConnection:
    """This thread's cursor on the shared query database for `settings`' data folder."""
    key = str(settings.resolved_data_dir)
    cursors: dict[str, duckdb.DuckDBPyConnection] | None = getattr(_local, "cursors", None)
    if cursors is None:
        cursors = _local.cursors = {}
    cursor = cursors.get(key)
    if cursor is None:
        cursor = cursors[key] = _shared_database(settings).cursor()
    return cursor


def fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_version_parquet(con: duckdb.DuckDBPyConnection, select_sql: str, path: Path) -> None:
    """Write a SELECT as a version file: the one Parquet layout every stored version has."""
    con.execute(
        f"COPY ({select_sql}) TO {quote_literal(str(path))} "
        "(FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 122880)"
    )


def first_cast_failure(con: duckdb.DuckDBPyConnection, path: Path, column: Column) -> tuple[int, Any] | None:
    """(1-based row, value) of the first value of `column` that does not cast to its declared type."""
    ident = quote_ident(column.name)
    target = column.value_expression.replace("CAST(", "TRY_CAST(", 1)
    bad = con.execute(
        f"SELECT file_row_number, {ident} FROM read_parquet({quote_literal(str(path))}, "
        f"file_row_number=true) WHERE {ident} IS NOT NULL AND {target} IS NULL LIMIT 1"
    ).fetchone()
    return None if bad is None else (int(bad[0]) + 1, bad[1])
