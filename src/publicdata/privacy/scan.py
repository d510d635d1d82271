"""The personal-data scan of a Parquet file, per column (SEC-4).

1. One vectorized DuckDB query per column counts the non-empty values, the values matching the union
   of the applicable detectors' RE2 patterns and, on those rows only, each detector's candidates —
   text columns with every detector, integer columns (of 11+ digits) with the numeric ones. Detectors
   with a SQL validator (resident IDs, mobiles, bank cards, addresses) are validated in that same
   query for values that are one candidate (`Detector.value_pattern`: a column of IDs), with no
   candidate extraction and no Python per value.
2. Cells with candidates inside longer text are validated by extraction (`regexp_extract_all(…, 1)`):
   in SQL for those detectors, otherwise streamed in batches to the Python validator (checksums,
   dates, ranges) with a bounded cache. Memory stays bounded by the batch size.
3. Detectors of whole values (`Detector.by_value`: person names, ethnic group, political status,
   religion) get the column's distinct candidates with their counts (one GROUP BY): each distinct
   value is validated once in Python, and an unlabeled column is reported only when enough of its
   distinct values are valid (`column_share`). The first batch of distinct values, in hash order,
   decides early for columns that are clearly of another kind.

Reports never contain raw values: examples are masked (`model.mask_value`).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from publicdata.datastore import readers
from publicdata.datastore.model import ColumnType, quote_ident, quote_literal
from publicdata.privacy.model import (
    Detector,
    Finding,
    blocking_columns,
    chance_only,
    detectors,
    hinted,
    mask_value,
)

BATCH = 8192
EARLY_STOP = 2 * BATCH  # candidates seen before a chance-level column is given up
CACHE_LIMIT = 200_000
MAX_EXAMPLES = 3
NON_PERSONAL_SAMPLE = 50_000  # candidates validated for a detector that cannot block publication


def _scannable(columns: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, bool]]:
    """(name, SQL text expression, numeric) of the columns worth scanning."""
    out = []
    for c in columns:
        kind = str(c["type"])
        if kind == ColumnType.TEXT.value:
            out.append((str(c["name"]), quote_ident(str(c["name"])), False))
        elif kind == ColumnType.INTEGER.value:
            out.append((str(c["name"]), f"CAST({quote_ident(str(c['name']))} AS VARCHAR)", True))
    return out


def _skip(det: Detector, numeric: bool, names: Sequence[str]) -> bool:
    return (numeric and not det.numeric) or (det.needs_hint and not hinted(names, det.hints))


def _validated(
    con: duckdb.DuckDBPyConnection,
    source: str,
    expr: str,
    det: Detector,
    rows: set[int] | None = None,
    limit: int | None = None,
) -> tuple[int, int, list[str]]:
    """(cells with at least one valid candidate, cells with candidates, first valid values) —
    candidates streamed in batches; with `rows`, the row numbers of hit cells are added to it."""
    pattern = quote_literal(det.pattern)
    row_number = ", file_row_number" if rows is not None else ""
    cursor = con.execute(
        f"SELECT regexp_extract_all({expr}, {pattern}, 1){row_number} FROM {source} "
        f"WHERE regexp_matches({expr}, {pattern})"
    )
    cache: dict[str, bool] = {}
    hits = seen = 0
    examples: list[str] = []
    validate = det.validate
    while True:
        batch = cursor.fetchmany(BATCH)
        if not batch:
            break
        seen += len(batch)
        if seen >= EARLY_STOP and chance_only(det, hits, seen - len(batch)):
            break  # another kind of code: the rest of the column would not change the verdict
        if limit is not None and seen - len(batch) >= limit:
            seen -= len(batch)
            break
        for record in batch:
            found = None
            for candidate in record[0] or ():
                ok = cache.get(candidate)
                if ok is None:
                    if len(cache) >= CACHE_LIMIT:
                        cache.clear()
                    ok = cache[candidate] = validate(candidate)
                if ok:
                    found = candidate
                    break
            if found is not None:
                hits += 1
                if rows is not None:
                    rows.add(int(record[1]))
                if len(examples) < MAX_EXAMPLES and found not in examples:
                    examples.append(found)
    return hits, seen, examples


@dataclass
class _ValueCounts:
    """A by-value detector's result in one column (see `_validated_values`)."""

    hits: int = 0  # cells holding a valid value
    seen: int = 0  # cells holding a candidate
    examples: tuple[str, ...] = ()
    repeated: bool = False  # some valid value occurs in more than one cell
    reported: bool = False  # the column passes the detector's share rule (always, with a hint)


