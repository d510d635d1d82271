"""The audit API over HTTP: who may read the log, search filters and paging, CSV export, verification and
checkpoints (PLT-5, PLT-8, SEC-1)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from publicdata.audit import signing
from publicdata.platform import Platform
from tests.helpers import Actors, auth_header, dataset_document, make_actors

pytestmark = pytest.mark.req("PLT-8", "SEC-1")


@pytest.fixture
def api(client: TestClient) -> TestClient:
    return client


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


def get(api: TestClient, actors: Actors, who: str, url: str, **params: Any) -> Any:
    return api.get(url, params=params, headers=auth_header(actors.tokens[who]))


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 401),
        ("person_l1", 403),
        ("staff_a", 403),
        ("center", 403),
        ("authority", 200),
        ("admin", 200),
    ],
)
@pytest.mark.parametrize(
    "url", ["/api/v1/audit/entries", "/api/v1/audit/entries.csv", "/api/v1/audit/verify"]
)
def test_who_may_read_the_log(api: TestClient, actors: Actors, who: str, status: int, url: str) -> None:
    response = get(api, actors, who, url)
    assert response.status_code == status, response.text
    if status != 200:
        assert response.json()["error"]["code"] in ("not_authenticated", "permission_denied")


def test_only_admins_sign_checkpoints(api: TestClient, actors: Actors) -> None:
    for who, status in (("anonymous", 401), ("staff_a", 403), ("authority", 403), ("admin", 201)):
        response = api.post("/api/v1/audit/checkpoints", headers=auth_header(actors.tokens[who]))
        assert response.status_code == status, response.text
    exported = get(api, actors, "authority", "/api/v1/audit/checkpoints").json()
    key = signing.load_public_key_pem(exported["public_key"])
    (cp,) = exported["checkpoints"]
    assert signing.verify_checkpoint(signing.checkpoint_from_json(json.dumps(cp)), key)
    report = get(api, actors, "admin", "/api/v1/audit/verify").json()
    assert report["ok"] is True and report["expected_head"]["seq"] == cp["seq"]
    assert report["problems"] == [] and report["checked"] > 0


@pytest.mark.req("PLT-5")
def test_search_filters_and_paging(api: TestClient, actors: Actors) -> None:
    created = api.post(
        "/api/v1/datasets",
        json=dataset_document("ORGA"),
        headers=auth_header(actors.tokens["staff_a"]),
    )
    assert created.status_code == 201, created.text
    dataset_id = created.json()["id"]
    staff_id = actors.user_ids["staff_a"]

    body = get(api, actors, "authority", "/api/v1/audit/entries", subject_id=dataset_id).json()
    assert body["total"] == 1
    (entry,) = body["items"]
    assert entry["action"] == "dataset.create" and entry["actor_id"] == staff_id
    assert entry["subject_type"] == "dataset" and len(entry["hash"]) == 64

    by_actor = get(api, actors, "admin", "/api/v1/audit/entries", actor_id=staff_id, action="dataset").json()
    assert [i["action"] for i in by_actor["items"]] == ["dataset.create"]

    auth_events = get(api, actors, "admin", "/api/v1/audit/entries", action="auth.", limit=2).json()
    assert auth_events["total"] > 2 and len(auth_events["items"]) == 2
    assert all(i["action"].startswith("auth.") for i in auth_events["items"])
    page2 = get(api, actors, "admin", "/api/v1/audit/entries", action="auth.", limit=2, offset=2).json()
    assert page2["items"][0]["seq"] > auth_events["items"][-1]["seq"]

    future = get(api, actors, "admin", "/api/v1/audit/entries", since="2999-01-01T00:00:00Z").json()
    assert future["total"] == 0
    past = get(api, actors, "admin", "/api/v1/audit/entries", until="2000-01-01T00:00:00").json()
    assert past["total"] == 0

    searches = get(api, actors, "admin", "/api/v1/audit/entries", action="audit.search").json()
    assert searches["total"] >= 6  # every read of the log is itself recorded
    assert searches["items"][0]["actor_id"] == actors.user_ids["authority"]


@pytest.mark.req("PLT-5")
def test_csv_export(api: TestClient, actors: Actors) -> None:
    response = get(api, actors, "authority", "/api/v1/audit/entries.csv", action="user.")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows and all(r["action"].startswith("user.") for r in rows)
    assert {"seq", "occurred_at", "details", "prev_hash", "hash"} <= set(rows[0])
    seqs = [int(r["seq"]) for r in rows]
    assert seqs == sorted(seqs)
    exports = get(api, actors, "admin", "/api/v1/audit/entries", action="audit.export").json()
    assert exports["total"] == 1


def test_openapi_operation_ids(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    ids = {
        op["operationId"] for p, ops in paths.items() if p.startswith("/api/v1/audit") for op in ops.values()
    }
    assert ids == {
        "search_audit_entries",
        "export_audit_entries_csv",
        "verify_audit_log",
        "create_audit_checkpoint",
        "export_audit_checkpoints",
    }
