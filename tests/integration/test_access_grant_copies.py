"""Grants' cut-down copies (the per-grant Parquet copies in `<dataset>/grants/` that records, SQL and
downloads read under a grant, and the downloads cached beside them) are removed when no grant needs them
any more: the grant is closed or expired, a newer version superseded them, their version was
retracted — at once where they can be, and by the timed duties (`tick`) for everything else, including
what crashed processes left behind. Reads keep working throughout (ACC-6)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from publicdata.access import grant_copies, grant_service
from publicdata.access.grants import issue_grant
from publicdata.catalog.schemas import DatasetIn
from publicdata.catalog.service import create_dataset, find_dataset, publish_dataset
from publicdata.datastore import ingest_service
from publicdata.datastore import service as datastore
from publicdata.datastore.model import effective_columns
from publicdata.datastore.retraction import retract_versions
from publicdata.datastore.tables import DataVersion
from publicdata.identity import auth
from publicdata.identity.permissions import SYSTEM, Principal
from publicdata.platform import Platform
from publicdata.workorders.scheduled import tick
from tests.helpers import PASSWORD, Actors, dataset_document, make_actors

SH = ZoneInfo("Asia/Shanghai")
CODE = "SH-ORGA-COPY"
CSV_1 = "stop_name,district_code,note\n甲站,310101,x1\n乙站,310115,x2\n丙站,310101,x3\n".encode()
CSV_2 = CSV_1 + "丁站,310101,x4\n".encode()
CONDITIONAL = {
    "open_class": "conditional",
    "grading": {"personal": 1, "organizational": 1, "object": 3},
    "conditions": [{"kind": "scenario", "description": "仅限公共服务场景"}],
    "application_materials": ["应用场景说明"],
}
SCOPE_A: dict[str, Any] = {
    "fields": ["stop_name", "district_code"],
    "row_filter": [{"column": "district_code", "op": "eq", "value": "310101"}],
}
SCOPE_B: dict[str, Any] = {"fields": ["stop_name"], "row_filter": []}
LONG_AGO = 3600.0  # seconds: well beyond the idle grace of superseded copies


def at(y: int, m: int, d: int, hh: int = 10) -> datetime:
    return datetime(y, m, d, hh, tzinfo=SH).astimezone(UTC)


def person(platform: Platform, name: str) -> Principal:
    return auth.authenticate(platform, username=name, password=PASSWORD)


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


@pytest.fixture
def dataset_id(platform: Platform, actors: Actors) -> str:
    staff = person(platform, "staff_a")
    doc = dataset_document("ORGA", code=CODE, **CONDITIONAL)
    doc["fields"] = [
        {"name": "stop_name", "label": "站点名称", "type": "text", "description": "站点名称"},
        {"name": "district_code", "label": "区划代码", "type": "text", "description": "区划代码"},
        {"name": "note", "label": "备注", "type": "text", "description": "内部备注"},
    ]
    create_dataset(platform, actor=staff, data=DatasetIn(**doc))
    upload(platform, CSV_1)
    publish_dataset(platform, actor=person(platform, "admin"), ref=CODE)
    with platform.db.reading() as session:
        return find_dataset(session, CODE).id


def upload(platform: Platform, data: bytes) -> None:
    job = ingest_service.upload(
        platform,
        actor=person(platform, "staff_a"),
        ref=CODE,
        filename="d.csv",
        stream=io.BytesIO(data),
        wait=True,
    )
    assert job["state"] == "succeeded", job


def give(
    platform: Platform,
    actors: Actors,
    who: str,
    scope: dict[str, Any],
    valid_until: date = date(2030, 12, 31),
) -> str:
    with platform.db.transaction() as session:
        dataset = find_dataset(session, CODE)
        return issue_grant(
            session,
            actor=SYSTEM,
            dataset_id=dataset.id,
            provider_id=dataset.provider_id,
            user_id=actors.user_ids[who],
            fields=list(scope["fields"]),
            row_filter=list(scope["row_filter"]),
            valid_from=datetime.now(SH).date(),  # no usage report falls due while the tests tick
            valid_until=valid_until,
            daily_quota=1000,
            report_every_days=90,
        ).id


def folder(platform: Platform, dataset_id: str) -> Path:
    return platform.settings.resolved_data_dir / dataset_id / "grants"


def files(platform: Platform, dataset_id: str) -> set[str]:
    """Every file under the dataset's grants folder, relative to it."""
    root = folder(platform, dataset_id)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def stem(platform: Platform, dataset_id: str, version: int, scope: dict[str, Any]) -> str:
    with platform.db.reading() as session:
        row = session.query(DataVersion).filter_by(dataset_id=dataset_id, version=version).one()
        return grant_copies.copy_stem(row, scope["fields"], scope["row_filter"])


