"""Row generators for the environment datasets: air quality, surface water, rivers, waste, tap water."""

from __future__ import annotations

import math
import random
from datetime import date

from publicdata.demo.specs import DatasetSpec
from publicdata.demo.tables_base import Maker, Row, RowDict, RowFunction, month_start, span, unique, weighted
from publicdata.demo.tables_geo import district_by_code, districts, pick_district
from publicdata.demo.tables_names import TRADE_NAMES

# --- air quality ------------------------------------------------------------------------------

AIR_STATIONS = (
    ("普陀", "310107"),
    ("十五厂", "310101"),
    ("虹口", "310109"),
    ("徐汇上师大", "310104"),
    ("杨浦四漂", "310110"),
    ("青浦淀山湖", "310118"),
    ("静安监测站", "310106"),
    ("浦东川沙", "310115"),
    ("浦东新区监测站", "310115"),
    ("浦东张江", "310115"),
)

# HJ 633-2012 (环境空气质量指数技术规定) breakpoints for daily values;
# IAQI 0, 50, 100, 150, 200, 300, 400, 500.
_IAQI = (0, 50, 100, 150, 200, 300, 400, 500)
_BREAKPOINTS: dict[str, tuple[float, ...]] = {
    "pm25": (0, 35, 75, 115, 150, 250, 350, 500),
    "pm10": (0, 50, 150, 250, 350, 420, 500, 600),
    "o3_8h": (0, 100, 160, 215, 265, 800),
    "no2": (0, 40, 80, 180, 280, 565, 750, 940),
    "co": (0, 2, 4, 14, 24, 36, 48, 60),
}
_POLLUTANT_NAMES = {
    "pm25": "细颗粒物（PM2.5）",
    "pm10": "可吸入颗粒物（PM10）",
    "o3_8h": "臭氧8小时",
    "no2": "二氧化氮",
    "co": "一氧化碳",
}
AQI_LEVELS = (
    (50, "优"),
    (100, "良"),
    (150, "轻度污染"),
    (200, "中度污染"),
    (300, "重度污染"),
    (500, "严重污染"),
)


def iaqi(pollutant: str, value: float) -> int:
    bp = _BREAKPOINTS[pollutant]
    for k in range(1, len(bp)):
        if value <= bp[k]:
            lo, hi = bp[k - 1], bp[k]
            return math.ceil(_IAQI[k - 1] + (_IAQI[k] - _IAQI[k - 1]) * (value - lo) / (hi - lo))
    return _IAQI[len(bp) - 1]


def _seasonal(day: date, winter: float, summer: float, peak_month: float = 1.0) -> float:
    angle = 2 * math.pi * (day.timetuple().tm_yday / 365.25 - (peak_month - 0.5) / 12)
    return summer + (winter - summer) * (1 + math.cos(angle)) / 2


