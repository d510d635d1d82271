"""Row generators for the health and environment datasets."""

from __future__ import annotations

import math
import random
from datetime import date

from publicdata.demo.specs import DatasetSpec
from publicdata.demo.tables_base import Maker, Row, RowDict, RowFunction, month_start, span, unique, weighted
from publicdata.demo.tables_geo import DistrictGeo, all_towns, district_by_code, districts, pick_district
from publicdata.demo.tables_names import TRADE_NAMES, branded_name

# (name, district code suffix) — real tertiary hospitals.
_MAJOR_HOSPITALS = (
    ("复旦大学附属中山医院", "04"),
    ("复旦大学附属华山医院", "06"),
    ("上海交通大学医学院附属瑞金医院", "01"),
    ("上海交通大学医学院附属仁济医院", "15"),
    ("上海市第一人民医院", "09"),
    ("上海市第六人民医院", "04"),
    ("上海市第十人民医院", "06"),
    ("上海市东方医院", "15"),
    ("上海长海医院", "10"),
    ("上海长征医院", "01"),
    ("复旦大学附属肿瘤医院", "04"),
    ("复旦大学附属儿科医院", "12"),
    ("上海市儿童医院", "06"),
    ("上海交通大学医学院附属新华医院", "10"),
    ("上海市胸科医院", "04"),
    ("上海市精神卫生中心", "04"),
    ("上海市肺科医院", "10"),
    ("上海市公共卫生临床中心", "16"),
    ("上海中医药大学附属龙华医院", "04"),
    ("上海中医药大学附属曙光医院", "01"),
    ("上海中医药大学附属岳阳中西医结合医院", "09"),
    ("上海市中医医院", "06"),
    ("复旦大学附属眼耳鼻喉科医院", "04"),
    ("复旦大学附属妇产科医院", "01"),
    ("上海市第一妇婴保健院", "15"),
    ("中国福利会国际和平妇幼保健院", "04"),
    ("上海市同济医院", "07"),
    ("上海市同仁医院", "05"),
    ("上海交通大学医学院附属第九人民医院", "01"),
    ("上海市第五人民医院", "12"),
    ("上海市浦东医院", "15"),
    ("复旦大学附属金山医院", "16"),
    ("上海市第七人民医院", "15"),
    ("上海市杨浦区中心医院", "10"),
    ("上海市第八人民医院", "04"),
)
_SPECIALIST_WORDS = ("肿瘤", "儿", "胸科", "精神", "肺科", "妇", "眼", "公共卫生")

_SPECIALTIES = ("眼科", "口腔", "妇产科", "骨科", "康复", "中医", "皮肤病", "美容")


def major_hospitals() -> list[tuple[str, DistrictGeo, str]]:
    """(name, district, grade) of the real tertiary and district central hospitals used in the demo."""
    by_code = district_by_code()
    result = [(name, by_code[f"3101{suffix}"], "三级甲等") for name, suffix in _MAJOR_HOSPITALS]
    for d in districts():
        name = f"上海市{d.name}中心医院"
        if all(name != n for n, _, _ in result):
            result.append((name, d, "二级甲等" if d.code > "310112" else "三级乙等"))
    return result


def chc_name(d: DistrictGeo, town: str) -> str:
    """Community health service centres are named after their street or town."""
    return f"上海市{d.name}{town}社区卫生服务中心"