def _distinct_values(con: duckdb.DuckDBPyConnection, source: str, expr: str) -> int:
    row = con.execute(
        f"SELECT count(DISTINCT trim({expr})) FROM {source} WHERE trim({expr}) <> ''"
    ).fetchone()
    return int(row[0]) if row else 0


def _validated_values(
    con: duckdb.DuckDBPyConnection,
    source: str,
    expr: str,
    det: Detector,
    is_hinted: bool,
    rows: set[int] | None = None,
) -> _ValueCounts:
    """A by-value detector over the distinct candidates of a column (group 1 of its pattern, with
    their cell counts): each distinct value validated once — with `validate_hinted` in a column with
    a hint — and, without a hint, the share rule: at least `column_min_values` valid distinct values
    making at least `column_share` of the column's distinct non-empty values. With `rows`, the row
    numbers of the hit cells are added to it."""
    pattern = quote_literal(det.pattern)
    validate = det.validate_hinted if is_hinted and det.validate_hinted is not None else det.validate
    candidate = f"regexp_extract({expr}, {pattern}, 1)"
    cursor = con.execute(
        f"SELECT v, n, count(*) OVER () FROM (SELECT v, count(*) AS n FROM (SELECT {candidate} AS v "
        f"FROM {source} WHERE regexp_matches({expr}, {pattern})) GROUP BY v) ORDER BY hash(v), v"
    )
    out = _ValueCounts()
    valid: list[str] = []
    distinct_seen = 0
    column_distinct: int | None = None
    while True:
        batch = cursor.fetchmany(BATCH)
        if not batch:
            break
        for value, count, _distinct in batch:
            distinct_seen += 1
            out.seen += int(count)
            if validate(value):
                valid.append(value)
                out.hits += int(count)
                out.repeated = out.repeated or int(count) > 1
        if not is_hinted and distinct_seen == len(batch) and distinct_seen < int(batch[0][2]):
            # First batch of a large column: stop when even its share of valid values, extrapolated
            # to all candidates, falls well short of the detector's share.
            column_distinct = _distinct_values(con, source, expr)
            estimate = len(valid) / distinct_seen * int(batch[0][2])
            if estimate < det.column_share * column_distinct / 2:
                return _ValueCounts(seen=out.seen)
    if not valid:
        return out
    if is_hinted:
        out.reported = True
    elif len(valid) >= det.column_min_values:
        if column_distinct is None:
            column_distinct = _distinct_values(con, source, expr)
        out.reported = len(valid) >= det.column_share * column_distinct
    if not out.reported:
        return out
    out.examples = tuple(valid[:MAX_EXAMPLES])
    if rows is not None:
        found = con.execute(
            f"SELECT file_row_number FROM {source} WHERE regexp_matches({expr}, {pattern}) "
            f"AND list_contains($1, {candidate})",
            [valid],
        ).fetchall()
        rows.update(int(r[0]) for r in found)
    return out


@dataclass
class _SqlCounts:
    """Cells of one column for one SQL-validated detector: whole-value candidates and their hits, and
    cells with candidates inside a longer text (validated by extraction)."""

    whole: int = 0
    whole_hits: int = 0
    partial: int = 0


def _whole_condition(expr: str, det: Detector) -> str:
    assert det.value_pattern is not None
    return f"regexp_full_match({expr}, {quote_literal(det.value_pattern)})"


def _key(det: Detector, x: str) -> str:
    return det.sql_key(x) if det.sql_key is not None else x


def _keyed(det: Detector, query: str) -> str:
    """`query` (with a candidate column x) with the detector's key column k."""
    return f"SELECT *, {_key(det, 'x')} AS k FROM ({query})"


def _sql_counts(con: duckdb.DuckDBPyConnection, source: str, expr: str, det: Detector) -> _SqlCounts:
    assert det.sql_validate is not None
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE f), count(*) FILTER (WHERE f AND {det.sql_validate('k')}), "
        f"count(*) FILTER (WHERE NOT f AND regexp_matches(x, {quote_literal(det.pattern)})) "
        f"FROM (SELECT x, f, CASE WHEN f THEN {_key(det, 'x')} END AS k FROM "
        f"(SELECT x, {_whole_condition('x', det)} AS f FROM (SELECT {expr} AS x FROM {source})))"
    ).fetchone()
    return _SqlCounts(*(int(v) for v in row)) if row else _SqlCounts()


