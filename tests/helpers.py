"""Shared builders for integration and e2e tests: organizations, accounts, tokens, dataset documents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stdnum.cn import ric, uscc

from publicdata.catalog.schemas import DatasetIn
from publicdata.identity import auth
from publicdata.identity.model import OrgKind, Role, UserKind
from publicdata.identity.permissions import SYSTEM
from publicdata.identity.schemas import OrganizationIn, RegisterIn, StaffIn
from publicdata.identity.service import create_organization, create_staff_user, register_user, verify_person
from publicdata.platform import Platform

PASSWORD = "Test-Passw0rd-1"


def valid_resident_id(base17: str = "31011519900307123") -> str:
    return base17 + ric.calc_check_digit(base17 + "0")


def valid_credit_code(base17: str = "91310115MA1FL3XK2") -> str:
    return base17 + uscc.calc_check_digit(base17)


@dataclass
class Actors:
    """Organizations and one bearer token per kind of actor."""

    org_a: str
    org_b: str
    tokens: dict[str, str | None]
    user_ids: dict[str, str]


def make_org(platform: Platform, code: str, kind: OrgKind, name: str | None = None) -> str:
    org = create_organization(
        platform, actor=SYSTEM, data=OrganizationIn(code=code, name=name or f"机构{code}", kind=kind)
    )
    return org.id


def token_for(platform: Platform, username: str, scopes: list[str] | None = None) -> str:
    principal = auth.authenticate(platform, username=username, password=PASSWORD)
    created = auth.create_token(
        platform, actor=principal, name="tests", scopes=scopes or ["read", "write"], expires_in_days=30
    )
    return created.token


def make_actors(platform: Platform) -> Actors:
    org_a = make_org(platform, "ORGA", OrgKind.DEPARTMENT, "上海市测试委员会A")
    org_b = make_org(platform, "ORGB", OrgKind.DEPARTMENT, "上海市测试委员会B")
    make_org(platform, "CENTER", OrgKind.CENTER, "上海市大数据中心")
    make_org(platform, "AUTH", OrgKind.AUTHORITY, "上海市经济和信息化委员会")
    user_ids: dict[str, str] = {}
    staff = {
        "staff_a": (Role.PROVIDER_STAFF, "ORGA"),
        "staff_b": (Role.PROVIDER_STAFF, "ORGB"),
        "center": (Role.CENTER, "CENTER"),
        "authority": (Role.AUTHORITY, "AUTH"),
        "admin": (Role.ADMIN, None),
    }
    for username, (role, org) in staff.items():
        user = create_staff_user(
            platform,
            actor=SYSTEM,
            data=StaffIn(username=username, password=PASSWORD, role=role, organization_code=org),
        )
        user_ids[username] = user.id
    for username, kind in (
        ("person_l0", UserKind.PERSON),
        ("person_l1", UserKind.PERSON),
        ("company", UserKind.COMPANY),
    ):
        user = register_user(platform, data=RegisterIn(username=username, password=PASSWORD, kind=kind))
        user_ids[username] = user.id
    person = auth.authenticate(platform, username="person_l1", password=PASSWORD)
    verify_person(
        platform, actor=person, real_name="张三", resident_id=valid_resident_id(), mobile="13812345678"
    )
    tokens: dict[str, str | None] = {"anonymous": None}
    for username in user_ids:
        tokens[username] = token_for(
            platform, username, ["read", "write", "admin"] if username == "admin" else None
        )
    return Actors(org_a=org_a, org_b=org_b, tokens=tokens, user_ids=user_ids)


def auth_header(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def dataset_document(provider: str, **overrides: Any) -> dict[str, Any]:
    """A complete, valid open-list entry (CAT-2) for `provider`."""
    doc: dict[str, Any] = {
        "provider": provider,
        "name": "公交站点基本信息（2024年，全市）",
        "name_en": "Bus stops (2024, city-wide)",
        "summary": "全市公交站点的名称、所属线路、所在区和经纬度坐标，由公交运营企业每月报送汇总。",
        "domain": "transport",
        "tags": ["公交", "站点"],
        "fields": [
            {"name": "stop_name", "label": "站点名称", "type": "text", "description": "公交站点的标准名称"},
            {
                "name": "district_code",
                "label": "区划代码",
                "type": "text",
                "description": "站点所在区的行政区划代码（国家统计局六位代码）",
                "catalog_source": "SH-X/district",
            },
            {
                "name": "longitude",
                "label": "经度",
                "type": "decimal",
                "unit": "度",
                "description": "站点位置经度，WGS-84坐标系",
            },
        ],
        "formats": ["csv", "api"],
        "update_frequency": "monthly",
        "time_start": "2024-01-01",
        "area_code": "310000",
        "open_class": "unconditional",
        "grading": {"personal": 1, "organizational": 1, "object": 2},
    }
    doc.update(overrides)
    DatasetIn.model_validate(doc)  # the builder itself must produce valid documents
    return doc


def make_published_dataset(platform: Platform, *, org: str, org_name: str, code: str) -> str:
    """A provider organization and one published (unconditional) dataset of it; returns the code."""
    from publicdata.catalog.service import create_dataset, publish_dataset

    make_org(platform, org, OrgKind.DEPARTMENT, org_name)
    create_dataset(platform, actor=SYSTEM, data=DatasetIn.model_validate(dataset_document(org, code=code)))
    publish_dataset(platform, actor=SYSTEM, ref=code)
    return code
