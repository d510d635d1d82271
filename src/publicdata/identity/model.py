"""Identity rules in plain Python: kinds, roles, verification levels, identifier checks.

ACC-12: natural persons verify their real name; legal persons submit their licence for review;
permission depends on the verification level. Identifier checks use python-stdnum.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import IntEnum, StrEnum

from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric, uscc


class OrgKind(StrEnum):
    DEPARTMENT = "department"  # 市级部门 (city department)
    DISTRICT = "district"  # 区政府 / 区级部门
    UTILITY = "utility"  # 公共服务企业: water, power, gas, transport
    CENTER = "center"  # 市大数据中心: runs the platform
    AUTHORITY = "authority"  # 市经济信息化委 / 区数据局: supervises
    EXPERT_COMMITTEE = "expert_committee"  # 专家委员会


PROVIDER_KINDS = frozenset({OrgKind.DEPARTMENT, OrgKind.DISTRICT, OrgKind.UTILITY})

ORG_KIND_LABELS: dict[OrgKind, tuple[str, str]] = {
    OrgKind.DEPARTMENT: ("市级部门", "City department"),
    OrgKind.DISTRICT: ("区", "District"),
    OrgKind.UTILITY: ("公共服务企业", "Public utility"),
    OrgKind.CENTER: ("平台运营机构", "Platform operator (center)"),
    OrgKind.AUTHORITY: ("主管部门", "Supervising authority"),
    OrgKind.EXPERT_COMMITTEE: ("专家委员会", "Expert committee"),
}


class UserKind(StrEnum):
    PERSON = "person"  # 自然人
    COMPANY = "company"  # 法人
    OTHER_ORG = "other_org"  # 非法人组织
    STAFF = "staff"  # staff of a provider, the center, the authority or the expert committee


class Role(StrEnum):
    USER = "user"
    PROVIDER_STAFF = "provider_staff"
    CENTER = "center"
    AUTHORITY = "authority"
    EXPERT = "expert"
    ADMIN = "admin"


# Which organization kind a staff role must belong to.
ROLE_ORG_KIND: dict[Role, frozenset[OrgKind]] = {
    Role.PROVIDER_STAFF: PROVIDER_KINDS,
    Role.CENTER: frozenset({OrgKind.CENTER}),
    Role.AUTHORITY: frozenset({OrgKind.AUTHORITY}),
    Role.EXPERT: frozenset({OrgKind.EXPERT_COMMITTEE}),
}


class VerificationLevel(IntEnum):
    L0 = 0  # registered
    L1 = 1  # real-name verified person
    L2 = 2  # verified company / organization (licence approved by the center)


class VerificationStatus(StrEnum):
    NONE = "none"
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class IdentifierError(ValueError):
    """A forged or mistyped identifier; `code` is a stable error code, message is bilingual."""

    def __init__(self, code: str, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en


@dataclass(frozen=True)
class ResidentId:
    number: str
    birth_date: date
    area_code: str
    province: str
    county: str


def check_resident_id(value: str, *, today: date | None = None) -> ResidentId:
    """Validate an 18-digit resident ID (居民身份证号码): checksum, birth date, area code.

    stdnum's own `validate` also requires the area code to have existed at the birth date, which
    refuses real people (born 1990, first ID issued in 浦东新区 310115 after 1992); so the parts are
    checked one by one and any area code in stdnum's table, past or present, is accepted.
    """
    number = ric.compact(value or "")
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise IdentifierError(
            "invalid_resident_id_format",
            "身份证号码应为18位，前17位为数字，最后一位为数字或X",
            "a resident ID has 18 characters: 17 digits and a digit or X",
        )
    if ric.calc_check_digit(number) != number[-1]:
        raise IdentifierError(
            "invalid_resident_id_checksum", "身份证号码校验位错误", "the resident ID's check digit is wrong"
        )
    try:
        birth = ric.get_birth_date(number)
    except stdnum_errors.ValidationError as exc:
        raise IdentifierError(
            "invalid_resident_id_component", "身份证号码中的出生日期不存在", "the birth date does not exist"
        ) from exc
    today = today or datetime.now(UTC).date()
    if birth > today or birth < date(1900, 1, 1):
        raise IdentifierError(
            "invalid_resident_id_component", "身份证号码中的出生日期不可能", "the birth date is impossible"
        )
    place = _area(number[:6])
    if place is None:
        raise IdentifierError(
            "invalid_resident_id_component", "身份证号码中的地区码不存在", "the area code does not exist"
        )
    return ResidentId(
        number=number, birth_date=birth, area_code=number[:6], province=place[0], county=place[1]
    )


_RANGE_PREFIX = re.compile(r"^\[[^\]]*\]")


def _area(code: str) -> tuple[str, str] | None:
    """(province, county) from stdnum's GB/T 2260 table, whatever years the code was in use."""
    info: dict[str, str] = {}
    for _part, props in numdb.get("cn/loc").info(code):
        info.update(props)
    county = info.get("county")
    if not county:
        return None
    return _RANGE_PREFIX.sub("", info.get("province", "")), _RANGE_PREFIX.sub("", county)