def _validated_sql(
    con: duckdb.DuckDBPyConnection,
    source: str,
    expr: str,
    det: Detector,
    rows: set[int] | None = None,
    counts: _SqlCounts | None = None,
) -> tuple[int, int, list[str]]:
    """As `_validated`, entirely in DuckDB with the detector's SQL validator (no Python per value).
    With a `value_pattern`, values that are one candidate are validated whole (`counts`, from the
    scan's single pass, or counted here); only the other cells have their candidates extracted."""
    assert det.sql_validate is not None
    pattern = quote_literal(det.pattern)
    hits = seen = 0
    examples: list[str] = []
    where = f"regexp_matches({expr}, {pattern})"
    if det.value_pattern is not None:
        counts = counts or _sql_counts(con, source, expr, det)
        hits, seen = counts.whole_hits, counts.whole
        whole = _keyed(
            det,
            f"SELECT file_row_number AS rn, {expr} AS x FROM {source} WHERE {_whole_condition(expr, det)}",
        )
        if counts.whole_hits:
            examples = _sql_examples(con, f"SELECT x FROM ({whole}) WHERE {det.sql_validate('k')}")
        if rows is not None and counts.whole_hits:
            query = f"SELECT rn FROM ({whole}) WHERE {det.sql_validate('k')}"
            rows.update(int(r[0]) for r in con.execute(query).fetchall())
        if not counts.partial:
            return hits, seen, examples
        where += f" AND NOT {_whole_condition(expr, det)}"
    candidates = (
        f"SELECT file_row_number AS rn, unnest(regexp_extract_all({expr}, {pattern}, 1)) AS x "
        f"FROM {source} WHERE {where}"
    )
    checked = f"SELECT rn, x, ({det.sql_validate('k')}) AS ok FROM ({_keyed(det, candidates)})"
    row = con.execute(
        f"SELECT count(DISTINCT rn) FILTER (WHERE ok), count(DISTINCT rn) FROM ({checked})"
    ).fetchone()
    more, cells = (int(row[0]), int(row[1])) if row else (0, 0)
    if more and len(examples) < MAX_EXAMPLES:
        for value in _sql_examples(con, f"SELECT x FROM ({checked}) WHERE ok"):
            if value not in examples and len(examples) < MAX_EXAMPLES:
                examples.append(value)
    if rows is not None and more:
        rows.update(
            int(r[0]) for r in con.execute(f"SELECT DISTINCT rn FROM ({checked}) WHERE ok").fetchall()
        )
    return hits + more, seen + cells, examples


def _sql_examples(con: duckdb.DuckDBPyConnection, query: str) -> list[str]:
    examples: list[str] = []
    for (value,) in con.execute(f"{query} LIMIT 20").fetchall():
        if str(value) not in examples and len(examples) < MAX_EXAMPLES:
            examples.append(str(value))
    return examples


def _finding(
    con: duckdb.DuckDBPyConnection,
    source: str,
    column: tuple[str, str, bool],
    det: Detector,
    names: Sequence[str],
    non_null: int,
    rows: set[int] | None = None,
    use_sql: bool = True,
    candidates: int | None = None,
    counts: _SqlCounts | None = None,
) -> Finding | None:
    name, expr, _numeric = column
    is_hinted = hinted(names, det.hints)
    if det.needs_hint and not is_hinted:
        return None
    personal = det.personal or bool(det.personal_hints and hinted(names, det.personal_hints))
    # Findings that cannot block publication (company codes, public hotlines …) are estimated from a
    # sample of candidates; personal ones are always validated in full.
    sample = None if personal or rows is not None or candidates is None else NON_PERSONAL_SAMPLE
    if det.by_value:
        by_value = _validated_values(con, source, expr, det, is_hinted, rows)
        if not by_value.reported:  # rows are only added for a reported column
            return None
        return Finding(
            column=name,
            detector=det.name,
            hits=by_value.hits,
            non_null=non_null,
            personal=personal and (by_value.repeated or not det.personal_if_repeated),
            confidence=max(det.confidence, 0.95) if is_hinted else det.confidence,
            examples=tuple(mask_value(e) for e in by_value.examples),
        )
    if use_sql and det.sql_validate is not None:
        hits, seen, examples = _validated_sql(con, source, expr, det, rows, counts)
        sample = None
    else:
        hits, seen, examples = _validated(con, source, expr, det, rows, limit=sample)
    if hits == 0 or chance_only(det, hits, seen):
        if rows is not None:
            rows.clear()
        return None
    estimated = sample is not None and candidates is not None and seen < candidates
    if estimated and candidates is not None:
        hits = round(hits * candidates / seen)
    return Finding(
        column=name,
        detector=det.name,
        hits=hits,
        non_null=non_null,
        personal=personal,
        confidence=max(det.confidence, 0.95) if is_hinted else det.confidence,
        examples=tuple(mask_value(e) for e in examples),
        estimated=estimated,
    )


