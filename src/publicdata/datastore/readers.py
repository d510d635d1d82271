"""Reading uploaded files: format and encoding detection, checks, and the DuckDB source to copy from.

Nothing here loads a whole file into Python memory: encodings are checked (and non-UTF-8 text
transcoded to a UTF-8 temp file) chunk by chunk, XLSX is read row by row (openpyxl read-only) into a
CSV temp file, and DuckDB reads the rest itself.
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path, PurePath
from typing import Any

import duckdb

from publicdata.datastore.model import HeaderProblem, check_header, quote_ident, quote_literal
from publicdata.errors import ValidationFailed

CHUNK = 1024 * 1024
FORMATS = ("csv", "tsv", "xlsx", "json", "jsonl", "geojson")
_EXTENSION_FORMATS = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".geojson": "geojson",
}
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8-sig", "utf-8-bom": "utf-8-sig"}
ENCODINGS |= {"gbk": "gbk", "gb2312": "gbk", "gb18030": "gb18030", "cp936": "gbk"}
Progress = Callable[[float], None]


class IngestError(ValidationFailed):
    """Bad input: the upload can never succeed as it is, so the job fails without retrying."""

    code = "ingest_failed"


def fail(code: str, message_en: str, message_zh: str, **details: Any) -> IngestError:
    return IngestError(message_en, message_zh=message_zh, code=code, details=details or None)


@dataclass
class Source:
    """What DuckDB reads: a SELECT over the (possibly transcoded) file."""

    format: str
    select_sql: str
    encoding: str | None = None
    temp_files: list[Path] = field(default_factory=list)
    geometry_columns: tuple[str, ...] = ()
    csv_path: Path | None = None
    delimiter: str = ","
    csv_columns: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Format and encoding.
# ---------------------------------------------------------------------------------------------


def detect_format(path: Path, original_name: str, requested: str | None) -> str:
    suffix = PurePath(original_name).suffix.lower()
    by_extension = _EXTENSION_FORMATS.get(suffix)
    if requested:
        requested = requested.lower()
        if requested not in FORMATS:
            raise fail(
                "unsupported_format", f"unknown format '{requested}'", "不支持的格式", format=requested
            )
    fmt = requested or by_extension
    if fmt is None:
        raise fail(
            "unsupported_format",
            f"cannot tell the format of '{original_name}'; name it .csv, .tsv, .xlsx, .json, .jsonl or "
            ".geojson, or pass a format",
            "无法识别文件格式，请使用 csv、tsv、xlsx、json、jsonl 或 geojson",
        )
    with open(path, "rb") as handle:
        head = handle.read(4096)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise fail("empty_file", "the file is empty", "文件为空")
    is_zip = head.startswith(b"PK\x03\x04")
    if fmt == "xlsx" and not is_zip:
        raise fail(
            "file_type_mismatch", "the file is not an XLSX workbook", "文件内容不是 XLSX 工作簿", format=fmt
        )
    if fmt != "xlsx" and (is_zip or b"\x00" in head):
        raise fail(
            "file_type_mismatch",
            f"the file's content is binary, not {fmt.upper()} text",
            f"文件内容为二进制数据，与 {fmt.upper()} 格式不符",
            format=fmt,
        )
    if fmt in ("json", "jsonl", "geojson"):
        first = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
        if first not in (b"[", b"{"):
            raise fail(
                "file_type_mismatch",
                f"the file's content is not {fmt.upper()}",
                f"文件内容不是 {fmt.upper()}",
            )
        if fmt == "json" and first == b"{":
            fmt = "geojson" if b'"FeatureCollection"' in head else "jsonl"
    return fmt


def _check_decodes(path: Path, encoding: str, out: Path | None, progress: Progress | None) -> int | None:
    """Decode the whole file chunk by chunk (writing UTF-8 to `out` if given). None when it decodes,
    else the byte offset of the first undecodable byte. Raises a line-numbered error only via caller."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    total = path.stat().st_size or 1
    offset = 0
    sink = open(out, "w", encoding="utf-8", newline="") if out is not None else None  # noqa: SIM115
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                try:
                    text = decoder.decode(chunk)
                except UnicodeDecodeError as exc:
                    return offset + exc.start
                if sink is not None:
                    sink.write(text)
                offset += len(chunk)
                if progress is not None:
                    progress(offset / total)
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                return offset - len(getattr(decoder, "buffer", b"") or b"") + max(exc.start, 0)
        if sink is not None:
            sink.flush()
    finally:
        if sink is not None:
            sink.close()
    return None


def _line_at(path: Path, offset: int) -> int:
    line = 1
    done = 0
    with open(path, "rb") as handle:
        while done < offset and (chunk := handle.read(min(CHUNK, offset - done))):
            line += chunk.count(b"\n")
            done += len(chunk)
    return line


