"""Catalog rules: grading → open class, classification checks, lifecycle, data-item descriptions."""

from __future__ import annotations

import itertools

import pytest

from publicdata.catalog.model import (
    Classification,
    ClassificationError,
    Condition,
    ConditionKind,
    DataItem,
    DatasetState,
    FieldType,
    Grading,
    LifecycleError,
    NotOpenReason,
    OpenClass,
    OpeningBasis,
    can_transition,
    check_classification,
    check_transition,
    class_for_grading,
    classification_problems,
    data_item_problems,
    unexplained_abbreviations,
)

SCENARIO = Condition(ConditionKind.SCENARIO, "仅限交通出行服务场景使用")


@pytest.mark.req("CAT-4")
def test_every_level_combination_maps_to_the_class_of_its_highest_level() -> None:
    for levels in itertools.product(range(1, 5), repeat=3):
        grading = Grading(*levels)
        expected = {
            1: OpenClass.UNCONDITIONAL,
            2: OpenClass.UNCONDITIONAL,
            3: OpenClass.CONDITIONAL,
            4: OpenClass.NOT_OPEN,
        }[max(levels)]
        assert class_for_grading(grading) is expected, levels


@pytest.mark.req("CAT-4")
@pytest.mark.parametrize("bad", [0, 5, -1])
def test_grading_levels_are_bounded(bad: int) -> None:
    with pytest.raises(ValueError):
        Grading(personal=bad)


@pytest.mark.req("CAT-4")
def test_opening_more_than_the_grading_allows_needs_a_basis() -> None:
    sensitive = Grading(personal=4)
    c = Classification(OpenClass.CONDITIONAL, sensitive, conditions=(SCENARIO,))
    assert [f for f, _ in classification_problems(c)] == ["open_class"]
    # After desensitization, or with the rights-holder's consent, it may open (002 §14(1)).
    for basis in OpeningBasis:
        check_classification(
            Classification(OpenClass.CONDITIONAL, sensitive, conditions=(SCENARIO,), opening_basis=basis)
        )


@pytest.mark.req("CAT-4")
def test_a_class_stricter_than_the_grading_is_allowed() -> None:
    check_classification(Classification(OpenClass.CONDITIONAL, Grading(), conditions=(SCENARIO,)))


@pytest.mark.req("CAT-5")
def test_not_open_requires_a_listed_reason() -> None:
    c = Classification(OpenClass.NOT_OPEN, Grading(object=4))
    with pytest.raises(ClassificationError) as caught:
        check_classification(c)
    assert caught.value.problems[0][0] == "not_open_reason"
    check_classification(
        Classification(OpenClass.NOT_OPEN, Grading(object=4), not_open_reason=NotOpenReason.SECURITY)
    )


@pytest.mark.req("CAT-5")
def test_only_not_open_entries_carry_a_reason() -> None:
    c = Classification(OpenClass.UNCONDITIONAL, Grading(), not_open_reason=NotOpenReason.LAW)
    assert [f for f, _ in classification_problems(c)] == ["not_open_reason"]


@pytest.mark.req("ACC-8")
def test_conditional_data_states_conditions_and_unconditional_has_none() -> None:
    assert [
        f for f, _ in classification_problems(Classification(OpenClass.CONDITIONAL, Grading(object=3)))
    ] == ["conditions"]
    assert [
        f
        for f, _ in classification_problems(
            Classification(OpenClass.UNCONDITIONAL, Grading(), conditions=(SCENARIO,))
        )
    ] == ["conditions"]
    duplicate = Classification(OpenClass.CONDITIONAL, Grading(object=3), conditions=(SCENARIO, SCENARIO))
    assert "conditions" in [f for f, _ in classification_problems(duplicate)]


@pytest.mark.req("CAT-4", "CAT-5")
def test_all_problems_are_reported_at_once() -> None:
    c = Classification(OpenClass.NOT_OPEN, Grading(), conditions=(Condition(ConditionKind.OTHER, " "),))
    fields = [f for f, _ in classification_problems(c)]
    assert fields.count("not_open_reason") == 1
    assert "conditions" in fields


@pytest.mark.req("CAT-7")
def test_lifecycle_transitions() -> None:
    assert can_transition(DatasetState.DRAFT, DatasetState.IN_REVIEW)
    assert can_transition(DatasetState.IN_REVIEW, DatasetState.PUBLISHED)
    assert can_transition(DatasetState.PUBLISHED, DatasetState.STATIC)
    assert can_transition(DatasetState.PUBLISHED, DatasetState.SUSPENDED)
    assert can_transition(DatasetState.SUSPENDED, DatasetState.PUBLISHED)
    assert not can_transition(DatasetState.DRAFT, DatasetState.STATIC)
    assert not can_transition(DatasetState.WITHDRAWN, DatasetState.PUBLISHED)
    with pytest.raises(LifecycleError):
        check_transition(DatasetState.IN_REVIEW, DatasetState.SUSPENDED)


def item(
    name: str = "station_name", label: str = "站点名称", description: str = "公交站点的标准名称"
) -> DataItem:
    return DataItem(name=name, label=label, type=FieldType.TEXT, description=description)


@pytest.mark.req("CAT-2")
def test_data_items_need_labels_descriptions_and_unique_names() -> None:
    assert data_item_problems([item()]) == []
    assert data_item_problems([])
    problems = data_item_problems(
        [item(), item(name="Station_Name"), item(name="bad name", label="", description="")]
    )
    fields = [f for f, _ in problems]
    assert "fields[1].name" in fields  # duplicate, case-insensitive
    assert {"fields[2].name", "fields[2].label", "fields[2].description"} <= set(fields)


@pytest.mark.req("CAT-2")
def test_bare_abbreviations_are_refused_and_explained_ones_accepted() -> None:
    assert unexplained_abbreviations("AQI 数值") == ["AQI"]
    assert unexplained_abbreviations("AQI（空气质量指数）数值") == []
    assert unexplained_abbreviations("统一社会信用代码 USCC") == ["USCC"]
    assert unexplained_abbreviations("PM 与 ID 字段") == []
    problems = data_item_problems([item(name="aqi", label="AQI", description="每日 AQI 均值")])
    assert problems and "AQI" in problems[0][1]
