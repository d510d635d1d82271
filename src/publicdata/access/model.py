"""Applications for conditional data in plain Python (ACC-2..ACC-5, ACC-8): the application states, the
materials a dataset asks for (derived from its open conditions), the completeness check that reports
every problem at once, the decision scope, and the usage agreement's text and hash.

States of an application::

    submitted ──(center accepts)──► forwarded ──(provider refers)──► expert_review
        │                             │  ▲                              │
        │ (center refuses: all items) │  └──────(opinions in / expert time up)
        ▼                             ▼
    incomplete                  approved ──(applicant signs)──► signed
        │                       refused
        └──(applicant amends and resubmits: rounds+1)──► submitted   (also from refused)

Any open state may be withdrawn by the applicant.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from enum import StrEnum
from typing import Any


class AppState(StrEnum):
    SUBMITTED = "submitted"  # waiting for the center's completeness check
    INCOMPLETE = "incomplete"  # refused by the center: every missing or wrong item listed
    FORWARDED = "forwarded"  # with the provider for decision
    EXPERT_REVIEW = "expert_review"  # referred to the expert committee (decision clock paused)
    APPROVED = "approved"  # waiting for the applicant's signature
    REFUSED = "refused"  # refused by the provider (or automatically on the credit list)
    SIGNED = "signed"  # agreement signed, grant issued
    WITHDRAWN = "withdrawn"


STATE_LABELS: dict[AppState, tuple[str, str]] = {
    AppState.SUBMITTED: ("待形式审查", "awaiting completeness check"),
    AppState.INCOMPLETE: ("材料不全已退回", "incomplete, returned"),
    AppState.FORWARDED: ("数据开放主体审核中", "with the provider"),
    AppState.EXPERT_REVIEW: ("专家委员会评议中", "with the expert committee"),
    AppState.APPROVED: ("已同意，待签署协议", "approved, awaiting signature"),
    AppState.REFUSED: ("未同意", "refused"),
    AppState.SIGNED: ("已签署协议", "agreement signed"),
    AppState.WITHDRAWN: ("已撤回", "withdrawn"),
}

OPEN_STATES = frozenset({AppState.SUBMITTED, AppState.FORWARDED, AppState.EXPERT_REVIEW})
RESUBMITTABLE = frozenset({AppState.INCOMPLETE, AppState.REFUSED})
WITHDRAWABLE = frozenset(
    {AppState.SUBMITTED, AppState.INCOMPLETE, AppState.FORWARDED, AppState.EXPERT_REVIEW, AppState.APPROVED}
)

_MOVES: dict[str, tuple[frozenset[AppState], AppState]] = {
    "accept": (frozenset({AppState.SUBMITTED}), AppState.FORWARDED),
    "return_incomplete": (frozenset({AppState.SUBMITTED}), AppState.INCOMPLETE),
    "refer": (frozenset({AppState.FORWARDED}), AppState.EXPERT_REVIEW),
    "resume": (frozenset({AppState.EXPERT_REVIEW}), AppState.FORWARDED),
    "approve": (frozenset({AppState.FORWARDED, AppState.EXPERT_REVIEW}), AppState.APPROVED),
    "refuse": (frozenset({AppState.SUBMITTED, AppState.FORWARDED, AppState.EXPERT_REVIEW}), AppState.REFUSED),
    "resubmit": (RESUBMITTABLE, AppState.SUBMITTED),
    "sign": (frozenset({AppState.APPROVED}), AppState.SIGNED),
    "withdraw": (WITHDRAWABLE, AppState.WITHDRAWN),
}


class ApplicationError(ValueError):
    def __init__(self, code: str, message_en: str, message_zh: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_en = message_en
        self.message_zh = message_zh


def next_state(state: str, move: str) -> AppState:
    """The state after `move`, or ApplicationError when the move is not possible from `state`."""
    sources, target = _MOVES[move]
    if AppState(state) not in sources:
        raise ApplicationError(
            "invalid_state",
            f"'{move}' is not possible while the application is {state}",
            f"申请当前状态（{STATE_LABELS[AppState(state)][0]}）不允许此操作",
        )
    return target


# ---------------------------------------------------------------------------------------------
# Materials
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Material:
    key: str
    label_zh: str
    label_en: str
    kind: str = "text"  # text | file
    required: bool = True
    hint_zh: str = ""
    hint_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label_zh": self.label_zh,
            "label_en": self.label_en,
            "kind": self.kind,
            "required": self.required,
            "hint_zh": self.hint_zh,
            "hint_en": self.hint_en,
        }


# Open-condition kind (catalog.model.ConditionKind values) → the material that proves it (002 §15, §18).
CONDITION_MATERIALS: dict[str, Material] = {
    "scenario": Material("scenario_description", "应用场景说明", "Use-scenario description"),
    "security": Material("security_capability", "数据安全保障能力说明", "Data-security capability"),
    "feedback": Material(
        "feedback_commitment",
        "数据利用反馈承诺",
        "Commitment to usage feedback",
        hint_zh="承诺按期报送利用情况",
    ),
    "technical": Material("technical_capability", "技术能力说明", "Technical capability"),
    "credit": Material(
        "credit_declaration",
        "信用承诺书",
        "Credit declaration",
        hint_zh="声明未被列入失信被执行人名单或经营异常名录",
        hint_en="Declare that you are not on a dishonest-debtor or abnormal-operation list",
    ),
    "other": Material("other_conditions", "其他条件证明材料", "Proof of other conditions"),
}
QUALIFICATION = Material(
    "qualification_documents", "主体资质证明", "Qualification documents", kind="file", hint_zh="营业执照等"
)
MATERIAL_KINDS = frozenset({"text", "file"})
QUALIFICATION_WORDS = ("营业执照", "资质", "信用代码证明", "登记证书")


def default_materials(condition_kinds: Iterable[str], extra_labels: Iterable[str]) -> list[Material]:
    """Materials for a dataset: one per open condition, qualification documents, then the dataset's own
    `application_materials` labels (as text items), without duplicates."""
    items: list[Material] = []
    for kind in condition_kinds:
        material = CONDITION_MATERIALS.get(kind)
        if material is not None and material not in items:
            items.append(material)
    items.append(QUALIFICATION)
    for i, label in enumerate(extra_labels, start=1):
        label = label.strip()
        if not label or any(m.label_zh == label for m in items):
            continue
        # "应用场景说明（用途、服务对象…）" names a default material more precisely: keep one item, with the
        # dataset's wording; licences and qualifications are the qualification documents.
        base = label.split("（")[0].split("(")[0].strip()
        same = [j for j, m in enumerate(items) if m.label_zh == base]
        if not same and any(word in label for word in QUALIFICATION_WORDS):
            same = [items.index(QUALIFICATION)] if QUALIFICATION in items else []
        if same:
            items[same[0]] = replace(items[same[0]], label_zh=label)
        else:
            items.append(Material(f"extra_{i}", label, label))
    return items


def material_problems(materials: Sequence[Mapping[str, Any]]) -> list[tuple[str, str]]:
    """Problems with a requirement's material list as edited by provider staff."""
    problems: list[tuple[str, str]] = []
    seen: set[str] = set()
    for i, m in enumerate(materials):
        key = str(m.get("key") or "")
        if not key or not key.replace("_", "").isalnum() or not key.isascii():
            problems.append((f"materials[{i}].key", "a key is letters, digits and _"))
        if key in seen:
            problems.append((f"materials[{i}].key", f"duplicate key '{key}'"))
        seen.add(key)
        if not str(m.get("label_zh") or "").strip():
            problems.append((f"materials[{i}].label_zh", "a material needs a Chinese label"))
        if m.get("kind", "text") not in MATERIAL_KINDS:
            problems.append((f"materials[{i}].kind", "kind is text or file"))
    return problems


