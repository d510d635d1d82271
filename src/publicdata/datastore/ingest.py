"""Turn one upload into an immutable Parquet version, crash-safely.

Order of effects (each step survives a SIGKILL at any point):
  1. read and check the file; transcode / convert into temp files `.tmp-<pid>-<job>.*` in the
     dataset folder;
  2. DuckDB writes Parquet to `.tmp-<pid>-<job>.parquet`; fsync; transforms (desensitization) may
     replace it;
  3. schema and column statistics are computed from that file;
  4. atomic rename to `<version>-<attempt>.parquet`; fsync the folder; commit 1 inserts the version
     row, unchecked: readable by its provider only, never current;
  5. the analyzers (privacy scan, quality checks) read it; commit 2 records their results, marks the
     version checked, switches the dataset's current version and marks the job succeeded.
A crash before 4 leaves temp files that recovery removes; between 4 and 5, an unchecked version that
the job's re-run (or recovery) discards. The previous version stays current throughout. Readers only
ever open files named by committed version rows.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import func, select

from publicdata.audit.service import record_audit
from publicdata.catalog.tables import Dataset
from publicdata.datastore import pipeline, readers
from publicdata.datastore.engine import (
    dataset_dir,
    first_cast_failure,
    fsync_dir,
    fsync_path,
    work_cursor,
    write_version_parquet,
)
from publicdata.datastore.model import (
    Column,
    ColumnType,
    column_type_of,
    effective_columns,
    quote_ident,
    quote_literal,
)
from publicdata.datastore.tables import DatasetHead, DataVersion, IngestJob
from publicdata.db import new_id, utcnow
from publicdata.identity.permissions import Principal
from publicdata.platform import Platform
from publicdata.uploads import file_sha256

Report = Callable[[int, str], None]
_HASHERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="publicdata-hash")
TOP_SAMPLE = 100_000


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def temp_prefix(job_id: str) -> str:
    return f".tmp-{os.getpid()}-{job_id}"


@dataclass(frozen=True)
class IngestResult:
    version: int
    row_count: int
    columns: list[dict[str, Any]]


def run_ingest(platform: Platform, *, job: IngestJob, actor: Principal, report: Report) -> IngestResult:
    """Do steps 1–5 for `job` (already marked running). Raises IngestError on bad input."""
    settings = platform.settings
    if job.version is not None:  # an earlier attempt died during the checks: start afresh
        discard_unchecked(platform, dataset_id=job.dataset_id, version=job.version)
    with platform.db.reading() as session:
        dataset = session.get(Dataset, job.dataset_id)
        assert dataset is not None
        text_columns = {f.name for f in dataset.fields if f.type == "text"}
        code, provider_id = dataset.code, dataset.provider_id
    folder = dataset_dir(settings, job.dataset_id)
    prefix = folder / temp_prefix(job.id)
    temp_parquet = prefix.with_name(prefix.name + ".parquet")
    temps: list[Path] = [temp_parquet]
    source_path = Path(job.source_path)
    options = job.options or {}
    # A file queued from this machine (the CLI) is hashed beside the read, not in a pass before it.
    hashing = None if job.sha256 else _HASHERS.submit(file_sha256, source_path)
    con = work_cursor(settings)
    try:
        report(2, "detecting")
        fmt = readers.detect_format(source_path, job.original_name, options.get("format"))
        try:
            source = _source(con, platform, job, fmt, source_path, prefix, temps, text_columns, report)
        except duckdb.InvalidInputException as exc:
            if not readers.is_unicode_error(exc):
                raise
            source = _source(con, platform, job, fmt, source_path, prefix, temps, text_columns, report, False)
        report(40, "writing")
        checked_encoding = source.encoding != "utf-8"
        for _ in range(200):
            try:
                select_sql, _types = readers.normalize_select(con, source)
                write_version_parquet(con, select_sql, temp_parquet)
                break
            except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
                if readers.is_unicode_error(exc) and not checked_encoding and fmt != "xlsx":
                    # The fast path trusted the first megabyte: check every byte, or transcode.
                    checked_encoding = True
                    source = _source(
                        con, platform, job, fmt, source_path, prefix, temps, text_columns, report, False
                    )
                    continue
                source = readers.after_read_error(source, exc)
        fsync_path(temp_parquet)
        draft = pipeline.VersionDraft(
            dataset_id=job.dataset_id,
            dataset_code=code,
            provider_id=provider_id,
            parquet=temp_parquet,
            con=con,
            temps=temps,
        )
        origin = VersionOrigin(
            source_name=job.original_name,
            source_sha256=job.sha256 or (hashing.result() if hashing is not None else ""),
            source_format=fmt,
            source_encoding=source.encoding,
            job_id=job.id,
            created_by=job.created_by,
        )
        version = finish_version(
            platform, draft=draft, origin=origin, actor=actor, report=report, geometry=source.geometry_columns
        )
        return IngestResult(version, draft.row_count, draft.columns)
    finally:
        con.close()
        for path in temps:
            if path.exists():
                path.unlink()


def _source(
    con: duckdb.DuckDBPyConnection,
    platform: Platform,
    job: IngestJob,
    fmt: str,
    path: Path,
    prefix: Path,
    temps: list[Path],
    text_columns: set[str],
    report: Report,
    trust_head: bool = True,
) -> readers.Source:
    settings = platform.settings
    options = job.options or {}
    if fmt == "xlsx":
        readers.check_zip(
            path,
            max_uncompressed=settings.datastore_xlsx_max_uncompressed_bytes,
            max_ratio=settings.datastore_xlsx_max_ratio,
        )
        converted = prefix.with_name(prefix.name + ".csv")
        temps.append(converted)
        report(5, "reading")
        readers.xlsx_to_csv(
            path, converted, sheet=options.get("sheet"), progress=lambda f: report(5 + int(f * 30), "reading")
        )
        return readers.csv_source(
            con, converted, fmt="csv", encoding="xlsx", text_columns=text_columns, temp_files=temps
        )
    utf8 = prefix.with_name(prefix.name + ".utf8")
    temps.append(utf8)
    report(5, "decoding")
    readable, encoding = readers.prepare_text(
        path,
        requested=options.get("encoding"),
        temp_path=utf8,
        progress=lambda f: report(5 + int(f * 25), "decoding"),
        trust_head=trust_head,
    )
    report(30, "reading")
    if fmt in ("csv", "tsv"):
        return readers.csv_source(
            con, readable, fmt=fmt, encoding=encoding, text_columns=text_columns, temp_files=temps
        )
    source = readers.json_source(con, readable, fmt=fmt, max_object_bytes=settings.datastore_upload_max_bytes)
    source.encoding = encoding
    return source


def describe_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, geometry_columns: tuple[str, ...] = ()
) -> list[dict[str, Any]]:
    rows = con.execute(f"DESCRIBE SELECT * FROM read_parquet({quote_literal(str(path))})").fetchall()
    columns = []
    for name, storage, *_ in rows:
        ctype = ColumnType.GEOMETRY if name in geometry_columns else column_type_of(str(storage))
        columns.append({"name": str(name), "type": ctype.value, "storage": str(storage)})
    return columns


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return str(value)


# Storage types whose Parquet min/max statistics DuckDB reads back exactly (NaN-free doubles only).
_FOOTER_TYPES = ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "DATE", "TIMESTAMP", "BOOLEAN", "VARCHAR")


def _footer_minmax(
    con: duckdb.DuckDBPyConnection, path: Path, cols: list[Column]
) -> dict[int, tuple[Any, Any]]:
    """Min and max of the columns stored as they are read, from the Parquet footer's row-group
    statistics (no data is read), for every column whose statistics are complete and exact."""
    wanted = [
        (i, c)
        for i, c in enumerate(cols)
        if c.type is not ColumnType.GEOMETRY
        and c.value_expression == quote_ident(c.name)
        and (c.storage in _FOOTER_TYPES or c.storage.startswith("DECIMAL"))
    ]
    if not wanted:
        return {}
    parts = []
    for i, c in wanted:
        only = f"FILTER (WHERE column_id = {i})"
        exact = (
            "(stats_null_count = num_values OR (coalesce(min_is_exact AND max_is_exact, false) "
            "AND stats_min_value IS NOT NULL AND coalesce(stats_nan_count, 0) = 0))"
        )
        parts += [
            f"min(TRY_CAST(stats_min_value AS {c.storage})) {only}",
            f"max(TRY_CAST(stats_max_value AS {c.storage})) {only}",
            f"bool_and({exact}) {only}",
        ]
    row = con.execute(
        f"SELECT {', '.join(parts)} FROM parquet_metadata({quote_literal(str(path))})"
    ).fetchone()
    assert row is not None
    return {i: (row[3 * n], row[3 * n + 1]) for n, (i, _c) in enumerate(wanted) if row[3 * n + 2]}


def column_statistics(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    columns: list[dict[str, Any]],
    overrides: dict[str, str] | None = None,
) -> tuple[int, dict[str, Any]]:
    """Count, nulls, approximate distinct count, min/max and top values of every column: min/max from
    the Parquet footer where it has them exactly, the rest in one scan, top values on a sample."""
    cols = effective_columns(columns, overrides or {})
    source = f"read_parquet({quote_literal(str(path))})"
    footer = _footer_minmax(con, path, cols)
    parts = ["count(*)"]
    tops = []
    for i, c in enumerate(cols):
        expr = c.value_expression
        parts += [f"count({expr})", f"approx_count_distinct({expr})"]
        geometry = c.type is ColumnType.GEOMETRY
        parts += ["NULL", "NULL"] if geometry or i in footer else [f"min({expr})", f"max({expr})"]
        tops.append("NULL" if geometry else f"approx_top_k({expr}, 5)")
    row = con.execute(f"SELECT {', '.join(parts)} FROM {source}").fetchone()
    assert row is not None
    total = int(row[0])
    # Top values are estimated on about TOP_SAMPLE rows (exact for smaller versions). A block (system)
    # sample reads a fraction of the file; a row (reservoir) sample would read all of it again.
    sample = (
        ""
        if total <= TOP_SAMPLE
        else f" USING SAMPLE {min(100.0, 100.0 * TOP_SAMPLE / total):.4f}% (system, 42)"
    )
    top_row = con.execute(f"SELECT {', '.join(tops)} FROM (SELECT * FROM {source}{sample})").fetchone()
    assert top_row is not None
    stats: dict[str, Any] = {}
    for i, c in enumerate(cols):
        count, distinct, low, high = row[1 + i * 4 : 5 + i * 4]
        if i in footer:
            low, high = footer[i]
        top = top_row[i]
        stats[c.name] = {
            "count": int(count),
            "nulls": total - int(count),
            "distinct_estimate": int(distinct),
            "min": _jsonable(low),
            "max": _jsonable(high),
            "top_values": _jsonable([v for v in (top or []) if v is not None]),
        }
    return total, stats


@dataclass(frozen=True)
class VersionOrigin:
    """Where a version's rows came from: an upload (with its ingest job) or a derivation."""

    source_name: str
    source_sha256: str
    source_format: str
    source_encoding: str | None
    job_id: str | None
    created_by: str | None
    note: str = ""


