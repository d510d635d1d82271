"""The records-answer cache: a repeated query gives the same answer, callers cannot corrupt it, and a
different file (a new version) or query never gets another's answer."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from publicdata.config import Settings
from publicdata.datastore import query as records
from publicdata.datastore.model import Column, ColumnType, Condition, RecordsQuery, SortKey


def _version(path: Path, rows: list[tuple[int, str]]) -> Path:
    con = duckdb.connect()
    values = ", ".join(f"({n}, '{d}')" for n, d in rows)
    con.execute(f"COPY (SELECT * FROM (VALUES {values}) t(n, district)) TO '{path}' (FORMAT parquet)")
    con.close()
    return path


COLUMNS = [Column("n", ColumnType.INTEGER, "INTEGER"), Column("district", ColumnType.TEXT, "VARCHAR")]


@pytest.mark.req("ACC-6")
@pytest.mark.parametrize("entries", [0, 8])
def test_repeated_queries_answer_the_same_and_stay_isolated(tmp_path: Path, entries: int) -> None:
    settings = Settings(var_dir=tmp_path, datastore_result_cache_entries=entries)
    v1 = _version(tmp_path / "1.parquet", [(1, "310101"), (2, "310104"), (3, "310101")])
    v2 = _version(tmp_path / "2.parquet", [(7, "310101")])
    query = RecordsQuery(conditions=(Condition("district", "eq", ("310101",)),), sort=(SortKey("n", True),))

    first = records.run_records(settings, path=v1, columns=COLUMNS, query=query)
    assert [r["n"] for r in first["records"]] == [3, 1]
    first["records"].clear()  # a caller trimming its answer must not change the next caller's
    again = records.run_records(settings, path=v1, columns=COLUMNS, query=query)
    assert [r["n"] for r in again["records"]] == [3, 1]

    assert [
        r["n"] for r in records.run_records(settings, path=v2, columns=COLUMNS, query=query)["records"]
    ] == [7]
    other = RecordsQuery(conditions=(Condition("district", "eq", ("310104",)),))
    assert [
        r["n"] for r in records.run_records(settings, path=v1, columns=COLUMNS, query=other)["records"]
    ] == [2]
