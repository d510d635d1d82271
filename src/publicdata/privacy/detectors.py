"""The built-in detectors (SEC-4). Pure Python: python-stdnum for checksums, the identity domain's
resident-ID and mobile checks, the NBS division table and `ipaddress` for identifiers; the
detectors of whole values and free text (addresses, names, sensitive categories) are in
`privacy.values`. Each is registered with `register_detector`; the DuckDB patterns are RE2.

Candidate boundaries: RE2 has no look-around, so a pattern consumes one neighbouring character on each
side (`(?:^|[^0-9])…(?:[^0-9]|$)`) and group 1 is the candidate.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import UTC, date, datetime
from functools import cache, lru_cache

from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric, uscc

from publicdata.identity.model import _MOBILE as MOBILE_RULE
from publicdata.identity.model import IdentifierError, check_mobile, check_resident_id
from publicdata.privacy.model import Detector, register_detector
from publicdata.privacy.values import VALUE_DETECTORS
from publicdata.reference.divisions import is_known_code

_HAN = r"\x{4e00}-\x{9fa5}"
BIRTH_FLOOR = date(1900, 1, 1)  # as identity.model.check_resident_id

# ---------------------------------------------------------------------------------------------
# Resident ID numbers (居民身份证号码)
# ---------------------------------------------------------------------------------------------


def _probe_ok(prefix14: str) -> bool:
    probe = prefix14 + "000"
    try:
        check_resident_id(probe + ric.calc_check_digit(probe + "0"))
    except IdentifierError:
        return False
    return True


@lru_cache(maxsize=16384)
def _area_ok(area: str) -> bool:
    """The area code, checked by identity's `check_resident_id` on a probe with a valid birth date
    (the area lookup is the costly part: once per area code)."""
    return _probe_ok(area + "19800101")


@lru_cache(maxsize=65536)
def _birth_ok(birth: str) -> bool:
    """The birth date exists and lies within check_resident_id's bounds (1900-01-01 … today)."""
    try:
        born = ric.get_birth_date("000000" + birth + "0000")
    except stdnum_errors.ValidationError:
        return False
    return BIRTH_FLOOR <= born <= datetime.now(UTC).date()


def is_resident_id(value: str) -> bool:
    number = value.strip().upper()
    if len(number) != 18 or not number[:17].isdigit():
        return False
    if ric.calc_check_digit(number) != number[-1]:
        return False
    return _birth_ok(number[6:14]) and _area_ok(number[:6])


@cache
def known_area_codes() -> tuple[str, ...]:
    """Every area code in stdnum's GB/T 2260 table that `check_resident_id` accepts."""
    codes: set[str] = set()
    for _length, low, _high, _props, children in numdb.get("cn/loc").prefixes:
        for length, child_low, child_high, _child_props, _grandchildren in children:
            codes.update(low + f"{n:0{length}d}" for n in range(int(child_low), int(child_high) + 1))
    return tuple(sorted(c for c in codes if _area_ok(c)))


_RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _resident_id_checks(x: str, weighted: str) -> tuple[str, str, str, str]:
    """The resident-ID conditions on the text `x`: shape, check digit (`weighted`: the 17 digits'
    weighted sum), birth date, known area code."""
    areas = "|".join(known_area_codes())  # RE2 compiles the alternation to an automaton
    return (
        f"regexp_full_match({x}, '[0-9]{{17}}[0-9Xx]')",
        f"substr('10X98765432', 1 + CAST(({weighted}) % 11 AS INTEGER), 1) = upper(substr({x}, 18, 1))",
        f"try_strptime(substr({x}, 7, 8), '%Y%m%d') BETWEEN TIMESTAMP '1900-01-01' AND current_date",
        f"regexp_full_match(substr({x}, 1, 6), '(?:{areas})')",
    )


@cache
def _resident_id_sql(x: str) -> str:
    weighted = " + ".join(f"(ascii(substr({x}, {i + 1}, 1)) - 48) * {w}" for i, w in enumerate(_RIC_WEIGHTS))
    shape, check, born, area = _resident_id_checks(x, weighted)
    return _in_turn(shape, check, born, area)


def _in_turn(*conditions: str) -> str:
    """`c1 AND c2 AND …` evaluated in turn, each only on the values that passed the previous ones
    (DuckDB evaluates every side of an AND in a projection or an aggregate filter; CASE branches
    only on the selected rows): the cheap checks first keep the costly ones for few values."""
    out = f"coalesce({conditions[-1]}, false)"
    for condition in reversed(conditions[:-1]):
        out = f"CASE WHEN {condition} THEN {out} ELSE false END"
    return f"({out})"


