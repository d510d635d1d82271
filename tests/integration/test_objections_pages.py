"""Portal pages of objections and complaints (QUA-3, QUA-4, PLT-3): the dataset-page panel and forms,
the center's queue with countdowns, the provider's verification and complaint pages with the leak trace."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from publicdata.platform import Platform
from tests.e2e.browser.webapp import portal_app
from tests.e2e.test_web_pages import csrf_of, sign_in
from tests.helpers import Actors, auth_header, dataset_document, make_actors

CODE = "SH-ORGA-PAGES"
CSV = "stop_name,district_code,longitude\n上海火车站南广场公交枢纽,310101,121.4737\n".encode()


@pytest.fixture
def app(platform: Platform) -> FastAPI:
    return portal_app(platform)


@pytest.fixture
def actors(platform: Platform, app: FastAPI) -> Actors:
    actors = make_actors(platform)
    with TestClient(app) as api:
        headers = auth_header(actors.tokens["staff_a"])
        assert (
            api.post(
                "/api/v1/datasets", json=dataset_document("ORGA", code=CODE), headers=headers
            ).status_code
            == 201
        )
        done = api.post(
            f"/api/v1/datasets/{CODE}/uploads?wait=true",
            files={"file": ("s.csv", io.BytesIO(CSV), "text/csv")},
            headers=headers,
        )
        assert done.json()["state"] == "succeeded", done.json()
        published = api.post(f"/api/v1/datasets/{CODE}/publish", headers=auth_header(actors.tokens["admin"]))
        assert published.status_code == 200, published.json()
    return actors


def client(app: FastAPI, username: str) -> Iterator[TestClient]:
    with TestClient(app) as c:
        sign_in(c, username)
        yield c


@pytest.fixture
def objector(app: FastAPI, actors: Actors) -> Iterator[TestClient]:
    yield from client(app, "person_l1")


@pytest.fixture
def center(app: FastAPI, actors: Actors) -> Iterator[TestClient]:
    yield from client(app, "center")


@pytest.fixture
def provider(app: FastAPI, actors: Actors) -> Iterator[TestClient]:
    yield from client(app, "staff_a")


@pytest.mark.req("QUA-3", "PLT-3")
def test_objection_from_the_dataset_page_to_the_provider_decision(
    objector: TestClient, center: TestClient, provider: TestClient
) -> None:
    page = objector.get(f"/datasets/{CODE}")
    assert page.status_code == 200 and f"/objections/new?dataset={CODE}" in page.text
    assert 'action="/objections/new"' in page.text and f'name="dataset" value="{CODE}"' in page.text
    form = objector.get(f"/objections/new?dataset={CODE}")
    assert form.status_code == 200 and 'name="fields" value="longitude"' in form.text
    csrf = csrf_of(form.text)
    short = objector.post(
        "/objections/new", data={"csrf_token": csrf, "dataset": CODE, "kind": "error", "description": "错"}
    )
    assert short.status_code == 422 and 'role="alert"' in short.text
    sent = objector.post(
        "/objections/new",
        data={
            "csrf_token": csrf,
            "dataset": CODE,
            "kind": "error",
            "description": "经度应为121.4752，现数据有误。",
            "fields": ["longitude"],
        },
        files={"evidence": ("照片.png", io.BytesIO(b"\x89PNG\r\n\x1a\nfake"), "image/png")},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    objection_url = sent.headers["location"].split("?")[0]
    objection_id = objection_url.rsplit("/", 1)[1]
    mine = objector.get(objection_url + ".json").json()["objection"]
    assert mine["status"] == "received" and mine["evidence"][0]["filename"] == "照片.png"
    assert objector.get("/objections/mine.json").json()["objections"][0]["id"] == objection_id
    assert objector.get("/center/objections.json").status_code == 404  # not the center's queue

    queue = center.get("/center/objections")
    assert queue.status_code == 200 and f"/center/objections/{objection_id}" in queue.text
    row = center.get("/center/objections.json").json()["queue"][0]
    assert row["mark_clock"] is not None and row["decision_clock"]["remaining_working_days"] >= 0
    detail = center.get(f"/center/objections/{objection_id}")
    assert "标注“异议处理中”" in detail.text
    csrf = csrf_of(detail.text)
    marked = center.post(
        f"/objections/{objection_id}/act", data={"csrf_token": csrf, "action": "mark"}, follow_redirects=False
    )
    assert marked.status_code == 303, marked.text
    assert objector.get(f"/datasets/{CODE}.json").json()["panels"]["objections"]["objection_pending"] is True
    assert "异议处理中" in objector.get(f"/datasets/{CODE}").text
    no_note = center.post(f"/objections/{objection_id}/act", data={"csrf_token": csrf, "action": "forward"})
    assert no_note.status_code == 422 and 'role="alert"' in no_note.text
    forwarded = center.post(
        f"/objections/{objection_id}/act",
        data={"csrf_token": csrf, "action": "forward", "note": "请数据提供方核实"},
        follow_redirects=False,
    )
    assert forwarded.status_code == 303

    listing = provider.get("/backoffice/objections")
    assert listing.status_code == 200 and f"/backoffice/objections/{objection_id}" in listing.text
    verify = provider.get(f"/backoffice/objections/{objection_id}")
    assert "异议成立" in verify.text
    decided = provider.post(
        f"/objections/{objection_id}/act",
        data={"csrf_token": csrf_of(verify.text), "action": "dismiss", "note": "经核实，经度无误。"},
        follow_redirects=False,
    )
    assert decided.status_code == 303, decided.text
    result = objector.get(objection_url + ".json").json()["objection"]
    assert (
        result["status"] == "dismissed"
        and result["decided_by"] == "provider"
        and result["result"] == "经核实，经度无误。"
    )
    english = objector.get(objection_url + "?lang=en")
    assert "Data objection" in english.text and "Objection type" in english.text


@pytest.mark.req("QUA-4", "PLT-3")
def test_complaint_form_suspension_trace_and_restore_pages(
    objector: TestClient, provider: TestClient
) -> None:
    assert objector.get(f"/api/v1/datasets/{CODE}/download.csv").status_code == 200
    form = objector.get(f"/complaints/new?dataset={CODE}")
    sent = objector.post(
        "/complaints/new",
        data={
            "csrf_token": csrf_of(form.text),
            "dataset": CODE,
            "right": "privacy",
            "description": "站点名称含本人住址信息。",
        },
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    complaint_id = sent.headers["location"].split("?")[0].rsplit("/", 1)[1]
    assert "立即暂停开放" not in objector.get(f"/complaints/{complaint_id}").text

    page = provider.get(f"/backoffice/complaints/{complaint_id}")
    assert page.status_code == 200 and "立即暂停开放" in page.text
    csrf = csrf_of(page.text)
    suspended = provider.post(
        f"/complaints/{complaint_id}/act",
        data={"csrf_token": csrf, "action": "suspend", "note": "先行暂停"},
        follow_redirects=False,
    )
    assert suspended.status_code == 303, suspended.text
    assert objector.get(f"/api/v1/datasets/{CODE}/download.csv").status_code in (403, 404)
    traced = provider.get(f"/backoffice/complaints/{complaint_id}.json?trace=1").json()["trace"]
    assert [i["username"] for i in traced["items"]] == ["person_l1"]
    assert "person_l1" in provider.get(f"/backoffice/complaints/{complaint_id}?trace=1").text
    exported = provider.get(f"/complaints/{complaint_id}/leak-trace.csv")
    assert exported.status_code == 200 and "person_l1" in exported.text
    overview = provider.get("/backoffice/objections.json").json()
    assert overview["complaints"][0]["status"] == "suspended"
    restored = provider.post(
        f"/complaints/{complaint_id}/act",
        data={"csrf_token": csrf, "action": "restore", "note": "不涉及个人隐私"},
        follow_redirects=False,
    )
    assert restored.status_code == 303, restored.text
    assert objector.get(f"/api/v1/datasets/{CODE}/download.csv").status_code == 200
    mine = objector.get("/objections/mine.json").json()["complaints"]
    assert mine[0]["status"] == "restored" and mine[0]["decision_note"] == "不涉及个人隐私"