# ---------------------------------------------------------------------------------------------
# The request and its completeness (every problem at once)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    item: str  # a material key or a request field (purpose, fields, period …)
    reason: str  # stable code
    message_zh: str
    message_en: str

    def as_dict(self) -> dict[str, str]:
        return {
            "item": self.item,
            "reason": self.reason,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
        }


@dataclass(frozen=True)
class Request:
    purpose: str
    scenario: str
    fields: tuple[str, ...]
    period_start: date | None
    period_end: date | None
    security_measures: str
    expected_rows: int | None
    materials: Mapping[str, Mapping[str, Any]]  # key → {"text"} | {"upload_id", ...}


def request_problems(
    request: Request, *, dataset_fields: Sequence[str], materials: Sequence[Mapping[str, Any]], today: date
) -> list[Problem]:
    """Everything missing or wrong in an application, all at once (ACC-3)."""
    problems: list[Problem] = []
    if len(request.purpose.strip()) < 4:
        problems.append(Problem("purpose", "missing", "请说明申请用途", "state the purpose"))
    if len(request.scenario.strip()) < 4:
        problems.append(Problem("scenario", "missing", "请说明应用场景", "describe the use scenario"))
    if not request.fields:
        problems.append(Problem("fields", "missing", "请选择申请的数据项", "choose the data items you need"))
    unknown = [f for f in request.fields if f not in dataset_fields]
    if unknown:
        problems.append(
            Problem(
                "fields",
                "unknown_field",
                "数据集中没有以下数据项：" + "、".join(unknown),
                "the dataset has no item(s): " + ", ".join(unknown),
            )
        )
    if request.period_start is None or request.period_end is None:
        problems.append(Problem("period", "missing", "请填写使用期限", "give the period of use"))
    elif request.period_end < request.period_start:
        problems.append(
            Problem("period", "invalid", "使用期限结束日早于开始日", "the period ends before it starts")
        )
    elif request.period_end < today:
        problems.append(Problem("period", "in_past", "使用期限已过", "the period is already over"))
    if len(request.security_measures.strip()) < 4:
        problems.append(
            Problem(
                "security_measures", "missing", "请说明数据安全保障措施", "describe your security measures"
            )
        )
    if request.expected_rows is not None and request.expected_rows < 0:
        problems.append(
            Problem("expected_rows", "invalid", "预计数据量不能为负数", "expected rows cannot be negative")
        )
    known = {str(m["key"]) for m in materials}
    for m in materials:
        key = str(m["key"])
        given = request.materials.get(key) or {}
        has_text = bool(str(given.get("text") or "").strip())
        has_file = bool(given.get("upload_id"))
        if m.get("required", True) and not (has_text or has_file):
            problems.append(
                Problem(
                    key,
                    "missing",
                    f"缺少材料：{m['label_zh']}",
                    f"missing material: {m.get('label_en') or key}",
                )
            )
        elif m.get("kind") == "file" and has_text and not has_file:
            problems.append(
                Problem(
                    key,
                    "file_required",
                    f"请上传文件：{m['label_zh']}",
                    f"upload a file: {m.get('label_en') or key}",
                )
            )
    for key in request.materials:
        if key not in known:
            problems.append(
                Problem(key, "unknown_material", f"未要求的材料：{key}", f"material not asked for: {key}")
            )
    return problems


