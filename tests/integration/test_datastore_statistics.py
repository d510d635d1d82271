"""Column statistics of a version: min/max read from the Parquet footer must equal a full scan's."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from publicdata.datastore.engine import write_version_parquet
from publicdata.datastore.ingest import column_statistics, describe_parquet

ROWS = """SELECT * FROM (VALUES
  (1, NULL::DATE, 'b', NULL::VARCHAR, 1.5::DECIMAL(5,2), TIMESTAMP '2020-01-01 10:00:00', true,
   'x' || repeat('长', 300), 2.5::DOUBLE),
  (NULL, DATE '2021-02-03', 'a', NULL, -2.25, NULL, false, repeat('z', 300), 'NaN'::DOUBLE),
  (-5, DATE '2020-12-31', NULL, NULL, NULL, TIMESTAMP '2019-05-05 00:00:01', NULL, 'a', -1.0)
) t(i, d, s, n, dec, ts, b, longtext, dbl)"""


def scanned(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> tuple[object, object]:
    row = con.execute(f'SELECT min("{name}"), max("{name}") FROM read_parquet(\'{path}\')').fetchone()
    assert row is not None
    return row[0], row[1]


@pytest.mark.req("ACC-6")
@pytest.mark.parametrize("rows_per_group", [1, 2048])
def test_min_max_from_the_footer_equal_a_scan(tmp_path: Path, rows_per_group: int) -> None:
    con = duckdb.connect()
    path = tmp_path / "v.parquet"
    if rows_per_group == 1:  # several row groups, some all-null for a column
        con.execute(f"COPY ({ROWS}) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 1)")
    else:
        write_version_parquet(con, ROWS, path)
    columns = describe_parquet(con, path)
    total, stats = column_statistics(con, path, columns)
    assert total == 3
    for column in columns:
        low, high = scanned(con, path, column["name"])
        measured = [stats[column["name"]]["min"], stats[column["name"]]["max"]]
        assert [str(v) for v in measured] == [str(v) for v in (low, high)], column["name"]
    assert stats["n"]["nulls"] == 3 and stats["n"]["min"] is None
    assert stats["longtext"]["max"] == "z" * 300  # too long for exact footer statistics: scanned


@pytest.mark.req("ACC-6")
def test_overridden_columns_are_measured_as_cast(tmp_path: Path) -> None:
    con = duckdb.connect()
    path = tmp_path / "v.parquet"
    write_version_parquet(con, "SELECT * FROM (VALUES ('9'), ('10'), ('200')) t(code)", path)
    columns = describe_parquet(con, path)
    _, as_text = column_statistics(con, path, columns)
    _, as_integer = column_statistics(con, path, columns, {"code": "integer"})
    assert (as_text["code"]["min"], as_text["code"]["max"]) == ("10", "9")
    assert (as_integer["code"]["min"], as_integer["code"]["max"]) == (9, 200)
