"""Pure rules of applications for conditional data: states, materials, completeness (all problems at
once), narrowing on approval, the agreement text and hash (ACC-2..ACC-5, ACC-8)."""

from __future__ import annotations

from datetime import date

import pytest

from publicdata.access import model
from publicdata.access.model import ApplicationError, AppState


@pytest.mark.req("ACC-3", "ACC-4")
def test_state_machine() -> None:
    assert model.next_state("submitted", "accept") is AppState.FORWARDED
    assert model.next_state("submitted", "return_incomplete") is AppState.INCOMPLETE
    assert model.next_state("incomplete", "resubmit") is AppState.SUBMITTED
    assert model.next_state("refused", "resubmit") is AppState.SUBMITTED
    assert model.next_state("forwarded", "refer") is AppState.EXPERT_REVIEW
    assert model.next_state("expert_review", "approve") is AppState.APPROVED
    assert model.next_state("approved", "sign") is AppState.SIGNED
    for state, move in (
        ("signed", "resubmit"),
        ("submitted", "approve"),
        ("approved", "refer"),
        ("signed", "withdraw"),
    ):
        with pytest.raises(ApplicationError) as err:
            model.next_state(state, move)
        assert err.value.code == "invalid_state"


@pytest.mark.req("ACC-2", "ACC-8")
def test_default_materials_follow_the_open_conditions() -> None:
    items = model.default_materials(["scenario", "credit", "scenario"], ["应用场景说明", "承诺函", ""])
    assert [m.key for m in items] == [
        "scenario_description",
        "credit_declaration",
        "qualification_documents",
        "extra_2",
    ]
    assert items[2].kind == "file"
    assert model.material_problems(
        [{"key": "a b", "label_zh": ""}, {"key": "x", "label_zh": "X", "kind": "pdf"}]
    ) == [
        ("materials[0].key", "a key is letters, digits and _"),
        ("materials[0].label_zh", "a material needs a Chinese label"),
        ("materials[1].kind", "kind is text or file"),
    ]


MATERIALS = [m.as_dict() for m in model.default_materials(["scenario", "security"], [])]


def request(**kw: object) -> model.Request:
    base: dict[str, object] = {
        "purpose": "公交到站提醒",
        "scenario": "面向市民的出行服务",
        "fields": ("a",),
        "period_start": date(2027, 1, 1),
        "period_end": date(2027, 12, 31),
        "security_measures": "加密存储",
        "expected_rows": 10,
        "materials": {
            "scenario_description": {"text": "说明"},
            "security_capability": {"text": "说明"},
            "qualification_documents": {"upload_id": "u1"},
        },
    }
    base.update(kw)
    return model.Request(**base)  # type: ignore[arg-type]


@pytest.mark.req("ACC-2", "ACC-3")
def test_completeness_reports_every_problem_at_once() -> None:
    today = date(2026, 11, 1)
    assert (
        model.request_problems(request(), dataset_fields=["a", "b"], materials=MATERIALS, today=today) == []
    )
    problems = model.request_problems(
        request(
            purpose=" ",
            fields=("a", "zzz"),
            period_end=date(2026, 1, 1),
            materials={"qualification_documents": {"text": "见附件"}, "bogus": {"text": "x"}},
        ),
        dataset_fields=["a", "b"],
        materials=MATERIALS,
        today=today,
    )
    assert [(p.item, p.reason) for p in problems] == [
        ("purpose", "missing"),
        ("fields", "unknown_field"),
        ("period", "invalid"),
        ("scenario_description", "missing"),
        ("security_capability", "missing"),
        ("qualification_documents", "file_required"),
        ("bogus", "unknown_material"),
    ]