def review_problems(raw: Iterable[Mapping[str, Any]], *, known_items: Iterable[str]) -> list[dict[str, str]]:
    """A reviewer's list of problems ({item, reason}) checked: at least one, each with a reason."""
    items = set(known_items)
    out: list[dict[str, str]] = []
    for entry in raw:
        item = str(entry.get("item") or entry.get("material") or entry.get("field") or "").strip()
        reason = str(entry.get("reason") or "").strip()
        if not item or not reason:
            raise ApplicationError(
                "problem_incomplete",
                "each problem names an item and a reason",
                "每一项问题须写明材料或字段及原因",
            )
        if item not in items:
            raise ApplicationError(
                "unknown_item",
                f"'{item}' is not a material or field of this application",
                f"“{item}”不是本申请的材料或字段",
            )
        out.append({"item": item, "reason": reason})
    if not out:
        raise ApplicationError("reasons_required", "give every reason at once", "请一次性列明全部理由")
    return out


REQUEST_ITEMS = ("purpose", "scenario", "fields", "period", "security_measures", "expected_rows", "applicant")


def needs_experts(expected_rows: int | None, threshold: int | None, one_off_bulk: bool = False) -> bool:
    """Large or one-off bulk requests may go to the expert committee (ACC-4, 002 §19)."""
    if one_off_bulk:
        return True
    return threshold is not None and expected_rows is not None and expected_rows > threshold


@dataclass(frozen=True)
class Scope:
    fields: tuple[str, ...]
    period_start: date
    period_end: date
    daily_quota: int
    row_filter: tuple[Mapping[str, Any], ...] = ()


