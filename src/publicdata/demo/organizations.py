"""The demo organizations: Shanghai's platform operator, authority, expert committee and data providers.

Names and English names are the organizations' official ones. The credit codes are *demo values*:
well-formed and check-digit valid (GB 32100), generated from a fixed seed — they are not the
organizations' registered codes.
"""

from __future__ import annotations

import random

from publicdata.demo.specs import OrgSpec
from publicdata.demo.tables_names import ENTERPRISE, GOVERNMENT, PUBLIC_INSTITUTION, credit_code
from publicdata.identity.model import OrgKind
from publicdata.reference.divisions import SHANGHAI_AREA_CODE, shanghai_districts

_RNG = random.Random("publicdata-demo-organizations")


def _code(prefix: str, area: str = SHANGHAI_AREA_CODE) -> str:
    return credit_code(_RNG, prefix, area, new_style=False)


_CITY_BODIES = (
    OrgSpec(
        code="SHDSJ",
        name="上海市大数据中心",
        short_name="市大数据中心",
        name_en="Shanghai Big Data Center",
        kind=OrgKind.CENTER,
        area_code=SHANGHAI_AREA_CODE,
        credit_code=_code(PUBLIC_INSTITUTION),
    ),
    OrgSpec(
        code="SHJXW",
        name="上海市经济和信息化委员会",
        short_name="市经济信息化委",
        name_en="Shanghai Municipal Commission of Economy and Informatization",
        kind=OrgKind.AUTHORITY,
        area_code=SHANGHAI_AREA_CODE,
        credit_code=_code(GOVERNMENT),
    ),
    OrgSpec(
        code="SHZJWYH",
        name="上海市公共数据开放专家委员会",
        short_name="开放专家委员会",
        name_en="Shanghai Public Data Opening Expert Committee",
        kind=OrgKind.EXPERT_COMMITTEE,
        parent_code="SHJXW",
        area_code=SHANGHAI_AREA_CODE,
    ),
)

# (code, full name, short name, official English name)
_DEPARTMENTS = (
    ("SHJTW", "上海市交通委员会", "市交通委", "Shanghai Municipal Transportation Commission"),
    ("SHWJW", "上海市卫生健康委员会", "市卫生健康委", "Shanghai Municipal Health Commission"),
    ("SHSCJGJ", "上海市市场监督管理局", "市市场监管局", "Shanghai Administration for Market Regulation"),
    ("SHSTHJJ", "上海市生态环境局", "市生态环境局", "Shanghai Municipal Bureau of Ecology and Environment"),
    (
        "SHGHZYJ",
        "上海市规划和自然资源局",
        "市规划资源局",
        "Shanghai Municipal Bureau of Planning and Natural Resources",
    ),
    ("SHJW", "上海市教育委员会", "市教委", "Shanghai Municipal Education Commission"),
    ("SHMZJ", "上海市民政局", "市民政局", "Shanghai Municipal Civil Affairs Bureau"),
    ("SHTJJ", "上海市统计局", "市统计局", "Shanghai Municipal Statistics Bureau"),
    (
        "SHWHLYJ",
        "上海市文化和旅游局",
        "市文化旅游局",
        "Shanghai Municipal Administration of Culture and Tourism",
    ),
    (
        "SHZJW",
        "上海市住房和城乡建设管理委员会",
        "市住房城乡建设管理委",
        "Shanghai Municipal Commission of Housing and Urban-Rural Development",
    ),
    (
        "SHRSJ",
        "上海市人力资源和社会保障局",
        "市人力资源社会保障局",
        "Shanghai Municipal Human Resources and Social Security Bureau",
    ),
    ("SHGAJ", "上海市公安局", "市公安局", "Shanghai Municipal Public Security Bureau"),
    ("SHSWJ", "上海市水务局", "市水务局", "Shanghai Water Authority"),
    (
        "SHLHSRJ",
        "上海市绿化和市容管理局",
        "市绿化市容局",
        "Shanghai Landscaping and City Appearance Administrative Bureau",
    ),
    ("SHTYJ", "上海市体育局", "市体育局", "Shanghai Administration of Sports"),
)

