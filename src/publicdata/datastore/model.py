"""Data-store rules in plain Python: column types, the records query language, cursors, export
hygiene (formula injection, file names) and the token bucket. No database, DuckDB or web imports.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from urllib.parse import quote


class ColumnType(StrEnum):
    """The column types of a data version (the same vocabulary as the catalog's field types)."""

    INTEGER = "integer"
    DECIMAL = "decimal"
    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"
    GEOMETRY = "geometry"  # stored as WKT text


# The storage (DuckDB / Parquet) type each column type is read as.
STORAGE_TYPES: dict[ColumnType, str] = {
    ColumnType.INTEGER: "BIGINT",
    ColumnType.DECIMAL: "DOUBLE",
    ColumnType.TEXT: "VARCHAR",
    ColumnType.DATE: "DATE",
    ColumnType.DATETIME: "TIMESTAMP",
    ColumnType.BOOLEAN: "BOOLEAN",
    ColumnType.GEOMETRY: "VARCHAR",
}

_INTEGER_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT"}
_INTEGER_TYPES |= {"UINTEGER", "UBIGINT", "UHUGEINT"}


def column_type_of(storage_type: str) -> ColumnType:
    """Map a DuckDB type name to a column type (anything unusual is read as text)."""
    t = storage_type.upper()
    if t in _INTEGER_TYPES:
        return ColumnType.INTEGER
    if t in {"DOUBLE", "FLOAT", "REAL"} or t.startswith("DECIMAL"):
        return ColumnType.DECIMAL
    if t == "DATE":
        return ColumnType.DATE
    if t.startswith("TIMESTAMP"):
        return ColumnType.DATETIME
    if t == "BOOLEAN":
        return ColumnType.BOOLEAN
    return ColumnType.TEXT


def quote_ident(name: str) -> str:
    """A DuckDB identifier, always quoted (uploaded column names are arbitrary text)."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    storage: str  # the DuckDB type in the Parquet file

    @property
    def value_expression(self) -> str:
        """The column's value: as stored, or cast when the provider overrode its type."""
        target = STORAGE_TYPES[self.type]
        if target == self.storage or column_type_of(self.storage) is self.type:
            return quote_ident(self.name)
        return f"CAST({quote_ident(self.name)} AS {target})"

    @property
    def read_expression(self) -> str:
        value = self.value_expression
        return value if value == quote_ident(self.name) else f"{value} AS {quote_ident(self.name)}"


def effective_columns(schema: Sequence[Mapping[str, Any]], overrides: Mapping[str, str]) -> list[Column]:
    """The version's columns with the provider's type overrides applied (they are cast at read time)."""
    return [Column(c["name"], ColumnType(overrides.get(c["name"], c["type"])), c["storage"]) for c in schema]


# ---------------------------------------------------------------------------------------------
# Header checks (before any data is read).
# ---------------------------------------------------------------------------------------------


class HeaderProblem(ValueError):
    def __init__(self, code: str, message_en: str, message_zh: str, column: int | None = None) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_zh = message_zh
        self.column = column


def check_header(names: Sequence[str]) -> None:
    """Refuse empty or duplicate column names, naming the column (1-based)."""
    if not names:
        raise HeaderProblem("empty_file", "the file has no header row", "文件没有表头行")
    seen: dict[str, int] = {}
    for position, raw in enumerate(names, start=1):
        name = raw.strip()
        if not name:
            raise HeaderProblem(
                "empty_column_name",
                f"column {position} has an empty name",
                f"第 {position} 列的列名为空",
                position,
            )
        key = name.lower()
        if key in seen:
            raise HeaderProblem(
                "duplicate_column_name",
                f"column {position} '{name}' repeats the name of column {seen[key]}",
                f"第 {position} 列“{name}”与第 {seen[key]} 列重名",
                position,
            )
        seen[key] = position


def line_of_offset(data: bytes, offset: int) -> int:
    """1-based line number of a byte offset within `data`."""
    return data.count(b"\n", 0, offset) + 1


# ---------------------------------------------------------------------------------------------
# The records query language.
#
#   ?district=310101                equality
#   ?district=310101&district=310104  repeated → OR
#   ?district__in=310101,310104     list → OR
#   ?amount__gte=10&amount__lt=20   ranges: lt, lte, gt, gte; also ne
#   ?filter.limit=3                 the same with a `filter.` prefix (for columns named like a parameter)
#   q=…  fields=a,b  sort=-a,b  limit  offset  next  include_total
# ---------------------------------------------------------------------------------------------

RESERVED_PARAMETERS = frozenset({"q", "fields", "sort", "limit", "offset", "next", "include_total", "lang"})
OPERATORS = ("in", "lt", "lte", "gt", "gte", "ne", "eq")


class QueryProblem(ValueError):
    def __init__(self, message_en: str, message_zh: str, parameter: str) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh
        self.parameter = parameter


@dataclass(frozen=True)
class Condition:
    column: str
    op: str  # eq (values OR-ed), ne, lt, lte, gt, gte
    values: tuple[Any, ...]


@dataclass(frozen=True)
class SortKey:
    column: str
    descending: bool = False


@dataclass(frozen=True)
class RecordsQuery:
    conditions: tuple[Condition, ...] = ()
    q: str | None = None
    fields: tuple[str, ...] = ()
    sort: tuple[SortKey, ...] = ()
    limit: int = 100
    offset: int = 0
    cursor: Cursor | None = None
    include_total: bool = False


@dataclass(frozen=True)
class Cursor:
    values: tuple[Any, ...]  # of the sort columns, JSON-encoded (typed back by the column types)
    row: int  # the Parquet row number: the final tie-breaker
    signature: str  # the sort the cursor belongs to


def _typed(value: str, column: Column, parameter: str) -> Any:
    text = value.strip()
    try:
        if column.type is ColumnType.INTEGER:
            return int(text)
        if column.type is ColumnType.DECIMAL:
            return float(Decimal(text))
        if column.type is ColumnType.DATE:
            return date.fromisoformat(text)
        if column.type is ColumnType.DATETIME:
            return datetime.fromisoformat(text)
        if column.type is ColumnType.BOOLEAN:
            lowered = text.lower()
            if lowered in {"true", "1", "yes", "是"}:
                return True
            if lowered in {"false", "0", "no", "否"}:
                return False
            raise ValueError(text)
    except (ValueError, InvalidOperation):
        raise QueryProblem(
            f"'{value}' is not a valid {column.type.value} for column '{column.name}'",
            f"“{value}”不是列“{column.name}”的有效取值（{column.type.value}）",
            parameter,
        ) from None
    return value


def _column(columns: Mapping[str, Column], name: str, parameter: str) -> Column:
    column = columns.get(name)
    if column is None:
        raise QueryProblem(
            f"unknown column '{name}' (columns: {', '.join(columns)})",
            f"不存在的列“{name}”",
            parameter,
        )
    return column


def parse_records_query(
    params: Sequence[tuple[str, str]], columns: Sequence[Column], *, max_limit: int, default_limit: int = 100
) -> RecordsQuery:
    """Parse query parameters (name, value pairs in request order) against a version's columns."""
    by_name = {c.name: c for c in columns}
    grouped: dict[tuple[str, str], list[Any]] = {}
    single: dict[str, str] = {}
    for key, value in params:
        if key in RESERVED_PARAMETERS:
            single[key] = value
            continue
        name = key.removeprefix("filter.")
        op = "eq"
        base, sep, suffix = name.rpartition("__")
        if sep and suffix in OPERATORS and base:
            name, op = base, suffix
        column = _column(by_name, name, key)
        if op == "in":
            values = [v for v in value.split(",") if v != ""]
            grouped.setdefault((name, "eq"), []).extend(_typed(v, column, key) for v in values)
        elif op == "eq":
            grouped.setdefault((name, "eq"), []).append(_typed(value, column, key))
        else:
            grouped.setdefault((name, op), []).append(_typed(value, column, key))
    conditions = tuple(Condition(name, op, tuple(values)) for (name, op), values in grouped.items())
    fields: tuple[str, ...] = ()
    if single.get("fields"):
        fields = tuple(f.strip() for f in single["fields"].split(",") if f.strip())
        for name in fields:
            _column(by_name, name, "fields")
    sort: list[SortKey] = []
    for part in (single.get("sort") or "").split(","):
        part = part.strip()
        if not part:
            continue
        descending = part.startswith("-")
        name = part.lstrip("-+")
        _column(by_name, name, "sort")
        sort.append(SortKey(name, descending))
    limit = _integer(single.get("limit"), "limit", default_limit, 1, max_limit)
    offset = _integer(single.get("offset"), "offset", 0, 0, 10_000_000)
    cursor = decode_cursor(single["next"], tuple(sort), by_name) if single.get("next") else None
    q = (single.get("q") or "").strip() or None
    if q is not None and len(q) > 200:
        raise QueryProblem("q is longer than 200 characters", "检索词超过200个字符", "q")
    include_total = (single.get("include_total") or "").lower() in {"1", "true", "yes"}
    return RecordsQuery(conditions, q, fields, tuple(sort), limit, offset, cursor, include_total)


def _integer(raw: str | None, name: str, default: int, low: int, high: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise QueryProblem(f"{name} must be an integer", f"{name} 须为整数", name) from None
    if not low <= value <= high:
        raise QueryProblem(
            f"{name} must be between {low} and {high}", f"{name} 须在 {low} 到 {high} 之间", name
        )
    return value


def sort_signature(sort: Sequence[SortKey]) -> str:
    return ",".join(("-" if s.descending else "") + s.column for s in sort)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def encode_cursor(values: Sequence[Any], row: int, sort: Sequence[SortKey]) -> str:
    payload = {"v": [_json_value(v) for v in values], "r": row, "s": sort_signature(sort)}
    raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, sort: tuple[SortKey, ...], columns: Mapping[str, Column]) -> Cursor:
    problem = QueryProblem("the next cursor is not valid for this query", "翻页游标无效", "next")
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        values, row, signature = payload["v"], int(payload["r"]), str(payload["s"])
    except (ValueError, KeyError, TypeError):
        raise problem from None
    if signature != sort_signature(sort) or not isinstance(values, list) or len(values) != len(sort):
        raise problem
    typed = tuple(
        None if v is None else _typed(str(v), columns[s.column], "next")
        for v, s in zip(values, sort, strict=True)
    )
    return Cursor(typed, row, signature)


# ---------------------------------------------------------------------------------------------
# Exports.
# ---------------------------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_MAX_DATA_ROWS = 1_048_575  # Excel's 1,048,576 rows minus the header


def neutralize_formula(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would run as a formula with an apostrophe (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def content_disposition(filename: str) -> str:
    """RFC 6266 / RFC 5987: an ASCII fallback plus the UTF-8 name (Chinese names survive)."""
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\;' else "_" for ch in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


EXPORT_MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
    "geojson": "application/geo+json",
}


# ---------------------------------------------------------------------------------------------
# Rate limits: a token bucket per caller (token, user or anonymous IP).
# ---------------------------------------------------------------------------------------------


@dataclass
class TokenBucket:
    per_minute: int
    clock: Callable[[], float] = time.monotonic
    _state: dict[str, tuple[float, float]] = field(default_factory=dict)

    def take(self, key: str) -> int:
        """Take one request; 0 when allowed, else the whole seconds to wait (for Retry-After)."""
        if self.per_minute <= 0:
            return 0
        rate = self.per_minute / 60.0
        now = self.clock()
        tokens, last = self._state.get(key, (float(self.per_minute), now))
        tokens = min(float(self.per_minute), tokens + (now - last) * rate)
        if tokens >= 1.0:
            self._state[key] = (tokens - 1.0, now)
            if len(self._state) > 100_000:  # forget idle callers now and then
                self._state = {k: v for k, v in self._state.items() if now - v[1] < 120}
            return 0
        self._state[key] = (tokens, now)
        return max(1, int((1.0 - tokens) / rate + 0.999))


def chunks(values: Iterable[Any], size: int) -> Iterable[list[Any]]:
    batch: list[Any] = []
    for value in values:
        batch.append(value)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


_SAFE_NAME = re.compile(r"[^\w\-.]+", re.UNICODE)


def export_filename(dataset_name: str, version: int | None, fmt: str) -> str:
    base = _SAFE_NAME.sub("_", dataset_name).strip("_") or "data"
    return f"{base}_v{version}.{fmt}" if version is not None else f"{base}.{fmt}"
