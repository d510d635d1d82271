"""Every write endpoint, called by every kind of actor: allowed or refused as designed (SEC-1, ACC-12).

Anonymous callers get 401; signed-in callers without the right get 403; allowed calls succeed (2xx).
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from publicdata.platform import Platform
from tests.helpers import (
    Actors,
    auth_header,
    dataset_document,
    make_actors,
    valid_credit_code,
    valid_resident_id,
)

ACTORS = [
    "anonymous",
    "person_l0",
    "person_l1",
    "company",
    "staff_a",
    "staff_b",
    "center",
    "authority",
    "admin",
]
_counter = itertools.count(1)

# endpoint name → the actors allowed to call it


def fresh_draft(c: TestClient, w: World) -> str:
    """A new draft of org A (each caller publishes its own, so one success does not mask the next)."""
    created = c.post(
        "/api/v1/datasets", json=dataset_document("ORGA"), headers=auth_header(w.actors.tokens["admin"])
    )
    return str(created.json()["code"])


ALLOWED: dict[str, set[str]] = {
    "register_user": set(ACTORS),
    "create_organization": {"admin"},
    "create_staff_user": {"admin"},
    "create_dataset_for_a": {"staff_a", "admin"},
    "update_dataset_of_a": {"staff_a", "admin"},
    "add_api_resource_to_a": {"staff_a", "admin"},
    "add_file_resource_to_a": {"staff_a", "admin"},
    "publish_dataset": {"admin"},
    "change_dataset_state": {"admin"},
    "verify_person": {"person_l0", "person_l1"},
    "submit_company_verification": {"company"},
    "review_verification": {"center", "admin"},
    "list_users": {"center", "admin"},
    "create_token_from_token": set(),  # tokens are minted from a signed-in session, never by a token
}


Call = Callable[[TestClient, dict[str, str], "World"], Any]


class World:
    def __init__(self, client: TestClient, actors: Actors) -> None:
        self.client = client
        self.actors = actors
        admin = auth_header(actors.tokens["admin"])
        created = client.post("/api/v1/datasets", json=dataset_document("ORGA"), headers=admin)
        assert created.status_code == 201, created.text
        self.dataset_a = created.json()
        draft = client.post(
            "/api/v1/datasets", json=dataset_document("ORGA", name="公交线路基本信息（全市）"), headers=admin
        )
        self.draft_a = draft.json()["code"]

    def pending_verification(self) -> str:
        """A fresh company verification request for the center to review."""
        token = self.actors.tokens["company"]
        response = self.client.post(
            "/api/v1/users/me/verification/company",
            data={"credit_code": valid_credit_code(), "organization_name": "上海某某数据科技有限公司"},
            files={"licence": ("licence.pdf", io.BytesIO(b"%PDF-1.4 licence"), "application/pdf")},
            headers=auth_header(token),
        )
        if response.status_code == 409:  # one is already pending
            return str(
                self.client.get(
                    "/api/v1/verification-requests", headers=auth_header(self.actors.tokens["admin"])
                ).json()[0]["id"]
            )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


def n() -> int:
    return next(_counter)


CALLS: dict[str, Call] = {
    "register_user": lambda c, h, w: c.post(
        "/api/v1/users",
        json={"username": f"newuser{n()}", "password": "Sound-Passw0rd", "kind": "person"},
        headers=h,
    ),
    "create_organization": lambda c, h, w: c.post(
        "/api/v1/organizations", json={"code": f"NEW{n()}", "name": "新机构", "kind": "department"}, headers=h
    ),
    "create_staff_user": lambda c, h, w: c.post(
        "/api/v1/users/staff",
        json={
            "username": f"staff{n()}",
            "password": "Sound-Passw0rd",
            "role": "provider_staff",
            "organization_code": "ORGA",
        },
        headers=h,
    ),
    "create_dataset_for_a": lambda c, h, w: c.post(
        "/api/v1/datasets", json=dataset_document("ORGA"), headers=h
    ),
    "update_dataset_of_a": lambda c, h, w: c.patch(
        f"/api/v1/datasets/{w.dataset_a['code']}",
        json={
            "revision": c.get(
                f"/api/v1/datasets/{w.dataset_a['code']}", headers=auth_header(w.actors.tokens["admin"])
            ).json()["revision"],
            "notes": f"更新说明{n()}",
        },
        headers=h,
    ),
    "add_api_resource_to_a": lambda c, h, w: c.post(
        f"/api/v1/datasets/{w.dataset_a['code']}/resources/api",
        json={"name": "站点查询接口", "url": "https://data.sh.gov.cn/api/bus-stops"},
        headers=h,
    ),
    "add_file_resource_to_a": lambda c, h, w: c.post(
        f"/api/v1/datasets/{w.dataset_a['code']}/resources/file",
        files={"file": ("stops.csv", io.BytesIO("站点,区\n人民广场,黄浦区\n".encode()), "text/csv")},
        headers=h,
    ),
    "publish_dataset": lambda c, h, w: c.post(f"/api/v1/datasets/{fresh_draft(c, w)}/publish", headers=h),
    "change_dataset_state": lambda c, h, w: c.post(
        f"/api/v1/datasets/{w.draft_a}/state", json={"state": "withdrawn", "reason": "测试撤回"}, headers=h
    ),
    "verify_person": lambda c, h, w: c.post(
        "/api/v1/users/me/verification/person",
        json={
            "real_name": "李四",
            "resident_id": valid_resident_id(f"31010419851212{n() % 1000:03d}"),
            "mobile": "13912345678",
        },
        headers=h,
    ),
    "submit_company_verification": lambda c, h, w: c.post(
        "/api/v1/users/me/verification/company",
        data={"credit_code": valid_credit_code("91310000132149237"), "organization_name": "上海测试有限公司"},
        files={"licence": ("licence.pdf", io.BytesIO(b"%PDF-1.4 test"), "application/pdf")},
        headers=h,
    ),
    "review_verification": lambda c, h, w: c.post(
        f"/api/v1/verification-requests/{w.pending_verification()}/review", json={"approve": True}, headers=h
    ),
    "list_users": lambda c, h, w: c.get("/api/v1/users", headers=h),
    "create_token_from_token": lambda c, h, w: c.post(
        "/api/v1/users/me/tokens", json={"name": "minted", "scopes": ["read"]}, headers=h
    ),
}


@pytest.fixture
def world(client: TestClient, platform: Platform) -> World:
    return World(client, make_actors(platform))


@pytest.mark.req("SEC-1", "ACC-12", "CAT-1")
def test_permission_matrix(world: World) -> None:
    failures = []
    for endpoint, call in CALLS.items():
        for actor in ACTORS:
            response = call(world.client, auth_header(world.actors.tokens[actor]), world)
            allowed = actor in ALLOWED[endpoint]
            if allowed:
                ok = 200 <= response.status_code < 300
            else:
                expected = 401 if actor == "anonymous" else 403
                ok = response.status_code == expected and "error" in response.json()
            if not ok:
                failures.append(f"{endpoint} as {actor}: {response.status_code} {response.text[:200]}")
    assert not failures, "\n".join(failures)