_DEPARTMENT_SPECS = tuple(
    OrgSpec(
        code=code,
        name=name,
        short_name=short,
        name_en=name_en,
        kind=OrgKind.DEPARTMENT,
        area_code=SHANGHAI_AREA_CODE,
        credit_code=_code(GOVERNMENT),
    )
    for code, name, short, name_en in _DEPARTMENTS
)

# Official English names of the district governments ("Pudong New Area", the rest "… District").
_DISTRICT_EN = {
    "310101": "Huangpu",
    "310104": "Xuhui",
    "310105": "Changning",
    "310106": "Jing'an",
    "310107": "Putuo",
    "310109": "Hongkou",
    "310110": "Yangpu",
    "310112": "Minhang",
    "310113": "Baoshan",
    "310114": "Jiading",
    "310115": "Pudong New Area",
    "310116": "Jinshan",
    "310117": "Songjiang",
    "310118": "Qingpu",
    "310120": "Fengxian",
    "310151": "Chongming",
}


def _district_en(code: str) -> str:
    en = _DISTRICT_EN[code]
    place = en if en.endswith("Area") else f"{en} District"
    return f"People's Government of Shanghai {place}"


_DISTRICT_SPECS = tuple(
    OrgSpec(
        code=f"D{d.code}",
        name=f"上海市{d.name}人民政府",
        short_name=d.name,
        name_en=_district_en(d.code),
        kind=OrgKind.DISTRICT,
        area_code=d.code,
        credit_code=_code(GOVERNMENT, d.code),
    )
    for d in shanghai_districts()
)

_UTILITY_SPECS = (
    OrgSpec(
        code="SHCTSW",
        name="上海城投水务（集团）有限公司",
        short_name="城投水务",
        name_en="Shanghai Chengtou Water (Group) Co., Ltd.",
        kind=OrgKind.UTILITY,
        area_code=SHANGHAI_AREA_CODE,
        credit_code=_code(ENTERPRISE),
    ),
    OrgSpec(
        code="SGSHDL",
        name="国网上海市电力公司",
        short_name="国网上海电力",
        name_en="State Grid Shanghai Municipal Electric Power Company",
        kind=OrgKind.UTILITY,
        area_code=SHANGHAI_AREA_CODE,
        credit_code=_code(ENTERPRISE),
    ),
    OrgSpec(
        code="SHRQ",
        name="上海燃气有限公司",
        short_name="上海燃气",
        name_en="Shanghai Gas Co., Ltd.",
        kind=OrgKind.UTILITY,
        area_code=SHANGHAI_AREA_CODE,
        credit_code=_code(ENTERPRISE),
    ),
    OrgSpec(
        code="SHSTDT",
        name="上海申通地铁集团有限公司",
        short_name="申通地铁",
        name_en="Shanghai Shentong Metro Group Co., Ltd.",
        kind=OrgKind.UTILITY,
        area_code=SHANGHAI_AREA_CODE,
        credit_code=_code(ENTERPRISE),
    ),
    OrgSpec(
        code="SHJS",
        name="上海久事（集团）有限公司",
        short_name="久事集团",
        name_en="Shanghai Jiushi (Group) Co., Ltd.",
        kind=OrgKind.UTILITY,
        area_code=SHANGHAI_AREA_CODE,
        credit_code=_code(ENTERPRISE),
    ),
)

ORGANIZATIONS: tuple[OrgSpec, ...] = (*_CITY_BODIES, *_DEPARTMENT_SPECS, *_DISTRICT_SPECS, *_UTILITY_SPECS)

ORGANIZATIONS_BY_CODE: dict[str, OrgSpec] = {org.code: org for org in ORGANIZATIONS}


def organization(code: str) -> OrgSpec:
    """The organization with this code; ``KeyError`` if there is none."""
    return ORGANIZATIONS_BY_CODE[code]
