"""Row generators for enterprise, licence, credit and institution datasets (market regulation, civil
affairs)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from publicdata.demo.specs import DatasetSpec
from publicdata.demo.tables_base import (
    DEMO_AS_OF,
    Maker,
    Row,
    RowDict,
    RowFunction,
    add_years,
    span,
    unique,
    weighted,
)
from publicdata.demo.tables_geo import DistrictGeo
from publicdata.demo.tables_names import (
    ENTERPRISE,
    ENTERPRISE_TYPES,
    FOUNDATION,
    INDIVIDUAL_BUSINESS,
    PRIVATE_NON_ENTERPRISE,
    SOCIAL_GROUP,
    TRADE_NAMES,
    company_name,
    credit_code,
)

_NEW_CODES_FROM = date(2015, 10, 1)  # unified social credit codes replaced registration numbers
_CAPITALS = (10, 30, 50, 100, 100, 200, 300, 500, 500, 1000, 1000, 2000, 5000, 10000)


def samr(d: DistrictGeo) -> str:
    """The district's market regulation bureau, e.g. 上海市浦东新区市场监督管理局."""
    return f"上海市{d.name}市场监督管理局"


def _established(r: Row, start: date = date(1995, 1, 1)) -> date:
    # Registrations grew fast after 2014; draw most dates from recent years.
    if r.rng.random() < 0.7:
        return r.date_between(date(2014, 1, 1), DEMO_AS_OF)
    return r.date_between(start, date(2013, 12, 31))


def _enterprise_code(r: Row, founded: date, area: str) -> str:
    return credit_code(r.rng, ENTERPRISE, area, new_style=founded >= _NEW_CODES_FROM)


