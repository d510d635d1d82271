"""Row generators for the transport datasets: buses, metro, parking, charging, congestion, taxis."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import date, timedelta

from publicdata.demo.specs import DatasetSpec
from publicdata.demo.tables_base import (
    Maker,
    Row,
    RowDict,
    RowFunction,
    at,
    is_workday,
    nearest_district,
    random_date,
    span,
    unique,
    weighted,
)
from publicdata.demo.tables_geo import DistrictGeo, district_by_code, pick_district, point_in
from publicdata.demo.tables_metro import METRO_LINES, MetroLine
from publicdata.demo.tables_names import TRADE_NAMES, branded_name

_CENTRAL = ("310101", "310104", "310105", "310106", "310107", "310109", "310110")

_JIUSHI_COMPANIES = (
    "上海巴士第一公共交通有限公司",
    "上海巴士第二公共交通有限公司",
    "上海巴士第三公共交通有限公司",
    "上海巴士第四公共交通有限公司",
    "上海巴士第五公共交通有限公司",
    "上海巴士电车有限公司",
)
_PUDONG_COMPANIES = (
    "上海浦东杨高公共交通有限公司",
    "上海金高公交有限公司",
    "上海浦东上南公共交通有限公司",
    "上海南汇公共交通有限公司",
)
_HUBS = (
    "上海火车站（北广场）",
    "人民广场",
    "徐家汇",
    "中山公园",
    "五角场",
    "虹桥枢纽东交通中心",
    "上海南站",
    "龙阳路地铁站",
    "东方路张杨路",
    "延安东路外滩",
    "共和新路汶水路",
    "长宁路江苏路",
    "打浦桥",
    "曹杨路枣阳路",
)

_CORNERS = ("东北角", "西北角", "东南角", "西南角")


def _district_prefix(d: DistrictGeo) -> str:
    return d.name.removesuffix("新区").removesuffix("区")


def _bus_operator(d: DistrictGeo, rng: random.Random) -> str:
    if d.code in _CENTRAL:
        return rng.choice(_JIUSHI_COMPANIES)
    if d.code == "310115":
        return rng.choice(_PUDONG_COMPANIES)
    return f"上海{_district_prefix(d)}公共交通有限公司"


def _walk(rng: random.Random, d: DistrictGeo, steps: int) -> list[tuple[float, float]]:
    lon, lat = point_in(rng, d)
    heading = rng.uniform(0, 2 * math.pi)
    points = []
    for _ in range(steps):
        points.append((round(lon, 6), round(lat, 6)))
        heading += rng.uniform(-0.5, 0.5)
        lon += 0.0055 * math.cos(heading)
        lat += 0.0045 * math.sin(heading)
        lon = min(max(lon, d.lon - d.lon_spread), d.lon + d.lon_spread)
        lat = min(max(lat, d.lat - d.lat_spread), d.lat + d.lat_spread)
    return points


def _bus_stops(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    rows: list[RowDict] = []
    seen: set[str] = set()
    while len(rows) < spec.row_count:
        d = pick_district(rng, urban_bias=2.0)
        if d.code in _CENTRAL:
            line = unique(rng, seen, lambda: f"{rng.randint(1, 990)}路", lambda n: "区间")
        else:
            prefix = _district_prefix(d)
            line = unique(rng, seen, lambda: f"{prefix}{rng.randint(1, 80)}路", lambda n: "区间")  # noqa: B023 (called at once)
        operator = _bus_operator(d, rng)
        updated = random_date(rng, date(2023, 1, 1), date(2025, 12, 1))
        points = _walk(rng, d, rng.randint(10, 28))
        roads = list(d.roads)
        stops = []
        for _ in points:
            road, cross = rng.sample(roads, 2)
            stops.append((f"{road}{cross}", road))  # Shanghai names a stop "road + cross road"
        for direction, order in (("上行", range(len(points))), ("下行", range(len(points) - 1, -1, -1))):
            for seq, i in enumerate(order, start=1):
                rows.append(
                    {
                        "line_name": line,
                        "direction": direction,
                        "stop_seq": seq,
                        "stop_name": stops[i][0],
                        "road_name": stops[i][1],
                        "district_code": d.code,
                        "district_name": d.name,
                        "longitude": points[i][0],
                        "latitude": points[i][1],
                        "operator_name": operator,
                        "updated_date": updated,
                    }
                )
    return lambda r: rows[r.index]


def _parking(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()
    suffixes = ("广场", "大厦", "中心", "商城", "花园", "科技园", "国际大厦")

    def make(r: Row) -> RowDict:
        d = r.district
        central = d.code in _CENTRAL
        kind = weighted(r.rng, (("公共停车库", 0.5), ("公共停车场", 0.35), ("道路停车场", 0.15)))
        if kind == "公共停车库":
            name = unique(
                r.rng,
                seen,
                lambda: f"{r.rng.choice(TRADE_NAMES)}{r.rng.choice(suffixes)}地下停车库",
                lambda n: f"（{n}号库）",
            )
            total = r.rng.randint(80, 1500)
        elif kind == "公共停车场":
            name = unique(r.rng, seen, lambda: f"{r.road}{r.rng.randint(1, 1800)}号停车场", lambda n: f"{n}")
            total = r.rng.randint(30, 400)
        else:
            a, b = r.rng.sample(list(d.roads), 2)
            name = unique(r.rng, seen, lambda: f"{r.road}（{a}—{b}）道路停车场", lambda n: f"{n}段")
            total = r.rng.randint(10, 60)
        charging = 0 if kind == "道路停车场" else int(total * r.rng.uniform(0, 0.2))
        if kind == "道路停车场":
            fee = "工作日7:00-21:00每小时10元，其余时段每小时5元" if central else "每小时5元"
        elif central:
            fee = r.rng.choice(
                ("首小时15元，之后每半小时5元", "每小时12元，每日封顶100元", "首小时10元，之后每小时8元")
            )
        else:
            fee = r.rng.choice(
                ("每小时5元，每日封顶30元", "首小时免费，之后每小时3元", "每小时6元，每日封顶40元")
            )
        return {
            "parking_name": name,
            "parking_type": kind,
            "total_spaces": total,
            "charging_spaces": charging,
            "fee_standard": fee,
            "open_hours": "00:00-24:00" if r.rng.random() < 0.8 else "07:00-22:00",
            "operator_name": branded_name(r.rng, "停车管理有限公司"),
        }

    return make


_CHARGING_OPERATORS = (
    ("特来电", "上海特来电新能源有限公司", 0.3),
    ("星星充电", "万帮数字能源股份有限公司", 0.22),
    ("国网", "国网上海市电力公司", 0.15),
    ("安悦", "上海安悦节能技术有限公司", 0.12),
    ("挚达", "上海挚达科技发展有限公司", 0.08),
    ("普天", "普天新能源（上海）有限公司", 0.08),
    ("蔚来", "上海蔚来汽车有限公司", 0.05),
)


def _charging(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()

    def make(r: Row) -> RowDict:
        short, full, _ = r.rng.choices(_CHARGING_OPERATORS, weights=[w for *_, w in _CHARGING_OPERATORS])[0]
        name = unique(r.rng, seen, lambda: f"{short}{r.road}充电站", lambda n: f"{n}号站")
        dc = r.rng.choice((0, 0, 2, 4, 6, 8, 10, 12, 20))
        ac = r.rng.choice((0, 2, 4, 6, 10, 16, 24)) if dc else r.rng.randint(2, 30)
        return {
            "station_name": name,
            "operator_name": full,
            "dc_piles": dc,
            "ac_piles": ac,
            "service_fee": round(r.rng.choice((0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2)), 2),
            "open_hours": "00:00-24:00" if r.rng.random() < 0.8 else "07:00-23:00",
        }

    return make


# (road, road class, districts the road passes)
_CONGESTION_ROADS = (
    ("延安高架路", "快速路", ("310105", "310106", "310101")),
    ("南北高架路", "快速路", ("310106", "310101")),
    ("内环高架路", "快速路", ("310104", "310107", "310110", "310115")),
    ("中环路", "快速路", ("310112", "310107", "310109", "310115")),
    ("逸仙高架路", "快速路", ("310109", "310113")),
    ("沪闵高架路", "快速路", ("310104", "310112")),
    ("罗山高架路", "快速路", ("310115",)),
    ("华夏高架路", "快速路", ("310115",)),
    ("世纪大道", "主干路", ("310115",)),
    ("肇嘉浜路", "主干路", ("310104",)),
    ("中山北路", "主干路", ("310107", "310106")),
    ("四平路", "主干路", ("310110", "310109")),
    ("南京西路", "主干路", ("310106",)),
    ("淮海中路", "主干路", ("310101",)),
    ("天目西路", "主干路", ("310106",)),
    ("漕溪北路", "主干路", ("310104",)),
    ("长宁路", "次干路", ("310105",)),
    ("控江路", "次干路", ("310110",)),
    ("莘松路", "次干路", ("310112",)),
    ("张杨路", "次干路", ("310115",)),
)


def _peak(minutes: int, centre: int, width: float) -> float:
    return math.exp(-(((minutes - centre) / width) ** 2))


def _congestion(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    sections: list[tuple[str, str, str, DistrictGeo, float]] = []
    while len(sections) < 50:
        for road, klass, codes in _CONGESTION_ROADS:
            d = district_by_code()[rng.choice(codes)]
            cross = [x for x in d.roads if x != road]
            a, b = rng.sample(cross, 2)
            sections.append((road, f"{a}—{b}", klass, d, rng.uniform(0.7, 1.3)))
    sections = sections[:50]
    day = span(spec)[1]
    levels = ((2, "畅通"), (4, "基本畅通"), (6, "轻度拥堵"), (8, "中度拥堵"), (11, "严重拥堵"))
    free_speed = {"快速路": 72.0, "主干路": 42.0, "次干路": 32.0}

    def make(r: Row) -> RowDict:
        slot, s = divmod(r.index, len(sections))
        road, section, klass, d, factor = sections[s]
        minutes = (slot % 288) * 5
        base = 1.0 + 5.5 * _peak(minutes, 8 * 60 + 15, 70) + 6.0 * _peak(minutes, 17 * 60 + 45, 85)
        base += 1.5 * _peak(minutes, 13 * 60, 200)
        tpi = min(max(base * factor + r.rng.gauss(0, 0.4), 0.3), 9.9)
        speed = free_speed[klass] * max(0.12, 1 - tpi / 11.5) + r.rng.gauss(0, 1.5)
        return {
            "record_time": at(day, minutes),
            "road_name": road,
            "section_name": section,
            "road_class": klass,
            "district_code": d.code,
            "district_name": d.name,
            "congestion_index": round(tpi, 1),
            "avg_speed": round(max(speed, 4.0), 1),
            "congestion_level": next(label for limit, label in levels if tpi < limit),
        }

    return make


@dataclass
class _Taxi:
    key: str
    lon: float
    lat: float
    heading: float
    start_seconds: int
    occupied: bool


def _taxi(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    day = span(spec)[1]
    points_per_vehicle = 80
    taxi = _Taxi("", 0.0, 0.0, 0.0, 0, False)

    def make(r: Row) -> RowDict:
        step = r.index % points_per_vehicle
        if step == 0:
            d = pick_district(r.rng, urban_bias=3.0)
            lon, lat = point_in(r.rng, d)
            taxi.key, taxi.lon, taxi.lat = f"{r.rng.getrandbits(64):016x}", lon, lat
            taxi.heading = r.rng.uniform(0, 360)
            taxi.start_seconds = r.rng.randint(6 * 60, 20 * 60) * 60
            taxi.occupied = r.rng.random() < 0.6
        speed = max(0.0, r.rng.gauss(28, 14)) if r.rng.random() > 0.15 else 0.0
        taxi.heading = (taxi.heading + r.rng.gauss(0, 25)) % 360
        dist_km = speed * 30 / 3600
        taxi.lon = min(max(taxi.lon + dist_km / 95 * math.sin(math.radians(taxi.heading)), 121.15), 121.85)
        taxi.lat = min(max(taxi.lat + dist_km / 111 * math.cos(math.radians(taxi.heading)), 30.95), 31.45)
        if r.rng.random() < 0.03:
            taxi.occupied = not taxi.occupied
        return {
            "vehicle_key": taxi.key,
            "gps_time": at(day, 0) + timedelta(seconds=taxi.start_seconds + step * 30),
            "longitude": round(taxi.lon, 6),
            "latitude": round(taxi.lat, 6),
            "speed": round(speed, 1),
            "heading": round(taxi.heading) % 360,
            "occupied": taxi.occupied,
            "district_code": nearest_district(taxi.lon, taxi.lat).code,
        }

    return make


def _exit_rows(line: MetroLine, rng: random.Random) -> list[RowDict]:
    rows = []
    for station, code in line.stations:
        d = district_by_code()[code]
        lon, lat = point_in(rng, d)
        exits = rng.randint(4, 10) if code in _CENTRAL else rng.randint(2, 5)
        accessible = rng.randrange(exits)
        for n in range(1, exits + 1):
            road, cross = rng.sample(list(d.roads), 2)
            rows.append(
                {
                    "line_name": line.name,
                    "station_name": station,
                    "exit_name": f"{n}号口",
                    "exit_location": f"{road}{cross}路口{rng.choice(_CORNERS)}",
                    "district_code": d.code,
                    "district_name": d.name,
                    "longitude": round(lon + rng.uniform(-0.0012, 0.0012), 6),
                    "latitude": round(lat + rng.uniform(-0.001, 0.001), 6),
                    "accessible": n - 1 == accessible or rng.random() < 0.15,
                    "opened_date": line.opened,
                }
            )
    return rows


def _metro_exits(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    rows = [row for line in METRO_LINES for row in _exit_rows(line, rng)]
    if len(rows) < spec.row_count:
        raise ValueError(f"{spec.code}: the station list yields {len(rows)} rows, not {spec.row_count}")
    return lambda r: rows[r.index]


# (code, name, average workday ridership, stations)
_RIDERSHIP = (
    ("L01", "1号线", 1_100_000, 28),
    ("L02", "2号线", 1_450_000, 31),
    ("L03", "3号线", 520_000, 29),
    ("L04", "4号线", 610_000, 26),
    ("L05", "5号线", 260_000, 19),
    ("L06", "6号线", 420_000, 28),
    ("L07", "7号线", 820_000, 33),
    ("L08", "8号线", 930_000, 30),
    ("L09", "9号线", 1_020_000, 35),
    ("L10", "10号线", 850_000, 37),
    ("L11", "11号线", 780_000, 39),
    ("L12", "12号线", 560_000, 32),
    ("L13", "13号线", 520_000, 31),
    ("L14", "14号线", 430_000, 31),
    ("L15", "15号线", 360_000, 30),
    ("L16", "16号线", 240_000, 13),
    ("L17", "17号线", 200_000, 14),
    ("L18", "18号线", 330_000, 32),
    ("PJ", "浦江线", 32_000, 6),
    ("CF", "磁浮线", 8_000, 2),
)


def _ridership(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    start = span(spec)[0]
    trend = {code: rng.uniform(-0.02, 0.06) for code, *_ in _RIDERSHIP}

    def make(r: Row) -> RowDict:
        offset, i = divmod(r.index, len(_RIDERSHIP))
        day = start + timedelta(days=offset)
        code, name, volume, stations = _RIDERSHIP[i]
        work = is_workday(day)
        factor = 1.0 if work else 0.72
        if day.month == 2 and day.day < 20 and not work:
            factor = 0.45  # Spring Festival
        factor *= 1 + trend[code] * offset / 365
        passengers = int(volume * factor * r.rng.uniform(0.95, 1.05))
        return {
            "stat_date": day,
            "line_code": code,
            "line_name": name,
            "passenger_volume": passengers,
            "transfer_volume": int(passengers * r.rng.uniform(0.3, 0.45)) if stations > 2 else 0,
            "station_count": stations,
            "is_workday": work,
        }

    return make


def _bus_lines(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    numbers = rng.sample(range(1, 1000), spec.row_count)

    def make(r: Row) -> RowDict:
        n = numbers[r.index]
        night = 300 <= n <= 329
        a, b = r.rng.sample(_HUBS, 2)
        segmented = r.rng.random() < 0.12
        length = round(r.rng.uniform(6, 32), 1)
        first = "23:00" if night else f"0{r.rng.randint(4, 6)}:{r.rng.choice(('00', '15', '30', '45'))}"
        last = "04:00" if night else f"{r.rng.randint(20, 23)}:{r.rng.choice(('00', '15', '30'))}"
        return {
            "line_name": f"{n}路",
            "company_name": r.rng.choice(_JIUSHI_COMPANIES),
            "start_stop": a,
            "end_stop": b,
            "first_bus": first,
            "last_bus": last,
            "fare": float(r.rng.choice((3, 4, 5))) if segmented else 2.0,
            "ticket_type": "分段计价" if segmented else "一票制",
            "line_length": length,
            "air_conditioned": r.rng.random() < 0.96,
        }

    return make


MAKERS: dict[str, Maker] = {
    "SH-JTW-0001": _bus_stops,
    "SH-JTW-0002": _parking,
    "SH-JTW-0003": _charging,
    "SH-JTW-0004": _congestion,
    "SH-JTW-0005": _taxi,
    "SH-STDT-0001": _metro_exits,
    "SH-STDT-0002": _ridership,
    "SH-JS-0001": _bus_lines,
}
