"""Downloads: each (version, format) is written once to an export file by DuckDB COPY (or streamed
row batches for XLSX / GeoJSON), then served from disk — constant memory, Content-Length known.

Versions are immutable, so exports are cached beside them (`<dataset>/exports/`), keyed by the
version and its type overrides; they are written to a temp name and renamed into place.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from publicdata.config import Settings
from publicdata.datastore.engine import new_connection, work_cursor
from publicdata.datastore.geometry import wkt_to_geojson
from publicdata.datastore.model import (
    FORMULA_PREFIXES,
    STORAGE_TYPES,
    XLSX_MAX_DATA_ROWS,
    Column,
    ColumnType,
    neutralize_formula,
    quote_ident,
    quote_literal,
)
from publicdata.datastore.query import json_value
from publicdata.datastore.readers import fail

FORMATS = ("csv", "xlsx", "json", "parquet", "geojson")
BATCH = 5000


def _neutralized(column: Column) -> str:
    """CSV: text cells a spreadsheet would run as formulas get a leading apostrophe."""
    ident = quote_ident(column.name)
    if column.type is not ColumnType.TEXT:
        return column.read_expression
    value = column.value_expression
    # A list function, not `IN (...)`: DuckDB plans a longer IN list as a join, which loses the order
    # of the rows in the export.
    starts = ", ".join(quote_literal(ch) for ch in FORMULA_PREFIXES)
    flagged = f"list_contains([{starts}], left({value}, 1))"
    return f"CASE WHEN {flagged} THEN '''' || {value} ELSE {value} END AS {ident}"


def export_file(
    settings: Settings,
    *,
    parquet: Path,
    columns: Sequence[Column],
    row_count: int,
    fmt: str,
    bom: bool = False,
) -> Path:
    """The cached export of a version in `fmt` (written on first request)."""
    if fmt not in FORMATS:
        raise fail("unsupported_format", f"unknown download format '{fmt}'", "不支持的下载格式")
    if fmt == "xlsx" and row_count > XLSX_MAX_DATA_ROWS:
        raise fail(
            "too_many_rows_for_xlsx",
            f"{row_count} rows exceed Excel's limit of {XLSX_MAX_DATA_ROWS + 1} rows; "
            "download CSV or Parquet",
            f"共 {row_count} 行，超出 Excel 的 {XLSX_MAX_DATA_ROWS + 1} 行上限，请下载 CSV 或 Parquet 格式",
            rows=row_count,
            limit=XLSX_MAX_DATA_ROWS,
            alternatives=["csv", "parquet"],
        )
    geometry = [c for c in columns if c.type is ColumnType.GEOMETRY]
    if fmt == "geojson" and not geometry:
        raise fail(
            "no_geometry", "this dataset has no geometry column; choose another format", "该数据集没有几何列"
        )
    overridden = any(c.read_expression != quote_ident(c.name) for c in columns)
    if fmt == "parquet" and not overridden:
        return parquet
    key = hashlib.sha256(json.dumps([[c.name, c.type.value] for c in columns]).encode()).hexdigest()[:12]
    folder = parquet.parent / "exports"
    folder.mkdir(exist_ok=True)
    target = folder / f"{parquet.stem}-{key}{'-bom' if bom else ''}.{fmt}"
    if target.exists():
        return target
    temp = folder / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}-{target.name}"
    try:
        if bom:
            plain = export_file(settings, parquet=parquet, columns=columns, row_count=row_count, fmt=fmt)
            with open(temp, "wb") as out, open(plain, "rb") as source:
                out.write(codecs.BOM_UTF8)
                shutil.copyfileobj(source, out, 1024 * 1024)
        elif fmt in ("csv", "json", "parquet"):
            _copy(settings, parquet, columns, fmt, temp)
        elif fmt == "xlsx":
            _xlsx(settings, parquet, columns, temp)
        else:
            _geojson(settings, parquet, columns, geometry[0], temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)
    return target


_FILTER_OPS = {"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}


def _typed_literal(column: Column, value: Any) -> str:
    return f"CAST({quote_literal(str(value))} AS {STORAGE_TYPES[column.type]})"


def row_filter_sql(columns: Sequence[Column], row_filter: Sequence[Mapping[str, Any]]) -> str:
    """A WHERE condition for a grant's row filter ([{column, op, value}], all must hold); values are
    cast to the column's type. 'TRUE' when there is no filter."""
    by_name = {c.name: c for c in columns}
    clauses: list[str] = []
    for cond in row_filter:
        column = by_name[cond["column"]]
        op, value = cond.get("op", "eq"), cond.get("value")
        if op == "in":
            values = ", ".join(_typed_literal(column, v) for v in (value or []))
            # list_contains rather than IN: a long IN list is planned as a join, losing the rows' order.
            clauses.append(f"list_contains([{values}], {column.value_expression})")
        else:
            clauses.append(f"{column.value_expression} {_FILTER_OPS[op]} {_typed_literal(column, value)}")
    return " AND ".join(clauses) or "TRUE"


