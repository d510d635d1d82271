"""Row machinery shared by the demo table generators: the per-row context and generic column values.

Every generator draws only from the ``random.Random`` it is given (seeded from the dataset code), never
from the global generator or the clock, so a dataset's rows are the same on every run.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta
from functools import cache

import chinese_calendar

from publicdata.catalog.model import DataItem, FieldType
from publicdata.demo.specs import DatasetSpec
from publicdata.demo.tables_geo import DistrictGeo, address_in, district_by_code, pick_district, point_in
from publicdata.demo.tables_names import ENTERPRISE, company_name, credit_code, phone

# The demo's "today": ongoing datasets have data up to this day.
DEMO_AS_OF = date(2025, 12, 31)
DEFAULT_START = date(2015, 1, 1)

Value = object
RowDict = dict[str, Value]


class Row:
    """One row being generated: index, shared RNG, and lazily chosen place and organization."""

    def __init__(self, rng: random.Random, spec: DatasetSpec, index: int) -> None:
        self.rng = rng
        self.spec = spec
        self.index = index
        self._district: DistrictGeo | None = None
        self._town: str | None = None
        self._road: str | None = None
        self._address: str | None = None
        self._point: tuple[float, float] | None = None
        self._company: tuple[str, str] | None = None
        self._credit: str | None = None

    @property
    def district(self) -> DistrictGeo:
        if self._district is None:
            fixed = district_by_code().get(self.spec.area_code)
            self._district = fixed or pick_district(self.rng)
        return self._district

    @district.setter
    def district(self, value: DistrictGeo) -> None:
        self._district = value

    @property
    def town(self) -> str:
        if self._town is None:
            self._town = self.rng.choice(self.district.towns)
        return self._town

    @town.setter
    def town(self, value: str) -> None:
        self._town = value

    @property
    def road(self) -> str:
        if self._road is None:
            self._road = self.rng.choice(self.district.roads)
        return self._road

    @road.setter
    def road(self, value: str) -> None:
        self._road = value

    @property
    def address(self) -> str:
        if self._address is None:
            self._address = address_in(self.rng, self.district, self.road)
        return self._address

    @property
    def point(self) -> tuple[float, float]:
        if self._point is None:
            self._point = point_in(self.rng, self.district)
        return self._point

    @point.setter
    def point(self, value: tuple[float, float]) -> None:
        self._point = value

    @property
    def company(self) -> tuple[str, str]:
        """(company name, industry category)."""
        if self._company is None:
            self._company = company_name(self.rng)
        return self._company

    @property
    def credit_code(self) -> str:
        if self._credit is None:
            area = self.district.code if self.rng.random() < 0.85 else "310000"
            self._credit = credit_code(self.rng, ENTERPRISE, area, new_style=self.rng.random() < 0.75)
        return self._credit

    @credit_code.setter
    def credit_code(self, value: str) -> None:
        self._credit = value

    def date_between(self, start: date, end: date) -> date:
        return random_date(self.rng, start, end)

    def date_in_span(self) -> date:
        start, end = span(self.spec)
        return random_date(self.rng, start, end)


RowFunction = Callable[[Row], RowDict]
Maker = Callable[[DatasetSpec, random.Random], RowFunction]


def span(spec: DatasetSpec) -> tuple[date, date]:
    """The dataset's time range, with open ends closed at 2015-01-01 and the demo's today."""
    return spec.time_start or DEFAULT_START, spec.time_end or DEMO_AS_OF


def random_date(rng: random.Random, start: date, end: date) -> date:
    days = (end - start).days
    return start + timedelta(days=rng.randint(0, max(days, 0)))


def month_start(start: date, offset: int) -> date:
    """The first day of the month ``offset`` months after ``start``'s month."""
    months = start.year * 12 + start.month - 1 + offset
    return date(months // 12, months % 12 + 1, 1)


def add_years(day: date, years: int) -> date:
    """The same day ``years`` later (29 February becomes 28 February)."""
    return date(day.year + years, day.month, min(day.day, 28) if day.month == 2 else day.day)


def at(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time()) + timedelta(minutes=minutes)


@cache
def is_workday(day: date) -> bool:
    """Chinese statutory working day (holidays and make-up working days count)."""
    return bool(chinese_calendar.is_workday(day))


def weighted(rng: random.Random, options: Sequence[tuple[str, float]]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def nearest_district(lon: float, lat: float) -> DistrictGeo:
    return min(district_by_code().values(), key=lambda d: (d.lon - lon) ** 2 + (d.lat - lat) ** 2)


def unique(rng: random.Random, seen: set[str], make: Callable[[], str], tail: Callable[[int], str]) -> str:
    """A value from ``make`` not in ``seen``; after a few tries a distinguishing tail is appended."""
    for _ in range(8):
        value = make()
        if value not in seen:
            seen.add(value)
            return value
    base, n = make(), 2

    def numbered(n: int) -> str:
        suffix = tail(n)  # a tail that ignores n ("分院") gets the number, so the loop always ends
        return base + (suffix if str(n) in suffix else f"{suffix}{n}")

    while (value := numbered(n)) in seen:
        n += 1
    seen.add(value)
    return value


class Hours:
    """Frequently published opening hours."""

    OFFICE = "周一至周五 9:00-17:00"
    ALL_DAY = "00:00-24:00"
    SHOP = "每日 9:00-21:00"
    PARK = "5:00-22:00"
    LIBRARY = "周二至周日 9:00-20:30（周一闭馆）"
    MUSEUM = "周二至周日 9:00-17:00（16:00停止入场，周一闭馆）"


OPEN_HOURS_CHOICES = (
    (Hours.OFFICE, 0.35),
    ("周一至周六 8:30-17:00", 0.2),
    (Hours.SHOP, 0.2),
    ("每日 8:00-20:00", 0.15),
    (Hours.ALL_DAY, 0.1),
)


# Columns whose meaning is the same in every dataset.
GENERIC: dict[str, Callable[[Row], Value]] = {
    "district_code": lambda r: r.district.code,
    "district_name": lambda r: r.district.name,
    "town_name": lambda r: r.town,
    "address": lambda r: r.address,
    "longitude": lambda r: r.point[0],
    "latitude": lambda r: r.point[1],
    "phone": lambda r: phone(r.rng),
    "credit_code": lambda r: r.credit_code,
    "open_hours": lambda r: weighted(r.rng, OPEN_HOURS_CHOICES),
    "company_name": lambda r: r.company[0],
    "enterprise_name": lambda r: r.company[0],
    "operator_name": lambda r: r.company[0],
    "industry": lambda r: r.company[1],
    "industry_category": lambda r: r.company[1],
}


def fallback_value(item: DataItem, row: Row) -> Value:
    """A plain value for a column no generator knows (kept for columns added to a spec later)."""
    rng = row.rng
    if item.type is FieldType.INTEGER:
        return rng.randint(1, 500)
    if item.type is FieldType.DECIMAL:
        return round(rng.uniform(0, 100), 2)
    if item.type is FieldType.DATE:
        return row.date_in_span()
    if item.type is FieldType.DATETIME:
        return at(row.date_in_span(), rng.randint(0, 1439))
    if item.type is FieldType.BOOLEAN:
        return rng.random() < 0.7
    if item.type is FieldType.GEOMETRY:
        lon, lat = row.point
        return f"POINT ({lon} {lat})"
    return f"{item.label}{row.index + 1:04d}"
