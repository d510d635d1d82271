"""Open-list change review over HTTP (CAT-6, CAT-7, PLT-5): submit → return → resubmit → approve,
not-open documents, static conversion, changes to published entries, permissions."""

from __future__ import annotations

import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from publicdata.audit.tables import AuditRecord
from publicdata.platform import Platform
from tests.helpers import Actors, auth_header, dataset_document, make_actors

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


@pytest.fixture
def api(client: TestClient) -> TestClient:
    return client


def h(actors: Actors, who: str) -> dict[str, str]:
    return auth_header(actors.tokens[who])


def create_dataset(api: TestClient, actors: Actors, **overrides: Any) -> dict[str, Any]:
    r = api.post("/api/v1/datasets", json=dataset_document("ORGA", **overrides), headers=h(actors, "staff_a"))
    assert r.status_code == 201, r.text
    return dict(r.json())


def published_dataset(api: TestClient, actors: Actors, **overrides: Any) -> dict[str, Any]:
    d = create_dataset(api, actors, **overrides)
    r = api.post(f"/api/v1/datasets/{d['code']}/publish", headers=h(actors, "admin"))
    assert r.status_code == 200, r.text
    return dict(r.json())


def submit(api: TestClient, actors: Actors, dataset: str, change: str, **extra: Any) -> Any:
    body = {"dataset": dataset, "change": change, "reason": "新增开放需求：公众申请较多"} | extra
    return api.post("/api/v1/open-list/changes", json=body, headers=h(actors, "staff_a"))


def inbox(api: TestClient, actors: Actors, who: str) -> dict[str, Any]:
    r = api.get("/api/v1/me/inbox?limit=200", headers=h(actors, who))
    assert r.status_code == 200, r.text
    return dict(r.json())


def kinds(box: dict[str, Any]) -> list[str]:
    return [item["kind"] for item in box["items"]]


def audit_actions(platform: Platform, subject_id: str) -> list[str]:
    with platform.db.reading() as session:
        rows = session.scalars(
            select(AuditRecord).where(AuditRecord.subject_id == subject_id).order_by(AuditRecord.seq)
        )
        return [r.action for r in rows]


def upload_pdf(api: TestClient, actors: Actors, who: str = "staff_a") -> str:
    r = api.post(
        "/api/v1/workorders/uploads",
        files={"file": ("证明文件.pdf", io.BytesIO(PDF), "application/pdf")},
        headers=h(actors, who),
    )
    assert r.status_code == 201, r.text
    return str(r.json()["upload_id"])