def finish_version(
    platform: Platform,
    *,
    draft: pipeline.VersionDraft,
    origin: VersionOrigin,
    actor: Principal,
    report: Report,
    geometry: tuple[str, ...] = (),
) -> int:
    """Steps after the raw Parquet is written: transforms and statistics, a first commit (the version
    exists, typed and described, readable by its provider), the analyzers, then a second commit that
    records their results and makes the version current. A failure or crash in between leaves the
    previous version current; the unchecked one is discarded (here, or by the re-run / recovery)."""
    raw = draft.parquet
    for _name, transform in pipeline.transforms():
        replaced = transform(platform, draft)
        if replaced is not None:
            fsync_path(replaced)
            draft.parquet = replaced
    if draft.parquet != raw:
        draft.raw_parquet = raw
    report(75, "statistics")
    draft.columns = describe_parquet(draft.con, draft.parquet, geometry)
    overrides = inherited_overrides(platform, draft)
    draft.row_count, draft.statistics = column_statistics(draft.con, draft.parquet, draft.columns, overrides)
    if draft.row_count == 0:
        raise readers.fail(
            "header_only", "the file has a header but no data rows", "文件只有表头，没有数据行"
        )
    version = _commit_unchecked(platform, draft=draft, origin=origin, overrides=overrides)
    report(80, "checking")
    try:
        for name, analyze in pipeline.analyzers():
            draft.results[name] = analyze(platform, draft)
        report(90, "committing")
        _commit_checked(platform, actor=actor, draft=draft, origin=origin, version=version)
    except BaseException:
        discard_unchecked(platform, dataset_id=draft.dataset_id, version=version)
        raise
    return version


