"""Grant duties with real dates across National Day 2026 (1–7 Oct off, Sat 10 Oct a make-up working day):
usage report reminder → suspension after the grace period counted in working days → filing resumes;
the daily quota resets at Shanghai midnight; scope enforcement through the services."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from publicdata.access import grant_calls, grant_service, reports, violations
from publicdata.access.grant_jobs import run_usage_report_duties
from publicdata.access.grant_tables import AccessGrant
from publicdata.access.grants import issue_grant
from publicdata.catalog.schemas import DatasetIn
from publicdata.catalog.service import create_dataset, find_dataset, publish_dataset
from publicdata.datastore import ingest_service
from publicdata.datastore import service as datastore
from publicdata.errors import PermissionDenied, RateLimited, ValidationFailed
from publicdata.identity import auth
from publicdata.identity.permissions import SYSTEM, Principal
from publicdata.notifications.tables import Notification
from publicdata.platform import Platform
from tests.helpers import PASSWORD, Actors, dataset_document, make_actors

SH = ZoneInfo("Asia/Shanghai")
CSV = "stop_name,district_code,note\n甲站,310101,x1\n乙站,310115,x2\n丙站,310101,x3\n".encode()
CONDITIONAL = {
    "open_class": "conditional",
    "grading": {"personal": 1, "organizational": 1, "object": 3},
    "conditions": [{"kind": "scenario", "description": "仅限公共服务场景"}],
    "application_materials": ["应用场景说明"],
}
REPORT = {
    "scenarios": "公交出行导航",
    "service_targets": "市民",
    "business_model": "免费服务",
    "calls": "每日约 200 次",
    "fields_used": "stop_name, district_code",
    "algorithms": "最短路径",
    "benefits": "服务 1 万人次",
    "quality_suggestions": "补充站点坐标",
    "security_measures": "加密存储、访问控制",
}


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SH).astimezone(UTC)


def person(platform: Platform, name: str) -> Principal:
    return auth.authenticate(platform, username=name, password=PASSWORD)


@pytest.fixture
def actors(platform: Platform) -> Actors:
    return make_actors(platform)


def setup_grant(
    platform: Platform, actors: Actors, *, quota: int = 100, upload: bool = False
) -> tuple[str, str]:
    staff = person(platform, "staff_a")
    doc = dataset_document("ORGA", code="SH-ORGA-DUTY", **CONDITIONAL)
    doc["fields"] = [
        {"name": "stop_name", "label": "站点名称", "type": "text", "description": "站点名称"},
        {"name": "district_code", "label": "区划代码", "type": "text", "description": "区划代码"},
        {"name": "note", "label": "备注", "type": "text", "description": "内部备注"},
    ]
    create_dataset(platform, actor=staff, data=DatasetIn(**doc))
    if upload:
        job = ingest_service.upload(
            platform, actor=staff, ref="SH-ORGA-DUTY", filename="d.csv", stream=io.BytesIO(CSV), wait=True
        )
        assert job["state"] == "succeeded", job
    admin = person(platform, "admin")
    publish_dataset(platform, actor=admin, ref="SH-ORGA-DUTY")
    with platform.db.transaction() as session:
        dataset = find_dataset(session, "SH-ORGA-DUTY")
        grant = issue_grant(
            session,
            actor=SYSTEM,
            dataset_id=dataset.id,
            provider_id=dataset.provider_id,
            user_id=actors.user_ids["person_l1"],
            fields=["stop_name", "district_code"],
            row_filter=[{"column": "district_code", "op": "eq", "value": "310101"}],
            valid_from=date(2026, 7, 2),
            valid_until=date(2027, 7, 1),
            daily_quota=quota,
            report_every_days=90,
        )
        return "SH-ORGA-DUTY", grant.id


def state_of(platform: Platform, grant_id: str) -> tuple[str, str, date | None]:
    with platform.db.reading() as session:
        grant = session.get(AccessGrant, grant_id)
        assert grant is not None
        return grant.state, grant.suspension_cause, grant.next_report_due


@pytest.mark.req("ACC-9")
def test_overdue_report_reminded_then_suspended_after_grace_working_days_then_resumed(
    platform: Platform, actors: Actors
) -> None:
    _, grant_id = setup_grant(platform, actors)
    assert state_of(platform, grant_id) == ("active", "", date(2026, 9, 30))  # 2 Jul + 90 days
    assert run_usage_report_duties(platform, now=at(2026, 9, 29)) == {"reminded": 0, "suspended": 0}
    # Due on 30 Sep: reminded once.
    assert run_usage_report_duties(platform, now=at(2026, 9, 30)) == {"reminded": 1, "suspended": 0}
    assert run_usage_report_duties(platform, now=at(2026, 10, 5)) == {"reminded": 0, "suspended": 0}
    with platform.db.reading() as session:
        notes = session.scalars(
            select(Notification).where(Notification.kind == "access.usage_report_due")
        ).all()
        assert len(notes) == 1 and "2026-10-20" in notes[0].body_en
    # Grace = 10 working days after 30 Sep: 8, 9, 10 (make-up Saturday), 12–16, 19, 20 Oct. Counting
    # calendar days would have suspended on 11 Oct.
    assert platform.settings.access_report_grace_working_days == 10
    assert run_usage_report_duties(platform, now=at(2026, 10, 11)) == {"reminded": 0, "suspended": 0}
    assert run_usage_report_duties(platform, now=at(2026, 10, 20, 23, 50)) == {"reminded": 0, "suspended": 0}
    assert run_usage_report_duties(platform, now=at(2026, 10, 21, 0, 10)) == {"reminded": 0, "suspended": 1}
    assert state_of(platform, grant_id)[:2] == ("suspended", "report")
    holder = person(platform, "person_l1")
    # Every ACC-9 section is required, all reported at once.
    with pytest.raises(ValidationFailed) as missing:
        reports.file_report(
            platform, actor=holder, grant_id=grant_id, contents={"scenarios": "x"}, now=at(2026, 10, 22)
        )
    assert len(missing.value.details) == 8
    with pytest.raises(PermissionDenied):
        reports.file_report(
            platform,
            actor=person(platform, "person_l0"),
            grant_id=grant_id,
            contents=REPORT,
            now=at(2026, 10, 22),
        )
    filed = reports.file_report(
        platform, actor=holder, grant_id=grant_id, contents=REPORT, now=at(2026, 10, 22)
    )
    assert filed["report"]["due_on"] == date(2026, 9, 30) and filed["report"]["period_start"] == date(
        2026, 7, 2
    )
    # Filing the late report lifts the report suspension; the next one is due 90 days after the last due date.
    assert state_of(platform, grant_id) == ("active", "", date(2026, 12, 29))
    assert filed["grant"]["report"]["days_left"] == 68


@pytest.mark.req("ACC-9")
def test_a_provider_suspension_is_not_lifted_by_filing_a_report(platform: Platform, actors: Actors) -> None:
    _, grant_id = setup_grant(platform, actors)
    grant_service.change_state(
        platform, actor=person(platform, "staff_a"), grant_id=grant_id, action="suspend", reason="核查"
    )
    reports.file_report(
        platform, actor=person(platform, "person_l1"), grant_id=grant_id, contents=REPORT, now=at(2026, 9, 1)
    )
    assert state_of(platform, grant_id) == ("suspended", "provider", date(2026, 12, 29))


@pytest.mark.req("ACC-10", "ACC-6")
def test_quota_resets_at_shanghai_midnight_and_scope_holds_in_services(
    platform: Platform, actors: Actors
) -> None:
    code, _ = setup_grant(platform, actors, quota=2, upload=True)
    holder = person(platform, "person_l1")
    evening = at(2026, 10, 9, 23, 0)  # 23:00 Beijing time = 15:00 UTC
    got = datastore.query_records(platform, actor=holder, ref=code, params=[], now=evening)
    assert got["records"] == [
        {"stop_name": "甲站", "district_code": "310101"},
        {"stop_name": "丙站", "district_code": "310101"},
    ]
    datastore.sql_query(platform, actor=holder, sql="SELECT * FROM sh_orga_duty", now=evening)
    with pytest.raises(RateLimited) as limited:
        datastore.download(platform, actor=holder, ref=code, fmt="csv", now=at(2026, 10, 9, 23, 30))
    assert limited.value.retry_after == 1800 and limited.value.headers == {"Retry-After": "1800"}
    # A new Shanghai day (16:00 UTC) has a fresh quota.
    fresh = datastore.download(platform, actor=holder, ref=code, fmt="csv", now=at(2026, 10, 10, 0, 0))
    assert fresh.path.read_text(encoding="utf-8").splitlines() == [
        "stop_name,district_code",
        "甲站,310101",
        "丙站,310101",
    ]
    # Outside the grant's period nothing is served.
    with pytest.raises(PermissionDenied) as expired:
        datastore.query_records(platform, actor=holder, ref=code, params=[], now=at(2027, 7, 2))
    assert expired.value.code == "grant_expired"


@pytest.mark.req("ACC-11")
def test_access_restricted_is_true_only_while_a_close_violation_holds(
    platform: Platform, actors: Actors
) -> None:
    setup_grant(platform, actors)
    user = actors.user_ids["person_l1"]
    center = person(platform, "center")
    with platform.db.reading() as session:
        assert grant_calls.access_restricted(session, user) is False
    recorded = violations.record_violation(
        platform, actor=center, user_id=user, kind="illegal_acquisition", description="爬取", measure="close"
    )
    with platform.db.reading() as session:
        assert violations.access_restricted(session, user) is True
    violations.lift_violation(platform, actor=center, violation_id=recorded["id"], reason="已整改")
    with platform.db.reading() as session:
        assert violations.access_restricted(session, user) is False
    with pytest.raises(ValidationFailed):
        violations.record_violation(
            platform, actor=center, user_id=user, kind="other", description="x", measure="close", publish=True
        )
