"""Pure privacy rules: validators and their near misses, masking, the gate threshold, rule parsing,
the detector plug-in point (SEC-4, SEC-2, QUA-2)."""

from __future__ import annotations

import pytest
from stdnum.cn import ric

from publicdata.privacy import detectors as d
from publicdata.privacy import values as v
from publicdata.privacy.model import (
    Detector,
    Finding,
    Generalization,
    RuleProblem,
    blocking_columns,
    chance_only,
    check_justification,
    detector,
    detectors,
    mask_value,
    parse_rules,
    register_detector,
)
from tests.helpers import valid_credit_code, valid_resident_id


@pytest.mark.req("SEC-4")
def test_resident_id_checksum_birth_date_and_area() -> None:
    good = valid_resident_id()
    assert d.is_resident_id(good) and d.is_resident_id(good.lower())
    assert not d.is_resident_id(good[:-1] + ("0" if good[-1] != "0" else "1"))  # check digit
    feb30 = "31011519900230123"
    assert not d.is_resident_id(feb30 + ric.calc_check_digit(feb30 + "0"))  # no such date
    nowhere = "99011519900307123"
    assert not d.is_resident_id(nowhere + ric.calc_check_digit(nowhere + "0"))  # no such area
    # 浦东新区 (310115) was created after 1990: identity's check accepts it, and so do we.
    assert d.is_resident_id(valid_resident_id("31011519800101123"))


@pytest.mark.req("SEC-4")
@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13912345678", True),
        ("+8619912345678", True),
        ("166-1234-5678", True),
        ("12012345678", False),  # 12x is not a mobile range
        ("10012345678", False),
        ("15412345678", False),  # 154 is not allocated
        ("1391234567", False),
    ],
)
def test_mobile_ranges(value: str, expected: bool) -> None:
    assert d.is_mobile(value) is expected


@pytest.mark.req("SEC-4")
def test_cards_codes_plates_and_network_identifiers() -> None:
    assert d.is_bank_card("6222021234567890120") is False  # Luhn failure
    assert d.is_bank_card("6222021234567890128") is True
    assert d.is_bank_card("4111 1111 1111 1111") is True
    assert d.is_bank_card("9111111111111111") is False  # no known prefix
    assert d.is_bank_card("411111111111111") is False  # 15 digits
    assert d.is_credit_code(valid_credit_code()) and not d.is_credit_code(valid_credit_code()[:-1] + "0")
    assert (
        d.is_landline("021-63291234") and d.is_landline("0931-8123456") and not d.is_landline("021-0123456")
    )
    assert d.is_passport("E12345678") and d.is_passport("EA1234567") and not d.is_passport("EI1234567")
    assert d.is_plate("沪A12345") and d.is_plate("沪AD12345") and d.is_plate("粤B12345F")
    assert not d.is_plate("沪I12345") and not d.is_plate("沪ABCDE1")
    assert d.is_ipv4("192.168.1.20") and not d.is_ipv4("256.1.1.1")
    assert d.is_ipv6("2001:db8::1") and not d.is_ipv6("12:30:45") and not d.is_ipv6("::")
    assert d.is_email("zhang.san@sh.gov.cn") and not d.is_email("a..b@qq.com") and not d.is_email("x@y.c")
    assert not v.is_person_name("不详") and v.is_person_name("欧阳娜娜")


@pytest.mark.req("SEC-4")
def test_examples_are_masked() -> None:
    assert mask_value("310101198503011234") == "310************234"
    assert mask_value("13912345678") == "1*********8"
    assert mask_value("张伟") == "张*" and mask_value("x") == "*"
    assert "19850301" not in mask_value("310101198503011234")


@pytest.mark.req("SEC-4")
def test_gate_threshold_and_chance_rule() -> None:
    ids = detector("resident_id")
    blocking = Finding(
        "id", "resident_id", hits=5, non_null=1000, personal=True, confidence=0.99, examples=()
    )
    stray = Finding("note", "resident_id", hits=4, non_null=1000, personal=True, confidence=0.99, examples=())
    hotline = Finding("tel", "landline", hits=900, non_null=900, personal=False, confidence=0.9, examples=())
    assert blocking.blocks and not stray.blocks and not hotline.blocks  # 0.5 % of non-empty values
    stored = [f.as_dict() for f in (blocking, stray, hotline)]
    assert blocking_columns(stored) == [{"column": "id", "detectors": ["resident_id"]}]
    assert chance_only(ids, hits=190, candidates=2000)  # ≈ 1/11: codes that pass by chance
    assert not chance_only(ids, hits=1200, candidates=2000)
    assert not chance_only(ids, hits=3, candidates=10)  # too few to tell