def _undecodable(path: Path, encoding: str, offset: int) -> IngestError:
    line = _line_at(path, offset)
    return fail(
        "undecodable_bytes",
        f"the file is not valid {encoding}: undecodable bytes at byte {offset} (line {line}); "
        "save it as UTF-8 or pass the right encoding",
        f"文件不是有效的 {encoding} 编码：第 {line} 行（字节偏移 {offset}）有无法解码的字节；"
        "请另存为 UTF-8 或指定正确的编码",
        encoding=encoding,
        byte_offset=offset,
        line=line,
    )


def is_unicode_error(exc: Exception) -> bool:
    text = str(exc)
    return "Invalid unicode" in text or "invalid UTF-8" in text


def _head_is_utf8(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(CHUNK)
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return len(head) == CHUNK and exc.start >= len(head) - 3  # a character cut at the chunk end
    return True


def prepare_text(
    path: Path,
    *,
    requested: str | None,
    temp_path: Path,
    progress: Progress | None = None,
    trust_head: bool = True,
) -> tuple[Path, str]:
    """A UTF-8 file to read (the original, or a transcoded temp copy) and the encoding found.

    Fast path: when no encoding is requested and the first megabyte is UTF-8, the file is handed to
    DuckDB as UTF-8 unchecked — DuckDB validates every byte as it reads, and on an invalid sequence the
    ingest calls this again with `trust_head=False` for the full check (exact byte offset, GB18030)."""
    if requested is None and trust_head and _head_is_utf8(path):
        with open(path, "rb") as handle:
            if handle.read(3) != codecs.BOM_UTF8:
                return path, "utf-8"
    if requested:
        encoding = ENCODINGS.get(requested.lower().replace("_", "-"))
        if encoding is None:
            raise fail(
                "unsupported_encoding",
                f"unknown encoding '{requested}' (use utf-8, utf-8-sig, gbk or gb18030)",
                "不支持的编码（可用 utf-8、utf-8-sig、gbk、gb18030）",
            )
        candidates = [encoding]
    else:
        with open(path, "rb") as handle:
            bom = handle.read(3) == codecs.BOM_UTF8
        candidates = ["utf-8-sig"] if bom else ["utf-8", "gb18030"]
    failures: list[tuple[int, str]] = []
    for encoding in candidates:
        if encoding == "utf-8":
            bad = _check_decodes(path, encoding, None, progress)
            if bad is None:
                return path, "utf-8"
        else:
            bad = _check_decodes(path, encoding, temp_path, progress)
            if bad is None:
                return temp_path, encoding
        failures.append((bad, encoding))
    # Report the encoding that got furthest: the likeliest intended one.
    offset, encoding = max(failures)
    raise _undecodable(path, encoding, offset)


def read_header(path: Path, delimiter: str) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle, delimiter=delimiter):
            if any(cell.strip() for cell in row):
                return [cell.strip() for cell in row]
    raise fail("empty_file", "the file is empty", "文件为空")


def header_error(problem: HeaderProblem) -> IngestError:
    return fail(problem.code, problem.message_en, problem.message_zh, column=problem.column)


# ---------------------------------------------------------------------------------------------
# CSV / TSV through DuckDB with explicit options.
# ---------------------------------------------------------------------------------------------

_LINE = re.compile(r"CSV Error on Line: (\d+)")
_COLUMNS = re.compile(r"Expected Number of Columns: (\d+) Found: (\d+)")
_CONVERT = re.compile(r'converting column "((?:[^"]|"")*)"')


def _csv_options(path: Path, delimiter: str, columns: dict[str, str]) -> str:
    spec = ", ".join(f"{quote_literal(name)}: {quote_literal(t)}" for name, t in columns.items())
    return (
        f"read_csv({quote_literal(str(path))}, auto_detect=false, header=true, "
        f"delim={quote_literal(delimiter)}, quote='\"', escape='\"', strict_mode=true, "
        f"null_padding=false, ignore_errors=false, encoding='utf-8', columns={{{spec}}})"
    )