def _air(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    start = span(spec)[0]
    offsets = {name: rng.uniform(0.85, 1.15) for name, _ in AIR_STATIONS}
    regional = {"pm": 1.0, "o3": 1.0}

    def make(r: Row) -> RowDict:
        offset, i = divmod(r.index, len(AIR_STATIONS))
        day = date.fromordinal(start.toordinal() + offset)
        if i == 0:  # one regional weather factor per day, shared by all stations
            regional["pm"] = r.rng.lognormvariate(0, 0.45)
            regional["o3"] = r.rng.lognormvariate(0, 0.25)
        name, code = AIR_STATIONS[i]
        d = district_by_code()[code]
        k = offsets[name] * r.rng.uniform(0.9, 1.1)
        values = {
            "pm25": round(_seasonal(day, 44, 17) * regional["pm"] * k),
            "o3_8h": round(
                _seasonal(day, 62, 150, peak_month=6) * regional["o3"] * r.rng.uniform(0.85, 1.15)
            ),
            "no2": round(_seasonal(day, 46, 24) * k * r.rng.uniform(0.8, 1.2)),
        }
        values["pm10"] = round(values["pm25"] * r.rng.uniform(1.3, 1.8) + 8)
        co = round(_seasonal(day, 0.85, 0.55) * r.rng.uniform(0.8, 1.2), 1)
        sub = {p: iaqi(p, float(v)) for p, v in values.items()} | {"co": iaqi("co", co)}
        aqi = max(sub.values())
        primary = max(sub, key=lambda p: sub[p])
        return {
            "monitor_date": day,
            "station_name": name,
            "district_code": d.code,
            "district_name": d.name,
            "aqi": aqi,
            "aqi_level": next(label for limit, label in AQI_LEVELS if aqi <= limit),
            "primary_pollutant": _POLLUTANT_NAMES[primary] if aqi > 50 else None,
            "pm25": values["pm25"],
            "pm10": values["pm10"],
            "o3_8h": values["o3_8h"],
            "no2": values["no2"],
            "co": co,
        }

    return make


# --- water ------------------------------------------------------------------------------------

# (river, section, district suffix)
_SECTIONS = (
    ("黄浦江", "松浦大桥", "17"),
    ("黄浦江", "临江", "12"),
    ("黄浦江", "南市水厂", "01"),
    ("黄浦江", "杨浦大桥", "10"),
    ("黄浦江", "吴淞口", "13"),
    ("苏州河", "赵屯", "18"),
    ("苏州河", "华漕", "12"),
    ("苏州河", "北新泾", "05"),
    ("苏州河", "武宁路桥", "07"),
    ("苏州河", "浙江路桥", "06"),
    ("蕰藻浜", "塘桥", "13"),
    ("蕰藻浜", "吴淞大桥", "13"),
    ("淀浦河", "淀浦河桥", "18"),
    ("淀浦河", "龙华港口", "04"),
    ("川杨河", "东沟", "15"),
    ("川杨河", "川沙", "15"),
    ("大治河", "大治河西闸", "15"),
    ("大治河", "航头", "15"),
    ("金汇港", "南桥", "20"),
    ("金汇港", "金汇港南闸", "20"),
    ("油墩港", "泗泾", "17"),
    ("太浦河", "金泽", "18"),
    ("拦路港", "淀峰", "18"),
    ("淀山湖", "急水港口", "18"),
    ("淀山湖", "西闸", "18"),
    ("大泖港", "泖港", "17"),
    ("张家浜", "张江", "15"),
    ("新川沙河", "合庆", "15"),
    ("浦东运河", "周浦", "15"),
    ("白莲泾", "白莲泾桥", "15"),
    ("虬江", "虬江桥", "09"),
    ("走马塘", "江杨北路", "13"),
    ("彭越浦", "汶水路", "06"),
    ("桃浦河", "桃浦", "07"),
    ("练祁河", "嘉定城中", "14"),
    ("横沥", "马陆", "14"),
    ("龙泉港", "漕泾", "16"),
    ("南横引河", "城桥", "51"),
    ("北横引河", "新河", "51"),
    ("红旗塘", "枫泾", "16"),
)
# GB 3838-2002 class limits: DO ≥, permanganate ≤, ammonia ≤, phosphorus ≤ for classes I–V.
_CLASSES = ("Ⅰ类", "Ⅱ类", "Ⅲ类", "Ⅳ类", "Ⅴ类")
_DO = (7.5, 6, 5, 3, 2)
_CODMN = (2, 4, 6, 10, 15)
_NH3N = (0.15, 0.5, 1.0, 1.5, 2.0)
_TP = (0.02, 0.1, 0.2, 0.3, 0.4)


def water_class(do: float, codmn: float, nh3n: float, tp: float) -> str:
    worst = 0
    for k in range(5):
        if do < _DO[k] or codmn > _CODMN[k] or nh3n > _NH3N[k] or tp > _TP[k]:
            worst = k + 1
    return _CLASSES[worst] if worst < 5 else "劣Ⅴ类"


def _surface_water(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    start = span(spec)[0]
    quality = [rng.uniform(0.6, 1.5) for _ in _SECTIONS]

    def make(r: Row) -> RowDict:
        offset, i = divmod(r.index, len(_SECTIONS))
        month = month_start(start, offset)
        river, section, suffix = _SECTIONS[i]
        d = district_by_code()[f"3101{suffix}"]
        q = quality[i] * (1 - 0.03 * (month.year - 2020)) * r.rng.uniform(0.8, 1.2)
        summer = 1 + 0.25 * math.cos(2 * math.pi * (month.month - 7) / 12)
        do = round(min(max(r.rng.gauss(8.6 - 2.2 * summer + 0.5 / q, 0.6), 2.5), 11.5), 1)
        codmn = round(2.6 * q * r.rng.uniform(0.85, 1.15), 1)
        nh3n = round(0.35 * q**1.5 * r.rng.uniform(0.6, 1.4), 2)
        tp = round(0.11 * q * r.rng.uniform(0.7, 1.3), 3)
        return {
            "monitor_month": month,
            "river_name": river,
            "section_name": section,
            "district_code": d.code,
            "district_name": d.name,
            "water_class": water_class(do, codmn, nh3n, tp),
            "dissolved_oxygen": do,
            "permanganate_index": codmn,
            "ammonia_nitrogen": nh3n,
            "total_phosphorus": tp,
        }

    return make


def _key_units(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    suffixes = (
        ("化工", "制造业"),
        ("石油化工", "制造业"),
        ("电子", "制造业"),
        ("汽车零部件", "制造业"),
        ("医药", "制造业"),
        ("钢铁", "制造业"),
        ("污水处理", "水利、环境和公共设施管理业"),
        ("环境能源", "电力、热力、燃气及水生产和供应业"),
        ("热电", "电力、热力、燃气及水生产和供应业"),
    )
    seen: set[str] = set()

    def make(r: Row) -> RowDict:
        r.district = pick_district(r.rng, urban_bias=0.3)
        word, industry = r.rng.choice(suffixes)
        name = unique(
            r.rng, seen, lambda: f"上海{r.rng.choice(TRADE_NAMES)}{word}有限公司", lambda n: "（分厂）"
        )
        return {
            "company_name": name,
            "industry": industry,
            "supervision_type": weighted(
                r.rng,
                (
                    ("水环境重点排污单位", 0.35),
                    ("大气环境重点排污单位", 0.3),
                    ("土壤污染重点监管单位", 0.15),
                    ("声环境重点排污单位", 0.05),
                    ("环境风险重点管控单位", 0.15),
                ),
            ),
            "list_year": r.rng.randint(2018, 2025),
        }

    return make


_RIVER_FIRST = "东西南北横新老大小长三六八"
_RIVER_SECOND = "沙庄塘泾家桥湾园宅林石潮杨张李陈王金马徐"
_RIVER_SUFFIX = "河港泾浜塘沟"
_CITY_RIVERS = (
    ("黄浦江", "17", 113.4),
    ("苏州河", "07", 53.1),
    ("蕰藻浜", "13", 37.0),
    ("淀浦河", "18", 46.0),
    ("川杨河", "15", 29.0),
    ("大治河", "15", 39.5),
    ("金汇港", "20", 22.0),
    ("油墩港", "17", 39.0),
    ("太浦河", "18", 15.2),
    ("拦路港", "18", 9.0),
    ("大泖港", "17", 26.0),
    ("红旗塘", "16", 13.0),
    ("龙泉港", "16", 21.0),
    ("浦东运河", "15", 45.0),
    ("张家浜", "15", 24.0),
    ("练祁河", "14", 31.0),
    ("南横引河", "51", 60.0),
    ("北横引河", "51", 62.0),
)


def _rivers(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = {name for name, _, _ in _CITY_RIVERS}

    def make(r: Row) -> RowDict:
        if r.index < len(_CITY_RIVERS):
            name, suffix, length = _CITY_RIVERS[r.index]
            r.district = district_by_code()[f"3101{suffix}"]
            level, width = "市管", r.rng.uniform(60, 400)
        else:
            r.district = pick_district(r.rng, urban_bias=0.25)
            name = unique(
                r.rng,
                seen,
                lambda: (
                    r.rng.choice(_RIVER_FIRST) + r.rng.choice(_RIVER_SECOND) + r.rng.choice(_RIVER_SUFFIX)
                ),
                lambda n: f"{'一二三四五六七八九'[n % 9]}支",
            )
            level = weighted(r.rng, (("区管", 0.15), ("镇管", 0.5), ("村级", 0.35)))
            length = {
                "区管": r.rng.uniform(5, 25),
                "镇管": r.rng.uniform(1, 8),
                "村级": r.rng.uniform(0.3, 3),
            }[level]
            width = {
                "区管": r.rng.uniform(20, 60),
                "镇管": r.rng.uniform(8, 30),
                "村级": r.rng.uniform(3, 12),
            }[level]
        a, b = r.rng.sample(r.district.roads, 2)
        return {
            "river_name": name,
            "river_level": level,
            "length_km": round(length, 2),
            "width_m": round(width, 1),
            "start_point": f"{a}附近{r.town}",
            "end_point": f"{b}附近汇入{r.rng.choice(_CITY_RIVERS)[0]}",
        }

    return make


def _waste(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    start = span(spec)[0]
    all_d = districts()
    total_weight = sum(d.weight for d in all_d)

    def make(r: Row) -> RowDict:
        offset, i = divmod(r.index, len(all_d))
        month = month_start(start, offset)
        d = all_d[i]
        days = (month_start(month, 1) - month).days
        share = d.weight / total_weight * days * (1 + 0.015 * (month.year - 2020))
        noise = r.rng.uniform(0.94, 1.06)
        return {
            "stat_month": month,
            "district_code": d.code,
            "district_name": d.name,
            "recyclables_t": round(7200 * share * noise, 1),
            "hazardous_t": round(3.2 * share * noise, 2),
            "wet_waste_t": round(9400 * share * noise * (1.08 if month.month in (6, 7, 8) else 1.0), 1),
            "dry_waste_t": round(16300 * share * noise, 1),
        }

    return make


_PLANTS = (
    "杨树浦水厂",
    "南市水厂",
    "长桥水厂",
    "临江水厂",
    "闵行水厂",
    "月浦水厂",
    "泰和水厂",
    "吴淞水厂",
    "凌桥水厂",
    "居家桥水厂",
    "陈行水厂",
    "金海水厂",
)


def _tap_water(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    start = span(spec)[0]

    def make(r: Row) -> RowDict:
        offset, i = divmod(r.index, len(_PLANTS) * 2)
        plant, network = _PLANTS[i // 2], i % 2 == 1
        return {
            "report_month": month_start(start, offset),
            "plant_name": plant,
            "sample_type": "管网水" if network else "出厂水",
            "turbidity": round(r.rng.uniform(0.08, 0.35) if network else r.rng.uniform(0.03, 0.15), 2),
            "free_chlorine": round(r.rng.uniform(0.2, 0.6) if network else r.rng.uniform(0.6, 1.2), 2),
            "colony_count": r.rng.choice((0, 0, 0, 1, 2, 3, 5)),
            "oxygen_consumption": round(r.rng.uniform(1.1, 2.4), 2),
            "ph": round(r.rng.uniform(7.0, 7.8), 2),
            "qualified": r.rng.random() < 0.998,
        }

    return make


MAKERS: dict[str, Maker] = {
    "SH-STHJJ-0001": _air,
    "SH-STHJJ-0002": _surface_water,
    "SH-STHJJ-0003": _key_units,
    "SH-SWJ-0001": _rivers,
    "SH-LHSRJ-0002": _waste,
    "SH-CTSW-0001": _tap_water,
}
