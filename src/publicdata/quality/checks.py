"""The quality checks executed in DuckDB over a version's Parquet file or a file read like an upload.

The rows are read once: one aggregate scan counts empty values, empty rows, type errors, constraint
violations, duplicate rows and keys (rows minus distinct hashes) and gathers the distinct values of
identifier and division-code columns, which are then validated once each (python-stdnum's rules in
SQL, the NBS table). Only what the scan found is looked up again (examples, occurrences). Row numbers
in examples are 1-based data rows (row 1 = the first row after the header).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from publicdata.catalog.model import DataItem, FieldType, UpdateFrequency
from publicdata.datastore.model import ColumnType, column_type_of, quote_ident, quote_literal
from publicdata.quality import model
from publicdata.quality.model import Check, Constraint, Finding, IdentifierKind
from publicdata.reference.divisions import is_known_code

ROW = "__quality_row"
EMPTY = "__quality_empty_"
DISTINCT_LIMIT = 200_000  # division-code columns with more distinct values are not code columns
DETECT_SAMPLE = 20_000


@dataclass
class CheckInput:
    items: list[DataItem] = field(default_factory=list)  # the catalog's data items (may be empty)
    declared: dict[str, FieldType] = field(default_factory=dict)  # extra declared types (CLI)
    key_columns: list[str] | None = None  # configured key; None: key-like columns (id, *_id, code)
    constraints: dict[str, Constraint] = field(default_factory=dict)
    frequency: UpdateFrequency | None = None
    previous_update: date | None = None
    this_update: date | None = None


@dataclass(frozen=True)
class _Col:
    name: str
    storage: str

    @property
    def ident(self) -> str:
        return quote_ident(self.name)

    @property
    def kind(self) -> ColumnType:
        return column_type_of(self.storage)

    @property
    def is_text(self) -> bool:
        return self.storage.upper() == "VARCHAR"

    @property
    def empty(self) -> str:
        if self.is_text:
            return f"({self.ident} IS NULL OR trim({self.ident}) = '')"
        return f"({self.ident} IS NULL)"

    @property
    def present(self) -> str:
        return f"(NOT {self.empty})"

    @property
    def as_text(self) -> str:
        return f"trim(CAST({self.ident} AS VARCHAR))"


def _type_error(col: _Col, declared: FieldType) -> str | None:
    """SQL condition: a present value that does not fit the declared type (None: nothing to check)."""
    kind = col.kind
    if declared not in model.TYPED:
        return None
    if declared is FieldType.INTEGER:
        if kind is ColumnType.INTEGER:
            return None
        if kind is ColumnType.DECIMAL:
            return f"({col.ident} <> trunc({col.ident}))"
        if col.is_text:
            return f"(NOT regexp_full_match({col.as_text}, '[+-]?[0-9]+'))"
        return "TRUE"
    if declared is FieldType.DECIMAL:
        if kind in (ColumnType.INTEGER, ColumnType.DECIMAL):
            return None
        if col.is_text:
            return f"(TRY_CAST({col.as_text} AS DOUBLE) IS NULL)"
        return "TRUE"
    if declared in (FieldType.DATE, FieldType.DATETIME):
        if kind in (ColumnType.DATE, ColumnType.DATETIME):
            return None
        target = "DATE" if declared is FieldType.DATE else "TIMESTAMP"
        if col.is_text:
            return f"(TRY_CAST({col.as_text} AS {target}) IS NULL)"
        return "TRUE"
    # boolean
    if kind is ColumnType.BOOLEAN:
        return None
    if kind is ColumnType.INTEGER:
        return f"({col.ident} NOT IN (0, 1))"
    if col.is_text:
        return f"(TRY_CAST({col.as_text} AS BOOLEAN) IS NULL)"
    return "TRUE"


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def identifier_valid_sql(kind: IdentifierKind, value: str) -> str:
    """SQL: `value` (text) is a valid identifier — the checks of python-stdnum (`cn.uscc`, `cn.ric`:
    format, check digit, birth date) vectorized in DuckDB, so a million distinct IDs cost one scan;
    `model.identifier_valid` (stdnum itself) is the reference the tests compare this with."""
    if kind is IdentifierKind.CREDIT_CODE:
        a = quote_literal(_USCC_ALPHABET)
        terms = " + ".join(
            f"(strpos({a}, substr({value}, {i + 1}, 1)) - 1) * {w}" for i, w in enumerate(_USCC_WEIGHTS)
        )
        return (
            f"(regexp_full_match({value}, '[0-9]{{8}}[0-9A-HJ-NPQRTUWXY]{{10}}') "
            f"AND substr({a}, CAST((31 - ({terms}) % 31) % 31 AS INTEGER) + 1, 1) = substr({value}, 18, 1))"
        )
    number = f"upper({value})"
    terms = " + ".join(
        f"coalesce(TRY_CAST(substr({number}, {i + 1}, 1) AS INTEGER), 0) * {w}"
        for i, w in enumerate(_RIC_WEIGHTS)
    )
    check = f"CAST((12 - ({terms}) % 11) % 11 AS INTEGER)"
    provinces = ", ".join(quote_literal(code) for code in _province_codes())
    return (
        f"(regexp_full_match({number}, '[1-9][0-9]{{16}}[0-9X]') "
        f"AND (CASE WHEN {check} = 10 THEN 'X' ELSE CAST({check} AS VARCHAR) END) = substr({number}, 18, 1) "
        f"AND TRY_STRPTIME(substr({number}, 7, 8), '%Y%m%d') IS NOT NULL "
        f"AND substr({number}, 1, 2) IN ({provinces}))"
    )


def _province_codes() -> list[str]:
    return [f"{i:02d}" for i in range(10, 100) if is_known_code(f"{i:02d}")]


def _constraint_conditions(col: _Col, c: Constraint) -> list[tuple[Check, str, str]]:
    out: list[tuple[Check, str, str]] = []
    number = f"TRY_CAST({col.as_text} AS DOUBLE)"
    bounds = []
    if c.min is not None:
        bounds.append(f"{number} < {c.min!r}")
    if c.max is not None:
        bounds.append(f"{number} > {c.max!r}")
    if bounds:
        detail = f"min={c.min} max={c.max}"
        out.append((Check.OUT_OF_RANGE, f"({number} IS NOT NULL AND ({' OR '.join(bounds)}))", detail))
    if c.allowed:
        listed = ", ".join(quote_literal(a) for a in c.allowed)
        out.append(
            (Check.NOT_ALLOWED, f"({col.as_text} NOT IN ({listed}))", "allowed: " + "、".join(c.allowed))
        )
    if c.pattern:
        out.append(
            (
                Check.PATTERN_MISMATCH,
                f"(NOT regexp_full_match({col.as_text}, {quote_literal(c.pattern)}))",
                c.pattern,
            )
        )
    return out


def _examples(
    con: duckdb.DuckDBPyConnection, source: str, condition: str, col: _Col | None
) -> list[dict[str, Any]]:
    value = f", CAST({col.ident} AS VARCHAR)" if col is not None else ""
    rows = con.execute(
        f"SELECT {ROW}{value} FROM {source} WHERE {condition} ORDER BY {ROW} LIMIT {model.MAX_EXAMPLES}"
    ).fetchall()
    return [{"row": int(r[0]), **({"value": r[1]} if col is not None else {})} for r in rows]


def _duplicate_examples(
    con: duckdb.DuckDBPyConnection, source: str, columns: Sequence[_Col], where: str
) -> list[dict[str, Any]]:
    """The first rows that repeat an earlier row's values of `columns`, with that earlier row."""
    hashes = f"hash({', '.join(c.ident for c in columns)})"
    hashed = f"(SELECT {ROW}, {hashes} AS h FROM {source} WHERE {where})"
    examples = con.execute(
        f"WITH t AS {hashed}, d AS (SELECT h FROM t GROUP BY h HAVING count(*) > 1) "
        f"SELECT {ROW}, first_row FROM (SELECT {ROW}, min({ROW}) OVER (PARTITION BY h) AS first_row, "
        f"row_number() OVER (PARTITION BY h ORDER BY {ROW}) AS n FROM t WHERE h IN (SELECT h FROM d)) "
        f"WHERE n > 1 ORDER BY {ROW} LIMIT {model.MAX_EXAMPLES}"
    ).fetchall()
    return [{"row": int(r[0]), "same_as_row": int(r[1])} for r in examples]