def read_all(platform: Platform, who: str, *, version: int | None = None) -> list[dict[str, Any]]:
    """A records page and a CSV download under the reader's grant: both leave a copy (and an export)."""
    reader = person(platform, who)
    got = datastore.query_records(platform, actor=reader, ref=CODE, params=[], version=version)
    download = datastore.download(platform, actor=reader, ref=CODE, fmt="csv", version=version)
    assert download.path.exists()
    records: list[dict[str, Any]] = got["records"]
    return records


def age(paths: list[Path], seconds: float) -> None:
    """Pretend the files were last written and read `seconds` ago."""
    then = time.time() - seconds
    for path in paths:
        os.utime(path, (then, then))


def age_all(platform: Platform, dataset_id: str, seconds: float = LONG_AGO) -> None:
    age([p for p in folder(platform, dataset_id).rglob("*") if p.is_file()], seconds)


@pytest.mark.req("ACC-6")
def test_copy_names_are_the_data_stores(platform: Platform, actors: Actors, dataset_id: str) -> None:
    """The cleaner recognizes a grant's copy by the name the data store gives it."""
    give(platform, actors, "person_l1", SCOPE_A)
    read_all(platform, "person_l1")
    name = stem(platform, dataset_id, 1, SCOPE_A)
    assert f"{name}.parquet" in files(platform, dataset_id)
    assert any(f.startswith(f"exports/{name}-") and f.endswith(".csv") for f in files(platform, dataset_id))
    with platform.db.reading() as session:
        row = session.query(DataVersion).filter_by(dataset_id=dataset_id, version=1).one()
        columns = effective_columns(row.columns, row.overrides or {})
    assert [c.name for c in columns] == ["stop_name", "district_code", "note"]


@pytest.mark.req("ACC-6")
def test_closing_a_grant_removes_its_copies_at_once_and_keeps_shared_ones(
    platform: Platform, actors: Actors, dataset_id: str
) -> None:
    mine = give(platform, actors, "person_l1", SCOPE_A)
    give(platform, actors, "company", SCOPE_B)
    assert read_all(platform, "person_l1") == [
        {"stop_name": "甲站", "district_code": "310101"},
        {"stop_name": "丙站", "district_code": "310101"},
    ]
    read_all(platform, "company")
    a, b = stem(platform, dataset_id, 1, SCOPE_A), stem(platform, dataset_id, 1, SCOPE_B)
    before = files(platform, dataset_id)
    assert {f"{a}.parquet", f"{b}.parquet"} <= before
    # A reader that has the copy open keeps reading it after it is removed (POSIX unlink).
    copy_a = folder(platform, dataset_id) / f"{a}.parquet"
    size = copy_a.stat().st_size
    with copy_a.open("rb") as reading:
        grant_service.change_state(
            platform, actor=person(platform, "staff_a"), grant_id=mine, action="close", reason="协议终止"
        )
        assert len(reading.read()) == size
    after = files(platform, dataset_id)
    assert not [f for f in after if a in f], after  # the copy and its cached downloads
    assert {f for f in before if b in f} <= after  # the other grant's copy and downloads stay
    assert read_all(platform, "company") == [{"stop_name": s} for s in ("甲站", "乙站", "丙站")]

    # A copy two grants share stays until neither needs it.
    shared = give(platform, actors, "person_l1", SCOPE_B)
    read_all(platform, "person_l1")
    company_grant = grant_service.list_grants(platform, actor=person(platform, "company"))[0]["id"]
    grant_service.change_state(
        platform, actor=person(platform, "staff_a"), grant_id=company_grant, action="close", reason="终止"
    )
    assert f"{b}.parquet" in files(platform, dataset_id)
    assert read_all(platform, "person_l1") == [{"stop_name": s} for s in ("甲站", "乙站", "丙站")]
    grant_service.change_state(
        platform, actor=person(platform, "center"), grant_id=shared, action="close", reason="终止"
    )
    assert files(platform, dataset_id) == set()


@pytest.mark.req("ACC-6")
def test_the_tick_removes_copies_of_expired_grants(
    platform: Platform, actors: Actors, dataset_id: str
) -> None:
    give(platform, actors, "person_l1", SCOPE_A, valid_until=date(2030, 12, 31))
    give(platform, actors, "company", SCOPE_B, valid_until=date(2031, 6, 30))
    read_all(platform, "person_l1")
    read_all(platform, "company")
    a, b = stem(platform, dataset_id, 1, SCOPE_A), stem(platform, dataset_id, 1, SCOPE_B)
    counts = tick(platform, at(2030, 12, 31, 23))  # the last day of the first grant: it still serves
    assert counts["access.grant_copies.removed"] == 0
    counts = tick(platform, at(2031, 1, 1, 0))
    assert counts["access.grant_copies.removed"] == 2  # the copy and its CSV download
    left = files(platform, dataset_id)
    assert not [f for f in left if a in f] and f"{b}.parquet" in left


