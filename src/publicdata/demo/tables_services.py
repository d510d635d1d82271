"""Row generators for services: education, civil affairs, jobs, statistics, utilities, land and housing."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

from publicdata.demo.specs import DatasetSpec
from publicdata.demo.tables_base import Maker, Row, RowDict, RowFunction, at, month_start, span, unique
from publicdata.demo.tables_geo import DistrictGeo, all_towns, district_by_code, districts, pick_district
from publicdata.demo.tables_names import (
    ENTERPRISE,
    GOVERNMENT,
    PRIVATE_NON_ENTERPRISE,
    PUBLIC_INSTITUTION,
    TRADE_NAMES,
    company_name,
    credit_code,
)
from publicdata.demo.tables_places import compound, dist, pick, records, road_stem, short_town, words

# --- education --------------------------------------------------------------------------------

_SCHOOL_WORDS = words("向阳 育才 实验 建平 光明 新世纪 明珠 阳光 东方 育英 启明 晨光 复兴 和平 新华 长征")
# level: (weight, public name patterns, private name patterns); {d} district, {s} stem
_SCHOOL_LEVELS = {
    "小学": (0.46, ("{d}{s}小学", "{d}{s}第二小学", "{d}{s}实验小学"), ("{d}民办{s}小学",)),
    "初级中学": (0.28, ("{d}{s}初级中学", "{d}{s}中学"), ("{d}民办{s}中学",)),
    "高级中学": (0.07, ("{s}高级中学", "{d}{s}高级中学"), ("{s}高级中学",)),
    "完全中学": (0.05, ("{s}中学", "{d}{s}中学"), ("民办{s}中学",)),
    "九年一贯制学校": (0.12, ("{d}{s}学校", "{d}{s}实验学校"), ("{d}民办{s}学校", "{s}外国语学校")),
    "十二年一贯制学校": (0.02, ("{s}实验学校",), ("{s}双语学校", "{s}外国语学校")),
}


def _stem(r: Row, d: DistrictGeo) -> str:
    roll = r.rng.random()
    if roll < 0.4:
        return road_stem(r.rng.choice(d.roads))
    return short_town(r.rng.choice(d.towns)) if roll < 0.7 else r.rng.choice(_SCHOOL_WORDS)


def _schools(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()

    def make(r: Row) -> RowDict:
        d = r.district
        level = pick(r, {k: v[0] for k, v in _SCHOOL_LEVELS.items()})
        public = r.rng.random() < 0.85
        _, public_names, private_names = _SCHOOL_LEVELS[level]
        patterns = public_names if public else private_names
        name = unique(r.rng, seen, lambda: "上海市" + r.rng.choice(patterns).format(d=d.name, s=_stem(r, d)),
                      lambda n: f"（{n}部）")
        era = pick(r, {"1900-1949": 0.1, "1950-1979": 0.3, "1980-1999": 0.3, "2000-2023": 0.3})
        first, last = (int(y) for y in era.split("-"))
        return {
            "school_name": name, "school_level": level, "ownership": "公办" if public else "民办",
            "credit_code": credit_code(r.rng, PUBLIC_INSTITUTION, d.code, new_style=False) if public
            else credit_code(r.rng, PRIVATE_NON_ENTERPRISE, d.code, body_prefix="MJ"),
            "founded_year": r.rng.randint(first, last) if public else r.rng.randint(1993, 2020),
        }

    return make


def _kindergartens(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()

    def make(r: Row) -> RowDict:
        d, public = r.district, r.rng.random() < 0.65
        grades = (0.08, 0.55, 0.35, 0.02) if public else (0.01, 0.2, 0.5, 0.29)
        grade = pick(r, dict(zip(("示范性", "一级", "二级", "暂未定级"), grades, strict=True)))
        prefix = "" if public else "民办"
        name = unique(r.rng, seen, lambda: f"上海市{d.name}{prefix}{_stem(r, d)}幼儿园",
                      lambda n: f"（{n}部）")
        return {"kindergarten_name": name, "ownership": "公办" if public else "民办", "grade": grade,
                "class_count": r.rng.randint(6, 20) if public else r.rng.randint(4, 15),
                "nursery_class": r.rng.random() < (0.75 if public else 0.5)}

    return make


# name/level (本科 or 专科)/authority (教 教育部, 沪 上海市, 海 海关总署)/ownership (公, 民, 合)/district
_UNIVERSITIES = records("""
复旦大学/本/教/公/10 上海交通大学/本/教/公/12 同济大学/本/教/公/10 华东师范大学/本/教/公/12
华东理工大学/本/教/公/04 东华大学/本/教/公/17 上海财经大学/本/教/公/10 上海外国语大学/本/教/公/09
上海大学/本/沪/公/13 上海理工大学/本/沪/公/10 上海海事大学/本/沪/公/15 上海海洋大学/本/沪/公/15
上海中医药大学/本/沪/公/15 上海师范大学/本/沪/公/04 华东政法大学/本/沪/公/05 上海对外经贸大学/本/沪/公/17
上海工程技术大学/本/沪/公/17 上海电力大学/本/沪/公/15 上海应用技术大学/本/沪/公/20 上海体育大学/本/沪/公/10
上海音乐学院/本/沪/公/04 上海戏剧学院/本/沪/公/06 上海电机学院/本/沪/公/15 上海第二工业大学/本/沪/公/15
上海立信会计金融学院/本/沪/公/15 上海政法学院/本/沪/公/18 上海商学院/本/沪/公/20 上海海关学院/本/海/公/15
上海科技大学/本/沪/公/15 上海健康医学院/本/沪/公/15 上海纽约大学/本/沪/合/15 上海建桥学院/本/沪/民/15
上海杉达学院/本/沪/民/15 上海视觉艺术学院/本/沪/民/17 上海外国语大学贤达经济人文学院/本/沪/民/51
上海兴伟学院/本/沪/民/20 上海中侨职业技术大学/本/沪/民/16 上海出版印刷高等专科学校/专/沪/公/10
上海旅游高等专科学校/专/沪/公/20 上海城建职业学院/专/沪/公/20 上海电子信息职业技术学院/专/沪/公/20
上海工艺美术职业学院/专/沪/公/17 上海农林职业技术学院/专/沪/公/17 上海交通职业技术学院/专/沪/公/13
上海思博职业技术学院/专/沪/民/15 上海震旦职业学院/专/沪/民/15 上海东海职业技术学院/专/沪/民/12
上海济光职业技术学院/专/沪/民/13
""")
_UNI_CODES = {"本": "本科", "专": "专科（高职）", "教": "教育部", "沪": "上海市", "海": "海关总署",
              "公": "公办", "民": "民办", "合": "中外合作办学"}


def _universities(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    def make(r: Row) -> RowDict:
        name, level, authority, ownership, suffix = _UNIVERSITIES[r.index % len(_UNIVERSITIES)]
        r.district = dist(suffix)
        return {"university_name": name, "education_level": _UNI_CODES[level],
                "authority": _UNI_CODES[authority], "ownership": _UNI_CODES[ownership]}

    return make


# --- civil affairs and employment -------------------------------------------------------------


def _care_homes(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()
    modes = {"养老院": {"公办公营": 0.2, "公建民营": 0.3, "民办": 0.5},
             "敬老院": {"公办公营": 0.6, "公建民营": 0.4}, "长者照护之家": {"公建民营": 0.8, "民办": 0.2}}
    beds = {"养老院": (80, 600), "敬老院": (50, 250), "长者照护之家": (20, 49)}

    def make(r: Row) -> RowDict:
        d, town = r.district, short_town(r.town)
        kind = pick(r, {"养老院": 0.6, "敬老院": 0.12 if d.code > "310112" else 0.0, "长者照护之家": 0.28})
        mode = pick(r, modes[kind])
        pattern = {"养老院": "上海市{d}{t}养老院" if mode != "民办" else "上海市{d}{b}养老院",
                   "敬老院": "上海市{d}{t}敬老院", "长者照护之家": "{d}{t}{r}长者照护之家"}[kind]
        total = r.rng.randint(*beds[kind])
        fee = r.rng.randrange(4500, 12000, 100) if d.code < "310112" else r.rng.randrange(2800, 7000, 100)
        name = unique(r.rng, seen, lambda: pattern.format(d=d.name, t=town, b=r.rng.choice(TRADE_NAMES),
                                                           r=road_stem(r.road)), lambda n: f"第{n}分院")
        return {"institution_name": name, "institution_type": kind, "operation_mode": mode, "beds": total,
                "care_beds": int(total * r.rng.uniform(0.5, 0.95)),
                "monthly_fee_min": int(fee * (0.8 if mode == "公办公营" else 1.0))}

    return make


def _meal_points(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()

    def make(r: Row) -> RowDict:
        d, canteen = r.district, r.rng.random() < 0.3
        if canteen:
            name = unique(r.rng, seen, lambda: f"{short_town(r.town)}{road_stem(r.road)}社区长者食堂",
                          lambda n: f"（{compound(r.rng, d)}）")
        else:
            name = unique(r.rng, seen, lambda: f"{compound(r.rng, d)}老年助餐点", lambda n: f"（{n}）")
        return {"point_name": name, "service_type": "社区长者食堂" if canteen else "老年助餐点",
                "meal_price": float(r.rng.choice((13, 14, 15, 16, 18, 20) if canteen else (10, 12, 13, 15))),
                "delivery": r.rng.random() < 0.6,
                "open_hours": pick(r, {"每日 10:30-13:00": 0.5, "周一至周六 10:30-12:30，16:30-18:00": 0.5})}

    return make


def _divisions(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    towns = all_towns()
    year = span(spec)[0].year

    def make(r: Row) -> RowDict:
        d, town = towns[r.index % len(towns)]
        r.district, r.town = d, town
        kind = "街道" if town.endswith("街道") else "乡" if town.endswith("乡") else "镇"
        return {"town_seq": d.towns.index(town) + 1, "town_type": kind, "division_year": year}

    return make


# (from, monthly minimum wage in yuan); the internship allowance is at least 80 % of it.
_MIN_WAGE = ((date(2017, 4, 1), 2300), (date(2018, 4, 1), 2420), (date(2019, 4, 1), 2480),
             (date(2021, 7, 1), 2590), (date(2023, 7, 1), 2690), (date(2025, 7, 1), 2740))


def _internship_bases(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()

    def make(r: Row) -> RowDict:
        level = pick(r, {"市级": 0.3, "区级": 0.7})
        recognized = r.date_in_span()
        wage = max(w for start, w in _MIN_WAGE if start <= recognized or start == _MIN_WAGE[0][0])
        name, industry = company_name(r.rng)
        while name in seen:
            name, industry = company_name(r.rng)
        seen.add(name)
        return {"base_name": name, "industry": industry, "base_level": level,
                "positions": r.rng.randint(20, 200) if level == "市级" else r.rng.randint(5, 60),
                "monthly_allowance": round(wage * 0.8) + r.rng.choice((0, 0, 0, 200, 500, 1000)),
                "recognized_date": recognized}

    return make


# --- statistics -------------------------------------------------------------------------------

_CATEGORIES = dict(zip("APFTICES", words("综合 人口 财政 贸易 收入 交通 环境 社会"), strict=True))
# code/name/unit/values 2015–2024 ("-" = computed); GDP in current prices, revised by the 5th economic census
_YEARBOOK = records("""
A01/地区生产总值/亿元/28200,31300,34500,37700,39800,40800,45700,46900,50900,53927
A02/人均地区生产总值/元/- A03/第三产业增加值占比/%/67.8,69.8,69.2,69.9,72.7,73.1,73.3,74.1,75.2,76.0
P01/年末常住人口/万人/2415.27,2419.70,2418.33,2423.78,2428.14,2488.36,2489.43,2475.89,2487.45,2480.26
P02/年末户籍人口/万人/1442.97,1449.98,1455.13,1462.38,1469.30,1475.63,1478.81,1479.50,1480.20,1484.43
F01/一般公共预算收入/亿元/5519.5,6406.1,6642.3,7108.1,7165.1,7046.3,7771.8,7608.2,8312.5,8493.6
F02/一般公共预算支出/亿元/6191.6,6918.9,7547.6,8351.5,8179.3,8102.1,8430.9,9393.2,9638.5,9839.7
T01/社会消费品零售总额/亿元/10131.5,10946.6,11830.3,12668.7,13497.2,15932.5,18079.3,16442.1,18515.5,17940.5
T02/货物进出口总额/亿元/28061.1,28664.4,32237.8,34009.9,34046.8,34828.5,40610.4,41902.8,42121.6,42671.1
T03/实际使用外资/亿美元/184.59,185.14,170.08,173.00,190.48,202.33,225.51,239.56,240.87,180.29
I01/全体居民人均可支配收入/元/49867,54305,58988,64183,69442,72232,78027,79610,84834,88366
I02/全体居民人均消费支出/元/34784,37458,39792,43351,45605,42536,48879,46045,52508,54919
C01/城市轨道交通运营线路长度/公里/617,617,666,705,705,729,831,831,831,896
C02/民用汽车拥有量/万辆/282.7,322.1,361.0,393.5,413.8,441.3,465.3,481.2,509.6,534.8
C03/港口集装箱吞吐量/万标准箱/3653.7,3713.3,4023.3,4201.0,4330.3,4350.3,4703.3,4730.3,4915.8,5150.6
E01/环境空气质量优良率/%/70.7,75.4,75.3,81.1,84.7,87.2,91.8,87.1,87.7,87.2
E02/细颗粒物（PM2.5）年均浓度/微克/立方米/53,45,39,36,35,32,27,25,28,29
S01/户籍人口期望寿命/岁/82.75,83.18,83.37,83.63,83.66,83.67,84.11,83.18,83.98,84.26
S02/普通高等学校在校学生/万人/51.16,51.47,51.49,51.78,52.66,54.07,55.30,55.39,56.39,57.12
S03/医疗卫生机构床位数/万张/12.87,13.42,13.95,14.42,14.52,15.02,15.56,16.20,16.62,17.08
""")


def _series(code: str) -> list[float]:
    return next([float(v) for v in values.split(",")] for c, *_, values in _YEARBOOK if c == code)


def _yearbook(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    first = span(spec)[0].year
    gdp, population = _series("A01"), _series("P01")

    def make(r: Row) -> RowDict:
        offset, i = divmod(r.index, len(_YEARBOOK))
        code, name, *unit, values = _YEARBOOK[i]
        k = min(offset, len(gdp) - 1)
        value = round(gdp[k] * 10000 / population[k]) if values == "-" else float(values.split(",")[k])
        return {"stat_year": first + offset, "indicator_code": code, "indicator_name": name,
                "category": _CATEGORIES[code[0]], "value": float(value), "unit": "/".join(unit)}

    return make


# district suffix/GDP 2023/budget revenue/retail sales/industrial output (亿元)
_DISTRICT_ECONOMY = records("""
01/3200/280/1100/30 04/2850/220/800/420 05/2000/190/600/140 06/2900/280/1400/190 07/1400/110/700/240
09/1250/110/380/60 10/2300/150/500/320 12/3200/300/1300/3500 13/1850/150/800/1800 14/2750/240/1700/5800
15/16700/1200/4000/13000 16/1150/110/400/2100 17/2050/190/900/4300 18/1500/190/800/1900
20/1500/160/600/2300 51/430/60/200/300
""")
_INVESTMENT = (6.3, 7.3, 5.2, 5.1, 10.3, 8.1, -1.0, 13.8, 4.8)  # city-wide growth in % from 2016
_INDUSTRY = (0.86, 0.92, 0.94, 0.91, 0.94, 1.09, 1.03, 1.0, 1.0)  # city-wide output relative to 2023


def _district_economy(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    first = span(spec)[0].year
    gdp, revenue, retail = _series("A01"), _series("F01"), _series("T01")

    def make(r: Row) -> RowDict:
        offset, i = divmod(r.index, len(_DISTRICT_ECONOMY))
        suffix, *base = _DISTRICT_ECONOMY[i]
        r.district = dist(suffix)
        year = first + offset
        k = min(year - 2015, len(gdp) - 1)
        trend = (1.012 if suffix >= "12" else 0.995) ** (year - 2023) * r.rng.uniform(0.97, 1.03)
        scale = (gdp[k] / gdp[8], revenue[k] / revenue[8], retail[k] / retail[8], _INDUSTRY[min(k - 1, 8)])
        values = [round(float(b) * s * trend, 2) for b, s in zip(base, scale, strict=True)]
        return {"stat_year": year, "gdp": values[0], "budget_revenue": values[1], "retail_sales": values[2],
                "investment_growth": round(_INVESTMENT[min(k - 1, 8)] + r.rng.gauss(0, 5), 1),
                "industrial_output": values[3]}

    return make


# category/weight/annual drift %/seasonal pattern (F food, C clothing, - none)
_CPI = records("食品烟酒/28/2.4/F 衣着/6/0.8/C 居住/23/1.2/- 生活用品及服务/5/0.6/- 交通通信/12/-0.3/- "
               "教育文化娱乐/12/1.8/- 医疗保健/9/1.8/- 其他用品及服务/3/3.0/-")
_SEASONS = {"F": (1.2, 1.0, -1.3, -0.8, -0.5, -0.3, 0.3, 0.4, 0.4, -0.1, 0.0, 0.3),
            "C": (-0.5, -0.3, 0.8, 0.4, 0.1, -0.3, -0.8, -0.4, 0.6, 0.5, 0.2, -0.3), "-": (0.0,) * 12}


def _cpi(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    start = span(spec)[0]
    months = spec.row_count // (len(_CPI) + 1) + 12
    moms: list[list[float]] = []  # per month: the 8 categories' month-on-month change in %
    for m in range(months):
        month = month_start(start, m - 12).month
        row = []
        for name, _, drift, season in _CPI:
            pattern = _SEASONS[season]
            cycle = 0.4 * math.cos(2 * math.pi * (m - 50) / 44) if season == "F" else 0.0  # the pork cycle
            noise = rng.gauss(0, 0.5 if name == "交通通信" else 0.15)
            row.append(float(drift) / 12 + pattern[month - 1] - sum(pattern) / 12 + cycle + noise)
        weights = [float(w) for _, w, _, _ in _CPI]
        moms.append([sum(w * v for w, v in zip(weights, row, strict=True)) / sum(weights), *row])

    def make(r: Row) -> RowDict:
        offset, c = divmod(r.index, len(_CPI) + 1)
        m = offset + 12
        yoy = math.prod(1 + moms[k][c] / 100 for k in range(m - 11, m + 1))
        return {"stat_month": month_start(start, offset), "category": "总指数" if c == 0 else _CPI[c - 1][0],
                "yoy_index": round(100 * yoy, 1), "mom_index": round(100 + moms[m][c], 1)}

    return make


# district suffix/registered share of residents/aged 60+ share 2023/area km²
_POPULATION = records("""
01/1.49/42.1/20.46 04/0.93/38.2/54.76 05/0.94/40.3/38.30 06/1.05/41.0/36.88 07/0.68/40.6/54.83
09/1.04/43.2/23.46 10/0.83/40.8/60.73 12/0.46/31.9/370.75 13/0.43/36.8/270.99 14/0.36/33.1/464.20
15/0.54/35.2/1210.41 16/0.61/36.4/586.05 17/0.35/30.7/605.64 18/0.38/35.3/670.14 20/0.44/36.1/687.39
51/1.03/42.4/1185.49
""")
_BIRTH_RATES = (7.3, 8.0, 7.6, 6.3, 6.1, 5.4, 4.9, 4.3, 4.1, 4.3)  # ‰ of the registered population


def _population(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    first = span(spec)[0].year
    residents = _series("P01")

    def make(r: Row) -> RowDict:
        offset, i = divmod(r.index, len(_POPULATION))
        suffix, registered_share, aged, area = _POPULATION[i]
        d = r.district = dist(suffix)
        year, k = first + offset, min(first + offset - 2015, len(residents) - 1)
        drift = (0.995 if d.code < "310112" else 1.006) ** (year - 2023)
        resident = round(d.weight * residents[k] / residents[8] * drift * r.rng.uniform(0.995, 1.005), 2)
        registered = round(resident * float(registered_share) * (1 - 0.004 * (2023 - year)), 2)
        return {"stat_year": year, "resident_population": resident, "registered_population": registered,
                "area_km2": float(area), "density": round(resident * 10000 / float(area)),
                "births": round(registered * _BIRTH_RATES[k] * r.rng.uniform(0.9, 1.1) * 10),
                "aged_60_share": round(float(aged) - 0.85 * (2023 - year) + r.rng.gauss(0, 0.2), 1)}

    return make


# --- utilities --------------------------------------------------------------------------------

# sector/share of city consumption/annual growth/seasonal kind (R residential, C cooling, I industry)
_SECTORS = records("""
第一产业/0.005/1.01/C 工业/0.42/1.02/I 建筑业/0.015/1.03/I 交通运输、仓储和邮政业/0.06/1.12/C
信息传输、软件和信息技术服务业/0.05/1.08/C 批发和零售业/0.08/1.03/C 住宿和餐饮业/0.03/1.04/C
金融、房地产、商务及居民服务业/0.09/1.03/C 公共服务及管理组织/0.07/1.03/C 城乡居民生活用电/0.18/1.04/R
""")
_LOAD_SEASON = {"R": (1.35, 1.25, 0.95, 0.85, 0.85, 0.95, 1.35, 1.45, 1.05, 0.85, 0.85, 1.05),
                "C": (1.05, 0.9, 0.9, 0.9, 0.95, 1.05, 1.2, 1.25, 1.05, 0.9, 0.9, 1.0),
                "I": (1.0, 0.8, 1.02, 1.02, 1.03, 1.03, 1.05, 1.05, 1.02, 1.0, 1.0, 1.0)}


def _power_use(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    start, all_d = span(spec)[0], districts()
    months = spec.row_count // (len(all_d) * len(_SECTORS)) + 12
    total = sum(d.weight for d in all_d)
    value: dict[tuple[int, int, int], float] = {}  # (month offset from a year before start, district, sector)
    for m in range(months):
        month = month_start(start, m - 12)
        for di, d in enumerate(all_d):
            central = d.code < "310112"
            for si, (_, share, growth, season) in enumerate(_SECTORS):
                factor = (0.15 if central else 1.5) if si in (0, 1, 2) else (1.4 if central else 0.9)
                base = 1_540_000 * float(share) * d.weight / total * factor
                lockdown = {4: 0.7, 5: 0.8}.get(month.month, 1.0) if month.year == 2022 and si != 9 else 1.0
                value[m, di, si] = (base * _LOAD_SEASON[season][month.month - 1] * lockdown
                                    * float(growth) ** (month.year - 2023) * rng.uniform(0.95, 1.05))

    def make(r: Row) -> RowDict:
        offset, rest = divmod(r.index, len(all_d) * len(_SECTORS))
        di, si = divmod(rest, len(_SECTORS))
        r.district, now = all_d[di], value[offset + 12, di, si]
        return {"stat_month": month_start(start, offset), "sector": _SECTORS[si][0],
                "consumption": round(now, 2), "yoy_growth": round((now / value[offset, di, si] - 1) * 100, 1)}

    return make


_POWER_COMPANIES = {k: v for k, v in records("01/市区 05/市区 06/市区 04/市南 12/市南 07/市北 09/市北 "
                                               "10/市北 13/市北")}
_POWER_SERVICES = words("新装增容 电费缴纳 过户更名 发票打印 电价咨询 光伏并网申请 故障报修受理 峰谷电申请")


def _power_halls(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()

    def make(r: Row) -> RowDict:
        d = r.district
        company = _POWER_COMPANIES.get(d.code[-2:], d.name.removesuffix("新区").removesuffix("区"))
        name = unique(r.rng, seen, lambda: f"国网上海{company}供电公司{short_town(r.town)}供电营业厅",
                      lambda n: f"（{road_stem(r.road)}）" if n == 2 else f"（{n}）")
        picked = sorted({0, 1, *r.rng.sample(range(len(_POWER_SERVICES)), r.rng.randint(2, 5))})
        return {"hall_name": name, "services": "、".join(_POWER_SERVICES[i] for i in picked),
                "ev_application": r.rng.random() < 0.75,
                "open_hours": pick(r, {"周一至周日 9:00-17:00": 0.5, "周一至周六 8:30-17:00": 0.5})}

    return make


def _gas_outlets(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()
    companies = {"310104": "上海大众燃气", "310105": "上海大众燃气", "310101": "上海大众燃气",
                 "310115": "上海燃气浦东销售", "310151": "上海燃气崇明"}

    def make(r: Row) -> RowDict:
        d = r.district
        company = companies.get(d.code, "上海燃气市北销售" if d.code < "310114" else f"上海{d.name[:2]}燃气")
        repair = r.rng.random() < 0.4
        kind = "抢修站" if repair else "营业厅"
        name = unique(r.rng, seen, lambda: f"{company}{short_town(r.town)}{kind}",
                      lambda n: f"（{road_stem(r.road)}）" if n == 2 else f"（{n}）")
        hours = pick(r, {"周一至周六 8:30-16:30": 0.6, "周一至周五 8:30-17:00": 0.4})
        row: RowDict = {"outlet_name": name, "outlet_type": kind, "on_duty_24h": repair,
                        "open_hours": "00:00-24:00" if repair else hours}
        return row | {"phone": "962777"} if repair else row

    return make


def _pumping(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    roads = sorted({(road, d.code) for d in districts()[:7] for road in d.roads})
    stations = [(road, code, rng.uniform(3, 25), rng.randint(3, 8), rng.uniform(0.8, 1.6))
                for road, code in rng.sample(roads, 40)]
    hours = spec.row_count // len(stations)
    first = span(spec)[1] - timedelta(days=hours // 24 - 1)
    rain = [max(0.0, rng.gauss(2.0, 1.5)) if 20 <= h <= 34 else 0.0 for h in range(hours)]

    def make(r: Row) -> RowDict:
        h, i = divmod(r.index, len(stations))
        road, code, capacity, pumps, base = stations[i]
        r.district = district_by_code()[code]
        local = round(rain[h] * r.rng.uniform(0.6, 1.4), 1)
        running = min(pumps, math.ceil(local / 2.5 * pumps / 2)) if local else int(r.rng.random() < 0.1)
        level = round(base + 0.25 * local - 0.05 * running + r.rng.uniform(-0.05, 0.05), 2)
        return {"record_time": at(first, h * 60), "pump_station": f"{road}泵站",
                "design_capacity": round(capacity, 1), "running_pumps": running, "inlet_level": level,
                "rainfall_1h": local, "over_warning": level > base + 1.2}

    return make


# --- land and housing -------------------------------------------------------------------------

_DEVELOPERS = words("保利 万科 中海 华润 招商 绿城 建发 象屿 龙湖 金地 仁恒 华发 越秀 中建 城建 地产 陆家嘴 "
                    "张江 临港 金桥 中铁建 光明 静安置业")
_ESTATE_SUFFIXES = words("府 壹号院 公馆 雅苑 花园 名邸 华庭 云著 天地 臻园 湾 玖里")
_CONTRACTORS = words("上海建工一建集团有限公司 上海建工二建集团有限公司 上海建工四建集团有限公司 "
                     "上海建工五建集团有限公司 上海建工七建集团有限公司 中国建筑第八工程局有限公司 "
                     "中建三局集团有限公司 上海宝冶集团有限公司 中国二十冶集团有限公司 上海隧道工程有限公司 "
                     "上海城建市政工程（集团）有限公司 龙元建设集团股份有限公司 中铁上海工程局集团有限公司 "
                     "上海市住安建设发展股份有限公司 上海市第二市政工程有限公司")
_ABBR = dict(zip((d.code for d in districts()), words("HP XH CN JA PT HK YP MH BS JD PD JS SJ QP FX CM"),
                 strict=True))


def developer(rng: random.Random, brand: str = "") -> str:
    form = rng.choice(("置业", "房地产开发"))
    return f"上海{brand or rng.choice(_DEVELOPERS)}{rng.choice(TRADE_NAMES)}{form}有限公司"


def parcel(rng: random.Random, d: DistrictGeo, town: str) -> str:
    """A planning-unit parcel such as "浦东新区张江镇PDP0-0403单元04-02地块"."""
    zone = "C" if d.code < "310112" else "P"
    unit = f"{_ABBR[d.code]}{zone}{rng.randint(0, 1)}-{rng.randint(1, 30):02d}{rng.randint(1, 9):02d}"
    return f"{d.name}{town}{unit}单元{rng.randint(1, 40):02d}-{rng.randint(1, 12):02d}地块"


# kind: (weight, construction cost 元/平方米, builder agency or "")
_PERMIT_KINDS = {"住宅": (0.3, 3500, ""), "商业办公": (0.15, 5500, ""), "学校": (0.12, 5000, "教育局"),
                 "医院": (0.06, 7000, "卫生健康委员会"), "厂房": (0.2, 2600, ""),
                 "旧住房成套改造": (0.09, 2800, "住房保障和房屋管理局"), "保障性租赁住房": (0.08, 3800, "")}


def _construction_permits(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    def make(r: Row) -> RowDict:
        d, town, issued = r.district, r.town, r.date_in_span()
        kind = pick(r, {k: v[0] for k, v in _PERMIT_KINDS.items()})
        _, unit_cost, agency = _PERMIT_KINDS[kind]
        builder, prefix = developer(r.rng), ENTERPRISE
        project = f"{parcel(r.rng, d, town)}{kind}项目"
        if agency:
            builder, prefix = f"上海市{d.name}{agency}", GOVERNMENT
            school = r.rng.choice(("小学", "中学", "幼儿园"))
            project = {"学校": f"{d.name}{road_stem(r.road)}{school}新建工程",
                       "医院": f"{d.name}{short_town(town)}社区卫生服务中心改扩建工程"}.get(
                kind, f"{compound(r.rng, d)}旧住房成套改造工程")
        elif kind == "厂房":
            builder = company_name(r.rng)[0]
            project = f"{builder.removesuffix('有限公司').removesuffix('股份')}新建厂房项目"
        local = f"上海{r.rng.choice(TRADE_NAMES)}{r.rng.choice(('建设', '建筑工程', '建设发展'))}有限公司"
        area = round(r.rng.lognormvariate(math.log(12000 if agency.startswith("住房") else 40000), 0.8), 1)
        return {
            "permit_number": f"{d.code}{issued:%Y%m%d}{r.index % 99 + 1:02d}0{r.rng.choice('112')}",
            "project_name": project, "builder_name": builder,
            "builder_credit_code": credit_code(r.rng, prefix, d.code, new_style=prefix == ENTERPRISE),
            "contractor_name": r.rng.choice(_CONTRACTORS) if r.rng.random() < 0.6 else local,
            "contract_amount": round(area * unit_cost * r.rng.uniform(0.8, 1.25) / 10000, 2),
            "building_area": area, "issue_date": issued,
        }

    return make


_RENTAL_WORDS = words("住房租赁 公寓管理 房屋租赁 资产管理 房地产经纪 租赁住房运营管理")


def _rental_companies(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()

    def make(r: Row) -> RowDict:
        choice = r.rng.choice
        name = unique(r.rng, seen, lambda: f"上海{choice(TRADE_NAMES)}{choice(_RENTAL_WORDS)}有限公司",
                      lambda n: f"（{r.district.name}{n}）")
        return {"company_name": name, "report_date": r.date_in_span(),
                "registered_capital": float(r.rng.choice((100, 200, 500, 1000, 2000, 5000, 10000, 50000))),
                "listing_count": int(r.rng.lognormvariate(math.log(260), 1.5)) + 5}

    return make


def _presale(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    counter = {d.code: rng.randint(100, 900) for d in districts()}

    def make(r: Row) -> RowDict:
        r.district = d = pick_district(r.rng, urban_bias=0.5)
        issued, units = r.date_in_span(), r.rng.randint(40, 720)
        counter[d.code] += 1
        place = short_town(r.town) if r.rng.random() < 0.6 else road_stem(r.road)
        brand = r.rng.choice(_DEVELOPERS)
        return {
            "permit_number": f"{d.name}房管（{issued.year}）预字{counter[d.code]:07d}号",
            "project_name": f"{brand}{place}{r.rng.choice(_ESTATE_SUFFIXES)}",
            "developer_name": developer(r.rng, brand), "units": units,
            "presale_area": round(units * r.rng.uniform(75, 165), 2), "issue_date": issued,
        }

    return make


# use: (weight, plot ratio range, start price per floor area 元/平方米)
_LAND_USES = {"住宅": (0.28, (1.6, 2.5), (15000, 65000)), "商业办公": (0.18, (2.0, 5.5), (5000, 30000)),
              "工业": (0.27, (1.2, 2.0), (600, 1500)), "研发": (0.13, (1.5, 3.0), (2500, 8000)),
              "租赁住房": (0.09, (2.0, 3.0), (8000, 20000)), "教育": (0.05, (0.8, 1.5), (1500, 5000))}


def _land_transfers(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    def make(r: Row) -> RowDict:
        d = r.district = pick_district(r.rng, urban_bias=0.4)
        use = pick(r, {k: v[0] for k, v in _LAND_USES.items()})
        _, ratios, prices = _LAND_USES[use]
        area = round(r.rng.uniform(5000, 150000 if use == "工业" else 80000), 1)
        ratio = round(r.rng.uniform(*ratios), 1)
        start = round(area * ratio * r.rng.uniform(*prices) * (1.8 if d.code < "310112" else 1.0) / 10000, 1)
        premium = r.rng.choice((0.0, 0.0, 0.0, 0.02, 0.05, 0.1) if use == "住宅" else (0.0, 0.0, 0.01))
        winner = developer(r.rng) if use in ("住宅", "商业办公", "租赁住房") else company_name(r.rng)[0]
        return {
            "parcel_name": parcel(r.rng, d, r.town), "land_use": use, "land_area": area, "plot_ratio": ratio,
            "start_price": start, "deal_price": round(start * (1 + premium), 1),
            "transfer_method": pick(r, {"挂牌": 0.85, "招标": 0.08, "拍卖": 0.07}),
            "deal_date": r.date_in_span(), "winner_name": winner,
        }

    return make


MAKERS: dict[str, Maker] = {
    "SH-JW-0001": _schools, "SH-JW-0002": _kindergartens, "SH-JW-0003": _universities,
    "SH-MZJ-0001": _care_homes, "SH-MZJ-0002": _meal_points, "SH-MZJ-0004": _divisions,
    "SH-RSJ-0002": _internship_bases, "SH-TJJ-0001": _yearbook, "SH-TJJ-0002": _district_economy,
    "SH-TJJ-0003": _cpi, "SH-TJJ-0004": _population, "SH-GWDL-0001": _power_use, "SH-GWDL-0002": _power_halls,
    "SH-RQ-0001": _gas_outlets, "SH-SWJ-0002": _pumping, "SH-ZJW-0001": _construction_permits,
    "SH-ZJW-0002": _rental_companies, "SH-ZJW-0003": _presale, "SH-GHZYJ-0001": _land_transfers,
}