def resident_id_key(x: str) -> str:
    """A candidate and its first 17 digits as an integer (the check digit is arithmetic on it)."""
    return f"struct_pack(s := {x}, n := TRY_CAST(substr({x}, 1, 17) AS UBIGINT))"


def resident_id_sql(k: str) -> str:
    """`is_resident_id` in DuckDB SQL over `resident_id_key`: the shape, birth date, known area code and
    check digit (ISO 7064 MOD 11-2), cheapest first."""
    x, n = f"struct_extract({k}, 's')", f"struct_extract({k}, 'n')"
    weighted = " + ".join(f"{_digit(n, 16 - i)} * {w}" for i, w in enumerate(_RIC_WEIGHTS))
    shape, check, born, area = _resident_id_checks(x, weighted)
    return _in_turn(shape, born, area, check)


# identity's mobile rule (prefixes the MIIT assigned), as RE2 for DuckDB after removing separators.
def mobile_sql(x: str) -> str:
    return f"regexp_matches(regexp_replace({x}, '[\\s-]', '', 'g'), '" + MOBILE_RULE.pattern + "')"


@cache
def _known_codes_sql() -> str:
    """`is_known_code` on six digits as one RE2 alternation (every province, city and county code)."""
    from publicdata.reference.divisions import _tables

    tables = _tables()
    candidates = {p + "0000" for p in tables.provinces} | {c + "00" for c in tables.cities}
    candidates |= set(tables.counties)
    return "(?:" + "|".join(sorted(c for c in candidates if len(c) == 6 and is_known_code(c))) + ")"


def _digit(n: str, k: int) -> str:
    """The k-th decimal digit (from the right, 0-based) of the integer `n`."""
    return f"({n} // {10**k} % 10)"


_CARD_PREFIX = "(?:62|4|5[1-5]|222[1-9]|22[3-9][0-9]|2[3-6][0-9]{2}|27[01][0-9]|2720)"
_USCC_DIGIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def bank_card_key(x: str) -> str:
    """A card candidate's digits as an integer (candidates never start with 0): the SQL checks are
    integer arithmetic on it."""
    return f"TRY_CAST(replace(replace({x}, ' ', ''), '-', '') AS UBIGINT)"


def bank_card_sql(n: str) -> str:
    """`is_bank_card` in DuckDB SQL over `bank_card_key`: 16–19 digits and the prefix, Luhn (a doubled
    digit v adds 2v - 9 when v >= 5), and only for 18 digits the exclusions (resident-ID-shaped
    numbers, all-digit credit codes)."""
    d = f"CAST({n} AS VARCHAR)"
    plain = " + ".join(_digit(n, k) for k in range(0, 19, 2))
    doubled = " + ".join(_digit(n, k) for k in range(1, 19, 2))
    high = " + ".join(f"{_digit(n, k)} // 5" for k in range(1, 19, 2))
    luhn = f"(({plain}) + 2 * ({doubled}) - 9 * ({high})) % 10 = 0"
    known = _known_codes_sql()
    uscc_sum = " + ".join(f"{_digit(n, 17 - i)} * {w}" for i, w in enumerate(_USCC_DIGIT_WEIGHTS))
    credit_code = _in_turn(
        f"(31 - ({uscc_sum}) % 31) % 31 = {n} % 10",
        f"regexp_full_match(substr({d}, 3, 6), '{known}')",
        f"NOT {_resident_id_sql(d)}",
    )
    id_shaped = _in_turn(
        f"substr({d}, 7, 2) IN ('18', '19', '20')", f"regexp_full_match(substr({d}, 1, 6), '{known}')"
    )
    return _in_turn(
        f"{n} BETWEEN {10**15} AND {10**19 - 1}",
        luhn,
        f"regexp_full_match({d}, '{_CARD_PREFIX}[0-9]*')",
        f"CASE WHEN {n} BETWEEN {10**17} AND {10**18 - 1} THEN NOT ({id_shaped} OR {credit_code}) "
        "ELSE true END",
    )


def _looks_like_resident_id(digits: str) -> bool:
    """An area code and a birth year (any check digit, any date): such a number is not a bank card."""
    return len(digits) == 18 and digits[6:8] in ("18", "19", "20") and is_known_code(digits[:6])


# ---------------------------------------------------------------------------------------------
# Phone numbers
# ---------------------------------------------------------------------------------------------


def is_mobile(value: str) -> bool:
    try:
        check_mobile(value)
    except IdentifierError:
        return False
    return True


_THREE_DIGIT_AREAS = frozenset({"010", *(f"02{d}" for d in range(10))})