@pytest.mark.req("ACC-6")
def test_a_superseded_version_copy_goes_once_the_current_one_exists_and_it_is_idle(
    platform: Platform, actors: Actors, dataset_id: str
) -> None:
    give(platform, actors, "person_l1", SCOPE_A)
    read_all(platform, "person_l1")
    old = stem(platform, dataset_id, 1, SCOPE_A)
    upload(platform, CSV_2)  # version 2 becomes current
    new = stem(platform, dataset_id, 2, SCOPE_A)
    age_all(platform, dataset_id)
    # No copy of the current version yet: the old one is what readers were using; it stays.
    assert tick(platform)["access.grant_copies.removed"] == 0
    assert f"{old}.parquet" in files(platform, dataset_id)
    # The holder reads the current version: its copy is written; the old one stays while the new copy
    # is fresh (a reader that resolved the old version a moment ago may still be opening it).
    assert len(read_all(platform, "person_l1")) == 3
    assert tick(platform)["access.grant_copies.removed"] == 0
    assert {f"{old}.parquet", f"{new}.parquet"} <= files(platform, dataset_id)
    age_all(platform, dataset_id)
    assert tick(platform)["access.grant_copies.removed"] == 2
    left = files(platform, dataset_id)
    assert not [f for f in left if old in f] and f"{new}.parquet" in left
    # Reads keep working: the current version, and the old one asked for by number (written again).
    assert len(read_all(platform, "person_l1")) == 3
    assert len(read_all(platform, "person_l1", version=1)) == 2
    # ... and a copy just written again for such a read is not removed under its reader.
    assert tick(platform)["access.grant_copies.removed"] == 0


@pytest.mark.req("ACC-6")
def test_copies_of_retracted_versions_go_at_the_tick(
    platform: Platform, actors: Actors, dataset_id: str
) -> None:
    give(platform, actors, "person_l1", SCOPE_A)
    read_all(platform, "person_l1")
    upload(platform, CSV_2)
    read_all(platform, "person_l1")
    old, new = stem(platform, dataset_id, 1, SCOPE_A), stem(platform, dataset_id, 2, SCOPE_A)
    with platform.db.transaction() as session:
        retract_versions(session, actor=SYSTEM, dataset=find_dataset(session, CODE), up_to=1, reason="侵权")
    # Nobody may read a retracted version: its copies go at once, without waiting for them to be idle.
    assert tick(platform)["access.grant_copies.removed"] == 2
    left = files(platform, dataset_id)
    assert not [f for f in left if old in f] and f"{new}.parquet" in left
    assert len(read_all(platform, "person_l1")) == 3


@pytest.mark.req("ACC-6")
def test_leftovers_of_crashed_processes_are_collected(
    platform: Platform, actors: Actors, dataset_id: str
) -> None:
    give(platform, actors, "person_l1", SCOPE_A)
    read_all(platform, "person_l1")
    root = folder(platform, dataset_id)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead = int(gone.stdout)
    dead_temp = root / f".tmp-{dead}-0badf00d-1-1-0123456789abcdef.parquet"
    dead_export_temp = root / "exports" / f".tmp-{dead}-0badf00d-x.csv"
    live_temp = root / f".tmp-{os.getpid()}-0badf00d-1-1-fedcba9876543210.parquet"
    fresh_dead_temp = root / f".tmp-{dead}-0badf00e-1-1-00112233445566778.parquet"
    stray = root / "1-1-ffffffffffffffff.parquet"  # a copy no grant's scope names (e.g. older types)
    for path in (dead_temp, dead_export_temp, live_temp, fresh_dead_temp, stray):
        path.write_bytes(b"partial")
    age([dead_temp, dead_export_temp, live_temp, stray], LONG_AGO)
    counts = tick(platform)
    assert counts["access.grant_copies.removed"] == 3
    left = files(platform, dataset_id)
    assert live_temp.name in left and fresh_dead_temp.name in left  # a live writer / a fresh file stay
    assert (
        dead_temp.name not in left
        and stray.name not in left
        and "exports/" + dead_export_temp.name not in left
    )
    assert f"{stem(platform, dataset_id, 1, SCOPE_A)}.parquet" in left
    assert len(read_all(platform, "person_l1")) == 2
