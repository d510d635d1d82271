"""One message per step per recipient along an application for conditional data (ACC-3, ACC-4, ACC-5).

The application's steps run through work orders, and the engine tells the other side of every order
action; the access workflow tells the applicant in its own words (bilingual, with the reasons and what
to do next). The applicant must get ONE message per step — the access workflow's — not the generic
work-order notice as well."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from publicdata.identity.tables import User
from publicdata.notifications.tables import Notification, OutboundMail
from publicdata.platform import Platform
from tests.e2e.test_access_applications_api import (
    World,
    application,
    as_,
    build_world,
    full_materials,
    submit,
)


@pytest.fixture
def world(platform: Platform, client: TestClient) -> World:
    return build_world(platform, client)


class Inbox:
    """A user's inbox, read step by step: `new()` returns the messages that arrived since last time."""

    def __init__(self, platform: Platform, user_id: str) -> None:
        self.platform, self.user_id, self.seen = platform, user_id, 0

    def all(self) -> list[Notification]:
        with self.platform.db.reading() as session:
            rows = session.scalars(
                select(Notification)
                .where(Notification.user_id == self.user_id)
                .order_by(Notification.created_at, Notification.id)
            ).all()
            session.expunge_all()
            return list(rows)

    def new(self) -> list[Notification]:
        rows = self.all()
        fresh, self.seen = rows[self.seen :], len(rows)
        return fresh


def one_message(inbox: Inbox, kind: str) -> Notification:
    fresh = inbox.new()
    assert [n.kind for n in fresh] == [kind], [(n.kind, n.title_zh) for n in fresh]
    note = fresh[0]
    assert note.title_zh and note.title_en and note.title_zh != note.title_en  # bilingual
    return note


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.json()
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.req("ACC-3", "ACC-4", "ACC-5")
def test_the_applicant_gets_one_message_per_step(
    client: TestClient, world: World, platform: Platform
) -> None:
    applicant = Inbox(platform, world.actors.user_ids["person_l1"])
    center = Inbox(platform, world.actors.user_ids["center"])
    provider = Inbox(platform, world.actors.user_ids["staff_a"])
    with platform.db.transaction() as session:  # so that every message is mailed too
        user = session.get(User, applicant.user_id)
        assert user is not None
        user.email = "zhangsan@example.cn"

    # Submit: a receipt naming the check's due date; the center is told of the new check order.
    app = ok(submit(client, world, materials=full_materials(client, world)))
    receipt = one_message(applicant, "access.submitted")
    due = app["current_order"]["deadline"]["due_date"]
    assert due in receipt.body_zh and due in receipt.body_en
    assert receipt.link == f"/access/applications/{app['id']}"
    assert [n.kind for n in center.new()] == ["workorder.opened"]

    # Completeness check: accepted and forwarded — one message, the access workflow's.
    ok(client.post(f"/api/v1/applications/{app['id']}/accept", headers=as_(world, "center")))
    one_message(applicant, "access.accepted")
    assert [n.kind for n in provider.new()] == ["workorder.opened"]
    assert center.new() == []  # the center acted: it is not told of its own step

    # Decision: approved.
    ok(
        client.post(
            f"/api/v1/applications/{app['id']}/approve",
            json={"daily_quota": 500},
            headers=as_(world, "staff_a"),
        )
    )
    one_message(applicant, "access.approved")
    assert provider.new() == []

    # Agreement: signing issues the grant — one message with the grant's terms, not two.
    preview = ok(client.get(f"/api/v1/applications/{app['id']}/agreement", headers=as_(world, "person_l1")))
    signed = ok(
        client.post(
            f"/api/v1/applications/{app['id']}/agreement",
            json={"accept": True, "signer_name": "张三", "agreement_sha256": preview["sha256"]},
            headers=as_(world, "person_l1"),
        )
    )
    note = one_message(applicant, "access.signed")
    grant_id = signed["agreement"]["grant_id"]
    assert note.link == f"/grants/{grant_id}" and "500" in note.body_zh and "500" in note.body_en
    assert [n.kind for n in provider.new()] == ["access.signed"]

    # Four steps, four messages, none of them the engine's generic work-order notice; one mail each.
    everything = applicant.all()
    assert [n.kind for n in everything] == [
        "access.submitted",
        "access.accepted",
        "access.approved",
        "access.signed",
    ]
    with platform.db.reading() as session:
        mails = session.scalars(
            select(OutboundMail.notification_id).where(
                OutboundMail.notification_id.in_([n.id for n in everything])
            )
        ).all()
    assert sorted(mails) == sorted(n.id for n in everything)


