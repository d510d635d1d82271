"""Calendar use-cases: load a year's holiday schedule, build the platform calendar, show coverage.

Loaded years override the chinesecalendar library; years with neither are counted Monday–Friday and
every deadline reaching them is *provisional* (flagged in the API, the UI and the log). Loading a year
recomputes the due dates of open work orders whose deadline was provisional.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from publicdata.audit.service import record_audit
from publicdata.db import utcnow
from publicdata.errors import ValidationFailed
from publicdata.identity import permissions as rules
from publicdata.identity.permissions import Principal
from publicdata.identity.service import require
from publicdata.platform import Platform
from publicdata.workdays.model import Coverage, Deadline, ScheduleError, WorkdayCalendar, shanghai_date
from publicdata.workdays.schedule_file import dump_schedule_json, parse_schedule
from publicdata.workdays.tables import CalendarYear

log = logging.getLogger("publicdata.workdays")

MAX_SCHEDULE_BYTES = 256 * 1024


class DeadlineOut(BaseModel):
    """A deadline as the API shows it; `warning_*` is set when it is provisional."""

    due_at: datetime
    due_date: date
    working_days: int
    provisional: bool
    provisional_years: list[int]
    warning_zh: str | None = None
    warning_en: str | None = None


class YearCoverageOut(BaseModel):
    year: int
    coverage: Coverage
    source: str | None = None
    filename: str | None = None
    sha256: str | None = None
    loaded_at: datetime | None = None
    warning_zh: str | None = None
    warning_en: str | None = None


class CalendarLoadOut(BaseModel):
    year: YearCoverageOut
    replaced: bool
    holidays: int
    makeup_workdays: int
    recomputed_orders: int


def provisional_warning(years: Iterable[int]) -> tuple[str, str] | None:
    listed = sorted(set(years))
    if not listed:
        return None
    shown = ", ".join(str(y) for y in listed)
    return (
        f"{shown}年节假日安排尚未导入，期限暂按周一至周五计算，导入后可能变动",
        f"no holiday schedule for {shown} yet: working days counted Monday–Friday; "
        "the deadline may move once the schedule is loaded",
    )


def deadline_out(deadline: Deadline) -> DeadlineOut:
    warning = provisional_warning(deadline.provisional_years) if deadline.provisional else None
    if deadline.provisional and warning is None:
        warning = provisional_warning([deadline.due_date.year])
    return DeadlineOut(
        due_at=deadline.due_at,
        due_date=deadline.due_date,
        working_days=deadline.working_days,
        provisional=deadline.provisional,
        provisional_years=list(deadline.provisional_years),
        warning_zh=warning[0] if warning else None,
        warning_en=warning[1] if warning else None,
    )


def log_provisional(deadline: Deadline, *, what: str) -> None:
    """Log (warning level) a deadline computed over a year without holiday data."""
    if deadline.provisional:
        log.warning(
            "provisional deadline for %s: due %s counted Monday-Friday over %s (no holiday schedule loaded)",
            what,
            deadline.due_date.isoformat(),
            ", ".join(str(y) for y in deadline.provisional_years),
        )


# ---------------------------------------------------------------------------------------------
# Building the calendar
# ---------------------------------------------------------------------------------------------


# Calendars built from loaded years, keyed by (year, sha256) of every row: the schedules are parsed once
# per process and version, not on every request that shows a deadline.
_built: dict[tuple[tuple[int, str], ...], WorkdayCalendar] = {}


def calendar_from_session(session: Session) -> WorkdayCalendar:
    key = tuple(
        (year, digest)
        for year, digest in session.execute(
            select(CalendarYear.year, CalendarYear.sha256).order_by(CalendarYear.year)
        )
    )
    calendar = _built.get(key)
    if calendar is None:
        rows = session.scalars(select(CalendarYear).order_by(CalendarYear.year))
        calendar = WorkdayCalendar([parse_schedule(r.schedule_json, filename=f"{r.year}.json") for r in rows])
        if len(_built) > 32:  # a handful of versions in practice; stay bounded anyway
            _built.clear()
        _built[key] = calendar
    return calendar


def platform_calendar(platform: Platform) -> WorkdayCalendar:
    """The calendar every deadline uses: loaded years, then chinesecalendar, then Monday–Friday."""
    with platform.db.reading() as session:
        return calendar_from_session(session)


# ---------------------------------------------------------------------------------------------
# Use-cases
# ---------------------------------------------------------------------------------------------


def _coverage_out(year: int, calendar: WorkdayCalendar, row: CalendarYear | None) -> YearCoverageOut:
    coverage = calendar.coverage(year)
    warning = provisional_warning([year]) if coverage == "provisional" else None
    library_source = "chinesecalendar" if coverage == "library" else None
    return YearCoverageOut(
        year=year,
        coverage=coverage,
        source=row.source if row else library_source,
        filename=row.filename if row else None,
        sha256=row.sha256 if row else None,
        loaded_at=row.loaded_at if row else None,
        warning_zh=warning[0] if warning else None,
        warning_en=warning[1] if warning else None,
    )


def load_calendar_year(
    platform: Platform, *, actor: Principal, text: str, filename: str, now: datetime | None = None
) -> CalendarLoadOut:
    """Parse, store (replacing an earlier file for the same year), audit, and recompute deadlines."""
    require(rules.can_manage_calendar(actor))
    if len(text.encode()) > MAX_SCHEDULE_BYTES:
        raise ValidationFailed("the schedule file is too large", message_zh="节假日安排文件过大")
    try:
        schedule = parse_schedule(text, filename=filename)
    except ScheduleError as exc:
        raise ValidationFailed(
            str(exc),
            message_zh=f"节假日安排文件有误：{exc}",
            code="invalid_schedule",
            details=[{"field": "file", "message": str(exc)}],
        ) from exc
    stored = dump_schedule_json(schedule)
    digest = hashlib.sha256(stored.encode()).hexdigest()
    from publicdata.workorders.clock_updates import recompute_provisional_deadlines  # avoids an import cycle

    with platform.db.transaction() as session:
        row = session.get(CalendarYear, schedule.year)
        replaced = row is not None
        before = calendar_from_session(session).coverage(schedule.year)
        if row is None:
            row = CalendarYear(year=schedule.year)
            session.add(row)
        row.source = schedule.source[:500]
        row.filename = filename[:200]
        row.schedule_json = stored
        row.sha256 = digest
        row.holiday_count = len(schedule.holidays)
        row.makeup_count = len(schedule.makeup_workdays)
        row.loaded_at = utcnow()
        row.loaded_by = actor.user_id
        session.flush()
        calendar = calendar_from_session(session)
        recomputed = recompute_provisional_deadlines(session, actor=actor, calendar=calendar, now=now)
        record_audit(
            session,
            actor=actor,
            action="calendar.year.load",
            subject_type="calendar_year",
            subject_id=str(schedule.year),
            details={
                "year": schedule.year,
                "source": schedule.source,
                "filename": filename,
                "sha256": digest,
                "holidays": len(schedule.holidays),
                "makeup_workdays": len(schedule.makeup_workdays),
                "previous_coverage": before,
                "replaced": replaced,
                "recomputed_orders": recomputed,
            },
        )
        log.info(
            "holiday schedule %s loaded from %s; %d deadlines recomputed", schedule.year, filename, recomputed
        )
        return CalendarLoadOut(
            year=_coverage_out(schedule.year, calendar, row),
            replaced=replaced,
            holidays=len(schedule.holidays),
            makeup_workdays=len(schedule.makeup_workdays),
            recomputed_orders=recomputed,
        )


def calendar_coverage(
    platform: Platform,
    *,
    actor: Principal,
    first_year: int | None = None,
    last_year: int | None = None,
    now: datetime | None = None,
) -> list[YearCoverageOut]:
    """Where each year's working days come from: loaded file, library, or missing (provisional).

    Default range: last year to two years ahead (the years live deadlines can reach).
    """
    require(rules.can_view_calendar(actor))
    this_year = shanghai_date(now or utcnow()).year
    first = first_year if first_year is not None else this_year - 1
    last = last_year if last_year is not None else this_year + 2
    if last < first or last - first > 100:
        raise ValidationFailed("give at most 100 years, first before last", message_zh="年份范围无效")
    with platform.db.reading() as session:
        rows = {row.year: row for row in session.scalars(select(CalendarYear))}
        calendar = calendar_from_session(session)
        years = sorted(set(range(first, last + 1)) | set(rows))
        return [_coverage_out(y, calendar, rows.get(y)) for y in years]
