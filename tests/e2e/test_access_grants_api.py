"""Grants over HTTP: scope enforcement on records / SQL / downloads, quota, call log and flags, grant
state, token and offline delivery, usage reports, misuse reports, violations and the public notice."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from publicdata.access.grant_tables import AccessGrant, GrantCall
from publicdata.access.grants import issue_grant
from publicdata.app import create_app
from publicdata.audit.tables import AuditRecord
from publicdata.catalog.service import find_dataset
from publicdata.identity.permissions import SYSTEM
from publicdata.notifications.tables import Notification
from publicdata.platform import Platform
from tests.helpers import PASSWORD, Actors, auth_header, dataset_document, make_actors

SH = ZoneInfo("Asia/Shanghai")
ROWS = [
    ("人民广场站", "310101", "121.4737", "secret-a"),
    ("陆家嘴站", "310115", "121.5055", "secret-b"),
    ("徐家汇站", "310104", "121.4365", "secret-c"),
    ("南京东路站", "310101", "121.4840", "secret-d"),
]
CSV = ("stop_name,district_code,longitude,note\n" + "".join(",".join(r) + "\n" for r in ROWS)).encode()
CONDITIONAL = {
    "open_class": "conditional",
    "grading": {"personal": 1, "organizational": 1, "object": 3},
    "conditions": [{"kind": "scenario", "description": "仅限公共服务场景"}],
    "application_materials": ["应用场景说明"],
}
ALLOWED = ["stop_name", "district_code"]
FILTER = [{"column": "district_code", "op": "eq", "value": "310101"}]


@pytest.fixture
def api(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


def as_(actors: Actors, who: str) -> dict[str, str]:
    return auth_header(actors.tokens[who])


def make_conditional(api: TestClient, actors: Actors, code: str = "SH-ORGA-COND") -> str:
    doc = dataset_document("ORGA", code=code, **CONDITIONAL)
    assert api.post("/api/v1/datasets", json=doc, headers=as_(actors, "staff_a")).status_code == 201
    up = api.post(
        f"/api/v1/datasets/{code}/uploads?wait=true",
        files={"file": ("站点.csv", io.BytesIO(CSV), "text/csv")},
        headers=as_(actors, "staff_a"),
    )
    assert up.json()["state"] == "succeeded", up.json()
    assert api.post(f"/api/v1/datasets/{code}/publish", headers=as_(actors, "admin")).status_code == 200
    return code


def grant(
    platform: Platform,
    actors: Actors,
    code: str,
    *,
    who: str = "person_l1",
    quota: int = 1000,
    valid_from: date = date(2026, 1, 1),
    valid_until: date = date(2030, 12, 31),
) -> str:
    with platform.db.transaction() as session:
        dataset = find_dataset(session, code)
        issued = issue_grant(
            session,
            actor=SYSTEM,
            dataset_id=dataset.id,
            provider_id=dataset.provider_id,
            user_id=actors.user_ids[who],
            fields=ALLOWED,
            row_filter=FILTER,
            valid_from=valid_from,
            valid_until=valid_until,
            daily_quota=quota,
            report_every_days=90,
        )
        return issued.id


@pytest.fixture
def granted(api: TestClient, platform: Platform, actors: Actors) -> tuple[str, str]:
    code = make_conditional(api, actors)
    return code, grant(platform, actors, code)


@pytest.mark.req("ACC-6", "PLT-8")
def test_a_column_outside_the_grant_is_never_returned(
    api: TestClient, platform: Platform, actors: Actors, granted: tuple[str, str], tmp_path: Path
) -> None:
    code, grant_id = granted
    me = as_(actors, "person_l1")
    # Without the grant: refused as before.
    assert api.get(f"/api/v1/datasets/{code}/records", headers=as_(actors, "person_l0")).status_code == 403
    # Records: default fields are the allowed ones, rows pass the filter.
    body = api.get(f"/api/v1/datasets/{code}/records", headers=me).json()
    assert [f["name"] for f in body["fields"]] == ALLOWED
    assert body["records"] == [
        {"stop_name": "人民广场站", "district_code": "310101"},
        {"stop_name": "南京东路站", "district_code": "310101"},
    ]
    assert "secret" not in json.dumps(body)
    # Naming a hidden column anywhere is refused clearly (403) and logged as a flagged call.
    for params in (
        {"fields": "stop_name,note"},
        {"note": "secret-a"},
        {"sort": "-note"},
        {"q": "x", "note__ne": "a"},
    ):
        refused = api.get(f"/api/v1/datasets/{code}/records", params=params, headers=me)
        assert refused.status_code == 403, params
        assert refused.json()["error"]["code"] == "field_outside_grant" and refused.json()["error"][
            "details"
        ]["fields"] == ["note"]
    # A filter on an allowed column cannot reach filtered-out rows either.
    other = api.get(f"/api/v1/datasets/{code}/records", params={"district_code": "310115"}, headers=me).json()
    assert other["records"] == []
    # SQL: the table is a view of the allowed columns and rows only.
    table = code.lower().replace("-", "_")
    star = api.post("/api/v1/sql", json={"sql": f"SELECT * FROM {table}"}, headers=me).json()
    assert [f["name"] for f in star["fields"]] == ALLOWED and star["row_count"] == 2
    assert "secret" not in json.dumps(star)
    counted = api.post("/api/v1/sql", json={"sql": f"SELECT count(*) AS n FROM {table}"}, headers=me).json()
    assert counted["records"] == [{"n": 2}]
    named = api.post("/api/v1/sql", json={"sql": f"SELECT stop_name, note FROM {table}"}, headers=me)
    assert named.status_code == 403 and named.json()["error"]["code"] == "field_outside_grant"
    hidden_where = api.post(
        "/api/v1/sql", json={"sql": f"SELECT 1 FROM {table} t WHERE t.note LIKE 's%'"}, headers=me
    )
    assert hidden_where.status_code == 403
    # Downloads in every format carry the scope only.
    rows_csv = list(
        csv.reader(io.StringIO(api.get(f"/api/v1/datasets/{code}/download.csv", headers=me).text))
    )
    assert rows_csv == [ALLOWED, ["人民广场站", "310101"], ["南京东路站", "310101"]]
    as_json = api.get(f"/api/v1/datasets/{code}/download.json", headers=me).json()
    assert as_json == [
        {"stop_name": "人民广场站", "district_code": "310101"},
        {"stop_name": "南京东路站", "district_code": "310101"},
    ]
    sheet = load_workbook(
        io.BytesIO(api.get(f"/api/v1/datasets/{code}/download.xlsx", headers=me).content)
    ).active
    assert sheet is not None and [list(r) for r in sheet.iter_rows(values_only=True)] == [
        ALLOWED,
        ["人民广场站", "310101"],
        ["南京东路站", "310101"],
    ]
    parquet = tmp_path / "scoped.parquet"
    parquet.write_bytes(api.get(f"/api/v1/datasets/{code}/download.parquet", headers=me).content)
    read = duckdb.sql(f"SELECT * FROM read_parquet('{parquet}')")
    assert read.columns == ALLOWED and len(read.fetchall()) == 2
    # The version listing shows the grant's columns, no statistics.
    version = api.get(f"/api/v1/datasets/{code}/versions/1", headers=me).json()
    assert [f["name"] for f in version["fields"]] == ALLOWED and "statistics" not in version
    # The provider still previews everything (unchanged behaviour).
    full = api.get(f"/api/v1/datasets/{code}/records", headers=as_(actors, "staff_a")).json()
    assert len(full["records"]) == 4 and "note" in full["records"][0]
    # Call log: every read and every refusal, with who, endpoint, fields, rows.
    calls = api.get(f"/api/v1/grants/{grant_id}/calls", headers=me).json()
    assert len(calls) == 14
    refused_calls = [c for c in calls if c["outcome"] == "refused"]
    assert len(refused_calls) == 6 and all(c["flags"] == ["fields_outside_grant"] for c in refused_calls)
    served = [c for c in calls if c["outcome"] == "served"]
    assert {c["endpoint"] for c in served} == {"records", "sql", "download"}
    assert all(c["user_id"] == actors.user_ids["person_l1"] for c in calls)
    with platform.db.reading() as session:
        audited = session.scalars(
            select(AuditRecord).where(AuditRecord.action.in_(["datastore.query", "datastore.download"]))
        ).all()
        assert sum(1 for a in audited if json.loads(a.details).get("grant_id") == grant_id) == 8
        refusals = session.scalars(
            select(AuditRecord).where(AuditRecord.action == "datastore.query_refused")
        ).all()
        assert len(refusals) == 6


@pytest.mark.req("ACC-10")
def test_daily_quota_exceeded_answers_429_until_midnight(
    api: TestClient, platform: Platform, actors: Actors
) -> None:
    code = make_conditional(api, actors)
    grant(platform, actors, code, quota=2)
    me = as_(actors, "person_l1")
    assert api.get(f"/api/v1/datasets/{code}/records", headers=me).status_code == 200
    assert api.get(f"/api/v1/datasets/{code}/download.csv", headers=me).status_code == 200
    over = api.get(f"/api/v1/datasets/{code}/records", headers=me)
    assert over.status_code == 429 and over.json()["error"]["code"] == "grant_quota_exceeded"
    wait = int(over.headers["Retry-After"])
    now = datetime.now(SH)
    midnight = datetime.combine(now.date(), datetime.min.time(), tzinfo=SH).timestamp() + 86400
    assert abs(wait - (midnight - now.timestamp())) < 5
    assert "每日调用额度" in over.json()["error"]["message_zh"]
    table = code.lower().replace("-", "_")
    assert api.post("/api/v1/sql", json={"sql": f"SELECT * FROM {table}"}, headers=me).status_code == 429


@pytest.mark.req("ACC-6", "ACC-10", "PLT-8")
def test_grants_api_state_changes_token_and_offline_delivery(
    api: TestClient, platform: Platform, actors: Actors, granted: tuple[str, str]
) -> None:
    code, grant_id = granted
    me = as_(actors, "person_l1")
    mine = api.get("/api/v1/grants", headers=me).json()
    assert [g["id"] for g in mine] == [grant_id] and mine[0]["fields"] == ALLOWED
    assert mine[0]["next_report_due"] == "2026-04-01" and mine[0]["quota_left_today"] == 1000
    assert api.get(f"/api/v1/grants/{grant_id}", headers=as_(actors, "person_l0")).status_code == 403
    assert [
        g["id"] for g in api.get("/api/v1/grants?scope=provider", headers=as_(actors, "staff_a")).json()
    ] == [grant_id]
    assert api.get("/api/v1/grants?scope=provider", headers=as_(actors, "staff_b")).json() == []
    assert len(api.get("/api/v1/grants?scope=all", headers=as_(actors, "center")).json()) == 1
    assert api.get("/api/v1/grants?scope=all", headers=me).status_code == 403
    # A token delivered for the grant reads under it.
    # (tokens are managed from a signed-in session, as for the account's own tokens)
    assert api.post(f"/api/v1/grants/{grant_id}/token", json={}, headers=me).status_code == 403
    signed_in = api.post("/api/v1/auth/login", json={"username": "person_l1", "password": PASSWORD})
    csrf = {"X-CSRF-Token": signed_in.json()["csrf_token"]}
    token = api.post(f"/api/v1/grants/{grant_id}/token", json={"expires_in_days": 30}, headers=csrf)
    assert token.status_code == 201, token.json()
    api.cookies.clear()
    got = api.get(f"/api/v1/datasets/{code}/records", headers=auth_header(token.json()["token"]))
    assert got.status_code == 200 and len(got.json()["records"]) == 2
    assert api.get(f"/api/v1/grants/{grant_id}", headers=me).json()["token_id"] == token.json()["token_id"]
    # Suspension by the provider stops reads with a clear reason; only staff of the provider may.
    assert api.post(f"/api/v1/grants/{grant_id}/suspend", json={"reason": "x"}, headers=me).status_code == 403
    assert (
        api.post(
            f"/api/v1/grants/{grant_id}/suspend", json={"reason": "核查"}, headers=as_(actors, "staff_b")
        ).status_code
        == 403
    )
    done = api.post(
        f"/api/v1/grants/{grant_id}/suspend", json={"reason": "核查调用"}, headers=as_(actors, "staff_a")
    )
    assert done.json()["state"] == "suspended" and done.json()["suspension_cause"] == "provider"
    refused = api.get(f"/api/v1/datasets/{code}/records", headers=me)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "grant_suspended"
    assert "核查调用" in refused.json()["error"]["message"]
    resumed = api.post(
        f"/api/v1/grants/{grant_id}/resume", json={"reason": "已核查"}, headers=as_(actors, "center")
    )
    assert resumed.json()["state"] == "active"
    assert api.get(f"/api/v1/datasets/{code}/records", headers=me).status_code == 200
    # Offline delivery: recorded, audited and reported to the authority.
    offline = api.post(
        f"/api/v1/grants/{grant_id}/offline-delivery",
        json={"method": "加密移动硬盘", "delivered_on": "2026-10-09", "recipient": "张三"},
        headers=as_(actors, "staff_a"),
    )
    assert offline.status_code == 200 and offline.json()["delivery"] == "offline"
    with platform.db.reading() as session:
        told = session.scalars(
            select(Notification).where(
                Notification.kind == "access.offline_delivery",
                Notification.user_id == actors.user_ids["authority"],
            )
        ).all()
        assert len(told) == 1 and "加密移动硬盘" in told[0].body_zh
        assert session.scalar(
            select(AuditRecord.seq).where(AuditRecord.action == "access.grant_offline_delivery")
        )
    # Closing ends it for good.
    closed = api.post(
        f"/api/v1/grants/{grant_id}/close", json={"reason": "协议终止"}, headers=as_(actors, "staff_a")
    )
    assert closed.json()["state"] == "closed"
    assert api.get(f"/api/v1/datasets/{code}/records", headers=me).json()["error"]["code"] == "grant_closed"
    assert (
        api.post(
            f"/api/v1/grants/{grant_id}/resume", json={"reason": "x"}, headers=as_(actors, "staff_a")
        ).status_code
        == 409
    )


@pytest.mark.req("ACC-10", "ACC-11")
def test_violation_closes_access_is_published_and_lifted(
    api: TestClient, platform: Platform, actors: Actors, granted: tuple[str, str]
) -> None:
    code, grant_id = granted
    me = as_(actors, "person_l1")
    # Anyone reports misuse, anonymously too.
    report = api.post(
        "/api/v1/misuse-reports", json={"description": "有人转售该数据", "dataset": code, "subject": "某公司"}
    )
    assert report.status_code == 201 and report.json()["state"] == "open"
    listed = api.get("/api/v1/misuse-reports", headers=as_(actors, "center")).json()
    assert [r["id"] for r in listed] == [report.json()["id"]] and listed[0]["reporter_id"] is None
    assert api.get("/api/v1/misuse-reports", headers=me).status_code == 403
    body = {
        "user_id": actors.user_ids["person_l1"],
        "kind": "beyond_scenario",
        "description": "超出约定场景，将数据用于商业营销",
        "measure": "close",
        "misuse_report_id": report.json()["id"],
        "publish": True,
        "public_summary": "某用户超出约定场景使用有条件开放数据，已关闭其数据访问。",
    }
    # A provider may not close a user's access; the center may.
    assert api.post("/api/v1/violations", json=body, headers=as_(actors, "staff_a")).status_code == 403
    recorded = api.post("/api/v1/violations", json=body, headers=as_(actors, "center"))
    assert recorded.status_code == 201, recorded.json()
    assert recorded.json()["suspended_grants"] == [grant_id]
    refused = api.get(f"/api/v1/datasets/{code}/records", headers=me)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "access_restricted"
    notice = api.get("/api/v1/violations/public").json()
    assert len(notice) == 1 and notice[0]["kind"] == "beyond_scenario" and notice[0]["measure"] == "close"
    assert notice[0]["public_summary"] == body["public_summary"] and notice[0]["lifted_at"] is None
    assert "user_id" not in notice[0] and "description" not in notice[0]
    page = api.get("/notices/violations")
    assert page.status_code == 200 and "超出约定场景使用" in page.text and body["public_summary"] in page.text
    # The center's own grant resume is refused while the violation holds.
    held = api.post(f"/api/v1/grants/{grant_id}/resume", json={"reason": "x"}, headers=as_(actors, "center"))
    assert held.status_code == 409 and held.json()["error"]["code"] == "grant_held_by_violation"
    lifted = api.post(
        f"/api/v1/violations/{recorded.json()['id']}/lift",
        json={"reason": "已整改"},
        headers=as_(actors, "center"),
    )
    assert lifted.status_code == 200 and lifted.json()["resumed_grants"] == [grant_id]
    assert api.get(f"/api/v1/datasets/{code}/records", headers=me).status_code == 200
    assert api.get("/api/v1/violations/public").json()[0]["lifted_at"] is not None
    with platform.db.reading() as session:
        actions = set(session.scalars(select(AuditRecord.action).where(AuditRecord.action.like("access.%"))))
    assert {"access.misuse_report", "access.violation_record", "access.violation_lift"} <= actions
    assert {"access.grant_suspend", "access.grant_resume"} <= actions
    verified = api.get("/api/v1/audit/verify", headers=as_(actors, "admin"))
    assert verified.status_code == 200 and verified.json()["ok"] is True


@pytest.mark.req("ACC-11")
def test_provider_restricts_access_to_its_dataset_only(
    api: TestClient, platform: Platform, actors: Actors, granted: tuple[str, str]
) -> None:
    code, grant_id = granted
    other = make_conditional(api, actors, "SH-ORGA-COND2")
    other_grant = grant(platform, actors, other)
    body = {
        "user_id": actors.user_ids["person_l1"],
        "kind": "platform_rules",
        "description": "频繁越权请求",
        "measure": "restrict",
        "dataset": code,
    }
    recorded = api.post("/api/v1/violations", json=body, headers=as_(actors, "staff_a"))
    assert recorded.status_code == 201 and recorded.json()["suspended_grants"] == [grant_id]
    me = as_(actors, "person_l1")
    assert api.get(f"/api/v1/datasets/{code}/records", headers=me).status_code == 403
    assert api.get(f"/api/v1/datasets/{other}/records", headers=me).status_code == 200
    assert api.get("/api/v1/violations/public").json() == []  # not published
    with platform.db.reading() as session:
        assert session.get(AccessGrant, other_grant).state == "active"  # type: ignore[union-attr]


@pytest.mark.req("ACC-10", "PLT-8")
def test_unusual_use_is_flagged_and_reported_once_a_day(
    api: TestClient, platform: Platform, actors: Actors
) -> None:
    code = make_conditional(api, actors)
    grant_id = grant(platform, actors, code, quota=5)
    me = as_(actors, "person_l1")
    for _ in range(3):
        assert api.get(f"/api/v1/datasets/{code}/records", headers=me).status_code == 200
    calls = api.get(f"/api/v1/grants/{grant_id}/calls", headers=me).json()
    # 2 rows in scope; the third full pass (6 rows) is bulk paging beyond the scope.
    assert [c["flags"] for c in reversed(calls)] == [[], [], ["bulk_paging"]]
    api.get(f"/api/v1/datasets/{code}/records", params={"limit": 1}, headers=me)
    api.get(f"/api/v1/datasets/{code}/records", params={"limit": 1}, headers=me)
    latest = api.get(f"/api/v1/grants/{grant_id}/calls", headers=me).json()[0]
    assert "quota_spike" in latest["flags"]  # 5 calls in an hour > 80 % of a quota of 5
    flags = api.get("/api/v1/grant-flags", headers=as_(actors, "center")).json()
    assert len(flags) == 3 and {f["grant_id"] for f in flags} == {grant_id}
    assert len(api.get("/api/v1/grant-flags", headers=as_(actors, "staff_a")).json()) == 3
    assert api.get("/api/v1/grant-flags", headers=as_(actors, "staff_b")).json() == []
    assert api.get("/api/v1/grant-flags", headers=me).status_code == 403
    with platform.db.reading() as session:
        notes = session.scalars(select(Notification).where(Notification.kind == "access.grant_flag")).all()
        by_user: dict[str, int] = {}
        for n in notes:
            by_user[n.user_id] = by_user.get(n.user_id, 0) + 1
        assert by_user == {actors.user_ids["staff_a"]: 1, actors.user_ids["center"]: 1}
        assert session.scalar(select(GrantCall.id).where(GrantCall.grant_id == grant_id)) is not None


@pytest.mark.req("ACC-9", "ACC-10", "ACC-11")
def test_portal_pages_of_grants(
    api: TestClient, platform: Platform, actors: Actors, granted: tuple[str, str]
) -> None:
    code, grant_id = granted
    me = as_(actors, "person_l1")
    api.get(f"/api/v1/datasets/{code}/records", params={"fields": "note"}, headers=me)
    mine = api.get("/grants.json", headers=me).json()
    assert [g["id"] for g in mine["items"]] == [grant_id] and mine["items"][0]["calls_today"] == 0
    page = api.get(f"/grants/{grant_id}", headers=me)
    assert page.status_code == 200 and "提交使用情况报告" in page.text and "请求授权范围外字段" in page.text
    assert "File a usage report" in api.get(f"/grants/{grant_id}?lang=en", headers=me).text
    form = {
        "scenarios": "导航",
        "service_targets": "市民",
        "business_model": "免费",
        "calls": "100",
        "fields_used": "stop_name",
        "algorithms": "无",
        "benefits": "便民",
        "quality_suggestions": "无",
        "security_measures": "加密",
    }
    missing = api.post(f"/grants/{grant_id}/report", data={**form, "benefits": ""}, headers=me)
    assert missing.status_code == 422 and "benefits" in missing.text
    filed = api.post(f"/grants/{grant_id}/report", data=form, headers=me, follow_redirects=False)
    assert filed.status_code == 303 and filed.headers["location"].endswith("notice=report_filed")
    assert len(api.get(f"/api/v1/grants/{grant_id}/reports", headers=me).json()) == 1
    overview = api.get("/grants/overview.json", headers=as_(actors, "center")).json()
    assert len(overview["items"]) == 1 and overview["flags"][0]["flags"] == ["fields_outside_grant"]
    assert api.get("/grants/overview", headers=as_(actors, "staff_a")).status_code == 200
    assert api.get("/misuse-report").status_code == 200
    assert api.get("/notices/violations.json").json() == {"items": []}
