"""Sample datasets drawn from conditional data, open without application (ACC-7)."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from publicdata.platform import Platform
from tests.helpers import Actors, auth_header, dataset_document, make_actors

CONDITIONAL = {
    "open_class": "conditional",
    "grading": {"personal": 1, "organizational": 1, "object": 3},
    "conditions": [{"kind": "scenario", "description": "仅限公共服务场景"}],
    "application_materials": ["应用场景说明"],
}
# 300 rows: 60 % 黄浦区, 30 % 徐汇区, 10 % 浦东新区; longitude grows with the row number.
SHARES = {"310101": 180, "310104": 90, "310115": 30}


def source_csv() -> bytes:
    codes = [code for code, n in SHARES.items() for _ in range(n)]
    lines = [f"站点{i},{code},{121 + i / 1000:.3f}" for i, code in enumerate(codes)]
    return ("stop_name,district_code,longitude\n" + "\n".join(lines) + "\n").encode()


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


@pytest.mark.req("ACC-7")
def test_stratified_sample_is_unconditional_and_linked(client: TestClient, actors: Actors) -> None:
    staff, center = auth_header(actors.tokens["staff_a"]), auth_header(actors.tokens["center"])
    doc = dataset_document("ORGA", code="SH-ORGA-COND", **CONDITIONAL)
    assert client.post("/api/v1/datasets", json=doc, headers=staff).status_code == 201
    uploaded = client.post(
        "/api/v1/datasets/SH-ORGA-COND/uploads?wait=true",
        files={"file": ("s.csv", io.BytesIO(source_csv()), "text/csv")},
        headers=staff,
    )
    assert uploaded.json()["state"] == "succeeded"
    assert (
        client.post(
            "/api/v1/datasets/SH-ORGA-COND/publish", headers=auth_header(actors.tokens["admin"])
        ).status_code
        == 200
    )

    url = "/api/v1/datasets/SH-ORGA-COND/sample"
    assert (
        client.post(url, json={"rows": 50}, headers=auth_header(actors.tokens["staff_b"])).status_code == 403
    )
    assert client.post(url, json={"rows": 50, "strata": ["nope"]}, headers=center).status_code == 422
    made = client.post(url, json={"rows": 50, "strata": ["district_code"]}, headers=center)
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["sample"] == "SH-ORGA-COND-S" and body["rows"] == 50
    assert body["publication"] == {"published": True, "problems": [], "state": "published"}
    shares = body["comparison"]["strata"]["shares"]
    assert {k: v["sample_rows"] for k, v in shares.items()} == {"310101": 30, "310104": 15, "310115": 5}
    assert body["comparison"]["strata"]["max_share_difference"] <= 0.01
    lon = body["comparison"]["columns"]["longitude"]
    assert lon["full"]["kind"] == "numeric" and lon["full"]["min"] == 121.0 and lon["full"]["max"] == 121.299
    assert abs(lon["sample"]["mean"] - lon["full"]["mean"]) < 0.05
    assert body["comparison"]["columns"]["stop_name"]["sample"]["non_null"] == 50

    # The sample is unconditional and readable without signing in; the source stays conditional.
    sample = client.get("/api/v1/datasets/SH-ORGA-COND-S").json()
    assert sample["open_class"] == "unconditional" and sample["name"].endswith("（样本）")
    assert [f["name"] for f in sample["fields"]] == ["stop_name", "district_code", "longitude"]
    records = client.get("/api/v1/datasets/SH-ORGA-COND-S/records", params={"limit": 100})
    assert records.status_code == 200 and len(records.json()["records"]) == 50
    assert client.get("/api/v1/datasets/SH-ORGA-COND/records").status_code == 401
    assert client.get("/api/v1/datasets/SH-ORGA-COND").json()["open_class"] == "conditional"

    # Linked both ways on the dataset pages; a refresh makes a new version of the same sample dataset.
    assert client.get("/datasets/SH-ORGA-COND.json").json()["panels"]["quality"]["sample"]["url"] == (
        "/datasets/SH-ORGA-COND-S"
    )
    assert (
        client.get("/datasets/SH-ORGA-COND-S.json").json()["panels"]["quality"]["sample"]["is_sample"] is True
    )
    again = client.post(url, json={"rows": 20, "strata": ["district_code"], "seed": 7}, headers=staff).json()
    assert again["sample"] == "SH-ORGA-COND-S" and again["sample_version"] == 2 and again["rows"] == 20
    assert {k: v["sample_rows"] for k, v in again["comparison"]["strata"]["shares"].items()} == {
        "310101": 12,
        "310104": 6,
        "310115": 2,
    }
    quality = client.get("/api/v1/datasets/SH-ORGA-COND-S/quality").json()
    assert [h["version"] for h in quality["history"]] == [1, 2]


@pytest.mark.req("ACC-7")
def test_samples_only_from_conditional_data(client: TestClient, actors: Actors) -> None:
    staff = auth_header(actors.tokens["staff_a"])
    assert (
        client.post(
            "/api/v1/datasets", json=dataset_document("ORGA", code="SH-ORGA-OPENX"), headers=staff
        ).status_code
        == 201
    )
    refused = client.post("/api/v1/datasets/SH-ORGA-OPENX/sample", json={}, headers=staff)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_conditional"
