"""Objections (QUA-3) over the API, with real deadlines across National Day 2026.

Received Wednesday 2026-09-30 (the last working day before the holiday, 10-01..10-07):
- mark within 1 working day → Thursday 2026-10-08;
- decide or forward within 2 working days → Friday 2026-10-09;
- forwarded on 2026-10-09, the provider decides within 5 working days → 10-10 (Saturday, a make-up
  working day), 10-12, 10-13, 10-14, 10-15 → Thursday 2026-10-15.
"""

from __future__ import annotations

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
from publicdata.identity import auth
from publicdata.identity.permissions import SYSTEM, Principal
from publicdata.notifications.tables import Notification
from publicdata.objections import service
from publicdata.objections.model import ObjectionKind, Outcome
from publicdata.platform import Platform
from publicdata.workorders.scheduled import tick
from publicdata.workorders.tables import WorkOrder
from tests.helpers import PASSWORD, Actors, auth_header, dataset_document, make_actors

SH = ZoneInfo("Asia/Shanghai")
HEADER = "stop_name,district_code,longitude\n"
STATION = "上海火车站南广场公交枢纽,310101,121.4737\n"
CSV = (HEADER + STATION + "陆家嘴环路东昌路公交站,310115,121.5055\n").encode()
CSV_FIXED = (HEADER + STATION + "陆家嘴环路东昌路公交站,310115,121.5071\n").encode()
CODE = "SH-ORGA-OBJ"


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=SH)


