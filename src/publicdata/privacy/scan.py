"""The personal-data scan of a Parquet file, per column (SEC-4).

1. One vectorized DuckDB pass counts, per column, the non-empty values and, per detector, the values
   its RE2 pattern matches (`regexp_matches`) — text columns with every detector, integer columns with
   the numeric ones (IDs, mobiles, cards).
2. For each (column, detector) with candidates, DuckDB streams only the candidate substrings
   (`regexp_extract_all(…, 1)` over the matching rows) in batches; Python validates them (checksums,
   dates, ranges) with a bounded cache. Memory stays bounded by the batch size.

Reports never contain raw values: examples are masked (`model.mask_value`).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Collection, Mapping, Sequence
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


def _validated_sql(
    con: duckdb.DuckDBPyConnection,
    source: str,
    expr: str,
    det: Detector,
    rows: set[int] | None = None,
) -> tuple[int, int, list[str]]:
    """As `_validated`, entirely in DuckDB with the detector's SQL validator (no Python per value)."""
    assert det.sql_validate is not None
    pattern = quote_literal(det.pattern)
    checked = (
        f"SELECT rn, x, ({det.sql_validate()}) AS ok FROM (SELECT file_row_number AS rn, "
        f"unnest(regexp_extract_all({expr}, {pattern}, 1)) AS x FROM {source} "
        f"WHERE regexp_matches({expr}, {pattern}))"
    )
    row = con.execute(
        f"SELECT count(DISTINCT rn) FILTER (WHERE ok), count(DISTINCT rn) FROM ({checked})"
    ).fetchone()
    hits, seen = (int(row[0]), int(row[1])) if row else (0, 0)
    examples: list[str] = []
    if hits:
        for (value,) in con.execute(f"SELECT x FROM ({checked}) WHERE ok LIMIT 20").fetchall():
            if value not in examples and len(examples) < MAX_EXAMPLES:
                examples.append(str(value))
    if rows is not None and hits:
        rows.update(
            int(r[0]) for r in con.execute(f"SELECT DISTINCT rn FROM ({checked}) WHERE ok").fetchall()
        )
    return hits, seen, examples


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
) -> Finding | None:
    name, expr, _numeric = column
    is_hinted = hinted(names, det.hints)
    if det.needs_hint and not is_hinted:
        return None
    personal = det.personal or bool(det.personal_hints and hinted(names, det.personal_hints))
    # Findings that cannot block publication (company codes, public hotlines …) are estimated from a
    # sample of candidates; personal ones are always validated in full.
    sample = None if personal or rows is not None or candidates is None else NON_PERSONAL_SAMPLE
    if use_sql and det.sql_validate is not None:
        hits, seen, examples = _validated_sql(con, source, expr, det, rows)
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
    # Pass 1: per column, non-null values and values matching ANY applicable detector's pattern — one
    # RE2 automaton for the union, instead of one regex evaluation per detector per value.
    applicable: dict[int, list[Detector]] = {}
    parts = ["count(*)"]
    for i, (name, expr, numeric) in enumerate(scanned):
        applicable[i] = [d for d in dets if not _skip(d, numeric, [name, *labels.get(name, ())])]
        parts.append(f"count({expr})")
        if applicable[i]:
            union = "|".join(f"(?:{d.pattern})" for d in applicable[i])
            parts.append(f"coalesce(count_if(regexp_matches({expr}, {quote_literal(union)})), 0)")
        else:
            parts.append("0")
    row = con.execute(f"SELECT {', '.join(parts)} FROM {source}").fetchone()
    assert row is not None
    total = int(row[0])
    non_null = {i: int(row[1 + 2 * i]) for i in range(len(scanned))}
    with_any = [i for i in range(len(scanned)) if int(row[2 + 2 * i]) > 0]
    # Pass 2 (only columns with some candidate): candidates per detector.
    candidates: dict[tuple[int, str], int] = {}
    pairs: list[tuple[int, Detector]] = [(i, d) for i in with_any for d in applicable[i]]
    if pairs:
        counts = con.execute(
            "SELECT "
            + ", ".join(
                f"coalesce(count_if(regexp_matches({scanned[i][1]}, {quote_literal(d.pattern)})), 0)"
                for i, d in pairs
            )
            + f" FROM {source}"
        ).fetchone()
        assert counts is not None
        candidates = {(i, d.name): int(n) for (i, d), n in zip(pairs, counts, strict=True)}
    findings: list[Finding] = []
    for i, det in pairs:
        if candidates[(i, det.name)] == 0:
            continue
        name = scanned[i][0]
        finding = _finding(
            con,
            source,
            scanned[i],
            det,
            [name, *labels.get(name, ())],
            non_null[i],
            candidates=candidates[(i, det.name)],
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
