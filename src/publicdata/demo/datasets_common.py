"""Shared building blocks for the demo open-list entries: common data items, classifications, materials."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from publicdata.catalog.model import (
    Classification,
    Condition,
    ConditionKind,
    DataFormat,
    DataItem,
    Domain,
    FieldType,
    Grading,
    NotOpenReason,
    OpenClass,
    OpeningBasis,
    UpdateFrequency,
)
from publicdata.demo.specs import DatasetSpec

# Short aliases keep the field tables readable.
TXT = FieldType.TEXT
INT = FieldType.INTEGER
DEC = FieldType.DECIMAL
DAY = FieldType.DATE
TS = FieldType.DATETIME
BOOL = FieldType.BOOLEAN

CITY = "310000"

API_CSV = (DataFormat.API, DataFormat.CSV)
API_CSV_JSON = (DataFormat.API, DataFormat.CSV, DataFormat.JSON)
API_CSV_GEO = (DataFormat.API, DataFormat.CSV, DataFormat.GEOJSON)
API_CSV_XLSX = (DataFormat.API, DataFormat.CSV, DataFormat.XLSX)
API_ONLY = (DataFormat.API,)


def item(name: str, label: str, type_: FieldType, description: str, unit: str = "", en: str = "") -> DataItem:
    """A data item; its catalog source is filled in by ``dataset`` (CAT-3)."""
    return DataItem(name=name, label=label, type=type_, description=description, unit=unit, label_en=en)


DISTRICT_CODE = item(
    "district_code",
    "所在区代码",
    TXT,
    "所在区的行政区划代码，采用国家统计局统计用区划代码（6位），如310115为浦东新区",
    en="District code",
)
DISTRICT_NAME = item("district_name", "所在区", TXT, "所在区的名称，如浦东新区、徐汇区", en="District")
TOWN_NAME = item("town_name", "所属街镇", TXT, "所属街道、镇或乡的名称", en="Street / town")
ADDRESS = item("address", "详细地址", TXT, "门牌地址，含区、道路名称和门牌号", en="Address")
LONGITUDE = item(
    "longitude", "经度", DEC, "位置的经度，WGS-84坐标系（世界大地坐标系），保留6位小数", "度", "Longitude"
)
LATITUDE = item(
    "latitude", "纬度", DEC, "位置的纬度，WGS-84坐标系（世界大地坐标系），保留6位小数", "度", "Latitude"
)
PHONE = item("phone", "联系电话", TXT, "对外公布的办公或服务电话（固定电话含区号021）", en="Phone")
OPEN_HOURS = item(
    "open_hours",
    "开放时间",
    TXT,
    "对外开放或服务的时间段，如“周一至周五 8:30-17:00”",
    en="Opening hours",
)
CREDIT_CODE = item(
    "credit_code",
    "统一社会信用代码",
    TXT,
    "18位统一社会信用代码（法人和其他组织的唯一身份代码），按国家标准校验",
    en="Unified social credit code",
)

PLACE = (DISTRICT_CODE, DISTRICT_NAME, ADDRESS, LONGITUDE, LATITUDE)


def district_pair() -> tuple[DataItem, DataItem]:
    return (DISTRICT_CODE, DISTRICT_NAME)


# --- classifications ---------------------------------------------------------------------------


def unconditional(personal: int = 1, organizational: int = 1, obj: int = 1, note: str = "") -> Classification:
    return Classification(
        open_class=OpenClass.UNCONDITIONAL,
        grading=Grading(personal=personal, organizational=organizational, object=obj),
        note=note,
    )


def conditional(
    grading: Grading,
    conditions: dict[ConditionKind, str],
    *,
    basis: OpeningBasis | None = None,
    note: str = "",
) -> Classification:
    return Classification(
        open_class=OpenClass.CONDITIONAL,
        grading=grading,
        conditions=tuple(Condition(kind, text) for kind, text in conditions.items()),
        opening_basis=basis,
        note=note,
    )


def not_open(grading: Grading, reason: NotOpenReason, note: str) -> Classification:
    return Classification(open_class=OpenClass.NOT_OPEN, grading=grading, not_open_reason=reason, note=note)


# Standard wording of frequently used open conditions (002 §15, 004 §23).
SCENARIO_PUBLIC = "仅限用于申请时说明且经审核同意的应用场景，不得转售、转让或向第三方提供原始数据"
SECURITY_BASIC = "具备与数据规模相适应的数据安全管理制度和技术防护措施，数据存储于境内"
FEEDBACK_QUARTERLY = "每季度通过开放平台反馈数据利用情况，包括应用场景、调用次数、使用字段和成效"
TECHNICAL_API = "具备通过API（应用程序接口）稳定接入和处理数据的技术能力，指定技术联系人"
CREDIT_CLEAN = "申请主体未被列入失信被执行人名单、严重违法失信名单和经营异常名录"

MATERIALS_BASIC = (
    "应用场景说明（用途、服务对象、预期成效）",
    "数据安全保护措施说明",
    "营业执照或统一社会信用代码证明",
    "信用承诺书",
)
MATERIALS_TECH = (*MATERIALS_BASIC, "技术能力说明（系统架构、接口对接方案、技术联系人）")
MATERIALS_RESEARCH = (
    "应用场景说明（研究课题、研究方法和成果形式）",
    "数据安全保护措施说明",
    "申请单位法人证书或营业执照（统一社会信用代码证明）",
    "研究项目立项证明或单位推荐函",
    "信用承诺书",
)


# --- dataset builder ---------------------------------------------------------------------------


def dataset(
    *,
    code: str,
    provider: str,
    name: str,
    name_en: str,
    summary: str,
    domain: Domain,
    tags: tuple[str, ...],
    fields: tuple[DataItem, ...],
    frequency: UpdateFrequency,
    start: date | None,
    end: date | None = None,
    classification: Classification,
    rows: int = 0,
    formats: tuple[DataFormat, ...] = API_CSV,
    area: str = CITY,
    relations: str = "",
    notes: str = "",
    materials: tuple[str, ...] = (),
    published: bool = True,
    keywords_en: tuple[str, ...] = (),
) -> DatasetSpec:
    """A ``DatasetSpec`` whose data items each name their source in the provider's resource catalog."""
    sourced = tuple(replace(f, catalog_source=f"{code}/{f.name}") for f in fields)
    return DatasetSpec(
        code=code,
        provider_code=provider,
        name=name,
        name_en=name_en,
        summary=summary,
        domain=domain,
        tags=tags,
        fields=sourced,
        formats=formats,
        update_frequency=frequency,
        time_start=start,
        time_end=end,
        area_code=area,
        relations=relations,
        notes=notes,
        classification=classification,
        application_materials=materials,
        row_count=rows,
        published=published,
        keywords_en=keywords_en,
    )