def _sniff_types(con: duckdb.DuckDBPyConnection, path: Path, delimiter: str, names: list[str]) -> list[str]:
    try:
        row = con.execute(
            f"SELECT Columns FROM sniff_csv({quote_literal(str(path))}, delim={quote_literal(delimiter)}, "
            "header=true, quote='\"', escape='\"', sample_size=20480)"
        ).fetchone()
    except duckdb.Error:
        return ["VARCHAR"] * len(names)
    sniffed = [str(c["type"]) for c in row[0]] if row else []
    if len(sniffed) != len(names):
        return ["VARCHAR"] * len(names)
    allowed = {"BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "BOOLEAN", "VARCHAR", "TIMESTAMP WITH TIME ZONE"}
    return [t if t in allowed else "VARCHAR" for t in sniffed]


def csv_source(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    *,
    fmt: str,
    encoding: str,
    text_columns: set[str],
    temp_files: list[Path],
) -> Source:
    delimiter = "\t" if fmt == "tsv" else ","
    names = read_header(path, delimiter)
    try:
        check_header(names)
    except HeaderProblem as problem:
        raise header_error(problem) from None
    types = _sniff_types(con, path, delimiter, names)
    columns = {n: ("VARCHAR" if n in text_columns else t) for n, t in zip(names, types, strict=True)}
    source = Source(fmt, "", encoding, temp_files, csv_path=path, delimiter=delimiter, csv_columns=columns)
    source.select_sql = f"SELECT * FROM {_csv_options(path, delimiter, columns)}"
    return source


def after_read_error(source: Source, exc: duckdb.Error) -> Source:
    """DuckDB failed while reading: a CSV column whose sniffed type a later value breaks is demoted
    to text and the read is retried (types are sniffed from a sample); anything else is bad input."""
    if source.csv_path is None:
        raise _json_error(exc, source.format) from None
    if isinstance(exc, duckdb.ConversionException):
        match = _CONVERT.search(str(exc))
        name = match.group(1).replace('""', '"') if match else None
        if name is not None and source.csv_columns.get(name, "VARCHAR") != "VARCHAR":
            columns = {**source.csv_columns, name: "VARCHAR"}
            return Source(
                source.format,
                f"SELECT * FROM {_csv_options(source.csv_path, source.delimiter, columns)}",
                source.encoding,
                source.temp_files,
                csv_path=source.csv_path,
                delimiter=source.delimiter,
                csv_columns=columns,
            )
    raise _csv_error(exc) from None


def _csv_error(exc: duckdb.Error) -> IngestError:
    text = str(exc)
    line = _LINE.search(text)
    counts = _COLUMNS.search(text)
    if line and counts:
        expected, found = int(counts.group(1)), int(counts.group(2))
        n = int(line.group(1))
        return fail(
            "ragged_row",
            f"line {n} has {found} columns; the header has {expected}",
            f"第 {n} 行有 {found} 列，与表头的 {expected} 列不一致",
            line=n,
            expected_columns=expected,
            found_columns=found,
        )
    if line:
        n = int(line.group(1))
        return fail(
            "malformed_row",
            f"line {n} cannot be read: {text.splitlines()[1:2]}",
            f"第 {n} 行无法读取",
            line=n,
        )
    return fail(
        "unreadable_file", "the file could not be read as CSV", "无法按 CSV 读取文件", reason=text[:300]
    )


# ---------------------------------------------------------------------------------------------
# XLSX → CSV (row by row), after the zip-bomb check.
# ---------------------------------------------------------------------------------------------


def check_zip(path: Path, *, max_uncompressed: int, max_ratio: int) -> None:
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise fail(
            "file_type_mismatch", "the file is not a valid XLSX workbook", "文件不是有效的 XLSX 工作簿"
        ) from None
    with archive:
        members = archive.infolist()
        names = {m.filename for m in members}
        if "xl/workbook.xml" not in names:
            raise fail("file_type_mismatch", "the ZIP file is not an XLSX workbook", "ZIP 不是 XLSX 工作簿")
        total = sum(m.file_size for m in members)
        compressed = sum(m.compress_size for m in members) or 1
        worst = max((m.file_size / max(m.compress_size, 1) for m in members), default=0.0)
        if total > max_uncompressed or worst > max_ratio or total / compressed > max_ratio:
            raise fail(
                "zip_bomb",
                f"the workbook expands to {total} bytes (ratio {worst:.0f}:1); "
                "refused as a possible zip bomb",
                "工作簿解压后过大或压缩比异常，疑似压缩炸弹，已拒绝",
                uncompressed_bytes=total,
                ratio=round(worst),
            )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def xlsx_to_csv(path: Path, out: Path, *, sheet: str | None, progress: Progress | None = None) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        if sheet:
            if sheet not in workbook.sheetnames:
                raise fail(
                    "unknown_sheet",
                    f"the workbook has no sheet '{sheet}' (sheets: {', '.join(workbook.sheetnames)})",
                    f"工作簿中没有名为“{sheet}”的工作表",
                    sheets=workbook.sheetnames,
                )
            ws = workbook[sheet]
        else:
            ws = workbook.worksheets[0]
        total = ws.max_row or 1
        with open(out, "w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            width = 0
            for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = [_cell(v) for v in row]
                while cells and cells[-1] == "":
                    cells.pop()
                if not width:
                    if not cells:
                        continue
                    width = len(cells)
                    writer.writerow([c.strip() for c in cells])
                    continue
                if not cells:
                    continue
                if len(cells) > width:
                    raise fail(
                        "ragged_row",
                        f"row {number} has a value in column {len(cells)}, beyond the {width} header columns",
                        f"第 {number} 行第 {len(cells)} 列有数据，超出表头的 {width} 列",
                        line=number,
                        column=len(cells),
                    )
                writer.writerow(cells + [""] * (width - len(cells)))
                if progress is not None and number % 10000 == 0:
                    progress(min(number / total, 1.0))
            if not width:
                raise fail("empty_file", "the sheet is empty", "工作表为空")
    finally:
        workbook.close()


# ---------------------------------------------------------------------------------------------
# JSON, JSON Lines, GeoJSON.
# ---------------------------------------------------------------------------------------------


def _json_error(exc: duckdb.Error, fmt: str) -> IngestError:
    text = str(exc).split("\n")[0]
    line = re.search(r"line (\d+)", text)
    offset = re.search(r"at byte (\d+)", text)
    return fail(
        "malformed_json",
        f"the file is not valid {fmt.upper()}: {text.removeprefix('Invalid Input Error: ')}",
        f"文件不是有效的 {fmt.upper()}" + (f"（第 {line.group(1)} 行）" if line else ""),
        line=int(line.group(1)) if line else None,
        byte_offset=int(offset.group(1)) if offset else None,
    )


def json_source(con: duckdb.DuckDBPyConnection, path: Path, *, fmt: str, max_object_bytes: int) -> Source:
    if path.stat().st_size < 64 and path.read_bytes().strip(b"\xef\xbb\xbf \t\r\n") in (b"[]", b""):
        raise fail("empty_file", "the file holds no records", "文件中没有记录")
    p = quote_literal(str(path))
    # A GeoJSON FeatureCollection is one JSON object: allow the whole file; records stay at 16 MB.
    largest = path.stat().st_size + 1024 if fmt == "geojson" else 16 * 1024 * 1024
    size = f"maximum_object_size={max(16 * 1024 * 1024, min(largest, max_object_bytes, 2**31 - 1))}"
    if fmt == "geojson":
        inner = f"SELECT unnest(features) AS f FROM read_json({p}, format='unstructured', {size})"
        try:
            described = con.execute(f"DESCRIBE SELECT f.properties FROM ({inner})").fetchall()
        except duckdb.Error as exc:
            if is_unicode_error(exc):
                raise
            raise _json_error(exc, fmt) from None
        has_props = bool(described) and str(described[0][1]).startswith("STRUCT")
        props = "unnest(f.properties), " if has_props else ""
        select = f"SELECT {props}ST_AsText(f.geometry) AS geometry FROM ({inner})"
        geometry: tuple[str, ...] = ("geometry",)
    else:
        layout = "array" if fmt == "json" else "newline_delimited"
        select = f"SELECT * FROM read_json({p}, format='{layout}', records=true, {size})"
        geometry = ()
    try:
        described = con.execute(f"DESCRIBE {select}").fetchall()
        names = [str(r[0]) for r in described]
    except duckdb.Error as exc:
        if is_unicode_error(exc):
            raise  # the caller checks the encoding byte by byte
        raise _json_error(exc, fmt) from None
    try:
        check_header(names)
    except HeaderProblem as problem:
        raise header_error(problem) from None
    if names == ["json"] and fmt != "geojson":
        raise fail("malformed_json", "the records are not JSON objects", "记录不是 JSON 对象")
    return Source(fmt, select, "utf-8", [], geometry)


def normalize_select(con: duckdb.DuckDBPyConnection, source: Source) -> tuple[str, list[tuple[str, str]]]:
    """The final SELECT written to Parquet: nested values become JSON text, odd types text."""
    described = con.execute(f"DESCRIBE {source.select_sql}").fetchall()
    parts: list[str] = []
    types: list[tuple[str, str]] = []
    simple = {"BIGINT", "INTEGER", "SMALLINT", "TINYINT", "DOUBLE", "FLOAT", "DATE", "TIMESTAMP", "BOOLEAN"}
    for name, dtype, *_ in described:
        name, dtype = str(name), str(dtype)
        ident = quote_ident(name)
        if dtype in simple or dtype == "VARCHAR" or dtype.startswith("DECIMAL"):
            parts.append(ident)
        elif dtype == "TIMESTAMP WITH TIME ZONE":
            parts.append(f"CAST({ident} AS TIMESTAMP) AS {ident}")
        elif dtype.startswith(("STRUCT", "MAP")) or dtype.endswith("]") or dtype == "JSON":
            parts.append(f"CAST(to_json({ident}) AS VARCHAR) AS {ident}")
        else:
            parts.append(f"CAST({ident} AS VARCHAR) AS {ident}")
        types.append((name, dtype))
    return f"SELECT {', '.join(parts)} FROM ({source.select_sql})", types
