"""Provider back office and center workbench over HTTP (PLT-3): create a dataset with its field table,
upload a GBK CSV, submit for review, the center returns with reasons, the provider resubmits, the
center approves and the dataset is found by search."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from publicdata.catalog import service as catalog
from publicdata.catalog.review import ChangeKind, submit_open_list_change
from publicdata.catalog.schemas import DatasetIn
from publicdata.db import utcnow
from publicdata.identity import auth
from publicdata.platform import Platform
from tests.e2e.browser.webapp import portal_app
from tests.e2e.test_web_pages import csrf_of, sign_in
from tests.helpers import PASSWORD, Actors, dataset_document, make_actors

GBK_CSV = "站点名称,区划代码,经度\n人民广场,310101,121.475\n徐家汇,310104,121.437\n".encode("gbk")
GBK_DATA = "spot_name,district_code,longitude\n人民广场,310101,121.475\n徐家汇,310104,121.437\n".encode("gbk")


@pytest.fixture
def web(platform: Platform) -> Iterator[TestClient]:
    with TestClient(portal_app(platform)) as c:
        yield c


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


def dataset_form(csrf: str, **overrides: str) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "csrf_token": csrf,
        "provider": "ORGA",
        "name": "共享单车停放点位信息",
        "summary": "全市共享单车规范停放点位的名称、所在区和经纬度坐标，按月更新。",
        "domain": "transport",
        "tags": "共享单车，停放",
        "formats": ["csv"],
        "update_frequency": "monthly",
        "area_code": "310000",
        "open_class": "unconditional",
        "grade_personal": "1",
        "grade_organizational": "1",
        "grade_object": "1",
        "field_name": ["spot_name", "district_code", "longitude", ""],
        "field_label": ["点位名称", "区划代码", "经度", ""],
        "field_type": ["text", "text", "decimal", "text"],
        "field_unit": ["", "", "度", ""],
        "field_description": ["停放点位的标准名称", "点位所在区的六位行政区划代码", "点位经度（WGS-84）", ""],
    }
    form.update(overrides)
    return form


@pytest.mark.req("PLT-3", "PLT-1")
def test_provider_creates_uploads_submits_and_center_decides(web: TestClient, actors: Actors) -> None:
    sign_in(web, "staff_a")
    new = web.get("/backoffice/datasets/new")
    assert new.status_code == 200 and 'name="field_name"' in new.text
    csrf = csrf_of(new.text)
    # An incomplete entry comes back with the reasons, the typed values kept.
    bad = web.post("/backoffice/datasets", data=dataset_form(csrf, summary="短"))
    assert bad.status_code == 422 and 'role="alert"' in bad.text and "共享单车停放点位信息" in bad.text
    r = web.post("/backoffice/datasets", data=dataset_form(csrf), follow_redirects=False)
    assert r.status_code == 303, r.text
    edit_url = r.headers["location"].split("?")[0]
    code = edit_url.split("/")[3]
    edit = web.get(f"{edit_url}.json").json()
    assert [f["name"] for f in edit["form"]["fields"]] == ["spot_name", "district_code", "longitude"]
    assert edit["dataset"]["state"] == "draft" and edit["form"]["tags"] == "共享单车，停放"

    up = web.post(
        f"/backoffice/datasets/{code}/files",
        data={"csrf_token": csrf, "name": "停放点位（GBK）"},
        files={"file": ("spots-gbk.csv", GBK_CSV, "text/csv")},
        follow_redirects=False,
    )
    assert up.status_code == 303, up.text
    resources = web.get(f"/api/v1/datasets/{code}").json()["resources"]
    assert [r["name"] for r in resources] == ["停放点位（GBK）"]

    # Load the GBK CSV into the data store: the encoding is detected, the schema shows on the edit page.
    ingest = web.post(
        f"/backoffice/datasets/{code}/data",
        data={"csrf_token": csrf},
        files={"file": ("spots-gbk.csv", GBK_DATA, "text/csv")},
        follow_redirects=False,
    )
    assert ingest.status_code == 303 and "ingest=succeeded" in ingest.headers["location"], ingest.text
    (version,) = web.get(f"{edit_url}.json").json()["versions"]
    assert version["row_count"] == 2 and [f["name"] for f in version["fields"]][:3] == [
        "spot_name",
        "district_code",
        "longitude",
    ]

    r = web.post(
        f"/backoffice/datasets/{code}/submit",
        data={"csrf_token": csrf, "change": "add", "reason": "新增开放：市民需求较多"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    office = web.get("/backoffice.json").json()
    (order,) = office["orders"]
    assert order["state"] == "in_review" and order["remaining_working_days"] == 5
    assert web.get("/datasets.json?q=共享单车").json()["total"] == 1  # the provider sees its own draft

    web.post("/logout", data={"csrf_token": csrf})
    assert web.get("/datasets.json?q=共享单车").json()["total"] == 0  # not public yet
    sign_in(web, "center")
    bench = web.get("/center.json").json()
    assert [o["id"] for o in bench["queue"]] == [order["id"]]
    assert bench["queue"][0]["remaining_working_days"] == 5 and bench["queue"][0]["urgency"] == ""
    page = web.get(f"/center/orders/{order['id']}")
    assert page.status_code == 200 and "退回原因" in page.text
    csrf = csrf_of(page.text)
    # Return with two reasons at once.
    r = web.post(
        f"/center/orders/{order['id']}/return",
        data={
            "csrf_token": csrf,
            "reasons": ["incomplete_information", "other"],
            "other_text": "请补充坐标系",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert web.get("/center.json").json()["queue"][0]["state"] == "returned"

    web.post("/logout", data={"csrf_token": csrf})
    sign_in(web, "staff_a")
    office = web.get("/backoffice.json").json()
    (order,) = office["orders"]
    assert [r["value"] for r in order["return_reasons"]] == ["incomplete_information", "other"]
    inbox = web.get("/account.json").json()["inbox"]
    assert inbox["unread"] >= 1 and inbox["messages"]
    html = web.get("/backoffice").text
    assert "信息不完整" in html
    csrf = csrf_of(html)
    r = web.post(
        f"/backoffice/orders/{order['id']}/resubmit",
        data={"csrf_token": csrf, "note": "已补充坐标系说明"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text

    web.post("/logout", data={"csrf_token": csrf})
    sign_in(web, "center")
    page = web.get(f"/center/orders/{order['id']}")
    r = web.post(
        f"/center/orders/{order['id']}/approve",
        data={"csrf_token": csrf_of(page.text), "note": "同意开放"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert web.get("/center.json").json()["queue"] == []
    web.post("/logout", data={"csrf_token": csrf_of(page.text)})
    found = web.get("/datasets.json?q=共享单车").json()
    assert [d["code"] for d in found["items"]] == [code]
    detail = web.get(f"/datasets/{code}")
    assert "停放点位（GBK）" in detail.text
    link = re.search(r'href="(/api/v1/datasets/[^"]+/file)"', detail.text)
    assert link and web.get(link.group(1)).content == GBK_CSV
    # The data-store preview shows the first rows decoded from GBK, with a chart of the numeric column.
    preview = web.get(f"/datasets/{code}.json").json()["preview"]
    assert [r["spot_name"] for r in preview["records"]] == ["人民广场", "徐家汇"]
    assert "人民广场" in detail.text and 'id="preview-table"' in detail.text
    assert '<th scope="col" title="spot_name">点位名称</th>' in detail.text  # columns read by their labels


@pytest.mark.req("PLT-3")
def test_back_office_and_workbench_are_for_their_roles(web: TestClient, actors: Actors) -> None:
    r = web.get("/backoffice", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/backoffice")
    assert web.get("/center.json").status_code == 401
    sign_in(web, "person_l1")
    assert web.get("/backoffice").status_code == 403
    assert web.get("/center.json").status_code == 403


@pytest.mark.req("PLT-3")
def test_workbench_highlights_overdue_orders_first(
    web: TestClient, actors: Actors, platform: Platform
) -> None:
    staff = auth.authenticate(platform, username="staff_a", password=PASSWORD)
    codes = []
    for name, days_ago in (("新近提交的公交站点数据", 0), ("早已提交的公交线路数据", 30)):
        created = catalog.create_dataset(
            platform, actor=staff, data=DatasetIn.model_validate(dataset_document("ORGA", name=name))
        )
        submit_open_list_change(
            platform,
            actor=staff,
            dataset_ref=created.code,
            change=ChangeKind.ADD,
            reason="新增开放",
            now=utcnow() - timedelta(days=days_ago),
        )
        codes.append(created.code)
    sign_in(web, "center")
    queue = web.get("/center.json").json()["queue"]
    assert [o["title"].split("（")[-1].rstrip("）") for o in queue] == [codes[1], codes[0]]  # by due date
    assert queue[0]["overdue"] and queue[0]["urgency"] == "overdue" and queue[1]["urgency"] == ""
    html = web.get("/center").text
    assert 'class="overdue"' in html and "已超期" in html
