"""Ingest into Parquet versions: every format, every bad-input case, encodings, versions, crash safety."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from publicdata.catalog.schemas import DatasetIn
from publicdata.catalog.service import create_dataset, publish_dataset
from publicdata.datastore import ingest_service, jobs, service
from publicdata.datastore.tables import DatasetHead, DataVersion, IngestJob
from publicdata.errors import AppError, BadRequest, Conflict
from publicdata.identity.permissions import ANONYMOUS, SYSTEM
from publicdata.platform import Platform
from tests.helpers import dataset_document, make_published_dataset

CODE = "SH-ORGA-DS1"
ROWS_ZH = [
    ("人民广场站", "310101", "121.4737"),
    ("陆家嘴站", "310115", "121.5055"),
    ("龘靐齉爩", "310104", "121.4"),
]


@pytest.fixture
def dataset(platform: Platform) -> str:
    return make_published_dataset(platform, org="ORGA", org_name="上海市测试委员会A", code=CODE)


def csv_bytes(rows: list[tuple[str, ...]], header: str = "stop_name,district_code,longitude") -> str:
    return header + "\n" + "".join(",".join(r) + "\n" for r in rows)


def ingest(platform: Platform, data: bytes, filename: str, **options: Any) -> dict[str, Any]:
    return ingest_service.upload(
        platform, actor=SYSTEM, ref=CODE, filename=filename, stream=io.BytesIO(data), wait=True, **options
    )


def ok(platform: Platform, data: bytes, filename: str, **options: Any) -> dict[str, Any]:
    job = ingest(platform, data, filename, **options)
    assert job["state"] == "succeeded", job["error"]
    return service.get_version(platform, actor=ANONYMOUS, ref=CODE, version=job["version"])


def failed(platform: Platform, data: bytes, filename: str, **options: Any) -> dict[str, Any]:
    try:
        job = ingest(platform, data, filename, **options)
    except AppError as exc:  # refused at upload (size, type sniffing)
        return {"code": exc.code, "message_en": exc.message_en, "details": exc.details}
    assert job["state"] == "failed", job
    assert job["attempts"] == 1  # bad input is not retried
    error: dict[str, Any] = job["error"]
    return error


def records(platform: Platform, **params: str) -> list[dict[str, Any]]:
    result = service.query_records(platform, actor=ANONYMOUS, ref=CODE, params=list(params.items()))
    rows: list[dict[str, Any]] = result["records"]
    return rows


# ---------------------------------------------------------------------------------------------
# Formats
# ---------------------------------------------------------------------------------------------


@pytest.mark.req("QUA-2", "PLT-12")
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_encodings_round_trip_chinese_exactly(platform: Platform, dataset: str, encoding: str) -> None:
    rows = ROWS_ZH if encoding != "gbk" else [*ROWS_ZH[:2], ("徐家汇站", "310104", "121.4")]
    if encoding == "gb18030":
        rows = [*rows, ("𠀀𪚥站", "310105", "121.3")]  # beyond GBK: four-byte GB18030 sequences
    version = ok(platform, csv_bytes(rows).encode(encoding), "stops.csv")
    expected = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gbk": "gb18030", "gb18030": "gb18030"}[encoding]
    assert version["source_encoding"] == expected
    assert [r["stop_name"] for r in records(platform, sort="longitude,stop_name")] == [
        r[0] for r in sorted(rows, key=lambda r: (float(r[2]), r[0]))
    ]
    types = {f["name"]: f["type"] for f in version["fields"]}
    # district_code is declared as text in the catalog: leading zeros and codes stay text.
    assert types == {"stop_name": "text", "district_code": "text", "longitude": "decimal"}


@pytest.mark.req("QUA-2")
def test_non_utf8_bytes_after_the_first_megabyte_are_found(platform: Platform, dataset: str) -> None:
    ascii_head = "stop_name,district_code,longitude\n" + "".join(
        f"stop{i},310101,121.{i}\n" for i in range(60_000)
    )
    assert len(ascii_head) > 1024 * 1024
    # GBK text that starts with more than a megabyte of ASCII: detected late, transcoded, exact.
    version = ok(platform, (ascii_head + "人民广场站,310101,121.5\n").encode("gbk"), "late.csv")
    assert version["source_encoding"] == "gb18030"
    assert records(platform, stop_name="人民广场站")[0]["district_code"] == "310101"
    # Bytes that are neither UTF-8 nor GB18030, late in the file: named by line and byte offset.
    error = failed(platform, ascii_head.encode() + b"\xff\xff,310101,1\n", "bad.csv")
    assert error["code"] == "undecodable_bytes"
    assert error["details"]["line"] == 60_002 and error["details"]["byte_offset"] == len(ascii_head)


@pytest.mark.req("QUA-2")
def test_uploader_can_override_the_detected_encoding(platform: Platform, dataset: str) -> None:
    data = csv_bytes(ROWS_ZH[:2]).encode("gbk")
    ok(platform, data, "stops.csv", encoding="gbk")
    assert records(platform, sort="longitude")[0]["stop_name"] == "人民广场站"
    error = failed(platform, data, "stops.csv", encoding="utf-8")
    assert error["code"] == "undecodable_bytes"
    assert error["details"]["line"] == 2 and error["details"]["byte_offset"] == len(
        b"stop_name,district_code,longitude\n"
    )


@pytest.mark.req("QUA-2")
def test_tsv_and_inferred_types(platform: Platform, dataset: str) -> None:
    text = (
        "id\tname\tamount\tday\tat\tflag\n"
        "1\t甲\t1.5\t2024-01-02\t2024-01-02 08:30:00\ttrue\n"
        "2\t乙\t\t2024-02-03\t2024-02-03 09:00:00\tfalse\n"
    )
    version = ok(platform, text.encode(), "t.tsv")
    assert {f["name"]: f["type"] for f in version["fields"]} == {
        "id": "integer",
        "name": "text",
        "amount": "decimal",
        "day": "date",
        "at": "datetime",
        "flag": "boolean",
    }
    stats = version["statistics"]
    assert stats["amount"] == {
        "count": 1,
        "nulls": 1,
        "distinct_estimate": 1,
        "min": 1.5,
        "max": 1.5,
        "top_values": [1.5],
    }
    assert stats["day"]["min"] == "2024-01-02" and stats["id"]["max"] == 2


@pytest.mark.req("QUA-2")
def test_a_late_value_that_breaks_the_sniffed_type_demotes_the_column_to_text(
    platform: Platform, dataset: str
) -> None:
    lines = "n,label\n" + "".join(f"{i},x\n" for i in range(30000)) + "n/a,y\n"
    version = ok(platform, lines.encode(), "late.csv")
    assert {f["name"]: f["type"] for f in version["fields"]}["n"] == "text"
    assert version["row_count"] == 30001


def _xlsx(sheets: dict[str, list[list[Any]]]) -> bytes:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        ws = workbook.create_sheet(name)
        for row in rows:
            ws.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.req("QUA-2")
def test_xlsx_first_or_named_sheet(platform: Platform, dataset: str) -> None:
    from datetime import date

    data = _xlsx(
        {
            "封面": [["stop_name", "count"], ["封面站", 1]],
            "站点": [
                ["stop_name", "opened", "count"],
                ["人民广场站", date(2024, 1, 2), 3],
                ["陆家嘴站", None, 4],
            ],
        }
    )
    first = ok(platform, data, "book.xlsx")
    assert first["row_count"] == 1
    named = ok(platform, data, "book.xlsx", sheet="站点")
    assert {f["name"]: f["type"] for f in named["fields"]} == {
        "stop_name": "text",
        "opened": "date",
        "count": "integer",
    }
    assert records(platform, sort="count")[0] == {
        "stop_name": "人民广场站",
        "opened": "2024-01-02",
        "count": 3,
    }
    error = failed(platform, data, "book.xlsx", sheet="没有")
    assert error["code"] == "unknown_sheet"


@pytest.mark.req("QUA-2")
def test_json_array_json_lines_and_geojson(platform: Platform, dataset: str) -> None:
    array = [{"name": "甲", "n": 1, "tags": ["a"], "meta": {"k": 1}}, {"name": "乙", "n": 2}]
    version = ok(platform, json.dumps(array, ensure_ascii=False).encode(), "a.json")
    assert version["row_count"] == 2
    assert records(platform, sort="n")[0]["meta"] == '{"k":1}'

    lines = "\n".join(json.dumps(r, ensure_ascii=False) for r in array).encode()
    assert ok(platform, lines, "a.jsonl")["row_count"] == 2

    geo = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": "人民广场"},
                "geometry": {"type": "Point", "coordinates": [121.47, 31.23]},
            },
            {
                "type": "Feature",
                "properties": {"name": "外滩"},
                "geometry": {"type": "LineString", "coordinates": [[121.4, 31.2], [121.5, 31.3]]},
            },
        ],
    }
    version = ok(platform, json.dumps(geo, ensure_ascii=False).encode(), "places.geojson")
    assert {f["name"]: f["type"] for f in version["fields"]} == {"name": "text", "geometry": "geometry"}
    assert records(platform, name="人民广场")[0]["geometry"] == "POINT (121.47 31.23)"


# ---------------------------------------------------------------------------------------------
# Bad input: one clear error each, naming the row / column
# ---------------------------------------------------------------------------------------------


@pytest.mark.req("QUA-2")
@pytest.mark.parametrize(
    ("content", "filename", "code", "details"),
    [
        (
            b"a,b,c\n1,2,3\n4,5\n6,7,8\n",
            "r.csv",
            "ragged_row",
            {"line": 3, "expected_columns": 3, "found_columns": 2},
        ),
        (b"a,b,c\n1,2,3\n4,5,6,7\n", "r.csv", "ragged_row", {"line": 3, "found_columns": 4}),
        (b"a,b\n" + b"1,2\n" * 2000 + b"\xff\xfe\x80,3\n", "u.csv", "undecodable_bytes", {"line": 2002}),
        (b"\n\n  \n", "e.csv", "empty_file", None),
        (b"a,b,c\n", "h.csv", "header_only", None),
        (b"a,b,a\n1,2,3\n", "d.csv", "duplicate_column_name", {"column": 3}),
        (b"a,,c\n1,2,3\n", "n.csv", "empty_column_name", {"column": 2}),
        (b"a,b\n1,2\n", "x.xlsx", "file_type_mismatch", None),
        (b'{"a": 1,', "j.json", "malformed_json", None),
        (b"a,b\n1,2\n", "j.json", "file_type_mismatch", None),
        (b"[]", "j.json", "empty_file", None),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(
    platform: Platform, dataset: str, content: bytes, filename: str, code: str, details: dict[str, Any] | None
) -> None:
    error = failed(platform, content, filename)
    assert error["code"] == code, error
    for key, value in (details or {}).items():
        assert error["details"][key] == value
    assert error["message_en"] and error.get("message_zh", "x")


@pytest.mark.req("QUA-2")
def test_zip_file_named_csv_and_empty_upload_are_refused(platform: Platform, dataset: str) -> None:
    assert failed(platform, _xlsx({"s": [["a"], [1]]}), "data.csv")["code"] == "file_type_mismatch"
    assert failed(platform, b"", "data.csv")["code"] == "empty_file"


@pytest.mark.req("QUA-2")
def test_a_zip_bomb_disguised_as_xlsx_is_refused_before_opening(platform: Platform, dataset: str) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (50 * 1024 * 1024))  # 50 MB of zeros
    assert len(buffer.getvalue()) < 200_000
    error = failed(platform, buffer.getvalue(), "bomb.xlsx")
    assert error["code"] == "zip_bomb"
    assert error["details"]["ratio"] > 200


def test_upload_size_cap_streams_and_refuses(platform: Platform, dataset: str) -> None:
    platform.settings.datastore_upload_max_bytes = 1024
    error = failed(platform, b"a,b\n" + b"1,2\n" * 1000, "big.csv")
    assert error["code"] == "file_too_large"


# ---------------------------------------------------------------------------------------------
# Versions, schema overrides, retries
# ---------------------------------------------------------------------------------------------


@pytest.mark.req("CAT-7")
def test_each_upload_is_a_new_version_and_older_versions_stay_readable(
    platform: Platform, dataset: str
) -> None:
    ok(platform, csv_bytes(ROWS_ZH[:1]).encode(), "v1.csv")
    ok(platform, csv_bytes(ROWS_ZH).encode(), "v2.csv")
    versions = service.list_versions(platform, actor=ANONYMOUS, ref=CODE)
    assert [(v["version"], v["current"], v["row_count"]) for v in versions] == [(2, True, 3), (1, False, 1)]
    old = service.query_records(platform, actor=ANONYMOUS, ref=CODE, params=[], version=1)
    assert [r["stop_name"] for r in old["records"]] == ["人民广场站"]
    assert len(records(platform)) == 3


@pytest.fixture
def draft_dataset(platform: Platform) -> str:
    from publicdata.identity.model import OrgKind
    from tests.helpers import make_org

    make_org(platform, "ORGA", OrgKind.DEPARTMENT, "上海市测试委员会A")
    create_dataset(platform, actor=SYSTEM, data=DatasetIn.model_validate(dataset_document("ORGA", code=CODE)))
    return CODE


@pytest.mark.req("QUA-2")
def test_provider_overrides_column_types_cast_at_read(platform: Platform, draft_dataset: str) -> None:
    text = "code,amount,label\n001,10,x\n002,20,y\n"
    job = ingest(platform, text.encode(), "o.csv")
    version = service.get_version(platform, actor=SYSTEM, ref=CODE, version=job["version"])
    assert {f["name"]: f["type"] for f in version["fields"]}["amount"] == "integer"
    changed = ingest_service.override_schema(
        platform, actor=SYSTEM, ref=CODE, version=1, types={"amount": "decimal"}
    )
    assert {f["name"]: f["type"] for f in changed["fields"]}["amount"] == "decimal"
    assert changed["fields"][1]["inferred_type"] == "integer"
    with pytest.raises(BadRequest) as refused:
        ingest_service.override_schema(
            platform, actor=SYSTEM, ref=CODE, version=1, types={"label": "integer"}
        )
    assert refused.value.code == "schema_cast_failed" and refused.value.details["row"] == 1
    with pytest.raises(BadRequest):
        ingest_service.override_schema(platform, actor=SYSTEM, ref=CODE, version=1, types={"nope": "text"})
    publish_dataset(platform, actor=SYSTEM, ref=CODE)
    assert records(platform, sort="amount")[0]["amount"] == 10.0
    with pytest.raises(Conflict) as frozen:
        ingest_service.override_schema(
            platform, actor=SYSTEM, ref=CODE, version=1, types={"amount": "integer"}
        )
    assert frozen.value.code == "schema_frozen"
    # A later upload keeps the declared type; a value that no longer casts drops the override.
    assert ok(platform, b"code,amount,label\n003,30,z\n", "o2.csv")["overrides"] == {"amount": "decimal"}
    assert ok(platform, b"code,amount,label\n004,n/a,w\n", "o3.csv")["overrides"] == {}


def test_a_transient_failure_is_retried_up_to_max_attempts(platform: Platform, dataset: str) -> None:
    job_id = ingest_service.queue_file(
        platform, actor=SYSTEM, ref=CODE, path=_write(platform, "ok.csv", csv_bytes(ROWS_ZH))
    )
    # The source file disappears between queueing and running: an I/O error, not bad input.
    with platform.db.transaction() as session:
        session.get(IngestJob, job_id).source_path = str(platform.settings.var_dir / "gone.csv")  # type: ignore[union-attr]
    job = jobs.run_until_done(platform, job_id)
    assert job.state == "failed" and job.attempts == platform.settings.datastore_ingest_max_attempts


def test_background_worker_runs_queued_jobs(platform: Platform, dataset: str) -> None:
    job = ingest_service.upload(
        platform, actor=SYSTEM, ref=CODE, filename="s.csv", stream=io.BytesIO(csv_bytes(ROWS_ZH).encode())
    )
    assert job["state"] == "queued"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = ingest_service.get_job(platform, actor=SYSTEM, ref=CODE, job_id=job["id"])
        if state["state"] in ("succeeded", "failed"):
            break
        time.sleep(0.05)
    assert state["state"] == "succeeded" and state["version"] == 1


def _write(platform: Platform, name: str, text: str) -> Path:
    path = platform.settings.var_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------------
# Crash safety: SIGKILL in the middle of writing leaves the previous version current.
# ---------------------------------------------------------------------------------------------


@pytest.mark.req("CAT-7")
def test_sigkill_mid_write_keeps_the_previous_version_and_rerun_succeeds(
    platform: Platform, dataset: str
) -> None:
    ok(platform, csv_bytes(ROWS_ZH).encode(), "v1.csv")
    big = platform.settings.var_dir / "big.csv"
    with open(big, "w", encoding="utf-8") as out:
        out.write("stop_name,district_code,longitude\n")
        for start in range(0, 1_500_000, 100_000):
            out.write(
                "".join(f"站点{i},3101{i % 100:02d},{121 + i / 1e7}\n" for i in range(start, start + 100_000))
            )
    settings = platform.settings
    env = {
        **os.environ,
        "PUBLICDATA_DATABASE_URL": settings.resolved_database_url,
        "PUBLICDATA_VAR_DIR": str(settings.var_dir),
        "PUBLICDATA_SECRET_KEY": "test-secret-key-not-for-production",
        "PUBLICDATA_DUCKDB_THREADS": "1",
    }
    folder = settings.resolved_data_dir / _dataset_id(platform)
    proc = subprocess.Popen(
        [sys.executable, "-m", "publicdata.datastore.cli", CODE, str(big)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    killed_at = None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if any(
            p.name.startswith(f".tmp-{proc.pid}-") and p.name.endswith(".parquet") for p in folder.iterdir()
        ):
            os.kill(proc.pid, signal.SIGKILL)
            killed_at = "parquet"
            break
        time.sleep(0.002)
    proc.wait(timeout=30)
    assert killed_at == "parquet", "the ingest finished before it could be killed mid-write"
    assert proc.returncode == -signal.SIGKILL

    # The store is consistent: version 1 is current and fully readable; the job is left running.
    with platform.db.reading() as session:
        head = session.get(DatasetHead, _dataset_id(platform))
        assert head is not None and head.version == 1
        assert session.scalar(select(IngestJob.state).where(IngestJob.state == "running")) == "running"
        assert {v.version for v in session.scalars(select(DataVersion))} == {1}
    assert len(records(platform, limit="10")) == 3

    # Re-run: recovery removes the dead process's temp files and re-queues its job, which succeeds.
    recovered = jobs.recover_jobs(platform)
    assert recovered["requeued"] == 1 and recovered["removed_files"] >= 1
    assert not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]
    assert jobs.run_pending(platform) == 1
    latest = service.get_version(platform, actor=ANONYMOUS, ref=CODE, version=None)
    assert latest["version"] == 2 and latest["row_count"] == 1_500_000


def _dataset_id(platform: Platform) -> str:
    with platform.db.reading() as session:
        from publicdata.catalog.service import find_dataset

        return find_dataset(session, CODE).id
