"""Catalog over HTTP: create, validate, edit, visibility, publish, lifecycle, resources, filters."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from publicdata.platform import Platform
from tests.helpers import Actors, auth_header, dataset_document, make_actors


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


def create(
    client: TestClient, actors: Actors, who: str = "staff_a", **overrides: object
) -> dict[str, object]:
    response = client.post(
        "/api/v1/datasets",
        json=dataset_document("ORGA", **overrides),
        headers=auth_header(actors.tokens[who]),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


@pytest.mark.req("CAT-1", "CAT-2", "CAT-3")
def test_a_complete_entry_is_created_as_a_draft_of_its_provider(client: TestClient, actors: Actors) -> None:
    d = create(client, actors)
    assert d["state"] == "draft"
    assert d["provider"]["code"] == "ORGA"  # type: ignore[index]
    assert str(d["code"]).startswith("SH-ORGA-")
    assert d["area_name"] == "上海市"
    assert d["fields"][1]["catalog_source"] == "SH-X/district"  # type: ignore[index]
    assert d["graded_class"] == "unconditional"


@pytest.mark.req("CAT-2", "CAT-4", "CAT-5")
def test_every_problem_of_an_entry_is_reported_at_once(client: TestClient, actors: Actors) -> None:
    doc = dataset_document(
        "ORGA",
        summary="太短",
        fields=[{"name": "aqi", "label": "AQI", "type": "integer", "description": "AQI 值"}],
        open_class="not_open",
        grading={"personal": 1, "organizational": 1, "object": 4},
        area_code="999999",
    )
    response = client.post("/api/v1/datasets", json=doc, headers=auth_header(actors.tokens["staff_a"]))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_open_list_entry"
    fields = {d["field"] for d in error["details"]}
    assert {"summary", "fields[0].description", "not_open_reason", "area_code"} <= fields


@pytest.mark.req("CAT-4")
def test_opening_above_the_grading_needs_a_basis(client: TestClient, actors: Actors) -> None:
    doc = dataset_document("ORGA", grading={"personal": 4, "organizational": 1, "object": 1})
    refused = client.post("/api/v1/datasets", json=doc, headers=auth_header(actors.tokens["staff_a"]))
    assert refused.status_code == 422
    assert "open_class" in {d["field"] for d in refused.json()["error"]["details"]}
    doc.update(
        open_class="conditional",
        opening_basis="desensitized",
        conditions=[{"kind": "scenario", "description": "仅限公共服务场景"}],
        application_materials=["应用场景说明"],
    )
    assert (
        client.post("/api/v1/datasets", json=doc, headers=auth_header(actors.tokens["staff_a"])).status_code
        == 201
    )


@pytest.mark.req("ACC-2", "ACC-8")
def test_conditional_entries_list_conditions_and_materials(client: TestClient, actors: Actors) -> None:
    doc = dataset_document(
        "ORGA",
        open_class="conditional",
        grading={"personal": 1, "organizational": 1, "object": 3},
        conditions=[{"kind": "credit", "description": "未被列入失信被执行人名单"}],
    )
    refused = client.post("/api/v1/datasets", json=doc, headers=auth_header(actors.tokens["staff_a"]))
    assert {d["field"] for d in refused.json()["error"]["details"]} == {"application_materials"}
    doc["application_materials"] = ["应用场景说明", "数据安全保护措施说明", "信用承诺书"]
    created = client.post("/api/v1/datasets", json=doc, headers=auth_header(actors.tokens["staff_a"])).json()
    assert created["conditions"][0]["kind"] == "credit"
    assert len(created["application_materials"]) == 3


@pytest.mark.req("CAT-6")
def test_drafts_are_hidden_until_published(client: TestClient, actors: Actors) -> None:
    d = create(client, actors)
    code = d["code"]
    for who in ("anonymous", "person_l1", "staff_b"):
        assert (
            client.get(f"/api/v1/datasets/{code}", headers=auth_header(actors.tokens[who])).status_code == 404
        )
    for who in ("staff_a", "center", "authority", "admin"):
        assert (
            client.get(f"/api/v1/datasets/{code}", headers=auth_header(actors.tokens[who])).status_code == 200
        )
    assert client.get("/api/v1/datasets").json()["total"] == 0
    published = client.post(f"/api/v1/datasets/{code}/publish", headers=auth_header(actors.tokens["admin"]))
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert client.get(f"/api/v1/datasets/{code}").status_code == 200
    listing = client.get("/api/v1/datasets").json()
    assert listing["total"] == 1 and listing["items"][0]["code"] == code


def test_edits_are_checked_against_the_revision(client: TestClient, actors: Actors) -> None:
    d = create(client, actors)
    h = auth_header(actors.tokens["staff_a"])
    first = client.patch(f"/api/v1/datasets/{d['code']}", json={"revision": 1, "notes": "第一次"}, headers=h)
    assert first.status_code == 200 and first.json()["revision"] == 2
    stale = client.patch(f"/api/v1/datasets/{d['code']}", json={"revision": 1, "notes": "过期"}, headers=h)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "stale_revision"
    invalid = client.patch(f"/api/v1/datasets/{d['code']}", json={"revision": 2, "summary": "短"}, headers=h)
    assert invalid.status_code == 422
    assert client.get(f"/api/v1/datasets/{d['code']}", headers=h).json()["notes"] == "第一次"


@pytest.mark.req("CAT-6")
def test_a_listed_entry_changes_only_through_an_open_list_change(client: TestClient, actors: Actors) -> None:
    d = create(client, actors)
    client.post(f"/api/v1/datasets/{d['code']}/publish", headers=auth_header(actors.tokens["admin"]))
    for who in ("staff_a", "admin"):
        edit = client.patch(
            f"/api/v1/datasets/{d['code']}",
            json={"revision": 1, "notes": "绕过审核"},
            headers=auth_header(actors.tokens[who]),
        )
        assert edit.status_code == 409 and edit.json()["error"]["code"] == "review_required", edit.text
    assert client.get(f"/api/v1/datasets/{d['code']}").json()["notes"] != "绕过审核"


@pytest.mark.req("CAT-7", "QUA-4")
def test_lifecycle_suspend_reopen_static(client: TestClient, actors: Actors) -> None:
    admin = auth_header(actors.tokens["admin"])
    d = create(client, actors)
    url = f"/api/v1/datasets/{d['code']}"
    bad = client.post(f"{url}/state", json={"state": "static", "reason": "不再更新"}, headers=admin)
    assert bad.status_code == 409 and bad.json()["error"]["code"] == "invalid_transition"
    client.post(f"{url}/publish", headers=admin)
    suspended = client.post(
        f"{url}/state", json={"state": "suspended", "reason": "权利人投诉"}, headers=admin
    )
    assert suspended.json()["state"] == "suspended"
    assert client.get(url).status_code == 404  # not served while suspended
    client.post(f"{url}/state", json={"state": "published", "reason": "核实后恢复"}, headers=admin)
    static = client.post(f"{url}/state", json={"state": "static", "reason": "源系统停止更新"}, headers=admin)
    assert static.json()["state"] == "static"
    assert client.get(url).status_code == 200  # static history stays open


@pytest.mark.req("CAT-2", "PLT-12")
def test_resources_files_and_api_endpoints(client: TestClient, actors: Actors) -> None:
    h = auth_header(actors.tokens["staff_a"])
    d = create(client, actors)
    url = f"/api/v1/datasets/{d['code']}"
    api = client.post(
        f"{url}/resources/api",
        json={"name": "站点接口", "url": "https://example.gov.cn/api/stops"},
        headers=h,
    )
    assert api.status_code == 201 and api.json()["kind"] == "api"
    content = "站点名称,区\n人民广场,黄浦区\n".encode("gb18030")
    f = client.post(
        f"{url}/resources/file", files={"file": ("站点.csv", io.BytesIO(content), "text/csv")}, headers=h
    )
    assert f.status_code == 201, f.text
    assert f.json()["size_bytes"] == len(content)
    exe = client.post(
        f"{url}/resources/file", files={"file": ("x.csv", io.BytesIO(b"MZ\x00\x01"), "text/csv")}, headers=h
    )
    assert exe.status_code == 422
    empty = client.post(
        f"{url}/resources/file", files={"file": ("x.csv", io.BytesIO(b""), "text/csv")}, headers=h
    )
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "empty_file"
    client.post(f"{url}/publish", headers=auth_header(actors.tokens["admin"]))
    download = client.get(f"{url}/resources/{f.json()['id']}/file")
    assert download.status_code == 200 and download.content == content


def test_filters_pagination_and_taxonomy(client: TestClient, actors: Actors) -> None:
    admin = auth_header(actors.tokens["admin"])
    for i in range(3):
        d = create(client, actors, name=f"公交站点信息{i}号（全市）", domain="transport")
        client.post(f"/api/v1/datasets/{d['code']}/publish", headers=admin)
    d = create(
        client, actors, name="空气质量日报（全市）", domain="environment", tags=["空气"], formats=["json"]
    )
    client.post(f"/api/v1/datasets/{d['code']}/publish", headers=admin)
    assert client.get("/api/v1/datasets?domain=transport").json()["total"] == 3
    assert client.get("/api/v1/datasets?q=空气").json()["total"] == 1
    assert client.get("/api/v1/datasets?format=json").json()["total"] == 1
    assert client.get("/api/v1/datasets?tag=空气").json()["total"] == 1
    assert client.get("/api/v1/datasets?provider=ORGA").json()["total"] == 4
    page = client.get("/api/v1/datasets?limit=2&offset=2&sort=name").json()
    assert page["total"] == 4 and len(page["items"]) == 2 and page["offset"] == 2
    assert client.get("/api/v1/datasets?limit=1000").status_code == 422
    assert client.get("/api/v1/datasets?domain=nonsense").status_code == 422
    taxonomy = client.get("/api/v1/taxonomy").json()
    assert len(taxonomy["domains"]) == 12 and taxonomy["domains"][0]["label"] == "经济建设"
    assert {r["value"] for r in taxonomy["not_open_reasons"]} >= {"state_secret", "law"}


def test_errors_share_one_shape(client: TestClient) -> None:
    for response in (
        client.get("/api/v1/datasets/nope"),
        client.get("/api/v1/nowhere"),
        client.delete("/api/v1/datasets"),
        client.post("/api/v1/datasets", content=b"{bad json"),
    ):
        body = response.json()
        assert set(body) == {"error"}
        assert {"code", "message", "message_zh", "message_en", "details"} <= set(body["error"])


def test_openapi_has_stable_operation_ids(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {
        "list_datasets",
        "get_dataset",
        "create_dataset",
        "update_dataset",
        "list_organizations",
        "register_user",
        "login",
        "get_me",
        "create_token",
        "get_taxonomy",
    } <= ids
