"""Row generators for the health datasets: institutions, health centres, diseases, visits, births."""

from __future__ import annotations

import math
import random
from datetime import date

from publicdata.demo.specs import DatasetSpec
from publicdata.demo.tables_base import Maker, Row, RowDict, RowFunction, month_start, span, unique, weighted
from publicdata.demo.tables_geo import DistrictGeo, all_towns, district_by_code, districts
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


MAKERS: dict[str, Maker] = {
    "SH-WJW-0001": _institutions,
    "SH-WJW-0002": _chc,
    "SH-WJW-0003": _infectious,
    "SH-WJW-0004": _visits,
    "SH-WJW-0005": _births,
}