def narrowed_scope(
    requested: Scope,
    *,
    fields: Sequence[str] | None,
    period_start: date | None,
    period_end: date | None,
    daily_quota: int | None,
) -> Scope:
    """The provider may approve less than requested, never more."""
    new_fields = tuple(fields) if fields else requested.fields
    extra = [f for f in new_fields if f not in requested.fields]
    if extra:
        raise ApplicationError(
            "scope_wider", "approval cannot add fields: " + ", ".join(extra), "批准范围不能超出申请的数据项"
        )
    start = period_start or requested.period_start
    end = period_end or requested.period_end
    if start < requested.period_start or end > requested.period_end or end < start:
        raise ApplicationError(
            "scope_wider", "the approved period lies within the requested one", "批准期限须在申请期限之内"
        )
    quota = daily_quota or requested.daily_quota
    if quota < 1 or quota > requested.daily_quota:
        raise ApplicationError(
            "scope_wider", "the approved quota is at most the requested one", "批准调用量不能超过申请量"
        )
    return Scope(new_fields, start, end, quota, requested.row_filter)


# ---------------------------------------------------------------------------------------------
# The usage agreement (ACC-5)
# ---------------------------------------------------------------------------------------------

DEFAULT_AGREEMENT_TEMPLATE = """公共数据有条件开放使用协议

数据集：{dataset_name}（{dataset_code}）
数据开放主体：{provider_name}
数据利用主体：{applicant_name}

一、应用场景限制
数据仅可用于以下场景，不得超出：{scenario}
申请用途：{purpose}

二、数据范围
数据项：{fields}
每日调用上限：{daily_quota}次
每日获取数据量上限：{daily_row_quota}

三、数据安全保障措施
{security_measures}

四、利用情况报告义务
数据利用主体应当每{report_every_days}日通过平台报送数据利用情况，包括应用场景、服务对象、调用次数、使用字段、算法、成效、数据质量建议和安全措施；基于公共数据形成的成果应当注明数据来源。

五、协议期限
自{term_start}起至{term_end}止。

六、违约处理
违反本协议或平台规则的，平台可限制或关闭其数据获取权限，并可在平台公示。
"""

TEMPLATE_KEYS = (
    "dataset_name",
    "dataset_code",
    "provider_name",
    "applicant_name",
    "scenario",
    "purpose",
    "fields",
    "daily_quota",
    "daily_row_quota",
    "security_measures",
    "report_every_days",
    "term_start",
    "term_end",
)


class _Strict(dict[str, str]):
    def __missing__(self, key: str) -> str:
        raise ApplicationError(
            "template_key", f"unknown placeholder {{{key}}} in the template", f"协议模板占位符{{{key}}}无效"
        )


def render_agreement(template: str, values: Mapping[str, Any]) -> str:
    """The agreement's text: the template with every placeholder filled (unknown ones are an error)."""
    try:
        return (template or DEFAULT_AGREEMENT_TEMPLATE).format_map(
            _Strict({k: str(v) for k, v in values.items()})
        )
    except (ValueError, IndexError) as exc:
        raise ApplicationError(
            "template_invalid", f"the template is invalid: {exc}", "协议模板格式错误"
        ) from exc


def row_quota_words(rows: int | None) -> str:
    """The daily row quota as the agreement states it ({daily_row_quota})."""
    return f"{rows}行" if rows else "不限"


def with_row_quota_clause(template: str, text: str, rows: int | None) -> str:
    """A provider's own template without {daily_row_quota} still states an approved row quota: the
    agreement then ends with a clause saying so (what is signed names every limit)."""
    if not rows or "{daily_row_quota}" in (template or DEFAULT_AGREEMENT_TEMPLATE):
        return text
    return (
        text.rstrip("\n")
        + f"\n\n附加条款：每日获取数据量上限：{rows}行（记录查询、SQL查询结果与下载的行数合计）。\n"
    )


def template_problems(template: str) -> list[tuple[str, str]]:
    try:
        render_agreement(template, {k: "x" for k in TEMPLATE_KEYS})
    except ApplicationError as exc:
        return [("agreement_template", exc.message_en)]
    return []


def agreement_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