@pytest.mark.req("ACC-3", "ACC-4")
def test_returns_referral_and_refusal_speak_once_to_the_applicant(
    client: TestClient, world: World, platform: Platform
) -> None:
    applicant = Inbox(platform, world.actors.user_ids["person_l1"])
    provider = Inbox(platform, world.actors.user_ids["staff_a"])
    app_id = ok(submit(client, world, materials=full_materials(client, world)))["id"]
    one_message(applicant, "access.submitted")

    ok(
        client.post(
            f"/api/v1/applications/{app_id}/return",
            json={"problems": [{"item": "security_capability", "reason": "未说明数据存储位置"}]},
            headers=as_(world, "center"),
        )
    )
    returned = one_message(applicant, "access.incomplete")
    assert "未说明数据存储位置" in returned.body_zh

    # Resubmission (same check order, clock restarted): one receipt.
    again = ok(
        client.put(
            f"/api/v1/applications/{app_id}",
            json=application(world.code, materials=full_materials(client, world)),
            headers=as_(world, "person_l1"),
        )
    )
    assert again["rounds"] == 2
    one_message(applicant, "access.resubmitted")

    ok(client.post(f"/api/v1/applications/{app_id}/accept", headers=as_(world, "center")))
    one_message(applicant, "access.accepted")
    provider.new()

    # Referral to the experts (the decision clock pauses) and the experts' opinion (it resumes).
    ok(
        client.post(
            f"/api/v1/applications/{app_id}/refer",
            json={"note": "数据量较大，提请专家评议"},
            headers=as_(world, "staff_a"),
        )
    )
    referred = one_message(applicant, "access.referred")
    assert referred.subject_id == app_id
    ok(
        client.post(
            f"/api/v1/applications/{app_id}/expert-opinions",
            json={"recommendation": "approve", "opinion": "同意"},
            headers=as_(world, "expert"),
        )
    )
    one_message(applicant, "access.expert_review_closed")
    assert [n.kind for n in provider.new()] == ["access.expert_opinion"]

    # Refusal with every reason at once.
    ok(
        client.post(
            f"/api/v1/applications/{app_id}/refuse",
            json={"problems": [{"item": "period", "reason": "期限过长"}]},
            headers=as_(world, "staff_a"),
        )
    )
    refused = one_message(applicant, "access.refused")
    assert "期限过长" in refused.body_zh
    assert not [n for n in applicant.all() if n.kind.startswith("workorder.")]


@pytest.mark.req("ACC-3")
def test_the_generic_work_order_action_speaks_once_too(
    client: TestClient, world: World, platform: Platform
) -> None:
    """The generic work-order API runs the same handlers, so it also sends one message per step."""
    applicant = Inbox(platform, world.actors.user_ids["person_l1"])
    app = ok(submit(client, world, materials=full_materials(client, world)))
    applicant.new()
    order_id = app["check_order"]["id"]
    acted = client.post(
        f"/api/v1/workorders/{order_id}/actions",
        json={"action": "accept", "note": "材料齐全"},
        headers=as_(world, "center"),
    )
    assert acted.status_code == 200, acted.json()
    one_message(applicant, "access.accepted")