def scoped_parquet(
    settings: Settings,
    *,
    parquet: Path,
    columns: Sequence[Column],
    fields: Sequence[str],
    row_filter: Sequence[Mapping[str, Any]],
) -> tuple[Path, int]:
    """A version cut to a grant's scope: only the allowed columns (as stored) and the rows passing the
    row filter — so records, SQL and every download format under the grant cannot reach anything else.
    Written once per (version, types, scope) beside the version (`<dataset>/grants/`); returns the
    file and its row count."""
    kept = [c for c in columns if c.name in set(fields)]
    scope = [[c.name, c.type.value] for c in columns], list(fields), list(row_filter)
    key = hashlib.sha256(json.dumps(scope, sort_keys=True, default=str).encode()).hexdigest()[:16]
    folder = parquet.parent / "grants"
    folder.mkdir(exist_ok=True)
    target = folder / f"{parquet.stem}-{key}.parquet"
    con = work_cursor(settings)
    try:
        if not target.exists():
            temp = folder / f".tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}-{target.name}"
            try:
                names = ", ".join(quote_ident(c.name) for c in kept)
                con.execute(
                    f"COPY (SELECT {names} FROM read_parquet({quote_literal(str(parquet))}) "
                    f"WHERE {row_filter_sql(columns, row_filter)}) "
                    f"TO {quote_literal(str(temp))} (FORMAT parquet, COMPRESSION zstd)"
                )
                os.replace(temp, target)
            finally:
                temp.unlink(missing_ok=True)
        row = con.execute(f"SELECT count(*) FROM read_parquet({quote_literal(str(target))})").fetchone()
    finally:
        con.close()
    return target, int(row[0]) if row else 0


def _copy(settings: Settings, parquet: Path, columns: Sequence[Column], fmt: str, out: Path) -> None:
    exprs = ", ".join(_neutralized(c) if fmt == "csv" else c.read_expression for c in columns)
    options = {
        "csv": "FORMAT csv, HEADER true",
        "json": "FORMAT json, ARRAY true",
        "parquet": "FORMAT parquet, COMPRESSION zstd",
    }[fmt]
    # Text exports are written by one thread on a connection of their own: DuckDB's parallel CSV/JSON
    # writer does not always keep the rows' order, and sorting instead would hold the rows in memory.
    con = new_connection(settings) if fmt in ("csv", "json") else work_cursor(settings)
    try:
        if fmt in ("csv", "json"):
            con.execute("SET threads = 1")
        con.execute(
            f"COPY (SELECT {exprs} FROM read_parquet({quote_literal(str(parquet))})) "
            f"TO {quote_literal(str(out))} ({options})"
        )
    finally:
        con.close()


def _batches(settings: Settings, parquet: Path, columns: Sequence[Column]):  # type: ignore[no-untyped-def]
    con = work_cursor(settings)
    try:
        exprs = ", ".join(c.read_expression for c in columns)
        result = con.execute(f"SELECT {exprs} FROM read_parquet({quote_literal(str(parquet))})")
        while batch := result.fetchmany(BATCH):
            yield batch
    finally:
        con.close()


def _xlsx(settings: Settings, parquet: Path, columns: Sequence[Column], out: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("data")
    sheet.append([neutralize_formula(c.name) for c in columns])
    for batch in _batches(settings, parquet, columns):
        for row in batch:
            sheet.append([neutralize_formula(v) for v in row])
    workbook.save(out)


def _geojson(
    settings: Settings, parquet: Path, columns: Sequence[Column], geometry: Column, out: Path
) -> None:
    names = [c.name for c in columns]
    at = names.index(geometry.name)
    with open(out, "w", encoding="utf-8") as handle:
        handle.write('{"type":"FeatureCollection","features":[')
        first = True
        for batch in _batches(settings, parquet, columns):
            for row in batch:
                properties = {
                    n: json_value(v) for i, (n, v) in enumerate(zip(names, row, strict=True)) if i != at
                }
                feature = {"type": "Feature", "geometry": wkt_to_geojson(row[at]), "properties": properties}
                handle.write(("" if first else ",") + json.dumps(feature, ensure_ascii=False))
                first = False
        handle.write("]}")
