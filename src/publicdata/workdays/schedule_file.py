"""Read and write a year's holiday notice as JSON or CSV (format: docs/calendar-file.md).

Operators transcribe the State Council's annual notice (国务院办公厅关于某年部分节假日
安排的通知) into one of these files when it is published, usually in November or
December, before chinesecalendar ships the year. Error messages name the offending
item or line because the person fixing the file is not a programmer.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from importlib import metadata
from typing import Any

import chinese_calendar

from .model import ScheduleError, YearSchedule, library_covers

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEKDAY_ZH = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_JSON_KEYS = frozenset({"year", "source", "holidays", "makeup_workdays", "notes"})
_CSV_COLUMNS = ("date", "kind", "name")
_KINDS = {"holiday": "holiday", "workday": "workday"}
_MAX_RANGE_DAYS = 366


def _parse_date(value: object, where: str) -> date:
    # date.fromisoformat accepts "20270101" and week dates too; insist on one spelling.
    if not isinstance(value, str) or not _DATE_RE.match(value.strip()):
        raise ScheduleError(f"{where}: bad date {value!r} (expected YYYY-MM-DD)")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ScheduleError(f"{where}: bad date {value!r} (no such day)") from None


def _parse_name(value: object, where: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ScheduleError(f"{where}: name must be a string, got {value!r}")
    return value.strip() or None


@dataclass
class _Collector:
    """Accumulates dates with their kind, remembering where each came from."""

    filename: str
    year: int | None = None
    year_origin: str = ""
    kinds: dict[date, tuple[str, str]] = field(default_factory=dict)  # date -> (kind, where)
    names: dict[date, tuple[str, str]] = field(default_factory=dict)  # date -> (name, where)

    def add(self, day: date, kind: str, name: str | None, where: str) -> None:
        if self.year is None:
            self.year, self.year_origin = day.year, where
        elif day.year != self.year:
            raise ScheduleError(
                f"{self.filename}: {where}: {day.isoformat()} is outside year {self.year} "
                f"(year taken from {self.year_origin}); one file holds one year"
            )
        if kind == "workday" and day.weekday() < 5:
            raise ScheduleError(
                f"{self.filename}: {where}: make-up workday {day.isoformat()} is a "
                f"{_WEEKDAY_ZH[day.weekday()]}; only Saturdays and Sundays can be make-up workdays"
            )
        previous = self.kinds.get(day)
        if previous is not None and previous[0] != kind:
            raise ScheduleError(
                f"{self.filename}: {where}: {day.isoformat()} is listed as {kind} "
                f"but already as {previous[0]} at {previous[1]}"
            )
        self.kinds.setdefault(day, (kind, where))
        if name is not None:
            old = self.names.get(day)
            if old is not None and old[0] != name:
                raise ScheduleError(
                    f"{self.filename}: {where}: {day.isoformat()} is named {name!r} "
                    f"but {old[0]!r} at {old[1]}"
                )
            self.names.setdefault(day, (name, where))

    def build(self, source: str) -> YearSchedule:
        if self.year is None:
            raise ScheduleError(
                f"{self.filename}: no dates and no year given; cannot tell which year this is"
            )
        try:
            return YearSchedule(
                year=self.year,
                holidays=frozenset(d for d, (k, _) in self.kinds.items() if k == "holiday"),
                makeup_workdays=frozenset(d for d, (k, _) in self.kinds.items() if k == "workday"),
                source=source,
                names={d: n for d, (n, _) in self.names.items()},
            )
        except ScheduleError as exc:
            raise ScheduleError(f"{self.filename}: {exc}") from None


# --------------------------------------------------------------------------- JSON


def _parse_json(text: str, filename: str) -> YearSchedule:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ScheduleError(
            f"{filename}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    if not isinstance(data, dict):
        raise ScheduleError(f"{filename}: the top level must be a JSON object with year, source, holidays")
    unknown = sorted(set(data) - _JSON_KEYS)
    if unknown:
        raise ScheduleError(f"{filename}: unknown key(s) {unknown}; allowed: {sorted(_JSON_KEYS)}")
    year = data.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
        raise ScheduleError(f'{filename}: "year" must be an integer like 2027, got {year!r}')
    source = data.get("source", filename)
    if not isinstance(source, str) or not source.strip():
        raise ScheduleError(f'{filename}: "source" must be a non-empty string')

    found = _Collector(filename, year=year, year_origin='"year"')
    for key, kind in (("holidays", "holiday"), ("makeup_workdays", "workday")):
        items = data.get(key, [])
        if not isinstance(items, list):
            raise ScheduleError(f'{filename}: "{key}" must be a list')
        for index, item in enumerate(items):
            where = f"{key}[{index}]"
            for day, name in _json_item_days(item, where, filename, allow_range=kind == "holiday"):
                found.add(day, kind, name, where)
    return found.build(source.strip())


def _json_item_days(
    item: object, where: str, filename: str, *, allow_range: bool
) -> list[tuple[date, str | None]]:
    if isinstance(item, str):
        return [(_parse_date(item, f"{filename}: {where}"), None)]
    if not isinstance(item, dict):
        raise ScheduleError(f"{filename}: {where}: expected a date string or an object, got {item!r}")
    allowed = {"date", "name"} | ({"start", "end"} if allow_range else set())
    unknown = sorted(set(item) - allowed)
    if unknown:
        raise ScheduleError(f"{filename}: {where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")
    name = _parse_name(item.get("name"), f"{filename}: {where}")
    if "date" in item:
        if "start" in item or "end" in item:
            raise ScheduleError(f'{filename}: {where}: give either "date" or "start"/"end", not both')
        return [(_parse_date(item["date"], f"{filename}: {where}"), name)]
    if "start" not in item or "end" not in item:
        needed = '"date" or both "start" and "end"' if allow_range else '"date"'
        raise ScheduleError(f"{filename}: {where}: needs {needed}")
    start = _parse_date(item["start"], f"{filename}: {where}.start")
    end = _parse_date(item["end"], f"{filename}: {where}.end")
    if end < start:
        raise ScheduleError(f"{filename}: {where}: end {end.isoformat()} is before start {start.isoformat()}")
    if (end - start).days >= _MAX_RANGE_DAYS:
        raise ScheduleError(f"{filename}: {where}: range longer than a year")
    return [(start + timedelta(days=i), name) for i in range((end - start).days + 1)]


# --------------------------------------------------------------------------- CSV


def _parse_csv(text: str, filename: str) -> YearSchedule:
    source: str | None = None
    found = _Collector(filename)
    header: list[str] | None = None
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        where = f"line {lineno}"
        if not line:
            continue
        if line.startswith("#"):
            key, sep, value = line[1:].partition(":")
            key, value = key.strip().lower(), value.strip()
            if sep and key == "source" and value:
                if source is not None and source != value:
                    raise ScheduleError(f"{filename}: {where}: second, different '# source:' line")
                source = value
            elif sep and key == "year":
                if not value.isdigit() or not 1 <= int(value) <= 9999:
                    raise ScheduleError(f"{filename}: {where}: bad '# year:' value {value!r}")
                if found.year is not None and found.year != int(value):
                    raise ScheduleError(
                        f"{filename}: {where}: '# year: {value}' contradicts year {found.year} "
                        f"from {found.year_origin}"
                    )
                found.year, found.year_origin = int(value), f"'# year:' on {where}"
            continue  # other comments are free text
        fields = [f.strip() for f in next(csv.reader([line]))]
        if header is None:
            header = [f.lower() for f in fields]
            if header not in (list(_CSV_COLUMNS), list(_CSV_COLUMNS[:2])):
                raise ScheduleError(
                    f"{filename}: {where}: expected the header 'date,kind,name', got {line!r}"
                )
            continue
        if len(fields) > len(header):
            raise ScheduleError(f"{filename}: {where}: {len(fields)} columns, expected at most {len(header)}")
        if len(fields) < 2:
            raise ScheduleError(f"{filename}: {where}: expected 'date,kind[,name]', got {line!r}")
        day = _parse_date(fields[0], f"{filename}: {where}")
        kind = _KINDS.get(fields[1].lower())
        if kind is None:
            raise ScheduleError(
                f"{filename}: {where}: unknown kind {fields[1]!r} (expected 'holiday' or 'workday')"
            )
        name = _parse_name(fields[2], f"{filename}: {where}") if len(fields) > 2 else None
        found.add(day, kind, name, where)
    if header is None:
        raise ScheduleError(f"{filename}: missing the header line 'date,kind,name'")
    return found.build(source or filename)


# --------------------------------------------------------------------------- public


def parse_schedule(text: str, *, filename: str) -> YearSchedule:
    """Parse one year's holiday notice file (JSON or CSV) into a :class:`YearSchedule`.

    The format is chosen by the extension (``.json`` / ``.csv``); otherwise a text
    starting with ``{`` is JSON and anything else CSV. Every problem raises
    :class:`ScheduleError` naming the file and the item or line.
    """
    text = text.lstrip("\ufeff")  # Excel and Notepad like to add a BOM
    lower = filename.lower()
    if lower.endswith(".json"):
        return _parse_json(text, filename)
    if lower.endswith(".csv"):
        return _parse_csv(text, filename)
    return _parse_json(text, filename) if text.lstrip().startswith("{") else _parse_csv(text, filename)


def _runs(days: list[date], names: dict[date, str]) -> list[tuple[date, date, str | None]]:
    """Group consecutive days sharing a name, so a dumped file reads like the notice."""
    runs: list[tuple[date, date, str | None]] = []
    for day in days:
        name = names.get(day)
        if runs and runs[-1][1] + timedelta(days=1) == day and runs[-1][2] == name:
            runs[-1] = (runs[-1][0], day, name)
        else:
            runs.append((day, day, name))
    return runs


def dump_schedule_json(schedule: YearSchedule) -> str:
    """Serialise a schedule to the JSON file format; ``parse_schedule`` reads it back equal."""
    holidays: list[dict[str, str]] = []
    for start, end, name in _runs(sorted(schedule.holidays), dict(schedule.names)):
        if start == end:
            item = {"date": start.isoformat()}
        else:
            item = {"start": start.isoformat(), "end": end.isoformat()}
        if name is not None:
            item["name"] = name
        holidays.append(item)
    makeup: list[str | dict[str, str]] = []
    for day in sorted(schedule.makeup_workdays):
        name = schedule.names.get(day)
        makeup.append(day.isoformat() if name is None else {"date": day.isoformat(), "name": name})
    document = {
        "year": schedule.year,
        "source": schedule.source,
        "holidays": holidays,
        "makeup_workdays": makeup,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def dump_schedule_csv(schedule: YearSchedule) -> str:
    """Serialise a schedule to the CSV file format (one row per date)."""
    if "\n" in schedule.source or "\r" in schedule.source:
        raise ValueError("a source containing a line break cannot be written to CSV")
    out = io.StringIO()
    out.write(f"# source: {schedule.source}\n# year: {schedule.year}\n")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    kinds = {d: "holiday" for d in schedule.holidays} | {d: "workday" for d in schedule.makeup_workdays}
    for day in sorted(kinds):
        writer.writerow([day.isoformat(), kinds[day], schedule.names.get(day, "")])
    return out.getvalue()


def _library_version() -> str:
    try:
        return metadata.version("chinesecalendar")
    except metadata.PackageNotFoundError:
        return "unknown"


def library_schedule(year: int) -> YearSchedule | None:
    """The chinesecalendar data for ``year`` as a :class:`YearSchedule` (None if not covered).

    Holidays are the library's statutory-holiday table (weekday and weekend days
    inside a holiday period, e.g. 2026-10-03); ordinary weekends are not listed.
    Make-up workdays are the library's weekend working days. Names are Chinese.
    """
    if not library_covers(year):
        return None
    chinese = {h.value: str(getattr(h, "chinese", h.value)) for h in chinese_calendar.Holiday}
    holidays: dict[date, str] = {
        _as_date(d): str(n) for d, n in chinese_calendar.holidays.items() if _as_date(d).year == year
    }
    makeup: dict[date, str] = {
        _as_date(d): str(n) for d, n in chinese_calendar.workdays.items() if _as_date(d).year == year
    }
    names = {d: chinese.get(n, n) for d, n in (holidays | makeup).items() if n}
    return YearSchedule(
        year=year,
        holidays=frozenset(holidays),
        makeup_workdays=frozenset(makeup),
        source=f"chinesecalendar {_library_version()}",
        names=names,
    )


def _as_date(value: date) -> date:
    return value.date() if isinstance(value, datetime) else value