def detect_cells(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    columns: Sequence[Mapping[str, Any]],
    det: Detector,
    use_sql: bool = True,
) -> set[tuple[str, int]]:
    """(column, row number) of every cell `det` reports — the same steps as the scan, per cell (for
    accuracy measurements)."""
    source = f"read_parquet({quote_literal(str(path))}, file_row_number = true)"
    found: set[tuple[str, int]] = set()
    for column in _scannable(columns):
        name, expr, numeric = column
        if numeric and not det.numeric:
            continue
        row = con.execute(f"SELECT count({expr}) FROM {source}").fetchone()
        rows: set[int] = set()
        _finding(con, source, column, det, [name], int(row[0]) if row else 0, rows, use_sql)
        found |= {(name, r) for r in rows}
    return found


def _whole_in_sql(det: Detector) -> bool:
    return det.sql_validate is not None and det.value_pattern is not None


def _text(column: tuple[str, str, bool]) -> str:
    """The column as text; integer columns only for numbers of 11 digits or more (the shortest that
    can be a mobile, ID or card number: the numeric detectors)."""
    name, expr, numeric = column
    if numeric:
        ident = quote_ident(name)
        return f"CASE WHEN {ident} >= {10**10} OR {ident} <= -{10**10} THEN {expr} END"
    return expr


def _union(dets: Sequence[Detector]) -> str:
    return quote_literal("|".join(f"(?:{d.pattern})" for d in dets))


def _candidates(
    con: duckdb.DuckDBPyConnection, source: str, column: tuple[str, str, bool], dets: Sequence[Detector]
) -> list[tuple[Detector, int, _SqlCounts | None]]:
    """(detector, candidate cells, SQL counts) of the detectors with candidates in a column: one query
    over the rows matching the union of their patterns."""
    guarded = ["x"]
    keys = ["*"]
    parts: list[str] = []
    for j, d in enumerate(dets):
        matches = f"regexp_matches(x, {quote_literal(d.pattern)})"
        if _whole_in_sql(d):
            assert d.sql_validate is not None
            guarded.append(f"{_whole_condition('x', d)} AS f{j}")
            keys.append(f"CASE WHEN f{j} THEN {_key(d, 'x')} END AS k{j}")
            parts += [
                f"count(*) FILTER (WHERE f{j})",
                f"count(*) FILTER (WHERE f{j} AND {d.sql_validate(f'k{j}')})",
                f"count(*) FILTER (WHERE NOT f{j} AND {matches})",
            ]
        else:
            parts.append(f"count(*) FILTER (WHERE {matches})")
    row = con.execute(
        f"SELECT {', '.join(parts)} FROM (SELECT {', '.join(keys)} FROM (SELECT {', '.join(guarded)} "
        f"FROM (SELECT {_text(column)} AS x FROM {source}) WHERE regexp_matches(x, {_union(dets)})))"
    ).fetchone()
    assert row is not None
    values = [int(v) for v in row]
    found: list[tuple[Detector, int, _SqlCounts | None]] = []
    for d in dets:
        if _whole_in_sql(d):
            sql = _SqlCounts(values.pop(0), values.pop(0), values.pop(0))
            if sql.whole or sql.partial:
                found.append((d, sql.whole + sql.partial, sql))
        elif candidates := values.pop(0):
            found.append((d, candidates, None))
    return found


