"""Pure grant rules: scope checks, the read rule with grant standings, quotas, flags, report dates."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from publicdata.access import grant_model as gm
from publicdata.datastore.access import GrantScope, GrantStanding, ReadableDataset, can_read, scope_for
from publicdata.identity.model import Role, UserKind
from publicdata.identity.permissions import Principal

SH = ZoneInfo("Asia/Shanghai")
COND = ReadableDataset("d1", "SH-A-1", "org-a", "conditional", "published")
OPEN = ReadableDataset("d2", "SH-A-2", "org-a", "unconditional", "published")
USER = Principal(user_id="u1", username="u1", kind=UserKind.PERSON)
STAFF = Principal(user_id="s1", username="s1", roles=frozenset({(Role.PROVIDER_STAFF, "org-a")}))
SCOPE = GrantScope("g1", ("a", "b"), ({"column": "a", "op": "eq", "value": "1"},), 10)


@pytest.mark.req("ACC-6")
def test_read_rule_with_grant_standings() -> None:
    assert not can_read(USER, COND)
    assert can_read(USER, COND, GrantStanding(SCOPE))
    assert scope_for(USER, COND, GrantStanding(SCOPE)) == SCOPE
    suspended = GrantStanding(None, "grant_suspended", "your grant is suspended", "授权已暂停")
    refused = can_read(USER, COND, suspended)
    assert not refused and refused.reason_en == "your grant is suspended"
    # Anonymous callers never read conditional data; previews and open data are never scoped.
    assert not can_read(Principal(), COND, GrantStanding(SCOPE))
    assert can_read(STAFF, COND) and scope_for(STAFF, COND, GrantStanding(SCOPE)) is None
    assert can_read(USER, OPEN) and scope_for(USER, OPEN, None) is None


@pytest.mark.req("ACC-6")
def test_scope_problems_are_all_reported() -> None:
    problems = gm.check_scope(
        ["a", "zz"],
        [{"column": "a", "op": "like", "value": "x"}, {"column": "b", "op": "in", "value": []}],
        ["a", "b"],
    )
    assert [(p.field, p.message_en) for p in problems] == [
        ("fields", "unknown column 'zz'"),
        ("row_filter[0]", "unknown operator 'like' (use eq/ne/in/lt/lte/gt/gte)"),
        ("row_filter[1]", "'in' takes a non-empty list"),
    ]
    assert gm.check_scope([], [], ["a"])[0].field == "fields"
    assert gm.check_scope(["a"], [{"column": "a", "op": "gte", "value": 3}], ["a"]) == []


@pytest.mark.req("ACC-6", "ACC-10")
def test_records_parameters_name_their_columns() -> None:
    reserved = {"q", "fields", "sort", "limit", "offset", "next", "include_total", "lang"}
    params = [
        ("fields", "a, b"),
        ("sort", "-c,+d"),
        ("e__gte", "1"),
        ("filter.limit", "2"),
        ("x__y", "1"),
        ("q", "z"),
    ]
    assert gm.records_param_columns(params, reserved) == {"a", "b", "c", "d", "e", "limit", "x__y"}


@pytest.mark.req("ACC-10")
def test_quota_resets_at_shanghai_midnight() -> None:
    late = datetime(2026, 10, 9, 23, 30, tzinfo=SH)
    assert gm.seconds_until_shanghai_midnight(late) == 1800
    assert gm.start_of_shanghai_day(late) == datetime(2026, 10, 8, 16, 0, tzinfo=UTC)
    assert gm.shanghai_day(datetime(2026, 10, 9, 16, 30, tzinfo=UTC)) == date(2026, 10, 10)


@pytest.mark.req("ACC-10", "PLT-8")
def test_unusual_use_flags() -> None:
    base = gm.UsageStats(100, 10, 10, 8.0, 50, 100)
    assert gm.unusual_use_flags(base) == []
    spike = gm.UsageStats(100, 81, 81, 8.0, 50, 100)
    assert gm.unusual_use_flags(spike) == ["quota_spike"]
    surge = gm.UsageStats(1000, 30, 60, 10.0, 50, 100)  # 60 > 5 x 10 and >= 50
    assert gm.unusual_use_flags(surge) == ["quota_spike"]
    bulk = gm.UsageStats(1000, 3, 3, 1.0, 300, 100)
    assert gm.unusual_use_flags(bulk) == ["bulk_paging"]
    assert gm.unusual_use_flags(gm.UsageStats(1000, 3, 3, 1.0, 299, 100)) == []


@pytest.mark.req("ACC-9")
def test_report_dates_and_contents() -> None:
    assert gm.first_report_due(date(2026, 7, 2), 90) == date(2026, 9, 30)
    assert gm.next_report_due(date(2026, 9, 30), date(2026, 10, 22), 90) == date(2026, 12, 29)
    # A report more than an interval late: the next due date still lies ahead.
    assert gm.next_report_due(date(2026, 1, 1), date(2026, 7, 1), 90) == date(2026, 9, 28)
    missing = gm.report_problems({"scenarios": "导航", "calls": "  ", "fields_used": []})
    assert [p.field for p in missing] == [
        "service_targets",
        "business_model",
        "calls",
        "fields_used",
        "algorithms",
        "benefits",
        "quality_suggestions",
        "security_measures",
    ]


@pytest.mark.req("ACC-6", "ACC-11")
def test_grant_refusals() -> None:
    d = date(2026, 10, 8)
    assert gm.grant_refusal("active", date(2026, 1, 1), date(2026, 12, 31), d) is None
    assert gm.grant_refusal("suspended", date(2026, 1, 1), date(2026, 12, 31), d)[0] == "grant_suspended"  # type: ignore[index]
    assert gm.grant_refusal("closed", date(2026, 1, 1), date(2026, 12, 31), d)[0] == "grant_closed"  # type: ignore[index]
    assert gm.grant_refusal("active", date(2026, 11, 1), date(2026, 12, 31), d)[0] == "grant_not_yet_valid"  # type: ignore[index]
    assert gm.grant_refusal("active", date(2026, 1, 1), date(2026, 10, 7), d)[0] == "grant_expired"  # type: ignore[index]
    assert len(gm.ViolationKind) == 5


@pytest.mark.req("ACC-10")
def test_the_daily_row_quota_rule() -> None:
    # No row quota: rows are not limited.
    assert gm.rows_left_today(None, 10**9) is None
    assert not gm.row_quota_refuses(None, 10**9) and not gm.row_quota_refuses(None, 10**9, 10**9)
    assert gm.rows_left_today(100, 30) == 70 and gm.rows_left_today(100, 130) == 0
    # Before a read: refused only when nothing is left.
    assert not gm.row_quota_refuses(100, 99) and gm.row_quota_refuses(100, 100)
    # With the read's rows in hand: a read that fits is served whole, one that would pass is refused.
    assert not gm.row_quota_refuses(100, 90, 10) and gm.row_quota_refuses(100, 90, 11)
    assert not gm.row_quota_refuses(100, 100, 0)  # an empty result passes nothing
