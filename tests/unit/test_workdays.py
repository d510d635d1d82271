"""Working-day calendar: statutory deadlines in Chinese working days, Shanghai time."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publicdata.workdays import (
    SHANGHAI,
    Countdown,
    Deadline,
    ScheduleError,
    WorkdayCalendar,
    YearSchedule,
    dump_schedule_csv,
    dump_schedule_json,
    library_schedule,
    parse_schedule,
    shanghai_date,
)

DEADLINE_REQS = ("ACC-4", "SHR-3", "QUA-3", "CAT-11")
DOC = Path(__file__).resolve().parents[2] / "docs" / "calendar-file.md"


def sh(y: int, m: int, d: int, hh: int = 12, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def end_of(day: date) -> datetime:
    return datetime.combine(day, time(23, 59, 59, 999999), tzinfo=SHANGHAI)


@pytest.fixture(scope="module")
def cal() -> WorkdayCalendar:
    return WorkdayCalendar()


def schedule_2027(holidays: set[date], makeup: set[date] | None = None) -> YearSchedule:
    return YearSchedule(2027, frozenset(holidays), frozenset(makeup or set()), source="test 2027")


# --------------------------------------------------------------------------- library facts


@pytest.mark.req(*DEADLINE_REQS)
def test_library_2026_facts_behind_the_examples() -> None:
    # The worked examples below rely on these facts of the installed chinesecalendar.
    for d in range(1, 8):
        assert not chinese_calendar.is_workday(date(2026, 10, d))  # National Day 10-01..07
    assert date(2026, 10, 10).weekday() == 5 and chinese_calendar.is_workday(date(2026, 10, 10))
    assert not chinese_calendar.is_workday(date(2026, 10, 11))
    for d in range(15, 24):
        assert not chinese_calendar.is_workday(date(2026, 2, d))  # Spring Festival 02-15..23
    assert date(2026, 2, 14).weekday() == 5 and chinese_calendar.is_workday(date(2026, 2, 14))
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 1))


# --------------------------------------------------------------------------- deadlines


@pytest.mark.req(*DEADLINE_REQS)
@pytest.mark.parametrize("hh_mm", [(0, 0), (0, 30), (9, 0), (17, 59), (23, 59)])
def test_national_day_received_wednesday(cal: WorkdayCalendar, hh_mm: tuple[int, int]) -> None:
    deadline = cal.deadline(sh(2026, 9, 30, *hh_mm), 5)
    assert deadline.due_date == date(2026, 10, 13)
    assert deadline.due_date.weekday() == 1  # Tuesday
    assert deadline.due_at == end_of(date(2026, 10, 13))
    assert deadline.due_at.tzinfo is UTC
    assert deadline.due_at == datetime(2026, 10, 13, 15, 59, 59, 999999, tzinfo=UTC)
    assert (deadline.working_days, deadline.provisional, deadline.provisional_years) == (5, False, ())


@pytest.mark.req(*DEADLINE_REQS)
def test_national_day_received_monday_lands_on_makeup_saturday(cal: WorkdayCalendar) -> None:
    deadline = cal.deadline(sh(2026, 9, 28), 5)
    assert deadline.due_date == date(2026, 10, 10)
    assert deadline.due_date.weekday() == 5


@pytest.mark.req(*DEADLINE_REQS)
def test_spring_festival(cal: WorkdayCalendar) -> None:
    deadline = cal.deadline(sh(2026, 2, 13), 5)
    assert deadline.due_date == date(2026, 2, 27)
    assert deadline.due_at == end_of(date(2026, 2, 27))


@pytest.mark.req(*DEADLINE_REQS)
def test_receipt_uses_shanghai_date_not_utc_date(cal: WorkdayCalendar) -> None:
    late = datetime(2026, 9, 29, 15, 30, tzinfo=UTC)  # 23:30 Shanghai, same day
    assert shanghai_date(late) == date(2026, 9, 29)
    assert cal.deadline(late, 1).due_date == date(2026, 9, 30)
    early = datetime(2026, 9, 29, 16, 30, tzinfo=UTC)  # 00:30 Shanghai on 09-30, 09-29 in UTC
    assert shanghai_date(early) == date(2026, 9, 30)
    assert cal.deadline(early, 5).due_date == date(2026, 10, 13)
    # Any aware datetime works, whatever its zone.
    new_york = datetime(2026, 9, 29, 12, 30, tzinfo=timezone(timedelta(hours=-4)))  # 00:30 Shanghai 09-30
    assert cal.deadline(new_york, 5) == cal.deadline(early, 5)


@pytest.mark.req(*DEADLINE_REQS)
def test_zero_days_and_one_day(cal: WorkdayCalendar) -> None:
    assert cal.deadline(sh(2026, 10, 3), 0).due_date == date(2026, 10, 3)
    # QUA-3 marks within 1 working day; received during the holiday -> first working day after.
    assert cal.deadline(sh(2026, 10, 3), 1).due_date == date(2026, 10, 8)
    with pytest.raises(ValueError):
        cal.add_working_days(date(2026, 1, 5), -1)


@pytest.mark.req("SHR-3", "CAT-11")
def test_extend(cal: WorkdayCalendar) -> None:
    first = cal.deadline(sh(2026, 9, 21), 10)  # SHR-3 conditional reply: 10 working days
    # 22-24 (25 is Mid-autumn), 28-30, 10-08, 09, 10 (make-up Saturday), 12
    assert first.due_date == date(2026, 10, 12)
    extended = cal.extend(first, 10)  # extendable once by at most 10
    assert extended.due_date == date(2026, 10, 26)  # 13-16, 19-23, 26
    assert extended.due_at == end_of(date(2026, 10, 26))
    assert (extended.working_days, extended.provisional) == (20, False)
    assert cal.extend(first, 0) == first
    catalog = cal.extend(cal.deadline(sh(2026, 12, 18), 10), 5)  # CAT-11: 10 + 5, into 2027
    assert catalog.provisional and catalog.provisional_years == (2027,)


# --------------------------------------------------------------------------- 2027 / provisional


@pytest.mark.req(*DEADLINE_REQS)
def test_deadline_into_uncovered_year_is_provisional_then_firm(cal: WorkdayCalendar) -> None:
    received = sh(2026, 12, 25)
    guess = cal.deadline(received, 10)
    # 12-28..31 (4), then 2027 assumed Mon-Fri: 01-01, 04, 05, 06, 07, 08.
    assert guess.due_date == date(2027, 1, 8)
    assert guess.provisional and guess.provisional_years == (2027,)
    assert cal.coverage(2027) == "provisional"

    # Holiday Friday 01-01 swapped with make-up Saturday 01-02: same date, now firm.
    swapped = cal.with_schedule(schedule_2027({date(2027, 1, 1)}, {date(2027, 1, 2)}))
    firm = swapped.deadline(received, 10)
    assert swapped.coverage(2027) == "loaded"
    assert (firm.due_date, firm.provisional, firm.provisional_years) == (date(2027, 1, 8), False, ())

    # Holiday 01-01 with the make-up day later in the month: the deadline moves.
    moved = cal.with_schedule(schedule_2027({date(2027, 1, 1)}, {date(2027, 1, 16)})).deadline(received, 10)
    assert (moved.due_date, moved.provisional) == (date(2027, 1, 11), False)
    # The original calendar is untouched (immutable style).
    assert cal.coverage(2027) == "provisional" and cal.deadline(received, 10) == guess


def test_coverage_and_far_years(cal: WorkdayCalendar) -> None:
    assert cal.coverage(2004) == cal.coverage(2026) == "library"
    assert cal.coverage(2003) == cal.coverage(2030) == "provisional"
    assert cal.is_workday(date(2030, 1, 1)) and not cal.is_workday(date(2030, 1, 5))  # Tue, Sat
    result = cal.add_working_days(date(2026, 12, 31), 600)
    assert result.provisional_years == (2027, 2028, 2029)
    assert not cal.add_working_days(date(2026, 12, 30), 1).provisional
    assert cal.add_working_days(date(2027, 3, 1), 0).provisional_years == ()


def test_loaded_year_overrides_library() -> None:
    override = YearSchedule(2026, frozenset({date(2026, 9, 30)}), frozenset(), source="override")
    cal = WorkdayCalendar({2026: override})
    assert cal.coverage(2026) == "loaded"
    assert not cal.is_workday(date(2026, 9, 30))
    assert cal.is_workday(date(2026, 10, 1))  # the override knows nothing of National Day
    with pytest.raises(ScheduleError):
        WorkdayCalendar({2025: override})


# --------------------------------------------------------------------------- properties


def test_is_workday_matches_library_2007_2026(cal: WorkdayCalendar) -> None:
    day = date(2007, 1, 1)
    while day.year <= 2026:
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_library_schedule_reproduces_library_every_year() -> None:
    for year in range(2004, 2027):
        schedule = library_schedule(year)
        assert schedule is not None and schedule.year == year
        loaded = WorkdayCalendar([schedule])
        day = date(year, 1, 1)
        while day.year == year:
            assert loaded.is_workday(day) == chinese_calendar.is_workday(day), day
            day += timedelta(days=1)
        assert parse_schedule(dump_schedule_json(schedule), filename="x.json") == schedule
    assert library_schedule(2027) is None
    s2026 = library_schedule(2026)
    assert s2026 is not None and s2026.names[date(2026, 2, 17)] == "春节"
    assert date(2026, 10, 10) in s2026.makeup_workdays and date(2026, 10, 3) in s2026.holidays


dates_2004_2030 = st.dates(min_value=date(2004, 1, 1), max_value=date(2030, 12, 31))


@settings(max_examples=300, deadline=None)
@given(start=dates_2004_2030, n=st.integers(min_value=1, max_value=400))
def test_property_add_then_count(start: date, n: int) -> None:
    cal = WorkdayCalendar()
    result = cal.add_working_days(start, n)
    assert cal.is_workday(result.day)
    assert result.day > start
    assert cal.count_working_days(start, result.day) == n
    assert cal.count_working_days(start, result.day - timedelta(days=1)) == n - 1
    noon = datetime.combine(start, time(12), tzinfo=SHANGHAI)
    assert cal.working_days_between(noon, datetime.combine(result.day, time(1), tzinfo=SHANGHAI)) == n
    crossed = range((start + timedelta(days=1)).year, result.day.year + 1)
    assert result.provisional_years == tuple(y for y in crossed if y > 2026)
    assert result.provisional == bool(result.provisional_years)


@settings(max_examples=200, deadline=None)
@given(a=dates_2004_2030, b=dates_2004_2030)
def test_property_count_is_antisymmetric_and_additive(a: date, b: date) -> None:
    cal = WorkdayCalendar()
    assert cal.count_working_days(a, b) == -cal.count_working_days(b, a)
    mid = min(a, b) + (max(a, b) - min(a, b)) / 2
    assert cal.count_working_days(a, b) == cal.count_working_days(a, mid) + cal.count_working_days(mid, b)
    if abs((b - a).days) <= 60:  # brute force on short spans
        lo, hi = sorted((a, b))
        brute = sum(cal.is_workday(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
        assert abs(cal.count_working_days(a, b)) == brute


# --------------------------------------------------------------------------- elapsed & countdown


@pytest.mark.req(*DEADLINE_REQS)
def test_working_days_between(cal: WorkdayCalendar) -> None:
    assert cal.working_days_between(sh(2026, 9, 30, 8), sh(2026, 9, 30, 20)) == 0
    assert cal.working_days_between(sh(2026, 9, 30), sh(2026, 10, 8)) == 1
    assert cal.working_days_between(sh(2026, 9, 30), sh(2026, 10, 13)) == 5
    assert cal.working_days_between(sh(2026, 10, 13), sh(2026, 9, 30)) == -5
    # UTC timestamps on different UTC days but the same Shanghai day.
    assert (
        cal.working_days_between(
            datetime(2026, 9, 28, 16, 30, tzinfo=UTC), datetime(2026, 9, 29, 15, 30, tzinfo=UTC)
        )
        == 0
    )


@pytest.mark.req(*DEADLINE_REQS)
def test_countdown(cal: WorkdayCalendar) -> None:
    deadline = cal.deadline(sh(2026, 9, 30), 5)  # due Tue 2026-10-13
    due = deadline.due_at
    assert cal.countdown(due, sh(2026, 10, 9, 9)) == Countdown(3, False, 0, False, ())  # 10, 12, 13
    assert cal.countdown(due, sh(2026, 10, 8, 9)).remaining_working_days == 4
    assert cal.countdown(due, sh(2026, 10, 3)).remaining_working_days == 5  # during the holiday
    assert cal.countdown(due, sh(2026, 10, 13, 0, 1)).remaining_working_days == 0  # on the due date
    assert not cal.countdown(due, due).overdue  # the last microsecond is still in time
    late = cal.countdown(due, due + timedelta(microseconds=1))
    assert (late.overdue, late.overdue_working_days, late.remaining_working_days) == (True, 1, 0)
    assert cal.countdown(due, sh(2026, 10, 15)).overdue_working_days == 2


@pytest.mark.req(*DEADLINE_REQS)
def test_countdown_across_weekend(cal: WorkdayCalendar) -> None:
    due = cal.deadline(sh(2026, 11, 5), 2).due_at  # Thu -> due Mon 11-09
    assert cal.countdown(due, sh(2026, 11, 6)).remaining_working_days == 1  # Fri: only Monday left
    assert cal.countdown(due, sh(2026, 11, 7)).remaining_working_days == 1  # Sat
    assert cal.countdown(due, sh(2026, 11, 8, 23, 59)).remaining_working_days == 1  # Sun night
    friday_due = cal.deadline(sh(2026, 11, 5), 1).due_at  # due Fri 11-06
    assert cal.countdown(friday_due, sh(2026, 11, 7)).overdue_working_days == 1  # Sat
    assert cal.countdown(friday_due, sh(2026, 11, 9)).overdue_working_days == 1  # Mon
    assert cal.countdown(friday_due, sh(2026, 11, 10)).overdue_working_days == 2  # Tue


def test_countdown_provisional(cal: WorkdayCalendar) -> None:
    deadline = cal.deadline(sh(2026, 12, 25), 10)
    countdown = cal.countdown(deadline.due_at, sh(2026, 12, 28))
    assert countdown.provisional and countdown.provisional_years == (2027,)
    assert countdown.remaining_working_days == 9


# --------------------------------------------------------------------------- input checks


@pytest.mark.req(*DEADLINE_REQS)
def test_naive_datetimes_refused(cal: WorkdayCalendar) -> None:
    naive = datetime(2026, 9, 30, 12)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.deadline(naive, 5)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_days_between(naive, sh(2026, 10, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.countdown(sh(2026, 10, 1), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        shanghai_date(naive)
    with pytest.raises(TypeError):
        cal.is_workday(sh(2026, 10, 1))  # a datetime would silently use its own zone's date


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"holidays": {date(2026, 12, 31)}}, "outside year 2027"),
        ({"makeup_workdays": {date(2028, 1, 1)}}, "outside year 2027"),
        ({"holidays": {date(2027, 1, 2)}, "makeup_workdays": {date(2027, 1, 2)}}, "both"),
        ({"makeup_workdays": {date(2027, 1, 4)}}, "not a Saturday or Sunday"),
        ({"names": {date(2027, 1, 4): "x"}}, "neither holiday nor make-up"),
        ({"source": " "}, "source"),
        ({"year": 0}, "year"),
    ],
)
def test_schedule_validation(kwargs: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "year": 2027,
        "holidays": frozenset(),
        "makeup_workdays": frozenset(),
        "source": "test",
    }
    fields.update(kwargs)
    with pytest.raises(ScheduleError, match=message):
        YearSchedule(**fields)  # type: ignore[arg-type]


def test_schedule_accepts_weekend_and_weekday_holidays() -> None:
    schedule = schedule_2027({date(2027, 1, 1), date(2027, 1, 2)}, {date(2027, 1, 9)})
    assert schedule.is_workday(date(2027, 1, 9)) and not schedule.is_workday(date(2027, 1, 1))
    assert hash(schedule) == hash(schedule_2027({date(2027, 1, 1), date(2027, 1, 2)}, {date(2027, 1, 9)}))


# --------------------------------------------------------------------------- files


def _doc_block(lang: str) -> str:
    match = re.search(rf"```{lang}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert match, f"no {lang} block in {DOC}"
    return match.group(1)


def test_documented_example_json_and_csv_agree() -> None:
    from_json = parse_schedule(_doc_block("json"), filename="2027.json")
    from_csv = parse_schedule(_doc_block("csv"), filename="2027.csv")
    assert from_json == from_csv
    assert from_json.year == 2027 and len(from_json.holidays) == 29 and len(from_json.makeup_workdays) == 6
    assert from_json.names[date(2027, 2, 10)] == "春节"
    assert from_json.source.startswith("国务院办公厅关于2027年")
    # Round trips through both writers; and a file without extension is sniffed.
    assert parse_schedule(dump_schedule_json(from_json), filename="a.json") == from_json
    assert parse_schedule(dump_schedule_csv(from_json), filename="a.csv") == from_json
    assert parse_schedule(dump_schedule_json(from_json), filename="upload") == from_json
    assert parse_schedule(dump_schedule_csv(from_json), filename="upload") == from_json
    # Loaded into a calendar: Spring Festival 2027 is off, the make-up Saturday counts.
    cal = WorkdayCalendar().with_schedule(from_json)
    assert cal.deadline(sh(2027, 2, 4), 1).due_date == date(2027, 2, 15)  # 02-14 is a plain Sunday
    assert cal.deadline(sh(2027, 2, 19), 1).due_date == date(2027, 2, 20)


def test_json_minimal_forms_and_defaults() -> None:
    text = (
        '{"year": 2027, "holidays": ["2027-01-01", {"date": "2027-01-02"}], '
        '"makeup_workdays": ["2027-01-09"]}'
    )
    schedule = parse_schedule(text, filename="notice.json")
    assert schedule.source == "notice.json"
    assert schedule.holidays == {date(2027, 1, 1), date(2027, 1, 2)}
    assert schedule.makeup_workdays == {date(2027, 1, 9)} and dict(schedule.names) == {}
    overlapping = '{"year": 2027, "holidays": [{"start": "2027-01-01", "end": "2027-01-03"}, "2027-01-02"]}'
    assert len(parse_schedule(overlapping, filename="x.json").holidays) == 3


def test_csv_with_bom_comments_and_no_name_column() -> None:
    text = (
        "\ufeff# source: 国办发明电〔2026〕9号\n# free comment\n\n"
        "Date,Kind\n2027-01-01,Holiday\n2027-01-09,workday\n"
    )
    schedule = parse_schedule(text, filename="2027.CSV")
    assert schedule.source == "国办发明电〔2026〕9号" and schedule.year == 2027
    assert schedule.makeup_workdays == {date(2027, 1, 9)}


@pytest.mark.parametrize(
    ("filename", "text", "message"),
    [
        ("a.json", '{"year": 2027, "holidays": [{"date": "2027-02-30"}]}', r"holidays\[0\].*no such day"),
        ("a.json", '{"year": 2027, "holidays": ["2027/01/01"]}', r"holidays\[0\].*bad date"),
        (
            "a.json",
            '{"year": 2027, "holidays": ["2027-01-01", "2026-12-31"]}',
            r"holidays\[1\].*outside year",
        ),
        ("a.json", '{"year": 2027, "makeup_workdays": ["2027-01-04"]}', r"makeup_workdays\[0\].*星期一"),
        ("a.json", '{"year": 2027, "holiday": []}', "unknown key"),
        ("a.json", '{"year": "2027"}', "year"),
        ("a.json", '{"year": 2027, "holidays": [{"start": "2027-01-03", "end": "2027-01-01"}]}', "before"),
        ("a.json", '{"year": 2027, "holidays": [{"start": "2027-01-03"}]}', "needs"),
        (
            "a.json",
            '{"year": 2027, "holidays": ["2027-01-02"], "makeup_workdays": ["2027-01-02"]}',
            r"makeup_workdays\[0\].*already as holiday at holidays\[0\]",
        ),
        (
            "a.json",
            '{"year": 2027, "holidays": [{"date": "2027-01-01", "name": "元旦"}, '
            '{"date": "2027-01-01", "name": "春节"}]}',
            r"holidays\[1\].*named",
        ),
        ("a.json", '{"year": 2027,\n "holidays": [,]}', "not valid JSON.*line 2"),
        ("a.json", "[]", "top level"),
        (
            "a.csv",
            "date,kind,name\n2027-01-02,holiday,元旦\n2027-01-02,workday,x\n",
            "line 3.*already as holiday",
        ),
        (
            "a.csv",
            "date,kind,name\n2027-01-01,holiday,元旦\n2028-01-01,holiday,元旦\n",
            "line 3.*outside year",
        ),
        ("a.csv", "date,kind,name\n2027-01-01,day off,元旦\n", "line 2.*unknown kind 'day off'"),
        ("a.csv", "date,kind,name\n2027-13-01,holiday,\n", "line 2.*bad date"),
        ("a.csv", "# year: 2028\ndate,kind\n2027-01-01,holiday\n", "line 3.*outside year 2028"),
        ("a.csv", "2027-01-01,holiday,元旦\n", "line 1.*header"),
        ("a.csv", "# only a comment\n", "header"),
        ("a.csv", "date,kind,name\n", "cannot tell which year"),
        ("a.csv", "date,kind,name\n2027-01-01,holiday,a,b\n", "line 2.*columns"),
    ],
)
def test_malformed_files(filename: str, text: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message) as info:
        parse_schedule(text, filename=filename)
    assert str(info.value).startswith(filename)


def test_deadline_type_is_frozen(cal: WorkdayCalendar) -> None:
    deadline = cal.deadline(sh(2026, 9, 30), 5)
    assert isinstance(deadline, Deadline)
    with pytest.raises(AttributeError):
        deadline.due_date = date(2026, 1, 1)  # type: ignore[misc]