def is_landline(value: str) -> bool:
    """Mainland fixed-line number with its area code: 010/02x + 8 digits, or 0xxx + 7–8 digits."""
    digits = re.sub(r"[^0-9]", "", value)
    if digits[:3] in _THREE_DIGIT_AREAS:
        rest = digits[3:]
        return len(rest) == 8 and rest[0] not in "01"
    if not re.fullmatch(r"0[3-9][0-9]{2}", digits[:4]):
        return False
    rest = digits[4:]
    return len(rest) in (7, 8) and rest[0] not in "01"


# ---------------------------------------------------------------------------------------------
# Codes and cards
# ---------------------------------------------------------------------------------------------


_USCC = re.compile(r"[0-9]{8}[0-9A-HJ-NP-RTUW-Y]{10}")


def is_credit_code(value: str) -> bool:
    """`stdnum.cn.uscc`'s format and check digit; characters 3–8 are the division code of the
    registering authority (checked first: it is the cheapest test); not a valid resident ID."""
    code = value.strip().upper()
    if not _USCC.fullmatch(code) or not is_known_code(code[2:8]):
        return False
    return uscc.calc_check_digit(code[:17]) == code[-1] and not is_resident_id(code)


_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_valid(digits: str) -> bool:
    """The Luhn check (as `stdnum.luhn.is_valid` for decimal digits, about ten times faster: the scan
    runs it on every card-like candidate)."""
    values = [ord(c) - 48 for c in reversed(digits)]
    return (sum(values[0::2]) + sum(_DOUBLED[v] for v in values[1::2])) % 10 == 0


def is_bank_card(value: str) -> bool:
    """16–19 digits, a UnionPay (62), Visa (4) or Mastercard (51–55, 2221–2720) prefix, Luhn-valid,
    and not shaped like a resident ID."""
    digits = re.sub(r"[ -]", "", value)
    if not digits.isdigit() or not 16 <= len(digits) <= 19:
        return False
    prefix_ok = (
        digits.startswith(("62", "4")) or 51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720
    )
    if not prefix_ok or _looks_like_resident_id(digits) or not luhn_valid(digits):
        return False
    return len(digits) != 18 or not is_credit_code(digits)


_PASSPORT = re.compile(r"[EGDSP][0-9]{8}|E[A-HJ-NP-Z][0-9]{7}")


def is_passport(value: str) -> bool:
    return _PASSPORT.fullmatch(value.strip().upper()) is not None


_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"


def is_plate(value: str) -> bool:
    """A mainland plate: province + issuing-office letter + 5 characters (at most 2 letters, or 4 and
    挂/学/警), or 6 for new-energy vehicles (D/F first for small, last for large)."""
    plate = re.sub(r"[·•\s-]", "", value).upper()
    if len(plate) < 7 or plate[0] not in _PROVINCES or not ("A" <= plate[1] <= "Z") or plate[1] in "IO":
        return False
    rest = plate[2:]
    if len(rest) == 5:
        if rest[-1] in "挂学警":
            return all(c in _PLATE_CHARS for c in rest[:4])
        return all(c in _PLATE_CHARS for c in rest) and sum(c.isalpha() for c in rest) <= 2
    if len(rest) == 6:
        small = rest[0] in "DF" and rest[1] in _PLATE_CHARS and rest[2:].isdigit()
        large = rest[:5].isdigit() and rest[5] in "DF"
        return small or large
    return False


# ---------------------------------------------------------------------------------------------
# Network identifiers and e-mail
# ---------------------------------------------------------------------------------------------


