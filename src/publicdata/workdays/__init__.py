"""Chinese working-day calendar for statutory deadlines (Asia/Shanghai)."""

from .model import (
    END_OF_DAY,
    SHANGHAI,
    Countdown,
    Coverage,
    Deadline,
    ScheduleError,
    WorkdayCalendar,
    WorkdaySum,
    YearSchedule,
    end_of_shanghai_day,
    library_covers,
    shanghai_date,
)
from .schedule_file import dump_schedule_csv, dump_schedule_json, library_schedule, parse_schedule

__all__ = [
    "END_OF_DAY",
    "SHANGHAI",
    "Countdown",
    "Coverage",
    "Deadline",
    "ScheduleError",
    "WorkdayCalendar",
    "WorkdaySum",
    "YearSchedule",
    "dump_schedule_csv",
    "dump_schedule_json",
    "end_of_shanghai_day",
    "library_covers",
    "library_schedule",
    "parse_schedule",
    "shanghai_date",
]
