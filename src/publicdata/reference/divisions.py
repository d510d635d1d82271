"""Administrative divisions of China (国家统计局 2023 统计用区划代码), read from packaged CSV files.

Pure and database-free: the three CSV files under ``reference/data`` are loaded once with
``importlib.resources``. Codes are the NBS codes: 2 digits for a province (``31``), 4 for a city
(``3101``) and 6 for a county-level division (``310115``). Six-digit forms padded with zeros
(``310000``, ``310100``) are accepted for provinces and cities as well.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

DivisionLevel = Literal["province", "city", "county"]

SHANGHAI_PROVINCE_CODE = "31"
SHANGHAI_CITY_CODE = "3101"
SHANGHAI_AREA_CODE = "310000"  # the six-digit code used for "city-wide" (全市) data

# Cities that the NBS file names "市辖区" or "…直辖县级行政区划": they are not shown in full names;
# a municipality (北京、天津、上海、重庆) is displayed by its province-level name.
_PLACEHOLDER_CITY_NAMES = ("市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划")


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    level: DivisionLevel
    parent_code: str | None = None


@dataclass(frozen=True)
class _Tables:
    provinces: dict[str, Division]
    cities: dict[str, Division]
    counties: dict[str, Division]


def _read_csv(filename: str) -> list[dict[str, str]]:
    text = resources.files("publicdata.reference").joinpath("data", filename).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@cache
def _tables() -> _Tables:
    provinces = {
        row["code"]: Division(code=row["code"], name=row["name"], level="province")
        for row in _read_csv("provinces.csv")
    }
    cities: dict[str, Division] = {}
    for row in _read_csv("cities.csv"):
        name = row["name"]
        if name == "市辖区" and row["provinceCode"] in provinces:
            # A municipality's only "city" is its urban area: display it by the municipality's name.
            name = provinces[row["provinceCode"]].name
        cities[row["code"]] = Division(
            code=row["code"], name=name, level="city", parent_code=row["provinceCode"]
        )
    counties = {
        row["code"]: Division(code=row["code"], name=row["name"], level="county", parent_code=row["cityCode"])
        for row in _read_csv("areas.csv")
    }
    return _Tables(provinces=provinces, cities=cities, counties=counties)


def all_divisions() -> tuple[Division, ...]:
    """Every province, city and county-level division of the table."""
    tables = _tables()
    return (*tables.provinces.values(), *tables.cities.values(), *tables.counties.values())


def _normalize(code: str) -> str:
    code = (code or "").strip()
    if len(code) == 6 and code.isdigit():
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00") and code[:4] in _tables().cities:
            return code[:4]
    return code


def division(code: str) -> Division | None:
    """The division with this NBS code (2, 4 or 6 digits; ``310000`` and ``310100`` also work)."""
    norm = _normalize(code)
    tables = _tables()
    if len(norm) == 2:
        return tables.provinces.get(norm)
    if len(norm) == 4:
        return tables.cities.get(norm)
    if len(norm) == 6:
        return tables.counties.get(norm)
    return None


def is_known_county_code(code: str) -> bool:
    """Whether ``code`` is a six-digit county-level code (区、县、县级市) in the NBS table."""
    return (code or "") in _tables().counties


def is_known_code(code: str) -> bool:
    """Whether ``code`` names any known division (province, city or county)."""
    return division(code) is not None


def counties_of(city_code: str) -> list[Division]:
    """The county-level divisions under a city (4-digit code), in code order."""
    city = _normalize(city_code)
    return sorted(
        (d for d in _tables().counties.values() if d.parent_code == city),
        key=lambda d: d.code,
    )


@cache
def _shanghai_districts() -> tuple[Division, ...]:
    return tuple(counties_of(SHANGHAI_CITY_CODE))


def shanghai_districts() -> list[Division]:
    """Shanghai's 16 districts (黄浦区 310101 … 崇明区 310151), in code order."""
    return list(_shanghai_districts())


def shanghai_district_by_name(name: str) -> Division | None:
    """A Shanghai district by its name, with or without the "上海市" prefix."""
    wanted = name.strip().removeprefix("上海市")
    return next((d for d in _shanghai_districts() if d.name == wanted), None)


def full_name(code: str) -> str:
    """The full display name, e.g. ``full_name("310115") == "上海市浦东新区"``.

    Raises ``KeyError`` for an unknown code.
    """
    d = division(code)
    if d is None:
        raise KeyError(code)
    parts: list[str] = []
    node: Division | None = d
    while node is not None:
        parts.append(node.name)
        node = division(node.parent_code) if node.parent_code else None
    parts.reverse()
    # Drop placeholder cities and a municipality's repeated name (上海市 上海市 浦东新区).
    shown: list[str] = []
    for part in parts:
        if part in _PLACEHOLDER_CITY_NAMES or (shown and shown[-1] == part):
            continue
        shown.append(part)
    return "".join(shown)
