"""Deadlines of applications for conditional data with real dates across National Day 2026 (holiday
2026-10-01..07, make-up working day Saturday 2026-10-10): the center's 2-working-day check, the
provider's 5 (city) / 10 (district) working days, pause while with experts and resume, restart on
resubmission, the expert period running out (ACC-3, ACC-4)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from publicdata.access import applications, decisions
from publicdata.access.app_schemas import ApplicationIn
from publicdata.audit.store import verify_audit_log
from publicdata.config import Jurisdiction, Settings
from publicdata.errors import AppError
from publicdata.identity import auth
from publicdata.identity.permissions import SYSTEM, Principal
from publicdata.platform import Platform
from publicdata.workorders.scheduled import tick
from tests.e2e.test_access_applications_api import MATERIALS, World, build_world
from tests.helpers import PASSWORD

SH = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=SH).astimezone(UTC)


def who(platform: Platform, username: str) -> Principal:
    return auth.authenticate(platform, username=username, password=PASSWORD)


def request(world: World, **overrides: object) -> ApplicationIn:
    body: dict[str, object] = {
        "dataset": world.code,
        "purpose": "开发公交到站提醒应用",
        "scenario": "面向市民的公交出行服务",
        "fields": ["stop_name", "district_code"],
        "period_start": "2026-10-15",
        "period_end": "2027-10-14",
        "security_measures": "数据加密存储，专人管理",
        "expected_rows": 1000,
        "materials": MATERIALS | {"qualification_documents": "营业执照（纸质已寄送）"},
    }
    body.update(overrides)
    return ApplicationIn.model_validate(body)


@pytest.fixture
def world(platform: Platform, client: TestClient) -> World:
    w = build_world(platform, client)
    # Qualification documents as text for these service-level tests.
    req = client.get(f"/api/v1/datasets/{w.code}/access-requirements").json()
    materials = [m | {"kind": "text"} for m in req["materials"]]
    client.put(
        f"/api/v1/datasets/{w.code}/access-requirements",
        json={"materials": materials, "expert_threshold_rows": 100000},
        headers={"Authorization": f"Bearer {w.actors.tokens['staff_a']}"},
    ).raise_for_status()
    return w


@pytest.mark.req("ACC-3", "ACC-4")
def test_city_deadlines_across_national_day(platform: Platform, world: World) -> None:
    person, center, staff = who(platform, "person_l1"), who(platform, "center"), who(platform, "staff_a")
    expert = who(platform, "expert1")
    app, created = applications.submit_application(
        platform, actor=person, data=request(world), idempotency_key="a", now=at("2026-09-29")
    )
    assert created and app.check_order is not None
    # Received Tue 29 Sep; 30 Sep is day 1, 1–7 Oct are holidays, Thu 8 Oct is day 2.
    assert app.check_order.deadline.due_date == date(2026, 10, 8)
    assert app.current_order is not None and app.current_order.remaining_working_days == 2

    back = decisions.return_incomplete(
        platform,
        actor=center,
        application_id=app.id,
        now=at("2026-09-30", 9),
        problems=[{"item": "qualification_documents", "reason": "须上传营业执照扫描件"}],
    )
    assert back.state == "incomplete" and back.check_order is not None and back.check_order.paused

    # Resubmitted Fri 9 Oct: a fresh 2 working days — Sat 10 Oct (make-up day) and Mon 12 Oct.
    again = applications.resubmit_application(
        platform, actor=person, application_id=app.id, data=request(world), now=at("2026-10-09")
    )
    assert again.rounds == 2 and again.check_order is not None
    assert again.check_order.deadline.due_date == date(2026, 10, 12)

    # Accepted on the make-up Saturday: 5 working days → 12, 13, 14, 15, 16 Oct.
    fwd = decisions.accept_application(platform, actor=center, application_id=app.id, now=at("2026-10-10"))
    assert fwd.decision_order is not None
    assert fwd.decision_order.deadline.due_date == date(2026, 10, 16)

    # Referred Mon 12 Oct: paused with 4 working days left (13–16 Oct); experts have 10 working days.
    ref = decisions.refer_to_experts(
        platform, actor=staff, application_id=app.id, note="批量请求，提请专家评议", now=at("2026-10-12")
    )
    assert ref.decision_order is not None and ref.decision_order.paused
    assert ref.decision_order.remaining_working_days == 4
    # The opinion on Wed 14 Oct resumes the clock: 4 working days → 15, 16, 19, 20 Oct.
    op = decisions.give_opinion(
        platform,
        actor=expert,
        application_id=app.id,
        recommendation="approve",
        opinion="同意",
        now=at("2026-10-14"),
    )
    assert op.state == "forwarded" and op.decision_order is not None
    assert op.decision_order.deadline.due_date == date(2026, 10, 20)
    shown = applications.get_application(platform, actor=person, application_id=app.id, now=at("2026-10-16"))
    assert shown.current_order is not None and shown.current_order.remaining_working_days == 2
    late = applications.get_application(platform, actor=person, application_id=app.id, now=at("2026-10-22"))
    assert late.current_order is not None and late.current_order.overdue
    assert late.current_order.overdue_working_days == 2
    assert verify_audit_log(platform, actor=SYSTEM).ok


@pytest.mark.req("ACC-4")
def test_district_profile_gives_ten_working_days(settings: Settings, world: World) -> None:
    district = Platform.from_settings(settings.model_copy(update={"jurisdiction": Jurisdiction.DISTRICT}))
    try:
        person, center = who(district, "person_l1"), who(district, "center")
        app, _ = applications.submit_application(
            district, actor=person, data=request(world), idempotency_key="d", now=at("2026-09-29")
        )
        fwd = decisions.accept_application(
            district, actor=center, application_id=app.id, now=at("2026-09-30")
        )
        # 8, 9, 10 (make-up), 12, 13, 14, 15, 16, 19, 20 Oct.
        assert fwd.decision_order is not None
        assert fwd.decision_order.deadline.due_date == date(2026, 10, 20)
    finally:
        district.close()


@pytest.mark.req("ACC-4")
def test_expert_period_running_out_resumes_the_clock(platform: Platform, world: World) -> None:
    person, center, staff = who(platform, "person_l1"), who(platform, "center"), who(platform, "staff_a")
    app, _ = applications.submit_application(
        platform, actor=person, data=request(world), idempotency_key="e", now=at("2026-10-09")
    )
    decisions.accept_application(platform, actor=center, application_id=app.id, now=at("2026-10-10"))
    decisions.refer_to_experts(
        platform,
        actor=staff,
        application_id=app.id,
        note="提请专家评议",
        experts_needed=2,
        now=at("2026-10-12"),
    )
    # Experts due 10 working days after 12 Oct: 26 Oct. Nothing happens on the 26th itself.
    assert tick(platform, now=at("2026-10-26", 20))["access.expert_time_up.resumed"] == 0
    still = applications.get_application(
        platform, actor=person, application_id=app.id, now=at("2026-10-26", 20)
    )
    assert still.state == "expert_review"
    assert tick(platform, now=at("2026-10-27"))["access.expert_time_up.resumed"] == 1
    after = applications.get_application(platform, actor=person, application_id=app.id, now=at("2026-10-27"))
    assert after.state == "forwarded" and after.decision_order is not None
    # 4 working days carried over from the referral: 28, 29, 30 Oct, 2 Nov.
    assert after.decision_order.deadline.due_date == date(2026, 11, 2)


@pytest.mark.req("ACC-4")
def test_bulk_requests_need_the_experts_before_approval(platform: Platform, world: World) -> None:
    person, center, staff = who(platform, "person_l1"), who(platform, "center"), who(platform, "staff_a")
    expert = who(platform, "expert1")
    big, _ = applications.submit_application(
        platform,
        actor=person,
        data=request(world, expected_rows=200_000),
        idempotency_key="big",
        now=at("2026-10-09"),
    )
    assert big.expert_review_required  # above the dataset's threshold of 100 000 rows
    decisions.accept_application(platform, actor=center, application_id=big.id, now=at("2026-10-10"))
    with pytest.raises(AppError) as refused:
        decisions.approve_application(platform, actor=staff, application_id=big.id, now=at("2026-10-12"))
    assert refused.value.code == "expert_review_required"
    decisions.refer_to_experts(
        platform, actor=staff, application_id=big.id, note="批量", now=at("2026-10-12")
    )
    decisions.give_opinion(
        platform,
        actor=expert,
        application_id=big.id,
        recommendation="approve",
        opinion="可",
        now=at("2026-10-13"),
    )
    ok = decisions.approve_application(platform, actor=staff, application_id=big.id, now=at("2026-10-14"))
    assert ok.state == "approved"
    small, _ = applications.submit_application(
        platform,
        actor=person,
        data=request(world, one_off_bulk=True),
        idempotency_key="bulk",
        now=at("2026-10-09"),
    )
    assert small.expert_review_required and small.one_off_bulk