@pytest.fixture
def api(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


def who(platform: Platform, username: str) -> Principal:
    return auth.authenticate(platform, username=username, password=PASSWORD)


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
    created = api.post(
        "/api/v1/datasets", json=dataset_document("ORGA", code=CODE), headers=as_(actors, "staff_a")
    )
    assert created.status_code == 201, created.json()
    assert upload(api, actors, CSV) == 1
    published = api.post(f"/api/v1/datasets/{CODE}/publish", headers=as_(actors, "admin"))
    assert published.status_code == 200, published.json()
    return CODE


def inbox(platform: Platform, user_id: str) -> list[str]:
    with platform.db.reading() as session:
        return list(
            session.scalars(
                select(Notification.kind)
                .where(Notification.user_id == user_id)
                .order_by(Notification.created_at)
            )
        )


def panel(api: TestClient) -> dict[str, object]:
    page = api.get(f"/datasets/{CODE}.json")
    assert page.status_code == 200, page.text
    result: dict[str, object] = page.json()["panels"]["objections"]
    return result


@pytest.mark.req("QUA-3")
def test_objection_marked_forwarded_and_decided_by_the_provider(
    api: TestClient, platform: Platform, actors: Actors, dataset: str
) -> None:
    person = who(platform, "person_l1")
    received = service.submit_objection(
        platform,
        actor=person,
        dataset_ref=CODE,
        kind=ObjectionKind.ERROR,
        description="陆家嘴环路东昌路公交站的经度有误，应为121.5071。",
        fields=["longitude"],
        rows="stop_name = 陆家嘴环路东昌路公交站",
        now=at("2026-09-30"),
    )
    assert received.status == "received" and received.data_version == 1
    assert received.mark_due_date == date(2026, 10, 8)
    assert received.decision_clock is not None and received.decision_clock.due_date == date(2026, 10, 9)
    # Submitting the same objection again returns the first one.
    again = api.post(
        f"/api/v1/datasets/{CODE}/objections",
        json={
            "kind": "error",
            "description": "陆家嘴环路东昌路公交站的经度有误，应为121.5071。",
            "fields": ["longitude"],
        },
        headers=as_(actors, "person_l1"),
    )
    assert again.status_code == 201 and again.json()["id"] == received.id
    assert panel(api)["objection_pending"] is False  # not marked yet

    center = who(platform, "center")
    marked = service.mark_objection(platform, actor=center, objection_id=received.id, now=at("2026-10-08", 9))
    assert marked.status == "marked" and marked.mark_late is False and marked.pending is True
    shown = panel(api)
    assert shown["objection_pending"] is True and shown["pending_count"] == 1
    public = api.get(f"/api/v1/datasets/{CODE}/objections").json()
    assert public["objection_pending"] is True
    assert public["items"][0]["kind"] == "error" and "description" not in public["items"][0]
    mine = api.get(f"/api/v1/datasets/{CODE}/objections", headers=as_(actors, "person_l1")).json()
    assert mine["items"][0]["description"].startswith("陆家嘴环路东昌路公交站")

    forwarded = service.forward_objection(
        platform,
        actor=center,
        objection_id=received.id,
        note="属数据提供方职责范围",
        now=at("2026-10-09", 15),
    )
    assert forwarded.status == "forwarded"
    assert forwarded.decision_clock is not None
    assert forwarded.decision_clock.due_date == date(2026, 10, 15)  # across the make-up Saturday 10-10
    assert forwarded.decision_clock.order_id == forwarded.verification_order_id
    # The center's own order closed on time when it forwarded.
    with platform.db.reading() as session:
        review = session.get(WorkOrder, forwarded.review_order_id)
        assert review is not None and review.state == "forwarded" and review.closed_at is not None

    # Only the provider's staff decide now; the center no longer can.
    decision = {"outcome": "upheld", "result": "经核实，陆家嘴环路东昌路公交站经度有误，将予更正。"}
    url = f"/api/v1/objections/{received.id}/decision"
    assert api.post(url, json=decision, headers=as_(actors, "staff_b")).status_code == 404
    assert api.post(url, json=decision, headers=as_(actors, "center")).status_code == 403
    provider = who(platform, "staff_a")
    upheld = service.decide_objection(
        platform,
        actor=provider,
        objection_id=received.id,
        outcome=Outcome.UPHELD,
        result=decision["result"],
        now=at("2026-10-14", 16),
    )
    assert upheld.status == "upheld" and upheld.decided_by == "provider"
    assert upheld.decision_clock is not None and upheld.decision_clock.overdue is False
    assert panel(api)["objection_pending"] is True  # until the correction is made
    assert "objection.upheld" in inbox(platform, actors.user_ids["person_l1"])

    # The correction: a new data version through the data store, linked on the objection.
    correction_url = f"/api/v1/objections/{received.id}/correction"
    stale = api.post(correction_url, json={"version": 1}, headers=as_(actors, "staff_a"))
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "version_not_newer"
    assert api.post(correction_url, json={}, headers=as_(actors, "staff_a")).status_code == 422
    assert upload(api, actors, CSV_FIXED) == 2
    corrected = api.post(
        correction_url, json={"version": 2, "note": "已上传更正版本"}, headers=as_(actors, "staff_a")
    )
    assert corrected.status_code == 200, corrected.json()
    assert corrected.json()["status"] == "corrected" and corrected.json()["correction_version"] == 2
    assert panel(api)["objection_pending"] is False
    kinds = inbox(platform, actors.user_ids["person_l1"])
    assert (
        kinds.count("objection.corrected") == 1
        and "objection.marked" in kinds
        and "objection.forwarded" in kinds
    )

    with platform.db.reading() as session:
        actions = set(
            session.scalars(
                select(AuditRecord.action).where(
                    AuditRecord.subject_id.in_([received.id, received.review_order_id])
                )
            )
        )
    assert {"objection.submit", "objection.correct", "workorder.mark", "workorder.forward"} <= actions
    assert verify_audit_log(platform, actor=SYSTEM).ok


@pytest.mark.req("QUA-3")
def test_center_decides_a_correction_in_its_own_scope(
    api: TestClient, platform: Platform, actors: Actors, dataset: str
) -> None:
    created = api.post(
        f"/api/v1/datasets/{CODE}/objections",
        json={"kind": "omission", "description": "缺少2024年12月新增站点。", "rows": "2024-12"},
        headers=as_(actors, "company"),
    )
    assert created.status_code == 201, created.json()
    objection_id = created.json()["id"]
    assert api.post(
        f"/api/v1/objections/{objection_id}/mark", json={}, headers=as_(actors, "person_l1")
    ).status_code in (
        403,
        404,
    )
    marked = api.post(
        f"/api/v1/objections/{objection_id}/mark", json={"note": "已标注"}, headers=as_(actors, "center")
    )
    assert marked.status_code == 200 and marked.json()["status"] == "marked"
    assert marked.json()["my_actions"] == ["forward", "uphold", "dismiss"]
    dismissed = api.post(
        f"/api/v1/objections/{objection_id}/decision",
        json={"outcome": "dismissed", "result": "该站点于2025年启用，不属于2024年数据范围。"},
        headers=as_(actors, "center"),
    )
    assert dismissed.status_code == 200, dismissed.json()
    body = dismissed.json()
    assert (
        body["status"] == "dismissed"
        and body["decided_by"] == "center"
        and body["verification_order_id"] is None
    )
    assert body["result"].startswith("该站点")
    assert api.get(f"/api/v1/datasets/{CODE}/objections").json()["objection_pending"] is False
    again = api.post(
        f"/api/v1/objections/{objection_id}/decision",
        json={"outcome": "upheld", "result": "x"},
        headers=as_(actors, "center"),
    )
    assert again.status_code == 409
    assert inbox(platform, actors.user_ids["company"])[-1] == "objection.dismissed"
    listed = api.get("/api/v1/objections?scope=mine", headers=as_(actors, "company")).json()
    assert [o["id"] for o in listed["items"]] == [objection_id]
    assert api.get("/api/v1/objections?scope=center", headers=as_(actors, "company")).status_code == 404
    assert api.get(f"/api/v1/objections/{objection_id}", headers=as_(actors, "person_l0")).status_code == 404
    assert (
        api.post(
            f"/api/v1/datasets/{CODE}/objections", json={"kind": "error", "description": "匿名异议内容"}
        ).status_code
        == 401
    )


@pytest.mark.req("QUA-3")
def test_missed_marking_and_decision_deadlines_are_flagged_by_tick(
    api: TestClient, platform: Platform, actors: Actors, dataset: str
) -> None:
    received = service.submit_objection(
        platform,
        actor=who(platform, "person_l0"),
        dataset_ref=CODE,
        kind=ObjectionKind.ERROR,
        description="区划代码与站点不符。",
        fields=["district_code"],
        now=at("2026-09-30", 17),
    )
    # During the holiday nothing is late yet.
    assert tick(platform, now=at("2026-10-07", 23))["objections.mark_overdue.mark_overdue"] == 0
    # The morning after the marking deadline (10-08) it is flagged once; the decision is not due yet.
    counts = tick(platform, now=at("2026-10-09", 8))
    assert counts["objections.mark_overdue.mark_overdue"] == 1 and counts["overdue"] == 0
    assert tick(platform, now=at("2026-10-09", 9))["objections.mark_overdue.mark_overdue"] == 0
    late = service.get_objection(platform, actor=SYSTEM, objection_id=received.id, now=at("2026-10-09", 9))
    assert late.mark_late is True and late.mark_overdue_at is not None
    assert late.mark_clock is not None and late.mark_clock.overdue is True
    assert "objection.mark_overdue" in inbox(platform, actors.user_ids["center"])
    assert "objection.mark_overdue" in inbox(platform, actors.user_ids["authority"])
    # Saturday 10-10 is a make-up working day: the decision (due 10-09) is overdue then.
    counts = tick(platform, now=at("2026-10-10", 9))
    assert counts["overdue"] == 1
    overdue = service.get_objection(platform, actor=SYSTEM, objection_id=received.id, now=at("2026-10-10", 9))
    assert overdue.decision_clock is not None
    assert overdue.decision_clock.overdue is True and overdue.decision_clock.overdue_working_days == 1
    queue = api.get(
        "/api/v1/workorders?type=objection_review&overdue_only=true", headers=as_(actors, "center")
    )
    assert [o["id"] for o in queue.json()["items"]] == [received.review_order_id]
    # Marking late is still possible and recorded as late.
    marked = service.mark_objection(
        platform, actor=who(platform, "center"), objection_id=received.id, now=at("2026-10-10", 10)
    )
    assert marked.status == "marked" and marked.mark_late is True
    assert verify_audit_log(platform, actor=SYSTEM).ok