@pytest.mark.req("CAT-6", "PLT-5")
def test_submit_return_with_two_reasons_resubmit_approve_publishes(
    api: TestClient, actors: Actors, platform: Platform
) -> None:
    d = create_dataset(api, actors)
    r = submit(api, actors, d["code"], "add")
    assert r.status_code == 201, r.text
    order = r.json()
    order_id = order["id"]
    assert order["state"] == "in_review" and order["type"] == "open_list_change"
    assert order["deadline"]["working_days"] == 5 and order["remaining_working_days"] >= 0
    assert (
        api.get(f"/api/v1/datasets/{d['code']}", headers=h(actors, "staff_a")).json()["state"] == "in_review"
    )
    assert "workorder.opened" in kinds(inbox(api, actors, "center"))

    # The center's queue lists it, sorted by due date, with the countdown.
    queue = api.get("/api/v1/workorders?scope=queue", headers=h(actors, "center")).json()
    assert [o["id"] for o in queue["items"]] == [order_id]
    assert {"remaining_working_days", "overdue", "deadline"} <= set(queue["items"][0])

    # Return with two reasons, all at once: the entry is editable again.
    r = api.post(
        f"/api/v1/open-list/changes/{order_id}/return",
        json={"reasons": ["incomplete_information", "other"], "other_text": "数据项说明过于简略"},
        headers=h(actors, "center"),
    )
    assert r.status_code == 200, r.text
    returned = r.json()
    assert returned["state"] == "returned" and returned["paused"] is True
    assert returned["payload"]["return_reasons"] == ["incomplete_information", "other"]
    dataset = api.get(f"/api/v1/datasets/{d['code']}", headers=h(actors, "staff_a")).json()
    assert dataset["state"] == "draft"
    assert "workorder.return" in kinds(inbox(api, actors, "staff_a"))

    # The provider amends and resubmits on the same order.
    r = api.patch(
        f"/api/v1/datasets/{d['code']}",
        json={
            "revision": dataset["revision"],
            "summary": dataset["summary"] + "数据项含义详见字段说明，坐标为WGS-84。",
        },
        headers=h(actors, "staff_a"),
    )
    assert r.status_code == 200, r.text
    r = api.post(
        f"/api/v1/open-list/changes/{order_id}/resubmit",
        json={"note": "已补充数据项说明"},
        headers=h(actors, "staff_a"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["id"] == order_id and r.json()["state"] == "in_review"
    assert r.json()["payload"]["rounds"] == 2 and r.json()["paused"] is False

    r = api.post(
        f"/api/v1/open-list/changes/{order_id}/approve", json={"note": "同意"}, headers=h(actors, "center")
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "approved" and r.json()["closed"] is True
    public = api.get(f"/api/v1/datasets/{d['code']}")
    assert public.status_code == 200 and public.json()["state"] == "published"

    detail = api.get(f"/api/v1/workorders/{order_id}", headers=h(actors, "staff_a")).json()
    assert [e["action"] for e in detail["history"]] == ["open", "return", "resubmit", "approve"]
    assert detail["history"][1]["details"]["reasons"] == ["incomplete_information", "other"]

    # Every step is audited (work order and dataset) and notified.
    assert audit_actions(platform, order_id) == [
        "workorder.open",
        "workorder.return",
        "workorder.resubmit",
        "workorder.approve",
    ]
    dataset_actions = audit_actions(platform, d["id"])
    assert dataset_actions == [
        "dataset.create",
        "dataset.state.in_review",
        "dataset.state.draft",
        "dataset.update",
        "dataset.state.in_review",
        "dataset.publish",
    ]
    center_box, staff_box = inbox(api, actors, "center"), inbox(api, actors, "staff_a")
    assert kinds(center_box).count("workorder.resubmit") == 1
    assert {"workorder.return", "workorder.approve"} <= set(kinds(staff_box))
    assert staff_box["unread"] >= 2
    first = staff_box["items"][0]["id"]
    assert api.post(f"/api/v1/me/inbox/{first}/read", headers=h(actors, "staff_a")).status_code == 200
    assert inbox(api, actors, "staff_a")["unread"] == staff_box["unread"] - 1


@pytest.mark.req("CAT-6")
def test_return_reasons_are_the_fixed_list_and_other_needs_text(api: TestClient, actors: Actors) -> None:
    d = create_dataset(api, actors)
    order_id = submit(api, actors, d["code"], "add").json()["id"]
    bad = api.post(
        f"/api/v1/open-list/changes/{order_id}/return",
        json={"reasons": ["other"]},
        headers=h(actors, "center"),
    )
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "other_text"
    unknown = api.post(
        f"/api/v1/open-list/changes/{order_id}/return",
        json={"reasons": ["too_ugly"]},
        headers=h(actors, "center"),
    )
    assert unknown.status_code == 422
    reasons = api.get("/api/v1/open-list/return-reasons").json()
    assert [r["value"] for r in reasons] == [
        "no_reasonable_reason",
        "incomplete_information",
        "not_matching_grading_rules",
        "other",
    ]


@pytest.mark.req("CAT-6", "SEC-1")
def test_only_the_right_side_acts(api: TestClient, actors: Actors) -> None:
    d = create_dataset(api, actors)
    other = api.post(
        "/api/v1/open-list/changes",
        json={"dataset": d["code"], "change": "add", "reason": "x"},
        headers=h(actors, "staff_b"),
    )
    assert other.status_code == 403
    order_id = submit(api, actors, d["code"], "add").json()["id"]
    assert submit(api, actors, d["code"], "add").status_code == 409  # one open order per entry
    own_approve = api.post(
        f"/api/v1/open-list/changes/{order_id}/approve", json={}, headers=h(actors, "staff_a")
    )
    assert own_approve.status_code == 403
    own = api.get("/api/v1/open-list/changes", headers=h(actors, "staff_a")).json()
    assert [o["id"] for o in own["items"]] == [order_id]
    assert api.get("/api/v1/open-list/changes", headers=h(actors, "staff_b")).json()["total"] == 0
    assert api.get("/api/v1/open-list/changes", headers=h(actors, "center")).json()["total"] == 1
    hidden = api.get(f"/api/v1/workorders/{order_id}", headers=h(actors, "staff_b"))
    assert hidden.status_code == 404
    assert api.get(f"/api/v1/workorders/{order_id}").status_code == 404
    wrong_state = api.post(
        f"/api/v1/open-list/changes/{order_id}/resubmit", json={}, headers=h(actors, "staff_a")
    )
    assert wrong_state.status_code == 409 and wrong_state.json()["error"]["code"] == "invalid_action"


@pytest.mark.req("CAT-6", "CAT-5")
def test_moving_to_not_open_needs_a_supporting_document(
    api: TestClient, actors: Actors, platform: Platform
) -> None:
    d = published_dataset(api, actors)
    proposed = {"not_open_reason": "trade_secret_privacy", "grading": {"personal": 4}}
    missing = submit(api, actors, d["code"], "remove", proposed=proposed)
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "document_required"
    upload = upload_pdf(api, actors)
    r = submit(api, actors, d["code"], "remove", proposed=proposed, documents=[upload])
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["history"][0]["attachments"][0]["filename"] == "证明文件.pdf"
    # The public version stays online during review.
    assert api.get(f"/api/v1/datasets/{d['code']}").json()["open_class"] == "unconditional"
    r = api.post(f"/api/v1/open-list/changes/{order['id']}/approve", json={}, headers=h(actors, "center"))
    assert r.status_code == 200, r.text
    after = api.get(f"/api/v1/datasets/{d['code']}").json()
    assert after["open_class"] == "not_open" and after["not_open_reason"] == "trade_secret_privacy"
    assert "dataset.publish" in audit_actions(platform, d["id"])[-2:]


@pytest.mark.req("CAT-6")
def test_a_change_to_a_published_entry_is_reviewed_before_it_shows(api: TestClient, actors: Actors) -> None:
    d = published_dataset(api, actors)
    new_summary = "全市公交站点的名称、线路、所在区和坐标，自2025年起增加无障碍设施信息。"
    r = submit(api, actors, d["code"], "modify", proposed={"summary": new_summary})
    assert r.status_code == 201, r.text
    assert api.get(f"/api/v1/datasets/{d['code']}").json()["summary"] == d["summary"]
    api.post(f"/api/v1/open-list/changes/{r.json()['id']}/approve", json={}, headers=h(actors, "center"))
    after = api.get(f"/api/v1/datasets/{d['code']}").json()
    assert after["summary"] == new_summary and after["state"] == "published"
    bad = submit(
        api, actors, d["code"], "reclassify", proposed={"summary": "只改摘要不是调整开放类型的理由说明"}
    )
    assert bad.status_code == 422


@pytest.mark.req("CAT-7", "CAT-6")
def test_static_conversion_goes_through_review_and_history_stays_downloadable(
    api: TestClient, actors: Actors
) -> None:
    d = published_dataset(api, actors)
    res = api.post(
        f"/api/v1/datasets/{d['code']}/resources/file",
        files={"file": ("stops.csv", io.BytesIO("stop_name\n人民广场\n".encode()), "text/csv")},
        data={"name": "2024年数据"},
        headers=h(actors, "staff_a"),
    )
    assert res.status_code == 201, res.text
    r = submit(api, actors, d["code"], "make_static", reason="数据源系统已停用，无法继续更新")
    assert r.status_code == 201, r.text
    r = api.post(f"/api/v1/open-list/changes/{r.json()['id']}/approve", json={}, headers=h(actors, "center"))
    assert r.status_code == 200, r.text
    after = api.get(f"/api/v1/datasets/{d['code']}").json()
    assert after["state"] == "static" and after["update_frequency"] == "static"
    assert after["update_due_date"] is None and after["update_overdue"] is False
    download = api.get(f"/api/v1/datasets/{d['code']}/resources/{res.json()['id']}/file")
    assert download.status_code == 200 and "人民广场" in download.text


@pytest.mark.req("CAT-6", "ACC-4")
def test_supplement_pauses_and_resumes_and_extension_is_approved_by_the_authority(
    api: TestClient, actors: Actors, platform: Platform
) -> None:
    d = create_dataset(api, actors)
    order_id = submit(api, actors, d["code"], "add").json()["id"]
    no_note = api.post(
        f"/api/v1/workorders/{order_id}/actions",
        json={"action": "request_supplement"},
        headers=h(actors, "center"),
    )
    assert no_note.status_code == 422
    r = api.post(
        f"/api/v1/workorders/{order_id}/actions",
        json={"action": "request_supplement", "note": "请补充数据来源系统说明"},
        headers=h(actors, "center"),
    )
    assert r.status_code == 200 and r.json()["paused"] is True
    upload = upload_pdf(api, actors)
    foreign = api.post(
        f"/api/v1/workorders/{order_id}/actions",
        json={"action": "approve", "attachments": [upload]},
        headers=h(actors, "center"),
    )
    assert foreign.status_code == 422  # someone else's upload cannot be attached
    r = api.post(
        f"/api/v1/workorders/{order_id}/actions",
        json={"action": "supplement", "note": "已补充", "attachments": [upload]},
        headers=h(actors, "staff_a"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["paused"] is False and r.json()["state"] == "in_review"
    due_before = r.json()["deadline"]["due_date"]

    r = api.post(
        f"/api/v1/workorders/{order_id}/extension",
        json={"days": 3, "reason": "需征求专家意见"},
        headers=h(actors, "center"),
    )
    assert r.status_code == 200 and r.json()["extension"]["state"] == "requested"
    assert "workorder.extension_requested" in kinds(inbox(api, actors, "authority"))
    too_long = api.post(
        f"/api/v1/workorders/{order_id}/extension",
        json={"days": 3, "reason": "again"},
        headers=h(actors, "center"),
    )
    assert too_long.status_code == 409
    assert (
        api.post(
            f"/api/v1/workorders/{order_id}/extension/decision",
            json={"approve": True},
            headers=h(actors, "center"),
        ).status_code
        == 403
    )
    r = api.post(
        f"/api/v1/workorders/{order_id}/extension/decision",
        json={"approve": True, "note": "同意延期"},
        headers=h(actors, "authority"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["extension"]["state"] == "approved" and r.json()["deadline"]["due_date"] > due_before
    history = r.json()["history"]
    assert [e["action"] for e in history][-4:] == [
        "request_supplement",
        "supplement",
        "extension_request",
        "extension_approve",
    ]
    assert history[-3]["attachments"][0]["upload_id"] == upload
    actions = audit_actions(platform, order_id)
    assert actions[-2:] == ["workorder.extension.request", "workorder.extension.approve"]
