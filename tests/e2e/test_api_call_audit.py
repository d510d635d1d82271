"""Calls made with API tokens are traced one by one in the audit log (PLT-5, PLT-8)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from publicdata.audit.tables import AuditRecord
from publicdata.platform import Platform
from tests.helpers import auth_header, make_actors

pytestmark = pytest.mark.req("PLT-5", "PLT-8")


def api_calls(platform: Platform) -> list[tuple[str, str | None, dict[str, object]]]:
    """(actor_kind, actor_id, details) of every api.call entry, in chain order."""
    with platform.db.reading() as session:
        query = select(AuditRecord).where(AuditRecord.action == "api.call").order_by(AuditRecord.seq)
        return [(r.actor_kind, r.actor_id, json.loads(r.details)) for r in session.scalars(query)]


def test_each_token_call_is_one_audit_entry(platform: Platform, client: TestClient) -> None:
    actors = make_actors(platform)
    token = actors.tokens["staff_a"]
    assert client.get("/api/v1/users/me", headers=auth_header(token)).status_code == 200
    assert client.get("/api/v1/datasets/NOPE", headers=auth_header(token)).status_code == 404
    calls = api_calls(platform)
    assert [(details["path"], details["status"]) for _, _, details in calls] == [
        ("/api/v1/users/me", 200),
        ("/api/v1/datasets/NOPE", 404),
    ]
    assert {(kind, actor) for kind, actor, _ in calls} == {("token", actors.user_ids["staff_a"])}


def test_anonymous_reads_are_not_traced_per_call(platform: Platform, client: TestClient) -> None:
    assert client.get("/api/v1/datasets").status_code == 200
    assert api_calls(platform) == []
