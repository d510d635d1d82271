"""The first download of an export streams it while DuckDB writes it: the bytes equal the complete file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from publicdata.config import Settings
from publicdata.datastore import export
from publicdata.datastore.engine import write_version_parquet
from publicdata.datastore.ingest import describe_parquet
from publicdata.datastore.model import effective_columns


@pytest.fixture
def version(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "ds" / "1.parquet"
    path.parent.mkdir(parents=True)
    rows = (
        "SELECT i AS id, '站点' || i AS stop_name, CASE WHEN i % 7 = 0 THEN '=1+1' END AS note "
        "FROM range(300000) t(i)"
    )
    write_version_parquet(duckdb.connect(), rows, path)
    return path


@pytest.mark.req("PLT-12", "ACC-1")
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_streamed_first_download_equals_the_cached_export(tmp_path: Path, version: Path, fmt: str) -> None:
    settings = Settings(var_dir=tmp_path)
    con = duckdb.connect()
    columns = effective_columns(describe_parquet(con, version), {})
    opened = export.open_export(
        settings, parquet=version, columns=columns, row_count=300000, fmt=fmt, stream=True
    )
    assert isinstance(opened, export.PendingExport)
    streamed = b"".join(export.follow(opened, chunk=64 * 1024))
    assert opened.target.exists() and not opened.temp.exists()
    assert streamed == opened.target.read_bytes()
    again = export.open_export(
        settings, parquet=version, columns=columns, row_count=300000, fmt=fmt, stream=True
    )
    assert again == opened.target  # written once, then served from disk
    if fmt == "csv":
        lines = streamed.decode().splitlines()
        assert lines[0] == "id,stop_name,note" and len(lines) == 300001 and lines[1] == "0,站点0,'=1+1"


@pytest.mark.req("PLT-12")
def test_a_failed_writer_ends_the_stream_with_its_error(tmp_path: Path, version: Path) -> None:
    settings = Settings(var_dir=tmp_path)
    columns = effective_columns(describe_parquet(duckdb.connect(), version), {})
    missing = version.with_name("9.parquet")
    opened = export.open_export(
        settings, parquet=missing, columns=columns, row_count=1, fmt="csv", stream=True
    )
    assert isinstance(opened, export.PendingExport)
    with pytest.raises(duckdb.IOException):
        b"".join(export.follow(opened))
    assert not opened.target.exists() and not opened.temp.exists()
