"""Pure rules of objections and complaints: deadlines, checks, the order types, the leak-trace grouping."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from publicdata.identity.model import Role
from publicdata.identity.permissions import Principal
from publicdata.objections import model, rules
from publicdata.objections.complaint_workflow import RIGHTS_COMPLAINT
from publicdata.objections.model import AccessEvent, RuleError
from publicdata.objections.workflow import OBJECTION_REVIEW, OBJECTION_VERIFICATION
from publicdata.workdays.model import WorkdayCalendar
from publicdata.workorders.model import ClockEffect

SH = ZoneInfo("Asia/Shanghai")


@pytest.mark.req("QUA-3")
def test_deadlines_across_national_day_2026() -> None:
    calendar = WorkdayCalendar([])  # chinesecalendar: 10-01..10-07 off, Saturday 10-10 a working day
    received = datetime(2026, 9, 30, 16, tzinfo=SH)
    assert calendar.deadline(received, model.MARK_WORKING_DAYS).due_date == date(2026, 10, 8)
    assert calendar.deadline(received, model.CENTER_DECISION_WORKING_DAYS).due_date == date(2026, 10, 9)
    forwarded = datetime(2026, 10, 9, 15, tzinfo=SH)
    assert calendar.deadline(forwarded, model.PROVIDER_DECISION_WORKING_DAYS).due_date == date(2026, 10, 15)


@pytest.mark.req("QUA-3", "QUA-4")
def test_order_types_follow_the_regulated_periods() -> None:
    assert dict(OBJECTION_REVIEW.sla_working_days) == {"city": 2, "district": 2}
    assert dict(OBJECTION_VERIFICATION.sla_working_days) == {"city": 5, "district": 5}
    assert dict(RIGHTS_COMPLAINT.sla_working_days) == {"city": 5, "district": 5}
    mark = OBJECTION_REVIEW.transition("received", "mark")
    assert mark is not None and mark.clock is ClockEffect.KEEP and mark.target == "marked"
    assert OBJECTION_REVIEW.transition("marked", "mark") is None  # marked once
    forward = OBJECTION_REVIEW.transition("marked", "forward")
    assert forward is not None and forward.clock is ClockEffect.STOP and forward.note_required
    suspend = RIGHTS_COMPLAINT.transition("received", "suspend")
    assert suspend is not None and suspend.clock is ClockEffect.KEEP
    assert RIGHTS_COMPLAINT.transition("suspended", "suspend") is None
    assert {t.action for t in RIGHTS_COMPLAINT.actions_from("suspended")} == {
        "withdraw",
        "restore",
        "reprocess",
    }


def test_text_and_field_hint_checks() -> None:
    assert model.check_text("  数据有误。 ", field="description", minimum=3, label_zh="说明") == "数据有误。"
    with pytest.raises(RuleError) as short:
        model.check_text("错", field="description", minimum=5, label_zh="异议说明")
    assert short.value.code == "text_required" and "5" in short.value.message_zh
    assert model.check_field_hints(["a", " a", "b", ""], ["a", "b"]) == ["a", "b"]
    with pytest.raises(RuleError) as unknown:
        model.check_field_hints(["a", "zz"], ["a"])
    assert unknown.value.code == "unknown_field" and "zz" in unknown.value.message_en


@pytest.mark.req("QUA-3")
def test_a_correction_names_a_newer_version_or_a_change_order() -> None:
    ok = {"known_versions": [1, 2, 3], "baseline_version": 2}
    model.check_correction(version=3, change_order_id=None, change_order_ok=False, **ok)  # type: ignore[arg-type]
    model.check_correction(version=None, change_order_id="w1", change_order_ok=True, **ok)  # type: ignore[arg-type]
    cases = [
        ({"version": None, "change_order_id": None, "change_order_ok": False}, "correction_required"),
        ({"version": 2, "change_order_id": None, "change_order_ok": False}, "version_not_newer"),
        ({"version": 9, "change_order_id": None, "change_order_ok": False}, "unknown_version"),
        ({"version": None, "change_order_id": "w2", "change_order_ok": False}, "unknown_change_order"),
    ]
    for kwargs, code in cases:
        with pytest.raises(RuleError) as refused:
            model.check_correction(**kwargs, **ok)  # type: ignore[arg-type]
        assert refused.value.code == code


@pytest.mark.req("QUA-4")
def test_leak_trace_groups_users_tokens_and_anonymous_addresses() -> None:
    t = [datetime(2026, 10, d, 9, tzinfo=UTC) for d in range(1, 8)]
    events = [
        AccessEvent(t[2], "user", "u1", "datastore.download", 1),
        AccessEvent(t[0], "token", "u1", "api.call"),
        AccessEvent(t[4], "token", "u1", "datastore.download", 2),
        AccessEvent(t[1], "anonymous", "hash-a", "datastore.download", 1),
        AccessEvent(t[3], "anonymous", None, "datastore.download", 1),
        AccessEvent(t[5], "anonymous", "hash-a", "datastore.download", 1),
        AccessEvent(t[6], "system", None, "datastore.download", 1),
    ]
    groups = model.summarize_access(events)
    assert [g.key for g in groups] == ["user:u1", "anonymous:hash-a", "anonymous:-"]
    u1 = groups[0]
    assert u1.first_access == t[0] and u1.last_access == t[4] and u1.total == 3
    assert u1.counts == {"api.call": 1, "datastore.download": 2} and u1.versions == {1, 2} and u1.via_token
    assert groups[1].total == 2 and groups[1].actor_kind == "anonymous"


def test_api_paths_that_read_a_dataset() -> None:
    refs = ("SH-A-1", "abc123")
    assert model.api_path_reads_dataset("/api/v1/datasets/SH-A-1/records", refs)
    assert model.api_path_reads_dataset("/api/v1/datasets/abc123/versions/2/download.csv", refs)
    assert model.api_path_reads_dataset("/api/v1/datasets/SH-A-1/download.json", refs)
    assert not model.api_path_reads_dataset("/api/v1/datasets/SH-A-1/objections", refs)
    assert not model.api_path_reads_dataset("/api/v1/datasets/SH-A-10/records", refs)
    assert not model.api_path_reads_dataset("/api/v1/datasets/SH-A-1", refs)


@pytest.mark.req("QUA-3", "QUA-4")
def test_rules() -> None:
    anonymous = Principal()
    person = Principal(user_id="u1", username="p")
    staff = Principal(user_id="s1", roles=frozenset({(Role.PROVIDER_STAFF, "orgA")}))
    other = Principal(user_id="s2", roles=frozenset({(Role.PROVIDER_STAFF, "orgB")}))
    center = Principal(user_id="c1", roles=frozenset({(Role.CENTER, "C")}))
    assert rules.can_object(anonymous).needs_sign_in and rules.can_object(person)
    assert rules.can_view_objection(person, objector_id="u1", provider_id="orgA")
    assert not rules.can_view_objection(other, objector_id="u1", provider_id="orgA")
    assert rules.can_view_objection(staff, objector_id="u1", provider_id="orgA")
    assert rules.can_trace_leaks(center, "orgA") and rules.can_trace_leaks(staff, "orgA")
    assert not rules.can_trace_leaks(person, "orgA") and not rules.can_trace_leaks(other, "orgA")
    assert rules.can_handle_complaint(staff, "orgA") and not rules.can_handle_complaint(center, "orgA")
    assert rules.can_record_correction(center, "orgA") and not rules.can_record_correction(other, "orgA")