class Rows:
    """The rows the checks read. `raw` (a table, a table function or a subquery) is read once, by the
    aggregate scan; `numbered()` gives the same rows with their 1-based number ROW, for the lookups that
    run only when something was found (examples, occurrences of invalid values). A Parquet version
    numbers its rows itself; a text file read for the CLI is copied into a temporary table on the first
    lookup, because every lookup on the text would parse the whole file again."""

    def __init__(self, con: duckdb.DuckDBPyConnection, raw: str, numbered: str | None = None) -> None:
        self.con = con
        self.raw = raw
        self._numbered = numbered
        self._temps: list[str] = []

    def temp(self, select_sql: str, parameters: list[Any] | None = None) -> str:
        """A temporary table of `select_sql` (dropped by `close`)."""
        name = f"__quality_{uuid.uuid4().hex}"
        self.con.execute(f"CREATE TEMP TABLE {name} AS {select_sql}", parameters)
        self._temps.append(name)
        return name

    def numbered(self) -> str:
        if self._numbered is None:
            # With insertion order preserved, a table's rowid is the row's place in the file.
            table = self.temp(f"SELECT * FROM {self.raw}")
            self._numbered = f"(SELECT *, rowid + 1 AS {ROW} FROM {table})"
        return self._numbered

    def close(self) -> None:
        for name in self._temps:
            self.con.execute(f"DROP TABLE IF EXISTS {name}")
        self._temps.clear()