@pytest.mark.req("SEC-2", "QUA-2")
def test_rule_parsing() -> None:
    rules = parse_rules(
        [
            {"column": "id", "kind": "mask", "keep_first": 3, "keep_last": 4},
            {"column": "age", "kind": "generalize", "to": "age_band"},
            {"column": "lon", "kind": "generalize", "to": "grid", "decimals": 3},
            {"column": "name", "kind": "truncate", "length": 1},
            {"column": "phone", "kind": "pseudonym"},
            {"column": "x", "kind": "drop"},
        ]
    )
    assert [r.kind.value for r in rules] == [
        "mask",
        "generalize",
        "generalize",
        "truncate",
        "pseudonym",
        "drop",
    ]
    assert rules[1].to is Generalization.AGE_BAND and rules[2].decimals == 3
    assert rules[0].as_dict() == {"column": "id", "kind": "mask", "keep_first": 3, "keep_last": 4}
    for bad, index in (
        ([{"column": "a", "kind": "blur"}], 0),
        ([{"column": "a", "kind": "mask"}, {"column": "a", "kind": "drop"}], 1),
        ([{"column": "a", "kind": "mask", "keep_first": -1}], 0),
        ([{"column": "a", "kind": "generalize", "to": "galaxy"}], 0),
        ([{"kind": "drop"}], 0),
    ):
        with pytest.raises(RuleProblem) as caught:
            parse_rules(bad)
        assert caught.value.index == index
    with pytest.raises(RuleProblem):
        check_justification("太短了")
    assert check_justification("  依法公开的许可信息，当事人已书面同意公开其姓名和电话号码。 ").startswith(
        "依法"
    )


@pytest.mark.req("SEC-4")
def test_a_new_detector_is_one_registered_object() -> None:
    before = [x.name for x in detectors()]
    custom = Detector(
        name="social_security_card",
        label_zh="社会保障卡号",
        label_en="Social security card",
        personal=True,
        pattern=r"(?:^|[^0-9A-Z])(SB[0-9]{8})(?:[^0-9A-Z]|$)",
        validate=lambda v: v.startswith("SB"),
    )
    register_detector(custom)
    try:
        assert detector("social_security_card") is custom
        assert [x.name for x in detectors()] == [*before, "social_security_card"]
    finally:
        from publicdata.privacy import model

        model._DETECTORS.pop("social_security_card")


@pytest.mark.req("SEC-4")
def test_fast_luhn_agrees_with_stdnum() -> None:
    import random

    from stdnum import luhn

    rng = random.Random(3)
    numbers = [str(rng.randrange(10**15, 10**19)) for _ in range(2000)]
    assert [d.luhn_valid(n) for n in numbers] == [luhn.is_valid(n) for n in numbers]
    assert sum(d.luhn_valid(n) for n in numbers) > 100


@pytest.mark.req("SEC-4")
def test_value_level_validators_tell_names_and_categories_from_places_and_bodies() -> None:
    """The value detectors' own near misses: places built like names, bodies, words ending in 族,
    parties instead of memberships, short runs of bases, files that are no images."""
    assert all(v.is_name_value(n) for n in ("张伟", "王秀英", "欧阳娜娜", "司马光", "阿依古丽·买买提"))
    assert not any(
        v.is_name_value(n)
        for n in ("徐汇区", "陆家嘴", "徐家汇", "莘庄站", "黄浦", "昆山", "黄河", "高速", "不详", "东方医院")
    )
    assert v.is_ethnic_group("汉族") and v.is_ethnic_group("维吾尔族") and not v.is_ethnic_group("汉")
    assert v.is_ethnic_group_labelled("汉") and not v.is_ethnic_group("上班族")
    assert v.is_political_status("中共党员") and v.is_political_status("群众")
    assert not v.is_political_status("中国共产党") and not v.is_political_status("九三学社")
    assert v.is_religion("佛教") and not v.is_religion("佛教协会") and not v.is_religion("无宗教信仰")
    assert v.is_religion_labelled("无宗教信仰")
    assert v.is_dna_sequence("ACGTTGCAACGTTGCAACGTA")
    assert not v.is_dna_sequence("ACGTACGT") and not v.is_dna_sequence("AT" * 15)
    assert not v.is_dna_sequence("ACGT" + "N" * 20)
    assert v.is_precise_address("上海市黄浦区南京东路100号")
    assert v.is_precise_address("浦东新区张江镇中心村3组15号")
