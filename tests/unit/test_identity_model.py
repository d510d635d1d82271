"""Identity rules: identifier checks (python-stdnum), passwords, lockout, permission rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from stdnum.cn import ric, uscc

from publicdata.identity import permissions as rules
from publicdata.identity.model import (
    IdentifierError,
    LockoutPolicy,
    Role,
    TokenScope,
    UserKind,
    check_credit_code,
    check_mobile,
    check_real_name,
    check_resident_id,
    password_problems,
)
from publicdata.identity.permissions import Principal


def valid_ric(base17: str) -> str:
    return base17 + ric.calc_check_digit(base17 + "0")  # stdnum reads number[:-1]


def wrong_check(number: str) -> str:
    """The same number with a different, wrong last character."""
    return number[:-1] + ("1" if number[-1] != "1" else "2")


def valid_uscc(base17: str) -> str:
    return base17 + uscc.calc_check_digit(base17)


@pytest.mark.req("ACC-12")
@pytest.mark.parametrize(
    "base",
    ["31011519900307123", "31010419851212456", "31015119990101555", "11010519491231002"],
)
def test_real_format_resident_ids_are_accepted(base: str) -> None:
    number = valid_ric(base)
    result = check_resident_id(number)
    assert result.number == number
    assert result.area_code == base[:6]
    assert result.birth_date == date(int(base[6:10]), int(base[10:12]), int(base[12:14]))


@pytest.mark.req("ACC-12")
def test_lower_case_x_and_spaces_are_normalized() -> None:
    base = next(
        b for b in (f"31011519900307{n:03d}" for n in range(1000)) if ric.calc_check_digit(b + "0") == "X"
    )
    result = check_resident_id(" " + base + "x ")
    assert result.number == base + "X"


@pytest.mark.req("ACC-12")
@pytest.mark.parametrize(
    ("value", "code"),
    [
        # Wrong check digit: a valid number with its last digit changed.
        (wrong_check(valid_ric("31011519900307123")), "invalid_resident_id_checksum"),
        (wrong_check(valid_ric("31010419851212456")), "invalid_resident_id_checksum"),
        # Impossible birth dates (the check digit is made valid, so only the date is wrong).
        (valid_ric("31011519900230123"), "invalid_resident_id_component"),
        (valid_ric("31011519901301123"), "invalid_resident_id_component"),
        (valid_ric("31011521990101123"), "invalid_resident_id_component"),
        # Unknown area codes (999999, 000000) with a valid check digit.
        (valid_ric("99999919900307123"), "invalid_resident_id_component"),
        (valid_ric("00000019900307123"), "invalid_resident_id_component"),
        # Wrong shape.
        ("31011519900307123", "invalid_resident_id_format"),
        ("3101151990030712345", "invalid_resident_id_format"),
        ("31011519900307123A", "invalid_resident_id_format"),
        ("", "invalid_resident_id_format"),
    ],
)
def test_forged_resident_ids_are_refused(value: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        check_resident_id(value)
    assert caught.value.code == code
    assert caught.value.message_zh and caught.value.message_en


@pytest.mark.req("ACC-12")
def test_birth_date_in_the_future_is_refused() -> None:
    with pytest.raises(IdentifierError):
        check_resident_id(valid_ric("31011520300101123"), today=date(2026, 11, 23))


@pytest.mark.req("ACC-12")
@pytest.mark.parametrize(
    "base", ["91310000132149237", "91310115MA1FL3XK2", "12310000425012345", "52310000MJ0000000"]
)
def test_real_format_credit_codes_are_accepted(base: str) -> None:
    code = valid_uscc(base)
    assert check_credit_code(code) == code


@pytest.mark.req("ACC-12")
@pytest.mark.parametrize(
    ("value", "code"),
    [
        (wrong_check(valid_uscc("91310000132149237")), "invalid_credit_code_checksum"),
        (wrong_check(valid_uscc("91310115MA1FL3XK2")), "invalid_credit_code_checksum"),
        ("9131000013214923", "invalid_credit_code_format"),  # too short
        ("91310000132149237GG", "invalid_credit_code_format"),  # too long
        ("91310000I32149237G", "invalid_credit_code"),  # "I" is not in the alphabet
        ("", "invalid_credit_code_format"),
    ],
)
def test_forged_credit_codes_are_refused(value: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        check_credit_code(value)
    assert caught.value.code == code


@pytest.mark.req("ACC-12")
@pytest.mark.parametrize("value", ["13812345678", "+86 139-1234-5678", "19912345678", "17012345678"])
def test_mobile_numbers(value: str) -> None:
    assert len(check_mobile(value)) == 11


@pytest.mark.req("ACC-12")
@pytest.mark.parametrize("value", ["12812345678", "1381234567", "23812345678", "02112345678", "abc"])
def test_non_mobile_numbers_are_refused(value: str) -> None:
    with pytest.raises(IdentifierError):
        check_mobile(value)


def test_real_names() -> None:
    assert check_real_name(" 张三 ") == "张三"
    assert check_real_name("阿依古丽·买买提") == "阿依古丽·买买提"
    for bad in ("张", "张3", "", "<script>"):
        with pytest.raises(IdentifierError):
            check_real_name(bad)


@pytest.mark.req("SEC-1")
def test_password_rules() -> None:
    assert password_problems("Correct-Horse-9") == []
    assert password_problems("short1A")
    assert password_problems("alllowercaseletters")
    assert password_problems("Zhangsan-2026!", username="zhangsan")


@pytest.mark.req("SEC-1")
def test_lockout_after_repeated_failures() -> None:
    policy = LockoutPolicy(max_failures=3, window=timedelta(minutes=10), lock_for=timedelta(minutes=15))
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    two = [now - timedelta(minutes=1), now - timedelta(minutes=2)]
    assert policy.locked_until(two, now) is None
    three = [*two, now]
    assert policy.locked_until(three, now) == now + timedelta(minutes=15)
    # Old failures outside the window do not count; a lock expires.
    assert policy.locked_until([now - timedelta(minutes=30), *two], now) is None
    assert policy.locked_until(three, now + timedelta(minutes=16)) is None


def staff(role: Role, org: str | None) -> Principal:
    return Principal(user_id="u1", username="u", kind=UserKind.STAFF, roles=frozenset({(role, org)}))


@pytest.mark.req("SEC-1", "CAT-1")
def test_provider_staff_edit_only_their_own_provider() -> None:
    a = staff(Role.PROVIDER_STAFF, "org-a")
    assert rules.can_edit_provider_catalog(a, "org-a")
    assert not rules.can_edit_provider_catalog(a, "org-b")
    assert not rules.can_edit_provider_catalog(rules.ANONYMOUS, "org-a")
    assert not rules.can_edit_provider_catalog(staff(Role.CENTER, "c"), "org-a")
    assert rules.can_edit_provider_catalog(staff(Role.ADMIN, None), "org-a")


@pytest.mark.req("SEC-1")
def test_read_only_token_cannot_write_and_tokens_cannot_mint_tokens() -> None:
    token_user = Principal(
        user_id="u1",
        kind=UserKind.STAFF,
        roles=frozenset({(Role.PROVIDER_STAFF, "org-a")}),
        token_id="t1",
        scopes=frozenset({TokenScope.READ}),
    )
    decision = rules.can_edit_provider_catalog(token_user, "org-a")
    assert not decision
    assert "read-only" in decision.reason_en
    assert not rules.can_manage_own_tokens(token_user)
    admin_token = Principal(
        user_id="u2",
        roles=frozenset({(Role.ADMIN, None)}),
        token_id="t2",
        scopes=frozenset({TokenScope.READ, TokenScope.WRITE}),
    )
    assert not rules.can_manage_organizations(admin_token)


def test_system_principal_may_do_everything() -> None:
    assert rules.can_publish_dataset(rules.SYSTEM)
    assert rules.can_manage_organizations(rules.SYSTEM)
    assert not rules.SYSTEM.is_anonymous