def run_checks(con: duckdb.DuckDBPyConnection, parquet: Path, inp: CheckInput) -> model.Report:
    """The report of a version's Parquet file."""
    path = quote_literal(str(parquet))
    numbered = f"(SELECT *, file_row_number + 1 AS {ROW} FROM read_parquet({path}, file_row_number = true))"
    return check_rows(Rows(con, f"read_parquet({path})", numbered), inp)


def check_rows(rows: Rows, inp: CheckInput) -> model.Report:
    """Every check over `rows`: one aggregate scan, then lookups for what it found."""
    try:
        return _check_rows(rows, inp)
    finally:
        rows.close()


def _check_rows(rows: Rows, inp: CheckInput) -> model.Report:
    con, raw = rows.con, rows.raw
    described = con.execute(f"DESCRIBE SELECT * FROM {raw}").fetchall()
    cols = [_Col(str(r[0]), str(r[1])) for r in described]
    by_name = {c.name: c for c in cols}
    labels = {i.name: i.label for i in inp.items}
    declared: dict[str, FieldType] = {i.name: FieldType(i.type) for i in inp.items}
    declared.update(inp.declared)
    checked: dict[str, list[str]] = {}
    # Identifier columns are told from the first rows; their distinct values, and those of division-code
    # columns, are gathered by the aggregate scan and validated once each afterwards.
    kinds = _identifier_columns(con, raw, [c for c in cols if c.is_text], labels)
    code_cols = [
        c
        for c in cols
        if model.is_division_code_column(c.name, labels.get(c.name, ""))
        and c.kind in (ColumnType.TEXT, ColumnType.INTEGER)
    ]

    # --- one aggregate scan ------------------------------------------------------------------------
    empty_row = " AND ".join(c.empty for c in cols) if cols else "FALSE"
    # Each column's emptiness is evaluated once per row (trim is the costly part), then counted.
    flags = [f"{EMPTY}{i}" for i in range(len(cols))]
    parts: list[str] = ["count(*)", f"count_if({' AND '.join(flags) or 'FALSE'})"]
    planned: list[tuple[Check, _Col, str, str]] = []  # (check, column, condition, detail)
    parts += [f"count_if({flag})" for flag in flags]
    for c in cols:
        target = declared.get(c.name)
        condition = _type_error(c, target) if target is not None else None
        if condition is not None:
            assert target is not None
            planned.append(
                (Check.TYPE_ERRORS, c, f"({c.present} AND {condition})", f"declared {target.value}")
            )
            checked.setdefault(Check.TYPE_ERRORS.value, []).append(c.name)
    for name, constraint in inp.constraints.items():
        c2 = by_name.get(name)
        if c2 is None:
            continue
        for check, condition, detail in _constraint_conditions(c2, constraint):
            planned.append((check, c2, f"({c2.present} AND {condition})", detail))
            checked.setdefault(check.value, []).append(name)
    for _check, _c, condition, _d in planned:
        parts.append(f"count(*) FILTER (WHERE {condition})")
    key_like = [c for c in cols if inp.key_columns is None and c.name in model.key_candidates([c.name])]
    for c in key_like:
        present = f"NOT {EMPTY}{cols.index(c)}"
        parts += [f"count_if({present})", f"count(DISTINCT {c.ident}) FILTER (WHERE {present})"]
    # Duplicate rows (and configured keys) as rows minus distinct hashes, in the same scan; the
    # examples are looked up only when there are duplicates.
    key_cols: list[_Col] = []
    if inp.key_columns:
        key_cols = [by_name[k] for k in inp.key_columns if k in by_name]
        if len(key_cols) != len(inp.key_columns):
            key_cols = []
    counted: list[tuple[list[_Col], str]] = [(cols, f"NOT ({' AND '.join(flags) or 'FALSE'})")]
    if key_cols:
        counted.append((key_cols, " AND ".join(f"NOT {EMPTY}{cols.index(k)}" for k in key_cols)))
    for columns, where in counted:
        hashed = f"hash({', '.join(c.ident for c in columns)})" if columns else "0"
        parts += [f"count_if({where})", f"count(DISTINCT {hashed}) FILTER (WHERE {where})"]
    listed = list(dict.fromkeys([*kinds, *code_cols]))
    lists = {c: f"a{len(parts) + n}" for n, c in enumerate(listed)}
    parts += [f"list(DISTINCT {c.as_text}) FILTER (WHERE {c.present})" for c in listed]
    flagged = ", ".join(["*", *(f"{c.empty} AS {flag}" for c, flag in zip(cols, flags, strict=True))])
    named = ", ".join(f"{part} AS a{n}" for n, part in enumerate(parts))
    scan = rows.temp(f"SELECT {named} FROM (SELECT {flagged} FROM {raw})")
    scalars = ", ".join(f"a{n}" for n in range(len(parts) - len(listed)))
    row = con.execute(f"SELECT {scalars} FROM {scan}").fetchone()
    assert row is not None
    total, empty_rows = int(row[0]), int(row[1])
    values = list(row[2:])
    findings: list[Finding] = []

    if empty_rows:
        findings.append(
            Finding(
                Check.EMPTY_ROWS, empty_rows, total, examples=_examples(con, rows.numbered(), empty_row, None)
            )
        )
    for c in cols:
        empties = int(values.pop(0))
        # Empty values in fully empty rows are reported once, as empty rows.
        count = empties - empty_rows
        if count > 0:
            cond = f"{c.empty} AND NOT ({empty_row})"
            findings.append(
                Finding(
                    Check.EMPTY_VALUES,
                    count,
                    total,
                    column=c.name,
                    examples=_examples(con, rows.numbered(), cond, None),
                )
            )
    checked[Check.EMPTY_VALUES.value] = [c.name for c in cols]
    for check, c, condition, detail in planned:
        count = int(values.pop(0))
        if count:
            findings.append(
                Finding(
                    check,
                    count,
                    total,
                    column=c.name,
                    detail=detail,
                    examples=_examples(con, rows.numbered(), condition, c),
                )
            )

    # --- uniqueness ----------------------------------------------------------------------------------
    keys: list[tuple[list[_Col], int]] = []
    for c in key_like:
        count, distinct = int(values.pop(0)), int(values.pop(0))
        if model.is_key_like(c.name, count, distinct):
            keys.append(([c], count - distinct))
    repeated = [int(values.pop(0)) - int(values.pop(0)) for _ in counted]
    if repeated[0]:
        examples = _duplicate_examples(con, rows.numbered(), cols, f"NOT ({empty_row})")
        findings.append(Finding(Check.DUPLICATE_ROWS, repeated[0], total, examples=examples))
    if key_cols:
        keys.insert(0, (key_cols, repeated[1]))
    for key, count in keys:
        present = " AND ".join(k.present for k in key)
        name = ",".join(k.name for k in key)
        checked.setdefault(Check.DUPLICATE_KEYS.value, []).append(name)
        if count:
            examples = _duplicate_examples(con, rows.numbered(), key, present)
            findings.append(Finding(Check.DUPLICATE_KEYS, count, total, column=name, examples=examples))

    # --- identifiers and division codes (each distinct value once) ---------------------------------
    for c, kind in kinds.items():
        checked.setdefault(Check.INVALID_IDENTIFIERS.value, []).append(c.name)
        invalid = rows.temp(
            f"SELECT v FROM (SELECT unnest({lists[c]}) AS v FROM {scan}) "
            f"WHERE NOT {identifier_valid_sql(kind, 'v')}"
        )
        if not _scalar(con, f"SELECT count(*) FROM {invalid}"):
            continue
        condition = f"({c.present} AND {c.as_text} IN (SELECT v FROM {invalid}))"
        count = _scalar(con, f"SELECT count(*) FROM {raw} WHERE {condition}")
        findings.append(
            Finding(
                Check.INVALID_IDENTIFIERS,
                count,
                total,
                column=c.name,
                detail=kind.value,
                examples=_examples(con, rows.numbered(), condition, c),
            )
        )
    for c in code_cols:
        if _scalar(con, f"SELECT coalesce(len({lists[c]}), 0) FROM {scan}") > DISTINCT_LIMIT:
            continue
        checked.setdefault(Check.INCONSISTENT_CODES.value, []).append(c.name)
        codes = [str(v) for (v,) in con.execute(f"SELECT unnest({lists[c]}) FROM {scan}").fetchall()]
        unknown = [v for v in codes if not (re.fullmatch(r"[0-9]{6}", v) and is_known_code(v))]
        if not unknown:
            continue
        table = rows.temp("SELECT unnest($1::VARCHAR[]) AS v", [unknown])
        found = con.execute(
            f"SELECT min({ROW}), {c.as_text} AS v, count(*) FROM {rows.numbered()} "
            f"WHERE {c.present} AND {c.as_text} IN (SELECT v FROM {table}) GROUP BY v ORDER BY 1"
        ).fetchall()
        shown = [{"row": int(first), "value": str(value)} for first, value, _n in found]
        count = sum(int(n) for _first, _value, n in found)
        findings.append(Finding(Check.INCONSISTENT_CODES, count, total, column=c.name, examples=shown))

    # --- documentation and timeliness ---------------------------------------------------------------
    findings += model.documentation_findings(inp.items, [c.name for c in cols])
    update: dict[str, Any] = {}
    if inp.this_update is not None:
        late, update = model.timeliness(inp.frequency, inp.previous_update, inp.this_update)
        if late is not None:
            findings.append(late)
    return model.Report(
        row_count=total, column_count=len(cols), findings=findings, columns_checked=checked, update=update
    )


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _identifier_columns(
    con: duckdb.DuckDBPyConnection, raw: str, cols: Sequence[_Col], labels: Mapping[str, str]
) -> dict[_Col, IdentifierKind]:
    """Text columns that hold identifiers: named so, or most sampled values have an identifier's shape."""
    found: dict[_Col, IdentifierKind] = {}
    unnamed: list[_Col] = []
    for c in cols:
        kind = model.identifier_kind_by_name(c.name, labels.get(c.name, ""))
        if kind is not None:
            found[c] = kind
        else:
            unnamed.append(c)
    if not unnamed:
        return found
    parts = []
    for c in unnamed:
        parts.append(f"count(*) FILTER (WHERE {c.present})")
        for kind in IdentifierKind:
            pattern = quote_literal(model.IDENTIFIER_SHAPES[kind])
            shaped = f"length({c.as_text}) = 18 AND regexp_full_match({c.as_text}, {pattern})"
            parts.append(f"count(*) FILTER (WHERE {shaped})")
    row = con.execute(
        f"SELECT {', '.join(parts)} FROM (SELECT * FROM {raw} LIMIT {DETECT_SAMPLE})"
    ).fetchone()
    assert row is not None
    values = list(row)
    for c in unnamed:
        present = int(values.pop(0))
        for kind in IdentifierKind:
            matching = int(values.pop(0))
            if present and matching >= model.IDENTIFIER_SHARE * present and c not in found:
                found[c] = kind
    return found