def inherited_overrides(platform: Platform, draft: pipeline.VersionDraft) -> dict[str, str]:
    """The provider's type overrides of the current version, carried to the new one for every column
    that still exists and whose values all cast (types are fixed once data is published, so a new
    upload keeps the declared types rather than falling back to what the reader inferred)."""
    with platform.db.reading() as session:
        head = session.get(DatasetHead, draft.dataset_id)
        previous = (
            session.scalar(
                select(DataVersion.overrides).where(
                    DataVersion.dataset_id == draft.dataset_id, DataVersion.version == head.version
                )
            )
            if head is not None
            else None
        )
    if not previous:
        return {}
    inferred = {c["name"]: c["type"] for c in draft.columns}
    wanted = {k: v for k, v in previous.items() if k in inferred and inferred[k] != v}
    return {
        column.name: wanted[column.name]
        for column in effective_columns(draft.columns, wanted)
        if column.name in wanted and first_cast_failure(draft.con, draft.parquet, column) is None
    }


def derive_version(
    platform: Platform,
    *,
    dataset_id: str,
    select_sql: str,
    actor: Principal,
    source_name: str,
    note: str = "",
) -> int:
    """Make a new version of `dataset_id` from a DuckDB SELECT (over existing versions' files, e.g.
    reprocessing with new desensitization rules, or a sample drawn from another dataset). The same
    transforms, statistics, analyzers and atomic commit as an upload; returns the version number."""
    settings = platform.settings
    with platform.db.reading() as session:
        dataset = session.get(Dataset, dataset_id)
        assert dataset is not None
        code, provider_id = dataset.code, dataset.provider_id
    folder = dataset_dir(settings, dataset_id)
    temp_parquet = folder / (temp_prefix(new_id()) + ".parquet")
    temps: list[Path] = [temp_parquet]
    con = work_cursor(settings)
    try:
        write_version_parquet(con, select_sql, temp_parquet)
        fsync_path(temp_parquet)
        digest = hashlib.sha256(select_sql.encode()).hexdigest()
        draft = pipeline.VersionDraft(
            dataset_id=dataset_id,
            dataset_code=code,
            provider_id=provider_id,
            parquet=temp_parquet,
            con=con,
            temps=temps,
        )
        origin = VersionOrigin(
            source_name=source_name,
            source_sha256=digest,
            source_format="derived",
            source_encoding=None,
            job_id=None,
            created_by=actor.user_id,
            note=note,
        )
        return finish_version(platform, draft=draft, origin=origin, actor=actor, report=lambda _p, _s: None)
    finally:
        con.close()
        for path in temps:
            if path.exists():
                path.unlink()


