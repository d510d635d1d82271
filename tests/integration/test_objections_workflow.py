"""Objection and complaint orders through the generic work-order engine: the same handlers run from
`/api/v1/workorders/{id}/actions`, the types are listed, and the CLI lists objections and exports a
leak trace (QUA-3, QUA-4)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from publicdata.app import create_app
from publicdata.cli import app as cli
from publicdata.config import Settings, get_settings
from publicdata.platform import Platform
from tests.helpers import Actors, auth_header, dataset_document, make_actors

CODE = "SH-ORGA-WF"
CSV = "stop_name,district_code,longitude\n上海火车站南广场公交枢纽,310101,121.4737\n".encode()


@pytest.fixture
def api(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


@pytest.fixture
def actors(platform: Platform, api: TestClient) -> Actors:
    actors = make_actors(platform)
    headers = auth_header(actors.tokens["staff_a"])
    assert (
        api.post("/api/v1/datasets", json=dataset_document("ORGA", code=CODE), headers=headers).status_code
        == 201
    )
    done = api.post(
        f"/api/v1/datasets/{CODE}/uploads?wait=true",
        files={"file": ("s.csv", io.BytesIO(CSV), "text/csv")},
        headers=headers,
    )
    assert done.json()["state"] == "succeeded", done.json()
    assert (
        api.post(f"/api/v1/datasets/{CODE}/publish", headers=auth_header(actors.tokens["admin"])).status_code
        == 200
    )
    return actors


def h(actors: Actors, who: str) -> dict[str, str]:
    return auth_header(actors.tokens[who])


@pytest.mark.req("QUA-3", "QUA-4")
def test_generic_work_order_actions_run_the_same_rules(api: TestClient, actors: Actors) -> None:
    types = {t["name"]: t for t in api.get("/api/v1/workorders/types").json()}
    assert types["objection_review"]["sla_working_days"] == {"city": 2, "district": 2}
    assert types["objection_verification"]["sla_working_days"]["city"] == 5
    assert types["rights_complaint"]["responsible_role"] == "provider_staff"

    objection = api.post(
        f"/api/v1/datasets/{CODE}/objections",
        json={"kind": "error", "description": "区划代码应为310106。", "fields": ["district_code"]},
        headers=h(actors, "person_l1"),
    ).json()
    queue = api.get(
        "/api/v1/workorders?scope=queue&type=objection_review", headers=h(actors, "center")
    ).json()
    assert [o["id"] for o in queue["items"]] == [objection["review_order_id"]]
    order_url = f"/api/v1/workorders/{objection['review_order_id']}/actions"
    assert (
        api.post(order_url, json={"action": "forward"}, headers=h(actors, "center")).status_code == 422
    )  # note
    forwarded = api.post(order_url, json={"action": "forward", "note": "请核实"}, headers=h(actors, "center"))
    assert forwarded.status_code == 200, forwarded.json()
    after = api.get(f"/api/v1/objections/{objection['id']}", headers=h(actors, "person_l1")).json()
    assert after["status"] == "forwarded" and after["marked_at"] is not None  # forwarding marks as well
    assert after["verification_order_id"]
    provider_queue = api.get("/api/v1/workorders?scope=queue", headers=h(actors, "staff_a")).json()
    assert after["verification_order_id"] in [o["id"] for o in provider_queue["items"]]
    upheld = api.post(
        f"/api/v1/workorders/{after['verification_order_id']}/actions",
        json={"action": "uphold", "note": "确有错误", "details": {"version": 1}},
        headers=h(actors, "staff_a"),
    )
    assert upheld.status_code == 409 and upheld.json()["error"]["code"] == "version_not_newer"
    upheld = api.post(
        f"/api/v1/workorders/{after['verification_order_id']}/actions",
        json={"action": "uphold", "note": "确有错误，将通过清单调整更正"},
        headers=h(actors, "staff_a"),
    )
    assert upheld.status_code == 200
    listed = api.get("/api/v1/objections?scope=provider&open_only=true", headers=h(actors, "staff_a")).json()
    assert [o["status"] for o in listed["items"]] == ["upheld"] and listed["items"][0]["my_actions"] == [
        "correct"
    ]

    complaint = api.post(
        f"/api/v1/datasets/{CODE}/complaints",
        json={"right": "trade_secret", "description": "坐标暴露本企业仓库位置。"},
        headers=h(actors, "company"),
    ).json()
    suspended = api.post(
        f"/api/v1/workorders/{complaint['order_id']}/actions",
        json={"action": "suspend", "note": "先行暂停"},
        headers=h(actors, "staff_a"),
    )
    assert suspended.status_code == 200
    assert api.get(f"/api/v1/datasets/{CODE}", headers=h(actors, "company")).status_code == 404
    state = api.get(f"/api/v1/complaints/{complaint['id']}", headers=h(actors, "company")).json()
    assert state["status"] == "suspended" and state["dataset_state"] == "suspended"
    # A further complaint needs open data: the dataset is suspended.
    again = api.post(
        f"/api/v1/datasets/{CODE}/complaints",
        json={"right": "privacy", "description": "另一项投诉内容。"},
        headers=h(actors, "person_l0"),
    )
    assert again.status_code == 404


@pytest.mark.req("QUA-3", "QUA-4")
def test_cli_lists_objections_and_exports_a_leak_trace(
    api: TestClient, actors: Actors, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert api.get(f"/api/v1/datasets/{CODE}/download.csv", headers=h(actors, "company")).status_code == 200
    objection = api.post(
        f"/api/v1/datasets/{CODE}/objections",
        json={"kind": "omission", "description": "缺少新建站点数据。"},
        headers=h(actors, "person_l1"),
    ).json()
    complaint = api.post(
        f"/api/v1/datasets/{CODE}/complaints",
        json={"right": "privacy", "description": "含本人住址信息。"},
        headers=h(actors, "person_l1"),
    ).json()
    monkeypatch.setenv("PUBLICDATA_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PUBLICDATA_VAR_DIR", str(settings.var_dir))
    secret = settings.secret_key
    monkeypatch.setenv(
        "PUBLICDATA_SECRET_KEY",
        secret.get_secret_value() if hasattr(secret, "get_secret_value") else str(secret),
    )
    get_settings.cache_clear()
    try:
        listed = CliRunner().invoke(cli, ["objections", "list"])
        assert listed.exit_code == 0, listed.output
        assert objection["id"] in listed.output and "omission" in listed.output
        out = tmp_path / "trace.csv"
        traced = CliRunner().invoke(cli, ["objections", "leak-trace", complaint["id"], "-o", str(out)])
        assert traced.exit_code == 0, traced.output
        assert "1 users" in traced.output
        assert "company" in out.read_text("utf-8-sig")
        missing = CliRunner().invoke(cli, ["objections", "leak-trace", "nope"])
        assert missing.exit_code == 2
    finally:
        get_settings.cache_clear()
