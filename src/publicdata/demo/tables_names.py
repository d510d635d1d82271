"""Name and identifier generators for the demo rows: enterprise names, credit codes, phone numbers.

Credit codes follow GB 32100-2015 (统一社会信用代码): registering authority and entity type
(2 characters), the registering area code (6 digits), the organization code (9 characters whose last
character is the GB 11714 check character) and the final check character from python-stdnum.
"""

from __future__ import annotations

import random

from stdnum.cn import uscc

_ORG_BODY_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# (registering authority, entity type) pairs used in the demo.
ENTERPRISE = "91"  # 工商登记的企业
INDIVIDUAL_BUSINESS = "92"  # 个体工商户
GOVERNMENT = "11"  # 机关
PUBLIC_INSTITUTION = "12"  # 事业单位
SOCIAL_GROUP = "51"  # 社会团体
PRIVATE_NON_ENTERPRISE = "52"  # 民办非企业单位（社会服务机构）
FOUNDATION = "53"  # 基金会


def _char_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def gb11714_check(body: str) -> str:
    """Check character of an 8-character organization code body (GB 11714-1997)."""
    total = sum(_char_value(ch) * w for ch, w in zip(body, _GB11714_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def credit_code(
    rng: random.Random,
    prefix: str = ENTERPRISE,
    area: str = "310000",
    *,
    new_style: bool = True,
    body_prefix: str = "MA1",
) -> str:
    """A well-formed, check-digit-valid unified social credit code for a demo organization.

    New-style organization codes start with a letter block assigned by the registering authority
    ("MA" for market regulation, "MJ" for civil affairs); old-style ones are the 8-digit codes that
    existed before 2015.
    """
    if new_style:
        body = body_prefix + "".join(rng.choice(_ORG_BODY_ALPHABET) for _ in range(8 - len(body_prefix)))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    first17 = f"{prefix}{area}{body}{gb11714_check(body)}"
    return first17 + uscc.calc_check_digit(first17)


def phone(rng: random.Random) -> str:
    """A Shanghai landline in the published form ``021-6xxxxxxx``."""
    return f"021-{rng.choice('2356')}{rng.randint(0, 9_999_999):07d}"


TRADE_NAMES = (
    "瑞丰",
    "汇通",
    "申博",
    "浦江",
    "华谊",
    "东申",
    "新沪",
    "恒达",
    "嘉禾",
    "锦程",
    "博远",
    "同润",
    "海纳",
    "致远",
    "启明",
    "安泰",
    "宏昌",
    "鼎盛",
    "鑫源",
    "天合",
    "中诚",
    "润泽",
    "合众",
    "信达",
    "申通",
    "沪联",
    "金桥",
    "长江",
    "江南",
    "明珠",
    "丰华",
    "宝康",
    "立信",
    "广汇",
    "卓越",
    "云帆",
    "星河",
    "智联",
    "远景",
    "新纪元",
    "绿洲",
    "翔宇",
    "凯旋",
    "德润",
    "和信",
    "永乐",
    "创新",
    "达丰",
    "晨光",
    "华申",
    "沪杏",
    "申康",
    "盛世",
    "九州",
    "春晖",
    "鸿运",
    "恒源",
    "福华",
    "景泰",
    "聚源",
    "百川",
    "融创",
    "优品",
    "佳禾",
)

INDUSTRY_WORDS: tuple[tuple[str, str], ...] = (
    # (name word, 国民经济行业门类)
    ("信息科技", "信息传输、软件和信息技术服务业"),
    ("网络科技", "信息传输、软件和信息技术服务业"),
    ("软件技术", "信息传输、软件和信息技术服务业"),
    ("商务咨询", "租赁和商务服务业"),
    ("企业管理咨询", "租赁和商务服务业"),
    ("贸易", "批发和零售业"),
    ("国际贸易", "批发和零售业"),
    ("餐饮管理", "住宿和餐饮业"),
    ("酒店管理", "住宿和餐饮业"),
    ("建筑工程", "建筑业"),
    ("装饰工程", "建筑业"),
    ("物业管理", "房地产业"),
    ("房地产经纪", "房地产业"),
    ("物流", "交通运输、仓储和邮政业"),
    ("供应链管理", "交通运输、仓储和邮政业"),
    ("生物科技", "科学研究和技术服务业"),
    ("环保科技", "科学研究和技术服务业"),
    ("新能源科技", "科学研究和技术服务业"),
    ("医疗器械", "制造业"),
    ("机电设备", "制造业"),
    ("精密机械", "制造业"),
    ("食品", "制造业"),
    ("服饰", "批发和零售业"),
    ("文化传播", "文化、体育和娱乐业"),
    ("影视制作", "文化、体育和娱乐业"),
    ("教育科技", "教育"),
    ("人力资源", "租赁和商务服务业"),
    ("融资租赁", "金融业"),
)

COMPANY_FORMS = ("有限公司", "有限公司", "有限公司", "有限公司", "股份有限公司")

ENTERPRISE_TYPES = (
    ("有限责任公司（自然人投资或控股）", 0.55),
    ("有限责任公司（自然人独资）", 0.15),
    ("有限责任公司（法人独资）", 0.1),
    ("股份有限公司（非上市、自然人投资或控股）", 0.05),
    ("有限责任公司（外商独资）", 0.06),
    ("有限责任公司（国有控股）", 0.03),
    ("个人独资企业", 0.03),
    ("有限合伙企业", 0.03),
)


def company_name(rng: random.Random, *, industry: str | None = None) -> tuple[str, str]:
    """(company name, 行业门类) such as ("上海瑞丰信息科技有限公司", "信息传输、软件和信息技术服务业")."""
    words = [w for w in INDUSTRY_WORDS if industry is None or w[1] == industry] or list(INDUSTRY_WORDS)
    word, category = rng.choice(words)
    trade = rng.choice(TRADE_NAMES) + (rng.choice(TRADE_NAMES)[:1] if rng.random() < 0.4 else "")
    return f"上海{trade}{word}{rng.choice(COMPANY_FORMS)}", category


def branded_name(rng: random.Random, suffix: str) -> str:
    """A name such as "上海汇通停车管理有限公司" for a given business suffix."""
    return f"上海{rng.choice(TRADE_NAMES)}{suffix}"