@pytest.mark.req("ACC-3")
def test_review_problems_need_item_and_reason() -> None:
    known = ["purpose", "qualification_documents"]
    assert model.review_problems([{"item": "purpose", "reason": "太笼统"}], known_items=known) == [
        {"item": "purpose", "reason": "太笼统"}
    ]
    for bad, code in (
        ([], "reasons_required"),
        ([{"item": "purpose"}], "problem_incomplete"),
        ([{"item": "nope", "reason": "x"}], "unknown_item"),
    ):
        with pytest.raises(ApplicationError) as err:
            model.review_problems(bad, known_items=known)
        assert err.value.code == code


@pytest.mark.req("ACC-4")
def test_approval_narrows_never_widens_and_expert_rule() -> None:
    asked = model.Scope(("a", "b"), date(2027, 1, 1), date(2027, 12, 31), 1000)
    got = model.narrowed_scope(
        asked, fields=["a"], period_start=None, period_end=date(2027, 6, 30), daily_quota=100
    )
    assert got == model.Scope(("a",), date(2027, 1, 1), date(2027, 6, 30), 100)
    for kw in ({"fields": ["c"]}, {"period_end": date(2028, 1, 1)}, {"daily_quota": 5000}):
        args = {"fields": None, "period_start": None, "period_end": None, "daily_quota": None} | kw
        with pytest.raises(ApplicationError):
            model.narrowed_scope(asked, **args)  # type: ignore[arg-type]
    assert model.needs_experts(200_000, 100_000)
    assert not model.needs_experts(50_000, 100_000)
    assert not model.needs_experts(10**9, None)
    assert model.needs_experts(1, None, one_off_bulk=True)


@pytest.mark.req("ACC-5")
def test_agreement_text_and_hash() -> None:
    values = {k: f"<{k}>" for k in model.TEMPLATE_KEYS}
    text = model.render_agreement("", values)
    assert (
        "<scenario>" in text
        and "每<report_every_days>日" in text
        and "自<term_start>起至<term_end>止" in text
    )
    assert model.agreement_hash(text) == model.agreement_hash(model.render_agreement("", values))
    assert len(model.agreement_hash(text)) == 64
    assert model.agreement_hash(text) != model.agreement_hash(text + " ")
    assert model.template_problems("协议 {unknown}") != []
    assert model.template_problems("协议 {scenario} {term_end}") == []
    assert model.template_problems("协议 {") != []


@pytest.mark.req("ACC-2")
def test_dataset_wording_refines_defaults_instead_of_repeating_them() -> None:
    items = model.default_materials(
        ["scenario", "technical"],
        [
            "应用场景说明（用途、服务对象、预期成效）",
            "营业执照或统一社会信用代码证明",
            "数据安全保护措施说明",
        ],
    )
    assert [(m.key, m.label_zh, m.kind) for m in items] == [
        ("scenario_description", "应用场景说明（用途、服务对象、预期成效）", "text"),
        ("technical_capability", "技术能力说明", "text"),
        ("qualification_documents", "营业执照或统一社会信用代码证明", "file"),
        ("extra_3", "数据安全保护措施说明", "text"),
    ]


@pytest.mark.req("ACC-5")
def test_the_agreement_states_the_daily_row_quota() -> None:
    assert model.row_quota_words(5000) == "5000行" and model.row_quota_words(None) == "不限"
    values = {k: "x" for k in model.TEMPLATE_KEYS} | {"daily_row_quota": model.row_quota_words(5000)}
    text = model.render_agreement("", values)
    assert "每日获取数据量上限：5000行" in text
    assert model.with_row_quota_clause("", text, 5000) == text  # the default template has the placeholder
    own = "协议：{dataset_name}，每日 {daily_quota} 次"
    signed = model.with_row_quota_clause(own, model.render_agreement(own, values), 5000)
    assert signed.startswith("协议：x") and "附加条款：每日获取数据量上限：5000行" in signed
    assert model.with_row_quota_clause(own, "协议", None) == "协议"
    assert "{daily_row_quota}" in model.DEFAULT_AGREEMENT_TEMPLATE