def _commit_unchecked(
    platform: Platform,
    *,
    draft: pipeline.VersionDraft,
    origin: VersionOrigin,
    overrides: dict[str, str],
) -> int:
    """Commit 1: the file under its final name and its version row, not yet checked nor current."""
    folder = draft.parquet.parent
    with platform.db.reading() as session:
        latest = session.scalar(
            select(func.max(DataVersion.version)).where(DataVersion.dataset_id == draft.dataset_id)
        )
    version = (latest or 0) + 1
    # A number freed by a discarded attempt may come again: the file name never does, so nothing
    # keyed by a version's file (exports, grant copies, in-memory caches) can outlive its contents.
    attempt = secrets.token_hex(4)
    final = folder / f"{version}-{attempt}.parquet"
    os.replace(draft.parquet, final)
    draft.parquet = final  # the analyzers read the committed file
    raw_relative = None
    if draft.raw_parquet is not None and platform.settings.privacy_keep_raw:
        raw_final = folder / f"{version}-{attempt}.raw.parquet"
        os.replace(draft.raw_parquet, raw_final)
        raw_relative = str(raw_final.relative_to(platform.settings.resolved_data_dir))
    fsync_dir(folder)
    with platform.db.transaction() as session:
        session.add(
            DataVersion(
                dataset_id=draft.dataset_id,
                version=version,
                path=str(final.relative_to(platform.settings.resolved_data_dir)),
                raw_path=raw_relative,
                row_count=draft.row_count,
                size_bytes=final.stat().st_size,
                source_name=origin.source_name,
                source_sha256=origin.source_sha256,
                source_format=origin.source_format,
                source_encoding=origin.source_encoding,
                columns=draft.columns,
                overrides=overrides,
                statistics=draft.statistics,
                job_id=origin.job_id,
                created_by=origin.created_by,
                schema_note=origin.note,
                checked_at=None,
            )
        )
        if origin.job_id is not None:
            stored = session.get(IngestJob, origin.job_id)
            assert stored is not None
            stored.version = version  # so a re-run after a crash finds (and discards) this version
            stored.sha256 = origin.source_sha256
            stored.stage = "checking"
            stored.heartbeat_at = utcnow()
    return version


