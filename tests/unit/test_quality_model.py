"""Quality rules: scoring, sample allocation, timeliness, constraints, identifiers (QUA-1, CAT-8, ACC-7)."""

from __future__ import annotations

from datetime import date

import pytest

from publicdata.catalog.model import UpdateFrequency
from publicdata.quality import model
from publicdata.quality.model import Check, Dimension, Finding, IdentifierKind
from tests.helpers import valid_credit_code, valid_resident_id


@pytest.mark.req("QUA-1")
def test_score_keeps_the_unaffected_share_per_dimension() -> None:
    findings = [
        Finding(Check.EMPTY_VALUES, 10, 100, column="a"),
        Finding(Check.EMPTY_VALUES, 50, 100, column="b"),
        Finding(Check.DUPLICATE_ROWS, 100, 100),
    ]
    breakdown = model.dimension_scores(findings)
    assert breakdown[Dimension.COMPLETENESS] == 45.0  # 0.9 * 0.5
    assert breakdown[Dimension.UNIQUENESS] == 0.0
    assert breakdown[Dimension.VALIDITY] == 100.0
    # 25*45 + 20*0 + 25*100 + 10*100*3 = 6625 / 100
    assert model.overall_score(breakdown) == 66
    assert model.overall_score(model.dimension_scores([])) == 100
    assert sum(model.WEIGHTS.values()) == 100


@pytest.mark.req("ACC-7")
def test_allocation_is_proportional_and_exact() -> None:
    assert model.allocate({"a": 180, "b": 90, "c": 30}, 50) == {"a": 30, "b": 15, "c": 5}
    got = model.allocate({"a": 1000, "b": 3, "c": 1}, 10)
    assert sum(got.values()) == 10 and got["c"] == 1 and got["b"] == 1
    assert model.allocate({"a": 5, "b": 2}, 100) == {"a": 5, "b": 2}
    assert model.share_difference({"a": 6, "b": 4}, {"a": 3, "b": 2}) == pytest.approx(0.0)


@pytest.mark.req("CAT-8")
def test_timeliness_against_the_declared_frequency() -> None:
    late, info = model.timeliness(UpdateFrequency.MONTHLY, date(2026, 9, 15), date(2026, 10, 30))
    assert late is not None and info["due"] == "2026-10-15" and info["late_days"] == 15
    assert late.count == 15 and late.total == 30
    on_time, info = model.timeliness(UpdateFrequency.MONTHLY, date(2026, 9, 15), date(2026, 10, 15))
    assert on_time is None and info["late_days"] == 0
    assert model.timeliness(UpdateFrequency.IRREGULAR, date(2020, 1, 1), date(2026, 1, 1))[0] is None
    assert model.timeliness(UpdateFrequency.DAILY, None, date(2026, 1, 1))[0] is None


@pytest.mark.req("QUA-1")
def test_constraints_are_checked_as_a_whole() -> None:
    parsed, problems = model.parse_constraints(
        {"a": {"min": 0, "max": 9}, "b": {"min": "x"}, "c": {"pattern": "("}, "d": {"allowed": []}, "e": 3}
    )
    assert parsed["a"] == model.Constraint(min=0.0, max=9.0)
    assert {p for p, _ in problems} == {
        "constraints.b.min",
        "constraints.c.pattern",
        "constraints.d.allowed",
        "constraints.e",
    }


@pytest.mark.req("QUA-1")
def test_identifiers_checksum_and_date() -> None:
    good_id = valid_resident_id()
    assert model.identifier_valid(IdentifierKind.RESIDENT_ID, good_id)
    bad_checksum = good_id[:-1] + ("0" if good_id[-1] != "0" else "1")
    assert not model.identifier_valid(IdentifierKind.RESIDENT_ID, bad_checksum)
    assert not model.identifier_valid(IdentifierKind.RESIDENT_ID, valid_resident_id("31011519901307123"))
    code = valid_credit_code()
    assert model.identifier_valid(IdentifierKind.CREDIT_CODE, code)
    assert not model.identifier_valid(
        IdentifierKind.CREDIT_CODE, code[:-1] + ("0" if code[-1] != "0" else "1")
    )
    assert model.identifier_kind_by_name("id_card") is IdentifierKind.RESIDENT_ID
    assert model.identifier_kind_by_name("x", "统一社会信用代码") is IdentifierKind.CREDIT_CODE
    assert model.is_division_code_column("district_code") and not model.is_division_code_column("zip")
    assert model.key_candidates(["id", "station_id", "code", "district_code", "name"]) == [
        "id",
        "station_id",
        "code",
    ]
