"""Rights complaints (QUA-4) over the API: immediate suspension stops every read, then restore,
withdraw or reprocess; the leak trace lists exactly who downloaded or called the data, from the audit log."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from publicdata.app import create_app
from publicdata.audit.store import verify_audit_log
from publicdata.audit.tables import AuditRecord
from publicdata.datastore import service as datastore
from publicdata.identity import auth
from publicdata.identity.permissions import SYSTEM, Principal
from publicdata.notifications.tables import Notification
from publicdata.objections import complaints
from publicdata.objections.model import ComplaintDecision, RightKind
from publicdata.platform import Platform
from tests.helpers import PASSWORD, Actors, auth_header, dataset_document, make_actors

SH = ZoneInfo("Asia/Shanghai")
CSV = (
    "stop_name,district_code,longitude\n"
    "上海火车站南广场公交枢纽,310101,121.4737\n"
    "陆家嘴环路东昌路公交站,310115,121.5055\n"
).encode()
CODE = "SH-ORGA-CPL"
READERS = ("anonymous", "person_l0", "person_l1", "company", "staff_b", "center")


@pytest.fixture
def api(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


def as_(actors: Actors, name: str) -> dict[str, str]:
    return auth_header(actors.tokens[name])


def upload(api: TestClient, actors: Actors, data: bytes) -> int:
    done = api.post(
        f"/api/v1/datasets/{CODE}/uploads?wait=true",
        files={"file": ("stops.csv", io.BytesIO(data), "text/csv")},
        headers=as_(actors, "staff_a"),
    )
    assert done.status_code == 202 and done.json()["state"] == "succeeded", done.json()
    return int(done.json()["version"])


@pytest.fixture
def dataset(api: TestClient, actors: Actors) -> str:
    doc = dataset_document("ORGA", code=CODE)
    assert api.post("/api/v1/datasets", json=doc, headers=as_(actors, "staff_a")).status_code == 201
    assert upload(api, actors, CSV) == 1
    published = api.post(f"/api/v1/datasets/{CODE}/publish", headers=as_(actors, "admin"))
    assert published.status_code == 200, published.json()
    return CODE


def complain(api: TestClient, actors: Actors, who: str = "person_l1") -> str:
    evidence = api.post(
        "/api/v1/workorders/uploads",
        files={"file": ("证明.pdf", io.BytesIO(b"%PDF-1.4 evidence"), "application/pdf")},
        headers=as_(actors, who),
    )
    assert evidence.status_code == 201, evidence.json()
    created = api.post(
        f"/api/v1/datasets/{CODE}/complaints",
        json={
            "right": "privacy",
            "description": "数据中的站点名称暴露了本人住址。",
            "fields": ["stop_name"],
            "attachments": [evidence.json()["upload_id"]],
        },
        headers=as_(actors, who),
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "received" and body["evidence"][0]["filename"] == "证明.pdf"
    return str(body["id"])


def reads(api: TestClient, actors: Actors, who: str) -> tuple[int, int, int]:
    headers = as_(actors, who)
    records = api.get(f"/api/v1/datasets/{CODE}/records", headers=headers).status_code
    sql = api.post("/api/v1/sql", json={"sql": f'SELECT * FROM "{CODE}"'}, headers=headers).status_code
    download = api.get(f"/api/v1/datasets/{CODE}/download.csv", headers=headers).status_code
    return records, sql, download


def inbox(platform: Platform, user_id: str) -> list[str]:
    with platform.db.reading() as session:
        return list(
            session.scalars(
                select(Notification.kind)
                .where(Notification.user_id == user_id)
                .order_by(Notification.created_at)
            )
        )


@pytest.mark.req("QUA-4")
def test_complaint_suspends_at_once_then_restore(
    api: TestClient, platform: Platform, actors: Actors, dataset: str
) -> None:
    assert reads(api, actors, "anonymous") == (200, 200, 200)
    complaint_id = complain(api, actors)
    suspend_url = f"/api/v1/complaints/{complaint_id}/suspend"
    reason = {"reason": "涉嫌泄露个人住址，先行暂停"}
    assert api.post(suspend_url, json=reason, headers=as_(actors, "staff_b")).status_code == 404
    assert api.post(suspend_url, json=reason, headers=as_(actors, "person_l1")).status_code == 403
    suspended = api.post(suspend_url, json=reason, headers=as_(actors, "staff_a"))
    assert suspended.status_code == 200, suspended.json()
    body = suspended.json()
    assert body["status"] == "suspended" and body["dataset_state"] == "suspended"
    assert body["state_before_suspension"] == "published" and body["version_at_suspension"] == 1
    # Nobody outside the provider is served any more: records, SQL and downloads refuse.
    for who in READERS:
        records, sql, download = reads(api, actors, who)
        assert records in (403, 404) and download in (403, 404), who
        assert sql == 400, who  # the SQL endpoint names no table it cannot read
    assert api.get(f"/api/v1/datasets/{CODE}/versions/1/download.json").status_code in (403, 404)
    assert api.post(suspend_url, json=reason, headers=as_(actors, "staff_a")).status_code == 409
    # The provider still reads its own data to verify it.
    assert api.get(f"/api/v1/datasets/{CODE}/records", headers=as_(actors, "staff_a")).status_code == 200
    assert "complaint.suspended" in inbox(platform, actors.user_ids["person_l1"])

    decided = api.post(
        f"/api/v1/complaints/{complaint_id}/decision",
        json={"decision": "restore", "note": "经核实，站点名称为公共设施名称，不涉及个人隐私。"},
        headers=as_(actors, "staff_a"),
    )
    assert decided.status_code == 200, decided.json()
    assert decided.json()["status"] == "restored" and decided.json()["dataset_state"] == "published"
    assert reads(api, actors, "anonymous") == (200, 200, 200)
    assert inbox(platform, actors.user_ids["person_l1"])[-1] == "complaint.restored"
    again = api.post(
        f"/api/v1/complaints/{complaint_id}/decision",
        json={"decision": "withdraw", "note": "x"},
        headers=as_(actors, "staff_a"),
    )
    assert again.status_code == 409
    with platform.db.reading() as session:
        states = list(
            session.scalars(
                select(AuditRecord.action)
                .where(AuditRecord.action.startswith("dataset.state."))
                .order_by(AuditRecord.seq)
            )
        )
    assert states[-2:] == ["dataset.state.suspended", "dataset.state.published"]
    assert verify_audit_log(platform, actor=SYSTEM).ok


@pytest.mark.req("QUA-4")
def test_complaint_withdraw_and_reprocess_with_real_deadline(
    api: TestClient, platform: Platform, actors: Actors, dataset: str
) -> None:
    person = auth.authenticate(platform, username="company", password=PASSWORD)
    provider = auth.authenticate(platform, username="staff_a", password=PASSWORD)
    received = datetime(2026, 9, 30, 11, tzinfo=SH)
    first = complaints.submit_complaint(
        platform,
        actor=person,
        dataset_ref=CODE,
        right=RightKind.TRADE_SECRET,
        description="经度精确到门牌，泄露本企业未公开的仓储位置。",
        fields=["longitude"],
        now=received,
    )
    # 5 working days across National Day: 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13.
    assert first.clock is not None and first.clock.due_date == date(2026, 10, 13)
    suspended = complaints.suspend(
        platform, actor=provider, complaint_id=first.id, reason="先行暂停", now=received
    )
    assert suspended.status == "suspended"
    # Reprocessing names a newer version: version 1 (the one complained about) is refused.
    stale = api.post(
        f"/api/v1/complaints/{first.id}/decision",
        json={"decision": "reprocess", "note": "已脱敏", "version": 1},
        headers=as_(actors, "staff_a"),
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_not_newer"
    missing = api.post(
        f"/api/v1/complaints/{first.id}/decision",
        json={"decision": "reprocess", "note": "已脱敏"},
        headers=as_(actors, "staff_a"),
    )
    assert missing.status_code == 422
    coarse = CSV.replace(b"121.4737", b"121.47").replace(b"121.5055", b"121.51")
    assert upload(api, actors, coarse) == 2
    assert reads(api, actors, "anonymous")[0] in (403, 404)  # still suspended after the new upload
    reprocessed = complaints.decide(
        platform,
        actor=provider,
        complaint_id=first.id,
        decision=ComplaintDecision.REPROCESS,
        note="经度已降低精度至两位小数后重新开放。",
        version=2,
        now=datetime(2026, 10, 12, 10, tzinfo=SH),
    )
    assert reprocessed.status == "reprocessed" and reprocessed.reprocessed_version == 2
    assert reprocessed.dataset_state == "published"
    assert reprocessed.clock is not None and reprocessed.clock.closed and not reprocessed.clock.overdue
    records = api.get(f"/api/v1/datasets/{CODE}/records")
    assert records.status_code == 200 and records.json()["version"] == 2
    # The version complained about is retracted: not downloadable from the history any more.
    old = api.get(f"/api/v1/datasets/{CODE}/versions/1/download.csv")
    assert old.status_code == 404 and old.json()["error"]["code"] == "version_retracted"
    assert b"121.4737" not in api.get(f"/api/v1/datasets/{CODE}/download.csv").content
    listed = {v["version"]: v["retracted"] for v in api.get(f"/api/v1/datasets/{CODE}/versions").json()}
    assert listed == {1: True, 2: False}

    # A second complaint ends in withdrawal (without a prior suspension).
    second = complain(api, actors, who="person_l0")
    withdrawn = api.post(
        f"/api/v1/complaints/{second}/decision",
        json={"decision": "withdraw", "note": "确认涉及个人隐私，撤回该数据集。"},
        headers=as_(actors, "staff_a"),
    )
    assert withdrawn.status_code == 200, withdrawn.json()
    assert withdrawn.json()["status"] == "withdrawn" and withdrawn.json()["dataset_state"] == "withdrawn"
    assert reads(api, actors, "person_l1")[0] in (403, 404)
    assert inbox(platform, actors.user_ids["person_l0"])[-1] == "complaint.withdrawn"
    mine = api.get("/api/v1/complaints?scope=mine", headers=as_(actors, "person_l0")).json()
    assert [c["id"] for c in mine["items"]] == [second]
    provider_list = api.get("/api/v1/complaints?scope=provider", headers=as_(actors, "staff_a")).json()
    assert provider_list["total"] == 2
    assert api.get(f"/api/v1/complaints/{second}", headers=as_(actors, "person_l1")).status_code == 404
    assert verify_audit_log(platform, actor=SYSTEM).ok


@pytest.mark.req("QUA-4")
def test_leak_trace_lists_exactly_who_downloaded_or_called(
    api: TestClient, platform: Platform, actors: Actors, dataset: str
) -> None:
    # person_l1 downloads twice with a token (audited download + api.call) and reads records once.
    assert (
        api.get(f"/api/v1/datasets/{CODE}/download.csv", headers=as_(actors, "person_l1")).status_code == 200
    )
    assert (
        api.get(f"/api/v1/datasets/{CODE}/download.json", headers=as_(actors, "person_l1")).status_code == 200
    )
    assert api.get(f"/api/v1/datasets/{CODE}/records", headers=as_(actors, "person_l1")).status_code == 200
    # company downloads version 1 explicitly.
    assert (
        api.get(
            f"/api/v1/datasets/{CODE}/versions/1/download.csv", headers=as_(actors, "company")
        ).status_code
        == 200
    )
    # An anonymous visitor downloads (the audit log keeps a salted hash of the address only).
    visitor = Principal(client_ip="203.0.113.7")
    datastore.download(platform, actor=visitor, ref=CODE, fmt="csv")
    datastore.download(platform, actor=visitor, ref=CODE, fmt="json")
    # person_l0 only looks at the catalog entry: not a read of the data.
    assert api.get(f"/api/v1/datasets/{CODE}", headers=as_(actors, "person_l0")).status_code == 200
    complaint_id = complain(api, actors, who="person_l0")
    url = f"/api/v1/complaints/{complaint_id}/leak-trace"
    assert api.get(url, headers=as_(actors, "person_l0")).status_code == 403
    assert api.get(url, headers=as_(actors, "staff_b")).status_code == 404
    trace = api.get(url, headers=as_(actors, "staff_a"))
    assert trace.status_code == 200, trace.json()
    body = trace.json()
    by_name = {i["username"]: i for i in body["items"] if i["kind"] == "user"}
    assert set(by_name) == {"person_l1", "company"}
    l1 = by_name["person_l1"]
    assert l1["counts"] == {"api.call": 3, "datastore.download": 2}
    assert l1["versions"] == [1] and l1["via_token"] is True and l1["user_kind"] == "person"
    assert by_name["company"]["counts"] == {"api.call": 1, "datastore.download": 1}
    anonymous = [i for i in body["items"] if i["kind"] == "anonymous"]
    assert len(anonymous) == 1 and anonymous[0]["ip_hash"] and anonymous[0]["total"] == 2
    assert anonymous[0]["ip_hash"] != "203.0.113.7"
    assert body["users"] == 2 and body["anonymous_callers"] == 1 and body["accesses"] == 9
    # The same trace as CSV, for the center and the authority too; every trace is audited.
    exported = api.get(f"{url}.csv", headers=as_(actors, "authority"))
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert sorted(r["username"] for r in rows) == ["anonymous", "company", "person_l1"]
    assert api.get(url, headers=as_(actors, "center")).status_code == 200
    with platform.db.reading() as session:
        traced = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "complaint.leak_trace")
        ).all()
    assert len(traced) == 3
    assert verify_audit_log(platform, actor=SYSTEM).ok


@pytest.mark.req("QUA-4", "ACC-6")
def test_suspension_stops_grant_holders_and_their_queries_are_traced(
    api: TestClient, platform: Platform, actors: Actors
) -> None:
    from publicdata.access.grants import issue_grant
    from publicdata.catalog.service import find_dataset

    conditional = {
        "open_class": "conditional",
        "grading": {"personal": 1, "organizational": 1, "object": 3},
        "conditions": [{"kind": "scenario", "description": "仅限公共服务场景"}],
        "application_materials": ["应用场景说明"],
    }
    doc = dataset_document("ORGA", code=CODE, **conditional)
    assert api.post("/api/v1/datasets", json=doc, headers=as_(actors, "staff_a")).status_code == 201
    assert upload(api, actors, CSV) == 1
    assert api.post(f"/api/v1/datasets/{CODE}/publish", headers=as_(actors, "admin")).status_code == 200
    with platform.db.transaction() as session:
        dataset = find_dataset(session, CODE)
        issue_grant(
            session,
            actor=SYSTEM,
            dataset_id=dataset.id,
            provider_id=dataset.provider_id,
            user_id=actors.user_ids["person_l1"],
            fields=["stop_name", "district_code", "longitude"],
            row_filter=[],
            valid_from=date(2026, 1, 1),
            valid_until=date(2030, 12, 31),
            daily_quota=1000,
            report_every_days=90,
        )
    assert reads(api, actors, "person_l1") == (200, 200, 200)
    assert reads(api, actors, "company")[0] == 403
    complaint_id = complain(api, actors, who="company")
    suspended = api.post(
        f"/api/v1/complaints/{complaint_id}/suspend",
        json={"reason": "先行暂停"},
        headers=as_(actors, "staff_a"),
    )
    assert suspended.status_code == 200, suspended.json()
    records, sql, download = reads(api, actors, "person_l1")  # the grant no longer serves anything
    assert records in (403, 404) and download in (403, 404) and sql == 400
    trace = api.get(f"/api/v1/complaints/{complaint_id}/leak-trace", headers=as_(actors, "center")).json()
    assert [i["username"] for i in trace["items"]] == ["person_l1"]
    counts = trace["items"][0]["counts"]
    # records + SQL are audited queries; the token calls to records and download name the dataset in
    # their path (the SQL call does not: it is traced by its datastore.query entry).
    assert counts == {"api.call": 2, "datastore.download": 1, "datastore.query": 2}
