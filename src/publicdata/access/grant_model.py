"""Pure rules of grants (ACC-6, ACC-9, ACC-10, ACC-11): scope checks, row filters, quotas, unusual-use
flags, usage-report contents and due dates, violation kinds. No database, no web framework."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class GrantState(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    CLOSED = "closed"


class SuspensionCause(StrEnum):
    PROVIDER = "provider"
    CENTER = "center"
    REPORT = "report"  # usage report overdue beyond the grace period (ACC-9)
    VIOLATION = "violation"  # a recorded violation (ACC-11)


class CallOutcome(StrEnum):
    SERVED = "served"
    REFUSED = "refused"  # fields outside the grant were asked for


class Flag(StrEnum):
    QUOTA_SPIKE = "quota_spike"
    FIELDS_OUTSIDE_GRANT = "fields_outside_grant"
    BULK_PAGING = "bulk_paging"


class ViolationKind(StrEnum):
    """The five kinds of ACC-11."""

    PLATFORM_RULES = "platform_rules"
    ILLEGAL_ACQUISITION = "illegal_acquisition"
    INFRINGING_RIGHTS = "infringing_rights"
    BEYOND_SCENARIO = "beyond_scenario"
    OTHER = "other"


class Measure(StrEnum):
    RESTRICT = "restrict"  # the grants of the dataset concerned are suspended
    CLOSE = "close"  # every grant suspended and no new applications


VIOLATION_KIND_NAMES: dict[str, tuple[str, str]] = {
    "platform_rules": ("违反平台规则", "breach of platform rules"),
    "illegal_acquisition": ("违规获取数据", "illegal acquisition of data"),
    "infringing_rights": ("侵犯他人合法权益", "infringing others' rights"),
    "beyond_scenario": ("超出约定场景使用", "use beyond the agreed scenario"),
    "other": ("其他违约行为", "other breach"),
}
MEASURE_NAMES: dict[str, tuple[str, str]] = {
    "restrict": ("限制访问", "access restricted"),
    "close": ("关闭访问", "access closed"),
}

# The contents of a usage report (ACC-9), every one required: key → (Chinese label, English label).
REPORT_SECTIONS: dict[str, tuple[str, str]] = {
    "scenarios": ("应用场景", "use scenarios"),
    "service_targets": ("服务对象", "service targets"),
    "business_model": ("商业模式", "business model"),
    "calls": ("调用次数", "number of calls"),
    "fields_used": ("使用字段", "fields used"),
    "algorithms": ("算法模型", "algorithms"),
    "benefits": ("应用成效", "benefits"),
    "quality_suggestions": ("数据质量建议", "suggestions on data quality"),
    "security_measures": ("安全保障措施", "security measures taken"),
}

ROW_FILTER_OPS = ("eq", "ne", "in", "lt", "lte", "gt", "gte")
RECORDS_OPERATORS = ("in", "lt", "lte", "gt", "gte", "ne", "eq")  # as datastore.model.OPERATORS

# Unusual use (ACC-10): thresholds of the flags.
SPIKE_SHARE_PER_HOUR = 0.8  # more than 80 % of the daily quota within one hour
SUSTAINED_FACTOR = 5  # today's calls more than 5x the trailing 7-day daily average …
SUSTAINED_MIN_CALLS = 50  # … and at least this many calls today
BULK_TABLE_PASSES = 3  # rows served today reach 3x the rows in the grant's scope


@dataclass(frozen=True)
class ScopeProblem:
    field: str
    message_en: str
    message_zh: str


def check_scope(
    fields: Sequence[str], row_filter: Sequence[Mapping[str, Any]], columns: Iterable[str]
) -> list[ScopeProblem]:
    """Everything wrong with a grant's scope against the dataset's columns (empty list: fine)."""
    known = set(columns)
    problems: list[ScopeProblem] = []
    if not fields:
        problems.append(ScopeProblem("fields", "a grant names the columns it allows", "授权须列明可用字段"))
    for name in fields:
        if name not in known:
            problems.append(ScopeProblem("fields", f"unknown column '{name}'", f"字段“{name}”不存在"))
    for i, cond in enumerate(row_filter):
        where = f"row_filter[{i}]"
        column, op, value = cond.get("column"), cond.get("op", "eq"), cond.get("value")
        if column not in known:
            problems.append(ScopeProblem(where, f"unknown column '{column}'", f"字段“{column}”不存在"))
        if op not in ROW_FILTER_OPS:
            problems.append(
                ScopeProblem(where, f"unknown operator '{op}' (use {'/'.join(ROW_FILTER_OPS)})", "运算符无效")
            )
        if op == "in" and (not isinstance(value, list) or not value):
            problems.append(ScopeProblem(where, "'in' takes a non-empty list", "in 运算须给出非空列表"))
        if op != "in" and (value is None or isinstance(value, list | dict)):
            problems.append(ScopeProblem(where, "the value must be a single value", "须给出单个取值"))
    return problems


def hidden_columns(all_columns: Iterable[str], allowed: Iterable[str]) -> set[str]:
    return set(all_columns) - set(allowed)


def records_param_columns(params: Sequence[tuple[str, str]], reserved: Iterable[str]) -> set[str]:
    """The column names a records query names: filters, `fields=` and `sort=` (same syntax as
    `datastore.model.parse_records_query`)."""
    reserved = set(reserved)
    names: set[str] = set()
    for key, value in params:
        if key in reserved:
            if key == "fields":
                names.update(f.strip() for f in value.split(",") if f.strip())
            elif key == "sort":
                names.update(p.strip().lstrip("-+") for p in value.split(",") if p.strip())
            continue
        name = key.removeprefix("filter.")
        base, sep, suffix = name.rpartition("__")
        names.add(base if sep and base and suffix in RECORDS_OPERATORS else name)
    return names


def shanghai_day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def start_of_shanghai_day(moment: datetime) -> datetime:
    """Shanghai midnight of `moment`'s day, in UTC."""
    return datetime.combine(shanghai_day(moment), time(0), tzinfo=SHANGHAI).astimezone(UTC)