def _enterprises(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()
    types = [t for t, _ in ENTERPRISE_TYPES]
    type_weights = [w for _, w in ENTERPRISE_TYPES]

    def make(r: Row) -> RowDict:
        d = r.district
        founded = _established(r)
        city_level = r.rng.random() < 0.06
        name = unique(
            r.rng, seen, lambda: company_name(r.rng)[0], lambda n: f"（{d.name.removesuffix('区')}{n}）"
        )
        status = weighted(
            r.rng, (("存续", 0.72), ("在业", 0.1), ("注销", 0.14), ("吊销", 0.02), ("迁出", 0.02))
        )
        return {
            "credit_code": _enterprise_code(r, founded, "310000" if city_level else d.code),
            "enterprise_name": name,
            "enterprise_type": r.rng.choices(types, type_weights)[0],
            "industry_category": r.company[1],
            "registered_capital": float(r.rng.choice(_CAPITALS)),
            "establishment_date": founded,
            "business_status": status,
            "registration_authority": "上海市市场监督管理局" if city_level else samr(d),
        }

    return make


_FOOD_FORMS = (
    ("1", "食品销售经营者", "预包装食品（含冷藏冷冻食品）销售；散装食品（不含冷藏冷冻食品）销售", 0.4),
    ("2", "餐饮服务经营者", "热食类食品制售；冷食类食品制售；自制饮品制售", 0.5),
    ("3", "单位食堂", "热食类食品制售", 0.1),
)
_SHOPS = ("小吃店", "面馆", "饭店", "餐厅", "点心店", "烘焙店", "便利店", "食品商店", "水果店")


def _food_licences(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seq = iter(rng.sample(range(100000, 999999), spec.row_count))

    def make(r: Row) -> RowDict:
        d = r.district
        digit, form, items, _ = r.rng.choices(_FOOD_FORMS, [w for *_, w in _FOOD_FORMS])[0]
        issued = r.date_in_span()
        individual = digit != "3" and r.rng.random() < 0.35
        if individual:
            name = f"上海市{d.name}{r.rng.choice(TRADE_NAMES)}{r.rng.choice(_SHOPS)}"
            code = credit_code(r.rng, INDIVIDUAL_BUSINESS, d.code)
        else:
            suffix = {"1": "商贸有限公司", "2": "餐饮管理有限公司", "3": "实业有限公司"}[digit]
            name = f"上海{r.rng.choice(TRADE_NAMES)}{r.rng.choice(TRADE_NAMES)}{suffix}"
            code = _enterprise_code(r, issued, d.code)
        valid_until = add_years(issued, 5) - timedelta(days=1)
        return {
            "license_number": f"JY{digit}{d.code}{next(seq)}{r.rng.randint(0, 9)}",
            "operator_name": name,
            "credit_code": code,
            "business_form": form,
            "business_items": items,
            "issue_date": issued,
            "valid_until": valid_until,
            "issuing_authority": samr(d),
        }

    return make


_VIOLATIONS = (
    ("发布虚假广告", "《中华人民共和国广告法》第五十五条"),
    ("销售不符合食品安全标准的食品", "《中华人民共和国食品安全法》第一百二十四条"),
    ("未取得食品经营许可从事食品经营", "《中华人民共和国食品安全法》第一百二十二条"),
    ("未按规定明码标价", "《明码标价和禁止价格欺诈规定》第二十一条"),
    ("侵犯注册商标专用权", "《中华人民共和国商标法》第六十条"),
    ("虚假宣传", "《中华人民共和国反不正当竞争法》第二十条"),
    ("销售不合格产品", "《中华人民共和国产品质量法》第四十九条"),
    ("使用未经定期检验的特种设备", "《中华人民共和国特种设备安全法》第八十四条"),
    ("计量器具未按规定检定", "《中华人民共和国计量法实施细则》第四十三条"),
    ("无照经营", "《无证无照经营查处办法》第十三条"),
)
_DISTRICT_ABBR = {
    "310101": "黄",
    "310104": "徐",
    "310105": "长",
    "310106": "静",
    "310107": "普",
    "310109": "虹",
    "310110": "杨",
    "310112": "闵",
    "310113": "宝",
    "310114": "嘉",
    "310115": "浦",
    "310116": "金",
    "310117": "松",
    "310118": "青",
    "310120": "奉",
    "310151": "崇",
}


def _penalties(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    def make(r: Row) -> RowDict:
        d = r.district
        decided = r.date_in_span()
        violation, basis = r.rng.choice(_VIOLATIONS)
        if r.rng.random() < 0.3:
            party = f"上海市{d.name}{r.rng.choice(TRADE_NAMES)}{r.rng.choice(_SHOPS)}"
            code = credit_code(r.rng, INDIVIDUAL_BUSINESS, d.code)
        else:
            party = r.company[0]
            code = r.credit_code
        fine = r.rng.choice((0, 2000, 5000, 10000, 20000, 30000, 50000, 100000, 200000))
        confiscated = r.rng.choice((0, 0, 0, 350, 1200, 4800, 16500))
        if fine == 0 and confiscated == 0:
            content = "警告"
        elif confiscated:
            content = f"没收违法所得{confiscated}元，罚款{fine}元"
        else:
            content = f"罚款{fine}元"
        serial = f"{d.code[-2:]}{decided.year}{r.index + 1:06d}"
        number = f"沪市监{_DISTRICT_ABBR[d.code]}处〔{decided.year}〕{serial}号"
        return {
            "decision_number": number,
            "party_name": party,
            "credit_code": code,
            "violation_type": violation,
            "legal_basis": basis,
            "penalty_content": content,
            "fine_amount": round((fine + confiscated) / 10000, 4),
            "decision_date": decided,
            "authority_name": samr(d),
            "publicity_end": add_years(decided, 3),
        }

    return make


def _trustworthy(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    def make(r: Row) -> RowDict:
        year = r.rng.randint(2019, 2025)
        start = date(year, 7, 1)
        return {
            "publicity_year": year,
            "valid_from": start,
            "valid_until": date(year + 2, 6, 30),
        }

    return make


_ABNORMAL_REASONS = (
    ("未依照《企业信息公示暂行条例》第八条规定的期限公示年度报告", 0.6),
    ("通过登记的住所或者经营场所无法联系", 0.3),
    ("未在责令的期限内公示有关企业信息", 0.05),
    ("公示企业信息隐瞒真实情况、弄虚作假", 0.05),
)


def _abnormal(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    start, end = span(spec)

    def make(r: Row) -> RowDict:
        reason = weighted(r.rng, _ABNORMAL_REASONS)
        if reason.startswith("未依照"):  # annual reports are due by 30 June; listing follows in July
            listed = date(r.rng.randint(start.year, end.year - 1), 7, r.rng.randint(1, 15))
        else:
            listed = r.date_in_span()
        removed = r.rng.random() < 0.45
        removal = r.date_between(listed + timedelta(days=10), end) if removed and listed < end else None
        return {
            "listing_reason": reason,
            "listing_date": listed,
            "listing_authority": samr(r.district),
            "removed": removal is not None,
            "removal_date": removal,
        }

    return make


def _risk_classes(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    bands = {"A类": (85, 100), "B类": (70, 85), "C类": (55, 70), "D类": (20, 55)}

    def make(r: Row) -> RowDict:
        klass = weighted(r.rng, (("A类", 0.35), ("B类", 0.45), ("C类", 0.15), ("D类", 0.05)))
        lo, hi = bands[klass]
        year, quarter = r.rng.randint(2022, 2025), r.rng.randint(0, 3)
        return {
            "risk_class": klass,
            "score": round(r.rng.uniform(lo, hi), 1),
            "assessment_date": date(year, quarter * 3 + 1, 10),
        }

    return make


_GROUP_WORDS = (
    "软件行业协会",
    "物流协会",
    "餐饮烹饪行业协会",
    "钟表行业协会",
    "园林绿化行业协会",
    "心理学会",
    "营养学会",
    "摄影家协会",
    "书法家协会",
    "志愿者协会",
    "商会",
    "跆拳道协会",
)
_SERVICE_WORDS = (
    "社区服务中心",
    "社会工作服务社",
    "青少年服务中心",
    "养老服务中心",
    "职业技能培训学校",
    "幼儿园",
    "艺术培训中心",
    "公益服务中心",
    "助残服务社",
)
_FOUNDATION_WORDS = ("公益基金会", "教育发展基金会", "慈善基金会", "文化发展基金会")


def _social_org_name(r: Row, kind: str, city: bool) -> str:
    d, trade = r.district, r.rng.choice(TRADE_NAMES)
    if kind == "社会团体":
        return f"上海市{'' if city else d.name}{r.rng.choice(_GROUP_WORDS)}"
    if kind == "社会服务机构":
        return f"上海市{d.name}{trade}{r.rng.choice(_SERVICE_WORDS)}"
    return f"上海{trade}{r.rng.choice(_FOUNDATION_WORDS)}"


_ORG_KINDS = {
    "社会团体": (SOCIAL_GROUP, "行业交流、业务培训、咨询服务、展览展示"),
    "社会服务机构": (PRIVATE_NON_ENTERPRISE, "社区服务、社会工作、公益活动"),
    "基金会": (FOUNDATION, "资助公益项目、开展慈善活动"),
}


def _social_orgs(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()

    def make(r: Row) -> RowDict:
        d = r.district
        kind = weighted(r.rng, (("社会团体", 0.35), ("社会服务机构", 0.6), ("基金会", 0.05)))
        prefix, scope = _ORG_KINDS[kind]
        city = kind == "基金会" or r.rng.random() < 0.3
        registered = _established(r, date(1996, 1, 1))
        return {
            "org_name": unique(r.rng, seen, lambda: _social_org_name(r, kind, city), lambda n: f"（{n}）"),
            "credit_code": credit_code(
                r.rng,
                prefix,
                "310000" if city else d.code,
                new_style=registered >= _NEW_CODES_FROM,
                body_prefix="MJ",
            ),
            "org_type": kind,
            "business_scope": scope,
            "registration_authority": "上海市民政局" if city else f"上海市{d.name}民政局",
            "registration_date": registered,
            "status": weighted(r.rng, (("正常", 0.9), ("注销", 0.08), ("撤销", 0.02))),
        }

    return make


_HR_SCOPES = (
    "职业介绍",
    "人力资源供求信息的收集和发布",
    "就业和创业指导",
    "人力资源管理咨询",
    "人力资源测评",
    "人力资源培训",
    "劳务派遣",
    "网络招聘",
)


def _hr_agencies(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()
    words = ("人力资源有限公司", "人才服务有限公司", "人力资源管理咨询有限公司", "劳务派遣有限公司")

    def make(r: Row) -> RowDict:
        d = r.district
        issued = r.date_in_span()
        licensed = r.rng.random() < 0.8
        return {
            "agency_name": unique(
                r.rng,
                seen,
                lambda: f"上海{r.rng.choice(TRADE_NAMES)}{r.rng.choice(words)}",
                lambda n: f"（{d.name}）",
            ),
            "credit_code": _enterprise_code(r, issued, d.code),
            "license_number": f"{d.code}{issued.year}{r.index + 1:04d}" if licensed else None,
            "service_scope": "、".join(r.rng.sample(_HR_SCOPES, r.rng.randint(1, 4))),
            "issue_date": issued,
        }

    return make


_TEST_FIELDS = ("建设工程", "食品", "环境监测", "机动车检测", "电子电器", "纺织品", "医疗器械", "计量校准")


def _testing_bodies(spec: DatasetSpec, rng: random.Random) -> RowFunction:
    seen: set[str] = set()

    def make(r: Row) -> RowDict:
        field = r.rng.choice(_TEST_FIELDS)
        issued = r.date_in_span()
        return {
            "institution_name": unique(
                r.rng,
                seen,
                lambda: f"上海{r.rng.choice(TRADE_NAMES)}{field}检测技术有限公司",
                lambda n: f"（第{n}实验室）",
            ),
            "certificate_number": f"{issued.year % 100:02d}09{r.rng.randint(0, 99_999_999):08d}",
            "test_field": field,
            "issue_date": issued,
            "valid_until": add_years(issued, 6),
            "staff_count": r.rng.randint(10, 480),
        }

    return make


MAKERS: dict[str, Maker] = {
    "SH-SCJGJ-0001": _enterprises,
    "SH-SCJGJ-0002": _food_licences,
    "SH-SCJGJ-0004": _penalties,
    "SH-SCJGJ-0005": _trustworthy,
    "SH-SCJGJ-0006": _abnormal,
    "SH-SCJGJ-0007": _risk_classes,
    "SH-SCJGJ-0008": _testing_bodies,
    "SH-MZJ-0005": _social_orgs,
    "SH-RSJ-0001": _hr_agencies,
}