def is_ipv4(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def is_ipv6(value: str) -> bool:
    if value.count(":") < 2 or value.strip(":") == "":
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


_EMAIL = re.compile(
    r"(?!\.)(?!.*\.\.)[A-Za-z0-9._%+-]{1,64}(?<!\.)@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}"
)


def is_email(value: str) -> bool:
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None


# ---------------------------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------------------------

_D = r"(?:^|[^0-9A-Za-z])"  # left boundary for codes
_E = r"(?:[^0-9A-Za-z]|$)"
# Candidates (group 1) of the detectors validated in SQL, also matched against whole values.
_RESIDENT_ID = r"[1-9][0-9]{5}(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9]{4}[0-9Xx]"
_MOBILE_NUMBER = r"(?:\+?86[ -]?)?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4}"
_CARD = r"[2-6][0-9]{3}(?:[ -]?[0-9]{4}){3}(?:[ -]?[0-9]{1,3})?"

BUILTIN: tuple[Detector, ...] = (
    Detector(
        name="resident_id",
        label_zh="居民身份证号码",
        label_en="Resident ID number",
        personal=True,
        pattern=_D + "(" + _RESIDENT_ID + ")" + _E,
        validate=is_resident_id,
        hints=("身份证", "证件号", "公民身份", "id_card", "idcard", "resident_id", "id_no", "sfz"),
        numeric=True,
        confidence=0.99,
        chance_rate=1 / 11,
        sql_validate=resident_id_sql,
        sql_key=resident_id_key,
        value_pattern=_RESIDENT_ID,
        suggested_rule={"kind": "mask", "keep_first": 3, "keep_last": 4},
    ),
    Detector(
        name="mobile",
        label_zh="手机号码",
        label_en="Mobile number",
        personal=True,
        pattern="(?:^|[^0-9])(" + _MOBILE_NUMBER + ")(?:[^0-9Xx]|$)",
        validate=is_mobile,
        hints=("手机", "mobile", "cell", "联系方式"),
        numeric=True,
        confidence=0.95,
        sql_validate=mobile_sql,
        value_pattern=_MOBILE_NUMBER,
        suggested_rule={"kind": "mask", "keep_first": 3, "keep_last": 4},
    ),
    Detector(
        name="landline",
        label_zh="固定电话",
        label_en="Landline number",
        personal=False,  # published office and service numbers; a home number is rare in open data
        pattern=r"(?:^|[^0-9])((?:\(0[1-9][0-9]{1,2}\)|0[1-9][0-9]{1,2})[ -]?[2-9][0-9]{6,7})(?:[^0-9]|$)",
        validate=is_landline,
        hints=("电话", "phone", "tel"),
        personal_hints=("家庭电话", "住宅电话", "home_phone"),
        numeric=False,
        confidence=0.9,
        suggested_rule={"kind": "mask", "keep_first": 4, "keep_last": 2},
    ),
    Detector(
        name="credit_code",
        label_zh="统一社会信用代码",
        label_en="Unified social credit code",
        personal=False,  # identifies organizations, which are published by law
        pattern=r"(?:^|[^0-9A-Za-z])([0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Ya-hj-np-rtuw-y]{10})"
        + _E,
        validate=is_credit_code,
        hints=("信用代码", "credit_code", "uscc"),
        confidence=0.99,
        chance_rate=1 / 31,
        suggested_rule={"kind": "mask", "keep_first": 8, "keep_last": 0},
    ),
    Detector(
        name="bank_card",
        label_zh="银行卡号",
        label_en="Bank card number",
        personal=True,
        pattern=_D + "(" + _CARD + ")" + _E,
        validate=is_bank_card,
        hints=("银行卡", "卡号", "账号", "bank", "card"),
        numeric=True,
        confidence=0.95,
        chance_rate=1 / 10,
        sql_validate=bank_card_sql,
        sql_key=bank_card_key,
        value_pattern=_CARD,
        suggested_rule={"kind": "mask", "keep_first": 4, "keep_last": 4},
    ),
    Detector(
        name="email",
        label_zh="电子邮箱",
        label_en="E-mail address",
        personal=True,
        pattern=r"([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})",
        validate=is_email,
        hints=("邮箱", "email", "e-mail", "mail"),
        confidence=0.95,
        suggested_rule={"kind": "pseudonym"},
    ),
    Detector(
        name="passport",
        label_zh="护照号码",
        label_en="Passport number",
        personal=True,
        pattern=_D + r"([EeGgDdSsPp][0-9]{8}|[Ee][A-HJ-NP-Za-hj-np-z][0-9]{7})" + _E,
        validate=is_passport,
        hints=("护照", "passport"),
        confidence=0.8,
        suggested_rule={"kind": "mask", "keep_first": 1, "keep_last": 2},
    ),
    Detector(
        name="vehicle_plate",
        label_zh="机动车号牌",
        label_en="Vehicle plate",
        personal=True,
        pattern="([" + _PROVINCES + r"][A-Za-z][·• -]?[A-Za-z0-9]{4,6}[挂学警]?)",
        validate=is_plate,
        hints=("车牌", "号牌", "plate"),
        confidence=0.9,
        suggested_rule={"kind": "pseudonym"},
    ),
    Detector(
        name="ipv4",
        label_zh="IPv4地址",
        label_en="IPv4 address",
        personal=False,
        pattern=r"(?:^|[^0-9.])((?:[0-9]{1,3}\.){3}[0-9]{1,3})(?:[^0-9.]|$)",
        validate=is_ipv4,
        hints=("ip",),
        confidence=0.9,
        suggested_rule={"kind": "truncate", "length": 7},
    ),
    Detector(
        name="ipv6",
        label_zh="IPv6地址",
        label_en="IPv6 address",
        personal=False,
        pattern=r"(?:^|[^0-9A-Fa-f:])([0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7})(?:[^0-9A-Fa-f:]|$)",
        validate=is_ipv6,
        hints=("ip",),
        confidence=0.9,
        suggested_rule={"kind": "truncate", "length": 9},
    ),
    *VALUE_DETECTORS,
)

for _detector in BUILTIN:
    register_detector(_detector)
