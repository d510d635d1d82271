"""Chinese working-day arithmetic for statutory deadlines.

Every legal deadline on the platform is counted in Chinese working days, in the
Asia/Shanghai time zone. A day is a working day when:

1. its year has a loaded :class:`YearSchedule` (the State Council's notice for that
   year, uploaded by an operator) -> the schedule decides;
2. otherwise the ``chinesecalendar`` library covers the year -> the library decides;
3. otherwise Monday-Friday is assumed and every result that depends on such a year
   is flagged ``provisional`` so the UI can say "may move once the holiday notice
   for that year is published".

Pure Python on purpose: no web framework or database imports.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Literal
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A deadline "within N working days" expires at the very end of the N-th working day.
END_OF_DAY = time(23, 59, 59, 999999)
_ONE_DAY = timedelta(days=1)

Coverage = Literal["loaded", "library", "provisional"]


class ScheduleError(ValueError):
    """A holiday schedule (object or file) is invalid; the message says what and where."""


# --------------------------------------------------------------------------- helpers


def _require_aware(moment: datetime, what: str) -> None:
    if not isinstance(moment, datetime):
        raise TypeError(f"{what} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got naive {moment.isoformat()}")


def _require_date(day: date, what: str) -> None:
    # datetime is a subclass of date; silently taking its date part would use the
    # wrong time zone, so callers must convert explicitly with shanghai_date().
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"{what} must be a datetime.date (use shanghai_date() for datetimes)")


def shanghai_date(moment: datetime) -> date:
    """The calendar date of an aware datetime in Asia/Shanghai."""
    _require_aware(moment, "moment")
    return moment.astimezone(SHANGHAI).date()


def end_of_shanghai_day(day: date) -> datetime:
    """23:59:59.999999 Shanghai time on ``day``, returned in UTC."""
    _require_date(day, "day")
    return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI).astimezone(UTC)


def _weekday_rule(day: date) -> bool:
    return day.weekday() < 5


def _year_days(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year, 12, 31) - first).days + 1)]


@functools.cache
def library_covers(year: int) -> bool:
    """Whether the installed chinesecalendar has data for ``year``."""
    if not 1 <= year <= 9999:
        return False
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


# --------------------------------------------------------------------------- schedule


class _FrozenNames(Mapping[date, str]):
    # Read-only yet picklable/deep-copyable (MappingProxyType is neither).
    __slots__ = ("_data",)

    def __init__(self, data: Mapping[date, str]) -> None:
        self._data = dict(data)

    def __getitem__(self, key: date) -> str:
        return self._data[key]

    def __iter__(self) -> Iterator[date]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(frozenset(self._data.items()))

    def __repr__(self) -> str:
        return repr(self._data)


@dataclass(frozen=True)
class YearSchedule:
    """One year's official holiday arrangement.

    ``holidays`` are days off (weekday or weekend); ``makeup_workdays`` are weekend
    days that are working days (调休上班). ``names`` optionally labels any of those
    dates (e.g. "春节").
    """

    year: int
    holidays: frozenset[date]
    makeup_workdays: frozenset[date]
    source: str
    names: Mapping[date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.year, bool) or not isinstance(self.year, int) or not 1 <= self.year <= 9999:
            raise ScheduleError(f"year must be an integer between 1 and 9999, got {self.year!r}")
        if not isinstance(self.source, str) or not self.source.strip():
            raise ScheduleError(
                f"{self.year}: source must be a non-empty string (notice number or file name)"
            )
        # Accept any iterable/mapping but store immutable copies: instances are shared.
        holidays = frozenset(self.holidays)
        makeup = frozenset(self.makeup_workdays)
        names = _FrozenNames(self.names)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "makeup_workdays", makeup)
        object.__setattr__(self, "names", names)

        for label, days in (("holiday", holidays), ("make-up workday", makeup), ("named date", names)):
            for day in days:
                if isinstance(day, datetime) or not isinstance(day, date):
                    raise ScheduleError(f"{self.year}: {label} {day!r} is not a date")
            outside = sorted(d for d in days if d.year != self.year)
            if outside:
                raise ScheduleError(f"{self.year}: {label} {_fmt(outside)} outside year {self.year}")
        both = sorted(holidays & makeup)
        if both:
            raise ScheduleError(f"{self.year}: {_fmt(both)} listed both as holiday and as make-up workday")
        weekdays = sorted(d for d in makeup if d.weekday() < 5)
        if weekdays:
            raise ScheduleError(
                f"{self.year}: make-up workday {_fmt(weekdays)} is not a Saturday or Sunday "
                "(weekdays are working days already)"
            )
        stray = sorted(d for d in names if d not in holidays and d not in makeup)
        if stray:
            raise ScheduleError(
                f"{self.year}: name given for {_fmt(stray)}, which is neither holiday nor make-up day"
            )
        for day, name in names.items():
            if not isinstance(name, str) or not name.strip():
                raise ScheduleError(f"{self.year}: name for {day.isoformat()} must be a non-empty string")

    def is_workday(self, day: date) -> bool:
        """Working-day status of ``day`` (which must lie in this schedule's year)."""
        if day.year != self.year:
            raise ValueError(f"{day.isoformat()} is not in schedule year {self.year}")
        if day in self.holidays:
            return False
        return day in self.makeup_workdays or _weekday_rule(day)


def _fmt(days: list[date]) -> str:
    shown = ", ".join(d.isoformat() for d in days[:5])
    return shown + (f" (and {len(days) - 5} more)" if len(days) > 5 else "")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class WorkdaySum:
    """Result of adding working days to a date."""

    day: date
    provisional: bool
    # Years crossed (start excluded) for which no holiday data exists.
    provisional_years: tuple[int, ...]


@dataclass(frozen=True)
class Deadline:
    """End of the N-th working day after receipt."""

    due_at: datetime  # aware, UTC
    due_date: date  # Shanghai calendar date of due_at
    working_days: int
    provisional: bool
    provisional_years: tuple[int, ...]


@dataclass(frozen=True)
class Countdown:
    """Where ``now`` stands relative to a due moment, in working days.

    - ``remaining_working_days``: when not overdue, the number of working days d with
      today < d <= due date (today = Shanghai date of ``now``). The rest of today is
      "today", so on the due date itself it is 0; 0 as well once overdue.
    - ``overdue``: ``now > due_at``.
    - ``overdue_working_days``: 0 when not overdue; otherwise
      ``max(1, working days d with due date < d <= today)``. The floor of 1 means a
      deadline missed on Friday night reads "1 working day overdue" over the weekend
      and still on Monday; it becomes 2 on Tuesday.
    - ``provisional``: some calendar year between today and the due date (inclusive)
      has no holiday data, so the counts may change once it is published.
    """

    remaining_working_days: int
    overdue: bool
    overdue_working_days: int
    provisional: bool
    provisional_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class _YearTable:
    flags: bytes  # 1 = working day, indexed by day-of-year - 1
    prefix: tuple[int, ...]  # prefix[i] = working days among the first i days

    @classmethod
    def build(cls, flags: Iterable[bool]) -> _YearTable:
        raw = bytes(1 if f else 0 for f in flags)
        return cls(raw, tuple(itertools.accumulate(raw, initial=0)))

    @property
    def total(self) -> int:
        return self.prefix[-1]

    def through(self, day: date) -> int:
        """Working days from 1 January up to and including ``day``."""
        return self.prefix[day.timetuple().tm_yday]


@functools.cache
def _library_table(year: int) -> _YearTable:
    # Built once per year via the public API: 366 calls instead of one per lookup.
    return _YearTable.build(chinese_calendar.is_workday(d) for d in _year_days(year))


@functools.cache
def _provisional_table(year: int) -> _YearTable:
    return _YearTable.build(_weekday_rule(d) for d in _year_days(year))


# --------------------------------------------------------------------------- calendar


class WorkdayCalendar:
    """Working-day arithmetic over loaded schedules, chinesecalendar, then Mon-Fri.

    Immutable: :meth:`with_schedule` returns a new calendar.
    """

    def __init__(self, schedules: Mapping[int, YearSchedule] | Iterable[YearSchedule] | None = None) -> None:
        if schedules is None:
            pairs: list[tuple[object, YearSchedule]] = []
        elif isinstance(schedules, Mapping):
            pairs = list(schedules.items())
        else:
            pairs = [(s.year, s) for s in schedules]
        loaded: dict[int, YearSchedule] = {}
        for key, schedule in pairs:
            if not isinstance(schedule, YearSchedule):
                raise TypeError(f"{schedule!r} is not a YearSchedule")
            if key != schedule.year or loaded.get(schedule.year, schedule) != schedule:
                raise ScheduleError(f"schedule for {schedule.year} given under {key!r} or twice, differently")
            loaded[schedule.year] = schedule
        self._schedules: Mapping[int, YearSchedule] = MappingProxyType(loaded)
        self._loaded_tables: dict[int, _YearTable] = {}

    def __repr__(self) -> str:
        return f"WorkdayCalendar(loaded_years={sorted(self._schedules)})"

    @property
    def schedules(self) -> Mapping[int, YearSchedule]:
        """Loaded schedules by year (read-only)."""
        return self._schedules

    def with_schedule(self, schedule: YearSchedule) -> WorkdayCalendar:
        """A new calendar with ``schedule`` loaded (replacing any schedule for that year)."""
        merged = dict(self._schedules)
        merged[schedule.year] = schedule
        return WorkdayCalendar(merged)

    # -- per-day facts

    def coverage(self, year: int) -> Coverage:
        """Where the working-day data for ``year`` comes from."""
        if year in self._schedules:
            return "loaded"
        if library_covers(year):
            return "library"
        return "provisional"

    def _table(self, year: int) -> _YearTable:
        schedule = self._schedules.get(year)
        if schedule is not None:
            table = self._loaded_tables.get(year)
            if table is None:
                table = _YearTable.build(schedule.is_workday(d) for d in _year_days(year))
                self._loaded_tables[year] = table
            return table
        if library_covers(year):
            return _library_table(year)
        return _provisional_table(year)

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` (a Shanghai calendar date) is a Chinese working day."""
        _require_date(day, "day")
        return bool(self._table(day.year).flags[day.timetuple().tm_yday - 1])

    def _provisional_years(self, first_year: int, last_year: int) -> tuple[int, ...]:
        return tuple(y for y in range(first_year, last_year + 1) if self.coverage(y) == "provisional")

    # -- arithmetic on dates

    def add_working_days(self, start: date, n: int) -> WorkdaySum:
        """The n-th working day after ``start`` (``start`` itself is not counted).

        ``n == 0`` returns ``start`` unchanged (nothing crossed, never provisional).
        """
        _require_date(start, "start")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        day, counted = start, 0
        try:
            while counted < n:
                day += _ONE_DAY
                if self.is_workday(day):
                    counted += 1
        except OverflowError as exc:
            raise ValueError(f"{n} working days after {start.isoformat()} is beyond year 9999") from exc
        # Only the days after start were consulted, so start's own year may not matter.
        years = self._provisional_years((start + _ONE_DAY).year, day.year) if n else ()
        return WorkdaySum(day=day, provisional=bool(years), provisional_years=years)

    def count_working_days(self, start: date, end: date) -> int:
        """Working days d with start < d <= end; negated when end < start."""
        _require_date(start, "start")
        _require_date(end, "end")
        if end < start:
            return -self.count_working_days(end, start)
        if start.year == end.year:
            table = self._table(start.year)
            return table.through(end) - table.through(start)
        total = self._table(start.year).total - self._table(start.year).through(start)
        for year in range(start.year + 1, end.year):
            total += self._table(year).total
        return total + self._table(end.year).through(end)

    # -- arithmetic on moments

    def deadline(self, received_at: datetime, n: int) -> Deadline:
        """Deadline for "within ``n`` working days of receipt".

        The Shanghai day of receipt is not counted; the deadline is the end
        (23:59:59.999999 Shanghai) of the n-th working day after it.
        """
        _require_aware(received_at, "received_at")
        result = self.add_working_days(shanghai_date(received_at), n)
        return Deadline(
            due_at=end_of_shanghai_day(result.day),
            due_date=result.day,
            working_days=n,
            provisional=result.provisional,
            provisional_years=result.provisional_years,
        )

    def extend(self, deadline: Deadline, extra_working_days: int) -> Deadline:
        """``extra_working_days`` more working days after the old due date.

        Provisional years of the original deadline are kept: if a year was guessed
        when the old due date was computed, the extension inherits that guess.
        """
        result = self.add_working_days(deadline.due_date, extra_working_days)
        years = tuple(sorted(set(deadline.provisional_years) | set(result.provisional_years)))
        return Deadline(
            due_at=end_of_shanghai_day(result.day),
            due_date=result.day,
            working_days=deadline.working_days + extra_working_days,
            provisional=bool(years) or deadline.provisional,
            provisional_years=years,
        )

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Working days d with Shanghai date of start < d <= Shanghai date of end.

        0 on the same Shanghai day; negative (symmetrically) when end is earlier.
        """
        _require_aware(start, "start")
        _require_aware(end, "end")
        return self.count_working_days(shanghai_date(start), shanghai_date(end))

    def countdown(self, due_at: datetime, now: datetime) -> Countdown:
        """Working days left (or overdue) at ``now``; see :class:`Countdown`."""
        _require_aware(due_at, "due_at")
        _require_aware(now, "now")
        today, due_date = shanghai_date(now), shanghai_date(due_at)
        years = self._provisional_years(min(today, due_date).year, max(today, due_date).year)
        if now > due_at:
            overdue_days = max(1, self.count_working_days(due_date, today))
            return Countdown(0, True, overdue_days, bool(years), years)
        return Countdown(self.count_working_days(today, due_date), False, 0, bool(years), years)
