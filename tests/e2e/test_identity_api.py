"""Identity over HTTP: registration, sign-in with lockout, sessions with CSRF, tokens, verification."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from publicdata.identity.adapters import PersonCheck
from publicdata.platform import Platform
from tests.helpers import PASSWORD, auth_header, valid_credit_code, valid_resident_id


@dataclass
class FakeNationalIdentityService:
    """The national identity service is an outside edge: a fixed registry of (ID → name)."""

    registry: dict[str, str] = field(default_factory=dict)
    calls: int = 0

    def check_person(self, *, real_name: str, resident_id: str, mobile: str) -> PersonCheck:
        self.calls += 1
        matched = self.registry.get(resident_id) == real_name
        return PersonCheck(matched=matched, source="fake-national", reason="" if matched else "name mismatch")


def register(client: TestClient, username: str, kind: str = "person") -> dict[str, object]:
    response = client.post("/api/v1/users", json={"username": username, "password": PASSWORD, "kind": kind})
    assert response.status_code == 201, response.text
    return dict(response.json())


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


@pytest.mark.req("ACC-12")
def test_register_starts_at_level_0(client: TestClient) -> None:
    user = register(client, "zhangsan")
    assert user["verification_level"] == 0
    assert user["kind"] == "person"
    again = client.post("/api/v1/users", json={"username": "ZhangSan", "password": PASSWORD})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "username_taken"


def test_weak_passwords_and_bad_input_get_clear_errors(client: TestClient) -> None:
    weak = client.post("/api/v1/users", json={"username": "weak", "password": "123"})
    assert weak.status_code == 422
    assert weak.json()["error"]["code"] == "weak_password"
    bad = client.post("/api/v1/users", json={"username": "x y", "password": PASSWORD})
    assert bad.status_code == 422
    assert bad.json()["error"]["details"][0]["field"] == "username"
    english = client.post("/api/v1/users?lang=en", json={"username": "weak", "password": "123"})
    assert english.json()["error"]["message"].startswith("the password is too weak")


@pytest.mark.req("SEC-1")
def test_session_sign_in_needs_csrf_for_writes_and_sign_out_ends_it(client: TestClient) -> None:
    register(client, "lisi")
    csrf = login(client, "lisi")
    assert client.get("/api/v1/users/me").json()["username"] == "lisi"
    refused = client.post("/api/v1/users/me/tokens", json={"name": "script"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    created = client.post("/api/v1/users/me/tokens", json={"name": "script"}, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert client.get("/api/v1/users/me").status_code == 401


@pytest.mark.req("SEC-1")
def test_repeated_failures_lock_the_account(client: TestClient) -> None:
    register(client, "wangwu")
    for _ in range(4):
        r = client.post("/api/v1/auth/login", json={"username": "wangwu", "password": "wrong-password-1"})
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "invalid_credentials"
    fifth = client.post("/api/v1/auth/login", json={"username": "wangwu", "password": "wrong-password-1"})
    assert fifth.status_code == 423
    # Locked: even the right password is refused until the lock expires.
    right = client.post("/api/v1/auth/login", json={"username": "wangwu", "password": PASSWORD})
    assert right.status_code == 423
    unknown = client.post("/api/v1/auth/login", json={"username": "nobody", "password": PASSWORD})
    assert unknown.status_code == 401


@pytest.mark.req("SEC-1")
def test_tokens_are_shown_once_scoped_revocable_and_record_last_use(client: TestClient) -> None:
    register(client, "zhaoliu")
    csrf = login(client, "zhaoliu")
    created = client.post(
        "/api/v1/users/me/tokens",
        json={"name": "etl", "scopes": ["read"], "expires_in_days": 7},
        headers={"X-CSRF-Token": csrf},
    ).json()
    token = created["token"]
    listed = client.get("/api/v1/users/me/tokens").json()
    assert "token" not in listed[0] and listed[0]["last_used_at"] is None
    bearer = TestClient(client.app)
    assert bearer.get("/api/v1/users/me", headers=auth_header(token)).json()["username"] == "zhaoliu"
    assert client.get("/api/v1/users/me/tokens").json()[0]["last_used_at"] is not None
    # Read scope: writes refused.
    write = bearer.post(
        "/api/v1/users/me/verification/person",
        headers=auth_header(token),
        json={"real_name": "赵六", "resident_id": valid_resident_id(), "mobile": "13812345678"},
    )
    assert write.status_code == 403
    assert (
        client.delete(f"/api/v1/users/me/tokens/{created['id']}", headers={"X-CSRF-Token": csrf}).status_code
        == 200
    )
    gone = bearer.get("/api/v1/users/me", headers=auth_header(token))
    assert gone.status_code == 401 and gone.json()["error"]["code"] == "invalid_token"
    forged = bearer.get("/api/v1/users/me", headers=auth_header(token[:-2] + "xx"))
    assert forged.status_code == 401
    too_long = client.post(
        "/api/v1/users/me/tokens", json={"name": "x", "expires_in_days": 3000}, headers={"X-CSRF-Token": csrf}
    )
    assert too_long.status_code == 422


@pytest.mark.req("ACC-12", "SEC-2")
def test_person_real_name_verification_reaches_level_1(client: TestClient, platform: Platform) -> None:
    resident_id = valid_resident_id("31011519900307123")
    fake = FakeNationalIdentityService({resident_id: "张三"})
    platform.identity_verifier = fake
    register(client, "zhangsan")
    csrf = login(client, "zhangsan")
    headers = {"X-CSRF-Token": csrf}
    mismatch = client.post(
        "/api/v1/users/me/verification/person",
        headers=headers,
        json={"real_name": "张四", "resident_id": resident_id, "mobile": "13812345678"},
    )
    assert mismatch.status_code == 422 and mismatch.json()["error"]["code"] == "identity_not_confirmed"
    ok = client.post(
        "/api/v1/users/me/verification/person",
        headers=headers,
        json={"real_name": "张三", "resident_id": resident_id, "mobile": "138 1234 5678"},
    )
    assert ok.status_code == 200, ok.text
    me = ok.json()
    assert me["verification_level"] == 1
    # The ID number is never returned (or stored) in clear.
    assert resident_id not in ok.text and me["resident_id_masked"].startswith("310")
    assert fake.calls == 2


@pytest.mark.req("ACC-12")
def test_forged_identifiers_are_refused_with_every_problem_named(client: TestClient) -> None:
    register(client, "forger")
    csrf = login(client, "forger")
    good = valid_resident_id()
    forged = good[:-1] + ("0" if good[-1] != "0" else "1")
    r = client.post(
        "/api/v1/users/me/verification/person",
        headers={"X-CSRF-Token": csrf},
        json={"real_name": "张三", "resident_id": forged, "mobile": "12345678901"},
    )
    assert r.status_code == 422
    fields = {d["field"]: d["code"] for d in r.json()["error"]["details"]}
    assert fields == {"resident_id": "invalid_resident_id_checksum", "mobile": "invalid_mobile"}


@pytest.mark.req("ACC-12")
def test_company_verification_pending_until_the_center_approves(
    client: TestClient, platform: Platform
) -> None:
    from tests.helpers import make_actors

    actors = make_actors(platform)
    company = auth_header(actors.tokens["company"])
    forged = client.post(
        "/api/v1/users/me/verification/company",
        headers=company,
        data={"credit_code": "91310115MA1FL3XK2Z", "organization_name": "上海某公司"},
        files={"licence": ("licence.pdf", io.BytesIO(b"%PDF-1.4"), "application/pdf")},
    )
    assert forged.status_code == 422 and forged.json()["error"]["code"].startswith("invalid_credit_code")
    disguised = client.post(
        "/api/v1/users/me/verification/company",
        headers=company,
        data={"credit_code": valid_credit_code(), "organization_name": "上海某公司"},
        files={"licence": ("licence.pdf", io.BytesIO(b"MZ\x90\x00 not a pdf"), "application/pdf")},
    )
    assert disguised.status_code == 422 and disguised.json()["error"]["code"] == "unsupported_file_type"
    submitted = client.post(
        "/api/v1/users/me/verification/company",
        headers=company,
        data={"credit_code": valid_credit_code(), "organization_name": "上海某公司"},
        files={"licence": ("licence.pdf", io.BytesIO(b"%PDF-1.4 ok"), "application/pdf")},
    )
    assert submitted.status_code == 201
    assert client.get("/api/v1/users/me", headers=company).json()["verification_status"] == "pending"
    assert client.get("/api/v1/users/me", headers=company).json()["verification_level"] == 0
    center = auth_header(actors.tokens["center"])
    no_reason = client.post(
        f"/api/v1/verification-requests/{submitted.json()['id']}/review",
        headers=center,
        json={"approve": False},
    )
    assert no_reason.status_code == 422
    approved = client.post(
        f"/api/v1/verification-requests/{submitted.json()['id']}/review",
        headers=center,
        json={"approve": True, "note": "证照核验一致"},
    )
    assert approved.status_code == 200
    me = client.get("/api/v1/users/me", headers=company).json()
    assert me["verification_level"] == 2 and me["credit_code"] == valid_credit_code()
