"""The daily quotas of a grant (ACC-6, ACC-10): calls (as before) and ROWS delivered — records pages, SQL
result rows and download rows together — both answered with 429 and Retry-After until Shanghai midnight,
shown in the grant's views, and set by the provider at approval (in the agreement, then on the grant)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from publicdata.access.grant_tables import AccessGrant, GrantCall
from publicdata.access.grants import issue_grant
from publicdata.app import create_app
from publicdata.catalog.service import find_dataset
from publicdata.identity.permissions import SYSTEM
from publicdata.platform import Platform
from tests.e2e.test_access_applications_api import World, build_world, full_materials, submit
from tests.e2e.test_access_grants_api import ALLOWED, FILTER, SH, as_, make_conditional
from tests.helpers import Actors, make_actors


@pytest.fixture
def api(platform: Platform) -> Iterator[TestClient]:
    with TestClient(create_app(platform)) as c:
        yield c


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


def grant_with_rows(
    platform: Platform, actors: Actors, code: str, *, rows: int | None, calls: int = 1000
) -> str:
    with platform.db.transaction() as session:
        dataset = find_dataset(session, code)
        return issue_grant(
            session,
            actor=SYSTEM,
            dataset_id=dataset.id,
            provider_id=dataset.provider_id,
            user_id=actors.user_ids["person_l1"],
            fields=ALLOWED,
            row_filter=FILTER,  # 2 rows of the 4 pass
            valid_from=date(2026, 1, 1),
            valid_until=date(2030, 12, 31),
            daily_quota=calls,
            daily_row_quota=rows,
            report_every_days=90,
        ).id


def seconds_to_midnight() -> float:
    now = datetime.now(SH)
    midnight = datetime.combine(now.date(), datetime.min.time(), tzinfo=SH).timestamp() + 86400
    return midnight - now.timestamp()


@pytest.mark.req("ACC-10", "ACC-6")
def test_the_daily_row_quota_counts_rows_of_every_kind_of_read(
    api: TestClient, platform: Platform, actors: Actors
) -> None:
    code = make_conditional(api, actors)
    grant_id = grant_with_rows(platform, actors, code, rows=3)
    me = as_(actors, "person_l1")
    table = code.lower().replace("-", "_")
    # A records page of 2 rows: 1 row left today.
    assert len(api.get(f"/api/v1/datasets/{code}/records", headers=me).json()["records"]) == 2
    # An SQL result of 2 rows would pass the quota: refused, nothing delivered, whatever calls are left.
    over = api.post("/api/v1/sql", json={"sql": f"SELECT * FROM {table}"}, headers=me)
    assert over.status_code == 429, over.json()
    error = over.json()["error"]
    assert error["code"] == "grant_row_quota_exceeded" and "records" not in over.json()
    assert "1" in error["message_en"] and "3" in error["message_en"] and "每日数据量" in error["message_zh"]
    assert abs(int(over.headers["Retry-After"]) - seconds_to_midnight()) < 5
    # What fits is still served: one more row.
    one = api.get(f"/api/v1/datasets/{code}/records", params={"limit": 1}, headers=me)
    assert one.status_code == 200 and len(one.json()["records"]) == 1
    # Used up: every read answers 429 before any work, records, SQL and downloads alike.
    for response in (
        api.get(f"/api/v1/datasets/{code}/records", params={"limit": 1}, headers=me),
        api.post("/api/v1/sql", json={"sql": f"SELECT count(*) AS n FROM {table}"}, headers=me),
        api.get(f"/api/v1/datasets/{code}/download.csv", headers=me),
    ):
        assert response.status_code == 429 and response.json()["error"]["code"] == "grant_row_quota_exceeded"
        assert abs(int(response.headers["Retry-After"]) - seconds_to_midnight()) < 5
    # The grant's views show both quotas and today's use.
    shown = api.get(f"/api/v1/grants/{grant_id}", headers=me).json()
    assert shown["daily_quota"] == 1000 and shown["calls_today"] == 2 and shown["quota_left_today"] == 998
    assert shown["daily_row_quota"] == 3 and shown["rows_today"] == 3 and shown["rows_left_today"] == 0
    assert api.get("/grants.json", headers=me).json()["items"][0]["rows_left_today"] == 0
    page = api.get(f"/grants/{grant_id}", headers=me).text
    assert "今日数据量" in page and "3 / 3" in page
    assert "Rows today" in api.get(f"/grants/{grant_id}?lang=en", headers=me).text
    assert "Rows today" in api.get("/grants?lang=en", headers=me).text
    assert "今日数据量" in api.get("/grants/overview?lang=zh", headers=as_(actors, "center")).text
    # Only delivered reads are logged (and counted).
    with platform.db.reading() as session:
        rows = session.scalars(select(GrantCall.row_count).where(GrantCall.grant_id == grant_id)).all()
    assert sorted(rows) == [1, 2]


@pytest.mark.req("ACC-10", "ACC-6")
def test_a_download_larger_than_the_rows_left_is_refused(
    api: TestClient, platform: Platform, actors: Actors
) -> None:
    code = make_conditional(api, actors)
    grant_id = grant_with_rows(platform, actors, code, rows=1)
    me = as_(actors, "person_l1")
    whole = api.get(f"/api/v1/datasets/{code}/download.csv", headers=me)  # 2 rows in the scope
    assert whole.status_code == 429 and whole.json()["error"]["code"] == "grant_row_quota_exceeded"
    assert api.get(f"/api/v1/datasets/{code}/records", params={"limit": 1}, headers=me).status_code == 200
    shown = api.get(f"/api/v1/grants/{grant_id}", headers=me).json()
    assert shown["rows_today"] == 1 and shown["rows_left_today"] == 0


@pytest.mark.req("ACC-10")
def test_without_a_row_quota_only_calls_are_limited(
    api: TestClient, platform: Platform, actors: Actors
) -> None:
    code = make_conditional(api, actors)
    grant_id = grant_with_rows(platform, actors, code, rows=None, calls=2)
    me = as_(actors, "person_l1")
    assert api.get(f"/api/v1/datasets/{code}/download.csv", headers=me).status_code == 200
    assert api.get(f"/api/v1/datasets/{code}/records", headers=me).status_code == 200
    over = api.get(f"/api/v1/datasets/{code}/records", headers=me)
    assert over.status_code == 429 and over.json()["error"]["code"] == "grant_quota_exceeded"
    shown = api.get(f"/api/v1/grants/{grant_id}", headers=me).json()
    assert shown["daily_row_quota"] is None and shown["rows_today"] == 4 and shown["rows_left_today"] is None
    assert "不限" in api.get(f"/grants/{grant_id}", headers=me).text


@pytest.fixture
def world(platform: Platform, api: TestClient) -> World:
    return build_world(platform, api)


@pytest.mark.req("ACC-5", "ACC-6")
def test_the_provider_sets_the_row_quota_at_approval_and_the_agreement_states_it(
    api: TestClient, world: World, platform: Platform
) -> None:
    app_id = submit(api, world, materials=full_materials(api, world)).json()["id"]
    api.post(f"/api/v1/applications/{app_id}/accept", headers=as_(world.actors, "center")).raise_for_status()
    bad = api.post(
        f"/api/v1/applications/{app_id}/approve",
        json={"daily_row_quota": 0},
        headers=as_(world.actors, "staff_a"),
    )
    assert bad.status_code == 422
    approved = api.post(
        f"/api/v1/applications/{app_id}/approve",
        json={"daily_quota": 200, "daily_row_quota": 5000},
        headers=as_(world.actors, "staff_a"),
    )
    assert approved.status_code == 200, approved.json()
    assert approved.json()["approved_scope"]["daily_row_quota"] == 5000
    assert "5000" in api.get(f"/access/applications/{app_id}", headers=as_(world.actors, "person_l1")).text
    preview = api.get(
        f"/api/v1/applications/{app_id}/agreement", headers=as_(world.actors, "person_l1")
    ).json()
    assert "每日调用上限：200次" in preview["text"] and "每日获取数据量上限：5000行" in preview["text"]
    signed = api.post(
        f"/api/v1/applications/{app_id}/agreement",
        json={"accept": True, "signer_name": "张三", "agreement_sha256": preview["sha256"]},
        headers=as_(world.actors, "person_l1"),
    )
    assert signed.status_code == 200, signed.json()
    with platform.db.reading() as session:
        grant = session.scalar(select(AccessGrant).where(AccessGrant.application_id == app_id))
        assert grant is not None and grant.daily_quota == 200 and grant.daily_row_quota == 5000


@pytest.mark.req("ACC-5")
def test_without_a_row_quota_the_agreement_says_rows_are_not_limited(
    api: TestClient, world: World, platform: Platform
) -> None:
    app_id = submit(api, world, materials=full_materials(api, world)).json()["id"]
    api.post(f"/api/v1/applications/{app_id}/accept", headers=as_(world.actors, "center")).raise_for_status()
    api.post(
        f"/api/v1/applications/{app_id}/approve", json={}, headers=as_(world.actors, "staff_a")
    ).raise_for_status()
    preview = api.get(
        f"/api/v1/applications/{app_id}/agreement", headers=as_(world.actors, "person_l1")
    ).json()
    assert "每日获取数据量上限：不限" in preview["text"]
