"""The records query: parsed parameters → one parameterized DuckDB query over a version's Parquet.

Values always travel as parameters; identifiers are quoted from the version's own column list.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from publicdata.config import Settings
from publicdata.datastore.engine import query_cursor, work_cursor
from publicdata.datastore.model import (
    Column,
    ColumnType,
    RecordsQuery,
    encode_cursor,
    quote_ident,
    quote_literal,
)

ROW = "__publicdata_row"


def json_value(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or infinity
    return value


_cache: OrderedDict[str, tuple[str, int]] = OrderedDict()  # Parquet path → (table, rows)
_cache_lock = threading.Lock()


def cached_table(settings: Settings, path: Path, row_count: int) -> str | None:
    """An in-memory table holding the (immutable) version's rows, built on first use and evicted
    least-recently-used beyond `datastore_query_cache_rows`; None when the version is too large."""
    limit = settings.datastore_query_cache_rows
    if limit <= 0 or row_count > limit:
        return None
    key = str(path)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit[0]
        name = "version_" + hashlib.sha256(key.encode()).hexdigest()[:20]
        cursor = work_cursor(settings)
        try:
            cursor.execute(
                f"CREATE OR REPLACE TABLE {name} AS SELECT *, file_row_number AS {ROW} "
                f"FROM read_parquet({quote_literal(key)}, file_row_number=true)"
            )
            _cache[key] = (name, row_count)
            while sum(rows for _, rows in _cache.values()) > limit and len(_cache) > 1:
                _, (old, _rows) = _cache.popitem(last=False)
                cursor.execute(f"DROP TABLE IF EXISTS {old}")
        finally:
            cursor.close()
        return name


def base_relation(path: Path, columns: Sequence[Column], table: str | None = None) -> str:
    exprs = ", ".join(c.read_expression for c in columns)
    if table is not None:
        return f"(SELECT {exprs}, {ROW} FROM {table}) AS t"
    return (
        f"(SELECT {exprs}, file_row_number AS {ROW} "
        f"FROM read_parquet({quote_literal(str(path))}, file_row_number=true)) AS t"
    )


def _where(query: RecordsQuery, columns: Sequence[Column]) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    ops = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "ne": "<>"}
    for cond in query.conditions:
        ident = quote_ident(cond.column)
        if cond.op == "eq":
            if not cond.values:
                clauses.append("FALSE")
            elif len(cond.values) == 1:
                clauses.append(f"{ident} = ?")
            else:
                clauses.append(f"{ident} IN ({', '.join('?' for _ in cond.values)})")
            params.extend(cond.values)
        else:
            for value in cond.values:
                clauses.append(f"{ident} {ops[cond.op]} ?")
                params.append(value)
    if query.q:
        texts = [c for c in columns if c.type is ColumnType.TEXT]
        if texts:
            clauses.append(
                "(" + " OR ".join(f"contains(lower({quote_ident(c.name)}), ?)" for c in texts) + ")"
            )
            params.extend([query.q.lower()] * len(texts))
        else:
            clauses.append("FALSE")
    return clauses, params


def _keyset(query: RecordsQuery) -> tuple[str, list[Any]]:
    """Rows after the cursor in ORDER BY (sort keys NULLS LAST, then row number)."""
    assert query.cursor is not None
    alternatives: list[str] = []
    params: list[Any] = []
    equal_prefix: list[str] = []
    equal_params: list[Any] = []
    for key, value in zip(query.sort, query.cursor.values, strict=True):
        ident = quote_ident(key.column)
        if value is not None:
            op = "<" if key.descending else ">"
            alternatives.append(
                "(" + " AND ".join([*equal_prefix, f"({ident} {op} ? OR {ident} IS NULL)"]) + ")"
            )
            params.extend([*equal_params, value])
            equal_prefix.append(f"{ident} = ?")
            equal_params.append(value)
        else:
            equal_prefix.append(f"{ident} IS NULL")
    alternatives.append("(" + " AND ".join([*equal_prefix, f"{ROW} > ?"]) + ")")
    params.extend([*equal_params, query.cursor.row])
    return "(" + " OR ".join(alternatives) + ")", params


_results: OrderedDict[tuple[Any, ...], dict[str, Any]] = OrderedDict()
_results_lock = threading.Lock()


def run_records(
    settings: Settings, *, path: Path, columns: Sequence[Column], query: RecordsQuery, row_count: int = -1
) -> dict[str, Any]:
    """One page of records. Versions are immutable, so a page is a pure function of (file, columns,
    query): answers are kept in a bounded LRU (`datastore_result_cache_entries`, 0 = off) and a
    repeated query costs a dictionary lookup instead of a scan."""
    size = settings.datastore_result_cache_entries
    if size <= 0:
        return _run_records(settings, path=path, columns=columns, query=query, row_count=row_count)
    key = (str(path), tuple(columns), query)
    with _results_lock:
        hit = _results.get(key)
        if hit is not None:
            _results.move_to_end(key)
    if hit is None:
        hit = _run_records(settings, path=path, columns=columns, query=query, row_count=row_count)
        with _results_lock:
            _results[key] = hit
            while len(_results) > size:
                _results.popitem(last=False)
    # Callers may add keys or trim the lists: hand out fresh containers (the values are immutable
    # JSON scalars), much cheaper than a deep copy of every record.
    return {
        **hit,
        "fields": [dict(f) for f in hit["fields"]],
        "records": [dict(r) for r in hit["records"]],
    }


def _run_records(
    settings: Settings, *, path: Path, columns: Sequence[Column], query: RecordsQuery, row_count: int = -1
) -> dict[str, Any]:
    selected = [c for c in columns if not query.fields or c.name in query.fields]
    if query.fields:
        order = {name: i for i, name in enumerate(query.fields)}
        selected.sort(key=lambda c: order[c.name])
    clauses, params = _where(query, columns)
    table = cached_table(settings, path, row_count) if row_count >= 0 else None
    relation = base_relation(path, columns, table)
    where_sql = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    cursor = query_cursor(settings)
    total = None
    if query.include_total:
        row = cursor.execute(f"SELECT count(*) FROM {relation}{where_sql}", params).fetchone()
        total = int(row[0]) if row else 0
    page_clauses, page_params = list(clauses), list(params)
    if query.cursor is not None:
        keyset, keyset_params = _keyset(query)
        page_clauses.append(keyset)
        page_params.extend(keyset_params)
    page_where = (" WHERE " + " AND ".join(page_clauses)) if page_clauses else ""
    order_sql = ", ".join(
        f"{quote_ident(k.column)} {'DESC' if k.descending else 'ASC'} NULLS LAST" for k in query.sort
    )
    order_by = f" ORDER BY {order_sql + ', ' if order_sql else ''}{ROW}"
    sort_idents = [quote_ident(k.column) for k in query.sort]
    out_cols = ", ".join([quote_ident(c.name) for c in selected] + sort_idents + [ROW])
    offset = 0 if query.cursor is not None else query.offset
    sql = f"SELECT {out_cols} FROM {relation}{page_where}{order_by} LIMIT ? OFFSET ?"
    rows = cursor.execute(sql, [*page_params, query.limit + 1, offset]).fetchall()
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    width = len(selected)
    records = [{c.name: json_value(v) for c, v in zip(selected, row[:width], strict=True)} for row in rows]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(last[width : width + len(sort_idents)], int(last[-1]), query.sort)
    return {
        "fields": [{"name": c.name, "type": c.type.value} for c in selected],
        "records": records,
        "limit": query.limit,
        "offset": offset,
        "next": next_cursor,
        "total": total,
    }