def _commit_checked(
    platform: Platform,
    *,
    actor: Principal,
    draft: pipeline.VersionDraft,
    origin: VersionOrigin,
    version: int,
) -> None:
    """Commit 2: the analyzers' results, the withholding decision, the head switch and the audit."""
    with platform.db.transaction() as session:
        dataset = session.get(Dataset, draft.dataset_id)
        assert dataset is not None
        row = session.scalar(
            select(DataVersion).where(
                DataVersion.dataset_id == draft.dataset_id, DataVersion.version == version
            )
        )
        assert row is not None
        row.checked_at = utcnow()
        row.withheld_reason = "; ".join(draft.withhold)
        head = session.get(DatasetHead, draft.dataset_id)
        if head is None:
            session.add(DatasetHead(dataset_id=draft.dataset_id, version=version))
        else:
            head.version = version
            head.updated_at = utcnow()
        if origin.job_id is not None:
            stored = session.get(IngestJob, origin.job_id)
            assert stored is not None
            stored.state = "succeeded"
            stored.progress = 100
            stored.stage = "done"
            stored.version = version
            stored.error = None
            stored.finished_at = utcnow()
        session.flush()
        pipeline.record_all(session, dataset, row, draft.results)
        record_audit(
            session,
            actor=actor,
            action="datastore.ingest" if origin.job_id is not None else "datastore.derive",
            subject_type="dataset",
            subject_id=dataset.id,
            organization_id=dataset.provider_id,
            details={
                "code": dataset.code,
                "version": version,
                "rows": draft.row_count,
                "format": origin.source_format,
                "encoding": origin.source_encoding,
                "source_sha256": origin.source_sha256,
                "source": origin.source_name,
                "job": origin.job_id,
                "transformed": draft.raw_parquet is not None,
                "withheld": draft.withhold,
                "note": origin.note,
            },
        )


def discard_unchecked(platform: Platform, *, dataset_id: str, version: int) -> None:
    """Remove a version whose checks did not finish (its row, then its files); never a checked one."""
    with platform.db.transaction() as session:
        row = session.scalar(
            select(DataVersion).where(
                DataVersion.dataset_id == dataset_id,
                DataVersion.version == version,
                DataVersion.checked_at.is_(None),
            )
        )
        if row is None:
            return
        paths = [row.path, row.raw_path]
        session.delete(row)
    root = platform.settings.resolved_data_dir
    for relative in paths:
        if relative:
            (root / relative).unlink(missing_ok=True)
