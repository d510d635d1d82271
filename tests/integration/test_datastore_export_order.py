"""Exports keep the rows in the version's order, however DuckDB's writers split the work."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from publicdata.config import Settings
from publicdata.datastore import export
from publicdata.datastore.engine import write_version_parquet
from publicdata.datastore.ingest import describe_parquet
from publicdata.datastore.model import effective_columns

ROWS = (
    "SELECT i AS id, '站点' || i AS stop_name, CASE WHEN i % 7 = 0 THEN '=1+1' END AS note "
    "FROM range(300000) t(i)"
)


@pytest.mark.req("PLT-12", "ACC-1")
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_exports_keep_the_row_order_across_row_groups(tmp_path: Path, fmt: str) -> None:
    version = tmp_path / "data" / "ds" / "1-abcd.parquet"
    version.parent.mkdir(parents=True)
    con = duckdb.connect()
    write_version_parquet(con, ROWS, version)
    columns = effective_columns(describe_parquet(con, version), {})
    settings = Settings(var_dir=tmp_path)
    for attempt in range(3):  # the writers' scheduling varies from run to run
        path = export.export_file(settings, parquet=version, columns=columns, row_count=300000, fmt=fmt)
        if fmt == "csv":
            ids = [int(line.split(",", 1)[0]) for line in path.read_text().splitlines()[1:]]
        else:
            ids = [int(r[0]) for r in duckdb.sql(f"SELECT id FROM read_json('{path}')").fetchall()]
        assert ids == list(range(300000)), f"attempt {attempt}"
        path.unlink()