def check_credit_code(value: str) -> str:
    """Validate an 18-character unified social credit code (统一社会信用代码)."""
    code = uscc.compact(value or "")
    if len(code) != 18:
        raise IdentifierError(
            "invalid_credit_code_format",
            "统一社会信用代码应为18位",
            "a unified social credit code has 18 characters",
        )
    try:
        uscc.validate(code)
    except stdnum_errors.InvalidChecksum as exc:
        raise IdentifierError(
            "invalid_credit_code_checksum",
            "统一社会信用代码校验位错误",
            "the credit code's check digit is wrong",
        ) from exc
    except stdnum_errors.ValidationError as exc:
        raise IdentifierError(
            "invalid_credit_code", "统一社会信用代码无效", "the unified social credit code is invalid"
        ) from exc
    return code


# Mainland mobile numbers: 13x–19x with the prefixes the MIIT has assigned.
_MOBILE = re.compile(r"^(?:\+?86)?(1(?:3\d|4[5-9]|5[0-35-9]|6[2567]|7[0-8]|8\d|9[0-35-9])\d{8})$")


def check_mobile(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value or "")
    match = _MOBILE.match(digits)
    if not match:
        raise IdentifierError(
            "invalid_mobile", "手机号码格式不正确", "the mobile number is not a valid mainland number"
        )
    return match.group(1)


_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,20}$|^[A-Za-z][A-Za-z .'-]{1,59}$")


def check_real_name(value: str) -> str:
    name = (value or "").strip()
    if not _NAME.match(name):
        raise IdentifierError("invalid_real_name", "姓名格式不正确", "the real name is not valid")
    return name


# ---------------------------------------------------------------------------------------------
# Passwords and login lockout.
# ---------------------------------------------------------------------------------------------

MIN_PASSWORD_LENGTH = 10


def password_problems(password: str, *, username: str = "") -> list[str]:
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"at least {MIN_PASSWORD_LENGTH} characters")
    classes = sum(
        bool(re.search(pattern, password)) for pattern in (r"[a-z]", r"[A-Z]", r"\d", r"[^A-Za-z0-9]")
    )
    if classes < 2:
        problems.append("mix at least two of lower case, upper case, digits and symbols")
    if username and username.lower() in password.lower():
        problems.append("must not contain the username")
    return problems


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock_for: timedelta = timedelta(minutes=15)

    def locked_until(self, failures: list[datetime], now: datetime) -> datetime | None:
        """If the recent failures reach the limit, the time the account stays locked until."""
        recent = sorted(t for t in failures if now - t <= self.window)
        if len(recent) < self.max_failures:
            return None
        until = recent[-1] + self.lock_for
        return until if until > now else None


# ---------------------------------------------------------------------------------------------
# API token scopes.
# ---------------------------------------------------------------------------------------------


class TokenScope(StrEnum):
    READ = "read"  # read catalog and data the user may read
    WRITE = "write"  # act on the user's behalf (datasets, applications)
    ADMIN = "admin"  # administrative endpoints (only for admin users)


def parse_scopes(values: list[str]) -> frozenset[TokenScope]:
    try:
        scopes = frozenset(TokenScope(v) for v in values)
    except ValueError as exc:
        raise ValueError(f"unknown scope in {values!r}; use read, write, admin") from exc
    return scopes or frozenset({TokenScope.READ})