def seconds_until_shanghai_midnight(moment: datetime) -> int:
    """How long until the daily quota resets (the next Shanghai midnight), at least 1 s."""
    tomorrow = start_of_shanghai_day(moment) + timedelta(days=1)
    return max(1, int((tomorrow - moment).total_seconds() + 0.999))


def rows_left_today(daily_row_quota: int | None, rows_today: int) -> int | None:
    """Rows a grant may still deliver today; None when it has no row quota (rows are not limited)."""
    if daily_row_quota is None:
        return None
    return max(0, daily_row_quota - rows_today)


def row_quota_refuses(daily_row_quota: int | None, rows_today: int, delivering: int | None = None) -> bool:
    """Does the daily row quota refuse a read? Before the read (`delivering` None): when no row is left.
    With the read's result in hand, before it is delivered: when its rows would pass the quota (a read
    that fits is served whole; nothing is cut short)."""
    left = rows_left_today(daily_row_quota, rows_today)
    if left is None:
        return False
    if delivering is None:
        return left == 0
    return delivering > left


@dataclass(frozen=True)
class UsageStats:
    """What the flag rules look at, counted just after the current call was logged."""

    daily_quota: int
    calls_last_hour: int
    calls_today: int
    trailing_daily_average: float  # the 7 days before today
    rows_served_today: int
    scope_rows: int  # rows in the grant's scope of the current version (-1 unknown)


def unusual_use_flags(stats: UsageStats) -> list[str]:
    """Flags for a served call (ACC-10): quota spike, sustained surge, bulk paging beyond the scope."""
    flags: list[str] = []
    spike = stats.daily_quota > 0 and stats.calls_last_hour > SPIKE_SHARE_PER_HOUR * stats.daily_quota
    surge = (
        stats.calls_today >= SUSTAINED_MIN_CALLS
        and stats.calls_today > SUSTAINED_FACTOR * max(stats.trailing_daily_average, 1.0)
        and stats.trailing_daily_average > 0
    )
    if spike or surge:
        flags.append(Flag.QUOTA_SPIKE.value)
    if stats.scope_rows > 0 and stats.rows_served_today >= BULK_TABLE_PASSES * stats.scope_rows:
        flags.append(Flag.BULK_PAGING.value)
    return flags


def first_report_due(valid_from: date, every_days: int) -> date:
    return valid_from + timedelta(days=every_days)


def next_report_due(current_due: date | None, filed_on: date, every_days: int) -> date:
    """The due date after a report is filed: one interval after the due date it answers (or after
    the filing day when the report came late by more than an interval)."""
    base = current_due if current_due is not None else filed_on
    following = base + timedelta(days=every_days)
    while following <= filed_on:
        following += timedelta(days=every_days)
    return following


def report_problems(contents: Mapping[str, Any]) -> list[ScopeProblem]:
    """Every missing ACC-9 section (all are required)."""
    problems = []
    for key, (zh, en) in REPORT_SECTIONS.items():
        value = contents.get(key)
        if value is None or (isinstance(value, str) and not value.strip()) or value in ([], {}):
            problems.append(ScopeProblem(key, f"'{en}' is required", f"请填写“{zh}”"))
    return problems


def grant_refusal(
    state: str, valid_from: date, valid_until: date, today: date
) -> tuple[str, str, str] | None:
    """Why a grant does not serve today: (code, English, Chinese), or None when it serves."""
    if state == GrantState.CLOSED:
        return ("grant_closed", "your access grant for this dataset is closed", "您对该数据集的授权已关闭")
    if state == GrantState.SUSPENDED:
        return ("grant_suspended", "your access grant for this dataset is suspended", "您的授权已暂停")
    if today < valid_from:
        return (
            "grant_not_yet_valid",
            f"your access grant starts on {valid_from.isoformat()}",
            f"您的授权自 {valid_from.isoformat()} 起生效",
        )
    if today > valid_until:
        return (
            "grant_expired",
            f"your access grant expired on {valid_until.isoformat()}",
            f"您的授权已于 {valid_until.isoformat()} 到期",
        )
    return None