def _institutions(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    fixed: list[tuple[str, DistrictGeo, str, str, str, int]] = []
    for name, d, grade in major_hospitals():
        kind = "综合医院"
        if "中医" in name:
            kind = "中医医院"
        elif any(word in name for word in _SPECIALIST_WORDS):
            kind = "专科医院"
        beds = rng.randint(1200, 3200) if grade == "三级甲等" else rng.randint(500, 1000)
        fixed.append((name, d, kind, grade, "非营利性（政府办）", beds))
    for d, town in all_towns():
        fixed.append(
            (
                chc_name(d, town),
                d,
                "社区卫生服务中心",
                "一级",
                "非营利性（政府办）",
                rng.choice((0, 0, 30, 50, 80)),
            )
        )
    seen = {f[0] for f in fixed}

    def make(r: Row) -> RowDict:
        if r.index < len(fixed):
            name, d, kind, grade, ownership, beds = fixed[r.index]
            r.district = d
        else:
            d = r.district
            kind = weighted(r.rng, (("门诊部", 0.55), ("专科医院", 0.25), ("综合医院", 0.1), ("护理院", 0.1)))
            spec_name = r.rng.choice(_SPECIALTIES)
            if kind == "门诊部":
                name = unique(
                    r.rng,
                    seen,
                    lambda: f"上海{r.rng.choice(TRADE_NAMES)}{spec_name}门诊部",
                    lambda n: f"（{d.name}第{n}门诊部）",
                )
                grade, beds = "未定级", 0
            elif kind == "专科医院":
                name = unique(
                    r.rng,
                    seen,
                    lambda: f"上海{r.rng.choice(TRADE_NAMES)}{spec_name}医院",
                    lambda n: f"{d.name}分院",
                )
                grade, beds = r.rng.choice(("二级", "未定级", "一级")), r.rng.randint(20, 200)
            elif kind == "护理院":
                name = unique(
                    r.rng,
                    seen,
                    lambda: f"上海{d.name}{r.town.removesuffix('街道')}护理院",
                    lambda n: f"第{n}分院",
                )
                grade, beds = "未定级", r.rng.randint(60, 300)
            else:
                name = unique(r.rng, seen, lambda: branded_name(r.rng, "医院"), lambda n: f"{d.name}院区")
                grade, beds = r.rng.choice(("二级乙等", "一级", "未定级")), r.rng.randint(50, 400)
            ownership = r.rng.choice(("营利性", "非营利性（社会办）"))
        return {
            "institution_name": name,
            "institution_type": kind,
            "hospital_grade": grade,
            "ownership": ownership,
            "beds": beds,
            "license_valid_until": r.date_between(date(2026, 1, 1), date(2030, 12, 31)),
        }

    return make


def _chc(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    towns = all_towns()
    branches = [rng.choice(towns) for _ in range(max(spec.row_count - len(towns), 0))]

    def make(r: Row) -> RowDict:
        if r.index < len(towns):
            d, town = towns[r.index]
            name = chc_name(d, town)
        else:
            d, town = branches[r.index - len(towns)]
            name = f"{chc_name(d, town)}{'一二三四五'[r.index % 5]}分中心"
        r.district, r.town = d, town
        return {
            "center_name": name,
            "family_doctor_teams": r.rng.randint(8, 60),
            "open_hours": "周一至周五 8:00-16:30，周六 8:00-11:30",
        }

    return make


# (class, disease, typical monthly cases, deaths per month, season peak month or 0)
_DISEASES = (
    ("甲类", "霍乱", 0.05, 0.0, 8),
    ("乙类", "病毒性肝炎", 420, 0.6, 0),
    ("乙类", "肺结核", 450, 1.2, 3),
    ("乙类", "梅毒", 520, 0.1, 0),
    ("乙类", "淋病", 210, 0.0, 0),
    ("乙类", "猩红热", 90, 0.0, 5),
    ("乙类", "细菌性和阿米巴性痢疾", 9, 0.0, 8),
    ("乙类", "百日咳", 25, 0.0, 6),
    ("乙类", "艾滋病", 55, 5.0, 0),
    ("乙类", "伤寒和副伤寒", 3, 0.0, 8),
    ("乙类", "登革热", 4, 0.0, 9),
    ("乙类", "麻疹", 2, 0.0, 4),
    ("乙类", "布鲁氏菌病", 2, 0.0, 6),
    ("乙类", "疟疾", 3, 0.02, 7),
    ("丙类", "流行性感冒", 9000, 0.3, 1),
    ("丙类", "其它感染性腹泻病", 3200, 0.0, 7),
    ("丙类", "手足口病", 1500, 0.0, 6),
    ("丙类", "流行性腮腺炎", 110, 0.0, 5),
    ("丙类", "急性出血性结膜炎", 12, 0.0, 9),
    ("丙类", "风疹", 2, 0.0, 4),
)


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p < limit:
            return k
        k += 1


def _infectious(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    start = span(spec)[0]

    def make(r: Row) -> RowDict:
        offset, i = divmod(r.index, len(_DISEASES))
        month = month_start(start, offset)
        klass, disease, base, deaths, peak = _DISEASES[i]
        season = 1.0
        if peak:
            distance = min((month.month - peak) % 12, (peak - month.month) % 12)
            season = 0.35 + 1.6 * math.exp(-(distance**2) / 3)
        if disease == "流行性感冒":
            season = season**2 * (0.15 if 2020 <= month.year <= 2022 else 1.0)
        cases = _poisson(r.rng, base * season)
        return {
            "stat_month": month,
            "disease_class": klass,
            "disease_name": disease,
            "cases": cases,
            "deaths": min(_poisson(r.rng, deaths), cases),
            "incidence_rate": round(cases / 248.0, 4),
        }

    return make


def _visits(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    hospitals = major_hospitals()[:50]
    start = span(spec)[0]
    scale = [rng.uniform(0.6, 1.4) for _ in hospitals]

    def make(r: Row) -> RowDict:
        offset, i = divmod(r.index, len(hospitals))
        name, d, grade = hospitals[i]
        month = month_start(start, offset)
        big = grade == "三级甲等"
        seasonal = 0.82 if month.month == 2 else 1.0
        outpatient = int((330_000 if big else 120_000) * scale[i] * seasonal * r.rng.uniform(0.92, 1.08))
        return {
            "stat_month": month,
            "institution_name": name,
            "district_code": d.code,
            "district_name": d.name,
            "outpatient_visits": outpatient,
            "emergency_visits": int(outpatient * r.rng.uniform(0.05, 0.12)),
            "discharges": int(outpatient * r.rng.uniform(0.025, 0.045)),
            "avg_stay_days": round(r.rng.uniform(4.8, 9.5) if big else r.rng.uniform(6.5, 12.0), 1),
        }

    return make


def _births(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    start, end = span(spec)
    months = (end.year - start.year) * 12 + end.month - start.month + 1

    def make(r: Row) -> RowDict:
        preterm = r.rng.random() < 0.07
        weeks = (
            r.rng.randint(30, 36) if preterm else r.rng.choices((37, 38, 39, 40, 41), (8, 20, 32, 30, 10))[0]
        )
        weight = int(min(max(r.rng.gauss(3350 - (39 - weeks) * 180, 420), 900), 5200))
        return {
            "birth_month": month_start(start, r.index * months // spec.row_count),
            "sex": "男" if r.rng.random() < 0.515 else "女",
            "birth_weight": weight,
            "gestational_weeks": weeks,
            "delivery_mode": weighted(r.rng, (("自然分娩", 0.55), ("剖宫产", 0.43), ("阴道助产", 0.02))),
            "hospital_level": "三级" if r.rng.random() < 0.65 else "二级",
        }

    return make


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
    "SH-WJW-0001": _institutions,
    "SH-WJW-0002": _chc,
    "SH-WJW-0003": _infectious,
    "SH-WJW-0004": _visits,
    "SH-WJW-0005": _births,
    "SH-STHJJ-0001": _air,
    "SH-STHJJ-0002": _surface_water,
    "SH-STHJJ-0003": _key_units,
    "SH-SWJ-0001": _rivers,
    "SH-LHSRJ-0002": _waste,
    "SH-CTSW-0001": _tap_water,
}