def scan_parquet(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    columns: Sequence[Mapping[str, Any]],
    labels: Mapping[str, Sequence[str]] | None = None,
    only: Collection[str] | None = None,
) -> dict[str, Any]:
    """Scan one Parquet file; `columns` as `ingest.describe_parquet` gives them, `labels` extra names
    of a column (catalog label, English label) used as hints, `only` a subset of detector names.
    Returns the JSON report."""
    started = time.perf_counter()
    labels = labels or {}
    source = f"read_parquet({quote_literal(str(path))}, file_row_number = true)"
    scanned = _scannable(columns)
    dets = [d for d in detectors() if only is None or d.name in only]
    applicable: dict[int, list[Detector]] = {
        i: [d for d in dets if not _skip(d, numeric, [name, *labels.get(name, ())])]
        for i, (name, _expr, numeric) in enumerate(scanned)
    }
    # Pass 1, one query: per column, non-null values and values matching ANY applicable detector's
    # pattern (one RE2 automaton for the union), and for each by-value detector (anchored whole-value
    # patterns, cheap alone) its own count. Pass 2, one query per column with union matches, on those
    # rows only: per detector, candidate cells; for detectors validated in SQL, values that are one
    # candidate with their hits (no extraction), and cells with candidates inside longer text.
    # By-value detectors need no pass 2: their distinct values are validated in `_finding`.
    order = {d.name: k for k, d in enumerate(dets)}
    parts = ["count(*)"]
    for i, column in enumerate(scanned):
        parts.append(f"count({quote_ident(column[0])})")
        extracting = [d for d in applicable[i] if not d.by_value]
        if extracting:
            parts.append(f"coalesce(count_if(regexp_matches({_text(column)}, {_union(extracting)})), 0)")
        parts += [
            f"coalesce(count_if(regexp_matches({_text(column)}, {quote_literal(d.pattern)})), 0)"
            for d in applicable[i]
            if d.by_value
        ]
    row = con.execute(f"SELECT {', '.join(parts)} FROM {source}").fetchone()
    assert row is not None
    values = [int(v) for v in row]
    total = values.pop(0)
    non_null: dict[int, int] = {}
    found: list[tuple[int, Detector, int | None, _SqlCounts | None]] = []
    for i, column in enumerate(scanned):
        non_null[i] = values.pop(0)
        extracting = [d for d in applicable[i] if not d.by_value]
        pairs = _candidates(con, source, column, extracting) if extracting and values.pop(0) else []
        for d in applicable[i]:
            if d.by_value and (cells := values.pop(0)):
                pairs.append((d, cells, None))
        pairs.sort(key=lambda pair: order[pair[0].name])
        found += [(i, det, candidates, counts) for det, candidates, counts in pairs]
    findings: list[Finding] = []
    for i, det, candidates, counts in found:
        name = scanned[i][0]
        finding = _finding(
            con,
            source,
            scanned[i],
            det,
            [name, *labels.get(name, ())],
            non_null[i],
            candidates=candidates,
            counts=counts,
        )
        if finding is not None:
            findings.append(finding)
    stored = [f.as_dict() for f in findings]
    return {
        "rows": total,
        "columns_scanned": [name for name, _e, _n in scanned],
        "non_null": {scanned[i][0]: n for i, n in non_null.items()},
        "findings": stored,
        "blocking": blocking_columns(stored),
        "detectors": [d.name for d in dets],
        "seconds": round(time.perf_counter() - started, 3),
    }


def scan_file(path: Path, *, encoding: str | None = None, fmt: str | None = None) -> dict[str, Any]:
    """Scan a CSV / TSV / XLSX / JSON file as the data store would read it (encoding detection, GBK)."""
    from publicdata.datastore.ingest import describe_parquet

    con = duckdb.connect(":memory:")
    with tempfile.TemporaryDirectory(prefix="publicdata-scan-") as tmp:
        prefix = Path(tmp) / "scan"
        temps: list[Path] = []
        try:
            kind = readers.detect_format(path, path.name, fmt)
            source = _read_source(con, path, kind, encoding, prefix, temps)
            select_sql, _types = readers.normalize_select(con, source)
            parquet = prefix.with_suffix(".parquet")
            con.execute(f"COPY ({select_sql}) TO {quote_literal(str(parquet))} (FORMAT parquet)")
            columns = describe_parquet(con, parquet, source.geometry_columns)
            report = scan_parquet(con, parquet, columns)
            report["file"] = str(path)
            report["format"] = kind
            report["encoding"] = source.encoding
            return report
        finally:
            con.close()


def _read_source(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    fmt: str,
    encoding: str | None,
    prefix: Path,
    temps: list[Path],
) -> readers.Source:
    if fmt == "xlsx":
        converted = prefix.with_suffix(".csv")
        readers.xlsx_to_csv(path, converted, sheet=None)
        return readers.csv_source(
            con, converted, fmt="csv", encoding="xlsx", text_columns=set(), temp_files=temps
        )
    readable, found = readers.prepare_text(path, requested=encoding, temp_path=prefix.with_suffix(".utf8"))
    if fmt in ("csv", "tsv"):
        return readers.csv_source(
            con, readable, fmt=fmt, encoding=found, text_columns=set(), temp_files=temps
        )
    source = readers.json_source(con, readable, fmt=fmt, max_object_bytes=2 * 1024 * 1024 * 1024)
    source.encoding = found
    return source
